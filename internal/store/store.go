// Package store keeps what the engine knows between runs: per source, the
// entities it publishes (with content hashes), the files they came from and
// each file's last good revision, the sync run history, a global generation
// that increases whenever published entities change, tombstones for delta
// reads, and what the Backstage catalog acknowledged. Two implementations
// share one contract and one test suite (storetest): PostgreSQL for
// production and SQLite as the embedded default.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/central-config/central-config/internal/diag"
)

// Outcome is how a sync run ended.
type Outcome string

// The outcomes of a sync run, as the status page and metrics show them.
const (
	// Succeeded: the new revision is published, every file is good.
	Succeeded Outcome = "succeeded"
	// Degraded: the new revision is published, but some files have errors
	// and keep the entities of their last good revision.
	Degraded Outcome = "degraded"
	// Failed: nothing changed (fetch failed, guard refused, store error).
	Failed Outcome = "failed"
	// Unchanged: the source is at the revision already published.
	Unchanged Outcome = "unchanged"
	// Running: the run has started and not finished.
	Running Outcome = "running"
	// Abandoned: the process running it ended (killed, crashed) before
	// it finished; it changed nothing. The next run of the source closes
	// such rows.
	Abandoned Outcome = "abandoned"
)

// ReasonCode says why a run did not publish, in a word a client can match
// on (an alert, a dashboard, the status page); Run.Reason says it in
// words. The set is closed: docs/api.md and the OpenAPI contract list it.
type ReasonCode string

// The reason codes of a run, each with what it means; a run that
// published, or is unchanged or running, has none ("").
const (
	ReasonFetchFailed      ReasonCode = "fetch-failed"      // the source could not be read; retried with backoff
	ReasonGuardRefused     ReasonCode = "guard-refused"     // more removals than the mass-deletion guard allows; needs a human
	ReasonStoreUnavailable ReasonCode = "store-unavailable" // the database did not answer or refused reads or the commit
	ReasonSpoolFailed      ReasonCode = "spool-failed"      // the entity JSON could not be read back from TMPDIR at the commit
	ReasonSourceConflict   ReasonCode = "source-conflict"   // commits refused again and again for entities other sources claim
	ReasonLocked           ReasonCode = "locked"            // another replica holds the lock; a run asked for here is closed
	ReasonTimeout          ReasonCode = "timeout"           // the run's timeout elapsed
	ReasonCanceled         ReasonCode = "canceled"          // the engine stopped during the run
	ReasonAbandoned        ReasonCode = "abandoned"         // the process running it ended; the source's next run closed it
	// ReasonUnknown is a run with a reason but no code: recorded before
	// codes existed (migration 00005 could not tell from its words), or by
	// an older engine during a rolling upgrade.
	ReasonUnknown ReasonCode = "unknown"
)

// ReasonCodes lists every reason code, for documentation and tests.
var ReasonCodes = []ReasonCode{ReasonFetchFailed, ReasonGuardRefused, ReasonStoreUnavailable, ReasonSpoolFailed,
	ReasonSourceConflict, ReasonLocked, ReasonTimeout, ReasonCanceled, ReasonAbandoned, ReasonUnknown}

// Trigger is what started a run.
type Trigger string

// The triggers of a sync run.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerWebhook  Trigger = "webhook"
	TriggerManual   Trigger = "manual"
	TriggerStartup  Trigger = "startup"
)

// FileError is one problem in one file, as stored and served.
type FileError struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// Counts summarise what a run did. Entities and Locations are what the
// source publishes after the run: Location entities (which make the
// Backstage catalog read other places) are counted apart from the others.
// Added, Changed, Removed and Unchanged count both.
type Counts struct {
	Files     int `json:"files"`
	Entities  int `json:"entities"`
	Locations int `json:"locations"`
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
}

