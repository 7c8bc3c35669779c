package git

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
)

// maxLinkHops bounds symlink chains, which also ends loops.
const maxLinkHops = 8

// maxLinkTarget bounds what is read as a symlink target; git stores
// targets as blobs, and a real target is a short path.
const maxLinkTarget = 4096

// read fills snap with the files of commit head and, when since is a
// commit we have, with the paths that changed since it.
func (s *Source) read(ctx context.Context, head plumbing.Hash, since string, snap *source.Snapshot) error {
	st := s.repo.Storer
	commit, err := object.GetCommit(st, head)
	if err != nil {
		return &damageError{fmt.Errorf("reading commit %s: %w", head, err)}
	}
	tree, err := commit.Tree()
	if err != nil {
		return &damageError{fmt.Errorf("reading the tree of commit %s: %w", head, err)}
	}
	tr := &treeReader{st: st, root: tree}

	// links maps each matched symlink to what it resolved to, for the
	// comparison with the old tree.
	links := map[string]string{}
	blobs := make(map[plumbing.Hash][]byte, len(s.blobs))
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, entry, err := w.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &damageError{fmt.Errorf("walking the tree of commit %s: %w", head, err)}
		}
		if !entry.Mode.IsFile() || !s.filter.Match(name) {
			continue
		}
		blob := entry.Hash
		if entry.Mode == filemode.Symlink {
			blob, err = tr.resolve(name)
			var lp *linkProblem
			if errors.As(err, &lp) {
				links[name] = "!" + lp.msg
				snap.Problems = append(snap.Problems, source.FileProblem{Path: name, Code: diag.CodeSymlink, Message: lp.msg})
				continue
			}
			if err != nil {
				return &damageError{err}
			}
			links[name] = blob.String()
		}
		content, cached := s.blobs[blob]
		if !cached {
			// The size comes from the object's header: a blob over the
			// limit is never inflated.
			size, err := st.EncodedObjectSize(blob)
			if err != nil {
				return &damageError{fmt.Errorf("reading %s: %w", name, err)}
			}
			if size > s.maxFileBytes {
				snap.TooLarge(name, size, s.maxFileBytes)
				continue
			}
			content, err = tr.blob(blob, -1)
			if err != nil {
				return &damageError{fmt.Errorf("reading %s: %w", name, err)}
			}
		}
		blobs[blob] = content
		snap.Files = append(snap.Files, source.File{Path: name, Content: content})
	}
	s.blobs = blobs
	// The walker goes in git's tree order, which sorts a directory as if
	// its name ended in "/"; sort by plain path as Snapshot promises.
	slices.SortFunc(snap.Files, func(a, b source.File) int { return cmp.Compare(a.Path, b.Path) })
	byPath := func(a, b source.FileProblem) int { return cmp.Compare(a.Path, b.Path) }
	slices.SortFunc(snap.Problems, byPath)
	slices.SortFunc(snap.Ignored, byPath)

	snap.Changed, err = s.changed(ctx, since, tree, links)
	return err
}

