// Package postgres is the production store: one PostgreSQL database shared
// by every replica of the engine, whose advisory locks let one replica at a
// time sync a source.
package postgres

import (
	"cmp"
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
	"github.com/central-config/central-config/internal/store/internal/sqlstore"
	"github.com/central-config/central-config/internal/store/migrations"
)

// defaultMaxConns replaces pgxpool's default of max(4, CPUs) unless the URL
// sets pool_max_conns: every held sync lock keeps a connection, and a
// replica syncing four sources at once must still be able to commit.
const defaultMaxConns = 32

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	*sqlstore.DB
	pool *pgxpool.Pool
	// db wraps pool for database/sql, which sqlstore and goose speak.
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
	db := stdlib.OpenDBFromPool(pool)
	s := &Store{DB: sqlstore.New(db, db, dialect), pool: pool, db: db, locks: map[*heldLock]struct{}{}}
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

// dialect is PostgreSQL's: $n placeholders, timestamptz, FOR UPDATE, a
// repeatable-read snapshot, and a commit's rows loaded with COPY.
var dialect = sqlstore.Dialect{
	Name: "postgres",
	Time: func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	},
	LockRows: " FOR UPDATE",
	Snapshot: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	InBatch:  5000,
	Replace:  replace,
}

// copyFrom is the number of rows from which a commit's write to a table
// goes by COPY.
const copyFrom = 500

// replace writes rows: fewer than copyFrom in one multi-row upsert, which
// is as fast as it gets for a handful; more by COPY (copyStaged).
func replace(ctx context.Context, tx sqlstore.Tx, rows sqlstore.Rows) error {
	if rows.N == 0 {
		return nil
	}
	if rows.N >= copyFrom {
		return copyStaged(ctx, tx, rows)
	}
	args := make([]any, 0, rows.N*(len(rows.Columns)+1))
	for i := range rows.N {
		values, err := rows.Values(i)
		if err != nil {
			return err
		}
		args = append(append(args, rows.SourceID), values...)
	}
	_, err := tx.ExecContext(ctx, sqlstore.Upsert(rows, rows.N, sqlrow.Dollar), args...)
	return err
}

// copyStaged loads rows with COPY (binary), which writes the most rows
// per second and streams: each row's values (a body read from the run's
// spool) are asked for as the server takes them. When the source has no
// rows in the table yet (its first sync), nothing can conflict and they go
// straight in: the check holds to the end of the transaction, as commits
// are serialised by the meta row and only commits write these tables.
// Otherwise they go into a temporary table of the session (created once
// per connection, emptied at every commit) and are upserted from it in one
// statement; the upsert finds conflicts by the unique index, where a
// DELETE of the keys first would plan on the statistics of before a large
// load.
func copyStaged(ctx context.Context, tx sqlstore.Tx, rows sqlstore.Rows) error {
	var published bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM `+rows.Table+` WHERE source_id = $1)`,
		rows.SourceID).Scan(&published); err != nil {
		return err
	}
	if !published {
		return copyRows(ctx, tx, rows.Table, rows)
	}
	stage := "stage_" + rows.Table
	if _, err := tx.ExecContext(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS `+stage+
		` (LIKE `+rows.Table+`) ON COMMIT DELETE ROWS`); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, stage, rows); err != nil {
		return err
	}
	list := "source_id, " + strings.Join(rows.Columns, ", ")
	_, err := tx.ExecContext(ctx, `INSERT INTO `+rows.Table+` (`+list+`) SELECT `+list+` FROM `+stage+` `+sqlstore.OnConflict(rows))
	return err
}

// copyRows loads rows into table with COPY on the transaction's connection.
func copyRows(ctx context.Context, tx sqlstore.Tx, table string, rows sqlstore.Rows) error {
	i := 0
	// valuesErr is what failed the COPY on our side, returned as it is
	// (the server's error only quotes it).
	var valuesErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == rows.N {
			return nil, nil
		}
		values, err := rows.Values(i)
		i++
		valuesErr = err
		return append([]any{rows.SourceID}, values...), err
	})
	err := tx.Conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table},
			append([]string{"source_id"}, rows.Columns...), src)
		return err
	})
	return cmp.Or(valuesErr, err)
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
