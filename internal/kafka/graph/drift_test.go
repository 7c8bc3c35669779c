package graph_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/kafka/graph"
)

// shopDrift is what discovery found, compared with the shop: prod
// (with the topics on no named cluster) has orders.created with other
// numbers, lacks payments.done and legacy.events, and holds stray.events
// and unknown.topic that no document declares; stage is unreachable; dev
// was never discovered; lab is no cluster of the topology.
func shopDrift(t *testing.T) []drift.Cluster {
	t.Helper()
	at := time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)
	refused := "list topics: unable to dial: connection refused"
	return []drift.Cluster{
		{Cluster: "prod", Declared: true, State: drift.StateOK, CheckedAt: &at, TopicsWithoutCluster: true, Findings: []drift.Finding{
			{Kind: drift.MissingTopic, Topic: "legacy.events"},
			{Kind: drift.MissingTopic, Topic: "payments.done"},
			{Kind: drift.UndeclaredTopic, Topic: "stray.events"},
			{Kind: drift.UndeclaredTopic, Topic: "unknown.topic"},
			{Kind: drift.PartitionsMismatch, Topic: "orders.created", Declared: 12, Actual: 6},
			{Kind: drift.ReplicationMismatch, Topic: "orders.created", Declared: 3, Actual: 1},
			{Kind: drift.UndeclaredConsumerGroup, Group: "console-consumer-1"},
		}},
		{Cluster: "stage", Declared: true, State: drift.StateUnreachable, CheckedAt: &at, Error: &refused, Findings: []drift.Finding{}},
		{Cluster: "dev", Declared: true, State: drift.StateNever, Findings: []drift.Finding{}},
		{Cluster: "lab", State: drift.StateOK, CheckedAt: &at, Findings: []drift.Finding{{Kind: drift.UndeclaredTopic, Topic: "lab.events"}}},
	}
}

