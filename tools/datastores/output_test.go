package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/tools/datastores/certs"
)

// outputCase is a command that writes -o and --ca-out: certs, or renew of Secrets certs wrote.
type outputCase struct {
	name string
	args func(out, caOut string) []string
}

func outputCases(f fixture) []outputCase {
	return []outputCase{
		{"certs", func(out, caOut string) []string {
			return []string{"certs", "-f", f.values, "--release", "test", "-n", "apps", "-o", out, "--ca-out", caOut}
		}},
		{"certs renew", func(out, caOut string) []string {
			return []string{"certs", "renew", "-f", f.tlsSecrets, "-o", out, "--ca-out", caOut}
		}},
	}
}

// writeOld puts a file with the given mode and content in place, as a previous run (or an
// operator) left it.
func writeOld(t *testing.T, path string, mode os.FileMode, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
	require.NoError(t, os.Chmod(path, mode)) // whatever the umask
}

// listDir names the entries of dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// secretNames reads a file of Secrets and names them.
func secretNames(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	secrets, err := certs.Read(data)
	require.NoError(t, err)
	var names []string
	for _, s := range secrets {
		names = append(names, s.Name)
	}
	return names
}

// An existing file is replaced by one of mode 0600 (it holds private keys), whatever its old mode.
func TestCertsOutputReplacesAnExistingFileWithMode0600(t *testing.T) {
	f := newFixture(t)
	for _, c := range outputCases(f) {
		for _, old := range []os.FileMode{0o644, 0o666, 0o400} {
			t.Run(c.name+" over "+old.String(), func(t *testing.T) {
				dir := t.TempDir()
				out, caOut := filepath.Join(dir, "tls.yaml"), filepath.Join(dir, "ca.yaml")
				writeOld(t, out, old, "old servers\n")
				writeOld(t, caOut, old, "old CA\n")
				r := runCommand(t, c.args(out, caOut)...)
				require.Equal(t, 0, r.code, r.stderr)
				for _, p := range []string{out, caOut} {
					info, err := os.Stat(p)
					require.NoError(t, err)
					assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s", filepath.Base(p))
				}
				assert.Equal(t, []string{"test-postgres-app-tls", "test-redis-tls"}, secretNames(t, out))
				assert.Equal(t, []string{"test-datastores-certs-ca"}, secretNames(t, caOut))
				assert.Equal(t, []string{"ca.yaml", "tls.yaml"}, listDir(t, dir), "no temporary file left")
			})
		}
	}
}

// A target that is a symbolic link is written through: the file it points to gets the
// content, the link stays.
func TestCertsOutputThroughASymbolicLinkKeepsTheLink(t *testing.T) {
	f := newFixture(t)
	for _, c := range outputCases(f) {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			real, link := filepath.Join(dir, "real-tls.yaml"), filepath.Join(dir, "tls.yaml")
			writeOld(t, real, 0o644, "old\n")
			require.NoError(t, os.Symlink("real-tls.yaml", link))
			r := runCommand(t, c.args(link, filepath.Join(dir, "ca.yaml"))...)
			require.Equal(t, 0, r.code, r.stderr)
			info, err := os.Lstat(link)
			require.NoError(t, err)
			assert.Equal(t, os.ModeSymlink, info.Mode().Type(), "still a link")
			assert.Equal(t, []string{"test-postgres-app-tls", "test-redis-tls"}, secretNames(t, real))
		})
	}
}

// -o and --ca-out naming one file would lose the CA (the second write replaced the first):
// refused, however the two paths are spelled, before anything is written.
func TestCertsRefusesOneFileForBothOutputs(t *testing.T) {
	f := newFixture(t)
	for _, c := range outputCases(f) {
		for _, tc := range []struct {
			name      string
			out, ca   string
			makeAlias func(t *testing.T, dir string)
		}{
			{name: "the same name", out: "a.yaml", ca: "a.yaml"},
			{name: "./a.yaml and a.yaml", out: "./a.yaml", ca: "a.yaml"},
			{name: "dir/../a.yaml and a.yaml", out: "a.yaml", ca: "dir/../a.yaml"},
			{name: "a.yaml and its absolute path", out: "a.yaml", ca: "<abs>/a.yaml"},
			{name: "a symbolic link to it", out: "link.yaml", ca: "a.yaml", makeAlias: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink("a.yaml", filepath.Join(dir, "link.yaml")))
			}},
			{name: "a hard link to it", out: "a.yaml", ca: "hard.yaml", makeAlias: func(t *testing.T, dir string) {
				require.NoError(t, os.Link(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "hard.yaml")))
			}},
			{name: "a file in a linked directory", out: "a.yaml", ca: "linkdir/a.yaml", makeAlias: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink(".", filepath.Join(dir, "linkdir")))
			}},
			// Files still to be made: the paths alone say it.
			{name: "a new file twice", out: "new.yaml", ca: "new.yaml"},
			{name: "./new.yaml and new.yaml", out: "./new.yaml", ca: "new.yaml"},
			{name: "dir/../new.yaml and new.yaml", out: "dir/../new.yaml", ca: "new.yaml"},
			{name: "new.yaml and its absolute path", out: "<abs>/new.yaml", ca: "new.yaml"},
			{name: "a new file in a linked directory", out: "new.yaml", ca: "linkdir/new.yaml", makeAlias: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink(".", filepath.Join(dir, "linkdir")))
			}},
		} {
			t.Run(c.name+" "+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				require.NoError(t, os.Mkdir(filepath.Join(dir, "dir"), 0o700))
				writeOld(t, filepath.Join(dir, "a.yaml"), 0o644, "old\n")
				if tc.makeAlias != nil {
					tc.makeAlias(t, dir)
				}
				before := listDir(t, dir)
				t.Chdir(dir)
				abs := func(p string) string {
					if rest, ok := strings.CutPrefix(p, "<abs>/"); ok {
						return filepath.Join(dir, rest)
					}
					return p
				}
				assertRefused(t, c.args(abs(tc.out), abs(tc.ca)), "-o and --ca-out name the same file", "give two different files")
				data, err := os.ReadFile(filepath.Join(dir, "a.yaml"))
				require.NoError(t, err)
				assert.Equal(t, "old\n", string(data), "nothing written")
				assert.Equal(t, before, listDir(t, dir))
			})
		}
	}
}

