package graph

import (
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
)

// The values of a topic node's data.drift.
const (
	// DriftMissing: declared, but not on its cluster.
	DriftMissing = "missing"
	// DriftUndeclared: on the cluster, but no document declares it.
	DriftUndeclared = "undeclared"
	// DriftMismatch: its partitions or replication factor differ.
	DriftMismatch = "mismatch"
)

// driftRank orders the drift of a topic that several findings concern
// (a topic on no named cluster compared with two clusters): the higher
// wins.
var driftRank = map[string]int{DriftUndeclared: 1, DriftMismatch: 2, DriftMissing: 3}

// annotations are the drift fields of the graph's nodes.
type annotations struct {
	topics   map[kafka.TopicKey]*topicDrift
	clusters map[string]clusterLive
	// undeclared are the topics found on a cluster that no document
	// declares, in the order of the findings.
	undeclared []kafka.TopicKey
}

type topicDrift struct {
	drift   string
	details []string
}

type clusterLive struct {
	state drift.State
	err   string
}

// annotate turns the clusters' findings into node annotations. A finding
// on a topic declared on no named cluster (compared through
// Scope.TopicsWithoutCluster) annotates that topic, its detail prefixed
// with the cluster it concerns.
func annotate(t *kafka.Topology, clusters []drift.Cluster) annotations {
	a := annotations{topics: map[kafka.TopicKey]*topicDrift{}, clusters: map[string]clusterLive{}}
	if len(clusters) == 0 {
		return a
	}
	declared := make(map[kafka.TopicKey]bool, len(t.Topics))
	for _, tp := range t.Topics {
		declared[tp.Key()] = true
	}
	for _, c := range clusters {
		if c.State == drift.StateNever {
			continue
		}
		l := clusterLive{state: c.State}
		if c.Error != nil {
			l.err = *c.Error
		}
		a.clusters[c.Cluster] = l
		for _, f := range c.Findings {
			if f.Topic == "" {
				continue
			}
			key, prefix := kafka.TopicKey{Cluster: c.Cluster, Name: f.Topic}, ""
			if !declared[key] && c.TopicsWithoutCluster && declared[kafka.TopicKey{Name: f.Topic}] {
				key, prefix = kafka.TopicKey{Name: f.Topic}, "cluster "+c.Cluster+": "
			}
			kind := DriftMismatch
			switch f.Kind {
			case drift.MissingTopic:
				kind = DriftMissing
			case drift.UndeclaredTopic:
				kind = DriftUndeclared
				a.undeclared = append(a.undeclared, key)
			}
			td := a.topics[key]
			if td == nil {
				td = &topicDrift{}
				a.topics[key] = td
			}
			if driftRank[kind] > driftRank[td.drift] {
				td.drift = kind
			}
			td.details = append(td.details, prefix+drift.Detail(f))
		}
	}
	return a
}
