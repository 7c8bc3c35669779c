package testrepo

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/central-config/central-config/internal/source"
)

// The hostile files of the hardening issue: each, committed by one team to
// the shared config repository, took the engine (and so every team's
// catalog) down. The black-box tests (test/blackbox) and the benchmark of
// the engine's memory with each of them (`make bench SECTIONS=hostile`)
// write them with HostileCases, so both use the very same files.

// Sizes of the hostile files, as in the issue.
const (
	// DeepNesting is how deep the flow lists of deep-lists nest.
	DeepNesting = 100_000
	// DeepMapNesting is how deep the flow mappings of deep-maps nest
	// ("{a: " and "}" per level: 400 KB).
	DeepMapNesting = 80_000
	// AliasedStringBytes is the string that alias-bytes aliases 10x10x10.
	AliasedStringBytes = 1 << 20
	// TextCopies is how many $text placeholders text-copies holds.
	TextCopies = 100
	// TextTargetBytes is the size of the file they all read.
	TextTargetBytes = 40 << 20
	// BlobBytes is the size of the binary blob of big-bin.
	BlobBytes = 200 << 20
	// YAMLCopies is how many entities yaml-copies holds, each with a $yaml
	// placeholder of one file (about 1 MB).
	YAMLCopies = 6000
	// YAMLTargetBytes is the size of the file they all read: under the
	// default limits.maxFileBytes (4 MiB), over limits.maxEntityBytes
	// (3 MiB) once decoded.
	YAMLTargetBytes = 3_900_000
	// BigYAMLBytes is the size of big-yaml, 16 times the default
	// limits.maxFileBytes (4 MiB).
	BigYAMLBytes = 64 << 20
)

// HostileCase is one hostile file (and the files it needs) to add to an
// otherwise good repository.
type HostileCase struct {
	// Name is the short name: a test's and a benchmark's sub-name.
	Name string
	// Title says what the file is, for the benchmark's doc.
	Title string
	// Path is the hostile file, the one the engine's error must name.
	Path string
	// Config is true for a YAML/JSON file the engine decodes; false for
	// a file that is not config (read only when a placeholder names it).
	Config bool
	// Files are the files the case adds, Path among them.
	Files []HostileFile
}

// HostileFile is a file of a case, written by streaming, so that the
// generator never holds a 200 MB file in memory.
type HostileFile struct {
	Path  string
	write func(w out)
}

// out writes a file through a buffer; write errors are sticky, so the
// final Flush reports them.
type out struct{ b *bufio.Writer }

func (w out) str(s string) { _, _ = w.b.WriteString(s) }

func (w out) raw(p []byte) { _, _ = w.b.Write(p) }

