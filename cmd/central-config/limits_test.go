package main

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/central-config/central-config/internal/httpapi"
)

// TestMaxConnectionsFitsTheOpenFileLimit: server.maxConnections is
// lowered, with a warning, to leave the engine its own file descriptors
// and the probe reserve under ulimit -n.
func TestMaxConnectionsFitsTheOpenFileLimit(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	low := orig
	low.Cur = min(orig.Max, 1000)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) }()

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	room := int(low.Cur) - fdsKept - httpapi.ProbeReserve
	if n := maxConnections(0, log); n != min(defaultMaxConnections, room) {
		t.Errorf("default under ulimit -n %d: %d, want %d", low.Cur, n, min(defaultMaxConnections, room))
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "openFileLimit="+strconv.FormatUint(low.Cur, 10)) {
		t.Errorf("no warning: %s", logs.String())
	}
	if n := maxConnections(100, log); n != 100 {
		t.Errorf("100 under ulimit -n %d: %d", low.Cur, n)
	}
}
