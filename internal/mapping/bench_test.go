package mapping

import (
	"testing"

	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

// BenchmarkMap decodes, maps and validates a generated repository of 100k
// entities (make bench). It reports entities/s; the goal is 50k/s on the
// 2-core CI machine.
func BenchmarkMap(b *testing.B) {
	files := testrepo.Generate(100_000)
	var bytes int64
	for _, f := range files {
		bytes += int64(len(f.Content))
	}
	snap := &source.Snapshot{Revision: "bench", Files: files}
	b.SetBytes(bytes)
	b.ReportAllocs()
	var entities int
	for b.Loop() {
		res := Map(snap, Options{SourceID: "bench"})
		if res.Diagnostics.HasErrors() {
			b.Fatal(res.Diagnostics[0])
		}
		entities = len(res.Entities())
	}
	b.ReportMetric(float64(entities)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
	b.ReportMetric(float64(entities), "entities")
}

var limitsForFuzz = document.Limits{MaxFileBytes: 1 << 16, MaxNodes: 10_000, MaxExpandedBytes: 1 << 20, MaxEntityBytes: 256 << 10, MaxDepth: 32}

// BenchmarkMapOneFileChanged maps the 100k-entity repository again after
// one file changed, reusing the previous result: what a sync of a small
// commit costs in the mapping step.
func BenchmarkMapOneFileChanged(b *testing.B) {
	files := testrepo.Generate(100_000)
	prev := Map(&source.Snapshot{Revision: "r1", Files: files}, Options{SourceID: "bench", Compact: true})
	changed := append([]source.File(nil), files...)
	for i, f := range changed {
		if f.Path == "systems/system-7.yaml" {
			changed[i].Content = append([]byte("# edited\n"), f.Content...)
		}
	}
	snap := &source.Snapshot{Revision: "r2", Files: changed}
	for b.Loop() {
		res := Map(snap, Options{SourceID: "bench", Compact: true, Previous: prev})
		if res.Reused != len(files)-1 {
			b.Fatalf("reused %d of %d files", res.Reused, len(files))
		}
	}
}
