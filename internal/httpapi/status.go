package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// Listing limits of GET /central-config/syncs.
const (
	defaultRunLimit = 20
	maxRunLimit     = 200
)

// runJSON is a sync run as the API serves it: absent values are null, not
// zero times or missing keys, so clients need no special cases.
type runJSON struct {
	ID               int64           `json:"id"`
	Source           string          `json:"source"`
	Trigger          store.Trigger   `json:"trigger"`
	StartedAt        *time.Time      `json:"startedAt"`
	FinishedAt       *time.Time      `json:"finishedAt"`
	DurationSeconds  *float64        `json:"durationSeconds"`
	Outcome          store.Outcome   `json:"outcome"`
	Revision         *string         `json:"revision"`
	RevisionURL      *string         `json:"revisionUrl"`
	PreviousRevision *string         `json:"previousRevision"`
	Counts           store.Counts    `json:"counts"`
	Errors           []fileErrorJSON `json:"errors"`
	ErrorCount       int             `json:"errorCount"`
	WarningCount     int             `json:"warningCount"`
	Reason           *string         `json:"reason"`
	ReasonCode       *string         `json:"reasonCode"`
	Generation       int64           `json:"generation"`
	Repeats          int             `json:"repeats"`
}

// fileErrorJSON is a file problem with the browser URL of the file at the
// revision that was read, or null.
type fileErrorJSON struct {
	store.FileError
	URL *string `json:"url"`
}

// toRunJSON serves a run; links are its source's (nil: no URLs).
func toRunJSON(r store.Run, links source.Links) runJSON {
	out := runJSON{
		ID: r.ID, Source: r.SourceID, Trigger: r.Trigger, Outcome: r.Outcome,
		StartedAt: timePtr(r.StartedAt), FinishedAt: timePtr(r.FinishedAt),
		Revision: strPtr(r.Revision), RevisionURL: commitURL(links, r.Revision),
		PreviousRevision: strPtr(r.PreviousRevision), Reason: strPtr(r.Reason), ReasonCode: strPtr(string(r.ReasonCode)),
		Counts: r.Counts, Errors: fileErrors(r.Errors, links, r.Revision), Generation: r.Generation, Repeats: r.Repeats,
	}
	if out.StartedAt != nil && out.FinishedAt != nil {
		d := r.Duration().Seconds()
		out.DurationSeconds = &d
	}
	out.ErrorCount, out.WarningCount = r.Problems()
	return out
}

// fileErrors adds each problem's URL: the file viewed at revision, at the
// line when the view URL has GitHub's or GitLab's layout. Never nil.
func fileErrors(errs []store.FileError, links source.Links, revision string) []fileErrorJSON {
	out := make([]fileErrorJSON, len(errs))
	for i, e := range errs {
		out[i] = fileErrorJSON{FileError: e, URL: fileURL(links, revision, e)}
	}
	return out
}

// fileURL is the browser URL of the file of e at revision, or nil. The
// links are built from repository URLs without credentials, so they carry
// no secret. "#L<line>" is only appended to URLs of the
// ".../blob/<revision>/<path>" layout (GitHub, GitHub Enterprise, GitLab),
// where it selects the line; other hosts' anchors differ.
func fileURL(links source.Links, revision string, e store.FileError) *string {
	if links == nil || revision == "" || e.File == "" {
		return nil
	}
	u := links.View(revision, e.File)
	if u == "" {
		return nil
	}
	if e.Line > 0 && !strings.Contains(u, "#") && strings.Contains(u, "/blob/"+revision+"/") {
		u += "#L" + strconv.Itoa(e.Line)
	}
	return &u
}

