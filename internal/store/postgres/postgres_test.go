package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/migrations"
	"github.com/central-config/central-config/internal/store/pgtest"
	"github.com/central-config/central-config/internal/store/postgres"
	"github.com/central-config/central-config/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string { return pgtest.Start(t).URL("store") },
		func(t *testing.T, url string) store.Store { return open(t, url) })
}

// Two stores on one database are two engine replicas.
func TestTryLockAcrossStores(t *testing.T) {
	url := pgtest.Start(t).URL("locks")
	s1, s2 := open(t, url), open(t, url)
	defer func() { _ = s2.Close() }()
	try := func(s *postgres.Store, source string) (func(), bool) {
		t.Helper()
		unlock, ok, err := s.TryLock(t.Context(), source)
		if err != nil {
			t.Fatal(err)
		}
		return unlock, ok
	}

	unlock, ok := try(s1, "x")
	if !ok {
		t.Fatal("s1 TryLock(x) refused")
	}
	if _, ok := try(s2, "x"); ok {
		t.Fatal("s2 TryLock(x) granted while s1 holds it")
	}
	unlockY, ok := try(s2, "y")
	if !ok {
		t.Fatal("s2 TryLock(y) refused")
	}
	unlockY()
	unlock()
	unlockX, ok := try(s2, "x")
	if !ok {
		t.Fatal("s2 TryLock(x) refused after s1 unlocked")
	}
	if _, ok := try(s1, "x"); ok {
		t.Fatal("s1 TryLock(x) granted while s2 holds it")
	}
	unlockX()

	// Closing the holder's store releases its locks.
	if _, ok := try(s1, "w"); !ok {
		t.Fatal("s1 TryLock(w) refused")
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	unlockW, ok := try(s2, "w")
	if !ok {
		t.Error("s2 TryLock(w) refused after s1 was closed")
	} else {
		unlockW()
	}

	// A replica that dies loses its lock with its connection: terminate
	// the session holding the only advisory lock of the database.
	s3 := open(t, url)
	defer func() { _ = s3.Close() }()
	unlockZ, ok := try(s3, "z")
	if !ok {
		t.Fatal("s3 TryLock(z) refused")
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(t.Context())) }()
	var terminated int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
		FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&terminated); err != nil {
		t.Fatal(err)
	}
	if terminated != 1 {
		t.Fatalf("terminated %d sessions holding advisory locks; want 1", terminated)
	}
	if _, ok := try(s2, "z"); !ok {
		t.Error("s2 TryLock(z) refused after the holder's connection died")
	}
	unlockZ() // on a dead connection: must not hang or panic
	if err := s3.Ping(t.Context()); err != nil {
		t.Errorf("Ping after losing a lock connection: %v", err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	url := pgtest.Start(t).URL("too_new")
	s := open(t, url)
	defer func() { _ = s.Close() }()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	storetest.SchemaTooNew(t, s, db, migrations.Latest(migrations.Postgres), func() (store.Store, error) {
		return postgres.Open(t.Context(), url)
	})
}

func BenchmarkCommit100k(b *testing.B) {
	storetest.BenchCommit(b, func(b *testing.B) store.Store {
		return open(b, pgtest.Start(b).URL("bench"))
	}, 100_000)
}

// A commit whose load fails half-way, on the connection that then serves
// the next commit (the only one), leaves its staging tables as they were
// before it: that commit finds them empty and writes what it should.
func TestStagingAfterAFailedCommit(t *testing.T) {
	s := open(t, pgtest.Start(t).URL("staging")+"&pool_max_conns=1")
	defer func() { _ = s.Close() }()
	const n = 600 // loaded by COPY
	commit := func(h string, body func(i int) ([]byte, error)) error {
		c := store.Commit{SourceID: "src", Body: body,
			Run: store.Run{Outcome: store.Succeeded, Trigger: store.TriggerSchedule, Errors: []store.FileError{}}}
		for i := range n {
			k := fmt.Sprintf("component:default/e%04d", i)
			c.Upserts = append(c.Upserts, store.Entity{Key: k, Ref: k, File: "f.yaml", Hash: h})
			c.Files = append(c.Files, store.File{Path: fmt.Sprintf("f%04d.yaml", i), Hash: h})
		}
		_, err := s.Commit(t.Context(), c)
		return err
	}
	json := func(h string) func(int) ([]byte, error) {
		return func(int) ([]byte, error) { return []byte(`{"h":"` + h + `"}`), nil }
	}
	if err := commit("1", json("1")); err != nil {
		t.Fatal(err)
	}
	// The files are staged and upserted, then an entity's body fails.
	broken := errors.New("spool gone")
	if err := commit("2", func(i int) ([]byte, error) {
		if i == n/2 {
			return nil, broken
		}
		return json("2")(i)
	}); !errors.Is(err, broken) {
		t.Fatalf("Commit with an unreadable body = %v; want its error", err)
	}
	if err := commit("3", json("3")); err != nil {
		t.Fatal(err)
	}
	es, err := s.SourceEntities(t.Context(), "src")
	if err != nil || len(es) != n {
		t.Fatalf("SourceEntities = %d entities, %v; want %d", len(es), err, n)
	}
	fs, err := s.Files(t.Context(), "src")
	if err != nil || len(fs) != n {
		t.Fatalf("Files = %d files, %v; want %d", len(fs), err, n)
	}
	for i := range n {
		if es[i].Hash != "3" || string(es[i].Body) != `{"h":"3"}` || fs[i].Hash != "3" {
			t.Fatalf("entity %s %s %s, file %s %s after the third commit; want hash 3", es[i].Key, es[i].Hash, es[i].Body, fs[i].Path, fs[i].Hash)
		}
	}
}
