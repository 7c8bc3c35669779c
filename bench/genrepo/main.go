// Command genrepo writes a synthetic config repository of N entities in the
// central-config format, for benchmarks and the validity oracle, and
// optionally a Kafka topology (--kafka-topics, --kafka-apps) and the same
// entities as native Backstage catalog-info files (--native), each as a
// git repository if asked (--git).
//
//	go run ./bench/genrepo -entities 10000 -out /tmp/repo -native /tmp/native -git
//
// The native tree mirrors the config repository: one multi-document file
// per config file, holding exactly the entities the engine publishes for it
// (what `central-config render` prints), and a root catalog-info.yaml, a
// Location whose targets are those files. Register that root as a `file`
// or `url` location in stock Backstage to read the same catalog without
// central-config.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

func main() {
	n := flag.Int("entities", 1000, "about how many entities to generate")
	topics := flag.Int("kafka-topics", 0, "also write kafka/topology.yaml with this many topics (e.g. 5000)")
	apps := flag.Int("kafka-apps", 1000, "applications of that topology")
	out := flag.String("out", "", "folder to write the config repository to (replaced)")
	native := flag.String("native", "", "also write the same entities as native catalog-info files to this folder (replaced)")
	git := flag.Bool("git", false, "make each written folder a git repository with one commit on main")
	flag.Parse()
	if *out == "" {
		fail(fmt.Errorf("--out is required"), 2)
	}
	files := testrepo.Generate(*n)
	if *topics > 0 {
		files = append(files, testrepo.GenerateKafka(*topics, *apps, testrepo.Teams(*n)))
	}
	if err := writeTree(*out, files, *git); err != nil {
		fail(err, 1)
	}
	if *native != "" {
		nativeFiles, err := Native(files)
		if err != nil {
			fail(err, 1)
		}
		if err := writeTree(*native, nativeFiles, *git); err != nil {
			fail(err, 1)
		}
	}
}

func fail(err error, code int) {
	fmt.Fprintln(os.Stderr, "genrepo:", err)
	os.Exit(code)
}

// Native maps a config repository the way the engine does and returns its
// entities as native catalog-info files: one per config file (same path,
// one YAML document per entity) and a root catalog-info.yaml Location
// listing them. It fails if the repository does not map cleanly.
func Native(files []source.File) ([]source.File, error) {
	res := mapping.Map(&source.Snapshot{Revision: "genrepo", Files: files}, mapping.Options{SourceID: "genrepo"})
	if res.Diagnostics.HasErrors() {
		return nil, fmt.Errorf("the generated repository does not map cleanly: %s", res.Diagnostics[0].String())
	}
	byFile := map[string]*bytes.Buffer{}
	for _, e := range res.Entities() {
		buf := byFile[e.File]
		if buf == nil {
			buf = &bytes.Buffer{}
			byFile[e.File] = buf
		}
		if buf.Len() > 0 {
			buf.WriteString("---\n")
		}
		if err := encode(buf, withoutLocation(e.Object)); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Ref, err)
		}
	}
	paths := make([]string, 0, len(byFile))
	for p := range byFile {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]source.File, 0, len(paths)+1)
	targets := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, source.File{Path: p, Content: byFile[p].Bytes()})
		targets = append(targets, "./"+p)
	}
	var root bytes.Buffer
	if err := encode(&root, map[string]any{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Location",
		"metadata":   map[string]any{"name": "generated-catalog", "description": "Every file of the generated catalog."},
		"spec":       map[string]any{"targets": targets},
	}); err != nil {
		return nil, err
	}
	return append(out, source.File{Path: "catalog-info.yaml", Content: root.Bytes()}), nil
}

// withoutLocation drops the managed-by annotations: Backstage sets them
// itself for the location it reads a file from.
func withoutLocation(obj map[string]any) map[string]any {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	delete(ann, "backstage.io/managed-by-location")
	delete(ann, "backstage.io/managed-by-origin-location")
	return obj
}

// encode writes v as one YAML document, indented like catalog-info files.
func encode(buf *bytes.Buffer, v any) error {
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

// writeTree replaces dir with files and, if git, commits them on main.
func writeTree(dir string, files []source.File, git bool) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return err
		}
	}
	if !git {
		return nil
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=genrepo", "-c", "user.email=genrepo@central-config.invalid", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "Generated by bench/genrepo"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s in %s: %w\n%s", args[0], dir, err, out)
		}
	}
	return nil
}
