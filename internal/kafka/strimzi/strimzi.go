// Package strimzi reads the Strimzi custom resources that describe a Kafka
// topology (apiVersion kafka.strimzi.io/v1beta2 and v1): Kafka,
// KafkaNodePool, KafkaTopic and KafkaUser. Strimzi's other kinds
// (KafkaConnect, KafkaBridge, ...) describe no topics or ACLs and are left
// to other readers.
package strimzi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/walk"
)

const (
	group = "kafka.strimzi.io/"
	// ClusterLabel names the cluster a topic, user or node pool belongs to.
	ClusterLabel = "strimzi.io/cluster"
)

// Versions are the API versions read; both have the same shape for what
// is read here.
var Versions = []string{"v1beta2", "v1"}

// Kinds are the kinds read.
var Kinds = []string{"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}

// otherKinds are Strimzi kinds that carry no topology; they are not
// claimed. Any other kind of the group is claimed and reported: it is
// most likely a typo of one of Kinds.
var otherKinds = []string{"KafkaConnect", "KafkaConnector", "KafkaMirrorMaker", "KafkaMirrorMaker2",
	"KafkaBridge", "KafkaRebalance", "StrimziPodSet", "KafkaAccess"}

// Detect reports whether the document is a Strimzi resource to read: an
// apiVersion of the kafka.strimzi.io group and a kind other than those
// that carry no topology.
func Detect(doc *document.Document) (reason string, ok bool) {
	if doc == nil || doc.Root == nil || doc.Root.Kind != document.Map {
		return "", false
	}
	v := doc.Root.Get("apiVersion")
	if v == nil || v.Kind != document.String || !strings.HasPrefix(v.Str, group) {
		return "", false
	}
	k := doc.Root.Get("kind")
	if k != nil && k.Kind == document.String && slices.Contains(otherKinds, k.Str) {
		return "", false
	}
	return "apiVersion " + v.Str, true
}

// Read reads one Strimzi resource into a fragment.
func Read(doc *document.Document) (*kafka.Topology, diag.List) {
	return walk.Read(doc, walk.Format{Dialect: kafka.DialectStrimzi, Code: kafka.CodeDialect, Detect: Detect,
		Looks: looks(doc), NotIt: notAResource}, func(r *walk.Reader, root *document.Node, out *kafka.Topology) {
		kind := root.Get("kind")
		api := root.Get("apiVersion")
		if !slices.Contains(Versions, strings.TrimPrefix(api.Str, group)) {
			r.Errorf(api.Pos, "only %sv1beta2 and %sv1 are read", group, group)
			return
		}
		if kind == nil {
			r.Errorf(root.Pos, "kind is missing")
			return
		}
		if k, ok := r.Str(kind, "kind"); !ok {
			return
		} else if !slices.Contains(Kinds, k) {
			r.Errorf(kind.Pos, "kind %s is not one of %s", k, strings.Join(append(slices.Clone(Kinds), otherKinds...), ", "))
			return
		}
		meta, ok := readMeta(r, root)
		if !ok {
			return
		}
		rd := reader{Reader: r, out: out, root: root, meta: meta}
		switch kind.Str {
		case "Kafka":
			rd.kafka()
		case "KafkaNodePool":
			rd.nodePool()
		case "KafkaTopic":
			rd.topic()
		case "KafkaUser":
			rd.user()
		}
	})
}

var notAResource = "not a Strimzi resource of kind " + strings.Join(Kinds, ", ") +
	": apiVersion must be kafka.strimzi.io/v1beta2 or kafka.strimzi.io/v1"

// looks names what a claimed document was taken for: its kind when it
// has one.
func looks(doc *document.Document) string {
	if doc != nil {
		if kind := doc.Root.Get("kind"); kind != nil && kind.Kind == document.String && kind.Str != "" {
			return "a Strimzi " + kind.Str
		}
	}
	return "a Strimzi resource"
}

type meta struct {
	node       *document.Node
	name       string
	namespace  string
	cluster    string
	clusterPos document.Pos
}

func readMeta(r *walk.Reader, root *document.Node) (meta, bool) {
	n := r.Required(root, "", "metadata")
	if n == nil || !r.Map(n, "metadata") {
		return meta{}, false
	}
	m := meta{node: n}
	v := r.Required(n, "metadata", "name")
	if v == nil {
		return m, false
	}
	name, ok := r.Name(v, "metadata.name")
	if !ok {
		return m, false
	}
	m.name = name
	if ns := n.Get("namespace"); ns != nil {
		if m.namespace, ok = r.Str(ns, "metadata.namespace"); !ok {
			return m, false
		}
	}
	m.clusterPos = n.Pos
	if labels := n.Get("labels"); labels != nil && labels.Kind != document.Null {
		if !r.Map(labels, "metadata.labels") {
			return m, false
		}
		m.clusterPos = labels.Pos
		if c := labels.Get(ClusterLabel); c != nil {
			if m.cluster, ok = r.Name(c, "metadata.labels."+ClusterLabel); !ok {
				return m, false
			}
			m.clusterPos = c.Pos
		}
	}
	return m, true
}

type reader struct {
	*walk.Reader
	out  *kafka.Topology
	root *document.Node
	meta meta
}

// spec returns the spec mapping; required says whether its absence is an
// error (a Kafka needs one, a KafkaUser without one has no ACLs).
func (r *reader) spec(required bool) (*document.Node, bool) {
	n := r.root.Get("spec")
	if n == nil || n.Kind == document.Null {
		if required {
			r.Errorf(r.root.Pos, "spec is missing")
			return nil, false
		}
		return nil, true
	}
	if !r.Map(n, "spec") {
		return nil, false
	}
	return n, true
}

func (r *reader) kafka() {
	spec, ok := r.spec(true)
	if !ok {
		return
	}
	k := r.Required(spec, "spec", "kafka")
	if k == nil || !r.Map(k, "spec.kafka") {
		return
	}
	c := kafka.Cluster{Name: r.meta.name, Source: r.Source(r.root.Pos),
		Fields: map[string]kafka.Source{}}
	if !r.OptInt(k, "spec.kafka", "replicas", &c.Brokers, &c.Fields, "brokers") {
		return
	}
	if v := k.Get("version"); v != nil {
		s, ok := r.Text(v, "spec.kafka.version")
		if !ok {
			return
		}
		c.Version = s
		c.Fields["version"] = r.Source(v.Pos)
	}
	if addr, pos, ok := bootstrap(r.meta, k.Get("listeners")); ok {
		c.Bootstrap = addr
		c.Fields["bootstrap"] = r.Source(pos)
	}
	r.out.Clusters = append(r.out.Clusters, c)
}

// bootstrap returns the address of the cluster's bootstrap service for
// its first internal listener: Strimzi names the service
// <cluster>-kafka-bootstrap in the cluster's namespace. Without a
// namespace the address is not known.
func bootstrap(m meta, listeners *document.Node) (string, document.Pos, bool) {
	if m.namespace == "" || listeners == nil || listeners.Kind != document.Seq {
		return "", document.Pos{}, false
	}
	for _, l := range listeners.Items {
		typ, port := l.Get("type"), l.Get("port")
		if typ == nil || port == nil || typ.Kind != document.String || port.Kind != document.Int {
			continue
		}
		if typ.Str == "internal" || typ.Str == "cluster-ip" {
			return fmt.Sprintf("%s-kafka-bootstrap.%s.svc:%d", m.name, m.namespace, port.Int), l.Pos, true
		}
	}
	return "", document.Pos{}, false
}

func (r *reader) requireCluster() bool {
	if r.meta.cluster == "" {
		r.Errorf(r.meta.clusterPos, "metadata.labels has no %s label naming its Kafka cluster", ClusterLabel)
		return false
	}
	return true
}

// warnCluster reports a topic or user without a cluster label: the
// Strimzi operators ignore it, but it is still read (on no cluster).
func (r *reader) warnCluster() {
	if r.meta.cluster == "" {
		r.Warnf(r.meta.clusterPos, "metadata.labels has no %s label: no Strimzi operator manages it, and it is read as on no cluster", ClusterLabel)
	}
}

func (r *reader) nodePool() {
	if !r.requireCluster() {
		return
	}
	spec, ok := r.spec(true)
	if !ok {
		return
	}
	p := kafka.NodePool{Cluster: r.meta.cluster, Name: r.meta.name, Source: r.Source(r.root.Pos)}
	v := r.Required(spec, "spec", "replicas")
	if v == nil {
		return
	}
	if v.Kind != document.Int || v.Int < 0 {
		r.Errorf(v.Pos, "spec.replicas must be a whole number of nodes (0 or more), not %s", walk.Describe(v))
		return
	}
	p.Replicas = v.Int
	roles := r.Required(spec, "spec", "roles")
	if roles == nil {
		return
	}
	names, pos, ok := r.Strings(roles, "spec.roles")
	if !ok {
		return
	}
	if len(names) == 0 {
		r.Errorf(roles.Pos, "spec.roles must list broker, controller or both")
		return
	}
	for i, role := range names {
		if role != "broker" && role != "controller" {
			r.Errorf(pos[i], "spec.roles[%d] %q is not a role; use broker or controller", i, role)
			return
		}
	}
	p.Roles = names
	r.out.NodePools = append(r.out.NodePools, p)
}

func (r *reader) topic() {
	r.warnCluster()
	spec, ok := r.spec(false)
	if !ok {
		return
	}
	t := kafka.Topic{Cluster: r.meta.cluster, Name: r.meta.name, Source: r.Source(r.root.Pos),
		Fields: map[string]kafka.Source{}}
	if spec == nil {
		r.out.Topics = append(r.out.Topics, t)
		return
	}
	if v := spec.Get("topicName"); v != nil {
		name, ok := r.Name(v, "spec.topicName")
		if !ok {
			return
		}
		t.Name = name
	}
	if !r.OptInt(spec, "spec", "partitions", &t.Partitions, &t.Fields, "partitions") ||
		!r.OptInt(spec, "spec", "replicas", &t.Replicas, &t.Fields, "replicas") {
		return
	}
	if !r.TopicConfig(&t, spec.Get("config"), "spec.config") {
		return
	}
	r.out.Topics = append(r.out.Topics, t)
}

// operations are the ACL operations of KafkaUser; Write makes a producer,
// Read a consumer, All both; the others grant neither.
var operations = []string{"Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction",
	"AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"}

func (r *reader) user() {
	r.warnCluster()
	a := kafka.Application{Name: r.meta.name, Kind: kafka.KindUser, Source: r.Source(r.root.Pos),
		Principal: "User:" + r.meta.name}
	spec, ok := r.spec(false)
	if !ok {
		return
	}
	if spec == nil {
		r.out.Applications = append(r.out.Applications, a)
		return
	}
	if auth := spec.Get("authentication"); auth != nil && auth.Kind != document.Null {
		if !r.Map(auth, "spec.authentication") {
			return
		}
		if t := auth.Get("type"); t != nil {
			s, ok := r.Str(t, "spec.authentication.type")
			if !ok {
				return
			}
			// Users that authenticate with a certificate are known to
			// Kafka by its distinguished name.
			if s == "tls" || s == "tls-external" {
				a.Principal = "User:CN=" + r.meta.name
			}
		}
	}
	authz := spec.Get("authorization")
	if authz != nil && authz.Kind != document.Null {
		if !r.Map(authz, "spec.authorization") {
			return
		}
		if t := authz.Get("type"); t != nil {
			s, ok := r.Str(t, "spec.authorization.type")
			if !ok {
				return
			}
			if s != "simple" {
				r.Errorf(t.Pos, "spec.authorization.type %q is not simple, the only type of KafkaUser authorization", s)
				return
			}
		}
		for i, n := range r.OptList(authz.Get("acls"), "spec.authorization.acls") {
			if !r.acl(&a, n, walk.Index("spec.authorization.acls", i)) {
				return
			}
		}
		if r.Failed() {
			return
		}
	}
	r.out.Applications = append(r.out.Applications, a)
}

// acl reads one ACL rule of a KafkaUser into the application.
func (r *reader) acl(a *kafka.Application, n *document.Node, path string) bool {
	if !r.Map(n, path) {
		return false
	}
	res, acl, ok := r.resource(n, path)
	if !ok {
		return false
	}
	ops, opsPos, ok := r.operations(n, path)
	if !ok {
		return false
	}
	allow, ok := r.allows(n, path)
	if !ok || !allow {
		return ok // a deny rule grants nothing
	}
	for i, op := range ops {
		acl.Source = r.Source(opsPos[i])
		walk.Grant(a, res, acl, op == "Read" || op == "All", op == "Write" || op == "All")
	}
	return true
}

// aclResources are the resource types of KafkaUser ACLs and what the
// topology holds of each.
var aclResources = map[string]walk.Resource{"topic": walk.TopicResource, "group": walk.GroupResource,
	"cluster": walk.OtherResource, "transactionalId": walk.OtherResource}

// resource reads the resource of an ACL rule: its type, and its name
// and pattern type (into acl).
func (r *reader) resource(n *document.Node, path string) (walk.Resource, kafka.ACL, bool) {
	acl := kafka.ACL{Cluster: r.meta.cluster, PatternType: kafka.Literal}
	rp := path + ".resource"
	res := r.Required(n, path, "resource")
	if res == nil || !r.Map(res, rp) {
		return 0, acl, false
	}
	typ := r.Required(res, rp, "type")
	if typ == nil {
		return 0, acl, false
	}
	rtype, ok := r.Str(typ, rp+".type")
	if !ok {
		return 0, acl, false
	}
	kind, known := aclResources[rtype]
	if !known {
		r.Errorf(typ.Pos, "%s.type %q is not topic, group, cluster or transactionalId", rp, rtype)
		return 0, acl, false
	}
	if pt := res.Get("patternType"); pt != nil {
		s, ok := r.Str(pt, rp+".patternType")
		if !ok {
			return 0, acl, false
		}
		switch s {
		case "literal":
		case "prefix":
			acl.PatternType = kafka.Prefixed
		default:
			r.Errorf(pt.Pos, "%s.patternType %q is not literal or prefix", rp, s)
			return 0, acl, false
		}
	}
	if rtype != "cluster" {
		v := r.Required(res, rp, "name")
		if v == nil {
			return 0, acl, false
		}
		if acl.Pattern, ok = r.Name(v, rp+".name"); !ok {
			return 0, acl, false
		}
	}
	return kind, acl, true
}

// allows reads the type of an ACL rule: allow (the default) or deny.
func (r *reader) allows(n *document.Node, path string) (allow, ok bool) {
	t := n.Get("type")
	if t == nil {
		return true, true
	}
	s, ok := r.Str(t, path+".type")
	if !ok {
		return false, false
	}
	switch s {
	case "allow":
		return true, true
	case "deny":
		return false, true
	}
	r.Errorf(t.Pos, "%s.type %q is not allow or deny", path, s)
	return false, false
}

// operations reads the operations list, or the older single operation.
func (r *reader) operations(n *document.Node, path string) ([]string, []document.Pos, bool) {
	var ops []string
	var pos []document.Pos
	if v := n.Get("operations"); v != nil {
		var ok bool
		if ops, pos, ok = r.Strings(v, path+".operations"); !ok {
			return nil, nil, false
		}
	}
	if v := n.Get("operation"); v != nil {
		s, ok := r.Str(v, path+".operation")
		if !ok {
			return nil, nil, false
		}
		ops, pos = append(ops, s), append(pos, v.Pos)
	}
	if len(ops) == 0 {
		r.Errorf(n.Pos, "%s has no operations (or operation)", path)
		return nil, nil, false
	}
	for i, op := range ops {
		if !slices.Contains(operations, op) {
			r.Errorf(pos[i], "%s operation %q is not one of %s", path, op, strings.Join(operations, ", "))
			return nil, nil, false
		}
	}
	return ops, pos, true
}
