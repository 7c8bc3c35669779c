package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/testrepo"
)

// TestAlertsAndTheMetricsReferenceMatchWhatTheEngineExports runs the
// engine (serve) with every source of metrics live: a dir source with a
// broken file (file errors), a GitHub source on a local fake of the API
// (rate limit), Kafka discovery of an in-process cluster (discovery and
// drift), a catalog acknowledgement and HTTP requests. Then it scrapes
// /metrics and checks that
//   - deploy/prometheus/alerts.yaml is a valid rules file whose every
//     expression parses as PromQL and selects only metrics (and labels)
//     the engine exports, so no alert watches a metric that does not exist;
//   - docs/operations.md documents every central_config_* metric the
//     engine exports and names none that it does not.
func TestAlertsAndTheMetricsReferenceMatchWhatTheEngineExports(t *testing.T) {
	families := scrapeLiveEngine(t)
	var names []string
	for name := range families {
		names = append(names, name)
	}
	slices.Sort(names)
	t.Logf("the engine exports %d metric families", len(names))

	t.Run("alerts", func(t *testing.T) { checkAlerts(t, families) })
	t.Run("operations.md", func(t *testing.T) { checkMetricsReference(t, families) })
	t.Run("dashboard", func(t *testing.T) { checkDashboard(t, families) })
}

