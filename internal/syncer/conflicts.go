package syncer

import (
	"regexp"

	"github.com/central-config/central-config/internal/mapping"
)

// Conflicts between sources: an entity belongs to the first source that
// published it; a later source's copy is refused (see plan and the store's
// Commit claims).

// conflictMessage is the source-conflict error of a refused copy, with
// the entity ref and the source that publishes it; ConflictOf reads it.
const conflictMessage = "entity %s is already published by source %q, which published it first; " +
	"this copy is refused and the file keeps the entities of its last good revision"

var conflictPattern = regexp.MustCompile(`^entity (\S+) is already published by source "([^"]+)"`)

// ConflictOf reads a source-conflict error's message: the entity ref and
// the source that publishes it, so the status API can show the conflict
// on that source too.
func ConflictOf(message string) (ref, owner string, ok bool) {
	m := conflictPattern.FindStringSubmatch(message)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// owners returns, for each entity the mapping produced that this source
// does not publish yet, the other source that already publishes it. The
// first run of a process asks for every entity, so copies that two
// sources published before conflicts were refused are reported too.
func (r *runner) owners(res *mapping.Result) (map[string]string, error) {
	all := r.st.previous.Load() == nil || r.remap
	var keys []string
	for _, f := range res.Files {
		if f.Failed {
			continue
		}
		// A file reused as it was published holds only entities of this
		// source: a small commit looks at its own files only.
		if old, ok := r.st.File(f.Path); f.Reused && !all && ok && !old.Failed {
			continue
		}
		for _, e := range f.Entities {
			if _, ours := r.st.entities[e.Key()]; all || !ours {
				keys = append(keys, e.Key())
			}
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return r.s.opts.Store.Owners(r.ctx, r.st.cfg.Source.ID(), keys)
}
