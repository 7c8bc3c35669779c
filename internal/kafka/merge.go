package kafka

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/diag"
)

// Merge combines the fragments read from many documents into one topology.
// A cluster, topic (by cluster and name) or application (by name) declared
// in several places becomes one element: unknown fields are filled from
// the other declarations, and fields set to different values are reported
// as conflicts at both positions (the first declaration's value is kept).
// Strimzi node pools with the broker role give their cluster's broker
// count. Last, every application's ACLs are resolved against the topics
// now known into Produces and Consumes: a prefixed ACL applies to every
// topic whose name starts with it, "*" to every topic, and a literal ACL
// on a topic nobody declares is kept with a warning.
//
// Fragments should be passed in a stable order (by file, then document):
// where declarations agree it does not matter, but the first one is the
// one an element's Source points at. The fragments are not modified.
func Merge(fragments ...*Topology) (*Topology, diag.List) {
	m := merger{
		out:      &Topology{},
		clusters: map[string]int{},
		topics:   map[TopicKey]int{},
		apps:     map[string]int{},
		pools:    map[[2]string]int{},
	}
	for _, f := range fragments {
		if f == nil {
			continue
		}
		for _, c := range f.Clusters {
			m.cluster(c)
		}
		for _, p := range f.NodePools {
			m.pool(p)
		}
		for _, t := range f.Topics {
			m.topic(t)
		}
		for _, a := range f.Applications {
			m.app(a)
		}
	}
	m.brokersFromPools()
	m.resolve()
	m.sort()
	return m.out, m.diags
}

type merger struct {
	out      *Topology
	diags    diag.List
	clusters map[string]int
	topics   map[TopicKey]int
	apps     map[string]int
	pools    map[[2]string]int
}

// kept returns the element kept in list for key, whose index index holds.
// The first declaration of key is kept instead: own gives it its own copy
// of what it shares with its fragment, it is appended to list and kept
// returns nil, as there is nothing to merge it with.
func kept[K comparable, T any](index map[K]int, list *[]T, key K, v T, own func(*T)) *T {
	if i, ok := index[key]; ok {
		return &(*list)[i]
	}
	own(&v)
	index[key] = len(*list)
	*list = append(*list, v)
	return nil
}

func (m *merger) cluster(c Cluster) {
	have := kept(m.clusters, &m.out.Clusters, c.Name, c, func(c *Cluster) {
		c.Fields = maps.Clone(c.Fields)
	})
	if have == nil {
		return
	}
	what := "cluster " + c.Name
	h, n := fields{have.Source, &have.Fields}, fields{c.Source, &c.Fields}
	m.mergeString(what, "environment", &have.Environment, c.Environment, h, n, true)
	m.mergeInt(what, "brokers", &have.Brokers, c.Brokers, h, n)
	m.mergeString(what, "bootstrap", &have.Bootstrap, c.Bootstrap, h, n, true)
	m.mergeString(what, "version", &have.Version, c.Version, h, n, true)
	m.mergeString(what, "description", &have.Description, c.Description, h, n, false)
}

func (m *merger) pool(p NodePool) {
	key := [2]string{p.Cluster, p.Name}
	have := kept(m.pools, &m.out.NodePools, key, p, func(p *NodePool) {
		p.Roles = slices.Clone(p.Roles)
	})
	if have == nil {
		return
	}
	if have.Replicas != p.Replicas || !slices.Equal(have.Roles, p.Roles) {
		m.conflict(have.Source, p.Source, fmt.Sprintf("node pool %s of cluster %s", p.Name, p.Cluster), "replicas and roles",
			fmt.Sprintf("%d %v", have.Replicas, have.Roles), fmt.Sprintf("%d %v", p.Replicas, p.Roles))
	}
}

func (m *merger) topic(t Topic) {
	key := t.Key()
	have := kept(m.topics, &m.out.Topics, key, t, func(t *Topic) {
		t.Config = maps.Clone(t.Config)
		t.Fields = maps.Clone(t.Fields)
	})
	if have == nil {
		return
	}
	what := "topic " + key.String()
	h, n := fields{have.Source, &have.Fields}, fields{t.Source, &t.Fields}
	m.mergeInt(what, "partitions", &have.Partitions, t.Partitions, h, n)
	m.mergeInt(what, "replicas", &have.Replicas, t.Replicas, h, n)
	m.mergeString(what, "owner", &have.Owner, t.Owner, h, n, true)
	m.mergeString(what, "description", &have.Description, t.Description, h, n, false)
	for _, k := range slices.Sorted(maps.Keys(t.Config)) {
		v := t.Config[k]
		old, ok := have.Config[k]
		switch {
		case !ok:
			if have.Config == nil {
				have.Config = map[string]string{}
			}
			have.Config[k] = v
			h.copyFrom(n, "config."+k)
		case old != v:
			m.conflict(h.at("config."+k), n.at("config."+k), what, "config "+k, old, v)
		}
	}
}

