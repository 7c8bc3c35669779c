package review

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source/dir"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/syncer"
)

// engineRun is what the real engine did with the head after the base.
type engineRun struct {
	// base and head are the runs' records.
	base, head store.Run
	// removed are the keys of the entities published after the base
	// and gone after the head, sorted.
	removed []string
}

// syncBoth runs the engine's syncer on a real SQLite store, with a dir
// source reading one folder: the base copied into it, a run, then the
// head copied into it, a run; the guard is opts'.
func syncBoth(t *testing.T, base, head string, opts Options) engineRun {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "engine.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	work := filepath.Join(t.TempDir(), "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := dir.New(dir.Options{ID: opts.SourceID, Path: work})
	if err != nil {
		t.Fatal(err)
	}
	sy, err := syncer.New(syncer.Options{Store: st, Sources: []syncer.Source{{Source: src, Interval: time.Hour}},
		Mapping: opts.Mapping, MaxDeletionRatio: opts.Guard.MaxDeletionRatio, AllowMassDeletion: opts.Guard.AllowMassDeletion})
	if err != nil {
		t.Fatal(err)
	}
	published := func() []string {
		var keys []string
		if err := st.Entities(ctx, func(e store.Entity) error { keys = append(keys, e.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	sync := func(from string) store.Run {
		if err := os.RemoveAll(work); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(work, os.DirFS(from)); err != nil {
			t.Fatal(err)
		}
		run, err := sy.SyncOnce(ctx, opts.SourceID, store.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	var out engineRun
	out.base = sync(base)
	before := published()
	out.head = sync(head)
	after := published()
	for _, k := range before {
		if !slices.Contains(after, k) {
			out.removed = append(out.removed, k)
		}
	}
	slices.Sort(out.removed)
	return out
}

// agreeWithTheEngine checks that the report says what the engine did:
// the head run's counts, the entities it removed, the guard's refusal
// (the engine's own text) and the files that failed.
func agreeWithTheEngine(t *testing.T, r *Report, run engineRun) {
	t.Helper()
	c := run.head.Counts
	if r.Guard.Refused {
		if run.head.Outcome != store.Failed || run.head.Reason != r.Guard.Reason {
			t.Errorf("the report refuses with %q; the engine's run %s with %q", r.Guard.Reason, run.head.Outcome, run.head.Reason)
		}
		if len(run.removed) != 0 {
			t.Errorf("the engine refused the head yet removed %v", run.removed)
		}
	} else {
		if run.head.Outcome == store.Failed {
			t.Fatalf("the engine's run failed (%q); the report does not refuse", run.head.Reason)
		}
		var removed []string
		for _, e := range r.Removed {
			removed = append(removed, strings.ToLower(e.Ref))
		}
		slices.Sort(removed)
		if !slices.Equal(removed, run.removed) {
			t.Errorf("the report removes %v; the engine removed %v", removed, run.removed)
		}
	}
	if run.base.Counts.Added != r.Counts.Before || r.Guard.Total != r.Counts.Before {
		t.Errorf("the report starts from %d entities (guard total %d); the engine published %d at the base", r.Counts.Before, r.Guard.Total, run.base.Counts.Added)
	}
	// A refused run changes nothing; its plan is the report's all the same.
	if !r.Guard.Refused && (c.Added != r.Counts.Added || c.Changed != r.Counts.Changed || c.Removed != r.Counts.Removed || c.Unchanged != r.Counts.Unchanged) {
		t.Errorf("the report counts %+v; the engine's run %+v", r.Counts, c)
	}
	var kept, failed []string
	for _, k := range r.Kept {
		kept = append(kept, k.File)
	}
	for _, e := range run.head.Errors {
		if e.Severity == "error" && !slices.Contains(failed, e.File) {
			failed = append(failed, e.File)
		}
	}
	slices.Sort(failed)
	if !slices.Equal(kept, failed) {
		t.Errorf("the report keeps the files %v; the engine's run has errors in %v", kept, failed)
	}
}
