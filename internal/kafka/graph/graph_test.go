package graph_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/graph"
)

// shop is a small topology with every case the graph distinguishes:
//
//   - clusters prod and stage, and dev, declared with no topics;
//   - orders.created on prod and on stage (same name, two clusters),
//     payments.done on prod, legacy.events on no cluster;
//   - order-service and payment-gateway, services on prod only
//     (payment-gateway consumes by the prefix "orders.");
//   - mirror, a connector from prod to stage (two clusters);
//   - auditor, a user reading the cluster-less legacy.events;
//   - ghost-writer, producing to prod/unknown.topic, which nobody declares;
//   - idle, an application that touches no topic.
func shop(t testing.TB) *kafka.Topology {
	t.Helper()
	lit := func(cluster, topic string, a kafka.Access) kafka.ACL {
		return kafka.ACL{Cluster: cluster, Pattern: topic, PatternType: kafka.Literal, Access: a}
	}
	top, diags := kafka.Merge(&kafka.Topology{
		Clusters: []kafka.Cluster{
			{Name: "prod", Environment: "production", Brokers: 3, Bootstrap: "prod:9093", Version: "4.0.0"},
			{Name: "stage", Environment: "staging"},
			{Name: "dev"},
		},
		Topics: []kafka.Topic{
			{Cluster: "prod", Name: "orders.created", Partitions: 12, Replicas: 3, Owner: "orders",
				Config: map[string]string{"retention.ms": "604800000"}, Description: "One per order."},
			{Cluster: "stage", Name: "orders.created", Partitions: 1, Owner: "orders"},
			{Cluster: "prod", Name: "payments.done", Partitions: 6, Owner: "payments"},
			{Name: "legacy.events", Owner: "security"},
		},
		Applications: []kafka.Application{
			{Name: "order-service", Kind: kafka.KindService, Service: "order-service", Owner: "orders",
				Principal: "User:CN=order-service", ConsumerGroups: []string{"order-service"},
				ACLs: []kafka.ACL{lit("prod", "orders.created", kafka.Produce), lit("prod", "payments.done", kafka.Consume)}},
			{Name: "payment-gateway", Kind: kafka.KindService, Service: "payment-gateway", Owner: "payments",
				ACLs: []kafka.ACL{
					{Cluster: "prod", Pattern: "orders.", PatternType: kafka.Prefixed, Access: kafka.Consume},
					lit("prod", "payments.done", kafka.Produce),
				}},
			{Name: "mirror", Kind: kafka.KindConnector, Owner: "platform",
				ACLs: []kafka.ACL{lit("prod", "orders.created", kafka.Consume), lit("stage", "orders.created", kafka.Produce)}},
			{Name: "auditor", Kind: kafka.KindUser, Owner: "security", ACLs: []kafka.ACL{lit("", "legacy.events", kafka.Consume)}},
			{Name: "ghost-writer", Kind: kafka.KindUser, ACLs: []kafka.ACL{lit("prod", "unknown.topic", kafka.Produce)}},
			{Name: "idle", Kind: kafka.KindUser},
		},
	})
	if diags.HasErrors() {
		t.Fatalf("the test topology does not merge: %v", diags)
	}
	return top
}

var shopSystems = graph.Options{ServiceSystem: map[string]string{"order-service": "checkout", "payment-gateway": "payments"}}

func nodeIDs(g graph.Graph) []string {
	out := []string{}
	for _, n := range g.Nodes {
		out = append(out, n.Data.ID)
	}
	return out
}

func edgeIDs(g graph.Graph) []string {
	out := []string{}
	for _, e := range g.Edges {
		out = append(out, e.Data.ID)
	}
	return out
}

func node(t *testing.T, g graph.Graph, id string) graph.NodeData {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Data.ID == id {
			return n.Data
		}
	}
	t.Fatalf("no node %s in %v", id, nodeIDs(g))
	return graph.NodeData{}
}

