package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/graph"
)

// generate builds a large, realistic topology through Merge: topics
// domainNN.eventNNNN.v1 spread over three clusters, and applications that
// each write 2 topics and read 5 of their cluster, one in twenty also
// reading a whole domain by prefix, most of them services of one of 40
// systems. The same arguments give the same topology.
func generate(topics, apps int) (*kafka.Topology, map[string]string) {
	r := rand.New(rand.NewPCG(1, 2))
	clusters := []string{"prod-eu", "prod-us", "staging"}
	const domains = 50
	frag := &kafka.Topology{}
	for _, c := range clusters {
		frag.Clusters = append(frag.Clusters, kafka.Cluster{Name: c, Environment: "production", Brokers: 6})
	}
	byCluster := map[string][]string{}
	for i := range topics {
		c := clusters[i%len(clusters)]
		name := fmt.Sprintf("domain%02d.event%04d.v1", i%domains, i)
		byCluster[c] = append(byCluster[c], name)
		frag.Topics = append(frag.Topics, kafka.Topic{Cluster: c, Name: name, Partitions: 1 + r.IntN(24), Replicas: 3,
			Owner: fmt.Sprintf("team%02d", i%domains), Config: map[string]string{"retention.ms": "604800000"}})
	}
	systems := map[string]string{}
	for i := range apps {
		c := clusters[r.IntN(len(clusters))]
		pick := func() string { ts := byCluster[c]; return ts[r.IntN(len(ts))] }
		a := kafka.Application{Name: fmt.Sprintf("app%04d", i), Kind: kafka.KindService, Owner: fmt.Sprintf("team%02d", i%domains),
			ConsumerGroups: []string{fmt.Sprintf("app%04d", i)}}
		if i%5 != 0 {
			a.Service = a.Name
			systems[a.Service] = fmt.Sprintf("system%02d", i%40)
		}
		for range 2 {
			a.Grant(kafka.ACL{Cluster: c, Pattern: pick(), PatternType: kafka.Literal, Access: kafka.Produce})
		}
		for range 5 {
			a.Grant(kafka.ACL{Cluster: c, Pattern: pick(), PatternType: kafka.Literal, Access: kafka.Consume})
		}
		if i%20 == 0 {
			a.Grant(kafka.ACL{Cluster: c, Pattern: fmt.Sprintf("domain%02d.", r.IntN(domains)), PatternType: kafka.Prefixed, Access: kafka.Consume})
		}
		frag.Applications = append(frag.Applications, a)
	}
	top, _ := kafka.Merge(frag)
	return top, systems
}

func TestGenerateIsTheSizeTheBenchmarkSays(t *testing.T) {
	top, _ := generate(5000, 1000)
	c := graph.Elements(top, graph.Filter{}).Counts()
	t.Logf("generated %+v", c)
	if c.Topics != 5000 || c.Applications != 1000 || c.Clusters != 3 || c.Edges < 8000 {
		t.Errorf("generated %+v", c)
	}
}

// BenchmarkElements5k draws a topology of 5,000 topics and 1,000
// applications (8,660 edges): the whole graph, a search, a focus,
// and the whole graph encoded as the API sends it. The goal is far below
// 200 ms per call.
func BenchmarkElements5k(b *testing.B) {
	top, systems := generate(5000, 1000)
	opts := graph.Options{ServiceSystem: systems}
	for _, bc := range []struct {
		name   string
		filter graph.Filter
		encode bool
	}{
		{name: "all"},
		{name: "cluster", filter: graph.Filter{Cluster: "prod-eu"}},
		{name: "system", filter: graph.Filter{System: "system07"}},
		{name: "search", filter: graph.Filter{Search: "EVENT12"}},
		{name: "focus-depth3", filter: graph.Filter{Focus: "app:app0042", Depth: 3}},
		{name: "all+json", encode: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g := graph.Elements(top, bc.filter, opts)
				if bc.encode {
					if err := json.NewEncoder(io.Discard).Encode(g); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/call")
		})
	}
}

func BenchmarkClusters5k(b *testing.B) {
	top, _ := generate(5000, 1000)
	for b.Loop() {
		graph.Clusters(top)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/call")
}
