package migrations

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/central-config/central-config/internal/store/pgtest"
)

// dialects are the two databases the migrations tests run on, each with
// a throwaway database of the test's own.
var dialects = []struct {
	d      Dialect
	driver string
	goose  goose.Dialect
	url    func(t *testing.T) string
}{
	{d: SQLite, driver: "sqlite", goose: goose.DialectSQLite3,
		url: func(t *testing.T) string { return filepath.Join(t.TempDir(), "m.db") }},
	{d: Postgres, driver: "pgx", goose: goose.DialectPostgres,
		url: func(t *testing.T) string { return pgtest.Start(t).URL("backfill") }},
}

// openAt opens a fresh database of dialect i's migrated to version (as an
// engine of that version left it).
func openAt(t *testing.T, i int, version int64) *sql.DB {
	t.Helper()
	tc := dialects[i]
	db, err := sql.Open(tc.driver, tc.url(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	sub, err := fs.Sub(files, string(tc.d))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(tc.goose, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatal(err)
	}
	return db
}

// v4Run inserts a run as an engine at schema version 4 writes it (it
// knows no reason_code column).
const v4Run = `INSERT INTO runs (source_id, trigger, outcome, revision, previous_revision, counts, errors, reason,
	generation, repeats) VALUES ('src', 'schedule', ?, '', '', '{}', '[]', ?, 0, 0)`

// TestRunReasonCodeBackfill upgrades a database whose runs an engine at
// version 4 recorded (reasons in words only) and checks that migration 5
// gives each the code its words tell, 'unknown' when they tell none, and
// none to a run without a reason; and that an engine at version 4, which
// keeps running against the new schema (compatible_from 4), can still
// record a run there.
func TestRunReasonCodeBackfill(t *testing.T) {
	runs := []struct{ outcome, reason, code string }{
		{"failed", "fetch failed: authentication failed: the server rejected the token", "fetch-failed"},
		{"failed", "refused: this revision would remove 3 of 4 entities (75%), more than the allowed 50% ...", "guard-refused"},
		{"failed", "store unavailable: the database did not answer or refused the request (the engine's log has its error)", "store-unavailable"},
		{"failed", "store commit failed: the database did not answer or refused the request (the engine's log has its error)", "store-unavailable"},
		{"failed", "store commit failed: entity spool (TMPDIR /tmp): reading: input/output error", "spool-failed"},
		{"failed", "store commit failed: 2 entities are already published by another source, again and again; the next run retries", "source-conflict"},
		{"failed", "another engine replica is syncing this source", "locked"},
		{"failed", "store unavailable: timed out (the run's timeout, centralConfig.sources[].schedule.timeout)", "timeout"},
		{"failed", "store commit failed: cancelled (the engine is stopping)", "canceled"},
		{"abandoned", "the engine process running it ended (crash, kill or shutdown) before it finished; it changed nothing", "abandoned"},
		{"failed", "something an engine of long ago wrote", "unknown"},
		{"succeeded", "", ""},
		{"unchanged", "", ""},
	}
	for i, tc := range dialects {
		t.Run(string(tc.d), func(t *testing.T) {
			db := openAt(t, i, 4)
			for _, r := range runs {
				if _, err := db.ExecContext(t.Context(), rebind(tc.d, v4Run), r.outcome, r.reason); err != nil {
					t.Fatal(err)
				}
			}
			if err := Up(t.Context(), db, tc.d); err != nil {
				t.Fatal(err)
			}
			// The engine at version 4, still running during a rolling
			// upgrade, records one more.
			if err := compatible(t.Context(), db, tc.d, Latest(tc.d), 4); err != nil {
				t.Fatalf("an engine at version 4 against this schema: %v", err)
			}
			if _, err := db.ExecContext(t.Context(), rebind(tc.d, v4Run), "failed", "fetch failed: by an older engine"); err != nil {
				t.Fatalf("an engine at version 4 cannot record a run: %v", err)
			}
			runs := append(runs, struct{ outcome, reason, code string }{"failed", "fetch failed: by an older engine", ""})
			rows, err := db.QueryContext(t.Context(), `SELECT reason, reason_code FROM runs ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = rows.Close() }()
			n := 0
			for ; rows.Next(); n++ {
				var reason, code string
				if err := rows.Scan(&reason, &code); err != nil {
					t.Fatal(err)
				}
				if n < len(runs) && (reason != runs[n].reason || code != runs[n].code) {
					t.Errorf("run %q: reason_code %q, want %q", reason, code, runs[n].code)
				}
			}
			if err := rows.Err(); err != nil || n != len(runs) {
				t.Fatalf("read %d runs (%v); want %d", n, err, len(runs))
			}
		})
	}
}
