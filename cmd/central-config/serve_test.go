package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/testrepo"
)

const kafkaRepoFile = `apiVersion: central-config.io/kafka/v1
clusters:
  - name: prod
  - name: gone
topics:
  - {name: orders.v1, cluster: prod, partitions: 12, replicas: 1, owner: orders}
  - {name: payments.v1, cluster: prod, partitions: 3, owner: payments}
applications:
  - name: order-service
    owner: orders
    cluster: prod
    consumerGroup: order-service
    consumes: [orders.v1]
`

// TestServeReportsKafkaDrift runs the engine on a repository declaring
// cluster prod, discovered on an in-process Kafka with SCRAM, and cluster
// gone, whose broker is closed: prod's drift is served, gone is
// unreachable, and the engine serves on.
func TestServeReportsKafkaDrift(t *testing.T) {
	const password = "kafka-pw-0b7d3f"
	prod, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "engine", password))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	gone, err := kfake.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	goneAddrs := gone.ListenAddrs()
	gone.Close()

	cl, err := kgo.NewClient(kgo.SeedBrokers(prod.ListenAddrs()...), kgo.SASL(scram.Auth{User: "engine", Pass: password}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	for _, tp := range []struct {
		name       string
		partitions int32
	}{{"orders.v1", 6}, {"payments.v1", 3}, {"stray.v1", 1}} {
		if r, err := adm.CreateTopic(ctx, tp.partitions, 1, nil, tp.name); err != nil || r.Err != nil {
			t.Fatalf("create %s: %v %v", tp.name, err, r.Err)
		}
	}
	for _, g := range []string{"order-service", "rogue-consumer"} {
		if _, err := adm.CommitOffsets(ctx, g, kadm.OffsetsFromRecords(kgo.Record{Topic: "orders.v1", Offset: 1})); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	testrepo.WriteFile(t, filepath.Join(repo, "kafka", "topics.yaml"), kafkaRepoFile)
	cfg := filepath.Join(dir, "app-config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`centralConfig:
  sources:
    - id: repo
      dir: {path: %q}
  database: {connection: %q}
  cacheDir: %q
  logging: {level: debug, format: json}
  kafka:
    discovery:
      timeout: {seconds: 3}
      clusters:
        - name: prod
          bootstrapServers: [%q]
          sasl: {mechanism: SCRAM-SHA-256, username: engine, password: "${KAFKA_PASSWORD}"}
        - name: gone
          bootstrapServers: [%q]
`, repo, filepath.Join(dir, "engine.db"), filepath.Join(dir, "cache"), prod.ListenAddrs()[0], goneAddrs[0])), 0o600); err != nil {
		t.Fatal(err)
	}

	addr := enginetest.FreeAddr(t)
	logs := &logtest.Buffer{}
	e := &env{stdout: io.Discard, stderr: logs, configFiles: []string{cfg},
		lookupEnv: func(k string) (string, bool) {
			return map[string]string{"KAFKA_PASSWORD": password}[k], k == "KAFKA_PASSWORD"
		},
		log: slog.New(slog.NewTextHandler(logs, nil))}
	stop := startServe(t, e, addr)
	defer func() {
		stop()
		if strings.Contains(logs.String(), password) {
			t.Errorf("the log shows the SASL password:\n%s", logs.String())
		}
	}()

	base := "http://" + addr
	var report struct {
		Clusters []struct {
			Cluster  string  `json:"cluster"`
			State    string  `json:"state"`
			Error    *string `json:"error"`
			Findings []struct {
				Kind     string `json:"kind"`
				Topic    string `json:"topic"`
				Group    string `json:"group"`
				Declared int    `json:"declared"`
				Actual   int    `json:"actual"`
			} `json:"findings"`
		} `json:"clusters"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body := get(t, base+"/central-config/kafka/drift")
		if status == http.StatusOK {
			if err := json.Unmarshal(body, &report); err != nil {
				t.Fatal(err)
			}
			if len(report.Clusters) == 2 && report.Clusters[0].State != "never" && report.Clusters[1].State != "never" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drift after 30 s: %d %s\nlogs:\n%s", status, body, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p, g := report.Clusters[0], report.Clusters[1]
	var got []string
	for _, f := range p.Findings {
		got = append(got, fmt.Sprintf("%s %s%s %d/%d", f.Kind, f.Topic, f.Group, f.Declared, f.Actual))
	}
	want := []string{"undeclared-topic stray.v1 0/0", "partitions-mismatch orders.v1 12/6", "undeclared-consumer-group rogue-consumer 0/0"}
	if p.Cluster != "prod" || p.State != "ok" || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("prod: %s %s, findings\n%s\nwant\n%s", p.Cluster, p.State, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if g.Cluster != "gone" || g.State != "unreachable" || g.Error == nil || !strings.Contains(*g.Error, "dial") {
		t.Errorf("gone: %+v", g)
	}

	_, body := get(t, base+"/central-config/kafka/topology")
	for _, want := range []string{
		`"id":"cluster:gone","type":"cluster","label":"gone","declared":true,"live":"unreachable","liveError":"list topics: unable to dial`,
		`"id":"topic:prod/orders.v1","type":"topic","label":"orders.v1","parent":"cluster:prod","entityRef":"resource:default/orders.v1","declared":true,"drift":"mismatch","driftDetail":"12 partitions declared, 6 on the cluster"`,
		`"id":"topic:prod/stray.v1","type":"topic","label":"stray.v1","parent":"cluster:prod","declared":false,"drift":"undeclared"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the topology lacks %s\n%s", want, body)
		}
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`central_config_kafka_drift_findings{cluster="prod",kind="partitions-mismatch"} 1`,
		`central_config_kafka_drift_findings{cluster="prod",kind="missing-topic"} 0`,
		`central_config_kafka_discovery_errors_total{cluster="gone"} 1`,
		`central_config_kafka_discovery_last_success_timestamp_seconds{cluster="prod"}`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if status, _ := get(t, base+"/healthz"); status != http.StatusOK {
		t.Errorf("healthz %d: the engine must serve on with a cluster unreachable", status)
	}
}

// startServe runs serve on addr with e (its context is set here) until
// the returned stop is called; stop waits for the engine to exit and
// fails the test unless it exits 0, with e's stderr when it is a
// logtest.Buffer.
func startServe(t *testing.T, e *env, addr string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.ctx = ctx
	exit := make(chan int, 1)
	go func() { exit <- serveCmd(e, []string{"--listen", addr}) }()
	return func() {
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				logs := ""
				if b, ok := e.stderr.(*logtest.Buffer); ok {
					logs = b.String()
				}
				t.Errorf("serve exited %d\n%s", code, logs)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}
}

// get fetches a URL; a connection error (the engine not listening yet)
// is status 0.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		return 0, nil
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func TestServeRefusesAnUnreadableKafkaCAFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "app-config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`centralConfig:
  database: {connection: %q}
  kafka:
    discovery:
      clusters:
        - name: prod
          bootstrapServers: ["localhost:9093"]
          tls: {enabled: true, caFile: %q}
`, filepath.Join(dir, "engine.db"), filepath.Join(dir, "missing-ca.pem"))), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	e := &env{stdout: io.Discard, stderr: logs, configFiles: []string{cfg}, lookupEnv: func(string) (string, bool) { return "", false },
		log: slog.New(slog.NewTextHandler(logs, nil))}
	if code := serveCmd(e, []string{"--listen", enginetest.FreeAddr(t)}); code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, logs.String())
	}
	if !strings.Contains(logs.String(), "centralConfig.kafka.discovery.clusters[0].tls.caFile") {
		t.Fatalf("the error does not name the key:\n%s", logs.String())
	}
}

// TestServeSaysWhyTheDatabaseCannotBeOpened: a database that fails at
// once is logged as "cannot open the database" with its error, as
// troubleshooting.md lists it, not as one that was not open in time; the
// engine exits 1.
func TestServeSaysWhyTheDatabaseCannotBeOpened(t *testing.T) {
	dir := t.TempDir()
	notAFolder := filepath.Join(dir, "data")
	testrepo.WriteFile(t, notAFolder, "a file where the database's folder should be")
	cfg := filepath.Join(dir, "app-config.yaml")
	testrepo.WriteFile(t, cfg, fmt.Sprintf("centralConfig:\n  database: {connection: %q}\n", filepath.Join(notAFolder, "engine.db")))
	logs := &logtest.Buffer{}
	e := &env{stdout: io.Discard, stderr: logs, configFiles: []string{cfg}, lookupEnv: func(string) (string, bool) { return "", false },
		log: slog.New(slog.NewTextHandler(logs, nil))}
	if code := serveCmd(e, []string{"--listen", enginetest.FreeAddr(t)}); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, logs.String())
	}
	if !strings.Contains(logs.String(), "cannot open the database") || !strings.Contains(logs.String(), "not a directory") ||
		strings.Contains(logs.String(), "in time") {
		t.Fatalf("the log does not say the database cannot be opened, or says it was not open in time:\n%s", logs.String())
	}
}
