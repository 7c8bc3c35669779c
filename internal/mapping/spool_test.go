package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestSpooledEntitiesReadBackAsMappedAndReleaseKeepsWhatIsNotPublished:
// the engine's runs spool each entity's JSON to a file until the commit;
// what comes back is what the mapping made, and the entities of a file
// that is not published as it is keep their JSON after the spool is gone.
func TestSpooledEntitiesReadBackAsMappedAndReleaseKeepsWhatIsNotPublished(t *testing.T) {
	files := snapshot(map[string]string{
		"teams/payments.yaml": team,
		"svc.yaml":            "apiVersion: central-config.io/v1\nservices:\n  - {name: s, owner: payments, description: \"é \\\"q\\\" <b>\"}\n",
		"held.yaml":           "apiVersion: central-config.io/v1\nservices:\n  - {name: h, owner: payments}\n",
	})
	want := byName(Map(files, Options{Compact: true}))
	spool, err := NewSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res := Map(files, Options{Compact: true, Spool: spool})
	got := byName(res)
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("mapped %d entities with a spool, %d without", len(got), len(want))
	}
	for ref, e := range got {
		body, err := e.ReadJSON()
		if err != nil || !bytes.Equal(body, want[ref].JSON()) || e.Hash() != want[ref].Hash() {
			t.Fatalf("%s read back as %s (%v), mapped as %s", ref, body, err, want[ref].JSON())
		}
	}
	res.Release(func(path string) bool { return path != "held.yaml" })
	if err := spool.Close(); err != nil {
		t.Fatal(err)
	}
	if body := got["component:default/h"].JSON(); !bytes.Equal(body, want["component:default/h"].JSON()) {
		t.Fatalf("an entity not published keeps its JSON after Release: %s", body)
	}
	if body := got["component:default/s"].JSON(); body != nil || got["component:default/s"].Hash() != want["component:default/s"].Hash() {
		t.Fatalf("a published entity keeps its hash, not its JSON: %s", body)
	}
	// A reused result decodes none of its files again.
	again := Map(files, Options{Compact: true, Previous: res})
	if again.Reused != len(files.Files) {
		t.Fatalf("reused %d of %d files", again.Reused, len(files.Files))
	}
}

// TestASpoolLeavesNoFileBehind: the spool's file is unlinked at once.
func TestASpoolLeavesNoFileBehind(t *testing.T) {
	dir := t.TempDir()
	spool, err := NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = spool.Close() }()
	if _, err := spool.put([]byte("{}")); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("the spool left %v in its folder", left)
	}
	if b, err := spool.read(0, 2); err != nil || string(b) != "{}" {
		t.Fatalf("read back %q, %v", b, err)
	}
}

// smallDisk is a spool file with room for so many bytes: a write past it
// writes what fits and fails as a full disk does. unreadable makes every
// read fail.
type smallDisk struct {
	mu         sync.Mutex
	data       []byte
	room       int
	unreadable bool
}

func (d *smallDisk) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := min(len(p), max(d.room-int(off), 0))
	if end := int(off) + n; end > len(d.data) {
		d.data = append(d.data, make([]byte, end-len(d.data))...)
	}
	copy(d.data[off:], p[:n])
	if n < len(p) {
		return n, syscall.ENOSPC
	}
	return n, nil
}

func (d *smallDisk) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.unreadable {
		return 0, syscall.EIO
	}
	if int(off)+len(p) > len(d.data) {
		return 0, io.EOF
	}
	return copy(p, d.data[off:]), nil
}

func (d *smallDisk) Close() error { return nil }

// services is a file of n services owned by payments.
func services(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: central-config.io/v1\nservices:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: service-%04d, owner: payments, description: \"service number %d of the many\"}\n", i, i)
	}
	return b.String()
}