// HostileCases returns every hostile file of the issue, in a fixed order.
func HostileCases() []HostileCase {
	return []HostileCase{
		{
			Name:   "deep-lists",
			Title:  fmt.Sprintf("`x: ` and %s `[` then as many `]` (%s)", thousands(DeepNesting), humanBytes(2*DeepNesting)),
			Path:   "hostile/deep-lists.yaml",
			Config: true,
			Files: []HostileFile{{"hostile/deep-lists.yaml", func(w out) {
				w.str("x: ")
				repeat(w, "[", DeepNesting)
				repeat(w, "]", DeepNesting)
				w.str("\n")
			}}},
		},
		{
			Name:   "deep-maps",
			Title:  fmt.Sprintf("`x: {a: {a: ...}}` nested %s deep (%s)", thousands(DeepMapNesting), humanBytes(5*DeepMapNesting)),
			Path:   "hostile/deep-maps.yaml",
			Config: true,
			Files: []HostileFile{{"hostile/deep-maps.yaml", func(w out) {
				w.str("x: ")
				repeat(w, "{a: ", DeepMapNesting)
				w.str("1")
				repeat(w, "}", DeepMapNesting)
				w.str("\n")
			}}},
		},
		{
			Name:   "alias-bytes",
			Title:  fmt.Sprintf("a native Component whose %s annotation is aliased 10x10x10 (1,000 copies)", humanBytes(AliasedStringBytes)),
			Path:   "native/hostile-aliases/catalog-info.yaml",
			Config: true,
			Files:  []HostileFile{{"native/hostile-aliases/catalog-info.yaml", writeAliasBytes}},
		},
		{
			Name:   "text-copies",
			Title:  fmt.Sprintf("a native Component with %d `$text` placeholders of one %s file", TextCopies, humanBytes(TextTargetBytes)),
			Path:   "native/hostile-text/catalog-info.yaml",
			Config: true,
			Files: []HostileFile{
				{"native/hostile-text/catalog-info.yaml", writeTextCopies},
				{"native/hostile-text/big.txt", func(w out) { writeText(w, TextTargetBytes) }},
			},
		},
		{
			Name:  "big-bin",
			Title: fmt.Sprintf("a %s binary blob (`.bin`, not config)", humanBytes(BlobBytes)),
			Path:  "assets/big.bin",
			Files: []HostileFile{{"assets/big.bin", func(w out) { writeRandom(w, BlobBytes) }}},
		},
		{
			Name:   "big-yaml",
			Title:  fmt.Sprintf("a %s `.yaml` of services, over `limits.maxFileBytes` (4 MiB)", humanBytes(BigYAMLBytes)),
			Path:   "services/big.yaml",
			Config: true,
			Files:  []HostileFile{{"services/big.yaml", writeBigYAML}},
		},
	}
}

// LaterHostileCases returns the hostile files found after the benchmark's
// results (docs/benchmarks.md) were last measured: the black-box tests run
// them with HostileCases, the benchmark does not yet.
func LaterHostileCases() []HostileCase {
	return []HostileCase{
		{
			Name:   "yaml-copies",
			Title:  fmt.Sprintf("%s native Components in one file (%s), each with a `$yaml` placeholder of one %s file", thousands(YAMLCopies), humanBytes(yamlCopiesBytes), humanBytes(YAMLTargetBytes)),
			Path:   "native/hostile-yaml/catalog-info.yaml",
			Config: true,
			Files: []HostileFile{
				{"native/hostile-yaml/catalog-info.yaml", writeYAMLCopies},
				{"native/hostile-yaml/big.yaml", func(w out) { writeYAMLList(w, YAMLTargetBytes) }},
			},
		},
	}
}

// AllHostileCases returns HostileCases and LaterHostileCases.
func AllHostileCases() []HostileCase {
	return append(HostileCases(), LaterHostileCases()...)
}

// HostileCaseNamed returns the case called name.
func HostileCaseNamed(name string) (HostileCase, bool) {
	for _, c := range AllHostileCases() {
		if c.Name == name {
			return c, true
		}
	}
	return HostileCase{}, false
}

// Write writes the case's files under dir.
func (c HostileCase) Write(dir string) error {
	for _, f := range c.Files {
		if err := writeStream(filepath.Join(dir, filepath.FromSlash(f.Path)), f.write); err != nil {
			return err
		}
	}
	return nil
}

