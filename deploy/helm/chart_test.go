package helm_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/central-config/central-config/internal/config"
	"github.com/central-config/central-config/internal/store/migrations"
)

var update = flag.Bool("update", false, "rewrite deploy/kubernetes/central-config.yaml from the chart")

// The files the chart's alerts and the Kubernetes manifests are kept equal to.
const (
	alertsFile    = "../prometheus/alerts.yaml"
	chartAlerts   = chartDir + "/files/alerts.yaml"
	k8sValues     = "../kubernetes/values.yaml"
	k8sManifests  = "../kubernetes/central-config.yaml"
	engineUser    = 65532
	enginePort    = 7080
	dataDir       = "/var/lib/central-config"
	githubAppFile = "/etc/central-config-github-app/private-key.pem"
)

// secretRef is a Secret's name and key.
type secretRef struct{ name, key string }

// valueSet is a set of values and what the rendered chart must hold for it.
type valueSet struct {
	name     string
	values   string
	replicas int32
	// client is the database the engine is configured with.
	client string
	// env is every environment variable of the engine, each from its
	// Secret's key, as the values name them.
	env map[string]secretRef
	// githubAppKey is the Secret key mounted as the GitHub App's private
	// key file, if any.
	githubAppKey *secretRef
	// monitoring: a ServiceMonitor and a PrometheusRule are rendered.
	monitoring bool
	// persistent: the data path is a PersistentVolumeClaim.
	persistent bool
	// preStop is the seconds of the container's preStop sleep.
	preStop int64
}

func valueSets(t *testing.T) []valueSet {
	k8s, err := os.ReadFile(k8sValues)
	if err != nil {
		t.Fatal(err)
	}
	return []valueSet{
		{
			name:     "defaults",
			replicas: 2,
			preStop:  5,
			client:   "pg",
			env: map[string]secretRef{
				"CENTRAL_CONFIG_DATABASE_URL": {"central-config", "database-url"},
				"CENTRAL_CONFIG_TOKEN":        {"central-config", "server-token"},
			},
		},
		{
			name: "GitHub App on GitHub Enterprise, Kafka discovery, monitoring, 3 replicas",
			values: `
replicaCount: 3
image: {repository: ghcr.io/acme/central-config, tag: "1.2.0", digest: "sha256:` + strings.Repeat("ab", 32) + `"}
secrets:
  databaseUrl: {name: engine-db, key: url}
  serverToken: {name: engine, key: api-token}
  webhookSecret: {name: engine, key: webhook}
  notifyToken: {name: backstage-tokens, key: engine}
  githubAppPrivateKey: {name: github-app, key: key.pem}
  extraEnv:
    - {env: KAFKA_PASSWORD, name: kafka-user, key: password}
centralConfig:
  sources:
    - id: platform
      github: {owner: acme, repo: platform-config, branch: main, apiBaseUrl: "https://ghe.acme.example/api/v3/"}
    - id: teams
      git:
        url: https://ghe.acme.example/acme/teams.git
        app: {appId: 654321, installationId: 42, privateKey: {$file: ` + githubAppFile + `}}
  notify:
    backstage: {url: "http://backstage:7007/api/events/http/central-config"}
  kafka:
    discovery:
      clusters:
        - name: events
          bootstrapServers: ["kafka:9093"]
          sasl: {mechanism: SCRAM-SHA-512, username: central-config, password: "${KAFKA_PASSWORD}"}
integrations:
  github:
    - host: ghe.acme.example
      apiBaseUrl: https://ghe.acme.example/api/v3
      apps:
        - appId: 123456
          privateKey: {$file: ` + githubAppFile + `}
metrics:
  serviceMonitor: {enabled: true, labels: {release: kube-prometheus-stack}}
  prometheusRule: {enabled: true, labels: {release: kube-prometheus-stack}}
podDisruptionBudget: {minAvailable: "50%"}
preStopSleepSeconds: 10
`,
			replicas: 3,
			preStop:  10,
			client:   "pg",
			env: map[string]secretRef{
				"CENTRAL_CONFIG_DATABASE_URL": {"engine-db", "url"},
				"CENTRAL_CONFIG_TOKEN":        {"engine", "api-token"},
				"GITHUB_WEBHOOK_SECRET":       {"engine", "webhook"},
				"BACKSTAGE_NOTIFY_TOKEN":      {"backstage-tokens", "engine"},
				"KAFKA_PASSWORD":              {"kafka-user", "password"},
			},
			githubAppKey: &secretRef{"github-app", "key.pem"},
			monitoring:   true,
		},
		{
			name: "SQLite, one replica, a git source, persistent",
			values: `
replicaCount: 1
database: {client: sqlite}
secrets:
  databaseUrl: {name: ""}
  githubToken: {name: engine, key: github-token}
persistence: {enabled: true, storageClass: fast, size: 5Gi}
centralConfig:
  sources:
    - id: platform
      git: {url: "https://github.com/acme/platform-config.git", token: "${GITHUB_TOKEN}"}
`,
			replicas: 1,
			client:   "sqlite",
			preStop:  5,
			env: map[string]secretRef{
				"CENTRAL_CONFIG_TOKEN": {"central-config", "server-token"},
				"GITHUB_TOKEN":         {"engine", "github-token"},
			},
			persistent: true,
		},
		{
			name:     "deploy/kubernetes/values.yaml",
			values:   string(k8s),
			replicas: 2,
			preStop:  5,
			client:   "pg",
			env: map[string]secretRef{
				"CENTRAL_CONFIG_DATABASE_URL": {"central-config", "database-url"},
				"CENTRAL_CONFIG_TOKEN":        {"central-config", "server-token"},
				"GITHUB_TOKEN":                {"central-config", "github-token"},
				"GITHUB_WEBHOOK_SECRET":       {"central-config", "github-webhook-secret"},
			},
		},
	}
}

