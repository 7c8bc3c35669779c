// Package sqlrow is what the SQL stores share beyond their dialects: the
// column lists and how store types map to and from rows (times excepted,
// which each database keeps its own way), the checks on a commit, and the
// decisions around runs. Keeping it in one place keeps the two stores'
// semantics the same.
package sqlrow

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/central-config/central-config/internal/store"
)

// Scanner is the Scan of a pgx or database/sql row.
type Scanner interface{ Scan(dest ...any) error }

// StatusColumns are the columns of the sources table, in the order of
// StatusDest and StatusArgs.
const StatusColumns = `source_id, revision, last_attempt_at, last_success_at, last_success_revision,
	consecutive_failures, next_due_at, entity_count, last_run_id, location_count, failed_files, files_run_id`

// StatusUpsert ends an INSERT of StatusColumns: a source's row is replaced,
// except that only a commit (the run that wrote the files) replaces the
// failed-files count and the files run; the other runs keep them.
func StatusUpsert(commit bool) string {
	set := `ON CONFLICT (source_id) DO UPDATE SET revision = excluded.revision,
	last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at,
	last_success_revision = excluded.last_success_revision,
	consecutive_failures = excluded.consecutive_failures, next_due_at = excluded.next_due_at,
	entity_count = excluded.entity_count, last_run_id = excluded.last_run_id,
	location_count = excluded.location_count`
	if commit {
		set += `, failed_files = excluded.failed_files, files_run_id = excluded.files_run_id`
	}
	return set
}

// StatusDest returns the scan destinations of StatusColumns: st's fields,
// and the three times (whose column type differs by dialect).
func StatusDest(st *store.SourceStatus, attempt, success, due any) []any {
	return []any{&st.SourceID, &st.Revision, attempt, success, &st.LastSuccessRevision,
		&st.ConsecutiveFailures, due, &st.EntityCount, &st.LastRunID, &st.LocationCount, &st.FailedFiles, &st.FilesRunID}
}

// StatusArgs returns st's values in StatusColumns order, with its times as
// given.
func StatusArgs(st store.SourceStatus, attempt, success, due any) []any {
	return []any{st.SourceID, st.Revision, attempt, success, st.LastSuccessRevision,
		st.ConsecutiveFailures, due, st.EntityCount, st.LastRunID, st.LocationCount, st.FailedFiles, st.FilesRunID}
}

// EntityColumns are the columns ScanEntity reads.
const EntityColumns = `source_id, key, ref, file, hash, body, generation`

// ScanEntity reads a row of EntityColumns.
func ScanEntity(row Scanner) (store.Entity, error) {
	var e store.Entity
	err := row.Scan(&e.SourceID, &e.Key, &e.Ref, &e.File, &e.Hash, &e.Body, &e.Generation)
	return e, err
}

// RemovalColumns are the columns ScanRemoval reads.
const RemovalColumns = `source_id, key, ref, generation`

// ScanRemoval reads a row of RemovalColumns.
func ScanRemoval(row Scanner) (store.Removal, error) {
	var r store.Removal
	err := row.Scan(&r.SourceID, &r.Key, &r.Ref, &r.Generation)
	return r, err
}

// FileColumns are the columns ScanFile reads.
const FileColumns = `path, hash, revision, failed`

// ScanFile reads a row of FileColumns.
func ScanFile(row Scanner) (store.File, error) {
	var f store.File
	err := row.Scan(&f.Path, &f.Hash, &f.Revision, &f.Failed)
	return f, err
}

// CheckCommit refuses a commit that writes another source's entities:
// each source owns its rows, and the lock that serialises its syncs
// protects nothing else.
func CheckCommit(c store.Commit) error {
	for _, e := range c.Upserts {
		if e.SourceID != "" && e.SourceID != c.SourceID {
			return fmt.Errorf("commit of source %q upserts entity %q of source %q", c.SourceID, e.Key, e.SourceID)
		}
	}
	for _, r := range c.Removals {
		if r.SourceID != "" && r.SourceID != c.SourceID {
			return fmt.Errorf("commit of source %q removes entity %q of source %q", c.SourceID, r.Key, r.SourceID)
		}
	}
	return nil
}

// Body returns the JSON of c.Upserts[i]: its Body, else what c.Body
// reads.
func Body(c store.Commit, i int) ([]byte, error) {
	if b := c.Upserts[i].Body; b != nil || c.Body == nil {
		return b, nil
	}
	b, err := c.Body(i)
	if err == nil && b == nil {
		err = errors.New("no JSON to write")
	}
	if err != nil {
		return nil, fmt.Errorf("entity %s: %w", c.Upserts[i].Key, err)
	}
	return b, nil
}

// FileChanges compares a source's stored file states (old) with those a
// commit writes (files): the states to write, new or different, and the
// paths to delete. A commit that changes one file of thousands writes one
// row, not thousands.
func FileChanges(old, files []store.File) (changed []store.File, gone []string) {
	stored := make(map[string]store.File, len(old))
	for _, f := range old {
		stored[f.Path] = f
	}
	for _, f := range files {
		if o, ok := stored[f.Path]; !ok || o != f {
			changed = append(changed, f)
		}
		delete(stored, f.Path)
	}
	for path := range stored {
		gone = append(gone, path)
	}
	slices.Sort(gone)
	return changed, gone
}

// Bump is how much c raises the global generation: one if it changes any
// entity, else none.
func Bump(c store.Commit) int {
	if len(c.Upserts) > 0 || len(c.Removals) > 0 {
		return 1
	}
	return 0
}

// CommitRun is the run c records once the generation is gen.
func CommitRun(c store.Commit, gen int64) store.Run {
	r := c.Run
	r.SourceID, r.Generation = c.SourceID, 0
	if Bump(c) > 0 {
		r.Generation = gen
	}
	return r
}

