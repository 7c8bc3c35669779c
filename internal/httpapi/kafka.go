package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/kafka/graph"
)

// ErrKafkaUnavailable is what Options.Topology returns (or wraps) when it
// has no topology to give yet, such as before the first sync read the
// repositories: the Kafka routes answer 503 kafka-unavailable, as when
// Options.Topology is nil, rather than an empty graph.
var ErrKafkaUnavailable = errors.New("the Kafka topology is not available yet")

// The focus radius of GET /central-config/kafka/topology.
const (
	defaultFocusDepth = 1
	maxFocusDepth     = 5
)

// kafkaTopologyJSON is the answer of GET /central-config/kafka/topology:
// Cytoscape.js elements and how many of each kind they hold.
type kafkaTopologyJSON struct {
	Elements graph.Graph  `json:"elements"`
	Counts   graph.Counts `json:"counts"`
}

type kafkaClustersJSON struct {
	Clusters []graph.ClusterSummary `json:"clusters"`
}

// kafkaDriftJSON is the answer of GET /central-config/kafka/drift.
type kafkaDriftJSON struct {
	Clusters []drift.Cluster `json:"clusters"`
}

// kafkaTopology serves the Kafka topology as a graph, narrowed by the
// query parameters cluster, owner, system, search and focus (with depth).
func (s *server) kafkaTopology(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	depth := defaultFocusDepth
	if v := q.Get("depth"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFocusDepth {
			s.error(w, http.StatusBadRequest, "bad-request",
				"depth must be an integer from 1 to "+strconv.Itoa(maxFocusDepth)+", not "+strconv.Quote(clip(v)))
			return
		}
		depth = n
	}
	top, systems, ok := s.kafkaTopologyOf(w, r)
	if !ok {
		return
	}
	var clusters []drift.Cluster
	if s.opts.Drift != nil {
		var err error
		clusters, err = s.opts.Drift(r.Context(), top)
		if err != nil && !errors.Is(err, ErrKafkaUnavailable) {
			s.internal(w, r, "cannot compare the Kafka clusters with the topology", err)
			return
		}
	}
	g := graph.Elements(top, graph.Filter{
		Cluster: q.Get("cluster"),
		Owner:   q.Get("owner"),
		System:  q.Get("system"),
		Search:  q.Get("search"),
		Focus:   q.Get("focus"),
		Depth:   depth,
	}, graph.Options{ServiceSystem: systems, Drift: clusters})
	writeJSON(w, http.StatusOK, kafkaTopologyJSON{Elements: g, Counts: g.Counts()})
}

// kafkaClusters serves a summary of every Kafka cluster.
func (s *server) kafkaClusters(w http.ResponseWriter, r *http.Request) {
	top, _, ok := s.kafkaTopologyOf(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, kafkaClustersJSON{Clusters: graph.Clusters(top)})
}

// kafkaDrift serves what live discovery found on each configured cluster
// and how it differs from the topology; an empty list when discovery is
// off.
func (s *server) kafkaDrift(w http.ResponseWriter, r *http.Request) {
	if s.opts.Drift == nil {
		writeJSON(w, http.StatusOK, kafkaDriftJSON{Clusters: []drift.Cluster{}})
		return
	}
	top, _, ok := s.kafkaTopologyOf(w, r)
	if !ok {
		return
	}
	clusters, err := s.opts.Drift(r.Context(), top)
	switch {
	case errors.Is(err, ErrKafkaUnavailable):
		s.error(w, http.StatusServiceUnavailable, "kafka-unavailable", err.Error())
		return
	case err != nil:
		s.internal(w, r, "cannot compare the Kafka clusters with the topology", err)
		return
	}
	if clusters == nil {
		clusters = []drift.Cluster{}
	}
	writeJSON(w, http.StatusOK, kafkaDriftJSON{Clusters: clusters})
}

// driftFindings compares the clusters with the topology for the drift
// metrics; nil when either is not available.
func (s *server) driftFindings(ctx context.Context) []drift.Cluster {
	top, _, err := s.opts.Topology(ctx)
	if err != nil {
		return nil
	}
	clusters, err := s.opts.Drift(ctx, top)
	if err != nil {
		return nil
	}
	return clusters
}

// kafkaTopologyOf gets the topology from Options.Topology; ok is false
// after an error response was written. A nil topology is an empty one.
func (s *server) kafkaTopologyOf(w http.ResponseWriter, r *http.Request) (*kafka.Topology, map[string]string, bool) {
	if s.opts.Topology == nil {
		s.error(w, http.StatusServiceUnavailable, "kafka-unavailable", "this engine serves no Kafka topology")
		return nil, nil, false
	}
	top, systems, err := s.opts.Topology(r.Context())
	switch {
	case errors.Is(err, ErrKafkaUnavailable):
		s.error(w, http.StatusServiceUnavailable, "kafka-unavailable", err.Error())
		return nil, nil, false
	case err != nil:
		s.internal(w, r, "cannot read the Kafka topology", err)
		return nil, nil, false
	}
	if top == nil {
		top = &kafka.Topology{}
	}
	return top, systems, true
}
