package graph_test

import (
	"path/filepath"
	"testing"

	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/kafka/graph"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

// TestElementsOfTheExampleRepository draws the Kafka files of the example
// config repository: the Strimzi cluster acme-events, its ten topics and
// the six KafkaUsers that read and write them.
func TestElementsOfTheExampleRepository(t *testing.T) {
	dir := filepath.Join(kafkatest.RepoRoot(t), "examples", "central-config", "kafka")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Kafka files in %s: %v", dir, err)
	}
	var docs []*document.Document
	for _, f := range files {
		docs = append(docs, kafkatest.DecodeFile(t, f, "kafka/"+filepath.Base(f))...)
	}
	top, diags := dialect.Read(docs)
	if len(diags) > 0 {
		t.Fatalf("the example has problems: %v", diags)
	}

	g := graph.Elements(top, graph.Filter{})
	checkWellFormed(t, g)
	// 25 edges: order-service writes 2 topics and reads 5, payment-gateway
	// 3 and 2, inventory-service 2 and 2, shipping-service 1 and 2,
	// notification-service reads 4, search-service reads 2.
	want := graph.Counts{Clusters: 1, Topics: 10, Applications: 6, Edges: 25}
	if got := g.Counts(); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if got := len(g.Nodes); got != 17 {
		t.Errorf("%d nodes, want 17", got)
	}
	for _, n := range g.Nodes {
		if n.Data.Type != graph.TypeCluster && n.Data.Parent != "cluster:acme-events" {
			t.Errorf("%s is not inside cluster acme-events (parent %q)", n.Data.ID, n.Data.Parent)
		}
	}
	if d := node(t, g, "topic:acme-events/orders.order-created.v1"); d.EntityRef != "resource:default/orders.order-created.v1" {
		t.Errorf("entityRef of orders.order-created.v1 is %q", d.EntityRef)
	}

	tests := []struct {
		name   string
		filter graph.Filter
		want   graph.Counts
	}{
		{"the focus on order-service shows its seven topics", graph.Filter{Focus: "app:order-service"},
			graph.Counts{Clusters: 1, Topics: 7, Applications: 1, Edges: 7}},
		{"a search for payments shows the payment topics and everyone touching them", graph.Filter{Search: "payments."},
			graph.Counts{Clusters: 1, Topics: 3, Applications: 3, Edges: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := graph.Elements(top, tt.filter).Counts(); got != tt.want {
				t.Errorf("counts %+v, want %+v", got, tt.want)
			}
		})
	}

	sum := graph.Clusters(top)
	wantSum := graph.ClusterSummary{Name: "acme-events", Declared: true, Brokers: 3, Version: "4.0.0",
		Bootstrap: "acme-events-kafka-bootstrap.kafka.svc:9093", Topics: 10, Producers: 4, Consumers: 6, Applications: 6}
	if len(sum) != 1 || sum[0] != wantSum {
		t.Errorf("clusters %+v, want [%+v]", sum, wantSum)
	}
}
