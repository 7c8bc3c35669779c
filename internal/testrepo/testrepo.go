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
	teams := Teams(n)
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

// Teams is the number of teams (team-0 to team-<Teams-1>) in the
// repository Generate(n) writes.
func Teams(n int) int { return max(max(n, 20)/60, 1) }

// GenerateKafka returns a Kafka topology document in the central-config
// format (kafka/topology.yaml) of three clusters, topics topics spread
// over them and apps applications, each producing to 2 and consuming 5
// topics of one cluster (every twentieth also a prefix), owned by teams
// team-0 to team-<teams-1>, for benchmarks of the topology API and page.
// It is deterministic.
func GenerateKafka(topics, apps, teams int) source.File {
	teams = max(teams, 1)
	clusters := []string{"prod-eu", "prod-us", "staging"}
	const domains = 50
	var b strings.Builder
	b.WriteString("apiVersion: central-config.io/kafka/v1\nclusters:\n")
	for _, c := range clusters {
		fmt.Fprintf(&b, "  - name: %s\n    environment: production\n    brokers: 6\n", c)
	}
	b.WriteString("topics:\n")
	byCluster := map[string][]string{}
	for i := range topics {
		c := clusters[i%len(clusters)]
		name := fmt.Sprintf("domain%02d.event%04d.v1", i%domains, i)
		byCluster[c] = append(byCluster[c], name)
		fmt.Fprintf(&b, "  - name: %s\n    cluster: %s\n    partitions: %d\n    replicas: 3\n    owner: team-%d\n    config:\n      retention.ms: 604800000\n",
			name, c, 1+(i*7)%24, i%teams)
	}
	b.WriteString("applications:\n")
	// A fixed linear congruential sequence: the same file on every run.
	seed := uint64(1)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int((seed >> 33) % uint64(n))
	}
	// distinct picks k different topics of ts (fewer when ts is shorter).
	distinct := func(ts []string, k int) []string {
		seen := map[int]bool{}
		var out []string
		for len(out) < min(k, len(ts)) {
			if j := next(len(ts)); !seen[j] {
				seen[j] = true
				out = append(out, ts[j])
			}
		}
		return out
	}
	for i := range apps {
		c := clusters[next(len(clusters))]
		ts := byCluster[c]
		if len(ts) == 0 {
			continue
		}
		consumes := distinct(ts, 5)
		if i%20 == 0 {
			consumes = append(consumes, fmt.Sprintf("domain%02d.*", next(domains)))
		}
		fmt.Fprintf(&b, "  - name: app%04d\n    owner: team-%d\n    cluster: %s\n    consumerGroup: app%04d\n    produces: [%s]\n    consumes: [%s]\n",
			i, i%teams, c, i, strings.Join(distinct(ts, 2), ", "), strings.Join(consumes, ", "))
	}
	return source.File{Path: "kafka/topology.yaml", Content: []byte(b.String())}
}
