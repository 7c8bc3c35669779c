// Package deploy_test checks the example deployment files in deploy/: the
// Kubernetes manifests against the real Kubernetes API types, and the
// engine configuration they carry against the engine's own config loader.
// (The Prometheus rules are checked against a running engine in
// cmd/central-config/alerts_test.go, the GitHub Actions workflow in
// cmd/central-config/workflow_test.go.)
package deploy_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/central-config/central-config/internal/config"
)

// manifests are the objects of every YAML document in deploy/kubernetes.
type manifests struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	configMaps  []*corev1.ConfigMap
	pdbs        []*policyv1.PodDisruptionBudget
}

// loadManifests decodes each document strictly into its API type: an
// unknown or misspelt field, a duplicate key or a wrong value type is an
// error, as kubectl apply --validate=strict would report.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes: %v", err)
	}
	var m manifests
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(raw) {
			where := fmt.Sprintf("%s, document %d", file, i+1)
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var obj any
			switch meta.APIVersion + " " + meta.Kind {
			case "apps/v1 Deployment":
				d := &appsv1.Deployment{}
				m.deployments, obj = append(m.deployments, d), d
			case "v1 Service":
				s := &corev1.Service{}
				m.services, obj = append(m.services, s), s
			case "v1 ConfigMap":
				c := &corev1.ConfigMap{}
				m.configMaps, obj = append(m.configMaps, c), c
			case "policy/v1 PodDisruptionBudget":
				p := &policyv1.PodDisruptionBudget{}
				m.pdbs, obj = append(m.pdbs, p), p
			default:
				t.Fatalf("%s: %s %s is not a kind this test knows; add it", where, meta.APIVersion, meta.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s (%s): %v", where, meta.Kind, err)
			}
		}
	}
	return m
}

// splitDocuments splits a YAML stream at its "---" lines, dropping
// documents that hold only comments.
func splitDocuments(raw []byte) [][]byte {
	var out [][]byte
	for doc := range bytes.SplitSeq(raw, []byte("\n---")) {
		content := false
		for line := range strings.SplitSeq(string(doc), "\n") {
			if l := strings.TrimSpace(line); l != "" && l != "---" && !strings.HasPrefix(l, "#") {
				content = true
				break
			}
		}
		if content {
			out = append(out, doc)
		}
	}
	return out
}