// Edge ids of the shop, by name.
const (
	osProducesOC  = "e:app:order-service->topic:prod/orders.created"
	pdToOS        = "e:topic:prod/payments.done->app:order-service"
	ocToPG        = "e:topic:prod/orders.created->app:payment-gateway"
	pgProducesPD  = "e:app:payment-gateway->topic:prod/payments.done"
	ocToMirror    = "e:topic:prod/orders.created->app:mirror"
	mirrorToStage = "e:app:mirror->topic:stage/orders.created"
	legacyToAud   = "e:topic:legacy.events->app:auditor"
	ghostToUnk    = "e:app:ghost-writer->topic:prod/unknown.topic"
)

func TestElementsFilters(t *testing.T) {
	tests := []struct {
		name   string
		filter graph.Filter
		opts   []graph.Options
		nodes  []string
		edges  []string
	}{
		{
			name: "without a filter every cluster, topic and application is kept, clusters first",
			nodes: []string{"cluster:dev", "cluster:prod", "cluster:stage",
				"topic:legacy.events", "topic:prod/orders.created", "topic:prod/payments.done", "topic:prod/unknown.topic", "topic:stage/orders.created",
				"app:auditor", "app:ghost-writer", "app:idle", "app:mirror", "app:order-service", "app:payment-gateway"},
			edges: []string{mirrorToStage, ghostToUnk, osProducesOC, pgProducesPD, legacyToAud, ocToMirror, ocToPG, pdToOS},
		},
		{
			name:   "a cluster keeps its topics and the applications that touch them, not the other cluster",
			filter: graph.Filter{Cluster: "prod"},
			nodes: []string{"cluster:prod", "topic:prod/orders.created", "topic:prod/payments.done", "topic:prod/unknown.topic",
				"app:ghost-writer", "app:mirror", "app:order-service", "app:payment-gateway"},
			edges: []string{ghostToUnk, osProducesOC, pgProducesPD, ocToMirror, ocToPG, pdToOS},
		},
		{
			name:   "a cluster with one topic keeps that topic and its one application",
			filter: graph.Filter{Cluster: "stage"},
			nodes:  []string{"cluster:stage", "topic:stage/orders.created", "app:mirror"},
			edges:  []string{mirrorToStage},
		},
		{
			name:   "a cluster nobody uses keeps nothing, not even its own empty node",
			filter: graph.Filter{Cluster: "dev"},
			nodes:  []string{},
			edges:  []string{},
		},
		{
			name:   "an owner keeps its topics and applications and their direct neighbours",
			filter: graph.Filter{Owner: "orders"},
			nodes: []string{"cluster:prod", "cluster:stage", "topic:prod/orders.created", "topic:prod/payments.done", "topic:stage/orders.created",
				"app:mirror", "app:order-service", "app:payment-gateway"},
			edges: []string{mirrorToStage, osProducesOC, pgProducesPD, ocToMirror, ocToPG, pdToOS},
		},
		{
			name:   "an owner matches regardless of case",
			filter: graph.Filter{Owner: "SECURITY"},
			nodes:  []string{"topic:legacy.events", "app:auditor"},
			edges:  []string{legacyToAud},
		},
		{
			name:   "a system keeps the applications of its services and their topics",
			filter: graph.Filter{System: "checkout"},
			opts:   []graph.Options{shopSystems},
			nodes:  []string{"cluster:prod", "topic:prod/orders.created", "topic:prod/payments.done", "app:order-service"},
			edges:  []string{osProducesOC, pdToOS},
		},
		{
			name:   "a system matches services regardless of case",
			filter: graph.Filter{System: "Checkout"},
			opts:   []graph.Options{{ServiceSystem: map[string]string{"Order-Service": "checkout"}}},
			nodes:  []string{"cluster:prod", "topic:prod/orders.created", "topic:prod/payments.done", "app:order-service"},
			edges:  []string{osProducesOC, pdToOS},
		},
		{
			name:   "a system without the service to system map keeps nothing",
			filter: graph.Filter{System: "checkout"},
			nodes:  []string{},
			edges:  []string{},
		},
		{
			name:   "a search keeps the labels that contain it, whatever the case, and their neighbours",
			filter: graph.Filter{Search: "PAY"},
			nodes: []string{"cluster:prod", "topic:prod/orders.created", "topic:prod/payments.done",
				"app:order-service", "app:payment-gateway"},
			edges: []string{osProducesOC, pgProducesPD, ocToPG, pdToOS},
		},
		{
			name:   "a search that matches nothing keeps nothing",
			filter: graph.Filter{Search: "no-such-thing"},
			nodes:  []string{},
			edges:  []string{},
		},
		{
			name:   "a focus keeps the nodes one edge away in either direction by default",
			filter: graph.Filter{Focus: "app:mirror"},
			nodes:  []string{"cluster:prod", "cluster:stage", "topic:prod/orders.created", "topic:stage/orders.created", "app:mirror"},
			edges:  []string{mirrorToStage, ocToMirror},
		},
		{
			name:   "a focus of depth 0 is a focus of depth 1",
			filter: graph.Filter{Focus: "app:mirror", Depth: 0},
			nodes:  []string{"cluster:prod", "cluster:stage", "topic:prod/orders.created", "topic:stage/orders.created", "app:mirror"},
			edges:  []string{mirrorToStage, ocToMirror},
		},
		{
			name:   "a focus of depth 2 reaches the other readers and writers of its topics",
			filter: graph.Filter{Focus: "app:mirror", Depth: 2},
			nodes: []string{"cluster:prod", "cluster:stage", "topic:prod/orders.created", "topic:stage/orders.created",
				"app:mirror", "app:order-service", "app:payment-gateway"},
			edges: []string{mirrorToStage, osProducesOC, ocToMirror, ocToPG},
		},
		{
			name:   "a focus on a topic follows edges against their direction too",
			filter: graph.Filter{Focus: "topic:prod/payments.done"},
			nodes:  []string{"cluster:prod", "topic:prod/payments.done", "app:order-service", "app:payment-gateway"},
			edges:  []string{pgProducesPD, pdToOS},
		},
		{
			name:   "a focus on a topic referenced but not declared works like any topic",
			filter: graph.Filter{Focus: "topic:prod/unknown.topic"},
			nodes:  []string{"cluster:prod", "topic:prod/unknown.topic", "app:ghost-writer"},
			edges:  []string{ghostToUnk},
		},
		{
			name:   "a focus on a cluster starts from all its children",
			filter: graph.Filter{Focus: "cluster:stage"},
			nodes:  []string{"cluster:stage", "topic:stage/orders.created", "app:mirror"},
			edges:  []string{mirrorToStage},
		},
		{
			name:   "a focus on a cluster reaches beyond it with depth",
			filter: graph.Filter{Focus: "cluster:stage", Depth: 2},
			nodes:  []string{"cluster:prod", "cluster:stage", "topic:prod/orders.created", "topic:stage/orders.created", "app:mirror"},
			edges:  []string{mirrorToStage, ocToMirror},
		},
		{
			name:   "a focus on an application that touches nothing keeps it alone",
			filter: graph.Filter{Focus: "app:idle", Depth: 5},
			nodes:  []string{"app:idle"},
			edges:  []string{},
		},
		{
			name:   "a focus on an id that is no node keeps nothing",
			filter: graph.Filter{Focus: "app:nobody"},
			nodes:  []string{},
			edges:  []string{},
		},
		{
			name:   "filters combine: a cluster and a search keep what both keep",
			filter: graph.Filter{Cluster: "prod", Search: "mirror"},
			nodes:  []string{"cluster:prod", "topic:prod/orders.created", "app:mirror"},
			edges:  []string{ocToMirror},
		},
		{
			name:   "filters combine: an owner and a focus keep what both keep",
			filter: graph.Filter{Owner: "payments", Focus: "app:order-service"},
			opts:   []graph.Options{shopSystems},
			nodes:  []string{"cluster:prod", "topic:prod/orders.created", "topic:prod/payments.done", "app:order-service"},
			edges:  []string{osProducesOC, pdToOS},
		},
		{
			name:   "filters that exclude each other keep nothing",
			filter: graph.Filter{Cluster: "stage", Owner: "payments"},
			nodes:  []string{},
			edges:  []string{},
		},
	}
	top := shop(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.Elements(top, tt.filter, tt.opts...)
			if got := nodeIDs(g); !slices.Equal(got, tt.nodes) {
				t.Errorf("nodes\n got %q\nwant %q", got, tt.nodes)
			}
			want := slices.Sorted(slices.Values(tt.edges))
			if got := edgeIDs(g); !slices.Equal(got, want) {
				t.Errorf("edges\n got %q\nwant %q", got, want)
			}
			checkWellFormed(t, g)
		})
	}
}

