package httpapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// fakeStore is an in-memory store.Store for handler tests only: enough of
// the contract to serve the API, plus error injection and call counts.
type fakeStore struct {
	mu         sync.Mutex
	generation int64
	statuses   map[string]store.SourceStatus
	files      map[string][]store.File
	runs       map[int64]store.Run
	entities   []store.Entity // sorted by key
	removals   []store.Removal
	acks       map[string]store.Ack
	// oldest is the oldest generation Changes can start from; below it
	// tombstones were pruned (ErrTooOld).
	oldest int64

	// fail makes the named method return the error.
	fail map[string]error
	// failAt makes Entities/Changes fail (with failErr, or a connection
	// error) before handing out the entity of that index; -1 never.
	failAt  int
	failErr error
	// onEntity is called before each entity Entities or Changes hands
	// out, with its index.
	onEntity func(i int)
	// onEnter is called after a method's call is counted, outside the
	// lock (a test may block in it).
	onEnter func(method string)
	calls   map[string]int
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		statuses: map[string]store.SourceStatus{},
		files:    map[string][]store.File{},
		runs:     map[int64]store.Run{},
		acks:     map[string]store.Ack{},
		fail:     map[string]error{},
		calls:    map[string]int{},
		failAt:   -1,
	}
}

var _ store.Store = (*fakeStore)(nil)

// enter counts a call and returns the injected error, if any.
func (f *fakeStore) enter(method string) error {
	f.mu.Lock()
	f.calls[method]++
	err, hook := f.fail[method], f.onEnter
	f.mu.Unlock()
	if hook != nil {
		hook(method)
	}
	return err
}

