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

// lastRead is what the source read at its last snapshot.
type lastRead struct {
	// commit is the commit read.
	commit plumbing.Hash
	// files are the snapshot's files, sorted by path, and blobs the blob
	// each one's content came from (a symlink's: the blob it resolved to).
	files []source.File
	blobs []plumbing.Hash
	// problems and ignored are the snapshot's, sorted by path.
	problems, ignored []source.FileProblem
	// links is true when the tree had a matched symlink: its target may
	// change without the link changing, so the next read walks the whole
	// tree.
	links bool
}

// read fills snap with the files of commit head and, when since is a
// commit we have, with the paths that changed since it. When since is the
// commit the last snapshot read (and that tree had no matched symlink),
// only the paths that differ between the two trees are read; the others
// are carried over from the last snapshot, so a small commit costs what
// it changed. The result is the same as a walk of the whole tree.
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
	if last := s.last; last != nil && !last.links && since == last.commit.String() {
		done, err := s.readChanges(ctx, head, tree, snap)
		if done || err != nil {
			return err
		}
		// Something the incremental read does not handle (a symlink, an
		// odd name, a tree out of order): walk the whole tree.
		*snap = source.Snapshot{Revision: snap.Revision, Links: snap.Links}
	}
	return s.readAll(ctx, head, tree, since, snap)
}

// readAll walks the whole tree of commit head.
func (s *Source) readAll(ctx context.Context, head plumbing.Hash, tree *object.Tree, since string, snap *source.Snapshot) error {
	s.walks++
	st := s.repo.Storer
	tr := &treeReader{st: st, root: tree}

	// cache holds the content of the last snapshot's blobs by id.
	var cache map[plumbing.Hash][]byte
	if last := s.last; last != nil {
		cache = make(map[plumbing.Hash][]byte, len(last.files))
		for i, f := range last.files {
			cache[last.blobs[i]] = f.Content
		}
	}
	// links maps each matched symlink to what it resolved to, for the
	// comparison with the old tree.
	links := map[string]string{}
	var blobs []plumbing.Hash
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
		content, cached := cache[blob]
		if !cached {
			var ok bool
			content, ok, err = s.readBlob(tr, name, blob, snap)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		snap.Files = append(snap.Files, source.File{Path: name, Content: content})
		blobs = append(blobs, blob)
	}
	// The walker goes in git's tree order, which sorts a directory as if
	// its name ended in "/"; sort by plain path as Snapshot promises.
	sortFiles(snap.Files, blobs)
	byPath := func(a, b source.FileProblem) int { return cmp.Compare(a.Path, b.Path) }
	slices.SortFunc(snap.Problems, byPath)
	slices.SortFunc(snap.Ignored, byPath)

	changed, err := s.changed(ctx, since, tree, links)
	if err != nil {
		return err
	}
	snap.Changed = changed
	s.last = &lastRead{commit: head, files: snap.Files, blobs: blobs, problems: snap.Problems, ignored: snap.Ignored, links: len(links) > 0}
	return nil
}

// readBlob reads the content of a file's blob. A blob over the size limit
// is listed as too large (ok false); the size comes from the object's
// header, so it is never inflated.
func (s *Source) readBlob(tr *treeReader, name string, blob plumbing.Hash, snap *source.Snapshot) (content []byte, ok bool, err error) {
	size, err := tr.st.EncodedObjectSize(blob)
	if err != nil {
		return nil, false, &damageError{fmt.Errorf("reading %s: %w", name, err)}
	}
	if size > s.maxFileBytes {
		snap.TooLarge(name, size, s.maxFileBytes)
		return nil, false, nil
	}
	content, err = tr.blob(blob, -1)
	if err != nil {
		return nil, false, &damageError{fmt.Errorf("reading %s: %w", name, err)}
	}
	return content, true, nil
}

// sortFiles sorts files by path, and blobs (one per file) with them.
func sortFiles(files []source.File, blobs []plumbing.Hash) {
	idx := make([]int, len(files))
	for i := range idx {
		idx[i] = i
	}
	if slices.IsSortedFunc(idx, func(a, b int) int { return cmp.Compare(files[a].Path, files[b].Path) }) {
		return
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(files[a].Path, files[b].Path) })
	f2 := make([]source.File, len(files))
	b2 := make([]plumbing.Hash, len(blobs))
	for i, j := range idx {
		f2[i], b2[i] = files[j], blobs[j]
	}
	copy(files, f2)
	copy(blobs, b2)
}

