// Package testrepo generates synthetic config repositories in the
// central-config format, of any size, for benchmarks and tests: a company of
// teams with people, domains, systems, and services, APIs and resources
// whose refs all resolve.
package testrepo

import (
	"fmt"
	"strings"

	"github.com/central-config/central-config/internal/source"
)

// Generate returns the files of a repository of about n entities, sorted by
// path. One file per system holds its services, APIs and resources (about
// 100 entities), one file per team holds the team and its people.
func Generate(n int) []source.File {
	n = max(n, 20)
	teams := max(n/60, 1)
	people := max(n/12, 1)
	systems := max(n/100, 1)
	domains := max(systems/5, 1)
	rest := n - teams - people - systems - domains
	apis := rest / 5
	resources := rest / 10
	services := rest - apis - resources

	var files []source.File
	add := func(p string, b *strings.Builder) {
		files = append(files, source.File{Path: p, Content: []byte(b.String())})
	}
	for t := range teams {
		var b strings.Builder
		fmt.Fprintf(&b, "apiVersion: central-config.io/v1\nteams:\n  - name: team-%d\n    title: Team %d\n    email: team-%d@example.com\n    members:\n", t, t, t)
		for p := t; p < people; p += teams {
			fmt.Fprintf(&b, "      - person-%d\n", p)
		}
		b.WriteString("people:\n")
		for p := t; p < people; p += teams {
			fmt.Fprintf(&b, "  - name: person-%d\n    displayName: Person %d\n    email: person-%d@example.com\n", p, p, p)
		}
		add(fmt.Sprintf("teams/team-%d.yaml", t), &b)
	}
	var b strings.Builder
	b.WriteString("apiVersion: central-config.io/v1\ndomains:\n")
	for d := range domains {
		fmt.Fprintf(&b, "  - name: domain-%d\n    owner: team-%d\n    description: Domain %d\n", d, d%teams, d)
	}
	b.WriteString("systems:\n")
	for s := range systems {
		fmt.Fprintf(&b, "  - name: system-%d\n    owner: team-%d\n    domain: domain-%d\n", s, s%teams, s%domains)
	}
	add("domains.yaml", &b)

	for s := range systems {
		var b strings.Builder
		owner := func(i int) string { return fmt.Sprintf("team-%d", i%teams) }
		b.WriteString("apiVersion: central-config.io/v1\napis:\n")
		for a := s; a < apis; a += systems {
			fmt.Fprintf(&b, "  - name: api-%d\n    owner: %s\n    system: system-%d\n    type: openapi\n    definition: |\n      openapi: 3.0.0\n      info: {title: API %d, version: 1.0.0}\n      paths: {}\n", a, owner(a), s, a)
		}
		b.WriteString("resources:\n")
		for r := s; r < resources; r += systems {
			fmt.Fprintf(&b, "  - name: db-%d\n    owner: %s\n    system: system-%d\n    type: database\n", r, owner(r), s)
		}
		b.WriteString("services:\n")
		for c := s; c < services; c += systems {
			fmt.Fprintf(&b, "  - name: service-%d\n    owner: %s\n    system: system-%d\n    description: Service number %d\n    tags: [go, backend]\n", c, owner(c), s, c)
			if apis > 0 {
				fmt.Fprintf(&b, "    provides: [api-%d]\n    consumes: [api-%d]\n", c%apis, (c+1)%apis)
			}
			if resources > 0 {
				fmt.Fprintf(&b, "    dependsOn: [resource:db-%d]\n", c%resources)
			}
		}
		add(fmt.Sprintf("systems/system-%d.yaml", s), &b)
	}
	return files
}
