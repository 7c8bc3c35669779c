package review

import (
	"testing"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkCompareOneFileChanged reviews a one-file change of a generated
// repository of 10k entities: both revisions mapped whole, as a pull
// request's check does. It reports entities/s (of both revisions).
func BenchmarkCompareOneFileChanged(b *testing.B) {
	files := testrepo.Generate(10_000)
	changed := append([]source.File(nil), files...)
	for i, f := range changed {
		if f.Path == "systems/system-7.yaml" {
			changed[i].Content = append([]byte("# edited\n"), f.Content...)
		}
	}
	base := &source.Snapshot{Revision: "base", Files: files}
	head := &source.Snapshot{Revision: "head", Files: changed}
	var r *Report
	for b.Loop() {
		r = Compare(base, head, defaultOptions())
	}
	if r.Counts.Changed == 0 || r.Counts.Added+r.Counts.Removed != 0 {
		b.Fatalf("counts %+v, want the edited file's entities changed and nothing else", r.Counts)
	}
	b.ReportMetric(float64(2*r.Counts.Before)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
	b.ReportMetric(float64(r.Counts.Before), "entities")
}
