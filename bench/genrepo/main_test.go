package main

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/testrepo"
)

// The native rendering holds one document per entity the engine
// publishes, in a file of the same path, and a root Location that lists
// every file, without the managed-by annotations Backstage sets itself.
func TestNativeHoldsTheSameEntities(t *testing.T) {
	files := testrepo.Generate(500)
	native, err := Native(files)
	if err != nil {
		t.Fatal(err)
	}
	root := native[len(native)-1]
	if root.Path != "catalog-info.yaml" {
		t.Fatalf("last file is %s, want the root catalog-info.yaml", root.Path)
	}
	var loc struct {
		Kind string
		Spec struct{ Targets []string }
	}
	if err := yaml.Unmarshal(root.Content, &loc); err != nil {
		t.Fatal(err)
	}
	if loc.Kind != "Location" || len(loc.Spec.Targets) != len(native)-1 || len(native)-1 != len(files) {
		t.Fatalf("root: %s with %d targets for %d native and %d config files", loc.Kind, len(loc.Spec.Targets), len(native)-1, len(files))
	}
	entities := 0
	for i, f := range native[:len(native)-1] {
		if loc.Spec.Targets[i] != "./"+f.Path {
			t.Errorf("target %d = %s, want ./%s", i, loc.Spec.Targets[i], f.Path)
		}
		if strings.Contains(string(f.Content), "managed-by-location") {
			t.Errorf("%s keeps a managed-by annotation", f.Path)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(f.Content)))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				break
			}
			entities++
		}
	}
	if entities < 450 || entities > 550 {
		t.Errorf("%d entities for a repository of about 500", entities)
	}
}
