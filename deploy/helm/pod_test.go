package helm_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/central-config/central-config/internal/store/pgtest"
)

// TestTheDefaultPodsRunOnAnEmptyPostgreSQL runs the chart's default pods
// as Kubernetes would, without Kubernetes: the engine built from this
// checkout, the container's arguments and environment (each Secret key a
// value), the ConfigMap's file where the pod mounts it and its volumes in
// a temporary directory, against a fresh database of a real PostgreSQL.
// Both replicas start at once on the empty database (they take turns at
// the migrations), every probe of the Deployment answers 200 on each, and
// both stop cleanly on SIGTERM within the pod's grace period.
func TestTheDefaultPodsRunOnAnEmptyPostgreSQL(t *testing.T) {
	files, err := render("")
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, files)
	d, cm := o.deployments[0], o.configMaps[0]
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	bin := buildEngine(t)
	secrets := map[secretRef]string{
		{"central-config", "database-url"}: pgtest.Start(t).URL("helm_default_pods"),
		{"central-config", "server-token"}: "a-token-for-the-test",
	}
	root := t.TempDir()
	env := podEnv(t, c, secrets)
	args := podArgs(t, c, cm, root)

	replicas := int(*d.Spec.Replicas)
	engines := make([]*replica, replicas)
	for i := range engines {
		engines[i] = startEngine(t, bin, args, env)
	}
	for i, e := range engines {
		for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
			if err := e.waitFor200(p.HTTPGet.Path, 5*time.Minute); err != nil {
				t.Fatalf("replica %d: %v\n%s", i+1, err, e.logs.String())
			}
		}
	}
	grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	for i, e := range engines {
		if !strings.Contains(e.logs.String(), `"msg":"central-config engine started"`) || !strings.Contains(e.logs.String(), `"database":"pg"`) {
			t.Errorf("replica %d did not log that it started on PostgreSQL:\n%s", i+1, e.logs.String())
		}
		if err := e.stop(grace); err != nil {
			t.Errorf("replica %d: %v\n%s", i+1, err, e.logs.String())
		}
	}
}

// buildEngine builds the engine's binary from this checkout.
func buildEngine(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "central-config")
	build := exec.Command("go", "build", "-o", bin, "./cmd/central-config")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/central-config: %v\n%s", err, out)
	}
	return bin
}

// podEnv is the container's environment, each secretKeyRef resolved from
// secrets.
func podEnv(t *testing.T, c corev1.Container, secrets map[secretRef]string) []string {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, e := range c.Env {
		ref := e.ValueFrom.SecretKeyRef
		value, ok := secrets[secretRef{ref.Name, ref.Key}]
		if !ok {
			t.Fatalf("%s comes from Secret %s, key %s, which the test does not have", e.Name, ref.Name, ref.Key)
		}
		env = append(env, e.Name+"="+value)
	}
	return env
}

// podArgs writes the ConfigMap's files where the container mounts them,
// under root, with every mount path of the pod moved under root, and
// returns the container's arguments with the config's path moved too.
func podArgs(t *testing.T, c corev1.Container, cm *corev1.ConfigMap, root string) []string {
	t.Helper()
	// One pass, longest mount path first, so that a path is moved once.
	mounts := slices.SortedFunc(slices.Values(c.VolumeMounts), func(a, b corev1.VolumeMount) int {
		return len(b.MountPath) - len(a.MountPath)
	})
	var pairs []string
	for _, vm := range mounts {
		pairs = append(pairs, vm.MountPath, filepath.Join(root, vm.MountPath))
	}
	move := strings.NewReplacer(pairs...).Replace
	for _, vm := range c.VolumeMounts {
		if err := os.MkdirAll(filepath.Join(root, vm.MountPath), 0o700); err != nil {
			t.Fatal(err)
		}
		if vm.Name != "config" {
			continue
		}
		for key, text := range cm.Data {
			if err := os.WriteFile(filepath.Join(root, vm.MountPath, key), []byte(move(text)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = move(a)
	}
	return args
}

// logBuffer collects a process's output; the test reads it while the
// process writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// replica is one running engine process, as one pod runs it.
type replica struct {
	addr string
	logs *logBuffer
	cmd  *exec.Cmd
	// exited is closed when the process has ended, with waitErr set.
	exited  chan struct{}
	waitErr error
}

// startEngine runs the engine with the container's arguments, listening on
// a free loopback port instead of the container's (--listen wins over the
// config's server.listen), so that replicas and other tests do not collide.
func startEngine(t *testing.T, bin string, args, env []string) *replica {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &replica{addr: ln.Addr().String(), logs: &logBuffer{}, exited: make(chan struct{})}
	_ = ln.Close()
	e.cmd = exec.Command(bin, append(args, "--listen", e.addr)...)
	e.cmd.Env, e.cmd.Stdout, e.cmd.Stderr = env, e.logs, e.logs
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		e.waitErr = e.cmd.Wait()
		close(e.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-e.exited:
		default:
			_ = e.cmd.Process.Kill()
			<-e.exited
		}
	})
	return e
}

// waitFor200 polls GET path until it answers 200 (a 503 while the engine
// migrates), the process ends, or within passes.
func (e *replica) waitFor200(path string, within time.Duration) error {
	client := &http.Client{Timeout: 6 * time.Second}
	deadline := time.Now().Add(within)
	for {
		resp, err := client.Get("http://" + e.addr + path)
		if err == nil {
			_ = resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return nil
			case http.StatusNotFound:
				return fmt.Errorf("GET %s: 404, the engine does not serve it", path)
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-e.exited:
			return fmt.Errorf("the engine exited before GET %s answered 200: %w", path, e.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s: no 200 within %s: %w", path, within, err)
		}
	}
}

// stop sends SIGTERM, as Kubernetes stops a pod, and waits for a clean exit.
func (e *replica) stop(grace time.Duration) error {
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-e.exited:
		if e.waitErr != nil {
			return fmt.Errorf("after SIGTERM, want exit status 0: %w", e.waitErr)
		}
		return nil
	case <-time.After(grace):
		return fmt.Errorf("still running %s after SIGTERM, the pod's grace period", grace)
	}
}
