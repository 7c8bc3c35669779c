// Package drift compares what a Kafka cluster really holds (its topics
// with their partitions and replication factor, and its consumer groups,
// as live discovery found them) with the topology the repositories
// declare. Everything here is a pure function: package live does the
// network part and keeps its observations, and the API and the topology
// graph show the findings. Keeping this apart from live keeps the graph
// free of any Kafka client.
package drift

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/central-config/central-config/internal/kafka"
)

// Kind is what sort of difference a finding is.
type Kind string

// The kinds of findings, in the order findings are listed.
const (
	// MissingTopic: a topic is declared on the cluster but does not
	// exist there.
	MissingTopic Kind = "missing-topic"
	// UndeclaredTopic: a topic exists on the cluster but no document
	// declares it.
	UndeclaredTopic Kind = "undeclared-topic"
	// PartitionsMismatch: the topic has another number of partitions
	// than declared.
	PartitionsMismatch Kind = "partitions-mismatch"
	// ReplicationMismatch: the topic has another replication factor
	// than declared.
	ReplicationMismatch Kind = "replication-mismatch"
	// UndeclaredConsumerGroup: a consumer group exists on the cluster
	// but no application declares it (in its consumerGroups).
	UndeclaredConsumerGroup Kind = "undeclared-consumer-group"
)

// Kinds lists every kind, in the order findings are listed; metrics
// report each one, also at zero.
var Kinds = []Kind{MissingTopic, UndeclaredTopic, PartitionsMismatch, ReplicationMismatch, UndeclaredConsumerGroup}

// Finding is one difference between a cluster and its declarations.
// Topic is set for the topic kinds, Group for undeclared consumer
// groups; Declared and Actual are the numbers of the mismatch kinds.
type Finding struct {
	Kind     Kind   `json:"kind"`
	Topic    string `json:"topic,omitempty"`
	Group    string `json:"group,omitempty"`
	Declared int    `json:"declared,omitempty"`
	Actual   int    `json:"actual,omitempty"`
}

// Topic is a topic as it exists on a cluster.
type Topic struct {
	Name string
	// Partitions and Replicas (the replication factor) are 0 when the
	// cluster could not say (a topic without a leader yet).
	Partitions int
	Replicas   int
}

// Observed is what discovery found on a cluster. Kafka's internal topics
// are not in it.
type Observed struct {
	Topics []Topic
	// Groups are the names of the consumer groups.
	Groups []string
}

// Scope says what of the topology one cluster is compared with.
type Scope struct {
	// Cluster is the cluster's name in the topology.
	Cluster string
	// TopicsWithoutCluster adds the topics declared on no named cluster
	// (JulieOps, kafka-gitops name none); a topic declared on the
	// cluster itself wins over one of the same name on none.
	TopicsWithoutCluster bool
	// IgnoreTopics and IgnoreGroups are names, or prefixes ending in *,
	// never compared. Topics whose name starts with "__" (Kafka's and
	// its tools' own: __consumer_offsets, __strimzi...) are always
	// ignored.
	IgnoreTopics, IgnoreGroups []string
}

// Compare lists the differences between what was observed on a cluster
// and what the topology declares for it, ordered by kind (as Kinds lists
// them) and then by name. A nil topology declares nothing.
func Compare(t *kafka.Topology, s Scope, o Observed) []Finding {
	if t == nil {
		t = &kafka.Topology{}
	}
	declared := declaredTopics(t, s)
	out := []Finding{}
	actual := make(map[string]bool, len(o.Topics))
	for _, ot := range o.Topics {
		if ignored(ot.Name, s.IgnoreTopics, true) {
			continue
		}
		actual[ot.Name] = true
		d, ok := declared[ot.Name]
		if !ok {
			out = append(out, Finding{Kind: UndeclaredTopic, Topic: ot.Name})
			continue
		}
		// 0 is unknown, on either side: not compared.
		if d.Partitions > 0 && ot.Partitions > 0 && d.Partitions != ot.Partitions {
			out = append(out, Finding{Kind: PartitionsMismatch, Topic: ot.Name, Declared: d.Partitions, Actual: ot.Partitions})
		}
		if d.Replicas > 0 && ot.Replicas > 0 && d.Replicas != ot.Replicas {
			out = append(out, Finding{Kind: ReplicationMismatch, Topic: ot.Name, Declared: d.Replicas, Actual: ot.Replicas})
		}
	}
	for name := range declared {
		if !actual[name] && !ignored(name, s.IgnoreTopics, true) {
			out = append(out, Finding{Kind: MissingTopic, Topic: name})
		}
	}
	groups := map[string]bool{}
	for _, a := range t.Applications {
		for _, g := range a.ConsumerGroups {
			groups[g] = true
		}
	}
	for _, g := range o.Groups {
		if !groups[g] && !ignored(g, s.IgnoreGroups, false) {
			out = append(out, Finding{Kind: UndeclaredConsumerGroup, Group: g})
		}
	}
	slices.SortFunc(out, compareFindings)
	return slices.CompactFunc(out, func(a, b Finding) bool { return a == b })
}

