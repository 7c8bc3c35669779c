package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/migrations"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/store/storetest"
)

func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "store.db") },
		func(t *testing.T, path string) store.Store { return open(t, path) })
}

// raw opens path with database/sql alone, beside the store.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	defer func() { _ = s.Close() }()
	storetest.SchemaTooNew(t, s, raw(t, path), migrations.Latest(migrations.SQLite), func() (store.Store, error) {
		return sqlite.Open(t.Context(), path)
	})
}

func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	defer func() { _ = s.Close() }()
	var mode string
	if err := raw(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func BenchmarkCommit100k(b *testing.B) {
	storetest.BenchCommit(b, func(b *testing.B) store.Store {
		return open(b, filepath.Join(b.TempDir(), "bench.db"))
	}, 100_000)
}