func TestTheKubernetesManifestsAreValidAndFitTogether(t *testing.T) {
	m := loadManifests(t)
	if len(m.deployments) != 1 || len(m.services) != 1 || len(m.configMaps) != 1 || len(m.pdbs) != 1 {
		t.Fatalf("want one Deployment, Service, ConfigMap and PodDisruptionBudget; got %d, %d, %d, %d",
			len(m.deployments), len(m.services), len(m.configMaps), len(m.pdbs))
	}
	d, svc, cm, pdb := m.deployments[0], m.services[0], m.configMaps[0], m.pdbs[0]
	pod := d.Spec.Template

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("the engine Deployment runs %v replicas, want 2", d.Spec.Replicas)
	}
	if d.Spec.Selector == nil || !matches(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, pod.Labels)
	}
	if !matches(svc.Spec.Selector, pod.Labels) || pdb.Spec.Selector == nil || !matches(pdb.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("the Service (%v) and the PodDisruptionBudget (%v) must select the engine's pods %v", svc.Spec.Selector, pdb.Spec.Selector, pod.Labels)
	}
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || pdb.Spec.MinAvailable.IntValue() >= int(*d.Spec.Replicas) {
		t.Errorf("minAvailable %v must keep a replica serving and still let a node drain", pdb.Spec.MinAvailable)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	port := containerPort(t, c, "http")

	// Probes: liveness on /healthz, readiness on /readyz, on the API port.
	for name, p := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{"startupProbe": {c.StartupProbe, "/healthz"}, "livenessProbe": {c.LivenessProbe, "/healthz"}, "readinessProbe": {c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s must be an httpGet probe", name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || !samePort(p.probe.HTTPGet.Port, port) {
			t.Errorf("%s: GET %s on %s, want %s on port %s (%d)", name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path, port.Name, port.ContainerPort)
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.TimeoutSeconds <= 5 {
		t.Errorf("readinessProbe timeout %d s: /readyz may take its full 5 s when the database is slow", c.ReadinessProbe.TimeoutSeconds)
	}
	if len(svc.Spec.Ports) != 1 || !samePort(svc.Spec.Ports[0].TargetPort, port) {
		t.Errorf("the Service must target the container's %s port: %+v", port.Name, svc.Spec.Ports)
	}
	if got := pod.Annotations["prometheus.io/port"]; got != strconv.Itoa(int(port.ContainerPort)) {
		t.Errorf("prometheus.io/port %q, want %d", got, port.ContainerPort)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("set cpu and memory requests and a memory limit: %+v", c.Resources)
	}

	// The config file: the --config argument names the ConfigMap's key
	// where the ConfigMap is mounted.
	args := append(slices.Clone(c.Command), c.Args...)
	i := slices.Index(args, "--config")
	if i < 0 || i+1 >= len(args) || args[len(args)-1] != "serve" {
		t.Fatalf("the container must run central-config --config FILE serve: %q", args)
	}
	configPath := args[i+1]
	var mounted bool
	for _, vm := range c.VolumeMounts {
		key, ok := strings.CutPrefix(configPath, vm.MountPath+"/")
		if !ok {
			continue
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && cm.Data[key] != "" {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Fatalf("%s is not a key of ConfigMap %s mounted into the container", configPath, cm.Name)
	}
	appConfig := cm.Data[filepath.Base(configPath)]

	// Every ${VAR} of the config comes from a Secret through the
	// environment, and the environment sets nothing the config does not use.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	used := map[string]bool{}
	for _, match := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(appConfig, -1) {
		used[match[1]] = true
		e, ok := env[match[1]]
		switch {
		case !ok:
			t.Errorf("the config uses ${%s}, which the container's environment does not set", match[1])
		case e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name == "" || e.ValueFrom.SecretKeyRef.Key == "":
			t.Errorf("%s must come from a Secret (valueFrom.secretKeyRef), not a literal value", match[1])
		}
	}
	for name := range env {
		if !used[name] {
			t.Errorf("the container sets %s, which the config does not use", name)
		}
	}

	// The config loads with the engine's own loader, every variable set to
	// a dummy value, without a warning (a warning means a key was dropped).
	cfg := loadEngineConfig(t, appConfig, used)
	if cfg.Database.Client != "pg" {
		t.Errorf("several replicas need PostgreSQL: database.client is %q", cfg.Database.Client)
	}
	host, listenPort, err := net.SplitHostPort(cfg.Server.Listen)
	if err != nil || listenPort != strconv.Itoa(int(port.ContainerPort)) || host == "127.0.0.1" || host == "localhost" {
		t.Errorf("server.listen %q must listen on all interfaces on the container port %d", cfg.Server.Listen, port.ContainerPort)
	}
	if cfg.Server.Token.Reveal() == "" {
		t.Error("set server.token: the Backstage provider acknowledges with it")
	}
	if cfg.CacheDir == "" || !slices.ContainsFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == cfg.CacheDir }) {
		t.Errorf("cacheDir %q must be a mounted volume (the root file system is read-only)", cfg.CacheDir)
	}
	if len(cfg.Sources) == 0 {
		t.Error("the config has no source")
	}
}

// loadEngineConfig writes the app-config to a file and loads it as serve
// does, with each variable set to a dummy value.
func loadEngineConfig(t *testing.T, appConfig string, vars map[string]bool) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app-config.yaml")
	if err := os.WriteFile(path, []byte(appConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings bytes.Buffer
	log := slog.New(slog.NewTextHandler(&warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.Load([]string{path}, func(name string) (string, bool) {
		if vars[name] {
			return "dummy-" + strings.ToLower(name), true
		}
		return "", false
	}, log)
	if err != nil {
		t.Fatalf("the engine refuses the ConfigMap's app-config.yaml: %v", err)
	}
	if warnings.Len() > 0 {
		t.Errorf("loading the config warned:\n%s", warnings.String())
	}
	return cfg
}

func containerPort(t *testing.T, c corev1.Container, name string) corev1.ContainerPort {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("the container has no port named %s", name)
	return corev1.ContainerPort{}
}

// samePort says whether a Service or probe port names or numbers p.
func samePort(ref intstr.IntOrString, p corev1.ContainerPort) bool {
	if ref.Type == intstr.String {
		return ref.StrVal == p.Name
	}
	return ref.IntVal == p.ContainerPort
}

// matches reports whether every label of selector is on labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestStrictDecodingCatchesAMisspeltField makes sure the check above has
// teeth: a typo in a manifest fails it.
func TestStrictDecodingCatchesAMisspeltField(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if err := yaml.UnmarshalStrict(doc, &appsv1.Deployment{}); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("a misspelt field must be an error naming it, got %v", err)
	}
}