// Run is one sync run of one source.
type Run struct {
	ID               int64       `json:"id"`
	SourceID         string      `json:"source"`
	Trigger          Trigger     `json:"trigger"`
	StartedAt        time.Time   `json:"startedAt"`
	FinishedAt       time.Time   `json:"finishedAt"`
	Outcome          Outcome     `json:"outcome"`
	Revision         string      `json:"revision,omitempty"`
	PreviousRevision string      `json:"previousRevision,omitempty"`
	Counts           Counts      `json:"counts"`
	Errors           []FileError `json:"errors"`
	// Reason says why a run failed (fetch error, guard refusal), in words.
	Reason string `json:"reason,omitempty"`
	// ReasonCode says it as a code, "" when Reason is.
	ReasonCode ReasonCode `json:"reasonCode,omitempty"`
	// Generation is the generation this run published, or 0.
	Generation int64 `json:"generation,omitempty"`
	// Repeats counts further identical unchanged runs collapsed into this
	// one, so history stays readable; FinishedAt is the latest of them.
	Repeats int `json:"repeats,omitempty"`
}

// Duration is how long the run took.
func (r Run) Duration() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

// Problems counts the run's file problems of severity error and warning.
func (r Run) Problems() (errors, warnings int) {
	for _, e := range r.Errors {
		switch e.Severity {
		case string(diag.Error):
			errors++
		case string(diag.Warning):
			warnings++
		}
	}
	return errors, warnings
}

// SourceState is the state of a source as clients see it (the status
// page's badge). State derives it, in this one place.
type SourceState string

// The states of a source.
const (
	// StateNever: the source has not run yet.
	StateNever SourceState = "never"
	// StateSyncing: a run is in progress.
	StateSyncing SourceState = "syncing"
	// StateFailed: the last run failed (or, when it was pruned, the
	// source has consecutive failures); the catalog keeps what it had.
	StateFailed SourceState = "failed"
	// StateDegraded: the last run published with file errors, or files
	// still keep their last good entities.
	StateDegraded SourceState = "degraded"
	// StateSynced: the catalog has the source's revision, every file good.
	StateSynced SourceState = "synced"
)

// State ranks what matters most: a run in progress (also a first one,
// before the source has any status), then never synced, then the last
// run's outcome, then file errors that outlive it. st is nil for a
// source that has no status yet; last is its last finished run, nil when
// there is none or it was pruned.
func State(st *SourceStatus, last *Run, running bool) SourceState {
	lastErrors := 0
	if last != nil {
		lastErrors, _ = last.Problems()
	}
	switch {
	case running:
		return StateSyncing
	case st == nil:
		return StateNever
	case last != nil && last.Outcome == Failed:
		return StateFailed
	case last == nil && st.ConsecutiveFailures > 0:
		return StateFailed
	case last != nil && last.Outcome == Degraded, lastErrors > 0, st.FailedFiles > 0:
		return StateDegraded
	default:
		return StateSynced
	}
}

// SourceStatus is what the engine knows about a source, beyond its runs.
type SourceStatus struct {
	SourceID string `json:"source"`
	// Revision is the revision currently published.
	Revision            string    `json:"revision,omitempty"`
	LastAttemptAt       time.Time `json:"lastAttemptAt,omitzero"`
	LastSuccessAt       time.Time `json:"lastSuccessAt,omitzero"`
	LastSuccessRevision string    `json:"lastSuccessRevision,omitempty"`
	ConsecutiveFailures int       `json:"consecutiveFailures"`
	NextDueAt           time.Time `json:"nextDueAt,omitzero"`
	// EntityCount counts the published entities other than Locations;
	// LocationCount the published Locations.
	EntityCount   int   `json:"entityCount"`
	LocationCount int   `json:"locationCount"`
	LastRunID     int64 `json:"lastRunId,omitempty"`
	// FailedFiles counts the files whose newest version has errors, and
	// FilesRunID is the run that wrote the files (the newest commit): its
	// errors are the source's current file problems. Commit sets both
	// from what it writes; other runs keep them. The status page reads
	// them instead of every file and run of the source.
	FailedFiles int   `json:"failedFiles"`
	FilesRunID  int64 `json:"filesRunId,omitempty"`
}

// File is the stored state of one file of a source.
type File struct {
	Path string
	// Hash is the content hash of the file's last good version.
	Hash string
	// Revision is the source revision the last good version was read at.
	Revision string
	// Failed is true when the file's newest version has errors (its
	// entities are then those of Revision).
	Failed bool
}

