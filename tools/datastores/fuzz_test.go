package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/tools/datastores/certs"
	"github.com/datastores/datastores/tools/datastores/probe"
)

// fuzzTarget is a subcommand, arguments that pass every check, and the flags a fuzz input
// gives a value to.
type fuzzTarget struct {
	base  []string
	flags []string
}

// fuzzSandbox is where the fuzzed commands read and write: copies of their inputs, and the
// directory every relative path a fuzz input names is taken from.
type fuzzSandbox struct {
	root, cwd string
}

// confine keeps a path a fuzz input names inside the sandbox: relative to cwd (three levels
// down, so that "../x" stays inside), and a path that would leave it (absolute, or too many
// "..") becomes its last element there. "" and "-" (stdin) are kept as they are.
func (s fuzzSandbox) confine(p string) string {
	if p == "" || p == "-" {
		return p
	}
	if !filepath.IsAbs(p) {
		if j := filepath.Join(s.cwd, p); strings.HasPrefix(j, s.root+string(filepath.Separator)) {
			return j
		}
	}
	return filepath.Join(s.cwd, filepath.Base(p))
}

// pathFlags take a file name: their fuzzed values are confined to the sandbox.
var pathFlags = map[string]bool{"f": true, "o": true, "ca-out": true, "ca": true, "kubeconfig": true, "chart": true}

func newFuzzSandbox(f *testing.F) (fuzzSandbox, []fuzzTarget) {
	f.Helper()
	root := chart.RepoRoot()
	s := fuzzSandbox{root: f.TempDir()}
	s.cwd = filepath.Join(s.root, "a", "b", "c")
	if err := os.MkdirAll(s.cwd, 0o700); err != nil {
		f.Fatal(err)
	}
	in := func(name string) string { return filepath.Join(s.root, name) }
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		if err == nil {
			err = os.WriteFile(to, data, 0o600)
		}
		if err != nil {
			f.Fatal(err)
		}
	}
	copyFile(filepath.Join(root, "values", "dev.yaml"), in("values.yaml"))
	copyFile(filepath.Join(root, "tools", "datastores", "testdata", "bitnami-redis.yaml"), in("manifests.yaml"))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"certs", "-f", in("values.yaml"), "--release", "test", "-n", "apps", "-o", in("tls.yaml"), "--ca-out", in("ca.yaml")}, nil, &stdout, &stderr); code != 0 {
		f.Fatal(stderr.String())
	}
	if err := os.WriteFile(in("ca.crt"), caCertOf(f, in("ca.yaml")), 0o600); err != nil {
		f.Fatal(err)
	}
	// A command that goes to a cluster finds no kubeconfig, wherever it looks.
	f.Setenv("KUBECONFIG", in("no-kubeconfig"))
	f.Setenv("KUBERNETES_SERVICE_HOST", "")
	kube := in("no-kubeconfig")
	targets := []fuzzTarget{
		{[]string{"audit", "-f", in("manifests.yaml")},
			[]string{"f", "n", "namespace", "kubeconfig", "context", "endpoint", "ca", "format", "fail-under", "cluster-domain", "backup-max-age", "no-wire", "no-exec", "v"}},
		{[]string{"audit", "--kubeconfig", kube},
			[]string{"n", "kubeconfig", "context", "endpoint", "ca", "backup-max-age", "no-wire"}},
		{[]string{"certs", "-f", in("values.yaml"), "--release", "test", "-n", "apps", "-o", in("out.yaml"), "--ca-out", in("ca-out.yaml")},
			[]string{"f", "release", "namespace", "n", "key-algorithm", "days", "ca-days", "ca-out", "o"}},
		{[]string{"certs", "renew", "-f", in("tls.yaml"), "-f", in("ca.yaml"), "-o", in("renewed.yaml"), "--ca-out", in("ca-renewed.yaml")},
			[]string{"f", "key-algorithm", "days", "ca-out", "o"}},
		{[]string{"secrets", "-f", in("values.yaml"), "--release", "test", "-n", "apps", "--chart", filepath.Join(root, "charts", "datastores")},
			[]string{"f", "release", "namespace", "n", "chart", "ca"}},
		{[]string{"expand", "-n", "apps", "--release", "test", "--instance", "app", "--size", "20Gi", "--kubeconfig", kube},
			[]string{"namespace", "n", "release", "instance", "redis", "size", "kubeconfig", "context", "dry-run", "wait"}},
	}
	return s, targets
}

