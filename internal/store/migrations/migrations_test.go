package migrations_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/central-config/central-config/internal/store/migrations"
)

func TestLatest(t *testing.T) {
	for _, d := range []migrations.Dialect{migrations.Postgres, migrations.SQLite} {
		if got := migrations.Latest(d); got < 1 {
			t.Errorf("Latest(%s) = %d; want a migration", d, got)
		}
	}
}

// emptySQLite opens a new SQLite database in t's temporary folder, closed
// when t ends.
func emptySQLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestUpAndCheck(t *testing.T) {
	db := emptySQLite(t)
	if err := migrations.Check(t.Context(), db, migrations.SQLite); err == nil {
		t.Error("Check of an empty database passed")
	}
	for range 2 { // the second Up has nothing to do
		if err := migrations.Up(t.Context(), db, migrations.SQLite); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Check(t.Context(), db, migrations.SQLite); err != nil {
		t.Errorf("Check after Up: %v", err)
	}
	latest := migrations.Latest(migrations.SQLite)
	if _, err := db.Exec(`DELETE FROM goose_db_version WHERE version_id = ?`, latest); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("database schema is at version %d, this central-config needs %d: run central-config migrate",
		latest-1, latest)
	if err := migrations.Check(t.Context(), db, migrations.SQLite); err == nil || err.Error() != want {
		t.Errorf("Check of an old schema = %v; want %q", err, want)
	}
}

// TestANewerCompatibleSchemaKeepsAnOlderEngineRunning: a database one
// migration ahead of this binary is usable when that migration declared
// this binary's version compatible, and refused when it declared its own.
func TestANewerCompatibleSchemaKeepsAnOlderEngineRunning(t *testing.T) {
	db := emptySQLite(t)
	if err := migrations.Up(t.Context(), db, migrations.SQLite); err != nil {
		t.Fatal(err)
	}
	know := migrations.Latest(migrations.SQLite)
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, know+1); err != nil {
		t.Fatal(err)
	}
	for from, compatible := range map[int64]bool{know - 1: true, know: true, know + 1: false} {
		if _, err := db.Exec(`UPDATE schema_compatibility SET compatible_from = ?`, from); err != nil {
			t.Fatal(err)
		}
		want := ""
		if !compatible {
			want = fmt.Sprintf("database schema is at version %d, this central-config knows up to %d: upgrade central-config", know+1, know)
		}
		for name, f := range map[string]func() error{
			"Up":    func() error { return migrations.Up(t.Context(), db, migrations.SQLite) },
			"Check": func() error { return migrations.Check(t.Context(), db, migrations.SQLite) },
		} {
			if err := f(); (err == nil) != compatible || (err != nil && err.Error() != want) {
				t.Errorf("schema %d compatible from %d, this engine at %d: %s = %v, want %q", know+1, from, know, name, err, want)
			}
		}
	}
}

// TestEveryMigrationDeclaresItsCompatibility: from 00004 on, each
// migration of each dialect sets schema_compatibility.compatible_from,
// once, to at most its own version and at least the previous one's, the
// same in both dialects.
func TestEveryMigrationDeclaresItsCompatibility(t *testing.T) {
	declare := regexp.MustCompile(`(?m)^UPDATE schema_compatibility SET compatible_from = (\d+);`)
	byDialect := map[migrations.Dialect][]int64{}
	for _, d := range []migrations.Dialect{migrations.Postgres, migrations.SQLite} {
		names, err := filepath.Glob(filepath.Join(string(d), "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(names)) != migrations.Latest(d) {
			t.Fatalf("%s: %d migration files, want one for each version up to %d", d, len(names), migrations.Latest(d))
		}
		prev := int64(0)
		for _, name := range names {
			v, err := strconv.ParseInt(strings.SplitN(filepath.Base(name), "_", 2)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			up, _, _ := strings.Cut(string(raw), "-- +goose Down")
			found := declare.FindAllStringSubmatch(up, -1)
			if v < 4 {
				continue
			}
			if len(found) != 1 {
				t.Errorf("%s: want one `UPDATE schema_compatibility SET compatible_from = N;` in its Up part, found %d", name, len(found))
				continue
			}
			from, _ := strconv.ParseInt(found[0][1], 10, 64)
			if from > v || from < prev {
				t.Errorf("%s: compatible_from %d, want between the previous migration's %d and its own version %d", name, from, prev, v)
			}
			prev = from
			byDialect[d] = append(byDialect[d], from)
		}
	}
	if !slices.Equal(byDialect[migrations.Postgres], byDialect[migrations.SQLite]) {
		t.Errorf("the dialects declare different compatibilities: postgres %v, sqlite %v", byDialect[migrations.Postgres], byDialect[migrations.SQLite])
	}
}