// Entity is one published entity.
type Entity struct {
	SourceID string
	// Key is the entity ref in lower case, unique per source.
	Key string
	// Ref is the entity ref as Backstage writes it.
	Ref  string
	File string
	// Hash is a hash of Body; equal hashes mean equal entities.
	Hash string
	// Body is the entity as JSON.
	Body []byte
	// Generation is when the entity was last added or changed.
	Generation int64
}

// Removal is an entity removed at a generation (a tombstone), so that a
// delta read can tell Backstage to delete it.
type Removal struct {
	SourceID   string
	Key        string
	Ref        string
	Generation int64
}

// Commit is everything one successful run writes, applied in one
// transaction: entity upserts and removals, file states, the run and the
// source's status. If Upserts or Removals is non-empty the global
// generation increases by one and the new entities, tombstones and the run
// carry it.
type Commit struct {
	SourceID string
	Upserts  []Entity
	Removals []Removal
	// Files replaces the source's file states.
	Files  []File
	Run    Run
	Status SourceStatus
	// Body, when set, gives the JSON of the Upserts without a Body (by
	// index), read as the store writes them, so a large commit does not
	// hold every body in memory at once. An error from it, or no JSON,
	// fails the commit.
	Body func(i int) ([]byte, error)
	// Claims are the keys of Upserts that the source does not publish
	// yet. If another source publishes one of them when the commit is
	// applied, the commit changes nothing and fails with a
	// *ConflictError: an entity is its first publisher's, decided in the
	// commit's transaction so two sources never both win.
	Claims []string
	// Now, when set, is read once the files and entities are written,
	// just before the run and status rows: the run ends then (Finished),
	// so its duration includes the writing and not only the work before
	// it.
	Now func() time.Time
}

// Finished is run and status as they stand when the run ends at end: the
// run's FinishedAt and the status's LastSuccessAt become end, and the
// status's NextDueAt moves by as much as FinishedAt did.
func Finished(run Run, status SourceStatus, end time.Time) (Run, SourceStatus) {
	status.NextDueAt = status.NextDueAt.Add(end.Sub(run.FinishedAt))
	run.FinishedAt, status.LastSuccessAt = end, end
	return run, status
}

// FailedFiles counts the files of c whose newest version has errors.
func (c Commit) FailedFiles() int {
	n := 0
	for _, f := range c.Files {
		if f.Failed {
			n++
		}
	}
	return n
}

// ConflictError is a commit refused because other sources already
// publish keys it claims.
type ConflictError struct {
	// Owners maps each refused key to the source that publishes it.
	Owners map[string]string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%d entities are already published by another source", len(e.Owners))
}

// Ack is what a Backstage catalog reported it applied.
type Ack struct {
	Consumer   string    `json:"consumer"`
	Generation int64     `json:"generation"`
	AckedAt    time.Time `json:"ackedAt"`
}

// ErrTooOld is returned by Changes when tombstones older than the asked
// generation were pruned: the reader needs a full list.
var ErrTooOld = errors.New("generation too old for a delta; read the full list")

// ErrNotFound is returned when a source or run does not exist.
var ErrNotFound = errors.New("not found")

// Store is the engine's state, every role in one: what the constructors
// return. Each user asks for the roles it needs (Reader, Acker, Writer,
// Locker, Pruner, Pinger). Every method is safe for concurrent use.
type Store interface {
	Reader
	Acker
	Writer
	Locker
	Pruner
	Pinger
	// Close releases the store; calling it again does nothing.
	Close() error
}

