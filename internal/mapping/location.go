package mapping

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
)

// A Location entity of the repository is read as the Backstage catalog
// reads it, target by target (spec.target, then spec.targets):
//
//   - A relative target (./acme/org.yaml, components/*.yaml) names files of
//     this repository, relative to the Location's file. The engine reads
//     the whole repository anyway, so it only checks that the target, or
//     the glob, matches a file it reads (a warning at the target's line
//     when not). Such a target is never published: Backstage would read
//     those files a second time from the repository's host, and their
//     entities would clash with the ones the engine publishes.
//   - An absolute http(s) target (https://github.com/acme/payments/blob/main/catalog-info.yaml)
//     is how a central repository indexes catalog files kept elsewhere: it
//     is published, and the Backstage catalog reads it with its own
//     integrations. Only the URL's form is checked (http or https, a host).
//   - Anything else (an absolute path on the Backstage backend's disk, a URL
//     of another scheme for type url or file, a URL with type file) is a
//     warning, and the target is not published.
//
// A Location is published with its absolute targets only; one left with
// none is not published, and a diagnostic of severity locationNotice says
// why, so that no Location disappears in silence.

// locationNotice is the severity of "this Location is (partly) not
// published": nothing is wrong, the engine reads those files itself.
const locationNotice = diag.Info

// isLocation reports whether an entity object is a Location.
func isLocation(obj map[string]any) bool {
	kind, _ := obj["kind"].(string)
	return strings.EqualFold(kind, "Location")
}

// locationTarget is one target of a Location, where it is written.
type locationTarget struct {
	value string
	path  []string // spec.target or spec.targets.N
}

// location checks a valid Location entity's targets and rewrites its spec
// to the targets Backstage should read. It returns false when nothing is
// left to publish. Every file a relative target matches (or should match)
// is recorded in deps, so the Location is checked again when one appears
// or goes.
func (m *mapper) location(file string, c candidate, diags *diag.List, deps *map[string]uint64) bool {
	spec, _ := c.object["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
	}
	typ, _ := spec["type"].(string)
	optional := spec["presence"] == "optional"
	var targets []locationTarget
	if s, ok := spec["target"].(string); ok && s != "" {
		targets = append(targets, locationTarget{s, []string{"spec", "target"}})
	}
	if list, ok := spec["targets"].([]any); ok {
		for i, item := range list {
			if s, ok := item.(string); ok && s != "" {
				targets = append(targets, locationTarget{s, []string{"spec", "targets", strconv.Itoa(i)}})
			}
		}
	}
	name := "Location " + locationName(c.object)
	add := func(p document.Pos, sev diag.Severity, msg string) {
		*diags = append(*diags, diag.Diagnostic{File: file, Line: p.Line, Column: p.Column, Severity: sev, Code: diag.CodeLocation, Message: msg})
	}
	record := func(p string) {
		if *deps == nil {
			*deps = map[string]uint64{}
		}
		(*deps)[p] = m.hashes[p]
	}
	// Whether the Location is published is said at its kind.
	at := c.posOf([]string{"kind"})
	var remote, local []string
	for _, t := range targets {
		pos := c.posOf(t.path)
		where := document.PathString(t.path...)
		switch kind := targetKind(t.value); kind {
		case targetRelative:
			local = append(local, t.value)
			msg, missing := m.checkRelative(file, t.value, record)
			switch {
			case msg == "":
			case missing && optional:
				// Backstage skips a missing target of an optional
				// Location without an error.
				add(pos, diag.Info, fmt.Sprintf("%s %q: %s; spec.presence is optional, so Backstage would skip it too", where, t.value, msg))
			default:
				add(pos, diag.Warning, fmt.Sprintf("%s %q: %s", where, t.value, msg))
			}
		case targetURL:
			if msg := checkURL(t.value, typ); msg != "" {
				add(pos, diag.Warning, fmt.Sprintf("%s %q: %s; this target is not published", where, t.value, msg))
				continue
			}
			remote = append(remote, t.value)
		case targetAbsolutePath:
			add(pos, diag.Warning, fmt.Sprintf("%s %q: an absolute path names a file on the Backstage backend's disk, not in this repository; "+
				"write a path relative to %s, or a URL; this target is not published", where, t.value, file))
		}
	}
	switch {
	case len(remote) == 0 && len(local) > 0:
		add(at, locationNotice, fmt.Sprintf("%s is not published to the catalog: its targets name files of this repository, which central-config "+
			"reads and publishes itself; Backstage would read them a second time from the repository's host and their entities would clash", name))
		return false
	case len(remote) == 0:
		add(at, locationNotice, fmt.Sprintf("%s is not published to the catalog: it has no target Backstage could read", name))
		return false
	case len(local) > 0:
		add(at, locationNotice, fmt.Sprintf("%s is published with its %d absolute target(s) only; its %d relative target(s) name files of this "+
			"repository, which central-config reads and publishes itself", name, len(remote), len(local)))
	}
	// Backstage reads a Location of a type other than its own location's
	// (the engine's url:) only when the app allows that type; the default
	// allows url only.
	if typ != "" && typ != "url" && typ != "file" {
		add(c.posOf([]string{"spec", "type"}), diag.Warning, fmt.Sprintf("spec.type %q: the Backstage catalog reads a Location of a type other than url "+
			"only when the Backstage app allows that type (catalogLocationsExtensionPoint.setAllowedLocationTypes; by default only url); "+
			"otherwise the catalog refuses %s with the processing error: Registered locations must be of an allowed type [\"url\"]", typ, name))
	}
	keepPublished(spec, remote, typ)
	c.object["spec"] = spec
	return true
}

