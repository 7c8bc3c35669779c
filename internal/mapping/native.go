package mapping

import (
	"strings"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/document"
)

// isNative reports whether a document is a Backstage entity, as in a
// catalog-info.yaml: an apiVersion in the backstage.io group and a kind.
func isNative(root *document.Node) bool {
	return strings.HasPrefix(root.Get("apiVersion").String(), "backstage.io/") && root.Get("kind") != nil
}

// isEntity reports whether a document has the envelope of an entity: an
// apiVersion of the form group/version, a kind and a metadata mapping, as
// a Template (scaffolder.backstage.io/v1beta3) or a custom kind
// (example.com/v1) has. Such a document is read as an entity; whether it
// is published is the allow list's call (KindRules). The Kafka dialects
// are asked first; a Strimzi resource they leave (KafkaConnect,
// KafkaBridge: no topology) is Kafka config all the same, not an entity.
func isEntity(root *document.Node) bool {
	v, k, md := root.Get("apiVersion"), root.Get("kind"), root.Get("metadata")
	return v != nil && v.Kind == document.String && catalog.IsGroupVersion(v.Str) && !strings.HasPrefix(v.Str, "kafka.strimzi.io/") &&
		k != nil && k.Kind == document.String && k.Str != "" &&
		md != nil && md.Kind == document.Map
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
