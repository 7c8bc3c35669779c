package mapping

import (
	"cmp"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
)

// IgnoredFile is a file of the snapshot that produced nothing, and why.
type IgnoredFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Why a file was ignored (IgnoredFile.Reason). They are stable: the JSON
// output of validate carries them.
const (
	// IgnoredNotConfig: a file other than YAML or JSON that no
	// $text/$json/$yaml placeholder reads.
	IgnoredNotConfig = "not YAML/JSON"
	// IgnoredOutsidePaths: a file the source's paths filter left out
	// (listed by sources that walk every file anyway: dir).
	IgnoredOutsidePaths = "outside paths"
	// IgnoredNoShape: a YAML/JSON file none of whose documents is one the
	// engine reads, and that no placeholder reads.
	IgnoredNoShape = "no known document shape"
	// IgnoredKubernetes: a YAML/JSON file of Kubernetes manifests (apps/v1
	// Deployment, networking.k8s.io/v1 Ingress, argoproj.io/v1alpha1
	// Application, Crossplane resources...) whose kinds the allow list
	// does not name, and nothing else the engine reads.
	IgnoredKubernetes = "Kubernetes manifest"
	// IgnoredTooLarge: a file other than YAML or JSON over
	// limits.maxFileBytes, which the source did not read (also a
	// too-large warning).
	IgnoredTooLarge = "too large"
)

// listIgnored counts, and with Options.ListIgnored lists, every file of
// the snapshot that produced nothing: a file that a placeholder reads is
// used, not ignored, whatever it holds.
func (m *mapper) listIgnored(res *Result, results []*fileResult) {
	read := map[string]bool{}
	for _, r := range results {
		for p := range r.deps {
			read[p] = true
		}
	}
	res.IgnoredCounts = map[string]int{}
	add := func(p, reason string) {
		res.IgnoredCounts[reason]++
		if m.opts.ListIgnored {
			res.IgnoredFiles = append(res.IgnoredFiles, IgnoredFile{Path: p, Reason: reason})
		}
	}
	for _, r := range results {
		if r.ignored && !read[r.path] {
			add(r.path, cmp.Or(r.ignoredReason, IgnoredNoShape))
		}
	}
	res.Ignored = res.IgnoredCounts[IgnoredNoShape] + res.IgnoredCounts[IgnoredKubernetes]
	for _, f := range m.snap.Files {
		if !source.IsConfigPath(f.Path) && !read[f.Path] {
			add(f.Path, IgnoredNotConfig)
		}
	}
	for _, p := range m.snap.Ignored {
		reason := IgnoredTooLarge
		if p.Code != diag.CodeTooLarge {
			reason = p.Code
		}
		add(p.Path, reason)
	}
	for _, p := range m.snap.Outside {
		add(p, IgnoredOutsidePaths)
	}
	slices.SortFunc(res.IgnoredFiles, func(a, b IgnoredFile) int { return strings.Compare(a.Path, b.Path) })
}