// caCertOf is the certificate of the CA Secret `certs --ca-out` wrote.
func caCertOf(f *testing.F, path string) []byte {
	f.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	secrets, err := certs.Read(data)
	if err != nil || len(secrets) != 1 {
		f.Fatalf("%s: %d Secrets, %v", path, len(secrets), err)
	}
	return secrets[0].Data["tls.crt"]
}

// FuzzCommandFlags gives arbitrary values to every flag of every subcommand, in the two forms
// of the command line (--flag=VALUE, and --flag VALUE where the value is an argument of its own
// and may be taken for a flag), on top of arguments that pass every check. Whatever the value:
// no panic, exit 0, 1 or 2, and a failure says why after the subcommand's name. No cluster is
// contacted (the kubeconfig does not exist) and no file outside a temporary directory is
// written or read besides the repository's chart.
func FuzzCommandFlags(f *testing.F) {
	sandbox, targets := newFuzzSandbox(f)
	old := probe.Timeout
	probe.Timeout = 200 * time.Millisecond // an --endpoint that names a real server's workload is dialled
	f.Cleanup(func() { probe.Timeout = old })

	// Seeds: three of the interesting values per flag, in turn, so that every value meets many
	// flags while the seeds stay well under the fuzz-short budget (-fuzztime 300x counts them).
	interesting := []string{"-1", "0", "99999999999999999999", "../x", "a\nb", "", "ünïcödé ✓", "-h"}
	n := 0
	for ti, t := range targets {
		f.Add(uint8(ti), uint8(0), true, "-h") // the value as an argument of its own
		for fi, name := range t.flags {
			for range 3 {
				f.Add(uint8(ti), uint8(fi), false, interesting[n%len(interesting)])
				n++
			}
			switch name {
			case "endpoint":
				f.Add(uint8(ti), uint8(fi), false, "cache-redis-master=127.0.0.1:1") // a known workload: probed
				f.Add(uint8(ti), uint8(fi), false, "cache-redis-master=[::1]:65536")
			case "days", "ca-days":
				f.Add(uint8(ti), uint8(fi), false, "36500")
			case "ca":
				f.Add(uint8(ti), uint8(fi), false, "../../../ca.crt")  // the CA's certificate: accepted
				f.Add(uint8(ti), uint8(fi), false, "../../../ca.yaml") // the CA's Secret (YAML, not PEM): refused
			case "f":
				f.Add(uint8(ti), uint8(fi), false, "../../../values.yaml")
			case "size":
				f.Add(uint8(ti), uint8(fi), false, "100m")
			}
		}
	}
	f.Fuzz(func(t *testing.T, target, flagIndex uint8, separate bool, value string) {
		tg := targets[int(target)%len(targets)]
		name := tg.flags[int(flagIndex)%len(tg.flags)]
		if pathFlags[name] {
			value = sandbox.confine(value)
		}
		args := append([]string{}, tg.base...)
		if separate {
			args = append(args, dashes(name), value)
		} else {
			args = append(args, dashes(name)+"="+value)
		}
		var stdout, stderr bytes.Buffer
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		if code < 0 || code > 2 {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr.String())
		}
		if code != 0 && !strings.HasPrefix(stderr.String(), "datastores") {
			t.Fatalf("%q: exit %d without a message from datastores on stderr:\n%s", args, code, stderr.String())
		}
		if code != 0 && !strings.HasPrefix(stderr.String(), prefix(args)) {
			t.Fatalf("%q: exit %d, a message not from %q:\n%s", args, code, prefix(args), stderr.String())
		}
	})
}
