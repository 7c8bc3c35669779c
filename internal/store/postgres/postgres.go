// Package postgres is the production store: one PostgreSQL database shared
// by every replica of the engine, whose advisory locks let one replica at a
// time sync a source.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/internal/sqlrow"
	"github.com/central-config/central-config/internal/store/migrations"
)

// defaultMaxConns replaces pgxpool's default of max(4, CPUs) unless the URL
// sets pool_max_conns: every held sync lock keeps a connection, and a
// replica syncing four sources at once must still be able to commit.
const defaultMaxConns = 32

// batchSize bounds how many rows one statement writes, so that a commit of
// any size is a few large statements rather than one per row or one huge
// message.
const batchSize = 5000

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
	// db wraps pool for goose, which speaks database/sql.
	db *sql.DB

	mu     sync.Mutex
	closed bool
	// locks are the held sync locks, each on its own connection; Close
	// releases them, or closing the pool would wait for them forever.
	locks map[*heldLock]struct{}
}

type heldLock struct {
	conn *pgxpool.Conn
	key  int64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or key=value
// string, pgxpool options allowed) and applies the migrations it lacks.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, db: stdlib.OpenDBFromPool(pool), locks: map[*heldLock]struct{}{}}
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
	return migrations.Up(ctx, s.db, migrations.Postgres)
}

// Close releases the held sync locks and the connections. Calling it again
// does nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	held := make([]*heldLock, 0, len(s.locks))
	for l := range s.locks {
		held = append(held, l)
	}
	s.mu.Unlock()
	for _, l := range held {
		s.unlock(l)
	}
	err := s.db.Close()
	s.pool.Close()
	return err
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return err
	}
	return migrations.Check(ctx, s.db, migrations.Postgres)
}

func scanStatus(row pgx.Row) (store.SourceStatus, error) {
	var st store.SourceStatus
	var attempt, success, due *time.Time
	err := row.Scan(sqlrow.StatusDest(&st, &attempt, &success, &due)...)
	st.LastAttemptAt, st.LastSuccessAt, st.NextDueAt = fromDB(attempt), fromDB(success), fromDB(due)
	return st, err
}

// Status implements store.Store.
func (s *Store) Status(ctx context.Context, sourceID string) (store.SourceStatus, error) {
	st, err := scanStatus(s.pool.QueryRow(ctx,
		`SELECT `+sqlrow.StatusColumns+` FROM sources WHERE source_id = $1`, sourceID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SourceStatus{}, fmt.Errorf("source %q: %w", sourceID, store.ErrNotFound)
	}
	return st, err
}

// Statuses implements store.Store.
func (s *Store) Statuses(ctx context.Context) ([]store.SourceStatus, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.StatusColumns+` FROM sources ORDER BY source_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.SourceStatus, error) {
		return scanStatus(row)
	})
}

// Files implements store.Store.
func (s *Store) Files(ctx context.Context, sourceID string) ([]store.File, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+sqlrow.FileColumns+` FROM files WHERE source_id = $1 ORDER BY path`, sourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.File, error) {
		return sqlrow.ScanFile(row)
	})
}

// SourceEntities implements store.Store.
func (s *Store) SourceEntities(ctx context.Context, sourceID string) ([]store.Entity, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+sqlrow.EntityColumns+` FROM entities WHERE source_id = $1 ORDER BY key`, sourceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Entity, error) {
		return sqlrow.ScanEntity(row)
	})
}

// Owners implements store.Store.
func (s *Store) Owners(ctx context.Context, sourceID string, keys []string) (map[string]string, error) {
	return owners(ctx, s.pool, sourceID, keys)
}

func owners(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sourceID string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT key, MIN(source_id) FROM entities WHERE source_id <> $1 AND key = ANY($2) GROUP BY key`, sourceID, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, owner string
		if err := rows.Scan(&key, &owner); err != nil {
			return nil, err
		}
		out[key] = owner
	}
	return out, rows.Err()
}

