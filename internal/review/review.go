// Package review says what the engine would do with a head revision of a
// config repository after a base revision: the entities it would add,
// change and remove (with the fields that change), the files whose
// entities it would keep from the base because they fail now, the Kafka
// topology's changes, the mass-deletion guard's verdict and the
// diagnostics the head adds or fixes. It runs the engine's own mapping,
// plan and guard (internal/mapping, syncer.Published, syncer.Guard), so
// the review cannot disagree with the sync that follows the merge.
package review

import (
	"cmp"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/syncer"
)

// Options say how the engine maps and guards the source: the rules,
// kinds and limits of its config, and its guard.
type Options struct {
	// SourceID names the source in the entities' annotations.
	SourceID string
	// Mapping carries the rules, the kinds and the limits; its other
	// fields are set by Compare.
	Mapping mapping.Options
	Guard   syncer.Guard
}

// Entity names one entity and where it is written.
type Entity struct {
	Ref  string `json:"ref"`
	Kind string `json:"kind"`
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Change is an entity the head changes, with what changed in it.
type Change struct {
	Entity
	// Fields are the changed fields, in path order; empty when only the
	// engine's own annotations changed (its file's new revision).
	Fields []Field `json:"fields"`
}

// owner returns the change's owner field, when the owner moves.
func (c Change) owner() (Field, bool) {
	i := slices.IndexFunc(c.Fields, func(f Field) bool { return f.Category == CategoryOwner })
	if i < 0 {
		return Field{}, false
	}
	return c.Fields[i], true
}

// Kept is a file that fails at the head: the engine keeps the entities it
// published at the base, and publishes nothing new from it.
type Kept struct {
	File string `json:"file"`
	// Entities are the refs kept, sorted.
	Entities []string `json:"entities"`
}

// Verdict is the mass-deletion guard's answer for the head.
type Verdict struct {
	// Removed of Total published entities (Locations included) the head
	// removes.
	Removed int `json:"removed"`
	Total   int `json:"total"`
	// MaxRatio is the share the guard allows (guard.maxDeletionRatio).
	MaxRatio          float64 `json:"maxRatio"`
	AllowMassDeletion bool    `json:"allowMassDeletion"`
	// Refused is true when the sync would refuse the head: nothing of it
	// would be published.
	Refused bool `json:"refused"`
	// Reason is the engine's own refusal text, "" when not refused.
	Reason string `json:"reason,omitempty"`
}

// Counts are the engine's counts for the head's run.
type Counts struct {
	Before    int `json:"before"`
	After     int `json:"after"`
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
}

// Report is what the engine would do with the head after the base.
type Report struct {
	Base string `json:"base"`
	Head string `json:"head"`
	// Counts count entities, Locations included, as the guard does.
	Counts   Counts    `json:"counts"`
	Added    []Entity  `json:"added"`
	Changed  []Change  `json:"changed"`
	Removed  []Entity  `json:"removed"`
	Kept     []Kept    `json:"kept"`
	Guard    Verdict   `json:"guard"`
	Kafka    Kafka     `json:"kafka"`
	NewDiags diag.List `json:"newDiagnostics"`
	Fixed    diag.List `json:"fixedDiagnostics"`
	// HeadErrors counts the errors of the head (new or not): the files
	// that fail and keep their base entities.
	HeadErrors   int `json:"headErrors"`
	HeadWarnings int `json:"headWarnings"`

	// paths holds the files of both revisions: an entity of the Kafka
	// topology names no file of the repository.
	paths map[string]bool
}

// inRepo returns file when it is a file of the repository, else "".
func (r *Report) inRepo(file string) string {
	if r.paths[file] {
		return file
	}
	return ""
}

// OwnerMoves returns the changes that move an entity to another owner.
func (r *Report) OwnerMoves() []Change {
	var out []Change
	for _, c := range r.Changed {
		if _, ok := c.owner(); ok {
			out = append(out, c)
		}
	}
	return out
}

// Compare maps base as the engine would publish it, then plans head
// against it exactly as the engine's next run would: same mapping
// (reusing the base's files, keeping the base's entities of files that
// fail at the head), same plan, same guard. The base's own failing files
// publish nothing here (their earlier good revision is not known).
//
// The engine reads both revisions from one source; two checkouts in two
// folders differ in their links (a folder's location annotations name its
// path), so the head is read with the base's links.
func Compare(base, head *source.Snapshot, opts Options) *Report {
	sameSource := *head
	sameSource.Links = base.Links
	head = &sameSource
	pub := syncer.NewPublished()
	mo := opts.Mapping
	mo.SourceID = opts.SourceID
	mo.Compact, mo.Previous, mo.LastGood = false, nil, nil
	mo.FileRevision = pub.FileRevision(base)
	baseRes := mapping.Map(base, mo)
	pub.Apply(pub.Plan(opts.SourceID, base, baseRes, nil))

	mo.Previous = baseRes
	mo.FileRevision = pub.FileRevision(head)
	headRes := mapping.Map(head, mo)
	plan := pub.Plan(opts.SourceID, head, headRes, nil)

	r := &Report{Base: base.Revision, Head: head.Revision, paths: map[string]bool{}}
	for _, f := range slices.Concat(base.Files, head.Files) {
		r.paths[f.Path] = true
	}
	before := map[string]*mapping.Entity{}
	for _, e := range baseRes.Entities() {
		before[e.Ref.Key()] = e
	}
	for _, u := range plan.Upserts {
		e := u.Entity
		ent := entity(e)
		old, had := before[u.Key]
		if !had {
			r.Added = append(r.Added, ent)
			continue
		}
		fields := diffFields(old.Object, e.Object, head.Links)
		if old.File != e.File {
			fields = append([]Field{{Path: "file", Category: CategoryFile, Old: old.File, New: e.File}}, fields...)
		}
		r.Changed = append(r.Changed, Change{Entity: ent, Fields: fields})
	}
	for _, rm := range plan.Removals {
		ent := Entity{Ref: rm.Ref}
		if old, ok := before[rm.Key]; ok {
			ent = entity(old)
		}
		r.Removed = append(r.Removed, ent)
	}
	for _, f := range plan.Files {
		if !f.Failed {
			continue
		}
		var refs []string
		for _, bf := range baseRes.Files {
			if bf.Path == f.Path && !bf.Failed {
				for _, e := range bf.Entities {
					refs = append(refs, e.Ref.String())
				}
			}
		}
		slices.Sort(refs)
		r.Kept = append(r.Kept, Kept{File: f.Path, Entities: refs})
	}
	byKind := func(a, b Entity) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Kind), strings.ToLower(b.Kind)), cmp.Compare(a.Ref, b.Ref))
	}
	slices.SortFunc(r.Added, byKind)
	slices.SortFunc(r.Removed, byKind)
	slices.SortFunc(r.Changed, func(a, b Change) int { return byKind(a.Entity, b.Entity) })

	c := plan.Counts
	r.Counts = Counts{Before: pub.Len(), Added: c.Added, Changed: c.Changed, Removed: c.Removed, Unchanged: c.Unchanged,
		After: pub.Len() + c.Added - c.Removed}
	r.Guard = Verdict{Removed: c.Removed, Total: pub.Len(), MaxRatio: opts.Guard.MaxDeletionRatio,
		AllowMassDeletion: opts.Guard.AllowMassDeletion, Reason: opts.Guard.Refusal(c.Removed, pub.Len())}
	r.Guard.Refused = r.Guard.Reason != ""
	r.Kafka = diffKafka(baseRes.Topology, headRes.Topology)
	r.NewDiags, r.Fixed = diffDiagnostics(baseRes.Diagnostics, plan.Diagnostics)
	// Empty lists, not null, for readers of the JSON.
	r.Added, r.Removed, r.Changed, r.Kept = orEmpty(r.Added), orEmpty(r.Removed), orEmpty(r.Changed), orEmpty(r.Kept)
	r.NewDiags, r.Fixed = orEmpty(r.NewDiags), orEmpty(r.Fixed)
	r.Kafka.TopicsAdded, r.Kafka.TopicsRemoved = orEmpty(r.Kafka.TopicsAdded), orEmpty(r.Kafka.TopicsRemoved)
	r.Kafka.Partitions = orEmpty(r.Kafka.Partitions)
	r.Kafka.EdgesAdded, r.Kafka.EdgesRemoved = orEmpty(r.Kafka.EdgesAdded), orEmpty(r.Kafka.EdgesRemoved)
	r.HeadErrors = plan.Diagnostics.Count(diag.Error)
	r.HeadWarnings = plan.Diagnostics.Count(diag.Warning)
	return r
}

