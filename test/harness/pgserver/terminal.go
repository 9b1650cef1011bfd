package pgserver

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// scriptTimeout bounds an init script: one that waits for input (psql asking a terminal for a
// password, say) fails the start instead of hanging the tests.
const scriptTimeout = 2 * time.Minute

// runScript runs an init script to completion and returns its output. With terminal, the script
// gets a pseudo-terminal as its controlling terminal, stdin, stdout and stderr, as a container
// started with `docker run -it` or `kubectl run -it` has one; otherwise it has none, as in a pod.
func runScript(cmd *exec.Cmd, terminal bool) (string, error) {
	var out bytes.Buffer
	var copied chan struct{}
	if terminal {
		master, slave, err := openTerminal()
		if err != nil {
			return "", err
		}
		defer master.Close()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		// A session of its own, whose controlling terminal is the pseudo-terminal (fd 0).
		// Setsid makes it its process group's leader: setpgid would then fail.
		cmd.SysProcAttr.Setpgid = false
		cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, true, 0
		if err := cmd.Start(); err != nil {
			slave.Close()
			return "", err
		}
		slave.Close()
		copied = make(chan struct{})
		go func() {
			// Ends with EIO once no process holds the terminal any more.
			_, _ = io.Copy(&out, master)
			close(copied)
		}()
	} else {
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			return "", err
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(scriptTimeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = fmt.Errorf("still running after %s (waiting for input?), killed", scriptTimeout)
	}
	if copied != nil {
		select {
		case <-copied:
		case <-time.After(5 * time.Second):
		}
	}
	return out.String(), err
}

// openTerminal opens a pseudo-terminal: the master side, which the caller reads, and the slave
// side, a terminal device for the child.
func openTerminal() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("a pseudo-terminal: %w", err)
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the pseudo-terminal: %w", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("the pseudo-terminal's number: %w", errno)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
