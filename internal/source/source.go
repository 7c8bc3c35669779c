// Package source defines what the engine reads a config repo from: a Source
// returns a Snapshot (a revision and the files at that revision). The git,
// github and dir sub-packages implement it.
package source

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
)

// Source fetches a config repository.
type Source interface {
	// ID is the source's stable name from config (used in status and
	// annotations).
	ID() string
	// Fetch returns the files at the newest revision of the source. When
	// since is that same revision, it may return a Snapshot with Unchanged
	// set and no files, so an unchanged repository costs next to nothing.
	Fetch(ctx context.Context, since string) (*Snapshot, error)
}

// Snapshot is the content of a source at one revision.
type Snapshot struct {
	// Revision identifies the content: a commit SHA for git and github,
	// a content hash for dir.
	Revision string
	// Unchanged is true when Revision equals the since argument of Fetch;
	// Files is then empty.
	Unchanged bool
	// Files holds every file that passed the source's path filter, sorted
	// by path, except those in Problems and Ignored.
	Files []File
	// Changed lists the paths that differ from the since revision when
	// the source can tell (git, github); nil means unknown, treat all files
	// as changed.
	Changed []string
	// Problems are file-level problems found while reading the snapshot,
	// such as a symlink that leaves the repository. The file is left out
	// of Files.
	Problems []FileProblem
	// Ignored are files that passed the path filter but were not read,
	// and why: files other than YAML and JSON that are larger than the
	// size limit. The engine never decodes them, so they are no error,
	// but a $text/$json/$yaml placeholder that names one cannot use it.
	// They are left out of Files.
	Ignored []FileProblem
	// Outside lists, sorted, the files that the source's paths filter
	// left out: paths only, never read, so that `validate` can tell what
	// it did not look at. Only sources that walk every file anyway fill
	// it (dir); files in hidden folders are not listed.
	Outside []string
	// Links builds browser URLs to a file at this revision, for the
	// view/edit annotations, and to commits, for the status API. It is nil
	// for sources without a web view.
	Links Links
}

// File is one file of a snapshot. Path is slash-separated and relative to
// the repository root.
type File struct {
	Path    string
	Content []byte
}

// FileProblem is a file the source refused to read, and why.
type FileProblem struct {
	Path    string
	Code    string
	Message string
}

// IsConfigPath reports whether the engine decodes the file at p as
// config: YAML or JSON, by extension. Other files are read only by
// $text/$json/$yaml placeholders.
func IsConfigPath(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// FileLimit is the size limit a source applies for a configured limit of
// n bytes (centralConfig.limits.maxFileBytes): n, or the decoder's default
// when n is not positive. Sources never read a larger file into memory.
func FileLimit(n int64) int64 {
	if n <= 0 {
		return int64(document.DefaultLimits.MaxFileBytes)
	}
	return n
}

// TooLarge records a file of size bytes, over the limit, that the source
// did not read: a config file as a problem, so that its last good
// entities are kept, any other file as ignored.
func (s *Snapshot) TooLarge(p string, size, limit int64) {
	msg := fmt.Sprintf("file is %d bytes, more than the limit of %d (centralConfig.limits.maxFileBytes); it was not read", size, limit)
	if IsConfigPath(p) {
		s.Problems = append(s.Problems, FileProblem{Path: p, Code: diag.CodeTooLarge, Message: msg})
		return
	}
	s.Ignored = append(s.Ignored, FileProblem{Path: p, Code: diag.CodeTooLarge,
		Message: msg + ", so a $text/$json/$yaml placeholder cannot use it"})
}

// Links turns a repository path into URLs, at a given revision.
type Links interface {
	// Location is the base that Backstage's location annotations point at,
	// for example "url:https://github.com/org/repo/blob/<rev>/catalog/x.yaml".
	Location(revision, path string) string
	// View is the browser URL of the file.
	View(revision, path string) string
	// Edit is the browser URL to edit the file on its branch, or "".
	Edit(path string) string
	// Commit is the browser URL of a commit (a revision), or "" when the
	// source does not know one.
	Commit(revision string) string
}

// Filter selects which repository paths a source reads, by doublestar globs
// such as "catalog/**" or "kafka/*.yaml". Files in hidden folders (.git,
// .github) are skipped. Files of any type pass: the mapping reads YAML and
// JSON as config, and Backstage placeholders ($text) may read any file.
type Filter struct {
	patterns []string
}

// DefaultPaths is what a source reads when config names no paths.
var DefaultPaths = []string{"**"}

// NewFilter checks the patterns and returns a filter. An empty list means
// DefaultPaths.
func NewFilter(patterns []string) (*Filter, error) {
	if len(patterns) == 0 {
		patterns = DefaultPaths
	}
	for _, p := range patterns {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("invalid path pattern %q", p)
		}
		if strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("path pattern %q must be relative to the repository root", p)
		}
	}
	return &Filter{patterns: patterns}, nil
}

// Match reports whether the slash-separated repository path is read.
func (f *Filter) Match(p string) bool {
	if inHiddenFolder(p) {
		return false
	}
	for _, pat := range f.patterns {
		if ok, _ := doublestar.Match(pat, p); ok {
			return true
		}
	}
	return false
}

func inHiddenFolder(p string) bool {
	for _, part := range strings.Split(path.Dir(p), "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}

// ErrUnknownSource is returned for a source id that is not configured
// (by the syncer; the HTTP API answers it with 404).
var ErrUnknownSource = errors.New("unknown source")

// ErrSymlinkEscape is wrapped by errors about symlinks that point outside
// the repository; sources refuse to follow them.
var ErrSymlinkEscape = errors.New("symlink points outside the repository")

// ResolveLink resolves a symlink found at linkPath whose target is target,
// both inside a repository, and returns the slash-separated repository path
// it points at. It refuses absolute targets and targets that climb out of
// the repository root.
func ResolveLink(linkPath, target string) (string, error) {
	if strings.HasPrefix(target, "/") || strings.Contains(target, "\\") {
		return "", fmt.Errorf("%s -> %s: %w", linkPath, target, ErrSymlinkEscape)
	}
	joined := path.Join(path.Dir(linkPath), target)
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "", fmt.Errorf("%s -> %s: %w", linkPath, target, ErrSymlinkEscape)
	}
	return joined, nil
}
