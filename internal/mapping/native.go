package mapping

import (
	"strings"

	"github.com/central-config/central-config/internal/document"
)

// isNative reports whether a document is a Backstage entity, as in a
// catalog-info.yaml: an apiVersion in the backstage.io group and a kind.
func isNative(root *document.Node) bool {
	return strings.HasPrefix(root.Get("apiVersion").String(), "backstage.io/") && root.Get("kind") != nil
}

// nativeCandidate passes a Backstage entity document through unchanged;
// paths in the entity are paths in the document, so every problem points
// at the exact line.
func nativeCandidate(doc *document.Document) candidate {
	obj, _ := doc.Root.Value().(map[string]any)
	return candidate{
		object:       obj,
		pos:          doc.Root.Pos,
		posOf:        func(p []string) document.Pos { n, _ := doc.Root.Lookup(p...); return n.Pos },
		placeholders: true,
	}
}