func TestTheChartRendersObjectsThatFitTogether(t *testing.T) {
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			files, err := render(vs.values)
			if err != nil {
				t.Fatalf("helm template: %v", err)
			}
			checkObjects(t, vs, decode(t, files))
		})
	}
}

// checkObjects checks what a user of the value set relies on.
func checkObjects(t *testing.T, vs valueSet, o objects) {
	t.Helper()
	wantPDBs, wantPVCs, wantMonitors := 0, 0, 0
	if vs.replicas > 1 {
		wantPDBs = 1
	}
	if vs.persistent {
		wantPVCs = 1
	}
	if vs.monitoring {
		wantMonitors = 1
	}
	if len(o.deployments) != 1 || len(o.services) != 1 || len(o.configMaps) != 1 || len(o.pdbs) != wantPDBs ||
		len(o.pvcs) != wantPVCs || len(o.serviceMonitors) != wantMonitors || len(o.prometheusRules) != wantMonitors {
		t.Fatalf("want 1 Deployment, Service and ConfigMap, %d PodDisruptionBudget, %d PersistentVolumeClaim, %d ServiceMonitor and PrometheusRule; got %d, %d, %d, %d, %d, %d, %d",
			wantPDBs, wantPVCs, wantMonitors, len(o.deployments), len(o.services), len(o.configMaps), len(o.pdbs), len(o.pvcs), len(o.serviceMonitors), len(o.prometheusRules))
	}
	d, svc, cm := o.deployments[0], o.services[0], o.configMaps[0]
	pod := d.Spec.Template

	if d.Spec.Replicas == nil || *d.Spec.Replicas != vs.replicas {
		t.Errorf("the Deployment runs %v replicas, want %d", d.Spec.Replicas, vs.replicas)
	}
	if d.Spec.Selector == nil || !matches(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, pod.Labels)
	}
	if !matches(svc.Spec.Selector, pod.Labels) {
		t.Errorf("the Service's selector %v does not select the engine's pods %v", svc.Spec.Selector, pod.Labels)
	}
	for _, pdb := range o.pdbs {
		if pdb.Spec.Selector == nil || !matches(pdb.Spec.Selector.MatchLabels, pod.Labels) {
			t.Errorf("the PodDisruptionBudget's selector %v does not select the engine's pods %v", pdb.Spec.Selector, pod.Labels)
		}
		// The disruption controller rounds a percentage up.
		kept, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(vs.replicas), true)
		if err != nil || kept < 1 || kept >= int(vs.replicas) {
			t.Errorf("minAvailable %v (%d of %d, %v) must keep a replica serving and still let a node drain", pdb.Spec.MinAvailable, kept, vs.replicas, err)
		}
		if p := pdb.Spec.UnhealthyPodEvictionPolicy; p == nil || *p != policyv1.AlwaysAllow {
			t.Errorf("unhealthyPodEvictionPolicy %v: a pod that is not ready must not hold a node drain up", p)
		}
	}
	checkStrategy(t, vs, d)
	checkSecurity(t, pod.Spec)

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	port := checkPorts(t, c, svc, pod.Annotations)
	checkLifecycle(t, vs, c, pod.Spec)
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("set cpu and memory requests and a memory limit: %+v", c.Resources)
	}

	appConfig := mountedConfig(t, c, pod.Spec, cm)
	used := checkEnv(t, vs, c, appConfig)
	files := checkKeyFiles(t, vs, c, pod.Spec, appConfig)
	cfg := loadEngineConfig(t, appConfig, used, files)
	checkConfig(t, vs, cfg, c, pod.Spec, port)

	for _, sm := range o.serviceMonitors {
		checkServiceMonitor(t, sm, svc, port)
	}
	for _, rule := range o.prometheusRules {
		checkPrometheusRule(t, rule)
	}
}