func TestElementsShowDrift(t *testing.T) {
	g := graph.Elements(shop(t), graph.Filter{}, graph.Options{Drift: shopDrift(t)})
	declared, undeclared := true, false
	tests := []struct {
		name string
		id   string
		want graph.NodeData
	}{
		{"a topic with other numbers on its cluster is a mismatch that says both", "topic:prod/orders.created", graph.NodeData{
			ID: "topic:prod/orders.created", Type: "topic", Label: "orders.created", Parent: "cluster:prod",
			EntityRef: "resource:default/prod--orders.created", Declared: &declared, Cluster: "prod", Partitions: 12, Replicas: 3,
			Config: map[string]string{"retention.ms": "604800000"}, Owner: "orders", Description: "One per order.",
			Drift: "mismatch", DriftDetail: "12 partitions declared, 6 on the cluster; replication factor 3 declared, 1 on the cluster"}},
		{"a declared topic the cluster lacks is missing", "topic:prod/payments.done", graph.NodeData{
			ID: "topic:prod/payments.done", Type: "topic", Label: "payments.done", Parent: "cluster:prod",
			EntityRef: "resource:default/payments.done", Declared: &declared, Cluster: "prod", Partitions: 6, Owner: "payments",
			Drift: "missing", DriftDetail: "declared, but not on the cluster"}},
		{"a topic found on a cluster that no document declares is a node inside it", "topic:prod/stray.events", graph.NodeData{
			ID: "topic:prod/stray.events", Type: "topic", Label: "stray.events", Parent: "cluster:prod", Declared: &undeclared, Cluster: "prod",
			Drift: "undeclared", DriftDetail: "on the cluster, but no document declares it"}},
		{"a referenced topic that exists but is not declared is undeclared", "topic:prod/unknown.topic", graph.NodeData{
			ID: "topic:prod/unknown.topic", Type: "topic", Label: "unknown.topic", Parent: "cluster:prod", Declared: &undeclared, Cluster: "prod",
			Drift: "undeclared", DriftDetail: "on the cluster, but no document declares it"}},
		{"a topic on no named cluster says which cluster it was compared with", "topic:legacy.events", graph.NodeData{
			ID: "topic:legacy.events", Type: "topic", Label: "legacy.events", EntityRef: "resource:default/legacy.events", Declared: &declared,
			Owner: "security", Drift: "missing", DriftDetail: "cluster prod: declared, but not on the cluster"}},
		{"a topic without findings has no drift", "topic:stage/orders.created", graph.NodeData{
			ID: "topic:stage/orders.created", Type: "topic", Label: "orders.created", Parent: "cluster:stage",
			EntityRef: "resource:default/stage--orders.created", Declared: &declared, Cluster: "stage", Partitions: 1, Owner: "orders"}},
		{"a discovered cluster is live", "cluster:prod", graph.NodeData{ID: "cluster:prod", Type: "cluster", Label: "prod",
			Declared: &declared, Environment: "production", Brokers: 3, Bootstrap: "prod:9093", Version: "4.0.0", Live: drift.StateOK}},
		{"an unreachable cluster says why", "cluster:stage", graph.NodeData{ID: "cluster:stage", Type: "cluster", Label: "stage",
			Declared: &declared, Environment: "staging", Live: drift.StateUnreachable, LiveError: "list topics: unable to dial: connection refused"}},
		{"a cluster never discovered has no live state", "cluster:dev", graph.NodeData{ID: "cluster:dev", Type: "cluster", Label: "dev",
			Declared: &declared}},
		{"a discovered cluster the topology lacks holds its undeclared topics", "cluster:lab", graph.NodeData{ID: "cluster:lab", Type: "cluster",
			Label: "lab", Declared: &undeclared, Live: drift.StateOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := node(t, g, tt.id); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("node\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	t.Run("nodes keep their order: clusters, topics, applications, each by id", func(t *testing.T) {
		ids := nodeIDs(g)
		rank := func(id string) int {
			return slices.IndexFunc([]string{"cluster:", "topic:", "app:"}, func(p string) bool { return strings.HasPrefix(id, p) })
		}
		sorted := slices.IsSortedFunc(ids, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		if !sorted {
			t.Errorf("nodes out of order: %q", ids)
		}
		if got := g.Counts(); got.Topics != 7 || got.Clusters != 4 {
			t.Errorf("counts %+v, want 7 topics (two undeclared found) and 4 clusters (lab added)", got)
		}
	})
}

func TestElementsFilterTheTopicsFoundOnAClusterLikeAnyOther(t *testing.T) {
	opts := graph.Options{Drift: shopDrift(t)}
	tests := []struct {
		name   string
		filter graph.Filter
		want   []string
	}{
		{"a cluster filter keeps them", graph.Filter{Cluster: "lab"}, []string{"cluster:lab", "topic:lab/lab.events"}},
		{"a search finds them", graph.Filter{Search: "stray"}, []string{"cluster:prod", "topic:prod/stray.events"}},
		{"a focus on one keeps it alone, having no edges", graph.Filter{Focus: "topic:prod/stray.events"}, []string{"cluster:prod", "topic:prod/stray.events"}},
		{"an owner filter leaves them out, having no owner", graph.Filter{Owner: "security"}, []string{"topic:legacy.events", "app:auditor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nodeIDs(graph.Elements(shop(t), tt.filter, opts)); !slices.Equal(got, tt.want) {
				t.Errorf("nodes %q, want %q", got, tt.want)
			}
		})
	}
}

func TestElementsWithoutDiscoveryHaveNoDriftFields(t *testing.T) {
	for _, opts := range []graph.Options{{}, {Drift: []drift.Cluster{}}} {
		g := graph.Elements(shop(t), graph.Filter{}, opts)
		for _, n := range g.Nodes {
			if d := n.Data; d.Drift != "" || d.DriftDetail != "" || d.Live != "" || d.LiveError != "" {
				t.Errorf("%s has drift fields: %+v", d.ID, d)
			}
		}
		if slices.Contains(nodeIDs(g), "topic:prod/stray.events") {
			t.Error("a topic only discovery knows appears without discovery")
		}
	}
}
