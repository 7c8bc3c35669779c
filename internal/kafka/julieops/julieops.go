// Package julieops reads JulieOps topology descriptors (formerly Kafka
// Topology Builder): a context, projects, their topics and the consumers,
// producers, Kafka Streams apps, connectors and ksqlDB apps that use them.
//
// Topic names follow JulieOps' default naming: the context, then every
// other top-level field in the order written (source, company, env, ...),
// then the project name, then the topic name, joined by "."; a topic with
// a dataType gets it as a last part (context.source.foo.bar.avro). In the
// older dialect the descriptor starts with team and source instead of
// context, and names start with team.source. Custom naming patterns
// (topology.topic.prefix.format in JulieOps' own configuration) are not
// visible in the descriptor and so not applied.
//
// Access follows JulieOps' default (detailed) ACLs: the consumers and
// producers of a project read and write every topic of the project, those
// of a topic that topic; streams, connectors and ksqlDB apps read and write
// the topics listed under their topics.read and topics.write, as written
// (full names, not prefixed).
package julieops

import (
	"fmt"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/walk"
)

// Detect reports whether the document is a JulieOps descriptor: context
// and projects, or team and source in the older dialect.
func Detect(doc *document.Document) (reason string, ok bool) {
	if doc == nil || doc.Root == nil || doc.Root.Kind != document.Map {
		return "", false
	}
	root := doc.Root
	switch {
	case root.Get("context") != nil && root.Get("projects") != nil:
		return "has context and projects", true
	case root.Get("team") != nil && root.Get("source") != nil:
		return "has team and source", true
	}
	return "", false
}

// notInName are the top-level keys that are not part of topic names.
var notInName = map[string]bool{"projects": true, "platform": true, "special_topics": true}

// ignoredProjectKeys are project keys that describe nothing this model
// holds: ZooKeeper addresses, RBAC role bindings, Schema Registry subject
// permissions.
var ignoredProjectKeys = map[string]bool{"zookeepers": true, "rbac": true, "schemas": true}

var format = walk.Format{Dialect: kafka.DialectJulieOps, Code: kafka.CodeDialect, Detect: Detect,
	Looks: "a JulieOps descriptor",
	NotIt: "not a JulieOps descriptor: it needs context and projects (or team and source)"}

// Read reads one descriptor into a fragment.
func Read(doc *document.Document) (*kafka.Topology, diag.List) {
	return walk.Read(doc, format, func(r *walk.Reader, root *document.Node, out *kafka.Topology) {
		rd := reader{Reader: r, out: out}
		first := "context"
		if root.Get("context") == nil {
			first = "team"
		}
		if !rd.prefix(root, first) {
			return
		}
		if first == "team" {
			rd.owner, rd.ownerPos = rd.parts[0], walk.KeyPos(root, "team")
		}
		projects := root.Get("projects")
		if projects == nil || projects.Kind == document.Null {
			r.Warnf(root.Pos, "has no projects: it declares no topics")
		}
		for i, p := range r.OptList(projects, "projects") {
			rd.project(p, walk.Index("projects", i))
		}
		for i, t := range r.OptList(root.Get("special_topics"), "special_topics") {
			path := walk.Index("special_topics", i)
			if r.Map(t, path) {
				rd.topic(t, path, "")
			}
		}
	})
}

type reader struct {
	*walk.Reader
	out      *kafka.Topology
	parts    []string // the topic name prefix, before the project name
	owner    string   // the team, in the older dialect
	ownerPos document.Pos
}

// prefix reads the parts of topic names that the descriptor's top-level
// fields give, in the order they are written.
func (r *reader) prefix(root *document.Node, first string) bool {
	v := root.Get(first)
	s, ok := r.TextName(v, first)
	if !ok {
		return false
	}
	r.parts = []string{s}
	if first == "team" {
		src := root.Get("source")
		s, ok := r.TextName(src, "source")
		if !ok {
			return false
		}
		r.parts = append(r.parts, s)
	}
	for _, f := range root.Fields {
		if f.Key == first || notInName[f.Key] || (first == "team" && f.Key == "source") {
			continue
		}
		if f.Value.Kind == document.Map || f.Value.Kind == document.Seq || f.Value.Kind == document.Null {
			r.Errorf(f.Value.Pos, "%s must be a plain value: JulieOps puts every top-level field into topic names, and this one is %s", f.Key, walk.Describe(f.Value))
			return false
		}
		s, ok := r.TextName(f.Value, f.Key)
		if !ok {
			return false
		}
		r.parts = append(r.parts, s)
	}
	return true
}

