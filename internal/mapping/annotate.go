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
// view, edit and source links are kept when the author set them.
func (m *mapper) annotate(obj map[string]any, file string) {
	md := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
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
	for k, v := range LinkAnnotations(m.snap.Links, rev, file) {
		setDefault(ann, k, v)
	}
	ann[AnnotationManagedByLocation] = location
	ann[AnnotationManagedByOriginLocation] = location
	ann[AnnotationSource] = m.opts.SourceID
	ann[AnnotationFile] = file
	ann[AnnotationRevision] = rev
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

func setDefault(m map[string]any, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

func dirOf(file string) string {
	d := path.Dir(file)
	if d == "." {
		return ""
	}
	return d
}
