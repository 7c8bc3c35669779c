package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/kafka/graph"
	"github.com/central-config/central-config/internal/metrics"
)

// kafkaShop is a small merged topology: clusters prod and stage, the topic
// orders.v1 on both, payments.v1 on prod; order-service (a service of
// system checkout) writes prod/orders.v1 and reads prod/payments.v1,
// payment-gateway does the reverse, and mirror copies orders.v1 from prod
// to stage.
func kafkaShop(t *testing.T) *kafka.Topology {
	t.Helper()
	acl := func(cluster, topic string, a kafka.Access) kafka.ACL {
		return kafka.ACL{Cluster: cluster, Pattern: topic, PatternType: kafka.Literal, Access: a}
	}
	top, diags := kafka.Merge(&kafka.Topology{
		Clusters: []kafka.Cluster{{Name: "prod", Environment: "production", Brokers: 3}, {Name: "stage"}},
		Topics: []kafka.Topic{
			{Cluster: "prod", Name: "orders.v1", Partitions: 12, Replicas: 3, Owner: "orders", Config: map[string]string{"retention.ms": "604800000"}},
			{Cluster: "stage", Name: "orders.v1", Owner: "orders"},
			{Cluster: "prod", Name: "payments.v1", Partitions: 6, Owner: "payments"},
		},
		Applications: []kafka.Application{
			{Name: "order-service", Kind: kafka.KindService, Service: "order-service", Owner: "orders", ConsumerGroups: []string{"order-service"},
				ACLs: []kafka.ACL{acl("prod", "orders.v1", kafka.Produce), acl("prod", "payments.v1", kafka.Consume)}},
			{Name: "payment-gateway", Kind: kafka.KindService, Service: "payment-gateway", Owner: "payments",
				ACLs: []kafka.ACL{acl("prod", "payments.v1", kafka.Produce), {Cluster: "prod", Pattern: "orders.", PatternType: kafka.Prefixed, Access: kafka.Consume}}},
			{Name: "mirror", Kind: kafka.KindConnector, Owner: "platform",
				ACLs: []kafka.ACL{acl("prod", "orders.v1", kafka.Consume), acl("stage", "orders.v1", kafka.Produce)}},
		},
	})
	if diags.HasErrors() {
		t.Fatalf("the test topology does not merge: %v", diags)
	}
	return top
}

var kafkaSystems = map[string]string{"order-service": "checkout", "payment-gateway": "payments"}

// serving makes Options.Topology answer top and kafkaSystems; calls, when
// not nil, counts the calls.
func serving(top *kafka.Topology, calls *int) func(*Options) {
	return func(o *Options) {
		o.Topology = func(context.Context) (*kafka.Topology, map[string]string, error) {
			if calls != nil {
				*calls++
			}
			return top, kafkaSystems, nil
		}
	}
}

func topologyFails(err error) func(*Options) {
	return func(o *Options) {
		o.Topology = func(context.Context) (*kafka.Topology, map[string]string, error) { return nil, nil, err }
	}
}

func topologyOf(top *kafka.Topology) func(*Options) {
	return func(o *Options) {
		o.Topology = func(context.Context) (*kafka.Topology, map[string]string, error) { return top, nil, nil }
	}
}

func chain(fns ...func(*Options)) func(*Options) {
	return func(o *Options) {
		for _, fn := range fns {
			fn(o)
		}
	}
}

type topologyBody struct {
	Elements graph.Graph  `json:"elements"`
	Counts   graph.Counts `json:"counts"`
}

// wantGraph checks the node and edge ids of a topology answer.
func wantGraph(nodes, edges []string) func(*testing.T, *env, response) {
	return func(t *testing.T, _ *env, res response) {
		t.Helper()
		var body topologyBody
		res.decode(t, &body)
		var gotNodes, gotEdges []string
		for _, n := range body.Elements.Nodes {
			gotNodes = append(gotNodes, n.Data.ID)
		}
		for _, e := range body.Elements.Edges {
			gotEdges = append(gotEdges, e.Data.ID)
		}
		if !slices.Equal(gotNodes, nodes) {
			t.Errorf("nodes\n got %q\nwant %q", gotNodes, nodes)
		}
		if !slices.Equal(gotEdges, edges) {
			t.Errorf("edges\n got %q\nwant %q", gotEdges, edges)
		}
		want := graph.Counts{Edges: len(edges)}
		for _, id := range nodes {
			switch {
			case strings.HasPrefix(id, "cluster:"):
				want.Clusters++
			case strings.HasPrefix(id, "topic:"):
				want.Topics++
			default:
				want.Applications++
			}
		}
		if body.Counts != want {
			t.Errorf("counts %+v, want %+v", body.Counts, want)
		}
	}
}

