package mapping

import (
	"slices"
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
// (example.com/v1) has. Such a document is read as an entity, unless it is
// a Kubernetes manifest (KindRules.skipsManifest); whether it is published
// is the allow list's call (KindRules). The Kafka dialects are asked
// first; a Strimzi resource they leave (KafkaConnect, KafkaBridge: no
// topology) is Kafka config all the same, not an entity.
func isEntity(root *document.Node) bool {
	v, k, md := root.Get("apiVersion"), root.Get("kind"), root.Get("metadata")
	return v != nil && v.Kind == document.String && catalog.IsGroupVersion(v.Str) && !strings.HasPrefix(v.Str, "kafka.strimzi.io/") &&
		k != nil && k.Kind == document.String && k.Str != "" &&
		md != nil && md.Kind == document.Map
}

// kubernetesGroups are the API groups of Kubernetes and of the tools of its
// ecosystem whose manifests a config repository commonly holds next to
// the catalog (deployments, Argo CD applications, Crossplane resources),
// beyond the groups ending in kubernetesSuffixes. The core group (v1) has
// no group, so its manifests are no entities anyway.
var kubernetesGroups = []string{"apps", "batch", "autoscaling", "policy", "extensions",
	"argoproj.io", "cert-manager.io", "monitoring.coreos.com", "crossplane.io", "upbound.io", "istio.io"}

var kubernetesSuffixes = []string{".k8s.io", ".crossplane.io", ".upbound.io", ".istio.io", ".cert-manager.io", ".argoproj.io"}

// isKubernetesAPIVersion reports whether an apiVersion is of a Kubernetes
// API group (apps/v1, networking.k8s.io/v1, iam.aws.upbound.io/v1beta1).
func isKubernetesAPIVersion(apiVersion string) bool {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return false
	}
	group = strings.ToLower(group)
	if slices.Contains(kubernetesGroups, group) {
		return true
	}
	for _, suffix := range kubernetesSuffixes {
		if strings.HasSuffix(group, suffix) {
			return true
		}
	}
	return false
}

// skipsManifest reports whether a document with the envelope of an entity
// is a Kubernetes manifest that is no entity: one of a Kubernetes API
// group whose kind the allow list does not name. Such files are listed as
// ignored (IgnoredKubernetes), not warned about: advising to allow
// Deployment would be wrong. A kind with the name of one of Backstage's
// (a Crossplane User) is never one the allow list names.
func (k KindRules) skipsManifest(root *document.Node) bool {
	apiVersion, kind := root.Get("apiVersion").String(), root.Get("kind").String()
	return isKubernetesAPIVersion(apiVersion) && (catalog.IsForeign(apiVersion, kind) || !k.names(kind))
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
