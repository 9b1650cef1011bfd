package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// output is one file a command writes, and the flag that named it.
type output struct {
	flag, path string
	data       []byte
}

// sameFile tells whether two paths name the same file: the same cleaned absolute path (after
// the symbolic links of whatever exists of it), or, when both exist, the same file
// (os.SameFile: hard links, symbolic links, case-insensitive file systems).
func sameFile(a, b string) bool {
	if resolve(a) == resolve(b) {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// resolve is the absolute, cleaned path with the symbolic links resolved as far as the path
// exists (a file about to be created in a linked directory resolves through the directory).
func resolve(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// checkOutputs refuses two outputs that are one file, an output that is one of the inputs
// (when the command does not mean to replace its inputs), and an output that is a directory.
func checkOutputs(outs []output, inputs []string) error {
	var errs []error
	for i, o := range outs {
		if o.path == "" {
			continue
		}
		if info, err := os.Stat(o.path); err == nil && info.IsDir() {
			errs = append(errs, fmt.Errorf("%s %s is a directory: give a file name", o.flag, o.path))
		}
		for _, p := range outs[:i] {
			if p.path != "" && sameFile(p.path, o.path) {
				errs = append(errs, fmt.Errorf("%s and %s name the same file (%s, %s): one would replace the other; give two different files", p.flag, o.flag, p.path, o.path))
			}
		}
		for _, in := range inputs {
			if in != "-" && sameFile(in, o.path) {
				errs = append(errs, fmt.Errorf("%s %s is the input file -f %s: give another file, or the input would be lost", o.flag, o.path, in))
			}
		}
	}
	return errors.Join(errs...)
}

// writeFiles writes every output, or none: each goes to a new temporary file (mode 0600, as
// they hold private keys) in its target's directory and is synced; only when all are written are
// they renamed over their targets, so a failure leaves every target as it was and removes the
// temporary files. A target that is a symbolic link is written through: the file it points to
// is replaced, the link stays.
func writeFiles(outs []output) (err error) {
	type staged struct{ tmp, target string }
	var done []staged
	defer func() {
		if err != nil {
			for _, s := range done {
				os.Remove(s.tmp)
			}
		}
	}()
	for _, o := range outs {
		target := o.path
		if real, err := filepath.EvalSymlinks(o.path); err == nil {
			target = real
		}
		tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
		if err != nil {
			return fmt.Errorf("writing %s %s: %w", o.flag, o.path, err)
		}
		done = append(done, staged{tmp.Name(), target})
		_, err = tmp.Write(o.data)
		if err == nil {
			err = tmp.Chmod(0o600) // CreateTemp's mode already, whatever the umask; said once more
		}
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s %s: %w", o.flag, o.path, err)
		}
	}
	for i, s := range done {
		if err := os.Rename(s.tmp, s.target); err != nil {
			// Only a change since the checks (the target replaced by a directory) gets here; the
			// targets renamed before stay written.
			for _, left := range done[i:] {
				os.Remove(left.tmp)
			}
			done = nil
			return fmt.Errorf("writing %s %s: %w", outs[i].flag, outs[i].path, err)
		}
		syncDir(filepath.Dir(s.target))
	}
	return nil
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