// Victim is a good file at the case's Path (a native Component named
// name, owned by team-0 of Generate's repositories), for tests of a file
// that syncs good first and turns hostile later: its entity must stay.
func (c HostileCase) Victim(name string) source.File {
	return source.File{Path: c.Path, Content: fmt.Appendf(nil, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  description: The last good version of %s.
spec:
  type: service
  lifecycle: production
  owner: team-0
`, name, c.Path)}
}

// WriteFiles writes files under dir.
func WriteFiles(dir string, files []source.File) error {
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Content); err != nil {
			return err
		}
	}
	return nil
}

func writeStream(path string, write func(w out)) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	write(out{w})
	return w.Flush()
}

func repeat(w out, s string, n int) {
	for range n {
		w.str(s)
	}
}

// writeAliasBytes writes a valid native Component whose annotation holds
// a 1 MiB string (&a), and a custom spec field with a list of ten *a
// (&b), a list of ten *b (&c) and a list of ten *c: 1,000 copies of the
// string, 1 GiB once expanded, in a 1 MiB file of about a thousand values.
func writeAliasBytes(w out) {
	w.str(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile-aliases
  description: One string aliased 10x10x10.
  annotations:
    example.com/blob: &a "`)
	repeat(w, "abcdefghijklmnop", AliasedStringBytes/16)
	w.str(`"
spec:
  type: service
  lifecycle: production
  owner: team-0
  copies:
    b: &b [`)
	list := func(alias string) {
		for i := range 10 {
			if i > 0 {
				w.str(", ")
			}
			w.str("*" + alias)
		}
		w.str("]\n")
	}
	list("a")
	w.str("    c: &c [")
	list("b")
	w.str("    d: [")
	list("c")
}

// writeTextCopies writes a valid native Component with TextCopies $text
// placeholders of big.txt in a custom spec field (about 2.6 KB).
func writeTextCopies(w out) {
	w.str(fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile-text
  description: %d copies of big.txt.
spec:
  type: service
  lifecycle: production
  owner: team-0
  copies:
`, TextCopies))
	repeat(w, "    - {$text: ./big.txt}\n", TextCopies)
}

// yamlCopy is one entity of yaml-copies.
const yamlCopy = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile-yaml-%05d
spec:
  type: service
  lifecycle: production
  owner: team-0
  copy: { $yaml: ./big.yaml }
`

// yamlCopiesBytes is the size of yaml-copies' file.
var yamlCopiesBytes = YAMLCopies*len(fmt.Sprintf(yamlCopy, 0)) + (YAMLCopies-1)*len("---\n")

// writeYAMLCopies writes YAMLCopies valid native Components, each with a
// $yaml placeholder of big.yaml in a custom spec field. Each entity once
// decoded big.yaml again: 0.1 s each, and the run's timeout (10 minutes)
// passed.
func writeYAMLCopies(w out) {
	for i := range YAMLCopies {
		if i > 0 {
			w.str("---\n")
		}
		w.str(fmt.Sprintf(yamlCopy, i))
	}
}

// writeYAMLList writes a YAML list of lines of text of n bytes.
func writeYAMLList(w out, n int) {
	const head, line = "items:\n", "  - The quick brown fox jumps over the lazy dog, again.\n"
	w.str(head)
	n -= len(head)
	for n >= len(line) {
		w.str(line)
		n -= len(line)
	}
	w.str(strings.Repeat("#", n))
}

// writeText writes n bytes of lines of text.
func writeText(w out, n int) {
	const line = "The quick brown fox jumps over the lazy dog, again and again.\n"
	for n >= len(line) {
		w.str(line)
		n -= len(line)
	}
	w.str(strings.Repeat("x", n))
}

// writeRandom writes n pseudo-random bytes (the same on every run), which
// compress as badly as a real binary.
func writeRandom(w out, n int) {
	var seed [32]byte
	copy(seed[:], "central-config hostile big.bin")
	rng := rand.NewChaCha8(seed)
	buf := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, len(buf))
		_, _ = rng.Read(buf[:k])
		w.raw(buf[:k])
		n -= k
	}
}

// writeBigYAML writes valid central-config services (owned by team-0, in
// system-0 of Generate's repositories) until the file is BigYAMLBytes.
func writeBigYAML(w out) {
	const head = "apiVersion: central-config.io/v1\nservices:\n"
	w.str(head)
	n := len(head)
	for i := 0; ; i++ {
		s := fmt.Sprintf("  - name: big-service-%d\n    owner: team-0\n    system: system-0\n", i)
		if n+len(s) > BigYAMLBytes {
			w.str(strings.Repeat("#", BigYAMLBytes-n))
			return
		}
		w.str(s)
		n += len(s)
	}
}

// thousands formats n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// humanBytes formats a size: "200 KB", "1 MiB", "40 MiB".
func humanBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1000:
		return fmt.Sprintf("%d KB", n/1000)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