func TestKafkaTopology(t *testing.T) {
	shop := kafkaShop(t)
	const (
		osToOrders    = "e:app:order-service->topic:prod/orders.v1"
		pgToPayments  = "e:app:payment-gateway->topic:prod/payments.v1"
		mirrorToStage = "e:app:mirror->topic:stage/orders.v1"
		ordersToMir   = "e:topic:prod/orders.v1->app:mirror"
		ordersToPG    = "e:topic:prod/orders.v1->app:payment-gateway"
		paymentsToOS  = "e:topic:prod/payments.v1->app:order-service"
	)
	everything := []string{"cluster:prod", "cluster:stage", "topic:prod/orders.v1", "topic:prod/payments.v1", "topic:stage/orders.v1",
		"app:mirror", "app:order-service", "app:payment-gateway"}
	get := func(query string) request {
		return request{method: http.MethodGet, target: "/central-config/kafka/topology" + query}
	}
	calls := 0
	runCases(t, []apiCase{
		{name: "without parameters it serves the whole topology as Cytoscape elements with counts",
			opts: serving(shop, nil), req: get(""), status: http.StatusOK,
			check: wantGraph(everything, []string{mirrorToStage, osToOrders, pgToPayments, ordersToMir, ordersToPG, paymentsToOS})},
		{name: "a cluster keeps its topics and the applications touching them",
			opts: serving(shop, nil), req: get("?cluster=stage"), status: http.StatusOK,
			check: wantGraph([]string{"cluster:stage", "topic:stage/orders.v1", "app:mirror"}, []string{mirrorToStage})},
		{name: "an owner keeps its elements and their neighbours",
			opts: serving(shop, nil), req: get("?owner=payments"), status: http.StatusOK,
			check: wantGraph([]string{"cluster:prod", "topic:prod/orders.v1", "topic:prod/payments.v1", "app:order-service", "app:payment-gateway"},
				[]string{osToOrders, pgToPayments, ordersToPG, paymentsToOS})},
		{name: "a system keeps its services' applications and their topics, by the map Options.Topology gives",
			opts: serving(shop, nil), req: get("?system=checkout"), status: http.StatusOK,
			check: wantGraph([]string{"cluster:prod", "topic:prod/orders.v1", "topic:prod/payments.v1", "app:order-service"},
				[]string{osToOrders, paymentsToOS})},
		{name: "a search keeps the matching labels and their neighbours",
			opts: serving(shop, nil), req: get("?search=MIRROR"), status: http.StatusOK,
			check: wantGraph([]string{"cluster:prod", "cluster:stage", "topic:prod/orders.v1", "topic:stage/orders.v1", "app:mirror"},
				[]string{mirrorToStage, ordersToMir})},
		{name: "a focus keeps the nodes one edge away by default",
			opts: serving(shop, nil), req: get("?focus=app:order-service"), status: http.StatusOK,
			check: wantGraph([]string{"cluster:prod", "topic:prod/orders.v1", "topic:prod/payments.v1", "app:order-service"},
				[]string{osToOrders, paymentsToOS})},
		{name: "a focus with depth 5 reaches everything connected",
			opts: serving(shop, nil), req: get("?focus=app:order-service&depth=5"), status: http.StatusOK,
			check: wantGraph(everything, []string{mirrorToStage, osToOrders, pgToPayments, ordersToMir, ordersToPG, paymentsToOS})},
		{name: "parameters combine",
			opts: serving(shop, nil), req: get("?cluster=prod&search=mirror"), status: http.StatusOK,
			check: wantGraph([]string{"cluster:prod", "topic:prod/orders.v1", "app:mirror"}, []string{ordersToMir})},
		{name: "a filter that matches nothing answers empty lists",
			opts: serving(shop, nil), req: get("?focus=app:nobody"), status: http.StatusOK,
			check: wantGraph(nil, nil)},
		{name: "a nil topology is an empty graph",
			opts: topologyOf(nil), req: get(""), status: http.StatusOK,
			check: wantGraph(nil, nil)},
		{name: "node data carries entity refs, parents and systems",
			opts: serving(shop, nil), req: get("?focus=app:order-service"), status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				for _, want := range []string{
					`"id":"app:order-service","type":"application","label":"order-service","parent":"cluster:prod","entityRef":"component:default/order-service","kind":"service","service":"order-service","system":"checkout"`,
					`"id":"topic:prod/orders.v1","type":"topic","label":"orders.v1","parent":"cluster:prod","entityRef":"resource:default/prod--orders.v1"`,
					`"id":"topic:prod/payments.v1","type":"topic","label":"payments.v1","parent":"cluster:prod","entityRef":"resource:default/payments.v1"`,
					`"source":"topic:prod/payments.v1","target":"app:order-service","kind":"consumes"`,
				} {
					if !strings.Contains(string(res.body), want) {
						t.Errorf("the body lacks %s\nbody: %s", want, res.body)
					}
				}
			}},
		{name: "depth 0 is refused", opts: serving(shop, &calls), req: get("?focus=app:mirror&depth=0"),
			status: http.StatusBadRequest, code: "bad-request",
			check: func(t *testing.T, _ *env, res response) {
				if !strings.Contains(string(res.body), "depth must be an integer from 1 to 5") {
					t.Errorf("message: %s", res.body)
				}
				if calls != 0 {
					t.Errorf("the topology was read %d times for a bad request", calls)
				}
			}},
		{name: "depth 6 is refused", opts: serving(shop, nil), req: get("?depth=6"), status: http.StatusBadRequest, code: "bad-request"},
		{name: "a depth that is no number is refused", opts: serving(shop, nil), req: get("?depth=two"), status: http.StatusBadRequest, code: "bad-request"},
		{name: "without Options.Topology it answers kafka-unavailable", req: get(""),
			status: http.StatusServiceUnavailable, code: "kafka-unavailable"},
		{name: "a topology not read yet answers kafka-unavailable with the reason",
			opts: topologyFails(fmt.Errorf("%w: the first sync is running", ErrKafkaUnavailable)), req: get(""),
			status: http.StatusServiceUnavailable, code: "kafka-unavailable",
			check: func(t *testing.T, _ *env, res response) {
				if !strings.Contains(string(res.body), "the first sync is running") {
					t.Errorf("message: %s", res.body)
				}
			}},
		{name: "a failing topology is an internal error whose details go to the log only",
			opts: topologyFails(errors.New("snapshot of host db-7 is gone")), req: get(""),
			status: http.StatusInternalServerError, code: "internal",
			check: func(t *testing.T, e *env, res response) {
				if strings.Contains(string(res.body), "db-7") {
					t.Errorf("the response leaks the error: %s", res.body)
				}
				if !strings.Contains(e.logs.String(), "db-7") {
					t.Errorf("the log lacks the error: %s", e.logs.String())
				}
			}},
		{name: "protected reads need the token", opts: chain(serving(shop, nil), protectReads), req: get(""),
			status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "protected reads with the token are served", opts: chain(serving(shop, nil), protectReads),
			req: request{method: http.MethodGet, target: "/central-config/kafka/topology?cluster=stage", auth: true}, status: http.StatusOK,
			check: wantGraph([]string{"cluster:stage", "topic:stage/orders.v1", "app:mirror"}, []string{mirrorToStage})},
		{name: "protected reads without a configured token are refused", opts: chain(serving(shop, nil), protectReads, noToken), req: get(""),
			status: http.StatusForbidden, code: "token-not-configured"},
	})
}

