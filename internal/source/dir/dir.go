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
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	// MaxFileBytes refuses files larger than this without reading them;
	// see source.FileLimit for the default.
	MaxFileBytes int64
}

// Source reads a local folder.
type Source struct {
	opts     Options
	root     string
	filter   *source.Filter
	maxBytes int64
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
	return &Source{opts: opts, root: root, filter: filter, maxBytes: source.FileLimit(opts.MaxFileBytes)}, nil
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
			snap.Outside = append(snap.Outside, rel)
			return nil
		}
		if content, ok := s.read(root, p, rel, d, snap); ok {
			snap.Files = append(snap.Files, source.File{Path: rel, Content: content})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dir source %s: %w", s.opts.ID, err)
	}
	sort.Slice(snap.Files, func(i, j int) bool { return snap.Files[i].Path < snap.Files[j].Path })
	slices.Sort(snap.Outside)
	h := sha256.New()
	for _, f := range snap.Files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Path, len(f.Content))
		h.Write(f.Content)
	}
	// What was not read counts too: a file that grows past the limit
	// changes the snapshot.
	for _, p := range slices.Concat(snap.Problems, snap.Ignored) {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", p.Path, p.Code, p.Message)
	}
	snap.Revision = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if snap.Revision == since {
		return &source.Snapshot{Revision: since, Unchanged: true, Links: snap.Links}, nil
	}
	return snap, nil
}

// read returns a regular file's content, following a symlink only when its
// target stays inside the folder, whose real path is root. It records in
// snap why it read nothing, unless the path is not a file at all, and
// reports whether it read the file.
func (s *Source) read(root, abs, rel string, d fs.DirEntry, snap *source.Snapshot) ([]byte, bool) {
	problem := func(code, msg string) ([]byte, bool) {
		snap.Problems = append(snap.Problems, source.FileProblem{Path: rel, Code: code, Message: msg})
		return nil, false
	}
	if d.Type()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return problem(diag.CodeSymlink, "broken symlink: "+err.Error())
		}
		inside, err := filepath.Rel(root, target)
		if err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
			return problem(diag.CodeSymlink, "symlink points outside the repository; it is not followed")
		}
		info, err := os.Stat(target)
		if err != nil || !info.Mode().IsRegular() {
			return nil, false
		}
	} else if !d.Type().IsRegular() {
		return nil, false
	}
	f, err := os.Open(abs)
	if err != nil {
		return problem(diag.CodeParse, "cannot read file: "+err.Error())
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return problem(diag.CodeParse, "cannot read file: "+err.Error())
	}
	if info.Size() > s.maxBytes {
		snap.TooLarge(rel, info.Size(), s.maxBytes)
		return nil, false
	}
	// No more than Stat said: a file that grows meanwhile stays under
	// the limit.
	content, err := io.ReadAll(io.LimitReader(f, info.Size()))
	if err != nil {
		return problem(diag.CodeParse, "cannot read file: "+err.Error())
	}
	return content, true
}

// fileLinks points Backstage's location annotations at the file on disk.
type fileLinks struct{ root string }

func (l fileLinks) Location(_, p string) string {
	return "file:" + filepath.Join(l.root, filepath.FromSlash(p))
}
func (l fileLinks) View(string, string) string { return "" }
func (l fileLinks) Edit(string) string         { return "" }
func (l fileLinks) Commit(string) string       { return "" }
