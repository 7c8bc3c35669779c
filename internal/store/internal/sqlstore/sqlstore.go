// Package sqlstore is the store.Store logic the SQL stores share, over
// database/sql: every query is written once, with $n placeholders, and a
// Dialect says the little that differs (its placeholders, how it keeps
// times, row locks, snapshot reads, and how it writes many rows at once).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/internal/sqlrow"
)

// Dialect is what differs between the SQL databases.
type Dialect struct {
	// Name prefixes commit errors ("postgres", "sqlite").
	Name string
	// Rebind turns a query written with $n placeholders into the
	// dialect's; nil keeps it.
	Rebind func(query string) string
	// Time is a time as the dialect's column keeps it; the zero time is
	// NULL.
	Time func(time.Time) any
	// LockRows ends a SELECT of rows its transaction then changes, so
	// that two writers do not both read them (empty when the database
	// serialises writers anyway).
	LockRows string
	// Snapshot are the options of a read-only transaction that reads one
	// snapshot (Changes).
	Snapshot *sql.TxOptions
	// InBatch is how many keys one IN list holds.
	InBatch int
	// Replace writes rows (the bulk write of a commit).
	Replace func(ctx context.Context, tx Tx, rows Rows) error
}

// Tx is a write transaction and the connection it runs on (which a
// dialect's Replace may use directly, for COPY).
type Tx struct {
	*sql.Tx
	Conn *sql.Conn
	d    *Dialect
}

// Rows are rows of one source for Dialect.Replace to write, replacing those
// of the same key: each row is Columns' values, the first of which is the
// key column; source_id is SourceID in every row.
type Rows struct {
	Table    string
	SourceID string
	Columns  []string
	N        int
	// Values are the values of row i, in Columns order; a dialect calls it
	// once per row, in order, so that it may read a body as it goes.
	Values func(i int) ([]any, error)
}

// Upsert is the statement that writes n rows of rows, replacing the rows
// of the same keys; param(i) is the dialect's ith placeholder. Its
// arguments are each row's source and values in turn.
func Upsert(rows Rows, n int, param func(i int) string) string {
	groups := make([]string, n)
	values := make([]string, len(rows.Columns)+1)
	for g := range groups {
		for c := range values {
			values[c] = param(g*len(values) + c + 1)
		}
		groups[g] = "(" + strings.Join(values, ", ") + ")"
	}
	return `INSERT INTO ` + rows.Table + ` (source_id, ` + strings.Join(rows.Columns, ", ") + `) VALUES ` +
		strings.Join(groups, ", ") + ` ` + OnConflict(rows)
}

// OnConflict ends an INSERT of rows: a row of the same key is replaced.
func OnConflict(rows Rows) string {
	set := make([]string, 0, len(rows.Columns)-1)
	for _, c := range rows.Columns[1:] {
		set = append(set, c+" = excluded."+c)
	}
	return `ON CONFLICT (source_id, ` + rows.Columns[0] + `) DO UPDATE SET ` + strings.Join(set, ", ")
}

// DB is the shared store over a dialect's databases: write for
// transactions that write, read for the others (the same for PostgreSQL;
// SQLite's read-only pool beside its one writer).
type DB struct {
	write, read *sql.DB
	d           Dialect
}

// New returns the shared store on write and read with dialect d.
func New(write, read *sql.DB, d Dialect) *DB {
	if d.Rebind == nil {
		d.Rebind = func(q string) string { return q }
	}
	return &DB{write: write, read: read, d: d}
}

// q is query in the dialect.
func (d *Dialect) q(query string) string { return d.Rebind(query) }

// exec runs a statement of the shared text in the dialect.
func (tx Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(ctx, tx.d.q(query), args...)
}

