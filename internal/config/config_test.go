package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/document"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// checkLoadErrors loads each test's content as app-config.yaml, in a
// subtest of its name, and fails it unless Load's error contains want.
func checkLoadErrors(t *testing.T, tests []struct{ name, content, want string }) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "app-config.yaml", tt.content)
			_, err := Load([]string{p}, envOf(nil), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLaterFilesOverrideEarlierOnesKeyByKey(t *testing.T) {
	dir := t.TempDir()
	base := write(t, dir, "app-config.yaml", `
app: {title: Backstage keys are left alone}
centralConfig:
  sources:
    - id: main
      github: {owner: acme, repo: config, branch: main, token: "${GITHUB_TOKEN}"}
      paths: ["catalog/**"]
  limits: {maxFileBytes: 1000, maxDepth: 10}
`)
	local := write(t, dir, "app-config.local.yaml", `
centralConfig:
  limits: {maxDepth: 20}
`)
	cfg, err := Load([]string{base, local}, envOf(map[string]string{"GITHUB_TOKEN": "ghp_secret"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.MaxFileBytes != 1000 || cfg.Limits.MaxDepth != 20 {
		t.Fatalf("limits = %+v; maps merge key by key, later files win", cfg.Limits)
	}
	gh := cfg.Sources[0].GitHub
	if gh.Token.Reveal() != "ghp_secret" || cfg.Sources[0].Paths[0] != "catalog/**" {
		t.Fatalf("source = %+v", cfg.Sources[0])
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	s := Secret("ghp_verysecret")
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", s, "source", GitHubSource{Token: s})
	js, _ := json.Marshal(GitHubSource{Token: s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, GitHubSource{Token: s}, GitHubSource{Token: s}, s, s), string(js), logs.String()} {
		if strings.Contains(out, "verysecret") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "ghp_verysecret" {
		t.Fatal("Reveal must return the value")
	}
}

func TestLoadReportsMistakesWithFileLineAndKeyPath(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"an unknown key", "centralConfig:\n  sources:\n    - id: a\n      dir: {path: x}\n      pathz: []\n", "app-config.yaml:5:7: unknown key centralConfig.sources[0].pathz"},
		{"a wrong type", "centralConfig:\n  limits:\n    maxDepth: deep\n", "app-config.yaml:3:15: centralConfig.limits.maxDepth: must be an integer"},
		{"a wrong type for a boolean", "centralConfig:\n  server:\n    protectReads: yes-please\n", "app-config.yaml:3:19: centralConfig.server.protectReads: must be true or false, not a string"},
		{"two kinds in one source", "centralConfig:\n  sources:\n    - id: a\n      dir: {path: x}\n      git: {url: y}\n", "centralConfig.sources[0]: set exactly one of git, github or dir"},
		{"a bad source id", "centralConfig:\n  sources:\n    - id: A_b\n      dir: {path: x}\n", `centralConfig.sources[0].id: "A_b"`},
		{"a duplicate source id", "centralConfig:\n  sources:\n    - {id: a, dir: {path: x}}\n    - {id: a, dir: {path: y}}\n", `source id "a" is used twice`},
		{"a broken jq rule", "centralConfig:\n  rules:\n    - {id: r, files: ['*'], entity: {kind: '.[' }}\n", "centralConfig.rules[0].entity.kind: invalid jq"},
		{"invalid YAML", "centralConfig:\n  sources: [\n", "app-config.yaml:2"},
	}
	checkLoadErrors(t, tests)
}

// TestANullIsUnsetForAMappingAListOrAnOptionalValue: a null (as an empty
// key leaves) is no value for a mapping, a list or an optional key (a
// pointer), and a mistake naming file, line and key for a string, an
// integer or a boolean.
func TestANullIsUnsetForAMappingAListOrAnOptionalValue(t *testing.T) {
	p := write(t, t.TempDir(), "app-config.yaml", `centralConfig:
  sources:
    - {id: a, dir: {path: x}, paths: null}
  rules: ~
  guard: null
  server:
    readTimeout:
  kafka: {discovery: null}
`)
	cfg, err := Load([]string{p}, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sources[0].Paths != nil || cfg.Rules != nil || cfg.Guard != (Guard{}) || cfg.Server.ReadTimeout != nil || cfg.Kafka.Discovery != nil {
		t.Errorf("paths %v, rules %v, guard %+v, readTimeout %v, discovery %v: want each unset",
			cfg.Sources[0].Paths, cfg.Rules, cfg.Guard, cfg.Server.ReadTimeout, cfg.Kafka.Discovery)
	}
	checkLoadErrors(t, []struct{ name, content, want string }{
		{"a null string", "centralConfig:\n  server:\n    listen: null\n", "app-config.yaml:3:13: centralConfig.server.listen: must be a string, not a null"},
		{"a null integer", "centralConfig:\n  server:\n    maxConnections: ~\n", "app-config.yaml:3:21: centralConfig.server.maxConnections: must be an integer, not a null"},
		{"a null boolean", "centralConfig:\n  server:\n    protectReads: null\n", "app-config.yaml:3:19: centralConfig.server.protectReads: must be true or false, not a null"},
	})
}

func TestSubstitutionFollowsBackstage(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "token.txt", "from-file\n")
	p := write(t, dir, "app-config.yaml", `
centralConfig:
  sources:
    - id: a
      git: {url: "https://${HOST}/org/repo.git", branch: "$${literal}", token: {$file: token.txt}}
    - id: b
      git: {url: "https://example.com/x.git", token: "${UNSET_TOKEN}", username: {$env: GIT_USER}}
`)
	var logs bytes.Buffer
	cfg, err := Load([]string{p}, envOf(map[string]string{"HOST": "git.example.com", "GIT_USER": "bot"}), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Sources[0].Git, cfg.Sources[1].Git
	if a.URL != "https://git.example.com/org/repo.git" || a.Branch != "${literal}" || a.Token.Reveal() != "from-file" {
		t.Fatalf("a = %#v / token %q", a, a.Token.Reveal())
	}
	if b.Token != "" || b.Username != "bot" {
		t.Fatalf("an unset variable leaves the key unset, as in Backstage: %+v", b)
	}
	if !strings.Contains(logs.String(), "UNSET_TOKEN") || !strings.Contains(logs.String(), "centralConfig.sources[1].git.token") {
		t.Fatalf("the unset variable should be logged by name and key: %s", logs.String())
	}
}

func TestDurationsReadBackstageAndISOForms(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"{minutes: 5}", 5 * time.Minute, ""},
		{"{hours: 1, minutes: 30, seconds: 15}", 90*time.Minute + 15*time.Second, ""},
		{"{milliseconds: 250}", 250 * time.Millisecond, ""},
		{"PT5M", 5 * time.Minute, ""},
		{"P1DT12H", 36 * time.Hour, ""},
		{"PT0.5S", 500 * time.Millisecond, ""},
		{"P1W", 7 * 24 * time.Hour, ""},
		{"{months: 1}", 0, "no fixed length"},
		{"{minute: 1}", 0, "unknown duration unit"},
		{"5m", 0, "not an ISO 8601 duration"},
		{"PT", 0, "not an ISO 8601 duration"},
		{"P1M", 0, "not an ISO 8601 duration"},
	}
	for _, tt := range tests {
		docs, d := document.Decode("d.yaml", []byte("d: "+tt.in), document.Limits{})
		if d != nil {
			t.Fatal(d)
		}
		got, err := ParseDuration(docs[0].Root.Get("d"))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.Std() != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.in, got.Std(), err, tt.want)
		}
	}
}

// FuzzLoad loads arbitrary config files: no panic, and every error names
// the file it came from.
func FuzzLoad(f *testing.F) {
	f.Add("centralConfig:\n  sources:\n    - id: a\n      dir: {path: x}\n")
	f.Add("centralConfig: {limits: {maxDepth: 3}, rules: [{id: r, files: ['*'], entity: {a: '.x'}}]}\n")
	f.Add("centralConfig: {sources: [{id: a, git: {url: '${X}', token: {$env: T}}}]}\n")
	f.Add("centralConfig: [1, 2]\n")
	f.Add("integrations: {gitlab: [{host: x}], github: [{host: ghe.example.com, apiBaseUrl: 'https://ghe.example.com/api/v3', token: {$env: T}, apps: [{appId: '12', privateKey: '${T}'}]}]}\n")
	f.Add("centralConfig: {sources: [{id: a, github: {owner: o, repo: r, branch: main, app: {appId: 1, privateKey: {$env: T}}}}]}\n")
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load([]string{p}, envOf(map[string]string{"X": "https://h/x.git", "T": "s3cr3t-fuzz-t0ken"}), nil)
		if err != nil && strings.Contains(err.Error(), "s3cr3t-fuzz-t0ken") && !strings.Contains(content, "s3cr3t-fuzz-t0ken") {
			t.Fatalf("error shows the secret: %v", err)
		}
	})
}

