package review

import (
	"cmp"
	"slices"

	"github.com/central-config/central-config/internal/kafka"
)

// Kafka is how the Kafka topology changes.
type Kafka struct {
	// TopicsAdded and TopicsRemoved name topics as cluster/name.
	TopicsAdded   []string `json:"topicsAdded"`
	TopicsRemoved []string `json:"topicsRemoved"`
	// Partitions lists the topics whose partition count changes.
	Partitions []PartitionChange `json:"partitions"`
	// EdgesAdded and EdgesRemoved are producers and consumers of topics
	// that appear or disappear.
	EdgesAdded   []Edge `json:"edgesAdded"`
	EdgesRemoved []Edge `json:"edgesRemoved"`
}

// Empty reports whether the topology does not change.
func (k Kafka) Empty() bool {
	return len(k.TopicsAdded)+len(k.TopicsRemoved)+len(k.Partitions)+len(k.EdgesAdded)+len(k.EdgesRemoved) == 0
}

// PartitionChange is a topic whose partition count changes (0: the
// broker's default).
type PartitionChange struct {
	Topic string `json:"topic"`
	Old   int    `json:"old"`
	New   int    `json:"new"`
}

// Edge is an application that produces to or consumes from a topic.
type Edge struct {
	Application string `json:"application"`
	// Access is "produces" or "consumes".
	Access string `json:"access"`
	Topic  string `json:"topic"`
}

// diffKafka compares two merged topologies.
func diffKafka(base, head *kafka.Topology) Kafka {
	var k Kafka
	if base == nil {
		base = &kafka.Topology{}
	}
	if head == nil {
		head = &kafka.Topology{}
	}
	topics := func(t *kafka.Topology) map[string]kafka.Topic {
		m := map[string]kafka.Topic{}
		for _, tp := range t.Topics {
			m[tp.Key().String()] = tp
		}
		return m
	}
	bt, ht := topics(base), topics(head)
	for name, t := range ht {
		old, ok := bt[name]
		switch {
		case !ok:
			k.TopicsAdded = append(k.TopicsAdded, name)
		case old.Partitions != t.Partitions:
			k.Partitions = append(k.Partitions, PartitionChange{Topic: name, Old: old.Partitions, New: t.Partitions})
		}
	}
	for name := range bt {
		if _, ok := ht[name]; !ok {
			k.TopicsRemoved = append(k.TopicsRemoved, name)
		}
	}
	be, he := edges(base), edges(head)
	for e := range he {
		if !be[e] {
			k.EdgesAdded = append(k.EdgesAdded, e)
		}
	}
	for e := range be {
		if !he[e] {
			k.EdgesRemoved = append(k.EdgesRemoved, e)
		}
	}
	slices.Sort(k.TopicsAdded)
	slices.Sort(k.TopicsRemoved)
	slices.SortFunc(k.Partitions, func(a, b PartitionChange) int { return cmp.Compare(a.Topic, b.Topic) })
	byEdge := func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Access, b.Access), cmp.Compare(a.Application, b.Application))
	}
	slices.SortFunc(k.EdgesAdded, byEdge)
	slices.SortFunc(k.EdgesRemoved, byEdge)
	return k
}

func edges(t *kafka.Topology) map[Edge]bool {
	m := map[Edge]bool{}
	for _, a := range t.Applications {
		for _, r := range a.Produces {
			m[Edge{Application: a.Name, Access: "produces", Topic: r.Key().String()}] = true
		}
		for _, r := range a.Consumes {
			m[Edge{Application: a.Name, Access: "consumes", Topic: r.Key().String()}] = true
		}
	}
	return m
}
