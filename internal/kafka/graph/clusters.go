package graph

import "github.com/central-config/central-config/internal/kafka"

// ClusterSummary is one line of a cluster overview. Environment, Brokers,
// Bootstrap and Version are zero when unknown (a cluster that topics name
// but no document declares knows none of them).
type ClusterSummary struct {
	Name        string `json:"name"`
	Declared    bool   `json:"declared"`
	Environment string `json:"environment,omitempty"`
	Brokers     int    `json:"brokers,omitempty"`
	Bootstrap   string `json:"bootstrap,omitempty"`
	Version     string `json:"version,omitempty"`
	// Topics counts the topics on the cluster, also those applications
	// reference but no document declares (as the graph shows them).
	Topics int `json:"topics"`
	// Producers and Consumers count the applications that produce to
	// (consume) at least one topic of the cluster; Applications those that
	// do either.
	Producers    int `json:"producers"`
	Consumers    int `json:"consumers"`
	Applications int `json:"applications"`
}

// Clusters summarises every cluster of the topology, declared or named by
// a topic, sorted by name. Topics on no named cluster belong to none.
func Clusters(t *kafka.Topology) []ClusterSummary {
	out := []ClusterSummary{}
	if t == nil {
		return out
	}
	x := build(t)
	at := make(map[string]int, len(x.clusters))
	for _, name := range x.clusters {
		s := ClusterSummary{Name: name}
		if c := t.Cluster(name); c != nil {
			s.Declared = true
			s.Environment, s.Brokers, s.Bootstrap, s.Version = c.Environment, c.Brokers, c.Bootstrap, c.Version
		}
		at[name] = len(out)
		out = append(out, s)
	}
	for _, tn := range x.topics {
		if i, ok := at[tn.key.Cluster]; ok {
			out[i].Topics++
		}
	}
	type role struct {
		cluster string
		app     int
	}
	produces, consumes, touches := map[role]bool{}, map[role]bool{}, map[role]bool{}
	for _, e := range x.edges {
		c := x.topics[e.topic].key.Cluster
		i, ok := at[c]
		if !ok {
			continue
		}
		r := role{c, e.app}
		if e.kind == EdgeProduces && !produces[r] {
			produces[r] = true
			out[i].Producers++
		}
		if e.kind == EdgeConsumes && !consumes[r] {
			consumes[r] = true
			out[i].Consumers++
		}
		if !touches[r] {
			touches[r] = true
			out[i].Applications++
		}
	}
	return out
}
