package testrepo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hostile files are what the issue describes: their sizes, and the
// shapes that made them hostile.
func TestHostileCasesWriteTheIssuesFiles(t *testing.T) {
	sizes := map[string]int64{
		"hostile/deep-lists.yaml":               int64(len("x: \n") + 2*DeepNesting),
		"hostile/deep-maps.yaml":                int64(len("x: 1\n") + 5*DeepMapNesting),
		"native/hostile-text/big.txt":           TextTargetBytes,
		"assets/big.bin":                        BlobBytes,
		"services/big.yaml":                     BigYAMLBytes,
		"native/hostile-yaml/big.yaml":          YAMLTargetBytes,
		"native/hostile-yaml/catalog-info.yaml": int64(yamlCopiesBytes),
	}
	dir := t.TempDir()
	names := map[string]bool{}
	for _, c := range AllHostileCases() {
		if names[c.Name] {
			t.Errorf("two cases named %s", c.Name)
		}
		names[c.Name] = true
		if got, ok := HostileCaseNamed(c.Name); !ok || got.Path != c.Path {
			t.Errorf("HostileCaseNamed(%s) = %v, %v", c.Name, got.Path, ok)
		}
		if err := c.Write(dir); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(c.Path, ".yaml") == c.Config {
			t.Errorf("%s: Config %v for %s", c.Name, c.Config, c.Path)
		}
		for _, f := range c.Files {
			info, err := os.Stat(filepath.Join(dir, f.Path))
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := sizes[f.Path]; ok && info.Size() != want {
				t.Errorf("%s: %d bytes, want %d", f.Path, info.Size(), want)
			}
		}
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	aliases := read("native/hostile-aliases/catalog-info.yaml")
	if n := len(aliases); n < AliasedStringBytes || n > AliasedStringBytes+2000 {
		t.Errorf("alias-bytes: %d bytes, want the string and a few lines", n)
	}
	if strings.Count(aliases, "*a") != 10 || strings.Count(aliases, "*b") != 10 || strings.Count(aliases, "*c") != 10 {
		t.Errorf("alias-bytes: want 10 *a, 10 *b and 10 *c")
	}
	text := read("native/hostile-text/catalog-info.yaml")
	if strings.Count(text, "{$text: ./big.txt}") != TextCopies || len(text) > 3000 {
		t.Errorf("text-copies: %d bytes, %d placeholders", len(text), strings.Count(text, "$text"))
	}
	copies := read("native/hostile-yaml/catalog-info.yaml")
	if strings.Count(copies, "{ $yaml: ./big.yaml }") != YAMLCopies || strings.Count(copies, "\n---\n") != YAMLCopies-1 {
		t.Errorf("yaml-copies: %d placeholders, %d documents", strings.Count(copies, "$yaml"), strings.Count(copies, "---")+1)
	}
	if big := read("native/hostile-yaml/big.yaml"); !strings.HasPrefix(big, "items:\n  - The quick") {
		t.Errorf("yaml-copies: big.yaml starts %q", big[:40])
	}
	for _, c := range HostileCases() {
		if c.Name == "yaml-copies" {
			t.Errorf("yaml-copies is in the benchmark's cases: it has no committed results")
		}
	}
	c, _ := HostileCaseNamed("deep-maps")
	if v := c.Victim("v"); v.Path != c.Path || !strings.Contains(string(v.Content), "name: v\n") {
		t.Errorf("victim: %s\n%s", v.Path, v.Content)
	}
}
