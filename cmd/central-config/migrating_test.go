package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3/lock"

	"github.com/central-config/central-config/internal/enginetest"
	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/store/pgtest"
)

// TestServeIsAliveWhileAnotherReplicaHoldsTheMigrationLock starts serve on
// a PostgreSQL database whose migration lock another session holds, as a
// replica migrating does: the engine answers /healthz 200 at once (the
// kubelet must not kill it while it waits its turn), /readyz 503
// migrating, /metrics the process's metrics and the API 503 starting;
// once the lock is released it migrates and is ready.
func TestServeIsAliveWhileAnotherReplicaHoldsTheMigrationLock(t *testing.T) {
	url := pgtest.Start(t).URL("serve_migration_lock")
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close(ctx) }()
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}

	cfg := filepath.Join(t.TempDir(), "app-config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("centralConfig:\n  database: {client: pg, connection: %q}\n", url)), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	e := &env{stdout: io.Discard, stderr: logs, configFiles: []string{cfg}, lookupEnv: func(string) (string, bool) { return "", false },
		log: slog.New(slog.NewTextHandler(logs, nil))}
	addr := enginetest.FreeAddr(t)
	stop := startServe(t, e, addr)
	defer stop()
	base := "http://" + addr

	if err := waitStatus(base+"/healthz", http.StatusOK, ""); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	for path, want := range map[string]string{"/readyz": `"code":"not-ready","message":"migrating: `, "/central-config/last-sync": `"code":"not-ready","message":"starting: `} {
		status, body := get(t, base+path)
		if status != http.StatusServiceUnavailable || !strings.Contains(string(body), want) {
			t.Errorf("GET %s while the lock is held: %d %s, want 503 with %s", path, status, body, want)
		}
	}
	// Prometheus still scrapes it: a long wait is not an engine down.
	if status, body := get(t, base+"/metrics"); status != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("GET /metrics while the lock is held: %d, want 200 with the process's metrics", status)
	}
	if strings.Contains(logs.String(), "engine started") {
		t.Fatalf("the engine started with the migration lock held by another session:\n%s", logs.String())
	}

	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	if err := waitStatus(base+"/readyz", http.StatusOK, "ok"); err != nil {
		t.Fatalf("after the lock was released: %v\n%s", err, logs.String())
	}
	if status, _ := get(t, base+"/central-config/last-sync"); status != http.StatusOK {
		t.Errorf("GET /central-config/last-sync once migrated: %d, want 200", status)
	}
}

// waitStatus polls url until it answers status with a body containing
// want, for at most a minute (the engine starts in well under a second;
// the bound only keeps a broken engine from hanging the test).
func waitStatus(url string, status int, want string) error {
	client := &http.Client{Timeout: 10 * time.Second}
	var last string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := client.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode == status && strings.Contains(string(body), want) {
			return nil
		}
		last = fmt.Sprintf("%d %s", res.StatusCode, body)
	}
	return fmt.Errorf("GET %s: no %d within a minute; last: %s", url, status, last)
}
