package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

// TestValidateReadsAnExistingCatalogRepository runs validate on the
// shared fixture of a catalog repository moved into the central one, as
// a platform team's CI would: nothing in it is an error that Backstage
// accepts, and every file that publishes nothing says why.
func TestValidateReadsAnExistingCatalogRepository(t *testing.T) {
	code, stdout, stderr := runCLI(t, "validate", "--format", "json", filepath.Join("..", "..", "internal", "testrepo", "testdata", "catalog-repo"))
	if code != 0 {
		t.Fatalf("validate exits %d: %s %s", code, stdout, stderr)
	}
	var out struct {
		Entities  int `json:"entities"`
		Locations int `json:"locations"`
		Errors    int `json:"errors"`
		validateLists
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	// Published: the Template, the APIs, the org files the Locations point
	// at; and the three Locations with targets in other repositories.
	if out.Errors != 0 || out.Entities != 7 || out.Locations != 3 {
		t.Errorf("errors %d, entities %d, locations %d; want 0, 7, 3", out.Errors, out.Entities, out.Locations)
	}
	var got []string
	for _, d := range out.Diagnostics {
		got = append(got, d.File+" "+d.Severity+" "+d.Code)
	}
	for _, want := range []string{
		"apis/payments-api.yaml info placeholder-url",                // a URL left for Backstage
		"custom/not-allowed.yaml warning kind-not-allowed",           // a kind no rule allows
		"kafka/kafkakewl-topology.json warning kafka-unknown-format", // a dialect the engine does not read
		"locations/missing.yaml warning location",                    // a relative target that matches nothing
		"locations/all.yaml info location",                           // relative targets: not published, said so
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q among %v", want, got)
		}
	}
	ignored := map[string]string{}
	for _, f := range out.IgnoredFiles {
		ignored[f.Path] = f.Reason
	}
	for path, reason := range map[string]string{"docs/README.md": "not YAML/JSON", "misc/no-shape.yaml": "no known document shape"} {
		if ignored[path] != reason {
			t.Errorf("ignored %s: %q, want %q (all: %v)", path, ignored[path], reason, ignored)
		}
	}
}
