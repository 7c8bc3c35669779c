// Package graph turns a Kafka topology into the elements of a graph for
// Cytoscape.js: clusters as compound nodes, topics and applications inside
// them, and edges that follow the data, from a producer to a topic and
// from a topic to a consumer. It also summarises clusters and names the
// Backstage entities of topics (kafka.TopicEntityName), a rule the catalog
// mapping shares. Everything here is a pure function of a *kafka.Topology:
// no I/O, and the same topology and filter always give the same JSON.
package graph

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
)

// Node types, the data.type of a node.
const (
	TypeCluster     = "cluster"
	TypeTopic       = "topic"
	TypeApplication = "application"
)

// Edge kinds, the data.kind of an edge.
const (
	EdgeProduces = "produces"
	EdgeConsumes = "consumes"
)

// Graph is a set of Cytoscape.js elements, in the {nodes, edges} form the
// elements option of cytoscape() and cy.add() accept. Nodes come cluster
// nodes first (a compound parent before its children), then topics, then
// applications, each group sorted by id; edges are sorted by id.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is one node element.
type Node struct {
	Data NodeData `json:"data"`
}

// NodeData is a node's data. ID, Type and Label are always set; the other
// fields depend on the type and are left out when unknown.
//
//   - cluster: id cluster:<name>; environment, brokers, bootstrap,
//     version, description; declared is false for a cluster that topics name but no
//     document declares; live and liveError with Options.Drift.
//   - topic: id topic:<cluster>/<name> (topic:<name> for a topic on no
//     named cluster); parent cluster:<cluster>; cluster, partitions,
//     replicas, owner, description, config; declared is false for a topic
//     an application references but no document declares, and for one
//     that discovery found on a cluster (Options.Drift); entityRef
//     resource:default/<kafka.TopicEntityNames name> for declared topics;
//     drift and driftDetail with Options.Drift.
//   - application: id app:<name>; parent cluster:<c> when every topic it
//     touches is on cluster c; kind (service, user, stream, connector,
//     ksql), owner, service, system (from Options.ServiceSystem),
//     principal, description, consumerGroups; entityRef
//     component:default/<service> when it is a central-config service.
type NodeData struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Label  string `json:"label"`
	Parent string `json:"parent,omitempty"`
	// EntityRef is the Backstage entity the node is, for links.
	EntityRef string `json:"entityRef,omitempty"`
	// Declared is set for clusters and topics.
	Declared *bool `json:"declared,omitempty"`
	// Live is the state of the cluster's last discovery (ok or
	// unreachable), and LiveError why it failed; both only when
	// discovery is configured for the cluster and has run.
	Live      drift.State `json:"live,omitempty"`
	LiveError string      `json:"liveError,omitempty"`
	// Drift says how a topic differs from its cluster (missing,
	// undeclared or mismatch), DriftDetail how in words; only with
	// discovery.
	Drift       string `json:"drift,omitempty"`
	DriftDetail string `json:"driftDetail,omitempty"`

	// Clusters.
	Environment string `json:"environment,omitempty"`
	Brokers     int    `json:"brokers,omitempty"`
	Bootstrap   string `json:"bootstrap,omitempty"`
	Version     string `json:"version,omitempty"`

	// Topics.
	Cluster    string            `json:"cluster,omitempty"`
	Partitions int               `json:"partitions,omitempty"`
	Replicas   int               `json:"replicas,omitempty"`
	Config     map[string]string `json:"config,omitempty"`

	// Applications.
	Kind           kafka.Kind `json:"kind,omitempty"`
	Service        string     `json:"service,omitempty"`
	System         string     `json:"system,omitempty"`
	Principal      string     `json:"principal,omitempty"`
	ConsumerGroups []string   `json:"consumerGroups,omitempty"`

	// Topics and applications.
	Owner       string `json:"owner,omitempty"`
	Description string `json:"description,omitempty"`
}

