// Package dir reads a config repository from a local folder: a checkout in
// CI for `central-config validate`, or a mounted volume. The revision is a
// hash of the content, so an unchanged folder costs no mapping work.
package dir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
)

// Options configure a folder source.
type Options struct {
	ID    string
	Path  string
	Paths []string
	// MaxFileBytes refuses files larger than this without reading them.
	// 0 means no limit.
	MaxFileBytes int64
}

// Source reads a local folder.
type Source struct {
	opts   Options
	root   string
	filter *source.Filter
}

// New checks the options and returns the source.
func New(opts Options) (*Source, error) {
	if opts.Path == "" {
		return nil, errors.New("dir source: path is required")
	}
	root, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("dir source: %w", err)
	}
	filter, err := source.NewFilter(opts.Paths)
	if err != nil {
		return nil, fmt.Errorf("dir source %s: %w", opts.ID, err)
	}
	return &Source{opts: opts, root: root, filter: filter}, nil
}

// ID implements source.Source.
func (s *Source) ID() string { return s.opts.ID }

// Fetch implements source.Source. The revision is the SHA-256 of every
// path and content read, so it changes exactly when what the engine reads
// changes.
func (s *Source) Fetch(ctx context.Context, since string) (*source.Snapshot, error) {
	// Walk the folder's real path: WalkDir does not descend into a root
	// that is a symlink, and symlink targets are resolved to real paths, so
	// comparing them with a root reached through a symlink (the folder
	// itself, or a parent such as macOS's /var) would call every inside
	// link outside. Resolved on each fetch, as a mounted volume may swap it.
	root, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return nil, fmt.Errorf("dir source %s: %w", s.opts.ID, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("dir source %s: %w", s.opts.ID, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("dir source %s: %s is not a folder", s.opts.ID, s.root)
	}
	snap := &source.Snapshot{Links: fileLinks{root: s.root}}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !s.filter.Match(rel) {
			return nil
		}
		content, problem := s.read(root, p, rel, d)
		if problem != nil {
			snap.Problems = append(snap.Problems, *problem)
			return nil
		}
		if content != nil {
			snap.Files = append(snap.Files, source.File{Path: rel, Content: content})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dir source %s: %w", s.opts.ID, err)
	}
	sort.Slice(snap.Files, func(i, j int) bool { return snap.Files[i].Path < snap.Files[j].Path })
	h := sha256.New()
	for _, f := range snap.Files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Path, len(f.Content))
		h.Write(f.Content)
	}
	snap.Revision = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if snap.Revision == since {
		return &source.Snapshot{Revision: since, Unchanged: true, Links: snap.Links}, nil
	}
	return snap, nil
}

// read returns a regular file's content, following a symlink only when its
// target stays inside the folder, whose real path is root.
func (s *Source) read(root, abs, rel string, d fs.DirEntry) ([]byte, *source.FileProblem) {
	if d.Type()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, &source.FileProblem{Path: rel, Code: diag.CodeSymlink, Message: "broken symlink: " + err.Error()}
		}
		inside, err := filepath.Rel(root, target)
		if err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
			return nil, &source.FileProblem{Path: rel, Code: diag.CodeSymlink, Message: "symlink points outside the repository; it is not followed"}
		}
		info, err := os.Stat(target)
		if err != nil || !info.Mode().IsRegular() {
			return nil, nil
		}
	} else if !d.Type().IsRegular() {
		return nil, nil
	}
	if s.opts.MaxFileBytes > 0 {
		if info, err := os.Stat(abs); err == nil && info.Size() > s.opts.MaxFileBytes {
			return nil, &source.FileProblem{Path: rel, Code: diag.CodeTooLarge,
				Message: fmt.Sprintf("file is %d bytes, more than the limit of %d (limits.maxFileBytes)", info.Size(), s.opts.MaxFileBytes)}
		}
	}
	content, err := os.ReadFile(abs)
	if err != nil {
		return nil, &source.FileProblem{Path: rel, Code: diag.CodeParse, Message: "cannot read file: " + err.Error()}
	}
	return content, nil
}

// fileLinks points Backstage's location annotations at the file on disk.
type fileLinks struct{ root string }

func (l fileLinks) Location(_, p string) string {
	return "file:" + filepath.Join(l.root, filepath.FromSlash(p))
}
func (l fileLinks) View(string, string) string { return "" }
func (l fileLinks) Edit(string) string         { return "" }
func (l fileLinks) Commit(string) string       { return "" }