// checkWellFormed checks what Cytoscape needs: unique ids, parents and
// edge ends that exist, parents before children.
func checkWellFormed(t *testing.T, g graph.Graph) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		d := n.Data
		if seen[d.ID] {
			t.Errorf("node %s twice", d.ID)
		}
		if d.Parent != "" && !seen[d.Parent] {
			t.Errorf("node %s comes before its parent %s, or the parent is missing", d.ID, d.Parent)
		}
		seen[d.ID] = true
	}
	for _, e := range g.Edges {
		if !seen[e.Data.Source] || !seen[e.Data.Target] {
			t.Errorf("edge %s has an end that is no node", e.Data.ID)
		}
		if seen[e.Data.ID] {
			t.Errorf("edge id %s is not unique", e.Data.ID)
		}
		seen[e.Data.ID] = true
	}
}

func TestElementsCompoundParents(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		parent string
	}{
		{"a topic of a cluster is inside that cluster", "topic:prod/orders.created", "cluster:prod"},
		{"the same topic name on another cluster is inside the other cluster", "topic:stage/orders.created", "cluster:stage"},
		{"a topic on no named cluster has no parent", "topic:legacy.events", ""},
		{"a topic nobody declares is still inside its cluster", "topic:prod/unknown.topic", "cluster:prod"},
		{"an application whose topics are all on one cluster is inside it", "app:order-service", "cluster:prod"},
		{"an application that touches topics of two clusters has no parent", "app:mirror", ""},
		{"an application that only touches topics on no named cluster has no parent", "app:auditor", ""},
		{"an application that touches no topic has no parent", "app:idle", ""},
		{"a cluster has no parent", "cluster:prod", ""},
	}
	g := graph.Elements(shop(t), graph.Filter{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := node(t, g, tt.id).Parent; got != tt.parent {
				t.Errorf("parent of %s = %q, want %q", tt.id, got, tt.parent)
			}
		})
	}
}