// certs does not write its Secrets over the values file it reads; renew may replace its inputs
// (the README's renew-in-place).
func TestCertsRefusesAnOutputOntoItsValuesFile(t *testing.T) {
	f := newFixture(t)
	values := filepath.Join(t.TempDir(), "values.yaml")
	data, err := os.ReadFile(f.values)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(values, data, 0o600))
	for _, flag := range []string{"-o", "--ca-out"} {
		t.Run(flag, func(t *testing.T) {
			assertRefused(t, []string{"certs", "-f", values, "--release", "test", "-n", "apps", flag, values}, flag+" "+values+" is the input file -f")
			after, err := os.ReadFile(values)
			require.NoError(t, err)
			assert.Equal(t, string(data), string(after))
		})
	}
}

func TestCertsRenewReplacesItsInputFiles(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	tls, ca := filepath.Join(dir, "tls.yaml"), filepath.Join(dir, "ca.yaml")
	r := runCommand(t, "certs", "-f", f.values, "--release", "test", "-n", "apps", "-o", tls, "--ca-out", ca)
	require.Equal(t, 0, r.code, r.stderr)
	before, err := os.ReadFile(tls)
	require.NoError(t, err)
	r = runCommand(t, "certs", "renew", "-f", tls, "-f", ca, "--ca-out", ca, "-o", tls)
	require.Equal(t, 0, r.code, r.stderr)
	after, err := os.ReadFile(tls)
	require.NoError(t, err)
	assert.NotEqual(t, string(before), string(after), "renewed in place")
	assert.Equal(t, []string{"test-postgres-app-tls", "test-redis-tls"}, secretNames(t, tls))
	assert.Equal(t, []string{"ca.yaml", "tls.yaml"}, listDir(t, dir))
}

// unwritable is a path no file can be created at, even by root: its directory is a file.
func unwritable(t *testing.T, dir string) string {
	t.Helper()
	writeOld(t, filepath.Join(dir, "plain-file"), 0o600, "")
	return filepath.Join(dir, "plain-file", "out.yaml")
}

// When one output cannot be written, no target changes (the other keeps its old content and
// mode) and no temporary file is left: all or nothing.
func TestCertsFailedWriteChangesNoTarget(t *testing.T) {
	f := newFixture(t)
	for _, c := range outputCases(f) {
		for _, broken := range []string{"-o", "--ca-out"} {
			t.Run(c.name+" "+broken+" unwritable", func(t *testing.T) {
				dir := t.TempDir()
				good := filepath.Join(dir, "kept.yaml")
				writeOld(t, good, 0o644, "old\n")
				bad := unwritable(t, dir)
				before := listDir(t, dir)
				out, caOut := good, bad
				if broken == "-o" {
					out, caOut = bad, good
				}
				assertRefused(t, c.args(out, caOut), "writing "+broken+" "+bad)
				data, err := os.ReadFile(good)
				require.NoError(t, err)
				assert.Equal(t, "old\n", string(data), "the other output is untouched")
				info, err := os.Stat(good)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
				assert.Equal(t, before, listDir(t, dir), "no temporary file left")
			})
		}
	}
}

// A write error says what the system said (it once printed "<nil>").
func TestCertsWriteErrorCarriesTheOSError(t *testing.T) {
	f := newFixture(t)
	for _, c := range outputCases(f) {
		for _, tc := range []struct {
			flag, why string
			path      func(dir string) string
		}{
			{"-o", syscall.ENOTDIR.Error(), func(dir string) string { return unwritable(t, dir) }},
			{"--ca-out", syscall.ENOTDIR.Error(), func(dir string) string { return unwritable(t, dir) }},
			{"-o", syscall.ENOENT.Error(), func(dir string) string { return filepath.Join(dir, "missing", "out.yaml") }},
			{"--ca-out", syscall.ENOENT.Error(), func(dir string) string { return filepath.Join(dir, "missing", "ca.yaml") }},
		} {
			t.Run(c.name+" "+tc.flag+" "+tc.why, func(t *testing.T) {
				dir := t.TempDir()
				bad := tc.path(dir)
				out, caOut := bad, filepath.Join(dir, "ok.yaml")
				if tc.flag == "--ca-out" {
					out, caOut = filepath.Join(dir, "ok.yaml"), bad
				}
				assertRefused(t, c.args(out, caOut), "writing "+tc.flag+" "+bad+": ", tc.why)
			})
		}
	}
}

// An output that is a directory is refused before the work.
func TestCertsRefusesADirectoryAsOutput(t *testing.T) {
	f := newFixture(t)
	for _, c := range outputCases(f) {
		for _, flag := range []string{"-o", "--ca-out"} {
			t.Run(c.name+" "+flag, func(t *testing.T) {
				dir := t.TempDir()
				out, caOut := dir, filepath.Join(dir, "ca.yaml")
				if flag == "--ca-out" {
					out, caOut = filepath.Join(dir, "tls.yaml"), dir
				}
				assertRefused(t, c.args(out, caOut), flag+" "+dir+" is a directory")
				assert.Empty(t, listDir(t, dir))
			})
		}
	}
}
