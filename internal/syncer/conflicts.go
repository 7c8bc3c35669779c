package syncer

import (
	"github.com/central-config/central-config/internal/mapping"
)

// Conflicts between sources: an entity belongs to the first source that
// published it; a later source's copy is refused (see plan and the store's
// Commit claims).

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