// Edge is one edge element.
type Edge struct {
	Data EdgeData `json:"data"`
}

// EdgeData is an edge's data: produces edges go from an application to a
// topic, consumes edges from a topic to an application. Pattern and
// PatternType are the ACL (or list item) the relation comes from, so a
// relation granted by a prefix (orders.*) can say so.
type EdgeData struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Target      string            `json:"target"`
	Kind        string            `json:"kind"`
	Pattern     string            `json:"pattern"`
	PatternType kafka.PatternType `json:"patternType"`
}

// Counts counts a graph's elements.
type Counts struct {
	Clusters     int `json:"clusters"`
	Topics       int `json:"topics"`
	Applications int `json:"applications"`
	Edges        int `json:"edges"`
}

// Counts counts the graph's nodes by type, and its edges.
func (g Graph) Counts() Counts {
	c := Counts{Edges: len(g.Edges)}
	for _, n := range g.Nodes {
		switch n.Data.Type {
		case TypeCluster:
			c.Clusters++
		case TypeTopic:
			c.Topics++
		case TypeApplication:
			c.Applications++
		}
	}
	return c
}

// Filter narrows the graph. Empty fields do not filter; the others
// combine: a node is kept when every set filter keeps it. Each filter is
// evaluated on the whole topology, so "plus their neighbours" reaches
// neighbours that another filter then removes. An edge is kept when both
// its ends are, a cluster when at least one of its children is.
type Filter struct {
	// Cluster keeps the topics of that cluster and the applications that
	// touch at least one of them.
	Cluster string
	// Owner keeps the topics and applications of that owner
	// (case-insensitive) and their direct neighbours.
	Owner string
	// System keeps the applications whose service is part of that system
	// (case-insensitive), by Options.ServiceSystem, and the topics they
	// produce to or consume. The topology itself knows no systems;
	// without the mapping this filter keeps nothing.
	System string
	// Search keeps the topics and applications whose label contains it
	// (case-insensitive) and their direct neighbours.
	Search string
	// Focus is a node id: it keeps the nodes at most Depth edges away, in
	// either direction. A cluster id starts from all its children. An id
	// that is no node keeps nothing.
	Focus string
	// Depth is the focus radius; 0 or less means 1.
	Depth int
}

// Options is what the graph needs from outside the topology.
type Options struct {
	// ServiceSystem maps a central-config service (a Backstage component
	// name) to the system it is part of, as the catalog knows it. It
	// feeds Filter.System and the system of application nodes.
	ServiceSystem map[string]string
	// Drift is what live discovery found, compared with the topology
	// (nil when discovery is off). It adds the topics found on a cluster
	// that no document declares, and the drift fields of nodes.
	Drift []drift.Cluster
}

// IDs of nodes and edges.

// ClusterID is the node id of a cluster.
func ClusterID(name string) string { return "cluster:" + name }

// TopicID is the node id of a topic: topic:<cluster>/<name>, or
// topic:<name> on no named cluster.
func TopicID(k kafka.TopicKey) string { return "topic:" + k.String() }

// AppID is the node id of an application.
func AppID(name string) string { return "app:" + name }

// EdgeID is the id of the edge from source to target.
func EdgeID(source, target string) string { return "e:" + source + "->" + target }

// index is the whole topology as a graph: topics and applications are
// numbered (topics first), adjacency is undirected for filtering.
type index struct {
	topics   []topicNode
	topicIdx map[kafka.TopicKey]int
	apps     []*kafka.Application
	// appCluster is the single cluster of an application's topics, ""
	// when it has none or several (or topics on no named cluster).
	appCluster []string
	edges      []edge
	adj        [][]int32
	clusters   []string // sorted; declared and referenced by topics
	// topicID and appID are the node ids.
	topicID, appID []string
}

type topicNode struct {
	key  kafka.TopicKey
	decl *kafka.Topic // nil when only referenced, or only found on a cluster
}

