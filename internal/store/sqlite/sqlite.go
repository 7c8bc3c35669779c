// Package sqlite is the embedded default store: one SQLite file used by a
// single engine process, in pure Go (modernc.org/sqlite, no cgo) so that
// the binary stays static.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/internal/sqlrow"
	"github.com/central-config/central-config/internal/store/migrations"
)

// Store is the SQLite implementation of store.Store. Writes go through one
// connection, so they are serialised in the process and never meet
// SQLITE_BUSY from each other; reads use a pool of read-only connections,
// which WAL lets run beside the writer.
type Store struct {
	write *sql.DB
	read  *sql.DB

	mu sync.Mutex
	// locked holds the sources whose sync lock is taken.
	locked map[string]bool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the database file at path and applies
// the migrations it lacks.
func Open(ctx context.Context, path string) (*Store, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: path %q: must not contain '?'", path)
	}
	const common = "_busy_timeout=10000&_foreign_keys=1"
	write, err := sql.Open("sqlite", path+"?"+common+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", path+"?"+common+"&_query_only=1")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	read.SetMaxIdleConns(4)
	s := &Store{write: write, read: read, locked: map[string]bool{}}
	if err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the migrations the database lacks; Open does it, and the
// migrate command calls it to upgrade a database without starting the
// engine.
func (s *Store) Migrate(ctx context.Context) error {
	return migrations.Up(ctx, s.write, migrations.SQLite)
}

// Close implements store.Store. Calling it again does nothing.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	return migrations.Check(ctx, s.read, migrations.SQLite)
}

// inTx runs fn in a write transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func scanStatus(row sqlrow.Scanner) (store.SourceStatus, error) {
	var st store.SourceStatus
	var attempt, success, due sql.NullInt64
	err := row.Scan(sqlrow.StatusDest(&st, &attempt, &success, &due)...)
	st.LastAttemptAt, st.LastSuccessAt, st.NextDueAt = fromDB(attempt), fromDB(success), fromDB(due)
	return st, err
}

// Status implements store.Store.
func (s *Store) Status(ctx context.Context, sourceID string) (store.SourceStatus, error) {
	st, err := scanStatus(s.read.QueryRowContext(ctx,
		`SELECT `+sqlrow.StatusColumns+` FROM sources WHERE source_id = ?`, sourceID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.SourceStatus{}, fmt.Errorf("source %q: %w", sourceID, store.ErrNotFound)
	}
	return st, err
}

// collect reads every row of a query with scan.
func collect[T any](rows *sql.Rows, err error, scan func(sqlrow.Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Statuses implements store.Store.
func (s *Store) Statuses(ctx context.Context) ([]store.SourceStatus, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqlrow.StatusColumns+` FROM sources ORDER BY source_id`)
	return collect(rows, err, scanStatus)
}

// Files implements store.Store.
func (s *Store) Files(ctx context.Context, sourceID string) ([]store.File, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+sqlrow.FileColumns+` FROM files WHERE source_id = ? ORDER BY path`, sourceID)
	return collect(rows, err, sqlrow.ScanFile)
}

// SourceEntities implements store.Store.
func (s *Store) SourceEntities(ctx context.Context, sourceID string) ([]store.Entity, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+sqlrow.EntityColumns+` FROM entities WHERE source_id = ? ORDER BY key`, sourceID)
	return collect(rows, err, sqlrow.ScanEntity)
}

// Owners implements store.Store.
func (s *Store) Owners(ctx context.Context, sourceID string, keys []string) (map[string]string, error) {
	return owners(ctx, s.read, sourceID, keys)
}

