package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeEngine stands in for bin/central-config in a copy of the repository:
// it logs as the engine does (JSON lines), then runs until SIGTERM (exit 0)
// or, with FAKE_EXIT set, exits with it on its own.
const fakeEngine = `#!/usr/bin/env bash
trap 'echo "{\"time\":\"2026-12-04T22:00:09.000Z\",\"level\":\"INFO\",\"msg\":\"shutting down\"}"; exit 0' TERM
echo '{"time":"2026-12-04T22:00:00.000Z","level":"INFO","msg":"central-config engine started","version":"dev","address":"http://127.0.0.1:7080","sources":1}'
echo '{"time":"2026-12-04T22:00:01.000Z","level":"DEBUG","msg":"http request","method":"GET","path":"/central-config/entities","status":200}'
echo '{"time":"2026-12-04T22:00:02.000Z","level":"INFO","msg":"sync finished","source":"example","run":1,"outcome":"succeeded","revision":"4d190060af94765c7df8335a4170567809a4c579","trigger":"startup","duration_ms":55,"entities":91,"locations":0,"added":91,"changed":0,"removed":0,"file_errors":0}'
echo '{"time":"2026-12-04T22:00:03.000Z","level":"INFO","msg":"Backstage does not answer yet","url":"http://localhost:7007/api/events/http/central-config"}'
echo '{"time":"2026-12-04T22:00:04.000Z","level":"WARN","msg":"cannot read","source":"example","error":"a \"quoted\" reason"}'
echo '{"time":"2026-12-04T22:00:05.000Z","level":"ERROR","msg":"kafka topology","cluster":"eu-1","route":"/central-config/kafka/topology","remote":"10.0.0.7:9092","attempt":2}'
touch "$FAKE_READY"
if [ -n "${FAKE_EXIT:-}" ]; then exit "$FAKE_EXIT"; fi
while :; do sleep 0.1; done
`

// fakeSetup stands in for backstage/scripts/setup.sh: a yarn install that
// takes long.
const fakeSetup = `#!/usr/bin/env bash
echo "backstage setup: installing"
sleep 60
`

// runScript runs scripts/run.sh --engine-only in a copy of the repository
// with the fake engine, in a process group of its own as a terminal would;
// interrupt sends SIGINT to that group (Ctrl-C) once the engine is up.
func runScript(t *testing.T, fakeExit string, interrupt bool) (code int, out string, root string) {
	return runScriptWith(t, fakeExit, interrupt, false)
}

// runScriptWith is runScript, with withBackstage: run.sh without
// --engine-only, with the fake setup.
func runScriptWith(t *testing.T, fakeExit string, interrupt, withBackstage bool) (code int, out string, root string) {
	t.Helper()
	for _, tool := range []string{"bash", "git", "setsid", "tee", "awk", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	// SIGINT ignored by whoever started the test would be ignored by the
	// script too (a shell cannot trap what it inherits ignored): catch it
	// here meanwhile, so the script starts with the default.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)

	root = t.TempDir()
	for _, f := range []string{"scripts/run.sh", "scripts/example-repo.sh"} {
		data, err := os.ReadFile(filepath.Join("../..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(root, "examples/central-config"), os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/central-config"), []byte(fakeEngine), 0o755); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(root, "ready")
	args := []string{filepath.Join(root, "scripts/run.sh"), "--engine-only"}
	if withBackstage {
		args = args[:1]
		if err := os.MkdirAll(filepath.Join(root, "backstage/scripts"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "backstage/scripts/setup.sh"), []byte(fakeSetup), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	var buf bytes.Buffer
	cmd := exec.Command("bash", args...)
	cmd.Env = append(os.Environ(), "FAKE_READY="+ready, "FAKE_EXIT="+fakeExit)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	if interrupt {
		for {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			select {
			case <-deadline:
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("the fake engine never started:\n%s", buf.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(300 * time.Millisecond) // the script reaches its wait
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
	case <-deadline:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("run.sh did not stop:\n%s", buf.String())
	}
	return cmd.ProcessState.ExitCode(), buf.String(), root
}

func TestRunScriptCtrlCStopsCleanlyWithExitZero(t *testing.T) {
	code, out, root := runScript(t, "", true)
	if code != 0 {
		t.Fatalf("exit %d after Ctrl-C and a clean stop, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		"logs:          .data/logs/engine.log\n",
		"engine    22:00:00 central-config engine started address=http://127.0.0.1:7080\n",
		"engine    22:00:02 sync finished source=example run=1 outcome=succeeded revision=4d190060af94 entities=91 locations=0 added=91 changed=0 removed=0 file_errors=0\n",
		`engine    22:00:04 WARN cannot read source=example error=a \"quoted\" reason` + "\n",
		// Every field of a warning or an error.
		"engine    22:00:05 ERROR kafka topology cluster=eu-1 route=/central-config/kafka/topology remote=10.0.0.7:9092 attempt=2\n",
		"stopped (engine exited 0); full logs: .data/logs/\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, out)
		}
	}
	// The terminal keeps to what a user needs; the log has every line.
	for _, noise := range []string{"http request", "does not answer yet", "shutting down"} {
		if strings.Contains(out, noise) {
			t.Errorf("the terminal shows %q:\n%s", noise, out)
		}
	}
	log, err := os.ReadFile(filepath.Join(root, ".data/logs/engine.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"msg":"http request"`, `"msg":"sync finished"`, `"msg":"shutting down"`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("engine.log lacks %s:\n%s", want, log)
		}
	}
}

func TestRunScriptFailsWhenTheEngineExitsOnItsOwn(t *testing.T) {
	code, out, _ := runScript(t, "3", false)
	if code != 1 || !strings.Contains(out, "engine exited on its own (exit 3); see .data/logs/") {
		t.Fatalf("exit %d, want 1 naming the engine's exit:\n%s", code, out)
	}
}

func TestRunScriptStopsWhileBackstageInstallsWhenTheEngineDies(t *testing.T) {
	start := time.Now()
	code, out, _ := runScriptWith(t, "3", false, true)
	if code != 1 || !strings.Contains(out, "engine exited on its own (exit 3); the last lines of .data/logs/engine.log:") {
		t.Fatalf("exit %d, want 1 naming the engine's exit:\n%s", code, out)
	}
	// The log's tail, and not after the install (the fake one takes 60 s).
	if !strings.Contains(out, `"msg":"kafka topology"`) {
		t.Errorf("the terminal lacks the end of engine.log:\n%s", out)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("took %s: the dead engine was noticed only after the install", elapsed)
	}
	if !strings.Contains(out, "backstage setup exited") {
		t.Errorf("the install was not stopped:\n%s", out)
	}
}