// Commit implements store.Store. Every commit (and Prune) first updates the
// one meta row, so commits are serialised and generations are handed out
// in commit order: a reader never sees generation N+1 without N.
func (s *Store) Commit(ctx context.Context, c store.Commit) (int64, error) {
	if err := sqlrow.CheckCommit(c); err != nil {
		return 0, err
	}
	var gen int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx,
			`UPDATE meta SET generation = generation + $1 RETURNING generation`, sqlrow.Bump(c)).Scan(&gen); err != nil {
			return err
		}
		// The meta row's lock orders commits: what earlier commits
		// published is visible here.
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
		return 0, fmt.Errorf("postgres: commit %s: %w", c.SourceID, err)
	}
	return gen, nil
}

// replaceFiles makes files the source's file states, writing only the
// rows that differ (sqlrow.FileChanges).
func replaceFiles(ctx context.Context, tx pgx.Tx, sourceID string, files []store.File) error {
	rows, err := tx.Query(ctx, `SELECT `+sqlrow.FileColumns+` FROM files WHERE source_id = $1`, sourceID)
	if err != nil {
		return err
	}
	old, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.File, error) { return sqlrow.ScanFile(row) })
	if err != nil {
		return err
	}
	changed, gone := sqlrow.FileChanges(old, files)
	for chunk := range chunks(gone) {
		if _, err := tx.Exec(ctx, `DELETE FROM files WHERE source_id = $1 AND path = ANY($2::text[])`, sourceID, chunk); err != nil {
			return err
		}
	}
	for chunk := range chunks(changed) {
		paths, hashes, revisions := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk))
		failed := make([]bool, len(chunk))
		for i, f := range chunk {
			paths[i], hashes[i], revisions[i], failed[i] = f.Path, f.Hash, f.Revision, f.Failed
		}
		if _, err := tx.Exec(ctx, `INSERT INTO files (source_id, path, hash, revision, failed)
			SELECT $1, u.path, u.hash, u.revision, u.failed
			FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[]) AS u(path, hash, revision, failed)
			ON CONFLICT (source_id, path) DO UPDATE SET hash = excluded.hash, revision = excluded.revision, failed = excluded.failed`,
			sourceID, paths, hashes, revisions, failed); err != nil {
			return err
		}
	}
	return nil
}