// checkStrategy: PostgreSQL rolls one new pod at a time with none
// unavailable; SQLite stops the old pod first (one process per file).
func checkStrategy(t *testing.T, vs valueSet, d *appsv1.Deployment) {
	t.Helper()
	s := d.Spec.Strategy
	switch vs.client {
	case "pg":
		if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil || s.RollingUpdate.MaxUnavailable == nil ||
			s.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			t.Errorf("on PostgreSQL the Deployment must roll with maxUnavailable 0: %+v", s)
		}
	case "sqlite":
		if s.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("on SQLite two engines must never share the file: strategy %s, want Recreate", s.Type)
		}
	}
	if vs.persistent && s.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("a ReadWriteOnce claim attaches to one node: strategy %s, want Recreate", s.Type)
	}
	// A new pod may wait the whole migration lock timeout for another
	// replica's migration, then migrate itself: the rollout must not be
	// declared failed meanwhile.
	if want := int32((migrations.LockTimeout + migrationMargin).Seconds()); d.Spec.ProgressDeadlineSeconds == nil || *d.Spec.ProgressDeadlineSeconds < want {
		t.Errorf("progressDeadlineSeconds %v, want at least %d (the migration lock timeout %s and %s to migrate)",
			d.Spec.ProgressDeadlineSeconds, want, migrations.LockTimeout, migrationMargin)
	}
}

// migrationMargin is what the chart allows a migration to take once a
// pod holds the lock.
const migrationMargin = 5 * time.Minute

// checkLifecycle: a stopping pod sleeps vs.preStop seconds before SIGTERM,
// within its grace period with the engine's 30 s shutdown.
func checkLifecycle(t *testing.T, vs valueSet, c corev1.Container, spec corev1.PodSpec) {
	t.Helper()
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != vs.preStop {
		t.Errorf("want a preStop sleep of %d s: %+v", vs.preStop, c.Lifecycle)
		return
	}
	if grace := *spec.TerminationGracePeriodSeconds; grace < vs.preStop+30 {
		t.Errorf("terminationGracePeriodSeconds %d: the preStop sleep (%d s) and the engine's shutdown (30 s) do not fit", grace, vs.preStop)
	}
}

// checkSecurity: the image's non-root user, a read-only root file system,
// no capabilities, the runtime's seccomp profile.
func checkSecurity(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != engineUser ||
		sc.RunAsGroup == nil || *sc.RunAsGroup != engineUser || sc.FSGroup == nil || *sc.FSGroup != engineUser {
		t.Errorf("the pod must run as the image's user %d, non-root, with fsGroup %d: %+v", engineUser, engineUser, sc)
	}
	if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("the pod's seccomp profile must be RuntimeDefault: %+v", sc)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("the engine calls no Kubernetes API: do not mount a service account token")
	}
	for _, c := range spec.Containers {
		csc := c.SecurityContext
		if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem || csc.AllowPrivilegeEscalation == nil ||
			*csc.AllowPrivilegeEscalation || csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("container %s: read-only root, no privilege escalation, drop ALL capabilities: %+v", c.Name, csc)
		}
	}
}