func orEmpty[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

// entity names an entity and where it is written. A Kafka topic's
// Resource is grouped under mapping.KafkaFile; its annotation names the
// file that declares the topic.
func entity(e *mapping.Entity) Entity {
	out := Entity{Ref: e.Ref.String(), Kind: e.Ref.Kind, File: e.File, Line: e.Pos.Line}
	if e.File == mapping.KafkaFile {
		md, _ := e.Object["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		if f, ok := ann[mapping.AnnotationFile].(string); ok {
			out.File = f
		}
	}
	return out
}

// diagKey identifies a diagnostic across revisions without its position:
// an edit above it moves its line, not the problem.
func diagKey(d diag.Diagnostic) string {
	return d.File + "\x00" + string(d.Severity) + "\x00" + d.Code + "\x00" + d.Message
}

// diffDiagnostics returns the head's diagnostics the base does not have
// and the base's the head no longer has; infos are left out.
func diffDiagnostics(base, head diag.List) (added, fixed diag.List) {
	return missing(head, base), missing(base, head)
}

// missing returns the warnings and errors of l that other does not have
// (as many times as l has them more often).
func missing(l, other diag.List) diag.List {
	left := map[string]int{}
	for _, d := range other {
		left[diagKey(d)]++
	}
	var out diag.List
	for _, d := range l {
		k := diagKey(d)
		switch {
		case d.Severity == diag.Info:
		case left[k] > 0:
			left[k]--
		default:
			out = append(out, d)
		}
	}
	return out
}