func TestElementsEdgesFollowTheData(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want graph.EdgeData
	}{
		{"a produces edge goes from the application to the topic", osProducesOC,
			graph.EdgeData{ID: osProducesOC, Source: "app:order-service", Target: "topic:prod/orders.created", Kind: "produces",
				Pattern: "orders.created", PatternType: kafka.Literal}},
		{"a consumes edge goes from the topic to the application", pdToOS,
			graph.EdgeData{ID: pdToOS, Source: "topic:prod/payments.done", Target: "app:order-service", Kind: "consumes",
				Pattern: "payments.done", PatternType: kafka.Literal}},
		{"an edge granted by a prefix carries the prefix", ocToPG,
			graph.EdgeData{ID: ocToPG, Source: "topic:prod/orders.created", Target: "app:payment-gateway", Kind: "consumes",
				Pattern: "orders.", PatternType: kafka.Prefixed}},
	}
	g := graph.Elements(shop(t), graph.Filter{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, e := range g.Edges {
				if e.Data.ID == tt.id {
					if e.Data != tt.want {
						t.Errorf("edge\n got %+v\nwant %+v", e.Data, tt.want)
					}
					return
				}
			}
			t.Fatalf("no edge %s", tt.id)
		})
	}
	t.Run("an application that produces to and consumes one topic has an edge each way", func(t *testing.T) {
		top := &kafka.Topology{
			Topics: []kafka.Topic{{Name: "loop"}},
			Applications: []kafka.Application{{Name: "echo", Kind: kafka.KindStream,
				Produces: []kafka.TopicRef{{Name: "loop", Declared: true}}, Consumes: []kafka.TopicRef{{Name: "loop", Declared: true}}}},
		}
		got := edgeIDs(graph.Elements(top, graph.Filter{}))
		want := []string{"e:app:echo->topic:loop", "e:topic:loop->app:echo"}
		if !slices.Equal(got, want) {
			t.Errorf("edges %q, want %q", got, want)
		}
	})
}