// declaredTopics are the topics declared on the scope's cluster, by name.
func declaredTopics(t *kafka.Topology, s Scope) map[string]*kafka.Topic {
	out := map[string]*kafka.Topic{}
	for i := range t.Topics {
		tp := &t.Topics[i]
		switch {
		case tp.Cluster == s.Cluster:
			out[tp.Name] = tp
		case tp.Cluster == "" && s.TopicsWithoutCluster:
			if _, ok := out[tp.Name]; !ok {
				out[tp.Name] = tp
			}
		}
	}
	return out
}

// ignored reports whether a name matches one of the patterns: a name, or
// a prefix ending in *. For topics, names starting with "__" always do.
func ignored(name string, patterns []string, topic bool) bool {
	if topic && strings.HasPrefix(name, "__") {
		return true
	}
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		} else if p == name {
			return true
		}
	}
	return false
}

func kindRank(k Kind) int { return slices.Index(Kinds, k) }

func compareFindings(a, b Finding) int {
	return cmp.Or(cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Group, b.Group))
}

// State is how the last discovery of a cluster went.
type State string

// The states of a cluster's discovery.
const (
	// StateNever: no discovery has finished yet.
	StateNever State = "never"
	// StateOK: the last discovery listed the cluster's topics and groups.
	StateOK State = "ok"
	// StateUnreachable: the last discovery failed (connection,
	// authentication, timeout); Error says why.
	StateUnreachable State = "unreachable"
)

// Observation is the last discovery of one cluster.
type Observation struct {
	Scope Scope
	State State
	// CheckedAt is when the last discovery finished; zero for StateNever.
	CheckedAt time.Time
	// Error is why the last discovery failed, for StateUnreachable.
	Error string
	// Observed is what StateOK found.
	Observed Observed
}

// Cluster is the drift of one cluster, as GET /central-config/kafka/drift
// serves it: the last discovery's state and, when it is ok, the findings
// against the topology.
type Cluster struct {
	Cluster string `json:"cluster"`
	// Declared is false when the topology has no cluster of that name
	// (its name in the discovery config is then likely wrong).
	Declared  bool       `json:"declared"`
	State     State      `json:"state"`
	CheckedAt *time.Time `json:"checkedAt"`
	Error     *string    `json:"error"`
	// TopicsWithoutCluster says the topics declared on no named cluster
	// were compared with this one too.
	TopicsWithoutCluster bool      `json:"topicsWithoutCluster,omitempty"`
	Findings             []Finding `json:"findings"`
}

// Report compares each observation with the topology, in the order given.
// Clusters not in StateOK have no findings: nothing is known of them.
func Report(t *kafka.Topology, obs []Observation) []Cluster {
	out := make([]Cluster, 0, len(obs))
	for _, o := range obs {
		c := Cluster{Cluster: o.Scope.Cluster, State: o.State, TopicsWithoutCluster: o.Scope.TopicsWithoutCluster, Findings: []Finding{}}
		c.Declared = t != nil && t.Cluster(o.Scope.Cluster) != nil
		if !o.CheckedAt.IsZero() {
			at := o.CheckedAt
			c.CheckedAt = &at
		}
		if o.State == StateUnreachable {
			msg := o.Error
			c.Error = &msg
		}
		if o.State == StateOK {
			c.Findings = Compare(t, o.Scope, o.Observed)
		}
		out = append(out, c)
	}
	return out
}

// Detail says in words what a topic's findings mean, for the topology
// graph: "6 partitions declared, 3 on the cluster".
func Detail(f Finding) string {
	switch f.Kind {
	case MissingTopic:
		return "declared, but not on the cluster"
	case UndeclaredTopic:
		return "on the cluster, but no document declares it"
	case PartitionsMismatch:
		return fmt.Sprintf("%d partitions declared, %d on the cluster", f.Declared, f.Actual)
	case ReplicationMismatch:
		return fmt.Sprintf("replication factor %d declared, %d on the cluster", f.Declared, f.Actual)
	case UndeclaredConsumerGroup:
		return "consumer group on the cluster, but no application declares it"
	}
	return string(f.Kind)
}
