package pod

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// The chart's default images are Alpine's: their /bin/sh and the tools the chart's scripts call
// (tr, sha256sum, find, cut, sort, cp, chmod, date, ...) are BusyBox applets, which lack options
// that GNU coreutils and dash accept. Pods run with Busybox get a PATH whose first directory holds
// every applet, and "/bin/sh" runs BusyBox's sh, so a script that works here works in the image.

var (
	busyboxOnce sync.Once
	busyboxDir  string
	busyboxErr  error
)

// BusyboxHint is what to run when busybox is missing.
const BusyboxHint = "apt-get install -y busybox"

// Busybox returns a directory of BusyBox applets. It lives at a fixed place in the temporary
// directory and is shared by every test binary: making it again is harmless.
func Busybox() (string, error) {
	busyboxOnce.Do(func() {
		bin, err := exec.LookPath("busybox")
		if err != nil {
			busyboxErr = fmt.Errorf("busybox not found (the default images' userland); install it with: %s", BusyboxHint)
			return
		}
		out, err := exec.Command(bin, "--list").Output()
		if err != nil {
			busyboxErr = fmt.Errorf("busybox --list: %w", err)
			return
		}
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("datastores-busybox-%d", os.Getuid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			busyboxErr = err
			return
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			busyboxErr = err
			return
		}
		for _, applet := range strings.Fields(string(out)) {
			if err := os.Symlink(bin, filepath.Join(dir, applet)); err != nil && !os.IsExist(err) {
				busyboxErr = err
				return
			}
		}
		busyboxDir = dir
	})
	return busyboxDir, busyboxErr
}
