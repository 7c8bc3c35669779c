package mapping

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// keyIndex counts, by key, the entities the files of one mapping define
// (the entities of failing files too, as the checks across files count
// them), for the duplicate and dangling-ref checks. A mapping hands it on
// to the next one that maps against it (Options.Previous), which updates
// it with the files that differ, so a small commit costs what it changed
// and not a look at every entity; any other mapping builds its own.
type keyIndex struct {
	// owner is the result whose files the index counts now; a mapping
	// takes the index over from its Previous by swapping it.
	owner atomic.Pointer[Result]
	// keys holds every key defined at least once, and extra how many
	// more times each key defined more than once is: its keys are the
	// duplicates.
	keys  map[string]struct{}
	extra map[string]int32
	// sum is the sum of the keys' hashes: equal sums, equal sets (but
	// for a collision of 64-bit hashes).
	sum uint64
}

// has reports whether a file defines key.
func (x *keyIndex) has(key string) bool {
	_, ok := x.keys[key]
	return ok
}

func (x *keyIndex) add(key string) {
	if _, ok := x.keys[key]; ok {
		x.extra[key]++
		return
	}
	x.keys[key] = struct{}{}
	x.sum += maphash.String(hashSeed, key)
}

// remove takes the one definition of key away. It returns false when
// key is not defined once: not at all (the index does not match the files
// it was told of), or more than once (the index would keep the string of
// a file that may be gone, holding that file's memory; duplicates are
// errors, rare enough to build the index anew then).
func (x *keyIndex) remove(key string) bool {
	if _, dup := x.extra[key]; dup {
		return false
	}
	if _, ok := x.keys[key]; !ok {
		return false
	}
	delete(x.keys, key)
	x.sum -= maphash.String(hashSeed, key)
	return true
}

// definedKeys returns the index of the keys res's files define, owned by
// res: taken over from prev and updated with the files that differ when
// prev owns one, else built from every file.
func definedKeys(res, prev *Result) *keyIndex {
	if prev != nil && prev.index != nil && prev.index.owner.CompareAndSwap(prev, res) {
		if x := prev.index; x.update(prev.Files, res.Files) {
			return x
		}
	}
	total := 0
	for _, f := range res.Files {
		total += len(f.Entities)
	}
	x := &keyIndex{keys: make(map[string]struct{}, total), extra: map[string]int32{}}
	for _, f := range res.Files {
		for _, e := range f.Entities {
			x.add(e.key)
		}
	}
	x.owner.Store(res)
	return x
}

// update makes the index count the entities of files instead of those of
// old (both sorted by path): a file whose entities are the very same (a
// file the mapping reused) costs nothing. False means the index cannot
// be trusted any more and must be built again.
func (x *keyIndex) update(old, files []*File) bool {
	var added []*File
	i, j := 0, 0
	for i < len(old) || j < len(files) {
		c := 0
		switch {
		case i == len(old):
			c = 1
		case j == len(files):
			c = -1
		default:
			c = strings.Compare(old[i].Path, files[j].Path)
		}
		if (c <= 0 && i+1 < len(old) && old[i].Path >= old[i+1].Path) ||
			(c >= 0 && j+1 < len(files) && files[j].Path >= files[j+1].Path) {
			return false
		}
		switch {
		case c < 0:
			if !x.removeAll(old[i]) {
				return false
			}
			i++
		case c > 0:
			added = append(added, files[j])
			j++
		default:
			if a, b := old[i].Entities, files[j].Entities; len(a) != len(b) || len(a) > 0 && &a[0] != &b[0] {
				if !x.removeAll(old[i]) {
					return false
				}
				added = append(added, files[j])
			}
			i++
			j++
		}
	}
	// Removals first: a key removed and added again is stored with the
	// new file's string, so the index holds no memory of a file gone.
	for _, f := range added {
		for _, e := range f.Entities {
			x.add(e.key)
		}
	}
	return true
}

func (x *keyIndex) removeAll(f *File) bool {
	for _, e := range f.Entities {
		if !x.remove(e.key) {
			return false
		}
	}
	return true
}