// checkPorts checks the probes, the Service and the scrape annotations
// reach the container's port http, which must be the engine's.
func checkPorts(t *testing.T, c corev1.Container, svc *corev1.Service, annotations map[string]string) corev1.ContainerPort {
	t.Helper()
	i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "http" })
	if i < 0 {
		t.Fatalf("the container has no port named http: %+v", c.Ports)
	}
	port := c.Ports[i]
	if port.ContainerPort != enginePort {
		t.Errorf("container port %d, the image exposes %d", port.ContainerPort, enginePort)
	}
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
	if got, ok := annotations["prometheus.io/port"]; ok && got != strconv.Itoa(int(port.ContainerPort)) {
		t.Errorf("prometheus.io/port %q, want %d", got, port.ContainerPort)
	}
	return port
}

// mountedConfig returns the app-config the container's --config names: a
// key of the ConfigMap, mounted where the argument says.
func mountedConfig(t *testing.T, c corev1.Container, spec corev1.PodSpec, cm *corev1.ConfigMap) string {
	t.Helper()
	args := append(slices.Clone(c.Command), c.Args...)
	i := slices.Index(args, "--config")
	if i < 0 || i+1 >= len(args) || args[len(args)-1] != "serve" {
		t.Fatalf("the container must run central-config --config FILE serve: %q", args)
	}
	configPath := args[i+1]
	for _, vm := range c.VolumeMounts {
		key, ok := strings.CutPrefix(configPath, vm.MountPath+"/")
		if !ok {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && cm.Data[key] != "" {
				return cm.Data[key]
			}
		}
	}
	t.Fatalf("%s is not a key of ConfigMap %s mounted into the container", configPath, cm.Name)
	return ""
}

// checkEnv checks the container's environment is exactly the value set's
// Secret references, and that the config uses each variable and no other.
// It returns the variables.
func checkEnv(t *testing.T, vs valueSet, c corev1.Container, appConfig string) map[string]bool {
	t.Helper()
	got := map[string]secretRef{}
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s must come from a Secret (valueFrom.secretKeyRef), not a literal value", e.Name)
			continue
		}
		got[e.Name] = secretRef{e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key}
	}
	if !reflect.DeepEqual(got, vs.env) {
		t.Errorf("the container's secret environment is %v, want %v", got, vs.env)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(appConfig, -1) {
		used[m[1]] = true
		if _, ok := got[m[1]]; !ok {
			t.Errorf("the config uses ${%s}, which the container's environment does not set", m[1])
		}
	}
	for name := range got {
		if !used[name] {
			t.Errorf("the container sets %s, which the config does not use", name)
		}
	}
	return used
}

// checkKeyFiles checks every { $file: PATH } of the config reads a key of
// a Secret mounted into the container, the value set's GitHub App key, and
// returns the files with the Secret each comes from.
func checkKeyFiles(t *testing.T, vs valueSet, c corev1.Container, spec corev1.PodSpec, appConfig string) map[string]secretRef {
	t.Helper()
	mounted := map[string]secretRef{}
	for _, vm := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			if !vm.ReadOnly {
				t.Errorf("the Secret volume %s must be mounted read-only", v.Name)
			}
			if mode := v.Secret.DefaultMode; mode == nil || *mode&0o007 != 0 {
				t.Errorf("the Secret volume %s must not be readable by others: defaultMode %s", v.Name, fmtMode(mode))
			}
			for _, item := range v.Secret.Items {
				mounted[vm.MountPath+"/"+item.Path] = secretRef{v.Secret.SecretName, item.Key}
			}
		}
	}
	var doc any
	if err := yaml.Unmarshal([]byte(appConfig), &doc); err != nil {
		t.Fatalf("the app-config is not YAML: %v", err)
	}
	files := map[string]secretRef{}
	for _, p := range fileReferences(doc) {
		ref, ok := mounted[p]
		if !ok {
			t.Errorf("the config reads { $file: %s }, which is no mounted Secret key (mounted: %v)", p, mounted)
			continue
		}
		files[p] = ref
	}
	var wantFiles map[string]secretRef
	if vs.githubAppKey != nil {
		wantFiles = map[string]secretRef{githubAppFile: *vs.githubAppKey}
	}
	if !reflect.DeepEqual(files, wantFiles) && (len(files) > 0 || len(wantFiles) > 0) {
		t.Errorf("the config reads the Secret files %v, want %v", files, wantFiles)
	}
	return files
}

