package git

import (
	"context"
	"errors"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// treeChange is a path whose entry differs between two trees; from or to
// has a zero Mode where the path is absent on that side. Directories are
// never changes themselves: the entries under them are.
type treeChange struct {
	path     string
	from, to object.TreeEntry
}

// errWalkWhole tells a strict diff's caller to walk the whole tree.
var errWalkWhole = errors.New("the change needs a walk of the whole tree")

// maxDiffDepth bounds how deep the diff descends, as go-git's tree walker
// bounds its own walk.
const maxDiffDepth = 1024

// diffTrees lists the non-directory entries that differ between trees a
// and b (either may be nil), by path. Subtrees with the same id on both
// sides are not read, so the cost is that of the directories on the
// changed paths. Strict returns errWalkWhole for an entry on a changed
// path whose name git's tree walker might refuse, so the caller reads
// the tree the way that refuses it.
func diffTrees(ctx context.Context, st storer.EncodedObjectStorer, a, b *object.Tree, strict bool) ([]treeChange, error) {
	d := &treeDiff{ctx: ctx, st: st, strict: strict}
	if err := d.dir("", a, b, 0); err != nil {
		return nil, err
	}
	return d.out, nil
}

type treeDiff struct {
	ctx    context.Context
	st     storer.EncodedObjectStorer
	strict bool
	out    []treeChange
}

func (d *treeDiff) dir(prefix string, a, b *object.Tree, depth int) error {
	if depth > maxDiffDepth {
		return errWalkWhole
	}
	if err := d.ctx.Err(); err != nil {
		return err
	}
	var ae, be []object.TreeEntry
	if a != nil {
		ae = a.Entries
	}
	if b != nil {
		be = b.Entries
	}
	i, j := 0, 0
	for i < len(ae) || j < len(be) {
		var c int
		switch {
		case i == len(ae):
			c = 1
		case j == len(be):
			c = -1
		default:
			c = compareEntries(&ae[i], &be[j])
		}
		if d.strict {
			// The merge needs both lists in git's order.
			if c <= 0 && i+1 < len(ae) && compareEntries(&ae[i], &ae[i+1]) >= 0 {
				return errWalkWhole
			}
			if c >= 0 && j+1 < len(be) && compareEntries(&be[j], &be[j+1]) >= 0 {
				return errWalkWhole
			}
		}
		var err error
		switch {
		case c < 0:
			err = d.side(prefix, &ae[i], true, depth)
			i++
		case c > 0:
			err = d.side(prefix, &be[j], false, depth)
			j++
		default:
			x, y := &ae[i], &be[j]
			i++
			j++
			if x.Hash == y.Hash && x.Mode == y.Mode {
				continue
			}
			if d.strict && oddName(y.Name) {
				return errWalkWhole
			}
			p := join(prefix, y.Name)
			if x.Mode == filemode.Dir {
				var ta, tb *object.Tree
				if ta, err = object.GetTree(d.st, x.Hash); err == nil {
					if tb, err = object.GetTree(d.st, y.Hash); err == nil {
						err = d.dir(p, ta, tb, depth+1)
					}
				}
			} else {
				d.out = append(d.out, treeChange{path: p, from: *x, to: *y})
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// side records an entry present on one side only: removed (from the old
// tree) or added; a directory with everything under it.
func (d *treeDiff) side(prefix string, e *object.TreeEntry, removed bool, depth int) error {
	if d.strict && !removed && oddName(e.Name) {
		return errWalkWhole
	}
	p := join(prefix, e.Name)
	if e.Mode == filemode.Dir {
		t, err := object.GetTree(d.st, e.Hash)
		if err != nil {
			return err
		}
		if removed {
			return d.dir(p, t, nil, depth+1)
		}
		return d.dir(p, nil, t, depth+1)
	}
	c := treeChange{path: p}
	if removed {
		c.from = *e
	} else {
		c.to = *e
	}
	d.out = append(d.out, c)
	return nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// compareEntries orders tree entries as git does: by name, a directory's
// as if it ended in "/".
func compareEntries(a, b *object.TreeEntry) int {
	an, bn := a.Name, b.Name
	n := min(len(an), len(bn))
	if c := strings.Compare(an[:n], bn[:n]); c != 0 {
		return c
	}
	ac, bc := tail(an, n, a.Mode == filemode.Dir), tail(bn, n, b.Mode == filemode.Dir)
	switch {
	case ac < bc:
		return -1
	case ac > bc:
		return 1
	}
	return 0
}

// tail is the byte after the first n of name (name and a directory's
// "/" included), or 0 past its end.
func tail(name string, n int, dir bool) int {
	switch {
	case n < len(name):
		return int(name[n]) + 1
	case dir:
		return '/' + 1
	}
	return 0
}

// oddName reports names that git's tree walker may refuse (control
// characters, separators, ".", "..", forms of ".git" on some file
// system) or that need a closer look: a change that adds one is read by
// the walk of the whole tree, which refuses it as before.
func oddName(name string) bool {
	if name == "" || name == "." || name == ".." {
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c >= 0x7f || c == '\\' || c == ':' || c == '/' {
			return true
		}
	}
	lower := strings.ToLower(name)
	return strings.Contains(lower, "git") && (strings.HasPrefix(lower, ".") || strings.Contains(lower, "~"))
}