type edge struct {
	app, topic int // indexes into apps, topics
	ref        *kafka.TopicRef
	kind       string
}

func (x *index) n() int            { return len(x.topics) + len(x.apps) }
func (x *index) appNode(i int) int { return len(x.topics) + i }

// build indexes the topology; found are the topics discovery found on a
// cluster that no document declares, added as nodes without edges.
func build(t *kafka.Topology, found ...kafka.TopicKey) *index {
	x := &index{topicIdx: make(map[kafka.TopicKey]int, len(t.Topics))}
	x.topics = make([]topicNode, 0, len(t.Topics))
	for i := range t.Topics {
		x.addTopic(t.Topics[i].Key(), &t.Topics[i])
	}
	x.apps = make([]*kafka.Application, 0, len(t.Applications))
	seenApp := make(map[string]bool, len(t.Applications))
	for i := range t.Applications {
		a := &t.Applications[i]
		if !seenApp[a.Name] {
			seenApp[a.Name] = true
			x.apps = append(x.apps, a)
		}
	}
	// Then the topics applications reference but no document declares,
	// so that every topic has its index before edges are made.
	for _, a := range x.apps {
		for _, refs := range [][]kafka.TopicRef{a.Produces, a.Consumes} {
			for _, r := range refs {
				x.addTopic(r.Key(), nil)
			}
		}
	}
	for _, k := range found {
		x.addTopic(k, nil)
	}
	x.topicID = make([]string, len(x.topics))
	for i, tn := range x.topics {
		x.topicID[i] = TopicID(tn.key)
	}
	x.appID = make([]string, len(x.apps))
	for i, a := range x.apps {
		x.appID[i] = AppID(a.Name)
	}
	x.addEdges()
	x.adjacency()
	x.clusters = clusterNames(t, x.topics)
	return x
}

// addTopic adds the topic k unless it is there already (the first
// declaration wins).
func (x *index) addTopic(k kafka.TopicKey, decl *kafka.Topic) {
	if _, ok := x.topicIdx[k]; !ok {
		x.topicIdx[k] = len(x.topics)
		x.topics = append(x.topics, topicNode{key: k, decl: decl})
	}
}

// addEdges makes the edges of every application, once per topic and
// kind, and sets appCluster.
func (x *index) addEdges() {
	x.appCluster = make([]string, len(x.apps))
	nrefs := 0
	for _, a := range x.apps {
		nrefs += len(a.Produces) + len(a.Consumes)
	}
	x.edges = make([]edge, 0, nrefs)
	// seen[kind][topic] is 1 + the last application with that edge: Merge
	// lists a topic once per application and access, but a topology built
	// otherwise may repeat it.
	seen := [2][]int{make([]int, len(x.topics)), make([]int, len(x.topics))}
	for ai, a := range x.apps {
		clusters := 0
		for k, e := range [2]struct {
			refs []kafka.TopicRef
			kind string
		}{{a.Produces, EdgeProduces}, {a.Consumes, EdgeConsumes}} {
			for ri := range e.refs {
				r := &e.refs[ri]
				ti := x.topicIdx[r.Key()]
				if seen[k][ti] == ai+1 {
					continue
				}
				seen[k][ti] = ai + 1
				x.edges = append(x.edges, edge{app: ai, topic: ti, ref: r, kind: e.kind})
				switch {
				case clusters == 0:
					x.appCluster[ai] = r.Cluster
					clusters = 1
				case x.appCluster[ai] != r.Cluster:
					clusters = 2
				}
			}
		}
		if clusters != 1 {
			x.appCluster[ai] = ""
		}
	}
}

