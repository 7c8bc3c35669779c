package syncer

import (
	"testing"

	"github.com/central-config/central-config/internal/store"
)

// TestPublishedKeepsRefsAndHashesOfEveryForm applies upserts and removals
// whose refs and hashes come in every form the store may hold (a ref with
// capitals, a hash that is not the engine's hex of 16 bytes) and reads
// them back as they were written.
func TestPublishedKeepsRefsAndHashesOfEveryForm(t *testing.T) {
	pub := NewPublished()
	const hex16 = "00112233445566778899aabbccddeeff"
	ups := []Upsert{
		{Key: "component:default/a", Ref: "component:default/a", File: "a.yaml", Hash: hex16},
		{Key: "component:default/b", Ref: "component:default/B", File: "a.yaml", Hash: "00112233445566778899AABBCCDDEEFF"},
		{Key: "location:default/c", Ref: "location:default/c", File: "c.yaml", Hash: "sha256:short"},
	}
	pub.Apply(Plan{Upserts: ups, Files: []store.File{{Path: "a.yaml"}, {Path: "c.yaml"}}})
	for _, u := range ups {
		p, ok := pub.entities[u.Key]
		if !ok || p.refOf(u.Key) != u.Ref || p.file != u.File || !pub.hashIs(u.Key, p, u.Hash) {
			t.Errorf("%s: kept %+v, want ref %s, file %s, hash %s", u.Key, p, u.Ref, u.File, u.Hash)
		}
		if pub.hashIs(u.Key, p, "ffffffffffffffffffffffffffffffff") || pub.hashIs(u.Key, p, "other") {
			t.Errorf("%s: another hash matches", u.Key)
		}
	}
	if e, l := pub.counts(); e != 2 || l != 1 {
		t.Errorf("counts = %d entities, %d locations, want 2 and 1", e, l)
	}
	// The odd hash is replaced by the engine's form, then removed.
	pub.Apply(Plan{Upserts: []Upsert{{Key: "component:default/b", Ref: "component:default/B", File: "a.yaml", Hash: hex16}},
		Removals: []store.Removal{{Key: "location:default/c"}}, Files: []store.File{{Path: "a.yaml"}}})
	if p := pub.entities["component:default/b"]; !pub.hashIs("component:default/b", p, hex16) || len(pub.oddHashes) != 0 {
		t.Errorf("after the update: %+v, odd hashes %v", p, pub.oddHashes)
	}
	if e, l := pub.counts(); e != 2 || l != 0 {
		t.Errorf("counts = %d entities, %d locations, want 2 and 0", e, l)
	}
	if _, ok := pub.File("c.yaml"); ok {
		t.Error("c.yaml is still published")
	}
}
