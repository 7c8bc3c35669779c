package migrations

import (
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite"

	"github.com/central-config/central-config/internal/store/internal/sqlrow"
	"github.com/central-config/central-config/internal/store/pgtest"
)

// TestStatusFilesBackfill upgrades a database written by version 2 (no
// per-source file counts) and checks that migration 3 fills them from the
// files and runs it already holds, so the status page of an upgraded
// engine shows its failing files before the next run.
func TestStatusFilesBackfill(t *testing.T) {
	for i, tc := range dialects {
		t.Run(string(tc.d), func(t *testing.T) {
			db := openAt(t, i, 2)
			f, tr := "0", "1"
			if tc.d == Postgres {
				f, tr = "false", "true"
			}
			for _, q := range []string{
				`INSERT INTO sources (source_id, revision, last_success_revision, consecutive_failures, entity_count, last_run_id)
					VALUES ('a', 'r3', 'r3', 0, 2, 0), ('b', '', '', 1, 0, 0)`,
				`INSERT INTO files (source_id, path, hash, revision, failed) VALUES
					('a', 'ok.yaml', 'h1', 'r3', ` + f + `), ('a', 'bad.yaml', 'h2', 'r1', ` + tr + `),
					('a', 'worse.yaml', 'h3', 'r1', ` + tr + `)`,
			} {
				if _, err := db.ExecContext(t.Context(), q); err != nil {
					t.Fatal(err)
				}
			}
			// Runs of a: a degraded commit (2), then a failed and an
			// unchanged run that read no files; b never published.
			for _, o := range []struct{ source, outcome string }{
				{"a", "succeeded"}, {"a", "degraded"}, {"a", "failed"}, {"a", "unchanged"}, {"b", "failed"},
			} {
				if _, err := db.ExecContext(t.Context(), rebind(tc.d, `INSERT INTO runs (source_id, trigger, outcome, revision,
					previous_revision, counts, errors, reason, generation, repeats) VALUES (?, 'schedule', ?, '', '', '{}', '[]', '', 0, 0)`),
					o.source, o.outcome); err != nil {
					t.Fatal(err)
				}
			}
			if err := Up(t.Context(), db, tc.d); err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				source       string
				failed       int
				filesRunRank int // 0: none, else the n-th run inserted
			}{{"a", 2, 2}, {"b", 0, 0}} {
				var failed int
				var filesRun int64
				if err := db.QueryRowContext(t.Context(), rebind(tc.d, `SELECT failed_files, files_run_id FROM sources WHERE source_id = ?`),
					want.source).Scan(&failed, &filesRun); err != nil {
					t.Fatal(err)
				}
				var wantRun int64
				if want.filesRunRank > 0 {
					if err := db.QueryRowContext(t.Context(), rebind(tc.d, `SELECT id FROM runs WHERE source_id = ? ORDER BY id LIMIT 1 OFFSET ?`),
						want.source, want.filesRunRank-1).Scan(&wantRun); err != nil {
						t.Fatal(err)
					}
				}
				if failed != want.failed || filesRun != wantRun {
					t.Errorf("source %s after the upgrade: failed_files %d, files_run_id %d; want %d, %d",
						want.source, failed, filesRun, want.failed, wantRun)
				}
			}
		})
	}
}

// rebind turns ? placeholders into PostgreSQL's $n.
func rebind(d Dialect, q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString(sqlrow.Dollar(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestAReplicaThatWaitedForTheLockChecksTheVersionAgain: an engine that
// found migrations to apply, then waited for the migration lock while a
// newer engine migrated past what it knows (to a schema not declared
// compatible with it), must refuse the database once it gets the lock,
// not start on it (goose's Up then applies nothing and says nothing).
func TestAReplicaThatWaitedForTheLockChecksTheVersionAgain(t *testing.T) {
	db, err := sql.Open("pgx", pgtest.Start(t).URL("lock_wait"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	sub, err := fs.Sub(files, string(Postgres))
	if err != nil {
		t.Fatal(err)
	}
	// The "newer engine": goose without a locker (this test holds the lock
	// for it).
	newer, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	know := Latest(Postgres)
	if _, err := newer.UpTo(t.Context(), know-1); err != nil {
		t.Fatal(err)
	}
	holder, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close() }()
	if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Up(t.Context(), db, Postgres) }()
	// Let this engine find migration know pending and wait for the lock;
	// meanwhile the newer engine applies it and one this engine does not
	// know, declared incompatible with it.
	time.Sleep(1500 * time.Millisecond)
	if _, err := newer.UpTo(t.Context(), know); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, true)`, know+1),
		fmt.Sprintf(`UPDATE schema_compatibility SET compatible_from = %d`, know+1),
	} {
		if _, err := holder.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Up returned while another engine held the lock: %v", err)
	default:
	}
	if _, err := holder.ExecContext(t.Context(), `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("database schema is at version %d, this central-config knows up to %d: upgrade central-config", know+1, know)
	if err := <-done; err == nil || err.Error() != want {
		t.Errorf("Up after waiting for the lock = %v; want %q", err, want)
	}
}