// changed lists the matched paths that differ between commit since and
// tree: what DiffTree reports, plus symlinks whose own blob is the same but
// whose target's content (or reachability) changed. It returns nil when
// since is not a commit in the clone, which tells the caller to treat
// every file as changed.
func (s *Source) changed(ctx context.Context, since string, tree *object.Tree, links map[string]string) ([]string, error) {
	if !plumbing.IsHash(since) {
		return nil, nil
	}
	st := s.repo.Storer
	old, err := object.GetCommit(st, plumbing.NewHash(since))
	if err != nil {
		return nil, nil
	}
	oldTree, err := old.Tree()
	if err != nil {
		return nil, nil
	}
	// No rename detection: a renamed file is a removed path and a new
	// one, which is what a consumer keyed by path needs.
	changes, err := object.DiffTreeWithOptions(ctx, oldTree, tree, nil)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &damageError{fmt.Errorf("comparing with commit %s: %w", since, err)}
	}
	set := map[string]bool{}
	for _, c := range changes {
		for _, p := range []string{c.From.Name, c.To.Name} {
			if p != "" && s.filter.Match(p) {
				set[p] = true
			}
		}
	}
	oldReader := &treeReader{st: st, root: oldTree}
	for p, now := range links {
		if set[p] {
			continue
		}
		var before string
		h, err := oldReader.resolve(p)
		var lp *linkProblem
		switch {
		case errors.As(err, &lp):
			before = "!" + lp.msg
		case err != nil:
			return nil, &damageError{err}
		default:
			before = h.String()
		}
		if before != now {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// linkProblem is a symlink that cannot be read: it leaves the
// repository, dangles, loops or names a directory. msg is written for the
// config repo's author.
type linkProblem struct{ msg string }

func (e *linkProblem) Error() string { return e.msg }

// treeReader looks up paths in one commit tree, following symlinks.
type treeReader struct {
	st   storer.EncodedObjectStorer
	root *object.Tree
}

// resolve follows the symlink at linkPath, through chains and through
// symlinked directories on the way, and returns the blob it ends at.
// Every step stays inside the tree: source.ResolveLink refuses targets
// that are absolute or climb above the root.
func (r *treeReader) resolve(linkPath string) (plumbing.Hash, error) {
	p := linkPath
	for hops := 0; ; hops++ {
		blob, next, err := r.lookup(linkPath, p)
		if err != nil || next == "" {
			return blob, err
		}
		if hops == maxLinkHops {
			return plumbing.ZeroHash, &linkProblem{fmt.Sprintf("symlink not read: more than %d symlinks in a row (a loop?)", maxLinkHops)}
		}
		p = next
	}
}

// lookup walks p from the root one name at a time. It returns the blob
// when p is a file, or, when it meets a symlink on the way, the path that
// p becomes with that link replaced by its target.
func (r *treeReader) lookup(linkPath, p string) (blob plumbing.Hash, next string, err error) {
	if p == "." {
		return plumbing.ZeroHash, "", &linkProblem{"symlink not read: it points at the repository root, a directory"}
	}
	names := strings.Split(p, "/")
	t := r.root
	for i, name := range names {
		here := strings.Join(names[:i+1], "/")
		last := i == len(names)-1
		e := findEntry(t, name)
		if e == nil {
			return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: its target %s does not exist in the repository", p)}
		}
		switch {
		case e.Mode == filemode.Symlink:
			target, err := r.blob(e.Hash, maxLinkTarget)
			if errors.Is(err, errBlobTooLarge) {
				return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: %s has a target longer than %d bytes", here, maxLinkTarget)}
			}
			if err != nil {
				return plumbing.ZeroHash, "", fmt.Errorf("reading symlink %s: %w", here, err)
			}
			dest, err := source.ResolveLink(here, string(target))
			if errors.Is(err, source.ErrSymlinkEscape) {
				if here == linkPath {
					return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: its target %q is outside the repository", target)}
				}
				return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: it leads to %s, whose target %q is outside the repository", here, target)}
			}
			if err != nil {
				return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: %v", err)}
			}
			return plumbing.ZeroHash, path.Join(dest, strings.Join(names[i+1:], "/")), nil
		case e.Mode == filemode.Dir && last:
			return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: its target %s is a directory", p)}
		case e.Mode == filemode.Dir:
			sub, err := object.GetTree(r.st, e.Hash)
			if err != nil {
				return plumbing.ZeroHash, "", fmt.Errorf("reading directory %s: %w", here, err)
			}
			t = sub
		case e.Mode.IsFile() && last:
			return e.Hash, "", nil
		case e.Mode.IsFile():
			return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: its target %s does not exist in the repository (%s is a file)", p, here)}
		default:
			return plumbing.ZeroHash, "", &linkProblem{fmt.Sprintf("symlink not read: its target %s is inside submodule %s", p, here)}
		}
	}
	panic("unreachable: the loop returns on the last name")
}

// findEntry returns the entry called name in t, or nil.
func findEntry(t *object.Tree, name string) *object.TreeEntry {
	for i := range t.Entries {
		if t.Entries[i].Name == name {
			return &t.Entries[i]
		}
	}
	return nil
}

// errBlobTooLarge is returned by blob for a blob over its limit.
var errBlobTooLarge = errors.New("blob too large")

// blob reads a blob, refusing more than limit bytes when limit >= 0.
func (r *treeReader) blob(h plumbing.Hash, limit int64) ([]byte, error) {
	b, err := object.GetBlob(r.st, h)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && b.Size > limit {
		return nil, fmt.Errorf("blob %s is %d bytes: %w", h, b.Size, errBlobTooLarge)
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rd.Close() }()
	// Read into a slice of the size the header gives: the source keeps
	// the content until the next fetch, and io.ReadAll's growing buffer
	// would keep up to twice that.
	content := make([]byte, b.Size)
	if _, err := io.ReadFull(rd, content); err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	return content, nil
}
