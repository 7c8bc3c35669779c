// Package sourcetest holds what the tests of every source (dir, git,
// github) read a snapshot with: its file paths and contents, its problems
// by path, and what a fetch costs in memory.
package sourcetest

import (
	"context"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/memtest"
	"github.com/central-config/central-config/internal/source"
)

// Fetch fetches s since the revision since, within 30 seconds, and fails
// t on an error.
func Fetch(t testing.TB, s source.Source, since string) *source.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, err := s.Fetch(ctx, since)
	if err != nil {
		t.Fatalf("Fetch(%q): %v", since, err)
	}
	return snap
}

// Paths lists the paths of files, in their order.
func Paths(files []source.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

// Contents maps each file's path to its content.
func Contents(files []source.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		out[f.Path] = string(f.Content)
	}
	return out
}

// Messages maps each problem's path to its code and message.
func Messages(probs []source.FileProblem) map[string]string {
	out := map[string]string{}
	for _, p := range probs {
		out[p.Path] = p.Code + ": " + p.Message
	}
	return out
}

// ReadsNoLargeFile runs fetch, a fetch of a source of what ("folder",
// "repository") that holds a file of blobSize bytes over the file limit,
// and fails t when it allocates more than an eighth of that: the large
// file was read into memory.
func ReadsNoLargeFile(t testing.TB, what string, blobSize uint64, fetch func()) {
	t.Helper()
	alloc := memtest.Allocated(fetch)
	t.Logf("Fetch allocated %d KiB", alloc>>10)
	if alloc > blobSize/8 {
		t.Errorf("Fetch allocated %d MiB for a %s whose files under the limit are a few bytes: the big files were read", alloc>>20, what)
	}
}