func TestKafkaDiscoveryIsReadWithSecretsFromTheEnvironment(t *testing.T) {
	p := write(t, t.TempDir(), "app-config.yaml", `
centralConfig:
  kafka:
    discovery:
      interval: {minutes: 2}
      timeout: PT5S
      ignoreTopics: ["_schemas", "connect-*"]
      ignoreGroups: ["console-consumer-*"]
      clusters:
        - name: acme-events
          bootstrapServers: ["kafka-0.example.com:9093", "kafka-1.example.com:9093"]
          topicsWithoutCluster: true
          sasl: {mechanism: scram-sha-512, username: central-config, password: "${KAFKA_PASSWORD}"}
          tls: {enabled: true, caFile: /etc/kafka/ca.pem, serverName: kafka.example.com}
        - name: plain
          bootstrapServers: ["localhost:9092"]
`)
	cfg, err := Load([]string{p}, envOf(map[string]string{"KAFKA_PASSWORD": "kafka-pw-secret"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Kafka.Discovery
	if d == nil || d.Interval.Std() != 2*time.Minute || d.Timeout.Std() != 5*time.Second || len(d.Clusters) != 2 ||
		d.IgnoreTopics[1] != "connect-*" || d.IgnoreGroups[0] != "console-consumer-*" {
		t.Fatalf("discovery = %+v", d)
	}
	c := d.Clusters[0]
	if c.Name != "acme-events" || len(c.BootstrapServers) != 2 || !c.TopicsWithoutCluster ||
		c.SASL.Mechanism != "SCRAM-SHA-512" || c.SASL.Username != "central-config" || c.SASL.Password.Reveal() != "kafka-pw-secret" ||
		!c.TLS.Enabled || c.TLS.CAFile != "/etc/kafka/ca.pem" || c.TLS.ServerName != "kafka.example.com" {
		t.Fatalf("cluster = %+v, sasl %+v, tls %+v (the mechanism is normalised to upper case)", c, c.SASL, c.TLS)
	}
	if d.Clusters[1].SASL != nil || d.Clusters[1].TLS != nil {
		t.Fatalf("a cluster without sasl and tls: %+v", d.Clusters[1])
	}
	if out := fmt.Sprintf("%+v %#v", *c.SASL, *c.SASL); strings.Contains(out, "kafka-pw-secret") {
		t.Fatalf("the password prints: %s", out)
	}
	empty, err := Load([]string{write(t, t.TempDir(), "app-config.yaml", "centralConfig: {}\n")}, envOf(nil), nil)
	if err != nil || empty.Kafka.Discovery != nil {
		t.Fatalf("without the key discovery is off: %+v, %v", empty.Kafka, err)
	}
}

func TestKafkaDiscoveryMistakesNameTheKey(t *testing.T) {
	cluster := func(extra string) string {
		return "centralConfig:\n  kafka:\n    discovery:\n      clusters:\n        - {name: prod, bootstrapServers: ['k:9092']" + extra + "}\n"
	}
	tests := []struct {
		name, content, want string
	}{
		{"no clusters", "centralConfig:\n  kafka:\n    discovery: {interval: {minutes: 1}}\n",
			"centralConfig.kafka.discovery.clusters must list at least one cluster"},
		{"a cluster without a name", "centralConfig:\n  kafka:\n    discovery:\n      clusters: [{bootstrapServers: ['k:9092']}]\n",
			"centralConfig.kafka.discovery.clusters[0].name is required"},
		{"a cluster twice", "centralConfig:\n  kafka:\n    discovery:\n      clusters:\n        - {name: a, bootstrapServers: ['k:1']}\n        - {name: a, bootstrapServers: ['k:2']}\n",
			`centralConfig.kafka.discovery.clusters[1].name: cluster "a" is listed twice`},
		{"no bootstrap servers", "centralConfig:\n  kafka:\n    discovery:\n      clusters: [{name: a}]\n",
			"centralConfig.kafka.discovery.clusters[0].bootstrapServers must list at least one host:port"},
		{"a server without a port", "centralConfig:\n  kafka:\n    discovery:\n      clusters: [{name: a, bootstrapServers: [kafka]}]\n",
			`centralConfig.kafka.discovery.clusters[0].bootstrapServers[0]: "kafka" is not host:port`},
		{"a port that is no number", "centralConfig:\n  kafka:\n    discovery:\n      clusters: [{name: a, bootstrapServers: ['kafka:http']}]\n",
			"the port must be a number from 1 to 65535"},
		{"an unknown SASL mechanism", cluster(", sasl: {mechanism: GSSAPI, username: u, password: p}"),
			`centralConfig.kafka.discovery.clusters[0].sasl.mechanism must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, not "GSSAPI"`},
		{"SASL without a username", cluster(", sasl: {mechanism: PLAIN, password: p}"),
			"centralConfig.kafka.discovery.clusters[0].sasl.username is required"},
		{"SASL whose password variable is unset", cluster(", sasl: {mechanism: PLAIN, username: u, password: '${UNSET_KAFKA_PASSWORD}'}"),
			"centralConfig.kafka.discovery.clusters[0].sasl.password is required (an unset ${VAR} leaves it out)"},
		{"a CA file without TLS enabled", cluster(", tls: {caFile: ca.pem}"),
			"centralConfig.kafka.discovery.clusters[0].tls: caFile and serverName need enabled: true"},
		{"a zero interval", "centralConfig:\n  kafka:\n    discovery: {interval: PT0S, clusters: [{name: a, bootstrapServers: ['k:1']}]}\n",
			"centralConfig.kafka.discovery.interval must be longer than 0"},
		{"a star inside an ignore pattern", "centralConfig:\n  kafka:\n    discovery: {ignoreTopics: ['a*b'], clusters: [{name: a, bootstrapServers: ['k:1']}]}\n",
			`centralConfig.kafka.discovery.ignoreTopics[0]: "a*b" must be a name, or a prefix ending in *`},
		{"an unknown key", cluster(", bootstrap: x"), "unknown key centralConfig.kafka.discovery.clusters[0].bootstrap"},
	}
	checkLoadErrors(t, tests)
}

func TestLimitsReachTheDecoderAndTheMapping(t *testing.T) {
	dir := t.TempDir()
	file := write(t, dir, "app-config.yaml", `
centralConfig:
  limits: {maxFileBytes: 1, maxNodes: 2, maxExpandedBytes: 3, maxEntityBytes: 4, maxDepth: 5}
`)
	cfg, err := Load([]string{file}, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := document.Limits{MaxFileBytes: 1, MaxNodes: 2, MaxExpandedBytes: 3, MaxEntityBytes: 4, MaxDepth: 5}
	if got := cfg.Limits.Document(); got != want {
		t.Fatalf("Document() = %+v, want %+v", got, want)
	}
	if got := (Limits{}).Document().WithDefaults(); got != document.DefaultLimits {
		t.Fatalf("unset limits = %+v, want the defaults %+v", got, document.DefaultLimits)
	}
}
