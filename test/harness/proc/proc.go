// Package proc runs the real servers of the test tiers: as an unprivileged user (PostgreSQL
// refuses root, and a server running as root would hide permission faults), in their own process
// group, and killed with the test process if it dies.
package proc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// User is who servers and the scripts around them run as.
type User struct {
	Name     string
	UID, GID int
	switched bool // true when the test runs as root and must drop to this user
}

// Unprivileged is the current user, or, when the tests run as root (as in CI), the first of the
// named system users that exists (Debian's packages create "postgres" and "redis"), else "nobody".
func Unprivileged(preferred ...string) (User, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return User{}, err
		}
		return User{Name: u.Username, UID: os.Getuid(), GID: os.Getgid()}, nil
	}
	for _, name := range append(preferred, "nobody") {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return User{Name: name, UID: uid, GID: gid, switched: true}, nil
	}
	return User{}, fmt.Errorf("running as root and none of the users %v exists to drop to", append(preferred, "nobody"))
}

// Command is exec.Command run as u, in a process group of its own.
func (u User) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if u.switched {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID), Groups: []uint32{uint32(u.GID)}}
	}
	return cmd
}

// Daemon is a long-running process.
type Daemon struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start starts cmd as a daemon. The kernel kills it if the test process dies (PR_SET_PDEATHSIG):
// the signal follows the thread that started the child, so that thread is locked and kept until
// the child exits.
func Start(cmd *exec.Cmd) (*Daemon, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	d := &Daemon{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(d.done)
			return
		}
		started <- nil
		d.err = cmd.Wait()
		close(d.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return d, nil
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Exited reports whether the daemon has exited.
func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Stop sends sig to the daemon's process group, waits up to grace for it to exit, then kills the
// group. It returns the daemon's exit error, if any.
func (d *Daemon) Stop(sig syscall.Signal, grace time.Duration) error {
	if d.Exited() {
		return d.err
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, sig)
	select {
	case <-d.done:
	case <-time.After(grace):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
	return d.err
}

// FreePort returns a TCP port free on the loopback interface.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitFor polls ready until it returns nil, the daemon exits, or the timeout passes.
func (d *Daemon) WaitFor(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if d.Exited() {
			return fmt.Errorf("exited before it was ready: %v", d.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
