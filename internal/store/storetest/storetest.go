// Package storetest is the contract test of store.Store. Every backend runs
// the same suite, so that the engine behaves the same on any of them.
package storetest

import (
	"cmp"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/store"
)

// t0 is a time both backends keep exactly: UTC, microsecond precision.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)

// Run runs the suite. newDB makes an empty database of the test t's own
// and returns where it is; open opens a store on it, and is called again
// within the same test to open the same database again, which is how the
// suite tests a restart. The suite closes the stores it opens.
func Run(t *testing.T, newDB func(t *testing.T) string, open func(t *testing.T, db string) store.Store) {
	o := func(t *testing.T, db string) store.Store {
		t.Helper()
		s := open(t, db)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			tc.fn(t, o(t, db), func() store.Store { return o(t, db) })
		})
	}
}

// tests take a fresh store, and reopen to open its database again.
var tests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, reopen func() store.Store)
}{
	{"a new store is empty at generation zero", testEmpty},
	{"a commit with upserts publishes them at the next generation", testCommitPublishes},
	{"every changing commit bumps the generation exactly once and an empty one does not", testGenerationBumps},
	{"an upsert replaces the entity of the same key and only its generation moves", testUpsertReplaces},
	{"a removal deletes the entity and leaves a tombstone", testRemovalTombstone},
	{"entity bodies and hashes come back byte for byte", testBodiesRoundTrip},
	{"Entities streams every source's entities in key order", testEntitiesOrder},
	{"Entities stops at and returns the callback's error", testEntitiesStops},
	{"Changes since a generation returns exactly the upserts and removals after it", testChanges},
	{"Changes reports removals before upserts so a moved entity survives", testChangesOrder},
	{"an entity removed and re-added is an upsert, not a removal", testReAdded},
	{"Changes since a pruned generation is ErrTooOld", testTooOld},
	{"a failed commit changes nothing", testFailedCommit},
	{"Commit reads the bodies its upserts lack from Body, and fails whole when it cannot", testLazyBodies},
	{"a commit of many rows replaces, removes and re-adds as a small one does, and fails whole", testLargeCommits},
	{"StartRun records a running run that Commit completes", testStartCommit},
	{"a commit without a started run records a new run", testCommitNewRun},
	{"a commit's run ends once its entities are written", testCommitRunEnd},
	{"runs round-trip every field", testRunRoundTrip},
	{"every reason code round-trips, and a reason without one reads as unknown", testReasonCodes},
	{"FinishRun folds repeated unchanged runs at the same revision", testFold},
	{"FinishRun does not fold a failed run, a different revision or across another run", testNoFold},
	{"FinishRun leaves entities and the generation alone", testFinishRunKeepsEntities},
	{"AbandonRuns closes the source's older running runs and nothing else", testAbandonRuns},
	{"Owners names the other sources that publish keys", testOwners},
	{"a commit claiming a key another source publishes changes nothing", testClaimConflict},
	{"Runs pages newest first, per source and over all sources", testRunsPaging},
	{"unknown sources have no status, files or entities and unknown runs are ErrNotFound", testNotFound},
	{"Status, Statuses and Files round-trip", testStatusFiles},
	{"a commit's files replace the source's file states", testFilesReplaced},
	{"Ack keeps the last ack of each consumer", testAcks},
	{"Prune keeps the newest runs of each source", testPruneRuns},
	{"TryLock is exclusive per source until unlocked", testTryLock},
	{"Close releases held locks", testCloseWithLock},
	{"concurrent commits never lose a generation", testConcurrentCommits},
	{"Ping succeeds on an open store", testPing},
	{"data survives Close and reopening", testRestart},
}

