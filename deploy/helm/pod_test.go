package helm_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/store/pgtest"
)

// TestTheDefaultPodsRunOnAnEmptyPostgreSQL runs the chart's default pods
// as Kubernetes would, without Kubernetes: the engine built from this
// checkout, the container's arguments and environment (each Secret key a
// value), the ConfigMap's file where the pod mounts it and its volumes in
// a temporary directory, against a fresh database of a real PostgreSQL.
// Like the container, the engine runs as the image's user (when the test
// runs as root) in a working directory and HOME it cannot write, so that a
// write outside the pod's volumes fails the test. Both replicas start at
// once on the empty database (they take turns at the migrations), each
// probe of the Deployment answers 200 within the Deployment's own budget
// for it, and both stop cleanly on SIGTERM within the pod's grace period.
func TestTheDefaultPodsRunOnAnEmptyPostgreSQL(t *testing.T) {
	files, err := render("")
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, files)
	d, cm := o.deployments[0], o.configMaps[0]
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	root := podRoot(t)
	bin := buildEngine(t, root)
	secrets := map[secretRef]string{
		{"central-config", "database-url"}: pgtest.Start(t).URL("helm_default_pods"),
		{"central-config", "server-token"}: "a-token-for-the-test",
	}
	env := podEnv(t, c, secrets)
	args := podArgs(t, c, cm, root)
	env = append(env, "HOME="+root, "TMPDIR="+filepath.Join(root, "tmp"))

	// The kubelet gives the startup probe period × failureThreshold; the
	// rollout waits progressDeadlineSeconds for the pod to be ready.
	budgets := map[*corev1.Probe]time.Duration{
		c.StartupProbe:   time.Duration(c.StartupProbe.PeriodSeconds*c.StartupProbe.FailureThreshold) * time.Second,
		c.LivenessProbe:  time.Duration(c.LivenessProbe.PeriodSeconds*c.LivenessProbe.FailureThreshold) * time.Second,
		c.ReadinessProbe: time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second,
	}
	replicas := int(*d.Spec.Replicas)
	engines := make([]*replica, replicas)
	for i := range engines {
		engines[i] = startEngine(t, bin, root, args, env)
	}
	for i, e := range engines {
		for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
			if err := e.waitFor200(p.HTTPGet.Path, budgets[p]); err != nil {
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

// engineCredential is the image's user, as whom the engine runs when the test
// runs as root.
var engineCredential = &syscall.Credential{Uid: engineUser, Gid: engineUser}

// podRoot is the directory the pod's file system is laid out under: the
// engine's working directory and HOME, which it may read and not write.
func podRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	// The engine's user must reach root's files; t.TempDir's parent is
	// private to the test's user.
	for _, dir := range []string{filepath.Dir(root), root} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// buildEngine builds the engine's binary from this checkout into dir, with
// the Go toolchain that runs this test: go test puts its own GOROOT/bin
// first on the test's PATH (since Go 1.19), so "go" is that toolchain.
func buildEngine(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "central-config")
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
		dir := filepath.Join(root, vm.MountPath)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if !vm.ReadOnly {
			// A writable volume: the engine's own (fsGroup).
			chownToEngine(t, dir)
		}
		if vm.Name != "config" {
			continue
		}
		for key, text := range cm.Data {
			// A ConfigMap's files are readable by the pod (mode 0644).
			if err := os.WriteFile(filepath.Join(dir, key), []byte(move(text)), 0o644); err != nil {
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

// chownToEngine gives dir to the engine's user, when the test can.
func chownToEngine(t *testing.T, dir string) {
	t.Helper()
	if os.Getuid() != 0 {
		return
	}
	if err := os.Chown(dir, int(engineCredential.Uid), int(engineCredential.Gid)); err != nil {
		t.Fatal(err)
	}
}

// replica is one running engine process, as one pod runs it.
type replica struct {
	addr string
	logs *logtest.Buffer
	cmd  *exec.Cmd
	// exited is closed when the process has ended, with waitErr set.
	exited  chan struct{}
	waitErr error
}

// startEngine runs the engine with the container's arguments in the
// working directory root, listening on a port of its choice instead of the
// container's (--listen wins over the config's server.listen), which it
// logs, so that replicas and other tests do not collide.
func startEngine(t *testing.T, bin, root string, args, env []string) *replica {
	t.Helper()
	e := &replica{logs: &logtest.Buffer{}, exited: make(chan struct{})}
	e.cmd = exec.Command(bin, append(args, "--listen", "127.0.0.1:0")...)
	e.cmd.Dir = root
	e.cmd.Env, e.cmd.Stdout, e.cmd.Stderr = env, e.logs, e.logs
	if os.Getuid() == 0 {
		// As the container: the image's user, who cannot write root.
		e.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: engineCredential}
	}
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
	if err := e.waitForAddress(); err != nil {
		t.Fatalf("%v\n%s", err, e.logs.String())
	}
	return e
}

// listening is the engine's first log line that names its address.
var listening = regexp.MustCompile(`"address":"http://([^"]+)"`)

// waitForAddress reads the engine's address from its log: it listens (and
// logs where) before it opens the database.
func (e *replica) waitForAddress() error {
	for range 600 {
		if m := listening.FindStringSubmatch(e.logs.String()); m != nil {
			e.addr = m[1]
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("the engine exited before it listened: %w", e.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("the engine logged no address within a minute")
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
