package proctest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether process pid runs (a zombie has ended).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// waitGone waits up to 10 seconds for process pid to end, and kills it
// (so that no test leaves it behind) when it has not.
func waitGone(pid int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !alive(pid) {
			return true
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return false
}

func TestStopEndsTheProcessWithSIGTERM(t *testing.T) {
	p, err := Start(exec.Command("sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Exited() || p.Err() != nil {
		t.Fatalf("a running process: Exited %v, Err %v", p.Exited(), p.Err())
	}
	if killed := p.Stop(10 * time.Second); killed {
		t.Error("Stop killed a process that ends on SIGTERM")
	}
	if !p.Exited() || p.Err() == nil || !strings.Contains(p.Err().Error(), "terminated") {
		t.Errorf("after Stop: Exited %v, Err %v; want ended by SIGTERM", p.Exited(), p.Err())
	}
	if killed := p.Stop(10 * time.Second); killed {
		t.Error("a second Stop killed something")
	}
}

func TestStopKillsAProcessThatIgnoresSIGTERMAfterTheGrace(t *testing.T) {
	// An ignored signal stays ignored across exec.
	p, err := Start(exec.Command("sh", "-c", `trap "" TERM; exec sleep 60`))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the trap is set
	start := time.Now()
	if killed := p.Stop(300 * time.Millisecond); !killed {
		t.Errorf("Stop did not kill a process that ignores SIGTERM (Err %v)", p.Err())
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("Stop killed it after %s, before the grace", took)
	}
	if !p.Exited() || p.Err() == nil || !strings.Contains(p.Err().Error(), "killed") {
		t.Errorf("after Stop: Exited %v, Err %v; want killed", p.Exited(), p.Err())
	}
}

// TestAChildOutlivesTheThreadThatCalledStart: the kernel sends Pdeathsig
// when the thread that forked the child ends; the thread of Start's
// caller may end long before the test does (a goroutine that locked it
// and returned), and the child must not die with it.
func TestAChildOutlivesTheThreadThatCalledStart(t *testing.T) {
	var p *Process
	onAThreadThatEnds(func() {
		var err error
		if p, err = Start(exec.Command("sleep", "60")); err != nil {
			t.Error(err)
		}
	})
	if p == nil {
		t.FailNow()
	}
	defer p.Kill()
	time.Sleep(500 * time.Millisecond)
	if p.Exited() {
		t.Fatalf("the child ended with the thread that called Start: %v", p.Err())
	}
}

// onAThreadThatEnds runs f on a thread of its own, which ends when f
// returns.
func onAThreadThatEnds(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Never unlocked: the thread ends with this goroutine.
		runtime.LockOSThread()
		if syscall.Gettid() == syscall.Getpid() {
			// The runtime never ends the main thread: hold it, so that
			// f runs on another.
			onAThreadThatEnds(f)
			runtime.UnlockOSThread()
			return
		}
		f()
	}()
	<-done
}

// TestAChildDiesWithTheTestBinary runs this test binary as a helper that
// starts a child and exits without stopping it: the kernel kills the
// child.
func TestAChildDiesWithTheTestBinary(t *testing.T) {
	if os.Getenv("PROCTEST_HELPER") == "1" {
		p, err := Start(exec.Command("sleep", "60"))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(p.Pid())
		os.Exit(0)
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestAChildDiesWithTheTestBinary$")
	helper.Env = append(os.Environ(), "PROCTEST_HELPER=1")
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if err := helper.Wait(); err != nil {
		t.Fatalf("helper: %v, printed %q", err, line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper printed %q, want the child's pid", line)
	}
	if !waitGone(pid) {
		t.Fatalf("the child %d still ran 10 seconds after the test binary that started it exited", pid)
	}
}