func (r *reader) project(n *document.Node, path string) {
	if !r.Map(n, path) {
		return
	}
	nv := r.Required(n, path, "name")
	if nv == nil {
		return
	}
	name, ok := r.TextName(nv, path+".name")
	if !ok {
		return
	}
	prefix := strings.Join(append(append([]string(nil), r.parts...), name), ".")
	var topics []string
	for i, t := range r.OptList(n.Get("topics"), path+".topics") {
		tp := walk.Index(path+".topics", i)
		if !r.Map(t, tp) {
			continue
		}
		if full, ok := r.topic(t, tp, prefix); ok {
			topics = append(topics, full)
		}
	}
	for _, f := range n.Fields {
		fp := walk.Key(path, f.Key)
		switch f.Key {
		case "name", "topics":
		case "consumers":
			r.users(f.Value, fp, kafka.KindService, kafka.Consume, topics)
		case "producers":
			r.users(f.Value, fp, kafka.KindService, kafka.Produce, topics)
		case "streams":
			r.apps(f.Value, fp, kafka.KindStream)
		case "connectors":
			r.apps(accessControl(f.Value, &fp), fp, kafka.KindConnector)
		case "ksql":
			r.apps(accessControl(f.Value, &fp), fp, kafka.KindKSQL)
		default:
			if !ignoredProjectKeys[f.Key] {
				r.Diags = append(r.Diags, diag.Diagnostic{File: r.Doc.File, Line: f.KeyPos.Line, Column: f.KeyPos.Column,
					Severity: diag.Warning, Code: kafka.CodeDialect,
					Message: fmt.Sprintf("%s is not read: custom JulieOps roles are not part of the Kafka topology model", fp)})
			}
		}
	}
}

// accessControl returns the list of principals of a connectors or ksql
// node: the node itself when it is a list, its access_control when it is
// a mapping (newer descriptors, where artefacts sit next to it), or
// nothing for a mapping of artefacts only. It extends path to match.
func accessControl(n *document.Node, path *string) *document.Node {
	if n.Kind != document.Map {
		return n
	}
	*path += ".access_control"
	return n.Get("access_control")
}

// topic reads one topic; prefix is "" for special topics, whose names are
// taken as written. It returns the full name.
func (r *reader) topic(n *document.Node, path, prefix string) (string, bool) {
	nv := r.Required(n, path, "name")
	if nv == nil {
		return "", false
	}
	name, ok := r.TextName(nv, path+".name")
	if !ok {
		return "", false
	}
	full := name
	if prefix != "" {
		full = prefix + "." + name
	}
	if dt := n.Get("dataType"); dt != nil {
		s, ok := r.TextName(dt, path+".dataType")
		if !ok {
			return "", false
		}
		full += "." + s
	}
	t := kafka.Topic{Name: full, Owner: r.owner, Source: r.Source(n.Pos), Fields: map[string]kafka.Source{}}
	if r.owner != "" {
		t.Fields["owner"] = r.Source(r.ownerPos)
	}
	cfgNode := n.Get("config")
	cfg, _, ok := r.Config(cfgNode, path+".config")
	if !ok {
		return "", false
	}
	// The partitions and replication factor are written as configs
	// (num.partitions, replication.factor), as text; the other keys are
	// the topic's configs. Fields are read in order, so problems are
	// reported in the order they are written.
	for _, f := range r.OptMap(cfgNode, path+".config") {
		k, fp := f.Key, walk.Key(path+".config", f.Key)
		switch k {
		case "num.partitions", "replication.factor":
			i, ok := r.IntText(f.Value, fp)
			if !ok {
				return "", false
			}
			if k == "num.partitions" {
				t.Partitions = i
				t.Fields["partitions"] = r.Source(f.Value.Pos)
			} else {
				t.Replicas = i
				t.Fields["replicas"] = r.Source(f.Value.Pos)
			}
		default:
			if t.Config == nil {
				t.Config = map[string]string{}
			}
			t.Config[k] = cfg[k]
			t.Fields["config."+k] = r.Source(f.Value.Pos)
		}
	}
	r.out.Topics = append(r.out.Topics, t)
	r.users(n.Get("consumers"), path+".consumers", kafka.KindService, kafka.Consume, []string{full})
	r.users(n.Get("producers"), path+".producers", kafka.KindService, kafka.Produce, []string{full})
	return full, true
}

