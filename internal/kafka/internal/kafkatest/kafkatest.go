// Package kafkatest helps the Kafka readers' tests find the public
// fixtures (internal/kafka/testdata/kafka-topologies), decode documents,
// read texts with a reader (Dialect) and find the errors they should
// report. Their path is computed from the repository root (the folder
// with go.mod), never from the working directory's depth, and a missing
// folder fails the test rather than skipping it.
package kafkatest

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
)

// RepoRoot returns the absolute path of the folder holding go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	start := ""
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		start = filepath.Dir(file)
	} else {
		wd, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		start = wd
	}
	for dir := start; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			tb.Fatalf("no go.mod above %s", start)
		}
	}
}

// Fixtures returns the absolute path of the public Kafka topology
// fixtures, copied unmodified into internal/kafka/testdata/kafka-topologies
// (SOURCES.md there names each file's repository, commit and licence), so
// the tests run wherever the repository is cloned.
func Fixtures(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "internal", "kafka", "testdata", "kafka-topologies")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Fatalf("the Kafka fixtures are missing at %s: %v", dir, err)
	}
	return dir
}

// FixtureFiles lists the YAML and JSON files of the fixtures, as paths
// relative to Fixtures (julieops/descriptor-short.yaml), sorted.
func FixtureFiles(tb testing.TB) []string {
	tb.Helper()
	root := Fixtures(tb)
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// DecodeFile decodes a file; name is the file name the documents carry
// (as a repository path would be).
func DecodeFile(tb testing.TB, path, name string) []*document.Document {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return Decode(tb, name, string(data))
}

// Decode decodes text as a file of the given name, failing on a syntax
// error.
func Decode(tb testing.TB, name, text string) []*document.Document {
	tb.Helper()
	docs, d := document.Decode(name, []byte(text), document.Limits{})
	if d != nil {
		tb.Fatalf("decode %s: %v", name, d)
	}
	return docs
}

// Seed adds every fixture file to a fuzz corpus.
func Seed(f *testing.F) {
	f.Helper()
	root := Fixtures(f)
	for _, rel := range FixtureFiles(f) {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// CheckDiags fails when a diagnostic has no file or no message: every
// problem must be something an author can find and read.
func CheckDiags(tb testing.TB, diags diag.List, file string) {
	tb.Helper()
	for _, d := range diags {
		if d.File == "" || strings.TrimSpace(d.Message) == "" || d.Code == "" {
			tb.Fatalf("diagnostic without file, message or code: %+v", d)
		}
		if d.File != file {
			tb.Fatalf("diagnostic for file %q, want %q: %v", d.File, file, d)
		}
		if d.Severity != diag.Error && d.Severity != diag.Warning {
			tb.Fatalf("diagnostic with severity %q: %v", d.Severity, d)
		}
	}
}

// Errors returns the error diagnostics.
func Errors(diags diag.List) diag.List {
	var out diag.List
	for _, d := range diags {
		if d.Severity == diag.Error {
			out = append(out, d)
		}
	}
	return out
}

// CheckSources fails when an element of a topology does not say where it
// comes from.
func CheckSources(tb testing.TB, top *kafka.Topology, file string) {
	tb.Helper()
	check := func(what string, s kafka.Source) {
		if s.File != file || s.Pos.Line < 1 || s.Pos.Column < 1 || s.Dialect == "" {
			tb.Fatalf("%s has no proper source: %+v", what, s)
		}
	}
	for _, c := range top.Clusters {
		check("cluster "+c.Name, c.Source)
	}
	for _, p := range top.NodePools {
		check("node pool "+p.Name, p.Source)
	}
	for _, tp := range top.Topics {
		check("topic "+tp.Key().String(), tp.Source)
	}
	for _, a := range top.Applications {
		check("application "+a.Name, a.Source)
		for _, acl := range a.ACLs {
			check("an ACL of "+a.Name, acl.Source)
		}
		for _, r := range append(slices.Clone(a.Produces), a.Consumes...) {
			check("a topic ref of "+a.Name, r.Source)
		}
	}
}

// Fuzz runs a reader over arbitrary files, seeded with every fixture and
// the given texts: it must never panic, every diagnostic must have a file,
// a message and a code, every element a source, and merging what it read
// must hold to the same.
func Fuzz(f *testing.F, read func(*document.Document) (*kafka.Topology, diag.List), seeds ...string) {
	Seed(f)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	limits := document.Limits{MaxFileBytes: 64 << 10, MaxNodes: 20_000, MaxDepth: 32}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, d := document.Decode("fuzz.yaml", data, limits)
		if d != nil {
			return
		}
		var frags []*kafka.Topology
		for _, doc := range docs {
			top, diags := read(doc)
			if top == nil {
				t.Fatal("nil fragment")
			}
			CheckDiags(t, diags, "fuzz.yaml")
			CheckSources(t, top, "fuzz.yaml")
			frags = append(frags, top)
		}
		merged, diags := kafka.Merge(frags...)
		CheckDiags(t, diags, "fuzz.yaml")
		CheckSources(t, merged, "fuzz.yaml")
	})
}

// Dialect is a reader under test: the documents it claims and reads, and
// the file name its tests decode texts as.
type Dialect struct {
	File   string
	Detect func(*document.Document) (reason string, ok bool)
	Read   func(*document.Document) (*kafka.Topology, diag.List)
	// Code is the code of the reader's errors; Guess starts each of its
	// messages ("looks like a JulieOps descriptor (has "), if any.
	Code, Guess string
}

// ReadText decodes text (one document) as d.File, checks that d claims
// it, reads it and checks its diagnostics (see CheckDiags).
func (d Dialect) ReadText(tb testing.TB, text string) (*kafka.Topology, diag.List) {
	tb.Helper()
	docs := Decode(tb, d.File, text)
	if len(docs) != 1 {
		tb.Fatalf("%d documents", len(docs))
	}
	if _, ok := d.Detect(docs[0]); !ok {
		tb.Fatal("not detected")
	}
	top, diags := d.Read(docs[0])
	CheckDiags(tb, diags, d.File)
	return top, diags
}

// WantError reads text (see ReadText) and fails unless it has an error
// at line:col (col 0: any) whose message starts with d.Guess and
// mentions fragment. It returns what was read.
func (d Dialect) WantError(tb testing.TB, text string, line, col int, fragment string) *kafka.Topology {
	tb.Helper()
	top, diags := d.ReadText(tb, text)
	e := WantDiag(tb, diags, d.File, line, col, diag.Error, d.Code, fragment)
	if !strings.HasPrefix(e.Message, d.Guess) {
		tb.Fatalf("the message does not start with %q: %s", d.Guess, e.Message)
	}
	return top
}

// NotDetected fails for each text whose first document d claims.
func (d Dialect) NotDetected(tb testing.TB, texts ...string) {
	tb.Helper()
	for _, text := range texts {
		if _, ok := d.Detect(Decode(tb, "x.yaml", text)[0]); ok {
			tb.Errorf("detected %q", text)
		}
	}
}

// WantDiag finds a diagnostic by file, line, column (0: any), severity,
// code and message fragment, and fails when there is none.
func WantDiag(tb testing.TB, diags diag.List, file string, line, col int, sev diag.Severity, code, fragment string) diag.Diagnostic {
	tb.Helper()
	for _, d := range diags {
		if d.File == file && d.Line == line && (col == 0 || d.Column == col) && d.Severity == sev && d.Code == code && strings.Contains(d.Message, fragment) {
			return d
		}
	}
	tb.Fatalf("no %s %s at %s:%d:%d mentioning %q; got:\n%s", sev, code, file, line, col, fragment, Render(diags))
	return diag.Diagnostic{}
}

// Render lists diagnostics one a line, for failure messages.
func Render(diags diag.List) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}

// RefKeys lists the topics of a produces or consumes list in its order:
// each ref's key (cluster/name, or name alone), ending in "?" where it
// names a topic nobody declares.
func RefKeys(refs []kafka.TopicRef) []string {
	var out []string
	for _, r := range refs {
		s := r.Key().String()
		if !r.Declared {
			s += "?"
		}
		out = append(out, s)
	}
	return out
}
