package testrepo_test

import (
	"testing"

	"github.com/central-config/central-config/internal/kafka/graph"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

func TestGenerateKafkaGivesTheAskedTopologyWithoutErrors(t *testing.T) {
	files := append(testrepo.Generate(300), testrepo.GenerateKafka(600, 120, testrepo.Teams(300)))
	res := mapping.Map(&source.Snapshot{Revision: "r1", Files: files}, mapping.Options{SourceID: "bench"})
	if len(res.Diagnostics) > 0 {
		t.Fatalf("the generated repository has problems: %v", res.Diagnostics)
	}
	c := graph.Elements(res.Topology, graph.Filter{}).Counts()
	if c.Clusters != 3 || c.Topics != 600 || c.Applications != 120 || c.Edges < 120*5 {
		t.Errorf("counts %+v, want 3 clusters, 600 topics, 120 applications, at least 600 edges", c)
	}
	again := testrepo.GenerateKafka(600, 120, testrepo.Teams(300))
	if string(again.Content) != string(files[len(files)-1].Content) {
		t.Errorf("GenerateKafka is not deterministic")
	}
}
