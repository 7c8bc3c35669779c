// Package sqlite is the embedded default store: one SQLite file used by a
// single engine process, in pure Go (modernc.org/sqlite, no cgo) so that
// the binary stays static.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/internal/sqlstore"
	"github.com/central-config/central-config/internal/store/migrations"
)

// Store is the SQLite implementation of store.Store. Writes go through one
// connection, so they are serialised in the process and never meet
// SQLITE_BUSY from each other; reads use a pool of read-only connections,
// which WAL lets run beside the writer.
type Store struct {
	*sqlstore.DB
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
	s := &Store{DB: sqlstore.New(write, read, dialect), write: write, read: read, locked: map[string]bool{}}
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

// dialect is SQLite's: ?n placeholders, times as microseconds since the
// epoch, no row locks (one writer), and a commit's rows written by one
// prepared statement (no round trips to save in an embedded database).
var dialect = sqlstore.Dialect{
	Name:     "sqlite",
	Rebind:   func(q string) string { return strings.ReplaceAll(q, "$", "?") },
	Time:     toDB,
	Snapshot: &sql.TxOptions{ReadOnly: true},
	// Under SQLite's limit of bound parameters.
	InBatch: 500,
	Replace: replace,
}

// replace writes rows with one prepared upsert, executed per row.
func replace(ctx context.Context, tx sqlstore.Tx, rows sqlstore.Rows) error {
	if rows.N == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, sqlstore.Upsert(rows, 1, func(int) string { return "?" }))
	if err != nil {
		return err
	}
	defer func() { _ = stmt.Close() }()
	args := make([]any, 0, len(rows.Columns)+1)
	for i := range rows.N {
		values, err := rows.Values(i)
		if err != nil {
			return err
		}
		args = append(append(args[:0], rows.SourceID), values...)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
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

// toDB maps a time to microseconds since the epoch, and the zero time to
// NULL.
func toDB(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