func (m *merger) app(a Application) {
	have := kept(m.apps, &m.out.Applications, a.Name, a, func(a *Application) {
		a.ACLs = slices.Clone(a.ACLs)
		a.ConsumerGroups = slices.Clone(a.ConsumerGroups)
		a.Produces, a.Consumes = nil, nil
		a.Fields = maps.Clone(a.Fields)
	})
	if have == nil {
		return
	}
	what := "application " + a.Name
	if a.Kind.rank() > have.Kind.rank() {
		have.Kind = a.Kind
	}
	h, n := fields{have.Source, &have.Fields}, fields{a.Source, &a.Fields}
	// A principal may differ between dialects for one application (a
	// KafkaUser with TLS is User:CN=name, our format may say User:name):
	// the first is kept without a conflict.
	if have.Principal == "" && a.Principal != "" {
		have.Principal = a.Principal
		h.copyFrom(n, "principal")
	}
	m.mergeString(what, "owner", &have.Owner, a.Owner, h, n, true)
	m.mergeString(what, "service", &have.Service, a.Service, h, n, true)
	m.mergeString(what, "description", &have.Description, a.Description, h, n, false)
	have.ConsumerGroups = append(have.ConsumerGroups, a.ConsumerGroups...)
	have.ACLs = append(have.ACLs, a.ACLs...)
}

// fields is an element's source and the sources of its fields.
type fields struct {
	src Source
	m   *map[string]Source
}

// at returns where a field of the element was set, or where the element
// is declared when the field's own position is not known.
func (f fields) at(field string) Source {
	if s, ok := (*f.m)[field]; ok {
		return s
	}
	return f.src
}

// copyFrom records that a field's value now comes from another
// declaration.
func (f fields) copyFrom(o fields, field string) {
	if *f.m == nil {
		*f.m = map[string]Source{}
	}
	(*f.m)[field] = o.at(field)
}

// mergeString fills an unknown field from a later declaration; when both
// are set and differ it reports a conflict if strict (a description that
// differs is not worth an error: the first one is kept).
func (m *merger) mergeString(what, field string, have *string, v string, h, n fields, strict bool) {
	switch {
	case v == "" || *have == v:
	case *have == "":
		*have = v
		h.copyFrom(n, field)
	case strict:
		m.conflict(h.at(field), n.at(field), what, field, *have, v)
	}
}

func (m *merger) mergeInt(what, field string, have *int, v int, h, n fields) {
	switch {
	case v == 0 || *have == v:
	case *have == 0:
		*have = v
		h.copyFrom(n, field)
	default:
		m.conflict(h.at(field), n.at(field), what, field, fmt.Sprint(*have), fmt.Sprint(v))
	}
}

