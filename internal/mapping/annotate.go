package mapping

import (
	"path"

	"github.com/central-config/central-config/internal/source"
)

// The annotations the engine sets on every entity it publishes.
const (
	AnnotationManagedByLocation       = "backstage.io/managed-by-location"
	AnnotationManagedByOriginLocation = "backstage.io/managed-by-origin-location"
	AnnotationViewURL                 = "backstage.io/view-url"
	AnnotationEditURL                 = "backstage.io/edit-url"
	AnnotationSourceLocation          = "backstage.io/source-location"
	AnnotationSource                  = "central-config.io/source"
	AnnotationFile                    = "central-config.io/file"
	AnnotationRevision                = "central-config.io/revision"
)

// annotate adds the provider annotations Backstage expects and our own.
// The location annotations always name the file the entity came from; the
// view, edit and source links are kept when the author set them. The
// values are those of the file's entities (strs keeps them, made once per
// file; nil makes them now).
func (m *mapper) annotate(obj map[string]any, file string, strs *interner) {
	md := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	var fa *fileAnnotations
	if strs != nil {
		if strs.ann == nil || strs.ann.file != file {
			strs.ann = m.fileAnnotations(file)
		}
		fa = strs.ann
	} else {
		fa = m.fileAnnotations(file)
	}
	for _, l := range fa.links {
		if _, ok := ann[l.key]; !ok {
			ann[l.key] = l.value
		}
	}
	ann[AnnotationManagedByLocation] = fa.location
	ann[AnnotationManagedByOriginLocation] = fa.location
	ann[AnnotationSource] = fa.source
	ann[AnnotationFile] = fa.path
	ann[AnnotationRevision] = fa.rev
}

// fileAnnotations are the values annotate gives the entities of one file,
// each put in an interface once: a string put in an entity's map is
// otherwise copied to the heap each time, five or more times an entity.
type fileAnnotations struct {
	file                        string
	location, source, rev, path any
	// links are LinkAnnotations, set where the author set none.
	links []struct {
		key   string
		value any
	}
}

func (m *mapper) fileAnnotations(file string) *fileAnnotations {
	rev := m.snap.Revision
	if m.opts.FileRevision != nil {
		if r := m.opts.FileRevision(file); r != "" {
			rev = r
		}
	}
	location := "file:" + file
	if links := m.snap.Links; links != nil {
		location = links.Location(rev, file)
	}
	fa := &fileAnnotations{file: file, location: location, source: m.opts.SourceID, rev: rev, path: file}
	for k, v := range LinkAnnotations(m.snap.Links, rev, file) {
		fa.links = append(fa.links, struct {
			key   string
			value any
		}{k, v})
	}
	return fa
}

// LinkAnnotations returns the view, edit and source-location annotations
// the engine gives an entity of file at revision rev when its author sets
// none: the source's links to the file and its folder. It is empty for a
// source without a web view.
func LinkAnnotations(links source.Links, rev, file string) map[string]string {
	out := map[string]string{}
	if links == nil {
		return out
	}
	if view := links.View(rev, file); view != "" {
		out[AnnotationViewURL] = view
		out[AnnotationSourceLocation] = "url:" + links.View(rev, dirOf(file)) + "/"
	}
	if edit := links.Edit(file); edit != "" {
		out[AnnotationEditURL] = edit
	}
	return out
}

func dirOf(file string) string {
	d := path.Dir(file)
	if d == "." {
		return ""
	}
	return d
}
