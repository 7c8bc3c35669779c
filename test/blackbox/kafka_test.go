// Package blackbox tests the engine as its users and attackers meet it: the
// real binary running `serve`, reached over HTTP, with real files, a real
// git server and a real PostgreSQL where the test needs them.
package blackbox

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/testrepo"
)

const topicsFile = `apiVersion: central-config.io/kafka/v1
clusters:
  - name: prod
topics:
  - {name: orders.v1, cluster: prod, partitions: 3, owner: orders}
`

// TestKafkaTopologyIsUnavailableUntilTheSourceIsRead: an engine that has
// not read its source yet (the start-up run is an hour away, as on a
// replica that another replica's lock keeps out) answers the Kafka routes
// with 503 kafka-unavailable, naming the source, not with an empty graph;
// once a run has read the source the graph has its topic.
func TestKafkaTopologyIsUnavailableUntilTheSourceIsRead(t *testing.T) {
	repo := t.TempDir()
	testrepo.WriteFile(t, filepath.Join(repo, "kafka", "topics.yaml"), topicsFile)
	e := dirEngine(t, repo, "  server: {token: "+testToken+"}\n")
	code, body, err := e.Get("/central-config/kafka/topology")
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "kafka-unavailable") || !strings.Contains(string(body), "central") {
		t.Fatalf("before the first read: want 503 kafka-unavailable naming the source, got %d %s", code, body)
	}

	if code, body, err := e.Do(http.MethodPost, "/central-config/sync", "test-token", []byte(`{"source":"central"}`)); err != nil || code/100 != 2 {
		t.Fatalf("sync now: %d %s %v", code, body, err)
	}
	e.Eventually(20*time.Second, "the topology shows the topic", func() error {
		var g struct {
			Elements json.RawMessage `json:"elements"`
		}
		if err := e.GetJSON("/central-config/kafka/topology", &g); err != nil {
			return err
		}
		if !strings.Contains(string(g.Elements), "orders.v1") {
			return errorf("no orders.v1 in %s", g.Elements)
		}
		return nil
	})
}
