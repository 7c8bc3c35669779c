package testrepo

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Edit changes one file of a checkout: Old replaced by New once (Old must
// be there, so a test cannot pass by editing nothing), the whole content
// set to New (Old empty), or the file or folder deleted.
type Edit struct {
	Path, Old, New string
	Delete         bool
}

// Checkout copies the repository in folder from into a new temporary
// folder, applies edits, and returns the copy's path: one side of a
// before/after pair.
func Checkout(t testing.TB, from string, edits ...Edit) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		p := filepath.Join(root, filepath.FromSlash(e.Path))
		content := e.New
		switch {
		case e.Delete:
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			continue
		case e.Old != "":
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), e.Old) {
				t.Fatalf("%s does not hold %q", e.Path, e.Old)
			}
			content = strings.Replace(string(b), e.Old, e.New, 1)
		}
		WriteFile(t, p, content)
	}
	return root
}

// Read returns the files below root: each one's slash-separated path
// below root, and its content.
func Read(t testing.TB, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	fsys := os.DirFS(root)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Write writes files (a slash-separated path below root: the content)
// under root, making their folders: a test's small repository.
func Write(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		WriteFile(t, filepath.Join(root, filepath.FromSlash(p)), content)
	}
}

// WriteFile writes content to the file at path, making its folder.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := writeFile(path, []byte(content)); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes data to the file at path, making its folder.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
