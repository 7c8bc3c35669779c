package mapping

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

// parallelRepo is a repository with something of every outcome: a
// generated company, the catalog-repo fixture (Locations, kinds, ignored
// files), a Kafka topology, placeholders, a file that does not parse, a
// duplicate across files, a dangling ref and an invalid entity.
func parallelRepo(t *testing.T) map[string]string {
	files := catalogRepo(t)
	for _, f := range testrepo.Generate(3000) {
		files[f.Path] = string(f.Content)
	}
	files["kafka/topology.yaml"] = string(testrepo.GenerateKafka(60, 20, 5).Content)
	files["broken.yaml"] = "apiVersion: central-config.io/v1\nservices:\n  - name: [unclosed\n"
	files["dup.yaml"] = "apiVersion: central-config.io/v1\nservices:\n  - {name: service-7, owner: team-1}\n"
	files["dangling.yaml"] = "apiVersion: central-config.io/v1\nservices:\n  - {name: lonely, owner: team-1, system: nowhere, dependsOn: [resource:db-1, resource:gone]}\n"
	files["invalid.yaml"] = component("Not A Name!", "")
	files["placeholders.yaml"] = docs(0, 3, "  doc: {$text: README.md}\n  def: {$yaml: target.yaml}\n  missing: {$json: nope.json}\n")
	files["README.md"] = "# read by a placeholder\n"
	files["target.yaml"] = "a: [1, 2.5, true, null]\n"
	files["notes.txt"] = "not config\n"
	files["values.yaml"] = "replicas: 3\n"
	return files
}

// TestParallelMappingIsTheSequentialMapping maps one repository with one
// worker and with several: the result (files in order, every entity with
// its JSON, hash, position and refs, every diagnostic in order, the ignored
// files, the Kafka topology) must be the very same, compact (the engine's
// way: what it keeps is packed) or not, and stay so when the next run
// reuses it.
func TestParallelMappingIsTheSequentialMapping(t *testing.T) {
	snap := snapshot(parallelRepo(t))
	opts := func(workers int, prev *Result) Options {
		return Options{SourceID: "s", Workers: workers, ListIgnored: true, Previous: prev, Compact: workers%2 == 0}
	}
	seq := Map(snap, opts(1, nil))
	for _, code := range []string{diag.CodeParse, diag.CodeDuplicateEntity, diag.CodeDanglingRef, diag.CodeInvalidEntity, diag.CodePlaceholder} {
		if !slices.ContainsFunc(seq.Diagnostics, func(d diag.Diagnostic) bool { return d.Code == code }) {
			t.Fatalf("the repository gives no %s diagnostic, so the comparison misses it: %v", code, seq.Diagnostics)
		}
	}
	if len(seq.Entities()) < 2900 || len(seq.IgnoredFiles) == 0 || len(seq.Topology.Topics) == 0 {
		t.Fatalf("%d entities, %d ignored files, %d topics: the repository is not what the test needs", len(seq.Entities()), len(seq.IgnoredFiles), len(seq.Topology.Topics))
	}
	want := describe(t, seq)
	for _, workers := range []int{2, 3, 16} {
		par := Map(snap, opts(workers, nil))
		if got := describe(t, par); got != want {
			t.Fatalf("%d workers:\n%s", workers, firstDifference(got, want))
		}
		// The next run reuses every file; in parallel it must reuse
		// the same way.
		again := Map(snap, opts(workers, par))
		if again.Reused == 0 {
			t.Fatal("nothing reused")
		}
		if got, want := describe(t, again), describe(t, Map(snap, opts(1, seq))); got != want {
			t.Fatalf("%d workers, reusing:\n%s", workers, firstDifference(got, want))
		}
	}
}

// describe renders everything a result holds that anyone reads, in order.
func describe(t *testing.T, r *Result) string {
	var b strings.Builder
	for _, f := range r.Files {
		fmt.Fprintf(&b, "file %s failed=%v reused=%v\n", f.Path, f.Failed, f.Reused)
		for _, e := range f.Entities {
			fmt.Fprintf(&b, "  %s %s %d:%d system=%q hash=%s\n  %s\n", e.Key(), e.Ref, e.Pos.Line, e.Pos.Column, e.System(), e.Hash(), e.JSON())
			refs := make([]string, len(e.refs))
			for i, fr := range e.refs {
				refs[i] = fmt.Sprintf("%s %s %v %v", fr.key(), fr, fr.Path(), fr.pos())
			}
			fmt.Fprintf(&b, "  refs %v\n", refs)
		}
	}
	for _, d := range r.Diagnostics {
		fmt.Fprintf(&b, "diag %s\n", d)
	}
	fmt.Fprintf(&b, "ignored %d %v %v reused %d\n", r.Ignored, r.IgnoredCounts, r.IgnoredFiles, r.Reused)
	top, err := json.Marshal(r.Topology)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "topology %s\n", top)
	return b.String()
}

// firstDifference shows the first line where got and want differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// TestWhatTheEngineKeepsOfAnEntityIsSmall maps a generated repository as
// the engine does (compact, released once published) and measures the
// heap the kept result holds: the engine keeps one per source between
// runs, so at 100k entities every byte an entity keeps is 100 kB. Its
// key, hash, refs and positions took 776 bytes an entity; in small
// records, each file's packed in a few allocations, 430.
func TestWhatTheEngineKeepsOfAnEntityIsSmall(t *testing.T) {
	snap := &source.Snapshot{Revision: "r1", Files: testrepo.Generate(20_000)}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	res := Map(snap, Options{SourceID: "s", Compact: true})
	res.Release(func(string) bool { return true })
	kept := heap() - before
	perEntity := kept / uint64(len(res.Entities()))
	t.Logf("%d entities keep %d kB: %d bytes each", len(res.Entities()), kept>>10, perEntity)
	if perEntity > 600 {
		t.Fatalf("an entity of the kept mapping holds %d bytes of heap, more than 600", perEntity)
	}
	runtime.KeepAlive(res)
	runtime.KeepAlive(snap)
}