// inTx runs fn in a write transaction on one connection.
func (db *DB) inTx(ctx context.Context, fn func(tx Tx) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(Tx{Tx: sqlTx, Conn: conn, d: &db.d}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	return sqlTx.Commit()
}

// nullTime scans a time column of either dialect (a timestamp, or
// microseconds since the epoch) into t; NULL is the zero time.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*n.t = time.Time{}
	case time.Time:
		*n.t = v.UTC()
	case int64:
		*n.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

// collect reads every row of a query with scan.
func collect[T any](rows *sql.Rows, err error, scan func(sqlrow.Scanner) (T, error)) ([]T, error) {
	out := []T{}
	err = each(rows, err, scan, func(v T) error { out = append(out, v); return nil })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// each calls fn for every row of a query as it is read.
func each[T any](rows *sql.Rows, err error, scan func(sqlrow.Scanner) (T, error), fn func(T) error) error {
	if err != nil {
		return err
	}
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

func scanStatus(row sqlrow.Scanner) (store.SourceStatus, error) {
	var st store.SourceStatus
	err := row.Scan(sqlrow.StatusDest(&st, nullTime{&st.LastAttemptAt}, nullTime{&st.LastSuccessAt}, nullTime{&st.NextDueAt})...)
	return st, err
}

// Status implements store.Store.
func (db *DB) Status(ctx context.Context, sourceID string) (store.SourceStatus, error) {
	st, err := scanStatus(db.read.QueryRowContext(ctx,
		db.d.q(`SELECT `+sqlrow.StatusColumns+` FROM sources WHERE source_id = $1`), sourceID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.SourceStatus{}, fmt.Errorf("source %q: %w", sourceID, store.ErrNotFound)
	}
	return st, err
}

// Statuses implements store.Store.
func (db *DB) Statuses(ctx context.Context) ([]store.SourceStatus, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+sqlrow.StatusColumns+` FROM sources ORDER BY source_id`)
	return collect(rows, err, scanStatus)
}

// Files implements store.Store.
func (db *DB) Files(ctx context.Context, sourceID string) ([]store.File, error) {
	rows, err := db.read.QueryContext(ctx,
		db.d.q(`SELECT `+sqlrow.FileColumns+` FROM files WHERE source_id = $1 ORDER BY path`), sourceID)
	return collect(rows, err, sqlrow.ScanFile)
}

// SourceEntities implements store.Store.
func (db *DB) SourceEntities(ctx context.Context, sourceID string) ([]store.Entity, error) {
	rows, err := db.read.QueryContext(ctx,
		db.d.q(`SELECT `+sqlrow.EntityColumns+` FROM entities WHERE source_id = $1 ORDER BY key`), sourceID)
	return collect(rows, err, sqlrow.ScanEntity)
}

// queryer is a database or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// inLists calls fn with keys in batches of d.InBatch: the placeholders of
// an IN list ($2 on: $1 is the source) and the arguments, source first.
func (d *Dialect) inLists(sourceID string, keys []string, fn func(list string, args []any) error) error {
	for len(keys) > 0 {
		batch := keys[:min(len(keys), d.InBatch)]
		keys = keys[len(batch):]
		args := make([]any, 0, len(batch)+1)
		args = append(args, sourceID)
		var list strings.Builder
		for i, k := range batch {
			if i > 0 {
				list.WriteString(", ")
			}
			list.WriteString(sqlrow.Dollar(i + 2))
			args = append(args, k)
		}
		if err := fn(list.String(), args); err != nil {
			return err
		}
	}
	return nil
}

// Owners implements store.Store.
func (db *DB) Owners(ctx context.Context, sourceID string, keys []string) (map[string]string, error) {
	return db.d.owners(ctx, db.read, sourceID, keys)
}

func (d *Dialect) owners(ctx context.Context, q queryer, sourceID string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	// Keys of more than one list (a source's first sync) are looked up
	// only when another source publishes any entity, which two probes of
	// the primary key tell: one source alone, the usual case, costs no
	// look-up of its 100k keys. (A source that publishes after this is
	// found by the commit, which checks its claims in its transaction.)
	if len(keys) > d.InBatch {
		rows, err := q.QueryContext(ctx, d.q(`SELECT EXISTS (SELECT 1 FROM entities WHERE source_id < $1)
			OR EXISTS (SELECT 1 FROM entities WHERE source_id > $1)`), sourceID)
		others, err := collect(rows, err, func(row sqlrow.Scanner) (bool, error) {
			var b bool
			return b, row.Scan(&b)
		})
		if err != nil {
			return nil, err
		}
		if len(others) == 1 && !others[0] {
			return out, nil
		}
	}
	err := d.inLists(sourceID, keys, func(list string, args []any) error {
		rows, err := q.QueryContext(ctx, d.q(`SELECT key, MIN(source_id) FROM entities
			WHERE source_id <> $1 AND key IN (`+list+`) GROUP BY key`), args...)
		return each(rows, err, func(row sqlrow.Scanner) ([2]string, error) {
			var ko [2]string
			return ko, row.Scan(&ko[0], &ko[1])
		}, func(ko [2]string) error { out[ko[0]] = ko[1]; return nil })
	})
	return out, err
}

// deleteKeys deletes the source's rows of table whose column col is one
// of keys.
func (tx Tx) deleteKeys(ctx context.Context, table, col, sourceID string, keys []string) error {
	return tx.d.inLists(sourceID, keys, func(list string, args []any) error {
		_, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE source_id = $1 AND `+col+` IN (`+list+`)`, args...)
		return err
	})
}

// Commit implements store.Store. Every commit (and Prune) first updates the
// one meta row, so commits are serialised and generations are handed out
// in commit order: a reader never sees generation N+1 without N.
func (db *DB) Commit(ctx context.Context, c store.Commit) (int64, error) {
	if err := sqlrow.CheckCommit(c); err != nil {
		return 0, err
	}
	var gen int64
	err := db.inTx(ctx, func(tx Tx) error {
		if err := tx.QueryRowContext(ctx,
			db.d.q(`UPDATE meta SET generation = generation + $1 RETURNING generation`), sqlrow.Bump(c)).Scan(&gen); err != nil {
			return err
		}
		// The meta row's lock orders commits: what earlier commits
		// published is visible here.
		taken, err := db.d.owners(ctx, tx, c.SourceID, c.Claims)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return &store.ConflictError{Owners: taken}
		}
		runID, err := tx.saveRun(ctx, sqlrow.CommitRun(c, gen))
		if err != nil {
			return err
		}
		if err := tx.saveStatus(ctx, sqlrow.CommitStatus(c, runID), true); err != nil {
			return err
		}
		if err := tx.replaceFiles(ctx, c.SourceID, c.Files); err != nil {
			return err
		}
		if err := tx.removeEntities(ctx, c.SourceID, c.Removals, gen); err != nil {
			return err
		}
		if err := tx.upsertEntities(ctx, c, gen); err != nil {
			return err
		}
		if c.Now == nil {
			return nil
		}
		// The run ends once its data is written; only the transaction's
		// own commit comes after.
		run, st := store.Finished(c.Run, c.Status, c.Now())
		if _, err := tx.exec(ctx, `UPDATE runs SET finished_at = $2 WHERE id = $1`, runID, tx.d.Time(run.FinishedAt)); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE sources SET last_success_at = $2, next_due_at = $3 WHERE source_id = $1`,
			c.SourceID, tx.d.Time(st.LastSuccessAt), tx.d.Time(st.NextDueAt))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: commit %s: %w", db.d.Name, c.SourceID, err)
	}
	return gen, nil
}

// replaceFiles makes files the source's file states, writing only the
// rows that differ (sqlrow.FileChanges).
func (tx Tx) replaceFiles(ctx context.Context, sourceID string, files []store.File) error {
	rows, err := tx.QueryContext(ctx, tx.d.q(`SELECT `+sqlrow.FileColumns+` FROM files WHERE source_id = $1`), sourceID)
	var changed []store.File
	var gone []string
	if slices.IsSortedFunc(files, func(a, b store.File) int { return strings.Compare(a.Path, b.Path) }) {
		// Each stored row is looked up in files as it is read: nothing
		// is held but the rows that differ (sqlrow.FileChanges's result,
		// without a copy of every row and a map of them).
		same := make([]bool, len(files))
		err = each(rows, err, sqlrow.ScanFile, func(o store.File) error {
			i, found := slices.BinarySearchFunc(files, o.Path, func(f store.File, p string) int { return strings.Compare(f.Path, p) })
			switch {
			case !found:
				gone = append(gone, o.Path)
			case files[i] == o:
				same[i] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, f := range files {
			if !same[i] {
				changed = append(changed, f)
			}
		}
		slices.Sort(gone)
	} else {
		old, err := collect(rows, err, sqlrow.ScanFile)
		if err != nil {
			return err
		}
		changed, gone = sqlrow.FileChanges(old, files)
	}
	if err := tx.deleteKeys(ctx, "files", "path", sourceID, gone); err != nil {
		return err
	}
	return tx.d.Replace(ctx, tx, Rows{Table: "files", SourceID: sourceID,
		Columns: []string{"path", "hash", "revision", "failed"}, N: len(changed),
		Values: func(i int) ([]any, error) {
			f := changed[i]
			return []any{f.Path, f.Hash, f.Revision, f.Failed}, nil
		}})
}

// removeEntities deletes the removed entities and leaves their tombstones.
func (tx Tx) removeEntities(ctx context.Context, sourceID string, removals []store.Removal, gen int64) error {
	keys := make([]string, len(removals))
	for i, r := range removals {
		keys[i] = r.Key
	}
	if err := tx.deleteKeys(ctx, "entities", "key", sourceID, keys); err != nil {
		return err
	}
	return tx.d.Replace(ctx, tx, Rows{Table: "removals", SourceID: sourceID,
		Columns: []string{"key", "ref", "generation"}, N: len(removals),
		Values: func(i int) ([]any, error) {
			return []any{removals[i].Key, removals[i].Ref, gen}, nil
		}})
}

// upsertEntities writes entities and drops their tombstones: a re-added
// entity is an upsert for every reader, never a removal.
func (tx Tx) upsertEntities(ctx context.Context, c store.Commit, gen int64) error {
	if len(c.Upserts) == 0 {
		return nil
	}
	err := tx.d.Replace(ctx, tx, Rows{Table: "entities", SourceID: c.SourceID,
		Columns: []string{"key", "ref", "file", "hash", "body", "generation"}, N: len(c.Upserts),
		Values: func(i int) ([]any, error) {
			body, err := sqlrow.Body(c, i)
			e := c.Upserts[i]
			return []any{e.Key, e.Ref, e.File, e.Hash, body, gen}, err
		}})
	if err != nil {
		return err
	}
	// The source's entities at this commit's generation are its upserts.
	_, err = tx.exec(ctx, `DELETE FROM removals WHERE source_id = $1 AND key IN (
		SELECT key FROM entities WHERE source_id = $1 AND generation = $2)`, c.SourceID, gen)
	return err
}

func (tx Tx) saveStatus(ctx context.Context, st store.SourceStatus, commit bool) error {
	_, err := tx.exec(ctx, `INSERT INTO sources (`+sqlrow.StatusColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) `+sqlrow.StatusUpsert(commit),
		sqlrow.StatusArgs(st, tx.d.Time(st.LastAttemptAt), tx.d.Time(st.LastSuccessAt), tx.d.Time(st.NextDueAt))...)
	return err
}

func scanRun(row sqlrow.Scanner) (store.Run, error) {
	var rs sqlrow.RunScan
	var started, finished time.Time
	if err := row.Scan(rs.Dest(nullTime{&started}, nullTime{&finished})...); err != nil {
		return store.Run{}, err
	}
	return rs.Run(started, finished)
}

// saveRun updates the run r.ID (started by StartRun) or, when it is 0,
// inserts r, and returns the run's id.
func (tx Tx) saveRun(ctx context.Context, r store.Run) (int64, error) {
	args, err := sqlrow.RunArgs(r, tx.d.Time(r.StartedAt), tx.d.Time(r.FinishedAt))
	if err != nil {
		return 0, err
	}
	if r.ID == 0 {
		var id int64
		err := tx.QueryRowContext(ctx, tx.d.q(`INSERT INTO runs (`+sqlrow.RunInsertColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`), args...).Scan(&id)
		return id, err
	}
	res, err := tx.exec(ctx, `UPDATE runs SET trigger = $2, started_at = $3, finished_at = $4,
		outcome = $5, revision = $6, previous_revision = $7, counts = $8, errors = $9, reason = $10,
		generation = $11, repeats = $12, reason_code = $13
		WHERE source_id = $1 AND id = $14`, append(args, r.ID)...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, errors.Join(err, fmt.Errorf("run %d of source %q: %w", r.ID, r.SourceID, store.ErrNotFound))
	}
	return r.ID, nil
}

// StartRun implements store.Store.
func (db *DB) StartRun(ctx context.Context, r store.Run) (int64, error) {
	var id int64
	err := db.inTx(ctx, func(tx Tx) error {
		var err error
		id, err = tx.saveRun(ctx, sqlrow.Started(r))
		return err
	})
	return id, err
}

// AbandonRuns implements store.Store.
func (db *DB) AbandonRuns(ctx context.Context, sourceID string, startedBefore time.Time, reason string) (int, error) {
	res, err := db.write.ExecContext(ctx, db.d.q(`UPDATE runs SET outcome = $1, finished_at = $2, reason = $3, reason_code = $7
		WHERE source_id = $4 AND outcome = $5 AND started_at < $6`),
		string(store.Abandoned), db.d.Time(time.Now()), reason, sourceID, string(store.Running), db.d.Time(startedBefore),
		string(store.ReasonAbandoned))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// FinishRun implements store.Store.
func (db *DB) FinishRun(ctx context.Context, r store.Run, st store.SourceStatus) error {
	st.SourceID = r.SourceID
	return db.inTx(ctx, func(tx Tx) error {
		var prev sqlrow.Previous
		err := tx.QueryRowContext(ctx, db.d.q(`SELECT `+sqlrow.PreviousColumns+` FROM runs
			WHERE source_id = $1 AND outcome <> $2 AND id <> $3 ORDER BY id DESC LIMIT 1`+db.d.LockRows),
			r.SourceID, string(store.Running), r.ID).Scan(prev.Dest()...)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if folded, ok := prev.Fold(r); err == nil && ok {
			if _, err := tx.exec(ctx, `DELETE FROM runs WHERE id = $1`, prev.ID); err != nil {
				return err
			}
			r = folded
		}
		if st.LastRunID, err = tx.saveRun(ctx, r); err != nil {
			return err
		}
		return tx.saveStatus(ctx, st, false)
	})
}

// Runs implements store.Store; limit <= 0 means no limit.
func (db *DB) Runs(ctx context.Context, sourceID string, before int64, limit int) ([]store.Run, error) {
	query, args := sqlrow.RunsQuery(sourceID, before, limit)
	rows, err := db.read.QueryContext(ctx, db.d.q(query), args...)
	return collect(rows, err, scanRun)
}

// Run implements store.Store.
func (db *DB) Run(ctx context.Context, id int64) (store.Run, error) {
	r, err := scanRun(db.read.QueryRowContext(ctx, db.d.q(`SELECT `+sqlrow.RunColumns+` FROM runs WHERE id = $1`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Run{}, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	return r, err
}

// Generation implements store.Store.
func (db *DB) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := db.read.QueryRowContext(ctx, `SELECT generation FROM meta`).Scan(&gen)
	return gen, err
}

// Entities implements store.Store; rows are read from the database as fn
// consumes them.
func (db *DB) Entities(ctx context.Context, fn func(store.Entity) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT `+sqlrow.EntityColumns+` FROM entities ORDER BY key, source_id`)
	return each(rows, err, sqlrow.ScanEntity, fn)
}

// Changes implements store.Store. It reads one snapshot, and reports the
// removals before the upserts.
func (db *DB) Changes(ctx context.Context, since int64, upsert func(store.Entity) error, remove func(store.Removal) error) error {
	tx, err := db.read.BeginTx(ctx, db.d.Snapshot)
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
	rows, err := tx.QueryContext(ctx, db.d.q(`SELECT `+sqlrow.RemovalColumns+` FROM removals
		WHERE generation > $1 ORDER BY generation, key, source_id`), since)
	if err := each(rows, err, sqlrow.ScanRemoval, remove); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, db.d.q(`SELECT `+sqlrow.EntityColumns+` FROM entities
		WHERE generation > $1 ORDER BY generation, key, source_id`), since)
	return each(rows, err, sqlrow.ScanEntity, upsert)
}

// Ack implements store.Store; a zero AckedAt is recorded as now.
func (db *DB) Ack(ctx context.Context, a store.Ack) error {
	if a.AckedAt.IsZero() {
		a.AckedAt = time.Now()
	}
	_, err := db.write.ExecContext(ctx, db.d.q(`INSERT INTO acks (consumer, generation, acked_at) VALUES ($1, $2, $3)
		ON CONFLICT (consumer) DO UPDATE SET generation = excluded.generation, acked_at = excluded.acked_at`),
		a.Consumer, a.Generation, db.d.Time(a.AckedAt))
	return err
}

// Acks implements store.Store.
func (db *DB) Acks(ctx context.Context) ([]store.Ack, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT consumer, generation, acked_at FROM acks ORDER BY consumer`)
	return collect(rows, err, func(row sqlrow.Scanner) (store.Ack, error) {
		var a store.Ack
		return a, row.Scan(&a.Consumer, &a.Generation, nullTime{&a.AckedAt})
	})
}

// Prune implements store.Store. Like Commit it takes the meta row first,
// so the two cannot deadlock.
func (db *DB) Prune(ctx context.Context, keepRuns int, keepGenerations int64) error {
	return db.inTx(ctx, func(tx Tx) error {
		var from int64
		if err := tx.QueryRowContext(ctx, db.d.q(`UPDATE meta SET tombstones_from = CASE
			WHEN generation - $1 > tombstones_from THEN generation - $1 ELSE tombstones_from END
			RETURNING tombstones_from`), max(keepGenerations, 0)).Scan(&from); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM removals WHERE generation <= $1`, from); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `DELETE FROM runs WHERE id IN (
			SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY source_id ORDER BY id DESC) AS n FROM runs
			) AS ranked WHERE n > $1)`, max(keepRuns, 0))
		return err
	})
}
