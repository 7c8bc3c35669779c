package mapping

import (
	"maps"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/testrepo"
)

// TestTheKeyIndexHandedOnGivesWhatOneBuiltAnewGives maps a series of
// commits, each against the last mapping (which hands on its index of the
// keys its files define), and maps each commit again against the same
// last mapping with an index built from every file: the results, the
// duplicate and dangling-ref checks included, must be the very same.
func TestTheKeyIndexHandedOnGivesWhatOneBuiltAnewGives(t *testing.T) {
	files := map[string]string{}
	for _, f := range testrepo.Generate(600) {
		files[f.Path] = string(f.Content)
	}
	system := ""
	for p := range files {
		if strings.HasPrefix(p, "systems/") && (system == "" || p < system) {
			system = p
		}
	}
	orig := files[system]
	steps := []struct {
		name    string
		changes map[string]string
	}{
		{"a change that defines the same keys", map[string]string{system: strings.Replace(orig, "Service number", "Service No.", 1)}},
		{"a duplicate in another file", map[string]string{"dup.yaml": "apiVersion: central-config.io/v1\nservices:\n  - {name: service-0, owner: team-1}\n"}},
		{"more duplicates, one inside a file", map[string]string{"dup.yaml": "apiVersion: central-config.io/v1\nservices:\n" +
			"  - {name: service-0, owner: team-1}\n  - {name: service-1, owner: team-1}\n  - {name: extra, owner: team-1}\n  - {name: extra, owner: team-2}\n"}},
		{"the duplicates go", map[string]string{"dup.yaml": ""}},
		{"a file breaks: its last good entities are kept", map[string]string{system: "apiVersion: central-config.io/v1\nservices:\n  - name: [unclosed\n"}},
		{"a file refers to a kept entity", map[string]string{"ref.yaml": "apiVersion: central-config.io/v1\nservices:\n  - {name: r, owner: team-1, dependsOn: [component:service-0, resource:gone]}\n"}},
		{"it is fixed", map[string]string{system: orig}},
		{"a file others refer to goes", map[string]string{"teams/team-1.yaml": ""}},
		{"it comes back under another name", map[string]string{"teams/team-1-again.yaml": files["teams/team-1.yaml"]}},
		{"nothing changes", map[string]string{}},
	}
	res := Map(snapshot(files), Options{SourceID: "s", Compact: true, Workers: 2})
	for _, step := range steps {
		for p, c := range step.changes {
			if c == "" {
				delete(files, p)
			} else {
				files[p] = c
			}
		}
		snap := snapshot(maps.Clone(files))
		opts := Options{SourceID: "s", Compact: true, Workers: 2, Previous: res}
		// An index with duplicates may be built anew (see remove).
		noDups := len(res.index.extra) == 0
		next := Map(snap, opts)
		if noDups && next.index != res.index {
			t.Fatalf("%s: the index was not handed on", step.name)
		}
		anew := Map(snap, opts)
		if anew.index == res.index {
			t.Fatalf("%s: the second mapping against the same result took its index too", step.name)
		}
		if got, want := describe(t, next), describe(t, anew); got != want {
			t.Fatalf("%s:\n%s", step.name, firstDifference(got, want))
		}
		res = next
	}
}
