package drift

import (
	"reflect"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/kafka"
)

// shop declares cluster prod with orders.v1 (12 partitions, replicas 3)
// and payments.v1 (partitions and replicas left to the broker), a topic
// audit.v1 on no named cluster, and two applications with consumer
// groups; stage is declared with no topics.
func shop(t *testing.T) *kafka.Topology {
	t.Helper()
	top, diags := kafka.Merge(&kafka.Topology{
		Clusters: []kafka.Cluster{{Name: "prod"}, {Name: "stage"}},
		Topics: []kafka.Topic{
			{Cluster: "prod", Name: "orders.v1", Partitions: 12, Replicas: 3},
			{Cluster: "prod", Name: "payments.v1"},
			{Name: "audit.v1", Partitions: 2, Replicas: 2},
			{Name: "orders.v1", Partitions: 1},
		},
		Applications: []kafka.Application{
			{Name: "order-service", ConsumerGroups: []string{"order-service"}},
			{Name: "auditor", ConsumerGroups: []string{"auditor", "auditor-replay"}},
		},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return top
}

func TestCompare(t *testing.T) {
	prod := Scope{Cluster: "prod"}
	matching := []Topic{{Name: "orders.v1", Partitions: 12, Replicas: 3}, {Name: "payments.v1", Partitions: 6, Replicas: 1}}
	tests := []struct {
		name  string
		scope Scope
		obs   Observed
		want  []Finding
	}{
		{name: "a cluster that holds what is declared has no findings",
			scope: prod, obs: Observed{Topics: matching, Groups: []string{"order-service"}}, want: []Finding{}},
		{name: "a declared topic that is not on the cluster is missing",
			scope: prod, obs: Observed{Topics: matching[:1]},
			want: []Finding{{Kind: MissingTopic, Topic: "payments.v1"}}},
		{name: "a topic on the cluster that no document declares is undeclared",
			scope: prod, obs: Observed{Topics: append([]Topic{{Name: "stray.v1", Partitions: 1, Replicas: 1}}, matching...)},
			want: []Finding{{Kind: UndeclaredTopic, Topic: "stray.v1"}}},
		{name: "other partition counts and replication factors are mismatches with both numbers",
			scope: prod, obs: Observed{Topics: []Topic{{Name: "orders.v1", Partitions: 6, Replicas: 1}, matching[1]}},
			want: []Finding{
				{Kind: PartitionsMismatch, Topic: "orders.v1", Declared: 12, Actual: 6},
				{Kind: ReplicationMismatch, Topic: "orders.v1", Declared: 3, Actual: 1},
			}},
		{name: "numbers the declaration leaves to the broker, or the cluster cannot tell, are not compared",
			scope: prod, obs: Observed{Topics: []Topic{{Name: "orders.v1"}, {Name: "payments.v1", Partitions: 1, Replicas: 1}}},
			want: []Finding{}},
		{name: "a consumer group no application declares is undeclared",
			scope: prod, obs: Observed{Topics: matching, Groups: []string{"auditor-replay", "console-consumer-1", "order-service"}},
			want: []Finding{{Kind: UndeclaredConsumerGroup, Group: "console-consumer-1"}}},
		{name: "topics starting with __ are Kafka's own and never reported",
			scope: prod, obs: Observed{Topics: append([]Topic{{Name: "__consumer_offsets"}, {Name: "__strimzi_store_topic"}}, matching...)},
			want: []Finding{}},
		{name: "ignored names and prefixes are never compared",
			scope: Scope{Cluster: "prod", IgnoreTopics: []string{"tmp.*", "payments.v1"}, IgnoreGroups: []string{"console-consumer-*"}},
			obs:   Observed{Topics: []Topic{matching[0], {Name: "tmp.x"}}, Groups: []string{"console-consumer-7"}},
			want:  []Finding{}},
		{name: "topics on no named cluster are not this cluster's by default",
			scope: Scope{Cluster: "stage"}, obs: Observed{Topics: []Topic{{Name: "audit.v1", Partitions: 2, Replicas: 2}}},
			want: []Finding{{Kind: UndeclaredTopic, Topic: "audit.v1"}}},
		{name: "with TopicsWithoutCluster they are compared too",
			scope: Scope{Cluster: "stage", TopicsWithoutCluster: true}, obs: Observed{Topics: []Topic{{Name: "audit.v1", Partitions: 4, Replicas: 2}}},
			want: []Finding{
				{Kind: MissingTopic, Topic: "orders.v1"},
				{Kind: PartitionsMismatch, Topic: "audit.v1", Declared: 2, Actual: 4},
			}},
		{name: "a topic declared on the cluster wins over one of the same name on no cluster",
			scope: Scope{Cluster: "prod", TopicsWithoutCluster: true},
			obs:   Observed{Topics: append([]Topic{{Name: "audit.v1", Partitions: 2, Replicas: 2}}, matching...)},
			want:  []Finding{}},
		{name: "findings are ordered by kind, then name",
			scope: prod, obs: Observed{Topics: []Topic{{Name: "z.v1"}, {Name: "a.v1"}, {Name: "orders.v1", Partitions: 1, Replicas: 3}}, Groups: []string{"b", "a"}},
			want: []Finding{
				{Kind: MissingTopic, Topic: "payments.v1"},
				{Kind: UndeclaredTopic, Topic: "a.v1"},
				{Kind: UndeclaredTopic, Topic: "z.v1"},
				{Kind: PartitionsMismatch, Topic: "orders.v1", Declared: 12, Actual: 1},
				{Kind: UndeclaredConsumerGroup, Group: "a"},
				{Kind: UndeclaredConsumerGroup, Group: "b"},
			}},
	}
	top := shop(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(top, tt.scope, tt.obs)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findings\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCompareWithNoTopologyFindsEverythingUndeclared(t *testing.T) {
	got := Compare(nil, Scope{Cluster: "prod"}, Observed{Topics: []Topic{{Name: "a"}}, Groups: []string{"g"}})
	want := []Finding{{Kind: UndeclaredTopic, Topic: "a"}, {Kind: UndeclaredConsumerGroup, Group: "g"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestReport(t *testing.T) {
	at := time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)
	msg := "list topics: unable to dial"
	obs := []Observation{
		{Scope: Scope{Cluster: "prod"}, State: StateOK, CheckedAt: at, Observed: Observed{Topics: []Topic{{Name: "orders.v1", Partitions: 12, Replicas: 3}}}},
		{Scope: Scope{Cluster: "stage", TopicsWithoutCluster: true}, State: StateUnreachable, CheckedAt: at, Error: msg},
		{Scope: Scope{Cluster: "typo"}, State: StateNever},
	}
	got := Report(shop(t), obs)
	want := []Cluster{
		{Cluster: "prod", Declared: true, State: StateOK, CheckedAt: &at, Findings: []Finding{{Kind: MissingTopic, Topic: "payments.v1"}}},
		{Cluster: "stage", Declared: true, State: StateUnreachable, CheckedAt: &at, Error: &msg, TopicsWithoutCluster: true, Findings: []Finding{}},
		{Cluster: "typo", State: StateNever, Findings: []Finding{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("report\n got %+v\nwant %+v", got, want)
	}
}

func TestDetailSaysWhatDiffersInWords(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Kind: MissingTopic, Topic: "a"}, "declared, but not on the cluster"},
		{Finding{Kind: UndeclaredTopic, Topic: "a"}, "on the cluster, but no document declares it"},
		{Finding{Kind: PartitionsMismatch, Topic: "a", Declared: 6, Actual: 3}, "6 partitions declared, 3 on the cluster"},
		{Finding{Kind: ReplicationMismatch, Topic: "a", Declared: 3, Actual: 1}, "replication factor 3 declared, 1 on the cluster"},
		{Finding{Kind: UndeclaredConsumerGroup, Group: "g"}, "consumer group on the cluster, but no application declares it"},
	}
	for _, tt := range tests {
		if got := Detail(tt.f); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.f.Kind, got, tt.want)
		}
	}
}