// body is an entity's JSON; hash is its hash, as the engine computes them.
func body(name, extra string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":%q},"spec":{"owner":"team-a","extra":%q}}`, name, extra)
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ent is an entity of source with the ref component:default/name.
func ent(source, name, extra string) store.Entity {
	b := body(name, extra)
	ref := "component:default/" + name
	return store.Entity{SourceID: source, Key: strings.ToLower(ref), Ref: ref,
		File: "catalog/" + name + ".yaml", Hash: hash(b), Body: b}
}

func rm(source, name string) store.Removal {
	ref := "component:default/" + name
	return store.Removal{SourceID: source, Key: strings.ToLower(ref), Ref: ref}
}

func succeeded(rev string) store.Run {
	return store.Run{Trigger: store.TriggerSchedule, StartedAt: t0, FinishedAt: t0.Add(time.Second),
		Outcome: store.Succeeded, Revision: rev, Errors: []store.FileError{}}
}

func mustCommit(t *testing.T, s store.Store, source string, upserts []store.Entity, removals []store.Removal) int64 {
	t.Helper()
	gen, err := s.Commit(t.Context(), store.Commit{SourceID: source, Upserts: upserts, Removals: removals,
		Run: succeeded("rev"), Status: store.SourceStatus{Revision: "rev", LastAttemptAt: t0}})
	return must(t, gen, err, "Commit")
}

// must returns v, or fails t with the call (format, args) and err.
func must[T any](t *testing.T, v T, err error, format string, args ...any) T {
	t.Helper()
	if err != nil {
		t.Fatalf(format+": %v", append(args, err)...)
	}
	return v
}

func mustGeneration(t *testing.T, s store.Store) int64 {
	t.Helper()
	gen, err := s.Generation(t.Context())
	return must(t, gen, err, "Generation")
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// at returns entities with their generation set, as the store reports them.
func at(gen int64, es ...store.Entity) []store.Entity {
	out := make([]store.Entity, len(es))
	for i, e := range es {
		e.Generation = gen
		out[i] = e
	}
	return out
}

func sortEntities(es []store.Entity) []store.Entity {
	slices.SortFunc(es, func(a, b store.Entity) int {
		return strings.Compare(a.Key+"\x00"+a.SourceID, b.Key+"\x00"+b.SourceID)
	})
	return es
}

func sourceEntities(t *testing.T, s store.Store, source string) []store.Entity {
	t.Helper()
	es, err := s.SourceEntities(t.Context(), source)
	return sortEntities(must(t, es, err, "SourceEntities(%s)", source))
}

func allEntities(t *testing.T, s store.Store) []store.Entity {
	t.Helper()
	var es []store.Entity
	if err := s.Entities(t.Context(), func(e store.Entity) error { es = append(es, e); return nil }); err != nil {
		t.Fatalf("Entities: %v", err)
	}
	return es
}

// changes returns what Changes reports since since, each sorted, and the
// order of the calls ("u" or "r" per call).
func changes(t *testing.T, s store.Store, since int64) ([]store.Entity, []store.Removal, string, error) {
	t.Helper()
	var ups []store.Entity
	var rms []store.Removal
	var order strings.Builder
	err := s.Changes(t.Context(), since,
		func(e store.Entity) error { ups = append(ups, e); order.WriteString("u"); return nil },
		func(r store.Removal) error { rms = append(rms, r); order.WriteString("r"); return nil })
	slices.SortFunc(rms, func(a, b store.Removal) int {
		return strings.Compare(a.Key+"\x00"+a.SourceID, b.Key+"\x00"+b.SourceID)
	})
	return sortEntities(ups), rms, order.String(), err
}

func mustChanges(t *testing.T, s store.Store, since int64) ([]store.Entity, []store.Removal) {
	t.Helper()
	ups, rms, _, err := changes(t, s, since)
	if err != nil {
		t.Fatalf("Changes(%d): %v", since, err)
	}
	return ups, rms
}

func removal(source, name string, gen int64) store.Removal {
	r := rm(source, name)
	r.Generation = gen
	return r
}

func mustRun(t *testing.T, s store.Store, id int64) store.Run {
	t.Helper()
	r, err := s.Run(t.Context(), id)
	return must(t, r, err, "Run(%d)", id)
}

func mustRuns(t *testing.T, s store.Store, source string, before int64, limit int) []store.Run {
	t.Helper()
	runs, err := s.Runs(t.Context(), source, before, limit)
	return must(t, runs, err, "Runs(%q, %d, %d)", source, before, limit)
}

func ids(runs []store.Run) []int64 {
	out := []int64{}
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func mustStatus(t *testing.T, s store.Store, source string) store.SourceStatus {
	t.Helper()
	st, err := s.Status(t.Context(), source)
	return must(t, st, err, "Status(%s)", source)
}

func testEmpty(t *testing.T, s store.Store, _ func() store.Store) {
	equal(t, "generation", mustGeneration(t, s), int64(0))
	sts, err := s.Statuses(t.Context())
	if err != nil || len(sts) != 0 {
		t.Errorf("Statuses = %v, %v; want none", sts, err)
	}
	equal(t, "entities", len(allEntities(t, s)), 0)
	equal(t, "runs", len(mustRuns(t, s, "", 0, 0)), 0)
	acks, err := s.Acks(t.Context())
	if err != nil || len(acks) != 0 {
		t.Errorf("Acks = %v, %v; want none", acks, err)
	}
	ups, rms := mustChanges(t, s, 0)
	if len(ups)+len(rms) != 0 {
		t.Errorf("Changes(0) = %v, %v; want nothing", ups, rms)
	}
}

func testCommitPublishes(t *testing.T, s store.Store, _ func() store.Store) {
	a, b := ent("src", "a", "1"), ent("src", "b", "1")
	equal(t, "commit generation", mustCommit(t, s, "src", []store.Entity{b, a}, nil), int64(1))
	equal(t, "generation", mustGeneration(t, s), int64(1))
	equal(t, "source entities", sourceEntities(t, s, "src"), at(1, a, b))
	equal(t, "entities", allEntities(t, s), at(1, a, b))
}

func testGenerationBumps(t *testing.T, s store.Store, _ func() store.Store) {
	many := []store.Entity{ent("src", "a", ""), ent("src", "b", ""), ent("src", "c", "")}
	equal(t, "first commit, three upserts", mustCommit(t, s, "src", many, nil), int64(1))
	equal(t, "upserts and a removal", mustCommit(t, s, "src", many[:2], []store.Removal{rm("src", "c")}), int64(2))
	equal(t, "empty commit", mustCommit(t, s, "src", nil, nil), int64(2))
	equal(t, "generation after an empty commit", mustGeneration(t, s), int64(2))
	equal(t, "removal only", mustCommit(t, s, "src", nil, []store.Removal{rm("src", "b")}), int64(3))
	equal(t, "another source", mustCommit(t, s, "other", []store.Entity{ent("other", "a", "")}, nil), int64(4))
	equal(t, "empty commit of another source", mustCommit(t, s, "other", nil, nil), int64(4))
	equal(t, "generation", mustGeneration(t, s), int64(4))
}

func testUpsertReplaces(t *testing.T, s store.Store, _ func() store.Store) {
	a, b := ent("src", "a", "old"), ent("src", "b", "old")
	mustCommit(t, s, "src", []store.Entity{a, b}, nil)
	a2 := ent("src", "a", "new")
	a2.File, a2.Ref = "moved.yaml", "Component:default/A"
	mustCommit(t, s, "src", []store.Entity{a2}, nil)
	equal(t, "entities", sourceEntities(t, s, "src"), []store.Entity{at(2, a2)[0], at(1, b)[0]})
}

func testRemovalTombstone(t *testing.T, s store.Store, _ func() store.Store) {
	a, b := ent("src", "a", ""), ent("src", "b", "")
	mustCommit(t, s, "src", []store.Entity{a, b}, nil)
	mustCommit(t, s, "src", nil, []store.Removal{rm("src", "a")})
	equal(t, "entities", sourceEntities(t, s, "src"), at(1, b))
	ups, rms := mustChanges(t, s, 1)
	equal(t, "upserts since 1", len(ups), 0)
	equal(t, "removals since 1", rms, []store.Removal{removal("src", "a", 2)})
}

func testBodiesRoundTrip(t *testing.T, s store.Store, _ func() store.Store) {
	odd := store.Entity{SourceID: "src", Key: "component:default/odd", Ref: "component:default/odd",
		File: "dir with space/ü.yaml",
		// Key order, spacing and escapes a JSON re-encoding would change.
		Body: []byte("{\"z\": 1,   \"a\" : [1.50, 2e3],\n\"s\":\"\\u00e9 é \\\"q\\\" \\n\"}")}
	odd.Hash = hash(odd.Body)
	big := ent("src", "big", strings.Repeat("x", 256<<10))
	mustCommit(t, s, "src", []store.Entity{odd, big}, nil)
	got := sourceEntities(t, s, "src")
	equal(t, "entities", got, at(1, big, odd))
	for _, e := range got {
		if hash(e.Body) != e.Hash {
			t.Errorf("%s: body does not match its hash", e.Key)
		}
	}
}

func testEntitiesOrder(t *testing.T, s store.Store, _ func() store.Store) {
	// Same key in two sources, keys interleaved between sources, and keys
	// whose order differs between byte order and a locale's.
	mustCommit(t, s, "b", []store.Entity{ent("b", "m", ""), ent("b", "a", ""), ent("b", "z-z", "")}, nil)
	mustCommit(t, s, "a", []store.Entity{ent("a", "m", ""), ent("a", "zz", ""), ent("a", "b", "")}, nil)
	var keys []string
	for _, e := range allEntities(t, s) {
		keys = append(keys, e.Key+"@"+e.SourceID)
	}
	equal(t, "order", keys, []string{
		"component:default/a@b", "component:default/b@a", "component:default/m@a",
		"component:default/m@b", "component:default/z-z@b", "component:default/zz@a"})
}

func testEntitiesStops(t *testing.T, s store.Store, _ func() store.Store) {
	mustCommit(t, s, "src", []store.Entity{ent("src", "a", ""), ent("src", "b", ""), ent("src", "c", "")}, nil)
	stop := errors.New("stop")
	calls := 0
	err := s.Entities(t.Context(), func(store.Entity) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Entities = %v after %d calls; want the callback's error after 1", err, calls)
	}
	// The store is still usable: the stream was released.
	equal(t, "entities after a stopped stream", len(allEntities(t, s)), 3)
}

func testChanges(t *testing.T, s store.Store, _ func() store.Store) {
	a, b, c := ent("one", "a", "1"), ent("one", "b", "1"), ent("one", "c", "1")
	mustCommit(t, s, "one", []store.Entity{a, b, c}, nil)                             // 1
	b2 := ent("one", "b", "2")                                                        //
	mustCommit(t, s, "one", []store.Entity{b2}, []store.Removal{rm("one", "c")})      // 2
	mustCommit(t, s, "one", nil, nil)                                                 // no change
	d := ent("two", "d", "1")                                                         //
	mustCommit(t, s, "two", []store.Entity{d}, nil)                                   // 3
	mustCommit(t, s, "two", []store.Entity{ent("two", "e", "")}, nil)                 // 4
	mustCommit(t, s, "two", nil, []store.Removal{rm("two", "e"), rm("two", "never")}) // 5

	for _, tc := range []struct {
		since int64
		ups   []store.Entity
		rms   []store.Removal
	}{
		{0, []store.Entity{at(1, a)[0], at(2, b2)[0], at(3, d)[0]},
			[]store.Removal{removal("one", "c", 2), removal("two", "e", 5), removal("two", "never", 5)}},
		{1, []store.Entity{at(2, b2)[0], at(3, d)[0]},
			[]store.Removal{removal("one", "c", 2), removal("two", "e", 5), removal("two", "never", 5)}},
		{2, at(3, d), []store.Removal{removal("two", "e", 5), removal("two", "never", 5)}},
		{4, nil, []store.Removal{removal("two", "e", 5), removal("two", "never", 5)}},
		{5, nil, nil},
	} {
		ups, rms := mustChanges(t, s, tc.since)
		equal(t, fmt.Sprintf("upserts since %d", tc.since), ups, tc.ups)
		equal(t, fmt.Sprintf("removals since %d", tc.since), rms, tc.rms)
	}

	stop := errors.New("stop")
	if err := s.Changes(t.Context(), 0, func(store.Entity) error { return stop },
		func(store.Removal) error { return nil }); !errors.Is(err, stop) {
		t.Errorf("Changes with a failing upsert callback = %v; want its error", err)
	}
	if err := s.Changes(t.Context(), 0, func(store.Entity) error { return nil },
		func(store.Removal) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Changes with a failing remove callback = %v; want its error", err)
	}
}

func testChangesOrder(t *testing.T, s store.Store, _ func() store.Store) {
	mustCommit(t, s, "old", []store.Entity{ent("old", "x", ""), ent("old", "y", "")}, nil)
	// x moves from source old to source new; its removal from old comes
	// later than its upsert into new.
	mustCommit(t, s, "new", []store.Entity{ent("new", "x", "")}, nil)
	mustCommit(t, s, "old", nil, []store.Removal{rm("old", "x")})
	ups, rms, order, err := changes(t, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "upserts", ups, at(2, ent("new", "x", "")))
	equal(t, "removals", rms, []store.Removal{removal("old", "x", 3)})
	equal(t, "call order", order, "ru")
}

func testReAdded(t *testing.T, s store.Store, _ func() store.Store) {
	x := ent("src", "x", "")
	mustCommit(t, s, "src", []store.Entity{x, ent("src", "keep", "")}, nil) // 1
	mustCommit(t, s, "src", nil, []store.Removal{rm("src", "x")})           // 2
	x2 := ent("src", "x", "again")
	mustCommit(t, s, "src", []store.Entity{x2}, nil) // 3
	for since := range int64(3) {
		ups, rms := mustChanges(t, s, since)
		if len(rms) != 0 {
			t.Errorf("removals since %d = %v; want none", since, rms)
		}
		if !slices.ContainsFunc(ups, func(e store.Entity) bool { return reflect.DeepEqual(e, at(3, x2)[0]) }) {
			t.Errorf("upserts since %d = %v; want x at generation 3", since, ups)
		}
	}
	// Removed again: a removal once more, not an upsert.
	mustCommit(t, s, "src", nil, []store.Removal{rm("src", "x")}) // 4
	ups, rms := mustChanges(t, s, 2)
	equal(t, "upserts since 2 after removing again", len(ups), 0)
	equal(t, "removals since 2 after removing again", rms, []store.Removal{removal("src", "x", 4)})
}

func testTooOld(t *testing.T, s store.Store, _ func() store.Store) {
	for i := range 5 {
		name := fmt.Sprint("e", i)
		mustCommit(t, s, "src", []store.Entity{ent("src", name, "")}, nil) // 1, 3, 5, 7, 9
		mustCommit(t, s, "src", nil, []store.Removal{rm("src", name)})     // 2, 4, 6, 8, 10
	}
	if err := s.Prune(t.Context(), 100, 3); err != nil {
		t.Fatal(err)
	}
	for _, since := range []int64{0, 1, 6} {
		if _, _, _, err := changes(t, s, since); !errors.Is(err, store.ErrTooOld) {
			t.Errorf("Changes(%d) after keeping 3 generations = %v; want ErrTooOld", since, err)
		}
	}
	_, rms := mustChanges(t, s, 7)
	equal(t, "removals since 7", rms, []store.Removal{removal("src", "e3", 8), removal("src", "e4", 10)})
	// Keeping more generations later does not bring pruned ones back.
	if err := s.Prune(t.Context(), 100, 100); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := changes(t, s, 6); !errors.Is(err, store.ErrTooOld) {
		t.Errorf("Changes(6) after a later, looser prune = %v; want ErrTooOld", err)
	}
	if err := s.Prune(t.Context(), 100, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := changes(t, s, 9); !errors.Is(err, store.ErrTooOld) {
		t.Errorf("Changes(9) after keeping no generation = %v; want ErrTooOld", err)
	}
	ups, rms := mustChanges(t, s, 10)
	if len(ups)+len(rms) != 0 {
		t.Errorf("Changes(10) = %v, %v; want nothing", ups, rms)
	}
}

func testFailedCommit(t *testing.T, s store.Store, _ func() store.Store) {
	a := ent("src", "a", "")
	mustCommit(t, s, "src", []store.Entity{a}, nil)
	before := mustStatus(t, s, "src")
	run := succeeded("rev2")
	run.ID = 1 << 40 // no such run
	_, err := s.Commit(t.Context(), store.Commit{SourceID: "src",
		Upserts: []store.Entity{ent("src", "b", "")}, Removals: []store.Removal{rm("src", "a")},
		Files: []store.File{{Path: "f.yaml"}}, Run: run, Status: store.SourceStatus{Revision: "rev2"}})
	if err == nil {
		t.Fatal("Commit with an unknown run id succeeded")
	}
	_, err = s.Commit(t.Context(), store.Commit{SourceID: "src",
		Upserts: []store.Entity{ent("other", "b", "")}, Run: succeeded("rev2")})
	if err == nil {
		t.Error("Commit of another source's entity succeeded")
	}
	equal(t, "generation", mustGeneration(t, s), int64(1))
	equal(t, "entities", sourceEntities(t, s, "src"), at(1, a))
	equal(t, "status", mustStatus(t, s, "src"), before)
	equal(t, "runs", len(mustRuns(t, s, "src", 0, 0)), 1)
	ups, rms := mustChanges(t, s, 1)
	if len(ups)+len(rms) != 0 {
		t.Errorf("Changes(1) = %v, %v; want nothing", ups, rms)
	}
}

func testLazyBodies(t *testing.T, s store.Store, _ func() store.Store) {
	// Enough that PostgreSQL loads them by COPY, which reads each body as
	// its row streams.
	var full, bare []store.Entity
	for i := range 5001 {
		e := ent("src", fmt.Sprintf("e%04d", i), "")
		full = append(full, e)
		e.Body = nil
		bare = append(bare, e)
	}
	bare[0].Body = full[0].Body // an upsert with its body is written as it is
	asked := map[int]bool{}
	_, err := s.Commit(t.Context(), store.Commit{SourceID: "src", Upserts: bare, Run: succeeded("rev"),
		Body: func(i int) ([]byte, error) {
			asked[i] = true
			return full[i].Body, nil
		}})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	equal(t, "entities", sourceEntities(t, s, "src"), at(1, full...))
	equal(t, "bodies asked for", len(asked), len(full)-1)
	// As many again, so that PostgreSQL loads them in bulk (COPY) and
	// meets the broken body there.
	broken := errors.New("spool gone")
	_, err = s.Commit(t.Context(), store.Commit{SourceID: "src", Upserts: append([]store.Entity{ent("src", "new", "")}, bare[1:]...),
		Run: succeeded("rev2"), Body: func(int) ([]byte, error) { return nil, broken }})
	if !errors.Is(err, broken) || !strings.Contains(err.Error(), "component:default/e0001") {
		t.Fatalf("Commit with an unreadable body = %v; want the error, naming the entity", err)
	}
	_, err = s.Commit(t.Context(), store.Commit{SourceID: "src", Upserts: []store.Entity{{SourceID: "src",
		Key: "component:default/e0002", Ref: "component:default/e0002", File: "f.yaml", Hash: "h"}}, Run: succeeded("rev3"),
		Body: func(int) ([]byte, error) { return nil, nil }})
	if err == nil || !strings.Contains(err.Error(), "component:default/e0002") {
		t.Fatalf("Commit of an entity without JSON = %v; want an error naming it", err)
	}
	equal(t, "generation", mustGeneration(t, s), int64(1))
	equal(t, "entities", len(sourceEntities(t, s, "src")), len(full))
}

// testLargeCommits commits more rows per table than PostgreSQL writes in
// one statement (500 and more go by COPY: straight into the table on a
// source's first load, through its staging table after), and checks each
// commit did what a small one does.
func testLargeCommits(t *testing.T, s store.Store, _ func() store.Store) {
	const n = 600
	ents := func(extra string, from, to int) []store.Entity {
		var es []store.Entity
		for i := from; i < to; i++ {
			es = append(es, ent("src", fmt.Sprintf("e%04d", i), extra))
		}
		return es
	}
	files := func(h string) []store.File {
		var fs []store.File
		for i := range n {
			fs = append(fs, store.File{Path: fmt.Sprintf("f%04d.yaml", i), Hash: h, Revision: "r" + h})
		}
		return fs
	}
	var rms []store.Removal
	for _, e := range ents("", 0, 2*n) {
		rms = append(rms, store.Removal{SourceID: "src", Key: e.Key, Ref: e.Ref})
	}
	commit := func(source string, upserts []store.Entity, removals []store.Removal, fs []store.File, body func(int) ([]byte, error)) error {
		_, err := s.Commit(t.Context(), store.Commit{SourceID: source, Upserts: upserts, Removals: removals, Files: fs,
			Run: succeeded("rev"), Status: store.SourceStatus{Revision: "rev"}, Body: body})
		return err
	}
	keep := ent("src", "keep", "")
	must(t, 0, commit("src", append(ents("1", 0, 2*n), keep), nil, files("1"), nil), "first load")      // 1
	must(t, 0, commit("src", ents("2", 0, 2*n), nil, files("2"), nil), "every entity and file changed") // 2
	equal(t, "entities changed", sourceEntities(t, s, "src"), sortEntities(append(at(2, ents("2", 0, 2*n)...), at(1, keep)...)))
	got, err := s.Files(t.Context(), "src")
	equal(t, "files changed", must(t, got, err, "Files"), files("2"))
	must(t, 0, commit("src", nil, rms[:n], files("2"), nil), "the source's first removals") // 3
	must(t, 0, commit("src", nil, rms[n:], files("2"), nil), "removals beside tombstones")  // 4
	equal(t, "entities left", sourceEntities(t, s, "src"), at(1, keep))
	_, removed := mustChanges(t, s, 2)
	equal(t, "tombstones", len(removed), 2*n)
	equal(t, "tombstones of the second removal", removed[2*n-1], removal("src", "e1199", 4))
	must(t, 0, commit("src", ents("5", 0, 2*n), nil, files("2"), nil), "every entity re-added") // 5
	ups, removed := mustChanges(t, s, 2)
	equal(t, "re-added: tombstones since 2", len(removed), 0)
	equal(t, "re-added: upserts since 2", ups, sortEntities(at(5, ents("5", 0, 2*n)...)))

	// A first load whose bodies cannot all be read leaves nothing of it.
	bare := ents("", 0, n)
	for i := range bare {
		bare[i].SourceID, bare[i].Body = "other", nil
	}
	broken := errors.New("spool gone")
	err = commit("other", bare, nil, files("1"), func(i int) ([]byte, error) {
		if i == n-1 {
			return nil, broken
		}
		return body("x", ""), nil
	})
	if !errors.Is(err, broken) {
		t.Fatalf("first load with an unreadable body = %v; want its error", err)
	}
	equal(t, "generation", mustGeneration(t, s), int64(5))
	equal(t, "entities of the failed load", len(sourceEntities(t, s, "other")), 0)
	fs, err := s.Files(t.Context(), "other")
	equal(t, "files of the failed load", len(must(t, fs, err, "Files")), 0)
	if _, err := s.Status(t.Context(), "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("status of the failed load: %v; want ErrNotFound", err)
	}
}

func testStartCommit(t *testing.T, s store.Store, _ func() store.Store) {
	id, err := s.StartRun(t.Context(), store.Run{SourceID: "src", Trigger: store.TriggerWebhook,
		StartedAt: t0, PreviousRevision: "rev0"})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "started run", mustRun(t, s, id), store.Run{ID: id, SourceID: "src",
		Trigger: store.TriggerWebhook, StartedAt: t0, Outcome: store.Running, PreviousRevision: "rev0",
		Errors: []store.FileError{}})
	run := succeeded("rev1")
	run.ID, run.Trigger, run.PreviousRevision = id, store.TriggerWebhook, "rev0"
	run.Counts = store.Counts{Files: 1, Entities: 1, Added: 1}
	gen, err := s.Commit(t.Context(), store.Commit{SourceID: "src", Upserts: []store.Entity{ent("src", "a", "")},
		Run: run, Status: store.SourceStatus{Revision: "rev1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := run
	want.SourceID, want.Generation = "src", gen
	equal(t, "finished run", mustRun(t, s, id), want)
	equal(t, "runs", ids(mustRuns(t, s, "src", 0, 0)), []int64{id})
	equal(t, "last run id", mustStatus(t, s, "src").LastRunID, id)
}

func testCommitNewRun(t *testing.T, s store.Store, _ func() store.Store) {
	gen := mustCommit(t, s, "src", []store.Entity{ent("src", "a", "")}, nil)
	runs := mustRuns(t, s, "src", 0, 0)
	if len(runs) != 1 {
		t.Fatalf("runs = %v; want one", runs)
	}
	equal(t, "run generation", runs[0].Generation, gen)
	equal(t, "last run id", mustStatus(t, s, "src").LastRunID, runs[0].ID)
	mustCommit(t, s, "src", nil, nil)
	runs = mustRuns(t, s, "src", 0, 0)
	if len(runs) != 2 {
		t.Fatalf("runs = %v; want two", runs)
	}
	equal(t, "generation of a run that changed nothing", runs[0].Generation, int64(0))
	equal(t, "last run id", mustStatus(t, s, "src").LastRunID, runs[0].ID)
}

func testCommitRunEnd(t *testing.T, s store.Store, _ func() store.Store) {
	// Enough rows that PostgreSQL streams them by COPY, so the bodies are
	// read as the rows are written.
	var upserts []store.Entity
	var bodies [][]byte
	for i := range 600 {
		e := ent("src", fmt.Sprintf("e%04d", i), "")
		bodies = append(bodies, e.Body)
		e.Body = nil
		upserts = append(upserts, e)
	}
	run := succeeded("rev")
	status := store.SourceStatus{Revision: "rev", LastSuccessAt: run.FinishedAt, LastSuccessRevision: "rev",
		NextDueAt: run.FinishedAt.Add(time.Minute)}
	var events []string
	end := run.FinishedAt.Add(3 * time.Second)
	_, err := s.Commit(t.Context(), store.Commit{SourceID: "src", Upserts: upserts, Run: run, Status: status,
		Body: func(i int) ([]byte, error) {
			events = append(events, "body")
			return bodies[i], nil
		},
		Now: func() time.Time {
			events = append(events, "now")
			return end
		}})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	equal(t, "Now read once, after every body", slices.Index(events, "now"), len(upserts))
	equal(t, "events", len(events), len(upserts)+1)
	got := mustRuns(t, s, "src", 0, 0)[0]
	equal(t, "run finished at", got.FinishedAt, end)
	equal(t, "run duration", got.Duration(), run.Duration()+3*time.Second)
	st := mustStatus(t, s, "src")
	equal(t, "last success at", st.LastSuccessAt, end)
	equal(t, "next due at", st.NextDueAt, end.Add(time.Minute))
}

func testRunRoundTrip(t *testing.T, s store.Store, _ func() store.Store) {
	r := store.Run{SourceID: "src", Trigger: store.TriggerManual, StartedAt: t0,
		FinishedAt: t0.Add(1500 * time.Millisecond), Outcome: store.Failed, Revision: "abc",
		PreviousRevision: "abb", Counts: store.Counts{Files: 3, Entities: 4, Locations: 7, Added: 1, Changed: 2, Removed: 5, Unchanged: 6},
		Errors: []store.FileError{
			{File: "a.yaml", Line: 3, Column: 7, Severity: "error", Code: "yaml", Message: "bad indent"},
			{File: "b.yaml", Severity: "warning", Code: "ref", Message: "unknown owner \"x\""},
		},
		Reason: "guard refused: 90% of entities removed", ReasonCode: store.ReasonGuardRefused}
	if err := s.FinishRun(t.Context(), r, store.SourceStatus{ConsecutiveFailures: 1}); err != nil {
		t.Fatal(err)
	}
	runs := mustRuns(t, s, "src", 0, 0)
	if len(runs) != 1 {
		t.Fatalf("runs = %v; want one", runs)
	}
	r.ID = runs[0].ID
	equal(t, "Runs", runs[0], r)
	equal(t, "Run", mustRun(t, s, r.ID), r)
	equal(t, "duration", runs[0].Duration(), 1500*time.Millisecond)
}

func testReasonCodes(t *testing.T, s store.Store, _ func() store.Store) {
	codes := append(slices.Clone(store.ReasonCodes), "")
	want := map[int64]store.ReasonCode{}
	for _, code := range codes {
		r := store.Run{SourceID: "src", Trigger: store.TriggerSchedule, StartedAt: t0, FinishedAt: t0, Outcome: store.Failed,
			Reason: "why: " + string(code), ReasonCode: code}
		id, err := s.StartRun(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		r.ID = id
		if err := s.FinishRun(t.Context(), r, store.SourceStatus{ConsecutiveFailures: 1}); err != nil {
			t.Fatal(err)
		}
		want[id] = cmp.Or(code, store.ReasonUnknown)
	}
	for _, r := range mustRuns(t, s, "src", 0, 0) {
		equal(t, "reason code of "+r.Reason+" (Runs)", r.ReasonCode, want[r.ID])
		equal(t, "reason code of "+r.Reason+" (Run)", mustRun(t, s, r.ID).ReasonCode, want[r.ID])
	}
	mustCommit(t, s, "src", nil, nil)
	equal(t, "a committed run's reason code", mustRun(t, s, mustStatus(t, s, "src").LastRunID).ReasonCode, "")
}

// finish records an unchanged or failed run as the engine does: StartRun,
// then FinishRun, and returns the run's id from StartRun.
func finish(t *testing.T, s store.Store, outcome store.Outcome, rev string, at time.Time) int64 {
	t.Helper()
	r := store.Run{SourceID: "src", Trigger: store.TriggerSchedule, StartedAt: at}
	id, err := s.StartRun(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	r.ID, r.FinishedAt, r.Outcome, r.Revision, r.PreviousRevision = id, at.Add(time.Second), outcome, rev, rev
	if err := s.FinishRun(t.Context(), r, store.SourceStatus{Revision: rev, LastAttemptAt: at}); err != nil {
		t.Fatal(err)
	}
	return id
}

func testFold(t *testing.T, s store.Store, _ func() store.Store) {
	first := finish(t, s, store.Unchanged, "r1", t0)
	second := finish(t, s, store.Unchanged, "r1", t0.Add(time.Minute))
	third := finish(t, s, store.Unchanged, "r1", t0.Add(2*time.Minute))
	runs := mustRuns(t, s, "src", 0, 0)
	equal(t, "runs", ids(runs), []int64{third})
	r := runs[0]
	equal(t, "repeats", r.Repeats, 2)
	// The row is the newest run, with its own duration, not the span.
	equal(t, "started at", r.StartedAt, t0.Add(2*time.Minute))
	equal(t, "finished at", r.FinishedAt, t0.Add(2*time.Minute+time.Second))
	equal(t, "duration", r.Duration(), time.Second)
	equal(t, "outcome", r.Outcome, store.Unchanged)
	equal(t, "last run id", mustStatus(t, s, "src").LastRunID, third)
	for _, id := range []int64{first, second} {
		if _, err := s.Run(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Run(%d) of a folded run = %v; want ErrNotFound", id, err)
		}
	}
	// Without StartRun too: the fold is a new row.
	if err := s.FinishRun(t.Context(), store.Run{SourceID: "src", Trigger: store.TriggerSchedule, Outcome: store.Unchanged, Revision: "r1",
		StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour)}, store.SourceStatus{}); err != nil {
		t.Fatal(err)
	}
	runs = mustRuns(t, s, "", 0, 0)
	if len(runs) != 1 {
		t.Fatalf("runs after a fold without StartRun = %v; want one", ids(runs))
	}
	equal(t, "repeats after a run without StartRun", runs[0].Repeats, 3)
	equal(t, "started at after a run without StartRun", runs[0].StartedAt, t0.Add(time.Hour))
	equal(t, "last run id after a run without StartRun", mustStatus(t, s, "src").LastRunID, runs[0].ID)
}

func testNoFold(t *testing.T, s store.Store, _ func() store.Store) {
	var want []int64
	want = append(want, finish(t, s, store.Unchanged, "r1", t0))
	want = append(want, finish(t, s, store.Failed, "r1", t0))
	want = append(want, finish(t, s, store.Failed, "r1", t0))
	want = append(want, finish(t, s, store.Unchanged, "r1", t0)) // after a failed run
	want = append(want, finish(t, s, store.Unchanged, "r2", t0)) // another revision
	manual := store.Run{SourceID: "src", Trigger: store.TriggerManual, Outcome: store.Unchanged, Revision: "r2", StartedAt: t0, FinishedAt: t0}
	if err := s.FinishRun(t.Context(), manual, store.SourceStatus{Revision: "r2"}); err != nil { // another trigger
		t.Fatal(err)
	}
	want = append(want, mustStatus(t, s, "src").LastRunID)
	run := succeeded("r2")
	if _, err := s.Commit(t.Context(), store.Commit{SourceID: "src", Upserts: []store.Entity{ent("src", "a", "")},
		Run: run, Status: store.SourceStatus{Revision: "r2"}}); err != nil {
		t.Fatal(err)
	}
	want = append(want, mustStatus(t, s, "src").LastRunID)
	want = append(want, finish(t, s, store.Unchanged, "r2", t0)) // after a commit
	// Another source's unchanged run at the same revision is not ours.
	if err := s.FinishRun(t.Context(), store.Run{SourceID: "other", Outcome: store.Unchanged, Revision: "r2"},
		store.SourceStatus{}); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(want)
	runs := mustRuns(t, s, "src", 0, 0)
	equal(t, "runs", ids(runs), want)
	for _, r := range runs {
		if r.Repeats != 0 {
			t.Errorf("run %d has repeats %d; want 0", r.ID, r.Repeats)
		}
	}
	equal(t, "other source's runs", len(mustRuns(t, s, "other", 0, 0)), 1)
}

func testFinishRunKeepsEntities(t *testing.T, s store.Store, _ func() store.Store) {
	a := ent("src", "a", "")
	mustCommit(t, s, "src", []store.Entity{a}, nil)
	finish(t, s, store.Failed, "r2", t0)
	finish(t, s, store.Unchanged, "rev", t0)
	equal(t, "generation", mustGeneration(t, s), int64(1))
	equal(t, "entities", sourceEntities(t, s, "src"), at(1, a))
}

func testRunsPaging(t *testing.T, s store.Store, _ func() store.Store) {
	var all, ofA []int64
	for i := range 7 {
		source := "b"
		if i%3 != 1 {
			source = "a"
		}
		id, err := s.StartRun(t.Context(), store.Run{SourceID: source, Trigger: store.TriggerSchedule, StartedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		all = append([]int64{id}, all...)
		if source == "a" {
			ofA = append([]int64{id}, ofA...)
		}
	}
	if !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
		t.Fatalf("run ids %v do not increase", all)
	}
	for _, tc := range []struct {
		source string
		want   []int64
	}{{"", all}, {"a", ofA}} {
		equal(t, "runs of "+tc.source, ids(mustRuns(t, s, tc.source, 0, 0)), tc.want)
		var paged []int64
		before := int64(0)
		for range 10 {
			page := mustRuns(t, s, tc.source, before, 2)
			if len(page) > 2 {
				t.Fatalf("page of %d runs; want at most 2", len(page))
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, ids(page)...)
			before = page[len(page)-1].ID
		}
		equal(t, "pages of "+tc.source, paged, tc.want)
		equal(t, "before the newest of "+tc.source, ids(mustRuns(t, s, tc.source, tc.want[0], 0)), tc.want[1:])
	}
	equal(t, "runs of an unknown source", ids(mustRuns(t, s, "nope", 0, 0)), []int64{})
}

func testNotFound(t *testing.T, s store.Store, _ func() store.Store) {
	mustCommit(t, s, "src", []store.Entity{ent("src", "a", "")}, nil)
	ctx := t.Context()
	if _, err := s.Status(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Status = %v; want ErrNotFound", err)
	}
	if files, err := s.Files(ctx, "nope"); err != nil || len(files) != 0 {
		t.Errorf("Files = %v, %v; want none", files, err)
	}
	if es, err := s.SourceEntities(ctx, "nope"); err != nil || len(es) != 0 {
		t.Errorf("SourceEntities = %v, %v; want none", es, err)
	}
	if _, err := s.Run(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Run = %v; want ErrNotFound", err)
	}
	// A source that started a run has no status until the run ends.
	if _, err := s.StartRun(ctx, store.Run{SourceID: "new", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Status(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Status of a source with a running first run = %v; want ErrNotFound", err)
	}
}

func testStatusFiles(t *testing.T, s store.Store, _ func() store.Store) {
	st := store.SourceStatus{SourceID: "src", Revision: "r2", LastAttemptAt: t0.Add(time.Minute),
		LastSuccessAt: t0, LastSuccessRevision: "r2", ConsecutiveFailures: 0,
		NextDueAt: t0.Add(time.Hour), EntityCount: 2, LocationCount: 1}
	files := []store.File{
		{Path: "a.yaml", Hash: "h1", Revision: "r2"},
		{Path: "sub/b.yaml", Hash: "h2", Revision: "r1", Failed: true},
	}
	if _, err := s.Commit(t.Context(), store.Commit{SourceID: "src", Files: files, Run: succeeded("r2"),
		Upserts: []store.Entity{ent("src", "a", ""), ent("src", "b", "")}, Status: st}); err != nil {
		t.Fatal(err)
	}
	got := mustStatus(t, s, "src")
	// The commit's run wrote the files, one of which failed.
	st.LastRunID, st.FilesRunID, st.FailedFiles = got.LastRunID, got.LastRunID, 1
	equal(t, "status", got, st)
	// The counts are replaced, Locations apart from other entities; what
	// the commit said of the files stays, whatever a later run passes.
	st.EntityCount, st.LocationCount = 3, 2
	passed := st
	passed.FilesRunID, passed.FailedFiles = 0, 0
	if err := s.FinishRun(t.Context(), store.Run{SourceID: "src", Outcome: store.Unchanged, Revision: "r2", StartedAt: t0}, passed); err != nil {
		t.Fatal(err)
	}
	got = mustStatus(t, s, "src")
	st.LastRunID = got.LastRunID
	equal(t, "status after a run that counted a second Location", got, st)
	if st.LastRunID == st.FilesRunID {
		t.Errorf("the unchanged run %d should be the last run, not the files run", st.LastRunID)
	}
	gotFiles, err := s.Files(t.Context(), "src")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(gotFiles, func(a, b store.File) int { return strings.Compare(a.Path, b.Path) })
	equal(t, "files", gotFiles, files)

	// A source whose first run failed has a status (zero times stay zero)
	// and no files.
	failing := store.SourceStatus{SourceID: "failing", LastAttemptAt: t0, ConsecutiveFailures: 3}
	if err := s.FinishRun(t.Context(), store.Run{SourceID: "failing", Outcome: store.Failed, StartedAt: t0},
		failing); err != nil {
		t.Fatal(err)
	}
	got = mustStatus(t, s, "failing")
	failing.LastRunID = got.LastRunID
	equal(t, "status of a failing source", got, failing)
	if got.LastRunID == 0 {
		t.Error("status of a failing source has no last run")
	}
	noFiles, err := s.Files(t.Context(), "failing")
	if err != nil || len(noFiles) != 0 {
		t.Errorf("Files of a failing source = %v, %v; want none", noFiles, err)
	}
	sts, err := s.Statuses(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(sts, func(a, b store.SourceStatus) int { return strings.Compare(a.SourceID, b.SourceID) })
	equal(t, "statuses", sts, []store.SourceStatus{failing, st})
}

func testFilesReplaced(t *testing.T, s store.Store, _ func() store.Store) {
	commitFiles := func(files ...store.File) {
		t.Helper()
		if _, err := s.Commit(t.Context(), store.Commit{SourceID: "src", Files: files, Run: succeeded("r")}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Files(t.Context(), "src")
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b store.File) int { return strings.Compare(a.Path, b.Path) })
		if !slices.Equal(got, files) {
			t.Fatalf("Files after a commit of %v = %v", files, got)
		}
	}
	same := store.File{Path: "d", Hash: "1", Revision: "r1"}
	commitFiles(store.File{Path: "a", Hash: "1"}, store.File{Path: "b", Hash: "1"}, same)
	commitFiles(store.File{Path: "b", Hash: "2", Failed: true}, store.File{Path: "c", Hash: "1"}, same)
	// Only the revision changes (an annotation names it), and a failing
	// file is fixed with the content it last had good.
	commitFiles(store.File{Path: "b", Hash: "2"}, store.File{Path: "c", Hash: "1"}, store.File{Path: "d", Hash: "1", Revision: "r2"})
	commitFiles()
}

func testAcks(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := t.Context()
	for _, a := range []store.Ack{
		{Consumer: "catalog-1", Generation: 3, AckedAt: t0},
		{Consumer: "catalog-2", Generation: 5, AckedAt: t0.Add(time.Second)},
		{Consumer: "catalog-1", Generation: 7, AckedAt: t0.Add(time.Minute)},
	} {
		if err := s.Ack(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	acks, err := s.Acks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(acks, func(a, b store.Ack) int { return strings.Compare(a.Consumer, b.Consumer) })
	equal(t, "acks", acks, []store.Ack{
		{Consumer: "catalog-1", Generation: 7, AckedAt: t0.Add(time.Minute)},
		{Consumer: "catalog-2", Generation: 5, AckedAt: t0.Add(time.Second)},
	})
}

func testPruneRuns(t *testing.T, s store.Store, _ func() store.Store) {
	var a, b []int64
	for i := range 5 {
		a = append(a, finish(t, s, store.Failed, fmt.Sprint(i), t0))
	}
	for range 2 {
		if err := s.FinishRun(t.Context(), store.Run{SourceID: "b", Outcome: store.Failed}, store.SourceStatus{}); err != nil {
			t.Fatal(err)
		}
	}
	b = ids(mustRuns(t, s, "b", 0, 0))
	mustCommit(t, s, "src", []store.Entity{ent("src", "a", "")}, nil)
	a = append(a, mustStatus(t, s, "src").LastRunID)
	if err := s.Prune(t.Context(), 3, 100); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(a)
	equal(t, "runs of src", ids(mustRuns(t, s, "src", 0, 0)), a[:3])
	equal(t, "runs of b", ids(mustRuns(t, s, "b", 0, 0)), b)
	if _, err := s.Run(t.Context(), a[3]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Run of a pruned run = %v; want ErrNotFound", err)
	}
	// New runs do not take the ids of pruned ones.
	if id := finish(t, s, store.Failed, "x", t0); id <= a[0] {
		t.Errorf("new run id %d; want above %d", id, a[0])
	}
	if err := s.Prune(t.Context(), 1, 100); err != nil {
		t.Fatal(err)
	}
	equal(t, "runs of src after keeping one", len(mustRuns(t, s, "src", 0, 0)), 1)
	equal(t, "runs of b after keeping one", ids(mustRuns(t, s, "b", 0, 0)), b[:1])
	// Pruning runs leaves the entities alone.
	equal(t, "entities", len(sourceEntities(t, s, "src")), 1)
}

func tryLock(t *testing.T, s store.Store, source string) (func(), bool) {
	t.Helper()
	unlock, ok, err := s.TryLock(t.Context(), source)
	if err != nil {
		t.Fatalf("TryLock(%s): %v", source, err)
	}
	if ok && unlock == nil {
		t.Fatalf("TryLock(%s) granted without an unlock func", source)
	}
	return unlock, ok
}

func testTryLock(t *testing.T, s store.Store, _ func() store.Store) {
	unlockA, ok := tryLock(t, s, "a")
	if !ok {
		t.Fatal("first TryLock(a) refused")
	}
	if _, ok := tryLock(t, s, "a"); ok {
		t.Fatal("second TryLock(a) granted while held")
	}
	unlockB, ok := tryLock(t, s, "b")
	if !ok {
		t.Fatal("TryLock(b) refused while only a is held")
	}
	unlockA()
	unlockA2, ok := tryLock(t, s, "a")
	if !ok {
		t.Fatal("TryLock(a) refused after unlock")
	}
	// A stale unlock func must not release the new holder's lock.
	unlockA()
	if _, ok := tryLock(t, s, "a"); ok {
		t.Error("TryLock(a) granted after a second call of an old unlock")
	}
	unlockA2()
	unlockB()

	// Many goroutines race for one source: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []func()
	for range 8 {
		wg.Go(func() {
			unlock, ok, err := s.TryLock(t.Context(), "race")
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				winners = append(winners, unlock)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	equal(t, "winners", len(winners), 1)
	for _, unlock := range winners {
		unlock()
	}
}

func testCloseWithLock(t *testing.T, s store.Store, reopen func() store.Store) {
	if _, ok := tryLock(t, s, "a"); !ok {
		t.Fatal("TryLock(a) refused")
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close with a held lock did not return")
	}
	if _, ok := tryLock(t, reopen(), "a"); !ok {
		t.Error("TryLock(a) refused after the holder's store was closed")
	}
}

func testConcurrentCommits(t *testing.T, s store.Store, _ func() store.Store) {
	const workers, commits = 6, 10
	var wg sync.WaitGroup
	gens := make(chan int64, workers*commits)
	for w := range workers {
		wg.Go(func() {
			source := fmt.Sprint("src", w)
			for i := range commits {
				var ups []store.Entity
				if i%3 != 2 { // every third commit changes nothing
					ups = []store.Entity{ent(source, fmt.Sprint("e", i), "")}
				}
				gen, err := s.Commit(t.Context(), store.Commit{SourceID: source, Upserts: ups, Run: succeeded("r")})
				if err != nil {
					t.Error(err)
					return
				}
				if len(ups) > 0 {
					gens <- gen
				}
			}
		})
	}
	wg.Wait()
	close(gens)
	var got []int64
	for g := range gens {
		got = append(got, g)
	}
	slices.Sort(got)
	var want []int64
	for g := range int64(len(got)) {
		want = append(want, g+1)
	}
	equal(t, "number of changing commits", len(got), workers*(commits-commits/3))
	equal(t, "generations handed out", got, want)
	equal(t, "generation", mustGeneration(t, s), int64(len(want)))
	equal(t, "runs", len(mustRuns(t, s, "", 0, 0)), workers*commits)
	ups, _ := mustChanges(t, s, 0)
	equal(t, "entities", len(ups), len(want))
}

func testPing(t *testing.T, s store.Store, _ func() store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func testRestart(t *testing.T, s store.Store, reopen func() store.Store) {
	a, b := ent("src", "a", ""), ent("src", "b", "")
	mustCommit(t, s, "src", []store.Entity{a, b}, []store.Removal{rm("src", "gone")}) // 1
	mustCommit(t, s, "src", nil, []store.Removal{rm("src", "b")})                     // 2
	mustCommit(t, s, "src", []store.Entity{ent("src", "c", "")}, nil)                 // 3
	finish(t, s, store.Unchanged, "rev", t0)
	if err := s.Ack(t.Context(), store.Ack{Consumer: "catalog", Generation: 2, AckedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Prune(t.Context(), 2, 1); err != nil {
		t.Fatal(err)
	}
	status, runs := mustStatus(t, s, "src"), mustRuns(t, s, "", 0, 0)
	files, err := s.Files(t.Context(), "src")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = reopen()
	equal(t, "generation", mustGeneration(t, s), int64(3))
	equal(t, "entities", sourceEntities(t, s, "src"), []store.Entity{at(1, a)[0], at(3, ent("src", "c", ""))[0]})
	equal(t, "status", mustStatus(t, s, "src"), status)
	equal(t, "runs", mustRuns(t, s, "", 0, 0), runs)
	gotFiles, err := s.Files(t.Context(), "src")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "files", gotFiles, files)
	acks, err := s.Acks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "acks", acks, []store.Ack{{Consumer: "catalog", Generation: 2, AckedAt: t0}})
	if _, _, _, err := changes(t, s, 1); !errors.Is(err, store.ErrTooOld) {
		t.Errorf("Changes(1) after the restart = %v; want ErrTooOld (pruned before)", err)
	}
	ups, _ := mustChanges(t, s, 2)
	equal(t, "upserts since 2", ups, at(3, ent("src", "c", "")))
	// Numbering goes on where it stopped.
	equal(t, "next generation", mustCommit(t, s, "src", []store.Entity{b}, nil), int64(4))
	if id := mustStatus(t, s, "src").LastRunID; id <= runs[0].ID {
		t.Errorf("run id after the restart %d; want above %d", id, runs[0].ID)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after the restart: %v", err)
	}
}

// BenchCommit measures a Commit of n upserts: into a new source ("insert")
// and over the n entities a source has ("replace"). It fails unless every
// entity is published.
func BenchCommit(b *testing.B, open func(b *testing.B) store.Store, n int) {
	s := open(b)
	b.Cleanup(func() { _ = s.Close() })
	entities := func(source, version string) []store.Entity {
		es := make([]store.Entity, n)
		for i := range es {
			es[i] = ent(source, fmt.Sprintf("service-%07d", i), version+strings.Repeat(" lorem ipsum", 25))
		}
		return es
	}
	run := func(b *testing.B, source string, es []store.Entity) {
		b.Helper()
		b.StartTimer()
		start := time.Now()
		_, err := s.Commit(b.Context(), store.Commit{SourceID: source, Upserts: es, Run: succeeded("r")})
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("Commit of %d upserts into %s took %v", n, source, elapsed)
		got, err := s.SourceEntities(b.Context(), source)
		if err != nil || len(got) != n {
			b.Fatalf("SourceEntities = %d entities, %v; want %d", len(got), err, n)
		}
	}
	b.Run("insert", func(b *testing.B) {
		b.StopTimer()
		for i := range b.N {
			source := fmt.Sprint("insert", i)
			run(b, source, entities(source, ""))
		}
	})
	b.Run("replace", func(b *testing.B) {
		b.StopTimer()
		run(b, "replace", entities("replace", "v0"))
		b.ResetTimer()
		for i := range b.N {
			run(b, "replace", entities("replace", fmt.Sprint("v", i+1)))
		}
	})
}

func testAbandonRuns(t *testing.T, s store.Store, _ func() store.Store) {
	start := func(source string, at time.Time) int64 {
		id, err := s.StartRun(t.Context(), store.Run{SourceID: source, Trigger: store.TriggerManual, StartedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	dead := start("src", t0)
	done := finish(t, s, store.Unchanged, "r1", t0)
	fresh := start("src", t0.Add(time.Hour))
	other := start("other", t0)
	n, err := s.AbandonRuns(t.Context(), "src", t0.Add(time.Minute), "the engine process ended")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "abandoned", n, 1)
	r := mustRun(t, s, dead)
	equal(t, "outcome", r.Outcome, store.Abandoned)
	equal(t, "reason", r.Reason, "the engine process ended")
	equal(t, "reason code", r.ReasonCode, store.ReasonAbandoned)
	if r.FinishedAt.IsZero() {
		t.Error("an abandoned run has no finish time")
	}
	equal(t, "finished run", mustRun(t, s, done).Outcome, store.Unchanged)
	equal(t, "a run started after the cut-off", mustRun(t, s, fresh).Outcome, store.Running)
	equal(t, "another source's run", mustRun(t, s, other).Outcome, store.Running)
}

func testOwners(t *testing.T, s store.Store, _ func() store.Store) {
	mustCommit(t, s, "first", []store.Entity{ent("first", "a", ""), ent("first", "b", "")}, nil)
	mustCommit(t, s, "second", []store.Entity{ent("second", "c", "")}, nil)
	key := func(name string) string { return ent("", name, "").Key }
	keys := []string{key("a"), key("b"), key("c"), key("d")}
	for i := range 1200 { // more than one batch of bound parameters
		keys = append(keys, fmt.Sprintf("absent-%d", i))
	}
	got, err := s.Owners(t.Context(), "second", keys)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "owners seen from second", got, map[string]string{key("a"): "first", key("b"): "first"})
	got, err = s.Owners(t.Context(), "first", []string{key("a"), key("c")})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "owners seen from first", got, map[string]string{key("c"): "second"})
	// Many keys are looked up when another source publishes: here one
	// whose id sorts after the asking source's.
	got, err = s.Owners(t.Context(), "first", append([]string{key("c")}, keys[4:]...))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "owners of many keys seen from first", got, map[string]string{key("c"): "second"})
	if got, err := s.Owners(t.Context(), "first", nil); err != nil || len(got) != 0 {
		t.Errorf("no keys: %v %v", got, err)
	}
}

func testClaimConflict(t *testing.T, s store.Store, _ func() store.Store) {
	mustCommit(t, s, "first", []store.Entity{ent("first", "a", "")}, nil)
	gen := mustGeneration(t, s)
	_, err := s.Commit(t.Context(), store.Commit{SourceID: "second", Upserts: []store.Entity{ent("second", "a", ""), ent("second", "b", "")},
		Claims: []string{ent("", "a", "").Key, ent("", "b", "").Key}, Run: succeeded("rev"), Status: store.SourceStatus{Revision: "rev"}})
	var conflict *store.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("commit = %v; want a ConflictError", err)
	}
	equal(t, "refused keys", conflict.Owners, map[string]string{ent("", "a", "").Key: "first"})
	equal(t, "generation", mustGeneration(t, s), gen)
	if runs := mustRuns(t, s, "second", 0, 0); len(runs) != 0 {
		t.Errorf("a refused commit recorded runs: %v", ids(runs))
	}
	// Without the claim (the source publishes it already) it is written.
	mustCommit(t, s, "second", []store.Entity{ent("second", "b", "")}, nil)
}

// SchemaTooNew tests that a store refuses a database whose schema is newer
// than the engine knows and whose newest migration says older engines
// misread it: Ping says so, and so does opening the database again. db is
// a plain connection to s's database; latest is the newest migration the
// engine knows.
func SchemaTooNew(t *testing.T, s store.Store, db *sql.DB, latest int64, reopen func() (store.Store, error)) {
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, true)`); err != nil {
		t.Fatal(err)
	}
	// Migration 99 says engines before it misread its schema.
	if _, err := db.Exec(`UPDATE schema_compatibility SET compatible_from = 99`); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("database schema is at version 99, this central-config knows up to %d: upgrade central-config", latest)
	if err := s.Ping(t.Context()); err == nil || err.Error() != want {
		t.Errorf("Ping = %v; want %q", err, want)
	}
	if s2, err := reopen(); err == nil || err.Error() != want {
		if err == nil {
			_ = s2.Close()
		}
		t.Errorf("Open = %v; want %q", err, want)
	}
}
