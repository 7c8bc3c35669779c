// Package native reads our own concise Kafka format,
// apiVersion central-config.io/kafka/v1 (see docs/kafka.md): clusters,
// topics and the applications that produce and consume them, with the
// central-config service each application is. Like the central-config
// format it is strict: an unknown key or a value of the wrong type is an
// error at its position.
package native

import (
	"regexp"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/walk"
)

// APIVersion marks a document in this format.
const APIVersion = "central-config.io/kafka/v1"

// apiGroup is the prefix of every version of the format: a document with
// another version is claimed and reported rather than ignored, so that
// v2 written by mistake is not silently dropped.
const apiGroup = "central-config.io/kafka/"

// Detect reports whether the document is in this format (any version).
func Detect(doc *document.Document) (reason string, ok bool) {
	if doc == nil || doc.Root == nil || doc.Root.Kind != document.Map {
		return "", false
	}
	v := doc.Root.Get("apiVersion")
	if v == nil || v.Kind != document.String || !strings.HasPrefix(v.Str, apiGroup) {
		return "", false
	}
	return "apiVersion " + v.Str, true
}

// nameRule is what a name must be.
type nameRule struct {
	re   *regexp.Regexp
	text string // the rule, for messages
	// max is the longest name (0: no bound); tooLong ends the message
	// about a longer one.
	max     int
	tooLong string
}

var (
	// entityName is Backstage's rule for names: clusters and applications
	// become catalog entities.
	entityName = regexp.MustCompile(`^[a-zA-Z0-9]+([-_.][a-zA-Z0-9]+)*$`)
	// topicName is Kafka's rule for topic names.
	topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

	appRule     = nameRule{re: entityName, text: entityRule}
	clusterRule = nameRule{re: entityName, text: entityRule, max: 63}
	topicRule   = nameRule{re: topicName, text: topicRuleText, max: 249, tooLong: ", the most Kafka allows"}
)

var (
	rootKeys    = []string{"apiVersion", "clusters", "topics", "applications"}
	clusterKeys = []string{"name", "environment", "brokers", "bootstrap", "version", "description"}
	topicKeys   = []string{"name", "cluster", "partitions", "replicas", "config", "owner", "description"}
	appKeys     = []string{"name", "kind", "principal", "owner", "service", "description", "cluster", "consumerGroup", "produces", "consumes"}
)

// Read reads one document of the format into a fragment. Problems are
// reported at their position with the code diag.CodeSchema; an element
// with a problem is left out of the fragment, the others are kept.
func Read(doc *document.Document) (*kafka.Topology, diag.List) {
	return walk.Read(doc, walk.Format{Dialect: kafka.DialectNative, Code: diag.CodeSchema, Detect: Detect,
		NotIt: "not a " + APIVersion + " document: apiVersion must be " + APIVersion}, func(r *walk.Reader, root *document.Node, out *kafka.Topology) {
		if v := root.Get("apiVersion"); v.Str != APIVersion {
			r.Errorf(v.Pos, "apiVersion %s is not supported; this engine reads %s", v.Str, APIVersion)
			return
		}
		r.Strict(root, "", rootKeys...)
		rd := reader{Reader: r, out: out, seen: map[string]document.Pos{}}
		for i, n := range r.OptList(root.Get("clusters"), "clusters") {
			rd.cluster(n, walk.Index("clusters", i))
		}
		for i, n := range r.OptList(root.Get("topics"), "topics") {
			rd.topic(n, walk.Index("topics", i))
		}
		for i, n := range r.OptList(root.Get("applications"), "applications") {
			rd.app(n, walk.Index("applications", i))
		}
	})
}

type reader struct {
	*walk.Reader
	out *kafka.Topology
	// seen maps "kind/key" to where it was first declared, to report an
	// element declared twice in one document.
	seen map[string]document.Pos
}

// once reports a second declaration of the same element in the document:
// in one file it is always a mistake, even when both agree.
func (r *reader) once(kind, key, label string, pos document.Pos) bool {
	if p, ok := r.seen[kind+"/"+key]; ok {
		r.Errorf(pos, "%s %s is already declared at line %d", kind, label, p.Line)
		return false
	}
	r.seen[kind+"/"+key] = pos
	return true
}

// open checks that an element is a mapping of the allowed keys; an
// element that is not a mapping is not read at all.
func (r *reader) open(n *document.Node, path string, keys []string) bool {
	if !r.Map(n, path) {
		return false
	}
	r.Strict(n, path, keys...)
	return true
}

// strField is an optional string field of an element and where it goes.
type strField struct {
	key string
	dst *string
}

// strs reads optional string fields (see str), reporting each problem.
func (r *reader) strs(n *document.Node, path string, fields *map[string]kafka.Source, fs ...strField) bool {
	ok := true
	for _, f := range fs {
		ok = r.str(n, path, f.key, f.dst, fields) && ok
	}
	return ok
}

// str reads an optional non-empty string field into dst and records its
// position; a description may be empty.
func (r *reader) str(n *document.Node, path, key string, dst *string, fields *map[string]kafka.Source) bool {
	v := n.Get(key)
	if v == nil {
		return true
	}
	read := r.Name
	if key == "description" {
		read = r.Str
	}
	s, ok := read(v, walk.Key(path, key))
	if !ok {
		return false
	}
	*dst = s
	r.Field(fields, key, v.Pos)
	return true
}