func TestKafkaClusters(t *testing.T) {
	shop := kafkaShop(t)
	get := request{method: http.MethodGet, target: "/central-config/kafka/clusters"}
	runCases(t, []apiCase{
		{name: "it lists every cluster with its counts", opts: serving(shop, nil), req: get, status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				var body struct {
					Clusters []graph.ClusterSummary `json:"clusters"`
				}
				res.decode(t, &body)
				want := []graph.ClusterSummary{
					{Name: "prod", Declared: true, Environment: "production", Brokers: 3, Topics: 2, Producers: 2, Consumers: 3, Applications: 3},
					{Name: "stage", Declared: true, Topics: 1, Producers: 1, Applications: 1},
				}
				if !slices.Equal(body.Clusters, want) {
					t.Errorf("clusters\n got %+v\nwant %+v", body.Clusters, want)
				}
			}},
		{name: "no clusters is an empty list", opts: topologyOf(&kafka.Topology{}), req: get, status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				if got := strings.TrimSpace(string(res.body)); got != `{"clusters":[]}` {
					t.Errorf("body %s", got)
				}
			}},
		{name: "without Options.Topology it answers kafka-unavailable", req: get,
			status: http.StatusServiceUnavailable, code: "kafka-unavailable"},
		{name: "a failing topology is an internal error", opts: topologyFails(errors.New("boom")), req: get,
			status: http.StatusInternalServerError, code: "internal"},
		{name: "protected reads need the token", opts: chain(serving(shop, nil), protectReads), req: get,
			status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "protected reads without a configured token are refused", opts: chain(serving(shop, nil), protectReads, noToken), req: get,
			status: http.StatusForbidden, code: "token-not-configured"},
	})
}