// Reader is what the HTTP API reads: statuses, runs, entities, changes,
// the generation and the acks.
type Reader interface {
	// Status returns a source's status, or ErrNotFound before its first run.
	Status(ctx context.Context, sourceID string) (SourceStatus, error)
	// Statuses returns the status of every source that has run.
	Statuses(ctx context.Context) ([]SourceStatus, error)
	// Runs returns runs newest first, optionally of one source, with ids
	// below before (0 = from the newest), at most limit (0 = all).
	Runs(ctx context.Context, sourceID string, before int64, limit int) ([]Run, error)
	// Run returns one run.
	Run(ctx context.Context, id int64) (Run, error)

	// Generation returns the current global generation (0 when empty).
	Generation(ctx context.Context) (int64, error)
	// Entities calls fn for every published entity of every source, in key
	// order, streaming: the store does not hold them all in memory.
	Entities(ctx context.Context, fn func(Entity) error) error
	// Changes calls upsert for entities changed after generation since and
	// remove for entities removed after it; ErrTooOld when tombstones of
	// that range were pruned. It reads one snapshot and calls remove for
	// every removal before upsert for any entity, so that a consumer
	// applying them in order keeps an entity that moved between sources.
	Changes(ctx context.Context, since int64, upsert func(Entity) error, remove func(Removal) error) error

	// Acks returns every consumer's last ack.
	Acks(ctx context.Context) ([]Ack, error)
}

// Acker records what a Backstage catalog applied.
type Acker interface {
	// Ack records the generation a catalog applied; a zero AckedAt is
	// recorded as now.
	Ack(ctx context.Context, a Ack) error
}

// Writer is what a sync run reads to plan and what it writes.
type Writer interface {
	// Status returns a source's status, or ErrNotFound before its first run.
	Status(ctx context.Context, sourceID string) (SourceStatus, error)
	// Files returns a source's file states (none before its first run).
	Files(ctx context.Context, sourceID string) ([]File, error)
	// SourceEntities returns the published entities of one source (with
	// bodies), to rebuild the engine's memory after a restart (none before
	// its first run).
	SourceEntities(ctx context.Context, sourceID string) ([]Entity, error)
	// Owners returns, for each of keys that another source than sourceID
	// publishes, that source's id: an entity is the first publisher's,
	// and a later source's copy is refused.
	Owners(ctx context.Context, sourceID string, keys []string) (map[string]string, error)

	// Commit applies a successful run atomically and returns the
	// generation it published (the current one when nothing changed). The
	// run row is c.Run.ID's (from StartRun) when non-zero (ErrNotFound if
	// there is none), else a new one. The store sets the run's Generation
	// (0 when nothing changed) and the status's LastRunID, FilesRunID
	// (this run) and FailedFiles (counted from c.Files).
	Commit(ctx context.Context, c Commit) (generation int64, err error)
	// StartRun records a run as running and returns its id.
	StartRun(ctx context.Context, r Run) (int64, error)
	// FinishRun records the end of a run that changed no entity (failed or
	// unchanged) and the source status (keeping the FailedFiles and
	// FilesRunID the last Commit wrote, whatever s says), updating r.ID's row (from
	// StartRun) or adding one when r.ID is 0. When r is unchanged and the
	// source's previous finished run was unchanged at the same revision,
	// that previous row is deleted and r carries its Repeats+1 (and its
	// StartedAt), so repeated idle runs are one row whose id stays valid.
	// The store sets the status's LastRunID.
	FinishRun(ctx context.Context, r Run, s SourceStatus) error
	// AbandonRuns closes the source's runs still running that started
	// before the given time as Abandoned, with the reason (and the code
	// ReasonAbandoned), and returns how
	// many it closed. The syncer calls it under the source's lock: no
	// other process runs the source then, so such rows belong to a process
	// that died.
	AbandonRuns(ctx context.Context, sourceID string, startedBefore time.Time, reason string) (int, error)
}

// Locker is the per-source sync lock.
type Locker interface {
	// TryLock takes the sync lock of a source for this process if free
	// (a PostgreSQL advisory lock held on a dedicated connection; SQLite is
	// single-process and always grants it, once per source). unlock
	// releases it; calling it again does nothing. If the process dies the
	// lock is released with its connection; Close releases it too.
	TryLock(ctx context.Context, sourceID string) (unlock func(), ok bool, err error)
}

// Pruner bounds the history a store keeps.
type Pruner interface {
	// Prune keeps the newest keepRuns runs per source and tombstones of the
	// newest keepGenerations generations.
	Prune(ctx context.Context, keepRuns int, keepGenerations int64) error
}

// Pinger checks the store can serve.
type Pinger interface {
	// Ping checks the database is reachable and migrations are current.
	Ping(ctx context.Context) error
}