// scrapeLiveEngine starts serve as described above and returns its
// /metrics, parsed.
func scrapeLiveEngine(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	kafkaCluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer kafkaCluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafkaCluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if r, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "orders.v1"); err != nil || r.Err != nil {
		t.Fatalf("create topic: %v %v", err, r.Err)
	}
	gh := newFakeGitHubAPI(t)

	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	testrepo.Write(t, repo, map[string]string{
		"kafka/topics.yaml": "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: prod\n" +
			"topics:\n  - {name: orders.v1, cluster: prod, partitions: 1, owner: platform}\n",
		"teams/platform.yaml":  "apiVersion: central-config.io/v1\nteams:\n  - name: platform\n",
		"services/broken.yaml": "apiVersion: central-config.io/v1\nservices: [\n",
	})
	cfg := filepath.Join(dir, "app-config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`centralConfig:
  sources:
    - id: repo
      dir: {path: %q}
    - id: gh
      github: {owner: acme, repo: config, branch: main, token: "${GITHUB_TOKEN}", apiBaseUrl: %q}
  database: {connection: %q}
  cacheDir: %q
  server: {token: "${CENTRAL_CONFIG_TOKEN}"}
  logging: {level: warn, format: json}
  kafka:
    discovery:
      timeout: {seconds: 3}
      clusters:
        - name: prod
          bootstrapServers: [%q]
`, repo, gh.URL+"/", filepath.Join(dir, "engine.db"), filepath.Join(dir, "cache"), kafkaCluster.ListenAddrs()[0])), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_TOKEN": "ghp_dummy", "CENTRAL_CONFIG_TOKEN": "engine-token"}
	addr := enginetest.FreeAddr(t)
	logs := &logtest.Buffer{}
	e := &env{stdout: io.Discard, stderr: logs, configFiles: []string{cfg},
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		log:       slog.New(slog.NewTextHandler(logs, nil))}
	defer startServe(t, e, addr)()

	base := "http://" + addr
	// Drift is served once every source has been read and the cluster
	// discovered: then every kind of metric has its series.
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := get(t, base+"/central-config/kafka/drift")
		if status == http.StatusOK && strings.Contains(string(body), `"state":"ok"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drift after 30 s: %d %s\nlogs:\n%s", status, body, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, body := get(t, base+"/central-config/last-sync")
	var last struct {
		Generation int64 `json:"generation"`
	}
	if err := json.Unmarshal(body, &last); err != nil || last.Generation == 0 {
		t.Fatalf("last-sync: %v %s", err, body)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/central-config/catalog-acks",
		strings.NewReader(fmt.Sprintf(`{"consumer":"backstage","generation":%d}`, last.Generation)))
	req.Header.Set("Authorization", "Bearer engine-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("ack: %v %v", res, err)
	}
	_ = res.Body.Close()

	status, metrics := get(t, base+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// newFakeGitHubAPI answers the GitHub REST calls of the github source for
// acme/config@main (a commit, its tarball through a redirect, as GitHub
// does) with rate limit headers on every API answer.
func newFakeGitHubAPI(t *testing.T) *httptest.Server {
	t.Helper()
	sha := strings.Repeat("ab", 20)
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	team := []byte("apiVersion: central-config.io/v1\nteams:\n  - name: gh-team\n")
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "acme-config-ababab/", Mode: 0o775})
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "acme-config-ababab/teams.yaml", Size: int64(len(team)), Mode: 0o664})
	_, _ = tw.Write(team)
	_ = tw.Close()
	_ = zw.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/codeload/acme-config.tar.gz" {
			_, _ = w.Write(tgz.Bytes())
			return
		}
		h := w.Header()
		h.Set("X-RateLimit-Limit", "5000")
		h.Set("X-RateLimit-Remaining", "4321")
		h.Set("X-RateLimit-Used", "679")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
		switch {
		case strings.HasSuffix(r.URL.Path, "/repos/acme/config/commits/main"):
			h.Set("ETag", `"c1"`)
			if r.Header.Get("If-None-Match") == `"c1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			_, _ = w.Write([]byte(sha))
		case strings.HasSuffix(r.URL.Path, "/repos/acme/config/tarball/"+sha):
			http.Redirect(w, r, srv.URL+"/codeload/acme-config.tar.gz", http.StatusFound)
		default:
			h.Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not Found"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// rulesFile is Prometheus's rule file format; decoding it with known
// fields only catches a misspelt key.
type rulesFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// prometheusSeries are series Prometheus makes itself for every target;
// alerts may use them though the engine does not export them.
var prometheusSeries = map[string]bool{"up": true}

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = map[string]bool{"job": true, "instance": true}

const runbookBase = "https://github.com/central-config/central-config/blob/main/docs/operations.md#"

func checkAlerts(t *testing.T, families map[string]*dto.MetricFamily) {
	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rf rulesFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("alerts.yaml is not a rules file: %v", err)
	}
	ops := readDoc(t, "../../docs/operations.md")
	anchors := headingAnchors(ops)
	if len(rf.Groups) == 0 {
		t.Fatal("alerts.yaml has no groups")
	}
	seen := map[string]bool{}
	promql := parser.NewParser(parser.Options{})
	for _, g := range rf.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: a group needs a name and rules", g.Name)
		}
		for _, r := range g.Rules {
			name := r.Alert
			switch {
			case r.Record != "":
				t.Errorf("%s: this file holds alerts only, found record %q", g.Name, r.Record)
				continue
			case !regexp.MustCompile(`^CentralConfig[A-Za-z0-9]+$`).MatchString(name):
				t.Errorf("alert %q: name it CentralConfig<Something>", name)
			case seen[name]:
				t.Errorf("alert %q is defined twice", name)
			}
			seen[name] = true
			if d, err := model.ParseDuration(r.For); err != nil || d <= 0 {
				t.Errorf("%s: for %q is not a positive Prometheus duration (%v)", name, r.For, err)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("%s: labels.severity %q, want critical, warning or info", name, s)
			}
			for _, key := range []string{"summary", "description", "runbook_url"} {
				v := r.Annotations[key]
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s: annotations.%s is missing", name, key)
					continue
				}
				if err := checkTemplate(v); err != nil {
					t.Errorf("%s: annotations.%s is not a valid template: %v", name, key, err)
				}
			}
			if anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], runbookBase); !ok || !anchors[anchor] {
				t.Errorf("%s: runbook_url %q must be %s<anchor of a heading in docs/operations.md>", name, r.Annotations["runbook_url"], runbookBase)
			}
			expr, err := promql.ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("%s: expr is not PromQL: %v\n%s", name, err, r.Expr)
				continue
			}
			selectors := 0
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				selectors++
				metric := vs.Name
				if metric == "" {
					t.Errorf("%s: select metrics by name, not by %s", name, vs)
					return nil
				}
				if prometheusSeries[metric] {
					return nil
				}
				mf := familyOf(families, metric)
				if mf == nil {
					t.Errorf("%s: the engine exports no metric %s", name, metric)
					return nil
				}
				labels := labelNames(mf)
				for _, m := range vs.LabelMatchers {
					if m.Name != model.MetricNameLabel && !targetLabels[m.Name] && !labels[m.Name] {
						t.Errorf("%s: %s has no label %q (it has %v)", name, metric, m.Name, labels)
					}
				}
				if !strings.Contains(ops, "`"+mf.GetName()+"`") {
					t.Errorf("%s: %s is not described in docs/operations.md", name, mf.GetName())
				}
				return nil
			})
			if selectors == 0 {
				t.Errorf("%s: the expression selects no metric", name)
			}
			if !anchors[strings.ToLower(name)] {
				t.Errorf("%s: docs/operations.md has no heading for the alert", name)
			}
		}
	}
}

// checkDashboard parses every query of the dashboard table in
// docs/operations.md (the code spans of each row's last cell) as PromQL,
// and checks each selects only exported metrics.
func checkDashboard(t *testing.T, families map[string]*dto.MetricFamily) {
	ops := readDoc(t, "../../docs/operations.md")
	_, section, ok := strings.Cut(ops, "\n## Dashboard\n")
	if !ok {
		t.Fatal("docs/operations.md has no Dashboard section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	promql := parser.NewParser(parser.Options{})
	span := regexp.MustCompile("`([^`]+)`")
	queries := 0
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Panel") {
			continue
		}
		// Split at unescaped pipes; the last cell holds the query.
		cells := regexp.MustCompile(`[^\\]\|`).Split(strings.TrimSuffix(strings.TrimSpace(line), "|"), -1)
		for _, m := range span.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			query := strings.ReplaceAll(m[1], `\|`, "|")
			queries++
			expr, err := promql.ParseExpr(query)
			if err != nil {
				t.Errorf("dashboard query is not PromQL: %v\n%s", err, query)
				continue
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && familyOf(families, vs.Name) == nil {
					t.Errorf("dashboard query selects %s, which the engine does not export: %s", vs.Name, query)
				}
				return nil
			})
		}
	}
	if queries < 10 {
		t.Errorf("found only %d dashboard queries", queries)
	}
}

