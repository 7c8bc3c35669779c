// Package migrations holds the schema of both store backends as goose SQL
// migrations, one folder per dialect, embedded in the binary so that a
// deployment needs nothing beside it to create or upgrade its database.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// LockTimeout is how long a replica waits for the migration lock that
// another replica holds (retrying every LockRetry) before it gives up.
// The engine answers /healthz all that time (see httpapi.Starting); the
// Helm chart's rollout deadline is checked against it.
const (
	LockTimeout = 5 * time.Minute
	LockRetry   = time.Second
)

// Dialect names a backend, and so its folder of migrations.
type Dialect string

// The dialects, one per store backend.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Latest is the newest schema version this binary knows for d.
func Latest(d Dialect) int64 {
	names, err := fs.Glob(files, string(d)+"/*.sql")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	var latest int64
	for _, name := range names {
		if v, err := goose.NumericComponent(name); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// Up brings db's schema to the newest version this binary knows. A
// database that a newer binary migrated it leaves as it is, and refuses
// unless the newest migration declared this binary's version compatible
// (schema_compatibility.compatible_from): otherwise it would misread
// it, or write rows that the newer binary's columns go stale in.
func Up(ctx context.Context, db *sql.DB, d Dialect) error {
	sub, err := fs.Sub(files, string(d))
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if d == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together take turns.
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockTimeout(uint64(LockRetry/time.Second), uint64(LockTimeout/LockRetry)))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// The version is read without the lock (goose's GetDBVersion would
	// take it, and Up again: a replica would wait its turn twice), so that
	// a database a newer binary migrated is refused at once.
	have, err := version(ctx, db, d)
	if err != nil {
		return err
	}
	if know := Latest(d); have > know {
		// A newer engine migrated: run on its schema if it says this
		// engine may, and leave it as it is.
		return compatible(ctx, db, d, have, know)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// While this replica waited for the lock, a newer one may have
	// migrated past what it knows (goose's Up then applies nothing and
	// does not say so): check again.
	have, err = version(ctx, db, d)
	if err != nil {
		return err
	}
	if know := Latest(d); have > know {
		return compatible(ctx, db, d, have, know)
	}
	return nil
}

// Check reports whether db's schema is the version this binary knows (or
// a newer one declared compatible with it), without changing it, so that
// a health check can tell.
func Check(ctx context.Context, db *sql.DB, d Dialect) error {
	have, err := version(ctx, db, d)
	if err != nil {
		return err
	}
	know := Latest(d)
	if have > know {
		return compatible(ctx, db, d, have, know)
	}
	if have < know {
		return fmt.Errorf("database schema is at version %d, this central-config needs %d: run central-config migrate", have, know)
	}
	return nil
}

// version is db's schema version without taking the migration lock: 0
// before the first migration created goose's table.
func version(ctx context.Context, db *sql.DB, d Dialect) (int64, error) {
	ok, err := tableExists(ctx, db, d, "goose_db_version")
	if err != nil {
		return 0, fmt.Errorf("migrations: read schema version: %w", err)
	}
	var have int64
	if !ok {
		return 0, nil
	}
	err = db.QueryRowContext(ctx,
		"SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&have)
	if err != nil {
		return 0, fmt.Errorf("migrations: read schema version: %w", err)
	}
	return have, nil
}

// compatible reports whether an engine whose newest schema version is
// know may run against db's newer schema, version have: when the newest
// migration declared (schema_compatibility.compatible_from, from 00004
// on) that engines from version know on keep its data correct.
func compatible(ctx context.Context, db *sql.DB, d Dialect, have, know int64) error {
	tooNew := fmt.Errorf("database schema is at version %d, this central-config knows up to %d: upgrade central-config", have, know)
	// A schema newer than this binary but from before 00004 has no such
	// table: it is too new. Any other failure to read it is reported as
	// it is, not as a version problem.
	ok, err := tableExists(ctx, db, d, "schema_compatibility")
	if err != nil {
		return fmt.Errorf("migrations: read schema compatibility: %w", err)
	}
	if !ok {
		return tooNew
	}
	var from sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(compatible_from) FROM schema_compatibility").Scan(&from); err != nil {
		return fmt.Errorf("migrations: read schema compatibility: %w", err)
	}
	if !from.Valid || from.Int64 > know {
		return tooNew
	}
	return nil
}

// tableExists reports whether db has the table name.
func tableExists(ctx context.Context, db *sql.DB, d Dialect, name string) (bool, error) {
	query := "SELECT to_regclass($1) IS NOT NULL"
	if d == SQLite {
		query = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)"
	}
	var ok bool
	err := db.QueryRowContext(ctx, query, name).Scan(&ok)
	return ok, err
}