var discoveredAt = time.Date(2025, 3, 4, 10, 25, 0, 0, time.UTC)

// shopObservations is what discovery saw of the shop's clusters: prod
// holds orders.v1 with 6 partitions and replication 1, no payments.v1,
// an undeclared topic and an undeclared consumer group; stage did not
// answer.
var shopObservations = []drift.Observation{
	{Scope: drift.Scope{Cluster: "prod"}, State: drift.StateOK, CheckedAt: discoveredAt, Observed: drift.Observed{
		Topics: []drift.Topic{{Name: "orders.v1", Partitions: 6, Replicas: 1}, {Name: "stray.v1", Partitions: 1, Replicas: 1}},
		Groups: []string{"order-service", "console-consumer-1"},
	}},
	{Scope: drift.Scope{Cluster: "stage"}, State: drift.StateUnreachable, CheckedAt: discoveredAt,
		Error: "list topics: unable to dial: dial tcp 10.0.0.9:9092: connect: connection refused"},
}

// discovering serves the shop with live discovery: Options.Drift compares
// the observations with the topology the handler passes.
func discovering(t *testing.T, obs []drift.Observation) func(*Options) {
	return chain(serving(kafkaShop(t), nil), func(o *Options) {
		o.Drift = func(_ context.Context, top *kafka.Topology) ([]drift.Cluster, error) {
			return drift.Report(top, obs), nil
		}
	})
}

func driftFails(err error) func(*Options) {
	return func(o *Options) {
		o.Drift = func(context.Context, *kafka.Topology) ([]drift.Cluster, error) { return nil, err }
	}
}