func removeEntities(ctx context.Context, tx pgx.Tx, sourceID string, removals []store.Removal, gen int64) error {
	for chunk := range chunks(removals) {
		keys, refs := make([]string, len(chunk)), make([]string, len(chunk))
		for i, r := range chunk {
			keys[i], refs[i] = r.Key, r.Ref
		}
		if _, err := tx.Exec(ctx,
			`DELETE FROM entities WHERE source_id = $1 AND key = ANY($2::text[])`, sourceID, keys); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO removals (source_id, key, ref, generation)
			SELECT $1, u.key, u.ref, $2 FROM unnest($3::text[], $4::text[]) AS u(key, ref)
			ON CONFLICT (source_id, key) DO UPDATE SET ref = excluded.ref, generation = excluded.generation`,
			sourceID, gen, keys, refs); err != nil {
			return err
		}
	}
	return nil
}

// upsertEntities writes entities with one multi-row statement per batch (arrays
// unnested server-side), and drops their tombstones: a re-added entity is
// an upsert for every reader, never a removal.
func upsertEntities(ctx context.Context, tx pgx.Tx, c store.Commit, gen int64) error {
	sourceID, entities := c.SourceID, c.Upserts
	for start := 0; start < len(entities); start += batchSize {
		chunk := entities[start:min(start+batchSize, len(entities))]
		n := len(chunk)
		keys, refs, files, hashes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		bodies := make([][]byte, n)
		for i, e := range chunk {
			body, err := sqlrow.Body(c, start+i)
			if err != nil {
				return err
			}
			keys[i], refs[i], files[i], hashes[i], bodies[i] = e.Key, e.Ref, e.File, e.Hash, body
		}
		if _, err := tx.Exec(ctx, `INSERT INTO entities (source_id, key, ref, file, hash, body, generation)
			SELECT $1, u.key, u.ref, u.file, u.hash, u.body, $2
			FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::json[]) AS u(key, ref, file, hash, body)
			ON CONFLICT (source_id, key) DO UPDATE SET ref = excluded.ref, file = excluded.file,
				hash = excluded.hash, body = excluded.body, generation = excluded.generation`,
			sourceID, gen, keys, refs, files, hashes, bodies); err != nil {
			return err
		}
	}
	if len(entities) == 0 {
		return nil
	}
	// The source's entities at this commit's generation are its upserts.
	_, err := tx.Exec(ctx, `DELETE FROM removals WHERE source_id = $1 AND key IN (
		SELECT key FROM entities WHERE source_id = $1 AND generation = $2)`, sourceID, gen)
	return err
}

// chunks yields s in slices of at most batchSize.
func chunks[T any](s []T) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			n := min(len(s), batchSize)
			if !yield(s[:n]) {
				return
			}
			s = s[n:]
		}
	}
}

func saveStatus(ctx context.Context, tx pgx.Tx, st store.SourceStatus, commit bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO sources (`+sqlrow.StatusColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) `+sqlrow.StatusUpsert(commit),
		sqlrow.StatusArgs(st, toDB(st.LastAttemptAt), toDB(st.LastSuccessAt), toDB(st.NextDueAt))...)
	return err
}

func scanRun(row pgx.Row) (store.Run, error) {
	var rs sqlrow.RunScan
	var started, finished *time.Time
	if err := row.Scan(rs.Dest(&started, &finished)...); err != nil {
		return store.Run{}, err
	}
	return rs.Run(fromDB(started), fromDB(finished))
}

// saveRun updates the run r.ID (started by StartRun) or, when it is 0,
// inserts r, and returns the run's id.
func saveRun(ctx context.Context, tx pgx.Tx, r store.Run) (int64, error) {
	args, err := sqlrow.RunArgs(r, toDB(r.StartedAt), toDB(r.FinishedAt))
	if err != nil {
		return 0, err
	}
	if r.ID == 0 {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO runs (`+sqlrow.RunInsertColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`, args...).Scan(&id)
		return id, err
	}
	tag, err := tx.Exec(ctx, `UPDATE runs SET trigger = $2, started_at = $3, finished_at = $4,
		outcome = $5, revision = $6, previous_revision = $7, counts = $8, errors = $9, reason = $10,
		generation = $11, repeats = $12, reason_code = $13
		WHERE source_id = $1 AND id = $14`, append(args, r.ID)...)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("run %d of source %q: %w", r.ID, r.SourceID, store.ErrNotFound)
	}
	return r.ID, err
}

// StartRun implements store.Store.
func (s *Store) StartRun(ctx context.Context, r store.Run) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = saveRun(ctx, tx, sqlrow.Started(r))
		return err
	})
	return id, err
}

// AbandonRuns implements store.Store.
func (s *Store) AbandonRuns(ctx context.Context, sourceID string, startedBefore time.Time, reason string) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE runs SET outcome = $1, finished_at = now(), reason = $2, reason_code = $6
		WHERE source_id = $3 AND outcome = $4 AND started_at < $5`,
		string(store.Abandoned), reason, sourceID, string(store.Running), startedBefore, string(store.ReasonAbandoned))
	return int(tag.RowsAffected()), err
}

// FinishRun implements store.Store.
func (s *Store) FinishRun(ctx context.Context, r store.Run, st store.SourceStatus) error {
	st.SourceID = r.SourceID
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var prev sqlrow.Previous
		err := tx.QueryRow(ctx, `SELECT `+sqlrow.PreviousColumns+` FROM runs
			WHERE source_id = $1 AND outcome <> $2 AND id <> $3 ORDER BY id DESC LIMIT 1 FOR UPDATE`,
			r.SourceID, string(store.Running), r.ID).Scan(prev.Dest()...)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if folded, ok := prev.Fold(r); err == nil && ok {
			if _, err := tx.Exec(ctx, `DELETE FROM runs WHERE id = $1`, prev.ID); err != nil {
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
	query, args := sqlrow.RunsQuery(sourceID, before, limit, sqlrow.Dollar)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Run, error) { return scanRun(row) })
}