func TestElementsNodeData(t *testing.T) {
	declared, undeclared := true, false
	tests := []struct {
		name string
		id   string
		want graph.NodeData
	}{
		{"a declared cluster carries what is known of it", "cluster:prod", graph.NodeData{ID: "cluster:prod", Type: "cluster", Label: "prod",
			Declared: &declared, Environment: "production", Brokers: 3, Bootstrap: "prod:9093", Version: "4.0.0"}},
		{"a topic carries its settings and links to its Resource entity", "topic:prod/orders.created", graph.NodeData{
			ID: "topic:prod/orders.created", Type: "topic", Label: "orders.created", Parent: "cluster:prod",
			EntityRef: "resource:default/prod--orders.created", Declared: &declared, Cluster: "prod", Partitions: 12, Replicas: 3,
			Config: map[string]string{"retention.ms": "604800000"}, Owner: "orders", Description: "One per order."}},
		{"a topic whose name is on one cluster only links to its bare name", "topic:prod/payments.done", graph.NodeData{
			ID: "topic:prod/payments.done", Type: "topic", Label: "payments.done", Parent: "cluster:prod",
			EntityRef: "resource:default/payments.done", Declared: &declared, Cluster: "prod", Partitions: 6, Owner: "payments"}},
		{"a topic nobody declares is marked so and links to no entity", "topic:prod/unknown.topic", graph.NodeData{
			ID: "topic:prod/unknown.topic", Type: "topic", Label: "unknown.topic", Parent: "cluster:prod", Declared: &undeclared, Cluster: "prod"}},
		{"an application of a service links to its Component and knows its system", "app:order-service", graph.NodeData{
			ID: "app:order-service", Type: "application", Label: "order-service", Parent: "cluster:prod",
			EntityRef: "component:default/order-service", Kind: kafka.KindService, Service: "order-service", System: "checkout",
			Principal: "User:CN=order-service", ConsumerGroups: []string{"order-service"}, Owner: "orders"}},
		{"an application that is no service links to no entity", "app:mirror", graph.NodeData{
			ID: "app:mirror", Type: "application", Label: "mirror", Kind: kafka.KindConnector, Owner: "platform"}},
	}
	g := graph.Elements(shop(t), graph.Filter{}, shopSystems)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := node(t, g, tt.id); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("node\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestElementsShowsAnApplicationWithoutAKindAsAService(t *testing.T) {
	g := graph.Elements(&kafka.Topology{Applications: []kafka.Application{{Name: "bare"}}}, graph.Filter{})
	if k := node(t, g, "app:bare").Kind; k != kafka.KindService {
		t.Errorf("kind %q, want service", k)
	}
}

func TestElementsJSONIsCytoscapeElements(t *testing.T) {
	g := graph.Elements(shop(t), graph.Filter{Focus: "topic:prod/payments.done"}, shopSystems)
	// As the API writes it: without HTML escaping (of "->").
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	want := `{"nodes":[` +
		`{"data":{"id":"cluster:prod","type":"cluster","label":"prod","declared":true,"environment":"production","brokers":3,"bootstrap":"prod:9093","version":"4.0.0"}},` +
		`{"data":{"id":"topic:prod/payments.done","type":"topic","label":"payments.done","parent":"cluster:prod","entityRef":"resource:default/payments.done","declared":true,"cluster":"prod","partitions":6,"owner":"payments"}},` +
		`{"data":{"id":"app:order-service","type":"application","label":"order-service","parent":"cluster:prod","entityRef":"component:default/order-service","kind":"service","service":"order-service","system":"checkout","principal":"User:CN=order-service","consumerGroups":["order-service"],"owner":"orders"}},` +
		`{"data":{"id":"app:payment-gateway","type":"application","label":"payment-gateway","parent":"cluster:prod","entityRef":"component:default/payment-gateway","kind":"service","service":"payment-gateway","system":"payments","owner":"payments"}}` +
		`],"edges":[` +
		`{"data":{"id":"e:app:payment-gateway->topic:prod/payments.done","source":"app:payment-gateway","target":"topic:prod/payments.done","kind":"produces","pattern":"payments.done","patternType":"literal"}},` +
		`{"data":{"id":"e:topic:prod/payments.done->app:order-service","source":"topic:prod/payments.done","target":"app:order-service","kind":"consumes","pattern":"payments.done","patternType":"literal"}}` +
		`]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	t.Run("an empty graph has empty lists, not null", func(t *testing.T) {
		for _, top := range []*kafka.Topology{nil, {}} {
			b, _ := json.Marshal(graph.Elements(top, graph.Filter{}))
			if string(b) != `{"nodes":[],"edges":[]}` {
				t.Errorf("got %s", b)
			}
		}
	})
}

func TestElementsIsDeterministic(t *testing.T) {
	a := shop(t)
	// The same topology with every list reversed gives the same graph.
	b := shop(t)
	slices.Reverse(b.Clusters)
	slices.Reverse(b.Topics)
	slices.Reverse(b.Applications)
	for i := range b.Applications {
		slices.Reverse(b.Applications[i].Produces)
		slices.Reverse(b.Applications[i].Consumes)
	}
	for _, f := range []graph.Filter{{}, {Search: "o"}, {Focus: "app:mirror", Depth: 3}} {
		ja, _ := json.Marshal(graph.Elements(a, f, shopSystems))
		jb, _ := json.Marshal(graph.Elements(b, f, shopSystems))
		again, _ := json.Marshal(graph.Elements(a, f, shopSystems))
		if string(ja) != string(jb) || string(ja) != string(again) {
			t.Errorf("filter %+v: the graph depends on the order of the topology\n%s\n%s", f, ja, jb)
		}
	}
}

func TestElementsDoesNotShareTheTopologysMaps(t *testing.T) {
	top := shop(t)
	g := graph.Elements(top, graph.Filter{})
	for _, n := range g.Nodes {
		if n.Data.Config != nil {
			n.Data.Config["retention.ms"] = "1"
		}
		if len(n.Data.ConsumerGroups) > 0 {
			n.Data.ConsumerGroups[0] = "changed"
		}
	}
	if top.Topic("prod", "orders.created").Config["retention.ms"] != "604800000" || top.Application("order-service").ConsumerGroups[0] != "order-service" {
		t.Error("changing the graph changed the topology")
	}
}

func TestCounts(t *testing.T) {
	tests := []struct {
		name   string
		filter graph.Filter
		want   graph.Counts
	}{
		{"the whole topology is counted by node type", graph.Filter{}, graph.Counts{Clusters: 3, Topics: 5, Applications: 6, Edges: 8}},
		{"a filtered graph counts what is kept", graph.Filter{Cluster: "stage"}, graph.Counts{Clusters: 1, Topics: 1, Applications: 1, Edges: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := graph.Elements(shop(t), tt.filter).Counts(); got != tt.want {
				t.Errorf("counts %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestClusters(t *testing.T) {
	got := graph.Clusters(shop(t))
	want := []graph.ClusterSummary{
		{Name: "dev", Declared: true},
		{Name: "prod", Declared: true, Environment: "production", Brokers: 3, Bootstrap: "prod:9093", Version: "4.0.0",
			Topics: 3, Producers: 3, Consumers: 3, Applications: 4},
		{Name: "stage", Declared: true, Environment: "staging", Topics: 1, Producers: 1, Applications: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("clusters\n got %+v\nwant %+v", got, want)
	}
	t.Run("a cluster only topics name is summarised as not declared", func(t *testing.T) {
		got := graph.Clusters(&kafka.Topology{Topics: []kafka.Topic{{Cluster: "x", Name: "a"}, {Name: "b"}}})
		want := []graph.ClusterSummary{{Name: "x", Topics: 1}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("no topology has no clusters, as an empty list", func(t *testing.T) {
		if got := graph.Clusters(nil); got == nil || len(got) != 0 {
			t.Errorf("got %#v", got)
		}
	})
}

func TestElementsOfMultiClusterApplicationsInOneCluster(t *testing.T) {
	// The parent is computed on the whole topology: filtering on one
	// cluster does not move an application into it.
	g := graph.Elements(shop(t), graph.Filter{Cluster: "stage"})
	if p := node(t, g, "app:mirror").Parent; p != "" {
		t.Errorf("mirror's parent in the stage view is %q, want none", p)
	}
	if strings.Contains(strings.Join(nodeIDs(g), " "), "cluster:prod") {
		t.Error("the stage view shows cluster prod")
	}
}