// owners asks in batches, under SQLite's limit of bound parameters.
func owners(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, sourceID string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for batch := range slices.Chunk(keys, 500) {
		args := make([]any, 0, len(batch)+1)
		args = append(args, sourceID)
		for _, k := range batch {
			args = append(args, k)
		}
		rows, err := q.QueryContext(ctx, `SELECT key, MIN(source_id) FROM entities WHERE source_id <> ? AND key IN (?`+
			strings.Repeat(", ?", len(batch)-1)+`) GROUP BY key`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key, owner string
			if err := rows.Scan(&key, &owner); err != nil {
				_ = rows.Close()
				return nil, err
			}
			out[key] = owner
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Commit implements store.Store.
func (s *Store) Commit(ctx context.Context, c store.Commit) (int64, error) {
	if err := sqlrow.CheckCommit(c); err != nil {
		return 0, err
	}
	var gen int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx,
			`UPDATE meta SET generation = generation + ? RETURNING generation`, sqlrow.Bump(c)).Scan(&gen); err != nil {
			return err
		}
		taken, err := owners(ctx, tx, c.SourceID, c.Claims)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return &store.ConflictError{Owners: taken}
		}
		runID, err := saveRun(ctx, tx, sqlrow.CommitRun(c, gen))
		if err != nil {
			return err
		}
		if err := saveStatus(ctx, tx, sqlrow.CommitStatus(c, runID), true); err != nil {
			return err
		}
		if err := replaceFiles(ctx, tx, c.SourceID, c.Files); err != nil {
			return err
		}
		if err := removeEntities(ctx, tx, c.SourceID, c.Removals, gen); err != nil {
			return err
		}
		return upsertEntities(ctx, tx, c, gen)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: commit %s: %w", c.SourceID, err)
	}
	return gen, nil
}

// execEach runs each statement once per item, with the arguments args
// gives for it; the statements are prepared once, which is what makes a
// large commit fast in SQLite (no round trips to save).
func execEach[T any](ctx context.Context, tx *sql.Tx, items []T, args func(int, T) ([][]any, error), queries ...string) error {
	if len(items) == 0 {
		return nil
	}
	stmts := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		stmt, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer func() { _ = stmt.Close() }()
		stmts[i] = stmt
	}
	for n, item := range items {
		all, err := args(n, item)
		if err != nil {
			return err
		}
		for i, a := range all {
			if _, err := stmts[i].ExecContext(ctx, a...); err != nil {
				return err
			}
		}
	}
	return nil
}

// replaceFiles makes files the source's file states, writing only the
// rows that differ (sqlrow.FileChanges).
func replaceFiles(ctx context.Context, tx *sql.Tx, sourceID string, files []store.File) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+sqlrow.FileColumns+` FROM files WHERE source_id = ?`, sourceID)
	old, err := collect(rows, err, sqlrow.ScanFile)
	if err != nil {
		return err
	}
	changed, gone := sqlrow.FileChanges(old, files)
	err = execEach(ctx, tx, gone, func(_ int, path string) ([][]any, error) {
		return [][]any{{sourceID, path}}, nil
	}, `DELETE FROM files WHERE source_id = ? AND path = ?`)
	if err != nil {
		return err
	}
	return execEach(ctx, tx, changed, func(_ int, f store.File) ([][]any, error) {
		return [][]any{{sourceID, f.Path, f.Hash, f.Revision, f.Failed}}, nil
	}, `INSERT INTO files (source_id, path, hash, revision, failed) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source_id, path) DO UPDATE SET hash = excluded.hash, revision = excluded.revision, failed = excluded.failed`)
}

func removeEntities(ctx context.Context, tx *sql.Tx, sourceID string, removals []store.Removal, gen int64) error {
	return execEach(ctx, tx, removals, func(_ int, r store.Removal) ([][]any, error) {
		return [][]any{{sourceID, r.Key}, {sourceID, r.Key, r.Ref, gen}}, nil
	},
		`DELETE FROM entities WHERE source_id = ? AND key = ?`,
		`INSERT INTO removals (source_id, key, ref, generation) VALUES (?, ?, ?, ?)
		ON CONFLICT (source_id, key) DO UPDATE SET ref = excluded.ref, generation = excluded.generation`)
}

// upsertEntities writes entities and drops their tombstones: a re-added
// entity is an upsert for every reader, never a removal.
func upsertEntities(ctx context.Context, tx *sql.Tx, c store.Commit, gen int64) error {
	sourceID, entities := c.SourceID, c.Upserts
	err := execEach(ctx, tx, entities, func(i int, e store.Entity) ([][]any, error) {
		body, err := sqlrow.Body(c, i)
		return [][]any{{sourceID, e.Key, e.Ref, e.File, e.Hash, body, gen}}, err
	}, `INSERT INTO entities (source_id, key, ref, file, hash, body, generation) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source_id, key) DO UPDATE SET ref = excluded.ref, file = excluded.file,
			hash = excluded.hash, body = excluded.body, generation = excluded.generation`)
	if err != nil || len(entities) == 0 {
		return err
	}
	// The source's entities at this commit's generation are its upserts.
	_, err = tx.ExecContext(ctx, `DELETE FROM removals WHERE source_id = ?1 AND key IN (
		SELECT key FROM entities WHERE source_id = ?1 AND generation = ?2)`, sourceID, gen)
	return err
}

func saveStatus(ctx context.Context, tx *sql.Tx, st store.SourceStatus, commit bool) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sources (`+sqlrow.StatusColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) `+sqlrow.StatusUpsert(commit),
		sqlrow.StatusArgs(st, toDB(st.LastAttemptAt), toDB(st.LastSuccessAt), toDB(st.NextDueAt))...)
	return err
}

func scanRun(row sqlrow.Scanner) (store.Run, error) {
	var rs sqlrow.RunScan
	var started, finished sql.NullInt64
	if err := row.Scan(rs.Dest(&started, &finished)...); err != nil {
		return store.Run{}, err
	}
	return rs.Run(fromDB(started), fromDB(finished))
}

// saveRun updates the run r.ID (started by StartRun) or, when it is 0,
// inserts r, and returns the run's id.
func saveRun(ctx context.Context, tx *sql.Tx, r store.Run) (int64, error) {
	args, err := sqlrow.RunArgs(r, toDB(r.StartedAt), toDB(r.FinishedAt))
	if err != nil {
		return 0, err
	}
	if r.ID == 0 {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO runs (`+sqlrow.RunInsertColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&id)
		return id, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE runs SET trigger = ?, started_at = ?, finished_at = ?,
		outcome = ?, revision = ?, previous_revision = ?, counts = ?, errors = ?, reason = ?,
		generation = ?, repeats = ?, reason_code = ?
		WHERE source_id = ? AND id = ?`, append(args[1:], r.SourceID, r.ID)...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, errors.Join(err, fmt.Errorf("run %d of source %q: %w", r.ID, r.SourceID, store.ErrNotFound))
	}
	return r.ID, nil
}

// StartRun implements store.Store.
func (s *Store) StartRun(ctx context.Context, r store.Run) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = saveRun(ctx, tx, sqlrow.Started(r))
		return err
	})
	return id, err
}

// AbandonRuns implements store.Store.
func (s *Store) AbandonRuns(ctx context.Context, sourceID string, startedBefore time.Time, reason string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET outcome = ?, finished_at = ?, reason = ?, reason_code = ?
			WHERE source_id = ? AND outcome = ? AND started_at < ?`,
			string(store.Abandoned), toDB(time.Now()), reason, string(store.ReasonAbandoned), sourceID, string(store.Running), toDB(startedBefore))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// FinishRun implements store.Store.
func (s *Store) FinishRun(ctx context.Context, r store.Run, st store.SourceStatus) error {
	st.SourceID = r.SourceID
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var prev sqlrow.Previous
		err := tx.QueryRowContext(ctx, `SELECT `+sqlrow.PreviousColumns+` FROM runs
			WHERE source_id = ? AND outcome <> ? AND id <> ? ORDER BY id DESC LIMIT 1`,
			r.SourceID, string(store.Running), r.ID).Scan(prev.Dest()...)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if folded, ok := prev.Fold(r); err == nil && ok {
			if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, prev.ID); err != nil {
				return err
			}
			r = folded
		}
		if st.LastRunID, err = saveRun(ctx, tx, r); err != nil {
			return err
		}
		return saveStatus(ctx, tx, st, false)
	})
}

// Runs implements store.Store; limit <= 0 means no limit.
func (s *Store) Runs(ctx context.Context, sourceID string, before int64, limit int) ([]store.Run, error) {
	query, args := sqlrow.RunsQuery(sourceID, before, limit, sqlrow.Question)
	rows, err := s.read.QueryContext(ctx, query, args...)
	return collect(rows, err, scanRun)
}

// Run implements store.Store.
func (s *Store) Run(ctx context.Context, id int64) (store.Run, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx, `SELECT `+sqlrow.RunColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Run{}, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	return r, err
}

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := s.read.QueryRowContext(ctx, `SELECT generation FROM meta`).Scan(&gen)
	return gen, err
}

// Entities implements store.Store; rows are read from the database as fn
// consumes them.
func (s *Store) Entities(ctx context.Context, fn func(store.Entity) error) error {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqlrow.EntityColumns+` FROM entities ORDER BY key, source_id`)
	if err != nil {
		return err
	}
	return each(rows, sqlrow.ScanEntity, fn)
}

// each calls fn for every row as it is read.
func each[T any](rows *sql.Rows, scan func(sqlrow.Scanner) (T, error), fn func(T) error) error {
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Changes implements store.Store. It reads one snapshot, and reports the
// removals before the upserts.
func (s *Store) Changes(ctx context.Context, since int64, upsert func(store.Entity) error, remove func(store.Removal) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var from int64
	if err := tx.QueryRowContext(ctx, `SELECT tombstones_from FROM meta`).Scan(&from); err != nil {
		return err
	}
	if since < from {
		return store.ErrTooOld
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+sqlrow.RemovalColumns+` FROM removals
		WHERE generation > ? ORDER BY generation, key, source_id`, since)
	if err != nil {
		return err
	}
	if err := each(rows, sqlrow.ScanRemoval, remove); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+sqlrow.EntityColumns+` FROM entities
		WHERE generation > ? ORDER BY generation, key, source_id`, since)
	if err != nil {
		return err
	}
	return each(rows, sqlrow.ScanEntity, upsert)
}

// Ack implements store.Store; a zero AckedAt is recorded as now.
func (s *Store) Ack(ctx context.Context, a store.Ack) error {
	if a.AckedAt.IsZero() {
		a.AckedAt = time.Now()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO acks (consumer, generation, acked_at) VALUES (?, ?, ?)
			ON CONFLICT (consumer) DO UPDATE SET generation = excluded.generation, acked_at = excluded.acked_at`,
			a.Consumer, a.Generation, toDB(a.AckedAt))
		return err
	})
}

// Acks implements store.Store.
func (s *Store) Acks(ctx context.Context) ([]store.Ack, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT consumer, generation, acked_at FROM acks ORDER BY consumer`)
	return collect(rows, err, func(row sqlrow.Scanner) (store.Ack, error) {
		var a store.Ack
		var at sql.NullInt64
		err := row.Scan(&a.Consumer, &a.Generation, &at)
		a.AckedAt = fromDB(at)
		return a, err
	})
}

// TryLock implements store.Store: SQLite serves one process, so the lock
// only keeps two goroutines of it from syncing the same source at once.
func (s *Store) TryLock(_ context.Context, sourceID string) (func(), bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[sourceID] {
		return nil, false, nil
	}
	s.locked[sourceID] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.locked, sourceID)
			s.mu.Unlock()
		})
	}, true, nil
}

// Prune implements store.Store.
func (s *Store) Prune(ctx context.Context, keepRuns int, keepGenerations int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id IN (
			SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY source_id ORDER BY id DESC) AS n FROM runs
			) WHERE n > ?)`, max(keepRuns, 0)); err != nil {
			return err
		}
		var from int64
		if err := tx.QueryRowContext(ctx, `UPDATE meta SET tombstones_from = MAX(tombstones_from, generation - ?)
			RETURNING tombstones_from`, max(keepGenerations, 0)).Scan(&from); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM removals WHERE generation <= ?`, from)
		return err
	})
}

// toDB maps a time to microseconds since the epoch, and the zero time to
// NULL.
func toDB(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromDB(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
