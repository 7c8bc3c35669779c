package mapping

import (
	"bytes"
	"os"
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