// name reads the required name of an element and checks it against rule.
func (r *reader) name(n *document.Node, path string, rule nameRule) (string, bool) {
	v := r.Required(n, path, "name")
	if v == nil {
		return "", false
	}
	np := walk.Key(path, "name")
	s, ok := r.Name(v, np)
	if !ok {
		return "", false
	}
	if !rule.re.MatchString(s) {
		r.Errorf(v.Pos, "%s %q is not a valid name: %s", np, s, rule.text)
		return "", false
	}
	if rule.max > 0 && len(s) > rule.max {
		r.Errorf(v.Pos, "%s is longer than %d characters%s", np, rule.max, rule.tooLong)
		return s, false
	}
	return s, true
}

const (
	entityRule    = "letters and digits in groups separated by one of - _ ., at most 63 characters"
	topicRuleText = "a Kafka topic name has only letters, digits, . _ and -, at most 249 characters"
)

func (r *reader) cluster(n *document.Node, path string) {
	if !r.open(n, path, clusterKeys) {
		return
	}
	c := kafka.Cluster{Source: r.Source(n.Pos)}
	name, ok := r.name(n, path, clusterRule)
	c.Name = name
	ok = r.strs(n, path, &c.Fields, strField{"environment", &c.Environment}, strField{"bootstrap", &c.Bootstrap},
		strField{"description", &c.Description}) && ok
	if v := n.Get("version"); v != nil {
		if v.Kind == document.Bool {
			r.Errorf(v.Pos, "%s must be a version like 4.0.0, not a boolean", walk.Key(path, "version"))
			ok = false
		} else {
			s, good := r.Text(v, walk.Key(path, "version"))
			c.Version = s
			r.Field(&c.Fields, "version", v.Pos)
			ok = good && ok
		}
	}
	ok = r.OptInt(n, path, "brokers", &c.Brokers, &c.Fields, "brokers") && ok
	if ok && r.once("cluster", c.Name, c.Name, n.Pos) {
		r.out.Clusters = append(r.out.Clusters, c)
	}
}

func (r *reader) topic(n *document.Node, path string) {
	if !r.open(n, path, topicKeys) {
		return
	}
	t := kafka.Topic{Source: r.Source(n.Pos)}
	name, ok := r.name(n, path, topicRule)
	t.Name = name
	ok = r.strs(n, path, &t.Fields, strField{"cluster", &t.Cluster}, strField{"owner", &t.Owner},
		strField{"description", &t.Description}) && ok
	ok = r.OptInt(n, path, "partitions", &t.Partitions, &t.Fields, "partitions") && ok
	ok = r.OptInt(n, path, "replicas", &t.Replicas, &t.Fields, "replicas") && ok
	ok = r.TopicConfig(&t, n.Get("config"), walk.Key(path, "config")) && ok
	key := t.Key()
	if ok && r.once("topic", key.String(), key.String(), n.Pos) {
		r.out.Topics = append(r.out.Topics, t)
	}
}

func (r *reader) app(n *document.Node, path string) {
	if !r.open(n, path, appKeys) {
		return
	}
	a := kafka.Application{Kind: kafka.KindService, Source: r.Source(n.Pos)}
	name, ok := r.name(n, path, appRule)
	a.Name = name
	var cluster string
	ok = r.strs(n, path, &a.Fields, strField{"principal", &a.Principal}, strField{"owner", &a.Owner},
		strField{"service", &a.Service}, strField{"description", &a.Description}, strField{"cluster", &cluster}) && ok
	if v := n.Get("kind"); v != nil {
		s, good := r.Str(v, walk.Key(path, "kind"))
		switch {
		case !good:
			ok = false
		case !slices.Contains(kafka.Kinds, kafka.Kind(s)):
			r.Errorf(v.Pos, "%s %q is not a kind; use one of %s", walk.Key(path, "kind"), s, kindList())
			ok = false
		default:
			a.Kind = kafka.Kind(s)
		}
	}
	if v := n.Get("consumerGroup"); v != nil {
		s, good := r.Name(v, walk.Key(path, "consumerGroup"))
		if good {
			a.ConsumerGroups = []string{s}
		}
		ok = good && ok
	}
	for _, access := range []kafka.Access{kafka.Produce, kafka.Consume} {
		key := "produces"
		if access == kafka.Consume {
			key = "consumes"
		}
		lp := walk.Key(path, key)
		names, pos, good := r.Strings(n.Get(key), lp)
		ok = good && ok
		listed := map[string]int{}
		for i, s := range names {
			if j, dup := listed[s]; dup {
				r.Errorf(pos[i], "%s %q is already listed at line %d", walk.Index(lp, i), s, pos[j].Line)
				ok = false
				continue
			}
			listed[s] = i
			acl, good := r.ref(s, walk.Index(lp, i), pos[i])
			if !good {
				ok = false
				continue
			}
			acl.Cluster, acl.Access = cluster, access
			a.Grant(acl)
		}
	}
	if ok && r.once("application", a.Name, a.Name, n.Pos) {
		r.out.Applications = append(r.out.Applications, a)
	}
}

// ref reads one item of produces or consumes: a topic name, a prefix
// ending in *, or * alone for every topic.
func (r *reader) ref(s, path string, pos document.Pos) (kafka.ACL, bool) {
	acl := kafka.ACL{Pattern: s, PatternType: kafka.Literal, Source: r.Source(pos)}
	orig := s
	if s == "*" {
		return acl, true
	}
	if prefix, ok := strings.CutSuffix(s, "*"); ok {
		acl.Pattern, acl.PatternType = prefix, kafka.Prefixed
		s = prefix
	}
	if !topicName.MatchString(s) {
		r.Errorf(pos, "%s %q is not a topic name, a prefix ending in *, or *: %s", path, orig, topicRuleText)
		return acl, false
	}
	return acl, true
}

func kindList() string {
	s := make([]string, len(kafka.Kinds))
	for i, k := range kafka.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
