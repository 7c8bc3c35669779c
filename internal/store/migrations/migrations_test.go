package migrations_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
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

func TestUpAndCheck(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
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
