// Package proctest runs a server as a test's child process: the kernel
// kills it if the test binary dies first, and Stop ends it the way an
// orchestrator does (SIGTERM, then SIGKILL). The engine's tests
// (enginetest) and the Backstage integration tests start their servers
// with it.
package proctest

import (
	"os/exec"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// Process is a started child process.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	// exited is set, after err, when the process has exited.
	exited atomic.Bool
	err    error
}

// Start starts cmd, which the kernel kills (SIGKILL) if the test binary
// dies first.
func Start(cmd *exec.Cmd) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	p := &Process{cmd: cmd, done: make(chan struct{})}
	// The kernel sends Pdeathsig when the thread that started the child
	// ends, not the process: the goroutine that starts the child keeps
	// its thread until the child exits. On a shared thread, another
	// goroutine could lock it later and end it (pgtest does, when a
	// restarted PostgreSQL stops), killing the child mid-test.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			p.err = cmd.Wait()
		}
		p.exited.Store(true)
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Stop ends the process with SIGTERM (a graceful shutdown), SIGKILL after
// grace; it returns once the process has exited, and whether it had to
// be killed. Calling it again does nothing.
func (p *Process) Stop(grace time.Duration) (killed bool) {
	if p.Exited() {
		return false
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return false
	case <-time.After(grace):
		p.Kill()
		return true
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool { return p.exited.Load() }

// Err is how the process ended (exec.Cmd.Wait's error); nil while it
// runs.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }
