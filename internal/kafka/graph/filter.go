package graph

import (
	"strings"
)

// filter returns which topic and application nodes (by index) the filter
// keeps: the intersection of what each set filter keeps.
func (x *index) filter(f Filter, sys systems) []bool {
	keep := make([]bool, x.n())
	for i := range keep {
		keep[i] = true
	}
	and := func(set []bool) {
		for i, ok := range set {
			keep[i] = keep[i] && ok
		}
	}
	if f.Cluster != "" {
		and(x.byCluster(f.Cluster))
	}
	if f.Owner != "" {
		and(x.withNeighbours(x.seeds(func(i int) bool {
			if i < len(x.topics) {
				d := x.topics[i].decl
				return d != nil && strings.EqualFold(d.Owner, f.Owner)
			}
			return strings.EqualFold(x.apps[i-len(x.topics)].Owner, f.Owner)
		})))
	}
	if f.System != "" {
		and(x.withNeighbours(x.seeds(func(i int) bool {
			if i < len(x.topics) {
				return false
			}
			a := x.apps[i-len(x.topics)]
			return a.Service != "" && strings.EqualFold(sys.of(a.Service), f.System)
		})))
	}
	if f.Search != "" {
		q := strings.ToLower(f.Search)
		and(x.withNeighbours(x.seeds(func(i int) bool {
			return strings.Contains(strings.ToLower(x.label(i)), q)
		})))
	}
	if f.Focus != "" {
		and(x.around(x.focusSeeds(f.Focus), max(f.Depth, 1)))
	}
	return keep
}

// label is the label of a topic or application node.
func (x *index) label(i int) string {
	if i < len(x.topics) {
		return x.topics[i].key.Name
	}
	return x.apps[i-len(x.topics)].Name
}

// seeds marks the nodes for which match is true.
func (x *index) seeds(match func(int) bool) []bool {
	set := make([]bool, x.n())
	for i := range set {
		set[i] = match(i)
	}
	return set
}

// withNeighbours adds the direct neighbours of the marked nodes.
func (x *index) withNeighbours(seeds []bool) []bool {
	out := make([]bool, len(seeds))
	for i, ok := range seeds {
		if !ok {
			continue
		}
		out[i] = true
		for _, j := range x.adj[i] {
			out[j] = true
		}
	}
	return out
}

// byCluster marks a cluster's topics and the applications that touch them.
func (x *index) byCluster(name string) []bool {
	set := make([]bool, x.n())
	for _, e := range x.edges {
		if x.topics[e.topic].key.Cluster == name {
			set[x.appNode(e.app)] = true
		}
	}
	for i, tn := range x.topics {
		if tn.key.Cluster == name {
			set[i] = true
		}
	}
	return set
}

// focusSeeds returns the nodes a focus id starts from: the node itself, or
// a cluster's children (its topics and the applications it is the parent
// of).
func (x *index) focusSeeds(id string) []int {
	switch {
	case strings.HasPrefix(id, "cluster:"):
		name := strings.TrimPrefix(id, "cluster:")
		var out []int
		for i, tn := range x.topics {
			if tn.key.Cluster == name {
				out = append(out, i)
			}
		}
		for i, c := range x.appCluster {
			if c == name {
				out = append(out, x.appNode(i))
			}
		}
		return out
	case strings.HasPrefix(id, "app:"):
		name := strings.TrimPrefix(id, "app:")
		for i, a := range x.apps {
			if a.Name == name {
				return []int{x.appNode(i)}
			}
		}
	case strings.HasPrefix(id, "topic:"):
		for i, tn := range x.topics {
			if TopicID(tn.key) == id {
				return []int{i}
			}
		}
	}
	return nil
}

// around marks the nodes at most depth edges from the seeds, in either
// direction.
func (x *index) around(seeds []int, depth int) []bool {
	set := make([]bool, x.n())
	frontier := make([]int, 0, len(seeds))
	for _, s := range seeds {
		if !set[s] {
			set[s] = true
			frontier = append(frontier, s)
		}
	}
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []int
		for _, i := range frontier {
			for _, j := range x.adj[i] {
				if !set[j] {
					set[j] = true
					next = append(next, int(j))
				}
			}
		}
		frontier = next
	}
	return set
}