// commitURL is the browser URL of a revision, or nil.
func commitURL(links source.Links, revision string) *string {
	if links == nil || revision == "" {
		return nil
	}
	return strPtr(links.Commit(revision))
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sourceJSON is one configured source on the status page.
type sourceJSON struct {
	ID                  string     `json:"id"`
	State               string     `json:"state"`
	Revision            *string    `json:"revision"`
	RevisionURL         *string    `json:"revisionUrl"`
	LastAttemptAt       *time.Time `json:"lastAttemptAt"`
	LastSuccessAt       *time.Time `json:"lastSuccessAt"`
	LastSuccessRevision *string    `json:"lastSuccessRevision"`
	NextDueAt           *time.Time `json:"nextDueAt"`
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	EntityCount         int        `json:"entityCount"`
	LocationCount       int        `json:"locationCount"`
	IntervalSeconds     int64      `json:"intervalSeconds"`
	RunningRunID        *int64     `json:"runningRunId"`
	LastRun             *runJSON   `json:"lastRun"`
	ErrorCount          int        `json:"errorCount"`
	WarningCount        int        `json:"warningCount"`
	// FailedFiles counts files whose newest version has errors; their
	// entities stay at the last good revision. It outlives the run that
	// found the errors (later unchanged runs do not re-report them).
	FailedFiles int `json:"failedFiles"`
	// FileErrors are the source's current file problems: those of the
	// run that wrote its files (see filesRun), each with the URL
	// of the file at that run's revision.
	FileErrors []fileErrorJSON `json:"fileErrors"`

	// status and last are what State was derived from (nil: none), kept
	// so that statusDown derives it again with the runs since.
	status *store.SourceStatus
	last   *store.Run
}

type ackJSON struct {
	Consumer   string     `json:"consumer"`
	Generation int64      `json:"generation"`
	AckedAt    *time.Time `json:"ackedAt"`
	Lagging    bool       `json:"lagging"`
}

type lastSyncJSON struct {
	Generation int64        `json:"generation"`
	Sources    []sourceJSON `json:"sources"`
	Catalog    struct {
		Acks []ackJSON `json:"acks"`
	} `json:"catalog"`
	// StoreUnavailable says the store could not be read: this is the
	// last answer read from it, with the runs that ended since, and
	// Message says so.
	StoreUnavailable bool   `json:"storeUnavailable,omitempty"`
	Message          string `json:"message,omitempty"`
}

// cachedLastSync serves a recent enough last-sync answer from memory (see
// Options.StatusCacheTTL); errors are never cached. A stale answer is
// rebuilt by one request at a time (the others wait for its result), so a
// burst of readers costs one read of the store, not one each.
func (s *server) cachedLastSync(w http.ResponseWriter, r *http.Request) {
	ttl := s.opts.StatusCacheTTL
	if ttl <= 0 {
		s.lastSync(w, r)
		return
	}
	c := &s.statusCache
	c.Lock()
	body, header, fresh := c.body, c.header, time.Since(c.at) < ttl
	c.Unlock()
	if body == nil || !fresh {
		v, _, _ := c.build.Do("last-sync", func() (any, error) {
			// The answer is shared: it must not end with the request
			// that happens to build it.
			rec := &capture{header: http.Header{}, status: http.StatusOK}
			s.lastSync(rec, r.WithContext(context.WithoutCancel(r.Context())))
			if rec.status == http.StatusOK {
				c.Lock()
				c.at, c.body, c.header = time.Now(), rec.body.Bytes(), rec.header
				c.Unlock()
			}
			return rec, nil
		})
		rec := v.(*capture)
		maps.Copy(w.Header(), rec.header)
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
		return
	}
	maps.Copy(w.Header(), header)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// capture is a ResponseWriter that keeps the response in memory.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header         { return c.header }
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }
func (c *capture) WriteHeader(status int)      { c.status = status }

// lastSync serves the status page: every configured source, also one
// that never ran, and how far each catalog has applied the generations.
func (s *server) lastSync(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	g, err := s.store.Generation(ctx)
	if err != nil {
		s.statusDown(w, r, "cannot read the generation", err)
		return
	}
	s.metrics.SetGeneration(g)
	statuses, err := s.store.Statuses(ctx)
	if err != nil {
		s.statusDown(w, r, "cannot read source statuses", err)
		return
	}
	byID := make(map[string]store.SourceStatus, len(statuses))
	for _, st := range statuses {
		byID[st.SourceID] = st
	}
	out := lastSyncJSON{Generation: g, Sources: []sourceJSON{}}
	for _, id := range s.syncer.SourceIDs() {
		var st *store.SourceStatus
		if status, ok := byID[id]; ok {
			st = &status
		}
		src, what, err := s.source(ctx, id, st)
		if err != nil {
			s.statusDown(w, r, what, err)
			return
		}
		out.Sources = append(out.Sources, src)
	}
	conflictsOnOwners(out.Sources)
	acks, err := s.store.Acks(ctx)
	if err != nil {
		s.statusDown(w, r, "cannot read catalog acks", err)
		return
	}
	out.Catalog.Acks = make([]ackJSON, 0, len(acks))
	for _, a := range acks {
		out.Catalog.Acks = append(out.Catalog.Acks, ackJSON{Consumer: a.Consumer, Generation: a.Generation,
			AckedAt: timePtr(a.AckedAt), Lagging: a.Generation < g})
	}
	c := &s.statusCache
	c.Lock()
	c.good, c.goodAt = &out, s.now().UTC()
	c.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// source is one configured source on the status page; st is its status,
// nil before its first run. On an error it says what it could not read.
func (s *server) source(ctx context.Context, id string, st *store.SourceStatus) (sourceJSON, string, error) {
	links := s.syncer.Links(id)
	src := sourceJSON{ID: id, IntervalSeconds: int64(s.syncer.Interval(id) / time.Second),
		FileErrors: []fileErrorJSON{}, status: st}
	if running := s.syncer.Running(id); running != 0 {
		src.RunningRunID = &running
	}
	if st != nil {
		src.Revision = strPtr(st.Revision)
		src.RevisionURL = commitURL(links, st.Revision)
		src.LastAttemptAt = timePtr(st.LastAttemptAt)
		src.LastSuccessAt = timePtr(st.LastSuccessAt)
		src.LastSuccessRevision = strPtr(st.LastSuccessRevision)
		src.NextDueAt = timePtr(st.NextDueAt)
		src.ConsecutiveFailures = st.ConsecutiveFailures
		src.EntityCount = st.EntityCount
		src.LocationCount = st.LocationCount
		src.FailedFiles = st.FailedFiles
		if st.LastRunID != 0 {
			run, err := s.store.Run(ctx, st.LastRunID)
			switch {
			case err == nil:
				src.setLastRun(run, links)
			case !errors.Is(err, store.ErrNotFound): // a pruned run is no error
				return src, "cannot read the last run of source " + id, err
			}
		}
		cur, err := s.filesRun(ctx, *st, src.last)
		if err != nil {
			return src, "cannot read the runs of source " + id, err
		}
		if cur != nil {
			src.FileErrors = fileErrors(cur.Errors, links, cur.Revision)
		}
	}
	src.State = string(store.State(st, src.last, src.RunningRunID != nil))
	return src, "", nil
}

// setLastRun makes run the source's last run.
func (src *sourceJSON) setLastRun(run store.Run, links source.Links) {
	rj := toRunJSON(run, links)
	src.last, src.LastRun = &run, &rj
	src.ErrorCount, src.WarningCount = rj.ErrorCount, rj.WarningCount
}

// conflictsOnOwners shows each source-conflict error of a source (an
// entity refused because another source publishes it) on that other
// source too, as a warning, so that both sources' status tell of it.
func conflictsOnOwners(sources []sourceJSON) {
	index := make(map[string]int, len(sources))
	for i, src := range sources {
		index[src.ID] = i
	}
	for _, src := range sources {
		for _, fe := range src.FileErrors {
			if fe.Code != diag.CodeSourceConflict {
				continue
			}
			ref, owner, ok := diag.ConflictOf(fe.Message)
			j, known := index[owner]
			if !ok || !known || owner == src.ID {
				continue
			}
			mine := fe
			mine.Severity = string(diag.Warning)
			mine.Message = fmt.Sprintf("source %q also defines %s (in its file %s); that copy is refused while this source publishes the entity",
				src.ID, ref, fe.File)
			sources[j].FileErrors = append(sources[j].FileErrors, mine)
		}
	}
}

// statusDown answers last-sync when the store fails: the last answer
// read from it, flagged storeUnavailable, with each source's runs that
// ended since (Syncer.Unrecorded) counted as failures and the newest as
// its last run; without a last answer, the error.
func (s *server) statusDown(w http.ResponseWriter, r *http.Request, what string, err error) {
	c := &s.statusCache
	c.Lock()
	good, at := c.good, c.goodAt
	c.Unlock()
	if good == nil || r.Context().Err() != nil {
		s.internal(w, r, what, err)
		return
	}
	s.log.Debug(what+"; serving the last status", "error", s.redact(err.Error()))
	out := *good
	out.StoreUnavailable = true
	out.Message = "the engine's database is unavailable: this is the status last read from it, at " +
		at.Format(time.RFC3339) + ", with the runs that ended since; the engine's log has the details"
	out.Sources = slices.Clone(good.Sources)
	for i := range out.Sources {
		src := &out.Sources[i]
		src.RunningRunID = nil
		if running := s.syncer.Running(src.ID); running != 0 {
			src.RunningRunID = &running
		}
		if runs := s.syncer.Unrecorded(src.ID); len(runs) > 0 {
			last := runs[len(runs)-1]
			src.setLastRun(last, s.syncer.Links(src.ID))
			src.LastAttemptAt = timePtr(last.StartedAt)
			src.ConsecutiveFailures += len(runs)
			status := store.SourceStatus{SourceID: src.ID}
			if src.status != nil {
				status = *src.status
			}
			status.ConsecutiveFailures = src.ConsecutiveFailures
			src.status = &status
		}
		src.State = string(store.State(src.status, src.last, src.RunningRunID != nil))
	}
	w.Header().Set(storeHeader, "unavailable")
	writeJSON(w, http.StatusOK, out)
}

// filesRun returns the run whose errors are the source's current file
// problems: the run that wrote its files (the status's FilesRunID, the
// newest commit), which is the last run itself (last, nil when pruned) or
// an older one. nil when there is none or it was pruned.
func (s *server) filesRun(ctx context.Context, st store.SourceStatus, last *store.Run) (*store.Run, error) {
	switch st.FilesRunID {
	case 0:
		return nil, nil
	case st.LastRunID:
		return last, nil
	}
	run, err := s.store.Run(ctx, st.FilesRunID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &run, nil
}

type runsJSON struct {
	Runs []runJSON `json:"runs"`
	Next *string   `json:"next"`
}

// listRuns pages through run history newest first; next is the URL of
// the following page, or null on the last.
func (s *server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	source := q.Get("source")
	before, ok := s.intParam(w, q, "before", 0, 1)
	if !ok {
		return
	}
	limit, ok := s.intParam(w, q, "limit", defaultRunLimit, 1)
	if !ok {
		return
	}
	limit = min(limit, maxRunLimit)
	runs, err := s.store.Runs(r.Context(), source, before, int(limit)+1)
	if err != nil {
		s.internal(w, r, "cannot read sync runs", err)
		return
	}
	out := runsJSON{Runs: make([]runJSON, 0, min(len(runs), int(limit)))}
	for i, run := range runs {
		if i == int(limit) {
			next := url.Values{"before": {strconv.FormatInt(runs[i-1].ID, 10)}, "limit": {strconv.FormatInt(limit, 10)}}
			if source != "" {
				next.Set("source", source)
			}
			u := "/central-config/syncs?" + next.Encode()
			out.Next = &u
			break
		}
		out.Runs = append(out.Runs, toRunJSON(run, s.syncer.Links(run.SourceID)))
	}
	writeJSON(w, http.StatusOK, out)
}

// intParam parses an optional integer query parameter of at least lo.
func (s *server) intParam(w http.ResponseWriter, q url.Values, name string, def, lo int64) (int64, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo {
		s.error(w, http.StatusBadRequest, "bad-request", name+" must be an integer of at least "+strconv.FormatInt(lo, 10))
		return 0, false
	}
	return n, true
}

func (s *server) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.error(w, http.StatusBadRequest, "bad-request", "the run id must be a positive integer")
		return
	}
	run, err := s.store.Run(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.error(w, http.StatusNotFound, "not-found", "no sync run "+strconv.FormatInt(id, 10))
		return
	}
	if err != nil {
		s.internal(w, r, "cannot read the sync run", err)
		return
	}
	writeJSON(w, http.StatusOK, toRunJSON(run, s.syncer.Links(run.SourceID)))
}

type triggerRequest struct {
	Source string `json:"source"`
}

type triggeredRun struct {
	Source string `json:"source"`
	RunID  int64  `json:"runId"`
}

// triggerSync starts runs now, of one source or of all, and answers with
// their ids without waiting for them (follow them at /syncs/{id}).
func (s *server) triggerSync(w http.ResponseWriter, r *http.Request) {
	var req triggerRequest
	if _, ok := s.decodeBody(w, r, &req); !ok {
		return
	}
	ids := s.syncer.SourceIDs()
	if req.Source != "" {
		if !slices.Contains(ids, req.Source) {
			s.error(w, http.StatusNotFound, "unknown-source", "no source "+strconv.Quote(clip(req.Source))+" is configured")
			return
		}
		ids = []string{req.Source}
	}
	out := struct {
		Runs []triggeredRun `json:"runs"`
	}{Runs: []triggeredRun{}}
	for _, id := range ids {
		runID, err := s.syncer.TriggerRun(r.Context(), id, store.TriggerManual)
		if errors.Is(err, source.ErrUnknownSource) {
			s.error(w, http.StatusNotFound, "unknown-source", "no source "+strconv.Quote(id)+" is configured")
			return
		}
		if err != nil {
			s.internal(w, r, "cannot start a run of source "+id, err)
			return
		}
		out.Runs = append(out.Runs, triggeredRun{Source: id, RunID: runID})
	}
	writeJSON(w, http.StatusAccepted, out)
}