// principal reads the principal of a list item into a new application.
func (r *reader) principal(n *document.Node, path string, kind kafka.Kind) (kafka.Application, bool) {
	if !r.Map(n, path) {
		return kafka.Application{}, false
	}
	v := r.Required(n, path, "principal")
	if v == nil {
		return kafka.Application{}, false
	}
	p, ok := r.Name(v, path+".principal")
	if !ok {
		return kafka.Application{}, false
	}
	name := kafka.NameFromPrincipal(p)
	if name == "" {
		r.Errorf(v.Pos, "%s.principal %q names no user", path, p)
		return kafka.Application{}, false
	}
	a := kafka.Application{Name: name, Principal: p, Kind: kind, Owner: r.owner, Source: r.Source(n.Pos),
		Fields: map[string]kafka.Source{"principal": r.Source(v.Pos)}}
	if r.owner != "" {
		a.Fields["owner"] = r.Source(r.ownerPos)
	}
	return a, true
}

// group reads an optional consumer group field into the application.
func (r *reader) group(a *kafka.Application, n *document.Node, path, key string) bool {
	v := n.Get(key)
	if v == nil {
		return true
	}
	g, ok := r.TextName(v, walk.Key(path, key))
	if ok {
		a.ConsumerGroups = append(a.ConsumerGroups, g)
	}
	return ok
}

// users reads consumers or producers: each gets the access to every topic
// given (those of the project, or the one topic they are listed under).
func (r *reader) users(list *document.Node, path string, kind kafka.Kind, access kafka.Access, topics []string) {
	for i, n := range r.OptList(list, path) {
		ip := walk.Index(path, i)
		a, ok := r.principal(n, ip, kind)
		if !ok {
			continue
		}
		if access == kafka.Consume && !r.group(&a, n, ip, "group") {
			continue
		}
		for _, t := range topics {
			a.Grant(kafka.ACL{Pattern: t, PatternType: kafka.Literal, Access: access, Source: a.Source})
		}
		r.out.Applications = append(r.out.Applications, a)
	}
}

// apps reads streams, connectors or ksqlDB apps: each reads and writes
// the topics listed under its topics.read and topics.write.
func (r *reader) apps(list *document.Node, path string, kind kafka.Kind) {
	for i, n := range r.OptList(list, path) {
		ip := walk.Index(path, i)
		a, ok := r.principal(n, ip, kind)
		if !ok {
			continue
		}
		groupKey := "group"
		if kind == kafka.KindStream {
			// A Kafka Streams app's application.id is its consumer group.
			groupKey = "applicationId"
		}
		if !r.group(&a, n, ip, groupKey) {
			continue
		}
		topics := n.Get("topics")
		if topics != nil && topics.Kind != document.Null {
			if !r.Map(topics, ip+".topics") {
				continue
			}
			good := true
			for _, rw := range []struct {
				key    string
				access kafka.Access
			}{{"read", kafka.Consume}, {"write", kafka.Produce}} {
				names, pos, ok := r.Strings(topics.Get(rw.key), ip+".topics."+rw.key)
				good = good && ok
				for j, t := range names {
					a.Grant(kafka.ACL{Pattern: t, PatternType: kafka.Literal, Access: rw.access, Source: r.Source(pos[j])})
				}
			}
			if !good {
				continue // an application with a broken list is left out
			}
		}
		r.out.Applications = append(r.out.Applications, a)
	}
}