// familyOf finds the family of a series name: itself, or the histogram
// or summary whose _bucket, _sum or _count it is.
func familyOf(families map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if mf, ok := families[name]; ok {
		return mf
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if mf, ok := families[base]; ok && (mf.GetType() == dto.MetricType_HISTOGRAM || mf.GetType() == dto.MetricType_SUMMARY) {
				return mf
			}
		}
	}
	return nil
}

func labelNames(mf *dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			out[l.GetName()] = true
		}
	}
	if mf.GetType() == dto.MetricType_HISTOGRAM {
		out["le"] = true
	}
	return out
}

// checkTemplate parses an annotation as Prometheus does: Go templates
// with $labels, $value and $externalLabels defined, and its functions.
func checkTemplate(text string) error {
	funcs := template.FuncMap{}
	for _, f := range []string{"humanize", "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp",
		"toTime", "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title",
		"toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "stripPort", "stripDomain", "pathPrefix", "externalURL", "parseDuration"} {
		funcs[f] = func(...any) any { return nil }
	}
	_, err := template.New("annotation").Funcs(funcs).Option("missingkey=zero").
		Parse("{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$value := .Value}}" + text)
	return err
}

// checkMetricsReference: every central_config_* family the engine
// exports is in docs/operations.md (in backticks, as the reference table
// names them), and every central_config_* name the doc mentions exists.
func checkMetricsReference(t *testing.T, families map[string]*dto.MetricFamily) {
	ops := readDoc(t, "../../docs/operations.md")
	for name := range families {
		if strings.HasPrefix(name, "central_config_") && !strings.Contains(ops, "`"+name+"`") {
			t.Errorf("docs/operations.md does not describe %s", name)
		}
	}
	for _, name := range regexp.MustCompile(`central_config_[a-z0-9_]+`).FindAllString(ops, -1) {
		if familyOf(families, name) == nil {
			t.Errorf("docs/operations.md names %s, which the engine does not export", name)
		}
	}
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// headingAnchors returns the GitHub anchors of a Markdown file's
// headings: lower-cased, punctuation dropped, spaces to dashes.
func headingAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile("[^a-z0-9 _-]")
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		out[strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-")] = true
	}
	return out
}