// Run implements store.Store.
func (s *Store) Run(ctx context.Context, id int64) (store.Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+sqlrow.RunColumns+` FROM runs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Run{}, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	return r, err
}

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := s.pool.QueryRow(ctx, `SELECT generation FROM meta`).Scan(&gen)
	return gen, err
}

// Entities implements store.Store; rows are read from the connection as fn
// consumes them.
func (s *Store) Entities(ctx context.Context, fn func(store.Entity) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.EntityColumns+` FROM entities ORDER BY key, source_id`)
	if err != nil {
		return err
	}
	return each(rows, sqlrow.ScanEntity, fn)
}

// each calls fn for every row as it is read.
func each[T any](rows pgx.Rows, scan func(sqlrow.Scanner) (T, error), fn func(T) error) error {
	defer rows.Close()
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
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var from int64
	if err := tx.QueryRow(ctx, `SELECT tombstones_from FROM meta`).Scan(&from); err != nil {
		return err
	}
	if since < from {
		return store.ErrTooOld
	}
	rows, err := tx.Query(ctx, `SELECT `+sqlrow.RemovalColumns+` FROM removals
		WHERE generation > $1 ORDER BY generation, key, source_id`, since)
	if err != nil {
		return err
	}
	if err := each(rows, sqlrow.ScanRemoval, remove); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT `+sqlrow.EntityColumns+` FROM entities
		WHERE generation > $1 ORDER BY generation, key, source_id`, since)
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
	_, err := s.pool.Exec(ctx, `INSERT INTO acks (consumer, generation, acked_at) VALUES ($1, $2, $3)
		ON CONFLICT (consumer) DO UPDATE SET generation = excluded.generation, acked_at = excluded.acked_at`,
		a.Consumer, a.Generation, a.AckedAt)
	return err
}

// Acks implements store.Store.
func (s *Store) Acks(ctx context.Context) ([]store.Ack, error) {
	rows, err := s.pool.Query(ctx, `SELECT consumer, generation, acked_at FROM acks ORDER BY consumer`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Ack, error) {
		var a store.Ack
		err := row.Scan(&a.Consumer, &a.Generation, &a.AckedAt)
		a.AckedAt = a.AckedAt.UTC()
		return a, err
	})
}

// TryLock implements store.Store with a session advisory lock keyed by a
// hash of the source id, on a connection kept out of the pool until unlock.
func (s *Store) TryLock(ctx context.Context, sourceID string) (func(), bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	l := &heldLock{conn: conn, key: lockKey(sourceID)}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&ok); err != nil || !ok {
		conn.Release()
		return nil, false, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.release(l)
		return nil, false, errors.New("postgres: store closed")
	}
	s.locks[l] = struct{}{}
	s.mu.Unlock()
	return func() { s.unlock(l) }, true, nil
}

// unlock releases l once, whoever calls first: the caller or Close.
func (s *Store) unlock(l *heldLock) {
	s.mu.Lock()
	_, held := s.locks[l]
	delete(s.locks, l)
	s.mu.Unlock()
	if held {
		s.release(l)
	}
}

func (s *Store) release(l *heldLock) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var released bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&released); err != nil || !released {
		// The server drops a closed session's locks; the pool then
		// discards the connection.
		_ = l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
}

// lockKey maps a source id to an advisory lock key; the prefix keeps it
// apart from other users of advisory locks in the same database.
func lockKey(sourceID string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("central-config sync " + sourceID))
	return int64(h.Sum64())
}

// Prune implements store.Store. Like Commit it takes the meta row first,
// so the two cannot deadlock.
func (s *Store) Prune(ctx context.Context, keepRuns int, keepGenerations int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var from int64
		if err := tx.QueryRow(ctx, `UPDATE meta SET tombstones_from = GREATEST(tombstones_from, generation - $1)
			RETURNING tombstones_from`, max(keepGenerations, 0)).Scan(&from); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM removals WHERE generation <= $1`, from); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM runs WHERE id IN (
			SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY source_id ORDER BY id DESC) AS n FROM runs
			) AS ranked WHERE n > $1)`, max(keepRuns, 0))
		return err
	})
}

// toDB maps the zero time to NULL.
func toDB(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromDB(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
