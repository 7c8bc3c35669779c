package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func connect(t *testing.T, url string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return pgx.Connect(ctx, url)
}

func mustExec(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := connect(t, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestStopAndStartKeepData(t *testing.T) {
	t.Setenv(EnvURL, "")
	s := Start(t)
	url := s.URL("faults")
	if other := s.URL("faults"); other == url {
		t.Fatalf("two URL calls gave the same database %s", url)
	}
	mustExec(t, url, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`)
	s.Stop()
	if conn, err := connect(t, url); err == nil {
		_ = conn.Close(context.Background())
		t.Fatal("connected to a stopped server")
	}
	s.Start()
	conn, err := connect(t, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var v int
	if err := conn.QueryRow(t.Context(), `SELECT v FROM kept`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: %d, %v; want 42", v, err)
	}
}

func TestSharedAndRemovedAfterLastUser(t *testing.T) {
	t.Setenv(EnvURL, "")
	var dir string
	var pid int
	t.Run("users", func(t *testing.T) {
		a, b := Start(t), Start(t)
		if a.c != b.c {
			t.Fatal("two Starts got two clusters")
		}
		dir, pid = a.c.dir, a.c.proc.Pid
		// A user that stops the server and ends does not leave it down
		// for the others.
		t.Run("stopper", func(t *testing.T) { Start(t).Stop() })
		mustExec(t, a.URL("after_stopper"), `SELECT 1`)
	})
	if shared != nil || refs != 0 {
		t.Fatalf("after the last user: shared %v, refs %d", shared, refs)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster dir %s still there: %v", dir, err)
	}
	if alive(pid) {
		t.Errorf("postgres %d still running", pid)
	}
}

const crashEnv = "PGTEST_CRASH_HELPER"

// TestHelperCrash is run by TestServerDiesWithTestBinary in a child test
// binary, which it kills without any cleanup.
func TestHelperCrash(t *testing.T) {
	if os.Getenv(crashEnv) == "" {
		return
	}
	s := Start(t)
	fmt.Printf("CLUSTER %d %s\n", s.c.proc.Pid, s.c.dir)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

func TestServerDiesWithTestBinary(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"=1", EnvURL+"=")
	out, _ := cmd.Output() // killed: the error is expected
	var pid int
	var dir string
	for sc := bufio.NewScanner(strings.NewReader(string(out))); sc.Scan(); {
		if _, err := fmt.Sscanf(sc.Text(), "CLUSTER %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the helper printed no cluster:\n%s", out)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	deadline := time.Now().Add(30 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postgres %d outlived its killed test binary", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A test that stops the server is skipped, not failed, when the tests use
// a server of their own (EnvURL): that one is not theirs to stop.
func TestStopSkipsOnAGivenServer(t *testing.T) {
	t.Setenv(EnvURL, "postgres://nobody@127.0.0.1:1/postgres")
	for name, call := range map[string]func(*Server){"Stop": (*Server).Stop, "Start": (*Server).Start} {
		var inner *testing.T
		t.Run(name, func(t *testing.T) {
			inner = t
			call(Start(t))
			t.Error("not skipped")
		})
		if !inner.Skipped() || inner.Failed() {
			t.Errorf("%s on a given server: skipped %v, failed %v", name, inner.Skipped(), inner.Failed())
		}
	}
}