// TestASpoolWhoseDiskFillsUpKeepsEveryEntityInMemory: once the spool's
// file cannot be written, nothing is lost: what is on disk reads back,
// what was not written stays in memory, and later entities keep their
// JSON; the spool says it fell back, naming TMPDIR and the error.
func TestASpoolWhoseDiskFillsUpKeepsEveryEntityInMemory(t *testing.T) {
	files := snapshot(map[string]string{"teams/payments.yaml": team, "svc.yaml": services(300)})
	want := byName(Map(files, Options{Compact: true}))
	disk := &smallDisk{room: 20 << 10}
	spool := newSpool("/full", disk, 4<<10)
	got := byName(Map(files, Options{Compact: true, Spool: spool}))
	assertSpooledAsMapped(t, got, want)
	var se *SpoolError
	if err := spool.Broken(); !errors.As(err, &se) || !errors.Is(err, syscall.ENOSPC) ||
		!strings.Contains(err.Error(), "entity spool (TMPDIR /full)") {
		t.Fatalf("Broken() = %v; want a SpoolError naming the folder and the full disk", err)
	}
	if spool.flushed == 0 {
		t.Fatal("the test wrote nothing to disk before it filled up; it checks nothing about reading back")
	}
}

// TestASpoolOnAFullTmpfsKeepsEveryEntityInMemory is the test above on a
// real 64 KiB tmpfs (it needs root to mount one).
func TestASpoolOnAFullTmpfsKeepsEveryEntityInMemory(t *testing.T) {
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	files := snapshot(map[string]string{"teams/payments.yaml": team, "svc.yaml": services(1500)})
	want := byName(Map(files, Options{Compact: true}))
	spool, err := NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = spool.Close() }()
	got := byName(Map(files, Options{Compact: true, Spool: spool}))
	assertSpooledAsMapped(t, got, want)
	if err := spool.Broken(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Broken() = %v; want no space left on device", err)
	}
}

func assertSpooledAsMapped(t *testing.T, got, want map[string]*Entity) {
	t.Helper()
	if len(got) != len(want) || len(got) < 300 {
		t.Fatalf("mapped %d entities with a spool, %d without", len(got), len(want))
	}
	for ref, e := range got {
		body, err := e.ReadJSON()
		if err != nil || !bytes.Equal(body, want[ref].JSON()) {
			t.Fatalf("%s read back as %.80s (%v), mapped as %.80s", ref, body, err, want[ref].JSON())
		}
	}
}

// TestADuplicateWhoseSpoolCannotBeReadIsDecodedAgain: Release keeps the
// JSON of a file held back as a duplicate; when its spool cannot be read,
// the next run decodes that file again rather than reusing an entity
// without JSON, so it is published once the other file drops it.
func TestADuplicateWhoseSpoolCannotBeReadIsDecodedAgain(t *testing.T) {
	held := "apiVersion: central-config.io/v1\nservices:\n  - {name: h, owner: payments}\n"
	first := snapshot(map[string]string{"teams/payments.yaml": team, "a.yaml": held, "b.yaml": held})
	disk := &smallDisk{room: 1 << 20}
	spool := newSpool("/tmp", disk, 1) // every entity goes to disk at once
	res := Map(first, Options{Compact: true, Spool: spool})
	if len(byName(res)) != 2 { // the team and alice
		t.Fatalf("the duplicate was published: %v", byName(res))
	}
	disk.unreadable = true
	res.Release(func(path string) bool { return path == "teams/payments.yaml" })
	second := snapshot(map[string]string{"teams/payments.yaml": team, "a.yaml": held,
		"b.yaml": "apiVersion: central-config.io/v1\nservices: []\n"})
	want := byName(Map(second, Options{Compact: true}))["component:default/h"]
	got := byName(Map(second, Options{Compact: true, Previous: res}))["component:default/h"]
	if got == nil || want == nil || !bytes.Equal(got.JSON(), want.JSON()) {
		t.Fatalf("the duplicate left alone is published as %v; want %s", got, want.JSON())
	}
}