// CommitStatus is the status c records once its run is runID: that run
// wrote the files, and the failed ones are counted from them.
func CommitStatus(c store.Commit, runID int64) store.SourceStatus {
	st := c.Status
	st.SourceID, st.LastRunID, st.FilesRunID, st.FailedFiles = c.SourceID, runID, runID, c.FailedFiles()
	return st
}

// Started is r as StartRun records it, whatever the caller filled in.
func Started(r store.Run) store.Run {
	r.ID, r.Outcome, r.Generation, r.Repeats = 0, store.Running, 0, 0
	return r
}

// RunColumns are the columns of the runs table, in the order of RunScan.
const RunColumns = `id, source_id, trigger, started_at, finished_at, outcome, revision,
	previous_revision, counts, errors, reason, generation, repeats, reason_code`

// RunInsertColumns are RunColumns without id, in the order of RunArgs.
const RunInsertColumns = `source_id, trigger, started_at, finished_at, outcome,
	revision, previous_revision, counts, errors, reason, generation, repeats, reason_code`

// RunScan receives a row of RunColumns.
type RunScan struct {
	run                          store.Run
	trigger, outcome, reasonCode string
	counts, errs                 []byte
}

// Dest returns the scan destinations of RunColumns, with the two times
// (whose column type differs by dialect).
func (s *RunScan) Dest(started, finished any) []any {
	r := &s.run
	return []any{&r.ID, &r.SourceID, &s.trigger, started, finished, &s.outcome, &r.Revision,
		&r.PreviousRevision, &s.counts, &s.errs, &r.Reason, &r.Generation, &r.Repeats, &s.reasonCode}
}

// Run decodes the scanned row; Errors is never nil, so it is served as [].
// A row with a reason and no code (written by an engine older than
// migration 00005, which keeps running against it) reads as
// store.ReasonUnknown, but as store.ReasonAbandoned when such an engine
// closed it as abandoned: its outcome says so.
func (s *RunScan) Run(started, finished time.Time) (store.Run, error) {
	r := s.run
	r.Trigger, r.Outcome, r.ReasonCode = store.Trigger(s.trigger), store.Outcome(s.outcome), store.ReasonCode(s.reasonCode)
	switch {
	case r.ReasonCode != "":
	case r.Outcome == store.Abandoned:
		r.ReasonCode = store.ReasonAbandoned
	case r.Reason != "":
		r.ReasonCode = store.ReasonUnknown
	}
	r.StartedAt, r.FinishedAt = started, finished
	if err := json.Unmarshal(s.counts, &r.Counts); err != nil {
		return r, fmt.Errorf("run %d counts: %w", r.ID, err)
	}
	if err := json.Unmarshal(s.errs, &r.Errors); err != nil {
		return r, fmt.Errorf("run %d errors: %w", r.ID, err)
	}
	if r.Errors == nil {
		r.Errors = []store.FileError{}
	}
	return r, nil
}

// RunArgs returns r's values in RunInsertColumns order, counts and errors
// as JSON text (nil errors as []), and its times as given.
func RunArgs(r store.Run, started, finished any) ([]any, error) {
	errs := r.Errors
	if errs == nil {
		errs = []store.FileError{}
	}
	countsJSON, err := json.Marshal(r.Counts)
	if err != nil {
		return nil, err
	}
	errsJSON, err := json.Marshal(errs)
	if err != nil {
		return nil, err
	}
	return []any{r.SourceID, string(r.Trigger), started, finished, string(r.Outcome),
		r.Revision, r.PreviousRevision, string(countsJSON), string(errsJSON), r.Reason, r.Generation, r.Repeats,
		string(r.ReasonCode)}, nil
}

// PreviousColumns are the columns of the runs table Previous.Dest reads.
const PreviousColumns = `id, outcome, revision, trigger, repeats`

// Previous is a source's newest finished run before the one finishing,
// which FinishRun may fold into it.
type Previous struct {
	// ID is the row to delete when Fold folds.
	ID       int64
	outcome  string
	revision string
	trigger  string
	repeats  int
}

// Dest returns the scan destinations of PreviousColumns.
func (p *Previous) Dest() []any {
	return []any{&p.ID, &p.outcome, &p.revision, &p.trigger, &p.repeats}
}

// Fold reports whether r repeats p (both unchanged at the same revision,
// started the same way), and if so returns r with one more repeat than
// p, so that repeated idle runs are one row of history. r keeps its own
// start: the row's duration is that of one run, not the span of all, and
// a manual run is never hidden among scheduled ones.
func (p *Previous) Fold(r store.Run) (store.Run, bool) {
	if r.Outcome != store.Unchanged || p.outcome != string(store.Unchanged) || p.revision != r.Revision || p.trigger != string(r.Trigger) {
		return r, false
	}
	r.Repeats = p.repeats + 1
	return r, true
}

// RunsQuery returns the query of Store.Runs, with $n placeholders, and its
// arguments. limit <= 0 means no limit.
func RunsQuery(sourceID string, before int64, limit int) (string, []any) {
	query := `SELECT ` + RunColumns + ` FROM runs WHERE true`
	var args []any
	if sourceID != "" {
		args = append(args, sourceID)
		query += ` AND source_id = ` + Dollar(len(args))
	}
	if before > 0 {
		args = append(args, before)
		query += ` AND id < ` + Dollar(len(args))
	}
	query += ` ORDER BY id DESC`
	if limit > 0 {
		args = append(args, limit)
		query += ` LIMIT ` + Dollar(len(args))
	}
	return query, args
}

// Dollar is the nth placeholder, as PostgreSQL writes it (sqlstore
// rebinds it for SQLite).
func Dollar(n int) string { return "$" + strconv.Itoa(n) }