func (f *fakeStore) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeStore) Status(_ context.Context, id string) (store.SourceStatus, error) {
	if err := f.enter("Status"); err != nil {
		return store.SourceStatus{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.statuses[id]
	if !ok {
		return st, store.ErrNotFound
	}
	return st, nil
}

func (f *fakeStore) Statuses(context.Context) ([]store.SourceStatus, error) {
	if err := f.enter("Statuses"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.SourceStatus
	for _, st := range f.statuses {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b store.SourceStatus) int { return strings.Compare(a.SourceID, b.SourceID) })
	return out, nil
}

func (f *fakeStore) Files(_ context.Context, id string) ([]store.File, error) {
	if err := f.enter("Files"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.files[id]), nil
}

func (f *fakeStore) SourceEntities(_ context.Context, id string) ([]store.Entity, error) {
	if err := f.enter("SourceEntities"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Entity
	for _, e := range f.entities {
		if e.SourceID == id {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeStore) Commit(context.Context, store.Commit) (int64, error) {
	return 0, errors.New("fakeStore: Commit is not used by the API")
}

func (f *fakeStore) StartRun(_ context.Context, r store.Run) (int64, error) {
	if err := f.enter("StartRun"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r.ID = int64(len(f.runs) + 1)
	f.runs[r.ID] = r
	return r.ID, nil
}

func (f *fakeStore) FinishRun(context.Context, store.Run, store.SourceStatus) error {
	return errors.New("fakeStore: FinishRun is not used by the API")
}

func (f *fakeStore) AbandonRuns(context.Context, string, time.Time, string) (int, error) {
	return 0, errors.New("fakeStore: AbandonRuns is not used by the API")
}

func (f *fakeStore) Owners(context.Context, string, []string) (map[string]string, error) {
	return nil, errors.New("fakeStore: Owners is not used by the API")
}

func (f *fakeStore) Runs(_ context.Context, source string, before int64, limit int) ([]store.Run, error) {
	if err := f.enter("Runs"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Run
	for _, r := range f.runs {
		if (source == "" || r.SourceID == source) && (before == 0 || r.ID < before) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Run) int { return int(b.ID - a.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeStore) Run(_ context.Context, id int64) (store.Run, error) {
	if err := f.enter("Run"); err != nil {
		return store.Run{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.runs[id]
	if !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}

func (f *fakeStore) Generation(context.Context) (int64, error) {
	if err := f.enter("Generation"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.generation, nil
}

// hand gives out the i-th entity, honouring onEntity and failAfter.
func (f *fakeStore) hand(i int, e store.Entity, fn func(store.Entity) error) error {
	if f.failAt >= 0 && i >= f.failAt {
		if f.failErr != nil {
			return f.failErr
		}
		return errors.New("fakeStore: connection reset while reading entities")
	}
	if f.onEntity != nil {
		f.onEntity(i)
	}
	return fn(e)
}

func (f *fakeStore) Entities(_ context.Context, fn func(store.Entity) error) error {
	if err := f.enter("Entities"); err != nil {
		return err
	}
	for i, e := range f.entities {
		if err := f.hand(i, e, fn); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) Changes(_ context.Context, since int64, upsert func(store.Entity) error, remove func(store.Removal) error) error {
	if err := f.enter("Changes"); err != nil {
		return err
	}
	if since < f.oldest {
		return store.ErrTooOld
	}
	i := 0
	for _, e := range f.entities {
		if e.Generation > since {
			if err := f.hand(i, e, upsert); err != nil {
				return err
			}
			i++
		}
	}
	for _, rm := range f.removals {
		if rm.Generation > since {
			if err := remove(rm); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fakeStore) Ack(_ context.Context, a store.Ack) error {
	if err := f.enter("Ack"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acks[a.Consumer] = a
	return nil
}

func (f *fakeStore) Acks(context.Context) ([]store.Ack, error) {
	if err := f.enter("Acks"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Ack
	for _, a := range f.acks {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b store.Ack) int { return strings.Compare(a.Consumer, b.Consumer) })
	return out, nil
}

func (f *fakeStore) TryLock(context.Context, string) (func(), bool, error) {
	return func() {}, true, nil
}

func (f *fakeStore) Prune(context.Context, int, int64) error { return nil }

func (f *fakeStore) Ping(context.Context) error { return f.enter("Ping") }

func (f *fakeStore) Close() error { return nil }

// fakeSyncer is a Syncer for handler tests: configured sources, runs in
// progress, and a record of TriggerRun calls.
type fakeSyncer struct {
	mu       sync.Mutex
	ids      []string
	interval map[string]time.Duration
	running  map[string]int64
	// tracks maps a source to the "owner/repo@branch" it tracks.
	tracks map[string]string
	// links are each source's snapshot links; none by default, as for a
	// file:// repository.
	links      map[string]source.Links
	unrecorded map[string][]store.Run
	triggerErr error
	nextRunID  int64
	triggered  []triggerCall
}

type triggerCall struct {
	source  string
	trigger store.Trigger
}

func newFakeSyncer() *fakeSyncer {
	return &fakeSyncer{
		ids:      []string{"platform", "teams"},
		interval: map[string]time.Duration{"platform": 5 * time.Minute, "teams": time.Hour},
		running:  map[string]int64{},
		links:    map[string]source.Links{},
		tracks: map[string]string{
			"platform": "acme/platform-config@main",
			"teams":    "acme/platform-config@main",
		},
		nextRunID: 100,
	}
}

func (f *fakeSyncer) SourceIDs() []string { return f.ids }

func (f *fakeSyncer) Interval(id string) time.Duration { return f.interval[id] }

func (f *fakeSyncer) Running(id string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running[id]
}

func (f *fakeSyncer) TriggerRun(_ context.Context, id string, t store.Trigger) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.ids, id) {
		return 0, source.ErrUnknownSource
	}
	if f.triggerErr != nil {
		return 0, f.triggerErr
	}
	f.triggered = append(f.triggered, triggerCall{source: id, trigger: t})
	f.nextRunID++
	return f.nextRunID, nil
}

func (f *fakeSyncer) SourcesForPush(repo, branch string) []string {
	var ids []string
	for _, id := range f.ids {
		r, b, _ := strings.Cut(f.tracks[id], "@")
		if strings.EqualFold(r, repo) && b == branch {
			ids = append(ids, id)
		}
	}
	return ids
}

func (f *fakeSyncer) Links(id string) source.Links {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.links[id]
}

func (f *fakeSyncer) Unrecorded(id string) []store.Run {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.unrecorded[id])
}

func (f *fakeSyncer) calls() []triggerCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.triggered)
}