func fmtMode(mode *int32) string {
	if mode == nil {
		return "unset (0644)"
	}
	return fmt.Sprintf("%#o", *mode)
}

// fileReferences returns the paths of every { $file: PATH } in v.
func fileReferences(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if p, ok := v["$file"].(string); ok && len(v) == 1 {
			return []string{p}
		}
		for _, x := range v {
			out = append(out, fileReferences(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, fileReferences(x)...)
		}
	}
	return out
}

// loadEngineConfig loads the app-config as serve does, with each variable
// set to a dummy value and each $file where the container has it: the
// files are written under a temporary directory (an RSA private key, as a
// GitHub App's) and the config's paths moved there.
func loadEngineConfig(t *testing.T, appConfig string, vars map[string]bool, files map[string]secretRef) *config.Config {
	t.Helper()
	root := t.TempDir()
	for p := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), privateKeyPEM(t), 0o600); err != nil {
			t.Fatal(err)
		}
		appConfig = strings.ReplaceAll(appConfig, p, filepath.Join(root, p))
	}
	path := filepath.Join(root, "app-config.yaml")
	if err := os.WriteFile(path, []byte(appConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings bytes.Buffer
	log := slog.New(slog.NewTextHandler(&warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.Load([]string{path}, func(name string) (string, bool) {
		if vars[name] {
			return dummy(name), true
		}
		return "", false
	}, log)
	if err != nil {
		t.Fatalf("the engine refuses the ConfigMap's app-config.yaml: %v\n%s", err, appConfig)
	}
	if warnings.Len() > 0 {
		t.Errorf("loading the config warned:\n%s", warnings.String())
	}
	return cfg
}

func dummy(name string) string { return "dummy-" + strings.ToLower(name) }

func privateKeyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// checkConfig checks the loaded config against the pod: the database, the
// listen address, writable paths, and the secrets the chart writes.
func checkConfig(t *testing.T, vs valueSet, cfg *config.Config, c corev1.Container, spec corev1.PodSpec, port corev1.ContainerPort) {
	t.Helper()
	if cfg.Database.Client != vs.client {
		t.Errorf("database.client is %q, want %q", cfg.Database.Client, vs.client)
	}
	switch vs.client {
	case "pg":
		if got := cfg.Database.Connection.Reveal(); got != dummy("CENTRAL_CONFIG_DATABASE_URL") {
			t.Errorf("database.connection is %q, want the URL from the Secret", got)
		}
	case "sqlite":
		checkWritable(t, "database.connection", filepath.Dir(cfg.Database.Connection.Reveal()), c, spec, vs.persistent)
	}
	host, listenPort, err := net.SplitHostPort(cfg.Server.Listen)
	if err != nil || listenPort != strconv.Itoa(int(port.ContainerPort)) || host != "0.0.0.0" {
		t.Errorf("server.listen %q must listen on all interfaces on the container port %d", cfg.Server.Listen, port.ContainerPort)
	}
	checkWritable(t, "cacheDir", cfg.CacheDir, c, spec, vs.persistent)
	if vs.githubAppKey != nil {
		checkAppKeysParsed(t, cfg)
	}
	for variable, value := range map[string]string{
		"CENTRAL_CONFIG_TOKEN":   cfg.Server.Token.Reveal(),
		"GITHUB_WEBHOOK_SECRET":  cfg.Webhooks.GitHub.Secret.Reveal(),
		"BACKSTAGE_NOTIFY_TOKEN": cfg.Notify.Backstage.Token.Reveal(),
	} {
		want := ""
		if _, ok := vs.env[variable]; ok {
			want = dummy(variable)
		}
		if value != want {
			t.Errorf("the config's value for %s is %q, want %q", variable, value, want)
		}
	}
}

// checkAppKeysParsed checks the engine read the GitHub App's key from the
// mounted file and parsed it, for the integration's app and the source's.
func checkAppKeysParsed(t *testing.T, cfg *config.Config) {
	t.Helper()
	var apps int
	for _, in := range cfg.Integrations.GitHub {
		for _, a := range in.Apps {
			apps++
			if a.Key == nil {
				t.Errorf("integrations.github (%s) app %d: the private key was not read", in.Host, a.AppID)
			}
		}
	}
	for _, s := range cfg.Sources {
		if s.Git != nil && s.Git.App != nil {
			apps++
			if s.Git.App.Key == nil {
				t.Errorf("source %s: the app's private key was not read", s.ID)
			}
		}
	}
	if apps != 2 {
		t.Errorf("want the integration's app and the source's, got %d apps", apps)
	}
}

// checkWritable checks dir is on the data volume: a PersistentVolumeClaim
// when persistent, else an emptyDir (the root file system is read-only).
func checkWritable(t *testing.T, key, dir string, c corev1.Container, spec corev1.PodSpec, persistent bool) {
	t.Helper()
	if dir != dataDir && !strings.HasPrefix(dir, dataDir+"/") {
		t.Errorf("%s %q is not under the data path %s", key, dir, dataDir)
	}
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != dataDir {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == vm.Name && !vm.ReadOnly && (persistent && v.PersistentVolumeClaim != nil || !persistent && v.EmptyDir != nil) {
				return
			}
		}
	}
	t.Errorf("%s %q: %s must be a writable volume (persistent %v)", key, dir, dataDir, persistent)
}

// checkServiceMonitor: Prometheus scrapes /metrics on the Service's port,
// under the job the alerts expect.
func checkServiceMonitor(t *testing.T, sm *monitoringv1.ServiceMonitor, svc *corev1.Service, port corev1.ContainerPort) {
	t.Helper()
	if !matches(sm.Spec.Selector.MatchLabels, svc.Labels) {
		t.Errorf("the ServiceMonitor's selector %v does not select the Service %v", sm.Spec.Selector.MatchLabels, svc.Labels)
	}
	if job := svc.Labels[sm.Spec.JobLabel]; job != "central-config" {
		t.Errorf("the ServiceMonitor's job is %q (the Service's label %q): the alerts' up{job=\"central-config\"} would not see it", job, sm.Spec.JobLabel)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Path != "/metrics" || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name || svc.Spec.Ports[0].TargetPort.StrVal != port.Name {
		t.Errorf("the ServiceMonitor must scrape /metrics on the Service's port %s: %+v", svc.Spec.Ports[0].Name, sm.Spec.Endpoints)
	}
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("the ServiceMonitor lacks the labels of metrics.serviceMonitor.labels: %v", sm.Labels)
	}
}

// checkPrometheusRule: the rule holds deploy/prometheus/alerts.yaml, as it is.
func checkPrometheusRule(t *testing.T, rule *monitoringv1.PrometheusRule) {
	t.Helper()
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var want monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(raw, &want); err != nil {
		t.Fatalf("%s as a PrometheusRule's spec: %v", alertsFile, err)
	}
	if len(want.Groups) == 0 || len(want.Groups[0].Rules) == 0 {
		t.Fatalf("%s holds no rules", alertsFile)
	}
	if !reflect.DeepEqual(rule.Spec, want) {
		t.Errorf("the PrometheusRule's spec differs from %s", alertsFile)
	}
	if rule.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("the PrometheusRule lacks the labels of metrics.prometheusRule.labels: %v", rule.Labels)
	}
}

// TestTheChartsAlertsAreTheRepositorysAlerts: Helm reads only files inside
// the chart, so the chart carries a copy of deploy/prometheus/alerts.yaml;
// this keeps it a copy.
func TestTheChartsAlertsAreTheRepositorysAlerts(t *testing.T) {
	want, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(chartAlerts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s: cp deploy/prometheus/alerts.yaml deploy/helm/%s", chartAlerts, alertsFile, chartAlerts)
	}
}

// TestHelmLintIsClean runs Helm's linter (what `helm lint --strict` runs)
// for each value set: no warning, no error.
func TestHelmLintIsClean(t *testing.T) {
	for _, vs := range valueSets(t) {
		t.Run(vs.name, func(t *testing.T) {
			values := map[string]any{}
			if err := yaml.Unmarshal([]byte(vs.values), &values); err != nil {
				t.Fatal(err)
			}
			for _, m := range lintStrict(chartDir, values) {
				t.Errorf("helm lint --strict: %s", m)
			}
		})
	}
}

// lintStrict returns what `helm lint --strict` fails on: every message of
// severity warning or error.
func lintStrict(dir string, values map[string]any) []support.Message {
	var out []support.Message
	for _, m := range lint.RunAll(dir, values, "platform").Messages {
		if m.Severity >= support.WarningSev {
			out = append(out, m)
		}
	}
	return out
}

// TestHelmLintHasTeeth: the lint above fails on a chart with a template
// whose YAML is indented at the top (a warning of helm lint).
func TestHelmLintHasTeeth(t *testing.T) {
	dir := filepath.Join(t.TempDir(), chartDir)
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	broken := "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n"
	if err := os.WriteFile(filepath.Join(dir, "templates", "broken.yaml"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if len(lintStrict(dir, nil)) == 0 {
		t.Fatal("helm lint --strict accepts a template indented at the top")
	}
}

// TestTheChartRefusesValuesThatCannotWork: values that would start an
// engine that does not work, or drop a secret in silence, and misspelt
// values (values.schema.json) are an error naming the key.
func TestTheChartRefusesValuesThatCannotWork(t *testing.T) {
	for values, want := range map[string]string{
		"database: {client: sqlite}":                                  "replicaCount 2: SQLite allows one replica",
		"database: {client: mysql}":                                   "at '/database/client': value must be one of 'pg', 'sqlite'",
		"podDisruptionBudget: {minAvailable: 2}":                      "podDisruptionBudget.minAvailable 2 keeps 2 of 2 replicas, which would block every node drain",
		"podDisruptionBudget: {minAvailable: '2'}":                    "podDisruptionBudget.minAvailable 2 keeps 2 of 2 replicas",
		"podDisruptionBudget: {minAvailable: '100%'}":                 "podDisruptionBudget.minAvailable 100% keeps 2 of 2 replicas",
		"podDisruptionBudget: {minAvailable: '51%'}":                  "podDisruptionBudget.minAvailable 51% keeps 2 of 2 replicas",
		"podDisruptionBudget: {minAvailable: 'half'}":                 "at '/podDisruptionBudget/minAvailable'",
		"persistence: {enabled: true}":                                "persistence.enabled with replicaCount 2: replicas on different nodes cannot share one ReadWriteOnce claim",
		"startupProbe: {failureTreshold: 3}":                          "at '/startupProbe': additional properties 'failureTreshold' not allowed",
		"livenessProbe: {httpGet: {path: /other}}":                    "at '/livenessProbe': additional properties 'httpGet' not allowed",
		"resources: {limit: {memory: 1Gi}}":                           "at '/resources': additional properties 'limit' not allowed",
		"securityContext: {readOnlyRootFileSystem: true}":             "at '/securityContext': additional properties 'readOnlyRootFileSystem' not allowed",
		"podSecurityContext: {fsgroup: 1000}":                         "at '/podSecurityContext': additional properties 'fsgroup' not allowed",
		"replicas: 3":                                                 "at '': additional properties 'replicas' not allowed",
		"secrets: {serverToken: {name: x, kee: y}}":                   "at '/secrets/serverToken': additional properties 'kee' not allowed",
		"secrets: {databaseUrl: {name: ''}}":                          "secrets.databaseUrl.name: database.client pg needs the Secret",
		"centralConfig: {database: {client: sqlite}}":                 "centralConfig.database: the chart sets this key",
		"centralConfig: {cacheDir: /cache}":                           "centralConfig.cacheDir: the chart sets this key",
		"centralConfig: {server: {listen: '127.0.0.1:7080'}}":         "centralConfig.server.listen: the chart sets this key",
		"centralConfig: {server: {token: '${CENTRAL_CONFIG_TOKEN}'}}": "centralConfig.server.token: the chart sets this key (from its Secret central-config, key server-token)",
		"secrets: {githubToken: {name: gh, key: token}}":              "the Secret gh (key token) is set as ${GITHUB_TOKEN}, which neither centralConfig nor integrations uses",
		"centralConfig: {sources: [{id: a, github: {owner: o, repo: r, branch: main, token: '${GH}'}}]}": "the config uses ${GH}, which no secret sets",
		"secrets: {githubAppPrivateKey: {name: app, key: pem}}":                                          "secrets.githubAppPrivateKey is mounted as " + githubAppFile + ", which neither centralConfig nor integrations references",
		"secrets: {extraEnv: [{env: 'not a name', name: s, key: k}]}":                                    `secrets.extraEnv[0].env: "not a name" is not an environment variable name`,
	} {
		_, err := render(values)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("values %s: want an error containing %q, got %v", values, want, err)
		}
	}
	// No secret value may reach the ConfigMap: the error names the key,
	// never the value.
	for values, want := range map[string]string{
		"centralConfig: {server: {token: s3cr3t-value}}":                                                                                                            "centralConfig.server.token: a secret written in the values",
		"centralConfig: {sources: [{id: a, github: {owner: o, repo: r, branch: main, token: s3cr3t-value}}]}":                                                       "centralConfig.sources[0].github.token: a secret",
		"centralConfig: {kafka: {discovery: {clusters: [{name: k, bootstrapServers: ['k:9092'], sasl: {mechanism: PLAIN, username: u, password: s3cr3t-value}}]}}}": "centralConfig.kafka.discovery.clusters[0].sasl.password: a secret",
		"centralConfig: {webhooks: {github: {secret: s3cr3t-value}}}":                                                                                               "centralConfig.webhooks.github.secret: a secret",
		"integrations: {github: [{host: github.com, token: s3cr3t-value}]}":                                                                                         "integrations.github[0].token: a secret",
		"integrations: {github: [{host: github.com, apps: [{appId: 1, privateKey: '-----BEGIN s3cr3t-value'}]}]}":                                                   "integrations.github[0].apps[0].privateKey: a secret",
		"integrations: {github: [{host: github.com, apps: [{appId: 1, clientSecret: s3cr3t-value, privateKey: {$file: /k.pem}}]}]}":                                 "integrations.github[0].apps[0].clientSecret: a secret",
		"integrations: {github: [{host: github.com, apps: [{appId: 1, privateKey: {$file: '" + githubAppFile + "'}}]}]}":                                            "integrations.github[0].apps[0].privateKey.$file: " + githubAppFile + " is the GitHub App key's mount, which secrets.githubAppPrivateKey.name is not set",
	} {
		_, err := render(values)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("values %s: want an error containing %q, got %v", values, want, err)
		} else if strings.Contains(err.Error(), "s3cr3t-value") {
			t.Errorf("values %s: the error shows the secret: %v", values, err)
		}
	}
	// An escaped $${...} is text for the engine, not a variable.
	if _, err := render("centralConfig: {sources: [{id: a, git: {url: 'https://example.com/r.git', branch: '$${literal}'}}]}"); err != nil {
		t.Errorf("an escaped $${literal} must pass: %v", err)
	}
}

// TestTheKubernetesManifestsAreTheRenderedChart: deploy/kubernetes holds the
// chart rendered with deploy/kubernetes/values.yaml, for kubectl apply
// without Helm. -update (make manifests) rewrites it.
func TestTheKubernetesManifestsAreTheRenderedChart(t *testing.T) {
	values, err := os.ReadFile(k8sValues)
	if err != nil {
		t.Fatal(err)
	}
	files, err := render(string(values))
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("# Generated from the Helm chart deploy/helm/central-config with\n" +
		"# deploy/kubernetes/values.yaml (release central-config): edit those and run\n" +
		"#   make manifests\n" +
		"# The Secret central-config must exist first (see values.yaml).\n")
	for _, name := range names {
		b.WriteString("---\n# Source: central-config/" + name + "\n")
		b.WriteString(strings.TrimLeft(files[name], "\n"))
		if !strings.HasSuffix(files[name], "\n") {
			b.WriteString("\n")
		}
	}
	if *update {
		if err := os.WriteFile(k8sManifests, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(k8sManifests)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != b.String() {
		t.Errorf("%s is not the chart rendered with %s: run make manifests", k8sManifests, k8sValues)
	}
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