// keepPublished leaves in a Location's spec only its targets that are
// published (remote), in the shape it was written in, and a type.
func keepPublished(spec map[string]any, remote []string, typ string) {
	if s, ok := spec["target"].(string); ok && !slices.Contains(remote, s) {
		delete(spec, "target")
	}
	if list, ok := spec["targets"].([]any); ok {
		kept := slices.DeleteFunc(slices.Clone(list), func(item any) bool {
			s, isString := item.(string)
			return !isString || !slices.Contains(remote, s)
		})
		if len(kept) == 0 {
			delete(spec, "targets")
		} else {
			spec["targets"] = kept
		}
	}
	// Without a type Backstage takes that of the place the Location was
	// read from, which is "file" for a local directory source: the
	// targets are URLs, say so.
	if typ == "" {
		spec["type"] = "url"
	}
}

type targetKindValue int

const (
	targetRelative targetKindValue = iota
	targetURL
	targetAbsolutePath
)

// targetKind tells a URL (a scheme and ://) from an absolute path and a
// path relative to the Location's file.
func targetKind(s string) targetKindValue {
	switch {
	case strings.Contains(s, "://"):
		return targetURL
	case strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`):
		return targetAbsolutePath
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return targetURL // mailto:, urn:..., a scheme without //
	}
	return targetRelative
}

// checkURL checks an absolute target's form for a Location of type typ
// and returns what is wrong, or "". Types other than url and file belong
// to processors the engine does not know (github-discovery, ldap-org...):
// their targets are published as written (with a warning that the
// Backstage app must allow the type).
func checkURL(s, typ string) string {
	switch typ {
	case "", "url":
	case "file":
		return "a URL, but spec.type is file, which reads the Backstage backend's disk; write type: url"
	default:
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("the Backstage catalog reads URLs of http or https, not %s", u.Scheme)
	case u.Host == "":
		return "the URL has no host"
	}
	return ""
}

// checkRelative checks that a relative target, or glob, matches a file of
// the snapshot, relative to the Location's file, and returns what is
// wrong, or "", and whether the target is merely missing (no such file,
// no match), which an optional Location allows.
func (m *mapper) checkRelative(file, target string, record func(string)) (msg string, missing bool) {
	p := path.Clean(path.Join(path.Dir(file), target))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "the path leaves the repository", false
	}
	if !isGlob(target) {
		// Recorded even when missing: the file appearing later must remap.
		record(p)
		if _, ok := m.files[p]; ok {
			return "", false
		}
		if problem, unread := m.unread[p]; unread {
			return fmt.Sprintf("%s is not read: %s", p, problem.Message), false
		}
		return fmt.Sprintf("no file %s in the repository (or not under the source's paths)", p), true
	}
	if !doublestar.ValidatePattern(p) {
		return "not a valid glob", false
	}
	// One match is enough: the outcome only changes when none is left.
	for _, f := range m.snap.Files {
		if ok, _ := doublestar.Match(p, f.Path); ok {
			record(f.Path)
			return "", false
		}
	}
	// No file matches: record the pattern itself, which is no file, so the
	// Location is checked again at every run until one does.
	record(p)
	return fmt.Sprintf("no file of the repository matches %s (or none under the source's paths)", p), true
}

// isGlob reports whether a target holds glob syntax.
func isGlob(s string) bool { return strings.ContainsAny(s, "*?[{") }

// locationName returns a Location's ref for messages.
func locationName(obj map[string]any) string {
	if ref, ok := catalog.RefOf(obj); ok {
		return ref.String()
	}
	return "(unnamed)"
}
