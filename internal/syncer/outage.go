package syncer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/store"
)

// A store outage: runs that end while the database is unavailable are kept
// in memory, counted, served by the status API, and written once it is
// back; run reasons name the kind of store failure, never the database's
// own error text.

// outage records a run that could not start because the store is
// unavailable: it is kept in memory, served by the status API and
// written when the store is back, and it counts toward backoff.
func (s *Syncer) outage(st *sourceState, req request, started time.Time, err error, log *slog.Logger) (store.Run, time.Duration) {
	if req.runID != 0 {
		log = log.With("run", req.runID)
	}
	st.runMu.Lock()
	if req.runID != 0 && st.pending == req.runID {
		st.pending = 0
	}
	st.runMu.Unlock()
	code, kind := storeErrorKind(err)
	run := store.Run{ID: req.runID, SourceID: st.cfg.Source.ID(), Trigger: req.trigger, StartedAt: started,
		FinishedAt: s.opts.Now(), Outcome: store.Failed, Reason: "store unavailable: " + kind, ReasonCode: code}
	failures := s.unrecorded(st, run, err, log)
	wait := s.nextWait(st, failures)
	s.opts.Metrics.observe(run)
	log.Error("sync failed: the store is unavailable", "error", err, "trigger", req.trigger,
		"consecutive_unrecorded_failures", failures, "retry_in", wait.Round(time.Second).String())
	return run, wait
}

// unrecorded keeps a finished run that the store could not record, and
// returns how many such runs the source has now.
func (s *Syncer) unrecorded(st *sourceState, run store.Run, err error, log *slog.Logger) int {
	log.Error("cannot record sync run; keeping it in memory until the store is back", "error", err, "outcome", run.Outcome)
	st.runMu.Lock()
	defer st.runMu.Unlock()
	if len(st.unrecorded) == maxUnrecorded {
		st.unrecorded = slices.Delete(st.unrecorded, 0, 1)
	}
	st.unrecorded = append(st.unrecorded, run)
	return len(st.unrecorded)
}

// recordOutage writes the runs that ended while the store was
// unavailable, oldest first, counting the failed ones as failures of the
// source; it stops at the first that cannot be written.
func (r *runner) recordOutage() error {
	st := r.st
	st.runMu.Lock()
	pending := slices.Clone(st.unrecorded)
	st.runMu.Unlock()
	for _, run := range pending {
		status := r.status
		status.LastAttemptAt = run.StartedAt
		if run.Outcome == store.Failed {
			status.ConsecutiveFailures++
		} else {
			// An unchanged run whose record failed was still a success.
			status.ConsecutiveFailures = 0
			status.LastSuccessAt, status.LastSuccessRevision = run.FinishedAt, run.Revision
		}
		if err := r.s.opts.Store.FinishRun(r.ctx, run, status); err != nil {
			return err
		}
		r.status = status
		st.runMu.Lock()
		st.unrecorded = st.unrecorded[1:]
		st.runMu.Unlock()
	}
	if len(pending) > 0 {
		r.log.Info("recorded the runs that ended while the store was unavailable", "runs", len(pending))
	}
	return nil
}

// storeFailure is the failure of a step whose store call failed. Its
// reason, which the status API serves to every reader, says what kind
// of failure it is: the database's own error, which can name its host,
// user and database, goes to the log only.
func (r *runner) storeFailure(what string, err error) *failure {
	r.log.Error(what, "error", err)
	code, kind := storeErrorKind(err)
	return &failure{code: causeOf(r.ctx, code), reason: what + ": " + kind, transient: true}
}

// storeErrorKind says what kind of store failure err is, as a reason code
// and in words, without its details.
func storeErrorKind(err error) (store.ReasonCode, string) {
	var conflict *store.ConflictError
	var spool *mapping.SpoolError
	switch {
	case errors.As(err, &spool):
		// The spool's error names TMPDIR and the system's error, not
		// the database.
		return store.ReasonSpoolFailed, spool.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return store.ReasonTimeout, "timed out (the run's timeout, centralConfig.sources[].schedule.timeout)"
	case errors.Is(err, context.Canceled):
		return store.ReasonCanceled, "cancelled (the engine is stopping)"
	case errors.As(err, &conflict):
		return store.ReasonSourceConflict, conflict.Error() + ", again and again; the next run retries"
	default:
		return store.ReasonStoreUnavailable, "the database did not answer or refused the request (the engine's log has its error)"
	}
}
