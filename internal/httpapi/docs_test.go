package httpapi

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestEveryErrorCodeIsInTroubleshooting: every code of the contract's
// Error.code enum, and every code a handler writes, has a row in
// docs/troubleshooting.md, and handlers write no code the contract
// lacks.
func TestEveryErrorCodeIsInTroubleshooting(t *testing.T) {
	doc, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `yaml:"enum"`
								} `yaml:"code"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openapiYAML, &spec); err != nil {
		t.Fatal(err)
	}
	enum := spec.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	if len(enum) < 10 {
		t.Fatalf("Error.code enum not found in openapi.yaml: %v", enum)
	}
	inEnum := map[string]bool{}
	for _, code := range enum {
		inEnum[code] = true
		if !strings.Contains(string(doc), "| `"+code+"` |") {
			t.Errorf("API error code %s has no row in docs/troubleshooting.md", code)
		}
	}
	files, _ := filepath.Glob("*.go")
	written := regexp.MustCompile(`s\.error\(w, http\.Status[A-Za-z]+, "([a-z-]+)"`)
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range written.FindAllStringSubmatch(string(src), -1) {
			if !inEnum[m[1]] {
				t.Errorf("%s writes error code %s, which openapi.yaml's Error.code enum lacks", file, m[1])
			}
		}
	}
}
