package diag_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryCodeIsInTroubleshooting reads the Code* constants of this
// package and of internal/kafka (the file problem codes the engine can
// report) from their source, and checks each is explained in
// docs/troubleshooting.md, so a new code cannot ship unexplained.
func TestEveryCodeIsInTroubleshooting(t *testing.T) {
	doc, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, dir := range []string{".", "../kafka"} {
		for name, value := range codeConstants(t, dir) {
			codes[name] = value
		}
	}
	if len(codes) < 15 {
		t.Fatalf("found only %d codes: %v", len(codes), codes)
	}
	for name, code := range codes {
		if !strings.Contains(string(doc), "| `"+code+"` |") {
			t.Errorf("%s (%q) has no row in docs/troubleshooting.md", name, code)
		}
	}
}

// codeConstants returns the string constants named Code* declared in the
// non-test Go files of dir.
func codeConstants(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out[name.Name] = v
					}
				}
			}
		}
	}
	return out
}