// clusterNames returns the names of the declared clusters and of those
// topics name, sorted.
func clusterNames(t *kafka.Topology, topics []topicNode) []string {
	names := map[string]bool{}
	for _, c := range t.Clusters {
		names[c.Name] = true
	}
	for _, tn := range topics {
		if tn.key.Cluster != "" {
			names[tn.key.Cluster] = true
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// adjacency fills adj from the edges, all neighbour lists in one array.
func (x *index) adjacency() {
	start := make([]int, x.n()+1)
	for _, e := range x.edges {
		start[e.topic+1]++
		start[x.appNode(e.app)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	all := make([]int32, start[len(start)-1])
	fill := slices.Clone(start)
	for _, e := range x.edges {
		a := x.appNode(e.app)
		all[fill[e.topic]] = int32(a)
		fill[e.topic]++
		all[fill[a]] = int32(e.topic)
		fill[a]++
	}
	x.adj = make([][]int32, x.n())
	for i := range x.adj {
		x.adj[i] = all[start[i]:start[i+1]:start[i+1]]
	}
}

// Elements returns the Cytoscape.js elements of the topology, narrowed by
// the filter. A nil topology is an empty graph.
func Elements(t *kafka.Topology, f Filter, opts ...Options) Graph {
	var o Options
	for _, op := range opts {
		if op.ServiceSystem != nil {
			o.ServiceSystem = op.ServiceSystem
		}
		if op.Drift != nil {
			o.Drift = op.Drift
		}
	}
	if t == nil {
		return Graph{Nodes: []Node{}, Edges: []Edge{}}
	}
	ann := annotate(t, o.Drift)
	e := elements{t: t, x: build(t, ann.undeclared...), ann: ann, systems: newSystems(o.ServiceSystem)}
	keep := e.x.filter(f, e.systems)
	topics := e.x.keptSorted(keep[:len(e.x.topics)], e.x.topicID)
	apps := e.x.keptSorted(keep[len(e.x.topics):], e.x.appID)

	nodes := e.clusterNodes(topics, apps, f.active())
	e.parents = make(map[string]string, len(e.x.clusters)) // one string per cluster id
	for _, name := range e.x.clusters {
		if name != "" { // a topic or an application on no cluster has no parent
			e.parents[name] = ClusterID(name)
		}
	}
	entityNames := kafka.TopicEntityNames(t)
	for _, i := range topics {
		nodes = append(nodes, Node{Data: e.topic(i, entityNames)})
	}
	for _, i := range apps {
		nodes = append(nodes, Node{Data: e.app(i)})
	}
	return Graph{Nodes: nodes, Edges: e.edges(keep)}
}

// elements is what Elements builds the nodes and edges from.
type elements struct {
	t       *kafka.Topology
	x       *index
	ann     annotations
	systems systems
	// parents is the node id of each cluster, by name.
	parents map[string]string
}

// clusterNodes returns the cluster nodes: every cluster, or with an
// active filter those with a kept topic or application. The slice has
// room for the topics and applications.
func (e *elements) clusterNodes(topics, apps []int, active bool) []Node {
	used := map[string]bool{}
	for _, i := range topics {
		used[e.x.topics[i].key.Cluster] = true
	}
	for _, i := range apps {
		used[e.x.appCluster[i]] = true
	}
	delete(used, "") // on no cluster
	nodes := make([]Node, 0, len(e.x.clusters)+len(topics)+len(apps))
	for _, name := range e.x.clusters {
		if !used[name] && active {
			continue
		}
		d := NodeData{ID: ClusterID(name), Type: TypeCluster, Label: name, Declared: ptr(false)}
		if c := e.t.Cluster(name); c != nil {
			d.Declared = ptr(true)
			d.Environment, d.Brokers, d.Bootstrap, d.Version, d.Description = c.Environment, c.Brokers, c.Bootstrap, c.Version, c.Description
		}
		if l, ok := e.ann.clusters[name]; ok {
			d.Live, d.LiveError = l.state, l.err
		}
		nodes = append(nodes, Node{Data: d})
	}
	return nodes
}

// topic returns the data of topic node i.
func (e *elements) topic(i int, entityNames map[kafka.TopicKey]string) NodeData {
	tn := e.x.topics[i]
	d := NodeData{ID: e.x.topicID[i], Type: TypeTopic, Label: tn.key.Name, Cluster: tn.key.Cluster,
		Declared: ptr(tn.decl != nil), Parent: e.parents[tn.key.Cluster]}
	if tp := tn.decl; tp != nil {
		d.Partitions, d.Replicas, d.Owner, d.Description = tp.Partitions, tp.Replicas, tp.Owner, tp.Description
		d.Config = maps.Clone(tp.Config)
		d.EntityRef = "resource:default/" + entityNames[tn.key]
	}
	if a := e.ann.topics[tn.key]; a != nil {
		d.Drift, d.DriftDetail = a.drift, strings.Join(a.details, "; ")
	}
	return d
}

// app returns the data of application node i.
func (e *elements) app(i int) NodeData {
	a := e.x.apps[i]
	d := NodeData{ID: e.x.appID[i], Type: TypeApplication, Label: a.Name, Kind: a.Kind, Owner: a.Owner,
		Service: a.Service, Principal: a.Principal, Description: a.Description, ConsumerGroups: slices.Clone(a.ConsumerGroups),
		Parent: e.parents[e.x.appCluster[i]]}
	if d.Kind == "" {
		d.Kind = kafka.KindService // the readers' default
	}
	if a.Service != "" {
		d.EntityRef = "component:default/" + a.Service
		d.System = e.systems.of(a.Service)
	}
	return d
}

// edges returns the edges between kept nodes, sorted by id.
func (e *elements) edges(keep []bool) []Edge {
	x := e.x
	type keptEdge struct {
		id, src, dst string
		e            *edge
	}
	kept := make([]keptEdge, 0, len(x.edges))
	for k := range x.edges {
		ed := &x.edges[k]
		if !keep[ed.topic] || !keep[x.appNode(ed.app)] {
			continue
		}
		src, dst := x.appID[ed.app], x.topicID[ed.topic]
		if ed.kind == EdgeConsumes {
			src, dst = dst, src
		}
		kept = append(kept, keptEdge{EdgeID(src, dst), src, dst, ed})
	}
	slices.SortFunc(kept, func(a, b keptEdge) int { return cmp.Compare(a.id, b.id) })
	out := make([]Edge, len(kept))
	for k, ke := range kept {
		out[k] = Edge{Data: EdgeData{ID: ke.id, Source: ke.src, Target: ke.dst, Kind: ke.e.kind,
			Pattern: ke.e.ref.Pattern, PatternType: ke.e.ref.PatternType}}
	}
	return out
}

// keptSorted returns the indexes of the kept nodes ordered by id.
func (x *index) keptSorted(keep []bool, ids []string) []int {
	out := make([]int, 0, len(keep))
	for i, ok := range keep {
		if ok {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return cmp.Compare(ids[a], ids[b]) })
	return out
}

// active says whether any filter is set. Without one, every cluster is
// shown, also one with no topics yet; with one, only the clusters with a
// kept child.
func (f Filter) active() bool {
	return f.Cluster != "" || f.Owner != "" || f.System != "" || f.Search != "" || f.Focus != ""
}

func ptr[T any](v T) *T { return &v }

// systems looks the system of a service up, exactly and then ignoring
// case (Backstage names are case-insensitive).
type systems struct {
	exact, folded map[string]string
}

func newSystems(m map[string]string) systems {
	s := systems{exact: m, folded: make(map[string]string, len(m))}
	for _, k := range slices.Sorted(maps.Keys(m)) { // the first of keys equal but for case wins
		if _, ok := s.folded[strings.ToLower(k)]; !ok {
			s.folded[strings.ToLower(k)] = m[k]
		}
	}
	return s
}

func (s systems) of(service string) string {
	if v, ok := s.exact[service]; ok {
		return v
	}
	return s.folded[strings.ToLower(service)]
}