func TestKafkaDrift(t *testing.T) {
	get := request{method: http.MethodGet, target: "/central-config/kafka/drift"}
	runCases(t, []apiCase{
		{name: "it serves each cluster's state and findings", opts: discovering(t, shopObservations), req: get, status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				want := `{"clusters":[` +
					`{"cluster":"prod","declared":true,"state":"ok","checkedAt":"2025-03-04T10:25:00Z","error":null,"findings":[` +
					`{"kind":"missing-topic","topic":"payments.v1"},` +
					`{"kind":"undeclared-topic","topic":"stray.v1"},` +
					`{"kind":"partitions-mismatch","topic":"orders.v1","declared":12,"actual":6},` +
					`{"kind":"replication-mismatch","topic":"orders.v1","declared":3,"actual":1},` +
					`{"kind":"undeclared-consumer-group","group":"console-consumer-1"}]},` +
					`{"cluster":"stage","declared":true,"state":"unreachable","checkedAt":"2025-03-04T10:25:00Z",` +
					`"error":"list topics: unable to dial: dial tcp 10.0.0.9:9092: connect: connection refused","findings":[]}]}`
				if got := strings.TrimSpace(string(res.body)); got != want {
					t.Errorf("body\n got %s\nwant %s", got, want)
				}
			}},
		{name: "a cluster never discovered has no time, error or findings",
			opts: discovering(t, []drift.Observation{{Scope: drift.Scope{Cluster: "typo"}, State: drift.StateNever}}), req: get, status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				want := `{"clusters":[{"cluster":"typo","declared":false,"state":"never","checkedAt":null,"error":null,"findings":[]}]}`
				if got := strings.TrimSpace(string(res.body)); got != want {
					t.Errorf("body\n got %s\nwant %s", got, want)
				}
			}},
		{name: "without discovery it is an empty list", opts: serving(kafkaShop(t), nil), req: get, status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				if got := strings.TrimSpace(string(res.body)); got != `{"clusters":[]}` {
					t.Errorf("body %s", got)
				}
			}},
		{name: "without discovery or topology it is an empty list too", req: get, status: http.StatusOK},
		{name: "before every source is read it answers kafka-unavailable with the reason",
			opts:   chain(serving(kafkaShop(t), nil), driftFails(fmt.Errorf("%w: not read yet: platform", ErrKafkaUnavailable))),
			req:    get,
			status: http.StatusServiceUnavailable, code: "kafka-unavailable",
			check: func(t *testing.T, _ *env, res response) {
				if !strings.Contains(string(res.body), "not read yet: platform") {
					t.Errorf("message: %s", res.body)
				}
			}},
		{name: "with discovery but no topology it answers kafka-unavailable",
			opts: driftFails(errors.New("not called")), req: get, status: http.StatusServiceUnavailable, code: "kafka-unavailable"},
		{name: "a failing comparison is an internal error", opts: chain(serving(kafkaShop(t), nil), driftFails(errors.New("boom"))), req: get,
			status: http.StatusInternalServerError, code: "internal"},
		{name: "protected reads need the token", opts: chain(discovering(t, shopObservations), protectReads), req: get,
			status: http.StatusUnauthorized, code: "unauthorized"},
		{name: "protected reads without a configured token are refused", opts: chain(discovering(t, shopObservations), protectReads, noToken), req: get,
			status: http.StatusForbidden, code: "token-not-configured"},
	})
}

func TestKafkaTopologyShowsDrift(t *testing.T) {
	get := request{method: http.MethodGet, target: "/central-config/kafka/topology"}
	driftFields := []string{
		`"id":"cluster:prod","type":"cluster","label":"prod","declared":true,"live":"ok"`,
		`"id":"cluster:stage","type":"cluster","label":"stage","declared":true,"live":"unreachable","liveError":"list topics: unable to dial: dial tcp 10.0.0.9:9092: connect: connection refused"`,
		`"id":"topic:prod/orders.v1","type":"topic","label":"orders.v1","parent":"cluster:prod","entityRef":"resource:default/prod--orders.v1","declared":true,"drift":"mismatch","driftDetail":"12 partitions declared, 6 on the cluster; replication factor 3 declared, 1 on the cluster"`,
		`"id":"topic:prod/payments.v1","type":"topic","label":"payments.v1","parent":"cluster:prod","entityRef":"resource:default/payments.v1","declared":true,"drift":"missing","driftDetail":"declared, but not on the cluster"`,
		`"id":"topic:prod/stray.v1","type":"topic","label":"stray.v1","parent":"cluster:prod","declared":false,"drift":"undeclared","driftDetail":"on the cluster, but no document declares it","cluster":"prod"`,
	}
	runCases(t, []apiCase{
		{name: "nodes carry the drift, and undeclared topics are nodes in their cluster", opts: discovering(t, shopObservations), req: get,
			status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				for _, want := range driftFields {
					if !strings.Contains(string(res.body), want) {
						t.Errorf("the body lacks %s\nbody: %s", want, res.body)
					}
				}
				var body topologyBody
				res.decode(t, &body)
				if body.Counts.Topics != 4 {
					t.Errorf("counts %+v, want 4 topics (stray.v1 added)", body.Counts)
				}
			}},
		{name: "filters apply to the undeclared topics", opts: discovering(t, shopObservations),
			req: request{method: http.MethodGet, target: "/central-config/kafka/topology?search=stray"}, status: http.StatusOK,
			check: wantGraph([]string{"cluster:prod", "topic:prod/stray.v1"}, nil)},
		{name: "before every source is read the graph has no drift fields",
			opts: chain(serving(kafkaShop(t), nil), driftFails(fmt.Errorf("%w: not read yet", ErrKafkaUnavailable))), req: get, status: http.StatusOK,
			check: func(t *testing.T, _ *env, res response) {
				if strings.Contains(string(res.body), `"drift"`) || strings.Contains(string(res.body), `"live"`) || strings.Contains(string(res.body), "stray") {
					t.Errorf("drift fields without a complete topology: %s", res.body)
				}
			}},
		{name: "a failing comparison is an internal error", opts: chain(serving(kafkaShop(t), nil), driftFails(errors.New("boom"))), req: get,
			status: http.StatusInternalServerError, code: "internal"},
	})
}