// conflict reports two declarations that disagree, once at each, each
// message naming the other's position: neither silently wins.
func (m *merger) conflict(a, b Source, what, field, va, vb string) {
	m.diags = append(m.diags,
		diag.Diagnostic{File: a.File, Line: a.Pos.Line, Column: a.Pos.Column, Severity: diag.Error, Code: CodeConflict,
			Message: fmt.Sprintf("%s: %s is %s here but %s at %s", what, field, quote(va), quote(vb), where(b))},
		diag.Diagnostic{File: b.File, Line: b.Pos.Line, Column: b.Pos.Column, Severity: diag.Error, Code: CodeConflict,
			Message: fmt.Sprintf("%s: %s is %s here but %s at %s", what, field, quote(vb), quote(va), where(a))})
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func where(s Source) string {
	if s.Pos.Line == 0 {
		return s.File
	}
	return fmt.Sprintf("%s:%d:%d", s.File, s.Pos.Line, max(s.Pos.Column, 1))
}

// brokersFromPools sets the broker count of each cluster that has node
// pools with the broker role: Strimzi ignores spec.kafka.replicas when
// node pools are used, so the pools win.
func (m *merger) brokersFromPools() {
	sum := map[string]int{}
	src := map[string]Source{}
	for _, p := range m.out.NodePools {
		if !p.HasRole("broker") {
			continue
		}
		if _, ok := src[p.Cluster]; !ok {
			src[p.Cluster] = p.Source
		}
		sum[p.Cluster] += p.Replicas
	}
	for name, n := range sum {
		i, ok := m.clusters[name]
		if !ok {
			continue
		}
		c := &m.out.Clusters[i]
		c.Brokers = n
		if c.Fields == nil {
			c.Fields = map[string]Source{}
		}
		c.Fields["brokers"] = src[name]
	}
}

// resolve turns every application's ACLs into topic references.
func (m *merger) resolve() {
	keys := make([]TopicKey, len(m.out.Topics))
	byName := map[string][]TopicKey{}
	for i, t := range m.out.Topics {
		keys[i] = t.Key()
	}
	slices.SortFunc(keys, compareKeys)
	for _, k := range keys {
		byName[k.Name] = append(byName[k.Name], k)
	}
	for i := range m.out.Applications {
		a := &m.out.Applications[i]
		seen := map[Access]map[TopicKey]bool{Produce: {}, Consume: {}}
		add := func(acl ACL, k TopicKey, declared bool) {
			if seen[acl.Access] == nil || seen[acl.Access][k] {
				return
			}
			seen[acl.Access][k] = true
			ref := TopicRef{Cluster: k.Cluster, Name: k.Name, Declared: declared, Pattern: acl.Pattern, PatternType: acl.PatternType, Source: acl.Source}
			if acl.Access == Produce {
				a.Produces = append(a.Produces, ref)
			} else {
				a.Consumes = append(a.Consumes, ref)
			}
		}
		for _, acl := range a.ACLs {
			if acl.PatternType == Literal && acl.Pattern != "*" {
				var found []TopicKey
				if acl.Cluster != "" {
					if _, ok := m.topics[TopicKey{acl.Cluster, acl.Pattern}]; ok {
						found = []TopicKey{{acl.Cluster, acl.Pattern}}
					}
				} else {
					found = byName[acl.Pattern]
				}
				for _, k := range found {
					add(acl, k, true)
				}
				if len(found) == 0 {
					add(acl, TopicKey{acl.Cluster, acl.Pattern}, false)
					m.warn(acl.Source, fmt.Sprintf("%s %s topic %s, which no document declares", a.Name, verb(acl.Access), TopicKey{acl.Cluster, acl.Pattern}))
				}
				continue
			}
			n := 0
			for _, k := range keys {
				if acl.Matches(k) {
					add(acl, k, true)
					n++
				}
			}
			if n == 0 {
				m.warn(acl.Source, fmt.Sprintf("%s %s %s, which matches no declared topic", a.Name, verb(acl.Access), describe(acl)))
			}
		}
	}
}

func (m *merger) warn(s Source, msg string) {
	m.diags = append(m.diags, diag.Diagnostic{File: s.File, Line: s.Pos.Line, Column: s.Pos.Column,
		Severity: diag.Warning, Code: diag.CodeDanglingRef, Message: msg})
}

func verb(a Access) string {
	if a == Produce {
		return "produces to"
	}
	return "consumes"
}

func describe(acl ACL) string {
	s := "every topic"
	if acl.PatternType == Prefixed {
		s = fmt.Sprintf("every topic starting with %q", acl.Pattern)
	}
	if acl.Cluster != "" {
		s += " of cluster " + acl.Cluster
	}
	return s
}

func compareKeys(a, b TopicKey) int {
	return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Name, b.Name))
}

func compareRefs(a, b TopicRef) int { return compareKeys(a.Key(), b.Key()) }

// sort orders everything by name, so the result does not depend on the
// order files were read in (beyond which declaration is first).
func (m *merger) sort() {
	t := m.out
	slices.SortStableFunc(t.Clusters, func(a, b Cluster) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(t.NodePools, func(a, b NodePool) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Name, b.Name))
	})
	slices.SortStableFunc(t.Topics, func(a, b Topic) int { return compareKeys(a.Key(), b.Key()) })
	slices.SortStableFunc(t.Applications, func(a, b Application) int { return cmp.Compare(a.Name, b.Name) })
	for i := range t.Applications {
		a := &t.Applications[i]
		slices.SortStableFunc(a.Produces, compareRefs)
		slices.SortStableFunc(a.Consumes, compareRefs)
		slices.Sort(a.ConsumerGroups)
		a.ConsumerGroups = slices.Compact(a.ConsumerGroups)
	}
}