// readChanges fills snap from the last snapshot and the paths that differ
// between its tree and tree: a changed file is read, a removed one
// dropped, and the others are carried over as they were. done is false,
// with snap left for a full walk, when the change holds what only the
// walk of the whole tree handles: a matched symlink, a name git refuses
// or a tree whose entries are out of order.
func (s *Source) readChanges(ctx context.Context, head plumbing.Hash, tree *object.Tree, snap *source.Snapshot) (done bool, err error) {
	st := s.repo.Storer
	last := s.last
	oldTree := commitTree(st, last.commit)
	if oldTree == nil {
		return false, nil
	}
	changes, err := diffTrees(ctx, st, oldTree, tree, true)
	if errors.Is(err, errWalkWhole) {
		return false, nil
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, ctxErr
		}
		return false, nil
	}
	drop := make(map[string]bool, len(changes))
	for _, c := range changes {
		if c.to.Mode == filemode.Symlink && s.filter.Match(c.path) {
			return false, nil
		}
		drop[c.path] = true
	}
	tr := &treeReader{st: st, root: tree}
	// The files read now, then merged with those carried over (both in
	// path order) into the snapshot's.
	var read []source.File
	var readBlobs []plumbing.Hash
	keep := func(ps []source.FileProblem) []source.FileProblem {
		var out []source.FileProblem
		for _, p := range ps {
			if !drop[p.Path] {
				out = append(out, p)
			}
		}
		return out
	}
	snap.Problems, snap.Ignored = keep(last.problems), keep(last.ignored)
	var changed []string
	for _, c := range changes {
		if !s.filter.Match(c.path) {
			continue
		}
		changed = append(changed, c.path)
		if !c.to.Mode.IsFile() {
			continue
		}
		content, ok, err := s.readBlob(tr, c.path, c.to.Hash, snap)
		if err != nil {
			return false, err
		}
		if ok {
			read = append(read, source.File{Path: c.path, Content: content})
			readBlobs = append(readBlobs, c.to.Hash)
		}
	}
	sortFiles(read, readBlobs)
	files := make([]source.File, 0, len(last.files)+len(read))
	blobs := make([]plumbing.Hash, 0, len(last.files)+len(read))
	j := 0
	for i, f := range last.files {
		if drop[f.Path] {
			continue
		}
		for ; j < len(read) && read[j].Path < f.Path; j++ {
			files, blobs = append(files, read[j]), append(blobs, readBlobs[j])
		}
		files, blobs = append(files, f), append(blobs, last.blobs[i])
	}
	files, blobs = append(files, read[j:]...), append(blobs, readBlobs[j:]...)
	byPath := func(a, b source.FileProblem) int { return cmp.Compare(a.Path, b.Path) }
	slices.SortFunc(snap.Problems, byPath)
	slices.SortFunc(snap.Ignored, byPath)
	slices.Sort(changed)
	snap.Files, snap.Changed = files, slices.Compact(changed)
	if snap.Changed == nil {
		snap.Changed = []string{}
	}
	s.last = &lastRead{commit: head, files: files, blobs: blobs, problems: snap.Problems, ignored: snap.Ignored}
	return true, nil
}

// changed lists the matched paths that differ between commit since and
// tree: what the tree diff reports, plus symlinks whose own blob is the
// same but whose target's content (or reachability) changed. It returns
// nil when since is not a commit in the clone, which tells the caller to
// treat every file as changed.
func (s *Source) changed(ctx context.Context, since string, tree *object.Tree, links map[string]string) ([]string, error) {
	if !plumbing.IsHash(since) {
		return nil, nil
	}
	st := s.repo.Storer
	oldTree := commitTree(st, plumbing.NewHash(since))
	if oldTree == nil {
		return nil, nil
	}
	// No rename detection: a renamed file is a removed path and a new
	// one, which is what a consumer keyed by path needs.
	changes, err := diffTrees(ctx, st, oldTree, tree, false)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &damageError{fmt.Errorf("comparing with commit %s: %w", since, err)}
	}
	set := map[string]bool{}
	for _, c := range changes {
		if s.filter.Match(c.path) {
			set[c.path] = true
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

// commitTree is the tree of commit h, or nil when the clone does not have
// it (a revision it never fetched, say).
func commitTree(st storer.EncodedObjectStorer, h plumbing.Hash) *object.Tree {
	c, err := object.GetCommit(st, h)
	if err != nil {
		return nil
	}
	tree, err := c.Tree()
	if err != nil {
		return nil
	}
	return tree
}