func TestDriftMetrics(t *testing.T) {
	e := newEnv(t, nil, discovering(t, shopObservations))
	m := metrics.New(e.reg) // what the engine gives the monitor
	m.ObserveDiscovery("prod", discoveredAt, nil)
	m.ObserveDiscovery("stage", discoveredAt, errors.New("refused"))
	m.ObserveDiscovery("stage", discoveredAt, errors.New("refused"))
	tests := []struct {
		metric string
		labels map[string]string
		value  float64 // -1: no series
	}{
		{"central_config_kafka_drift_findings", map[string]string{"cluster": "prod", "kind": "missing-topic"}, 1},
		{"central_config_kafka_drift_findings", map[string]string{"cluster": "prod", "kind": "partitions-mismatch"}, 1},
		{"central_config_kafka_drift_findings", map[string]string{"cluster": "prod", "kind": "undeclared-consumer-group"}, 1},
		{"central_config_kafka_drift_findings", map[string]string{"cluster": "stage", "kind": "missing-topic"}, -1},
		{"central_config_kafka_discovery_last_success_timestamp_seconds", map[string]string{"cluster": "prod"}, float64(discoveredAt.Unix())},
		{"central_config_kafka_discovery_last_success_timestamp_seconds", map[string]string{"cluster": "stage"}, -1},
		{"central_config_kafka_discovery_errors_total", map[string]string{"cluster": "prod"}, 0},
		{"central_config_kafka_discovery_errors_total", map[string]string{"cluster": "stage"}, 2},
	}
	for _, tt := range tests {
		v, ok := metricValue(t, e.reg, tt.metric, tt.labels)
		switch {
		case tt.value < 0 && ok:
			t.Errorf("%s%v = %v, want no series", tt.metric, tt.labels, v)
		case tt.value >= 0 && (!ok || v != tt.value):
			t.Errorf("%s%v = %v (present %v), want %v", tt.metric, tt.labels, v, ok, tt.value)
		}
	}
	t.Run("no findings is 0 for every kind, so alerts see the all-clear", func(t *testing.T) {
		e := newEnv(t, nil, discovering(t, []drift.Observation{{Scope: drift.Scope{Cluster: "stage"}, State: drift.StateOK,
			Observed: drift.Observed{Topics: []drift.Topic{{Name: "orders.v1", Partitions: 1, Replicas: 1}}}}}))
		for _, k := range drift.Kinds {
			if v, ok := metricValue(t, e.reg, "central_config_kafka_drift_findings", map[string]string{"cluster": "stage", "kind": string(k)}); !ok || v != 0 {
				t.Errorf("%s = %v (present %v), want 0", k, v, ok)
			}
		}
	})
	t.Run("without a complete topology there are no findings samples", func(t *testing.T) {
		e := newEnv(t, nil, chain(serving(kafkaShop(t), nil), driftFails(ErrKafkaUnavailable)))
		if v, ok := metricValue(t, e.reg, "central_config_kafka_drift_findings", map[string]string{"cluster": "prod", "kind": "missing-topic"}); ok {
			t.Errorf("a sample %v from an incomplete topology", v)
		}
	})
}
