package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
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
	dir := t.TempDir()
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	storetest.Run(t, func(t *testing.T) store.Store {
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(dir, fmt.Sprintf("store%d.db", len(paths)))
			paths[t] = path
		}
		mu.Unlock()
		return open(t, path)
	})
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	defer func() { _ = s.Close() }()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
		t.Fatal(err)
	}
	// Migration 99 says engines before it misread its schema.
	if _, err := db.Exec(`UPDATE schema_compatibility SET compatible_from = 99`); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("database schema is at version 99, this central-config knows up to %d: upgrade central-config",
		migrations.Latest(migrations.SQLite))
	if err := s.Ping(t.Context()); err == nil || err.Error() != want {
		t.Errorf("Ping = %v; want %q", err, want)
	}
	if s2, err := sqlite.Open(t.Context(), path); err == nil || err.Error() != want {
		if s2 != nil {
			_ = s2.Close()
		}
		t.Errorf("Open = %v; want %q", err, want)
	}
}

func TestPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	defer func() { _ = s.Close() }()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func BenchmarkCommit100k(b *testing.B) {
	storetest.BenchCommit(b, func(b *testing.B) store.Store {
		return open(b, filepath.Join(b.TempDir(), "bench.db"))
	}, 100_000)
}
