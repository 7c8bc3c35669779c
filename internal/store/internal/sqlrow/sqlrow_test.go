package sqlrow

import (
	"reflect"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/store"
)

func TestFold(t *testing.T) {
	r := store.Run{Outcome: store.Unchanged, Revision: "a", Trigger: store.TriggerSchedule, StartedAt: time.Unix(200, 0).UTC()}
	sched := string(store.TriggerSchedule)
	for _, tc := range []struct {
		name string
		prev Previous
		ok   bool
	}{
		{"repeat", Previous{ID: 1, outcome: string(store.Unchanged), revision: "a", trigger: sched, repeats: 2}, true},
		{"other revision", Previous{ID: 1, outcome: string(store.Unchanged), revision: "b", trigger: sched}, false},
		{"other trigger", Previous{ID: 1, outcome: string(store.Unchanged), revision: "a", trigger: string(store.TriggerManual)}, false},
		{"after a failure", Previous{ID: 1, outcome: string(store.Failed), revision: "a", trigger: sched}, false},
		{"no previous run", Previous{}, false},
	} {
		got, ok := tc.prev.Fold(r)
		if ok != tc.ok {
			t.Errorf("%s: folds = %v, want %v", tc.name, ok, tc.ok)
		}
		want := r
		if tc.ok {
			// One more repeat; the start stays the run's own.
			want.Repeats = tc.prev.repeats + 1
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: run = %+v, want %+v", tc.name, got, want)
		}
	}
	failed := r
	failed.Outcome = store.Failed
	if _, ok := (&Previous{outcome: string(store.Unchanged), revision: "a", trigger: sched}).Fold(failed); ok {
		t.Error("a failed run folds")
	}
}

func TestRunsQuery(t *testing.T) {
	q, args := RunsQuery("s", 7, 10)
	want := `SELECT ` + RunColumns + ` FROM runs WHERE true AND source_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`
	if q != want || !reflect.DeepEqual(args, []any{"s", int64(7), 10}) {
		t.Errorf("got %q %v", q, args)
	}
	q, args = RunsQuery("", 0, 0)
	if q != `SELECT `+RunColumns+` FROM runs WHERE true ORDER BY id DESC` || args != nil {
		t.Errorf("got %q %v", q, args)
	}
}

func TestCommit(t *testing.T) {
	c := store.Commit{SourceID: "s", Run: store.Run{Generation: 9}}
	if Bump(c) != 0 || CommitRun(c, 5).Generation != 0 || CommitRun(c, 5).SourceID != "s" {
		t.Error("an unchanged commit publishes a generation")
	}
	c.Removals = []store.Removal{{Key: "k"}}
	if Bump(c) != 1 || CommitRun(c, 5).Generation != 5 {
		t.Error("a changing commit does not publish its generation")
	}
	if st := CommitStatus(c, 3); st.SourceID != "s" || st.LastRunID != 3 {
		t.Errorf("status = %+v", st)
	}
	c.Removals[0].SourceID = "other"
	if CheckCommit(c) == nil {
		t.Error("a commit removing another source's entity passes")
	}
}

func TestRunRoundTrip(t *testing.T) {
	r := store.Run{ID: 4, SourceID: "s", Trigger: store.TriggerManual, Outcome: store.Degraded,
		Counts: store.Counts{Files: 2}, Errors: []store.FileError{{File: "f", Code: "c"}}, Repeats: 1}
	args, err := RunArgs(r, "start", "end")
	if err != nil {
		t.Fatal(err)
	}
	var rs RunScan
	rs.run = store.Run{ID: r.ID, SourceID: r.SourceID, Repeats: r.Repeats}
	rs.trigger, rs.outcome = args[1].(string), args[4].(string)
	rs.counts, rs.errs = []byte(args[7].(string)), []byte(args[8].(string))
	got, err := rs.Run(time.Time{}, time.Time{})
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("got %+v, %v; want %+v", got, err, r)
	}
	args, _ = RunArgs(store.Run{}, nil, nil)
	if args[8] != "[]" {
		t.Errorf("nil errors stored as %v", args[8])
	}
}

// TestAnOlderEnginesRunReadsWithACode: a run an engine older than
// migration 00005 records during a rolling upgrade has no reason_code;
// it reads as unknown, and as abandoned when that engine closed it as
// abandoned (the code of every abandoned run, as the backfill gives).
func TestAnOlderEnginesRunReadsWithACode(t *testing.T) {
	for _, tc := range []struct {
		outcome store.Outcome
		reason  string
		want    store.ReasonCode
	}{
		{store.Failed, "fetch failed: by an older engine", store.ReasonUnknown},
		{store.Abandoned, "the engine process running it ended", store.ReasonAbandoned},
		{store.Succeeded, "", ""},
		{store.Failed, "fetch failed: x", store.ReasonFetchFailed},
	} {
		var rs RunScan
		rs.run = store.Run{Reason: tc.reason}
		rs.outcome, rs.counts, rs.errs = string(tc.outcome), []byte("{}"), []byte("[]")
		if tc.want == store.ReasonFetchFailed {
			rs.reasonCode = string(tc.want)
		}
		got, err := rs.Run(time.Time{}, time.Time{})
		if err != nil || got.ReasonCode != tc.want {
			t.Errorf("%s run %q: reason code %q (%v); want %q", tc.outcome, tc.reason, got.ReasonCode, err, tc.want)
		}
	}
}
