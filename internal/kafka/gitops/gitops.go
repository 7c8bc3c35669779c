// Package gitops reads kafka-gitops desired state files: topics, services
// (applications, Kafka Streams apps, Kafka Connect clusters), users and
// their custom ACLs. kafka-gitops lets a state be split into several files
// (settings.files); each file is read on its own and Merge puts them
// together, so a service in one file may use topics of another.
package gitops

import (
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/walk"
)

// Keys are the top-level keys of a state file.
var Keys = []string{"settings", "topics", "services", "users", "schemas", "customServiceAcls", "customUserAcls"}

// Detect reports whether the document is a kafka-gitops state file: every
// top-level key is one of Keys, and at least one of them is a mapping (as
// they all are in a state file).
func Detect(doc *document.Document) (reason string, ok bool) {
	if doc == nil || doc.Root == nil || doc.Root.Kind != document.Map || len(doc.Root.Fields) == 0 {
		return "", false
	}
	var keys []string
	aMap := false
	for _, f := range doc.Root.Fields {
		if !slices.Contains(Keys, f.Key) {
			return "", false
		}
		keys = append(keys, f.Key)
		aMap = aMap || f.Value.Kind == document.Map
	}
	if !aMap {
		return "", false
	}
	switch len(keys) {
	case 1:
		return "has " + keys[0], true
	default:
		return "has " + strings.Join(keys[:len(keys)-1], ", ") + " and " + keys[len(keys)-1], true
	}
}

var format = walk.Format{Dialect: kafka.DialectGitOps, Code: kafka.CodeDialect, Detect: Detect,
	Looks: "a kafka-gitops state file",
	NotIt: "not a kafka-gitops state file: its top-level keys must be among " + strings.Join(Keys, ", ")}

// Read reads one state file into a fragment.
func Read(doc *document.Document) (*kafka.Topology, diag.List) {
	return walk.Read(doc, format, func(r *walk.Reader, root *document.Node, out *kafka.Topology) {
		rd := reader{Reader: r, out: out}
		rd.settings(root.Get("settings"))
		for _, f := range r.OptMap(root.Get("topics"), "topics") {
			rd.topic(f)
		}
		for _, f := range r.OptMap(root.Get("services"), "services") {
			rd.service(f)
		}
		for _, f := range r.OptMap(root.Get("users"), "users") {
			rd.user(f)
		}
		r.OptMap(root.Get("schemas"), "schemas") // Schema Registry subjects: no topology
		for _, f := range r.OptMap(root.Get("customServiceAcls"), "customServiceAcls") {
			rd.custom(f, "customServiceAcls", kafka.KindService)
		}
		for _, f := range r.OptMap(root.Get("customUserAcls"), "customUserAcls") {
			rd.custom(f, "customUserAcls", kafka.KindUser)
		}
	})
}

type reader struct {
	*walk.Reader
	out *kafka.Topology
	// replication is settings.topics.defaults.replication of this file.
	replication    int
	replicationPos document.Pos
}

func (r *reader) settings(n *document.Node) {
	if n == nil || n.Kind == document.Null || !r.Map(n, "settings") {
		return
	}
	topics := n.Get("topics")
	if topics == nil || topics.Kind == document.Null || !r.Map(topics, "settings.topics") {
		return
	}
	defaults := topics.Get("defaults")
	if defaults == nil || defaults.Kind == document.Null || !r.Map(defaults, "settings.topics.defaults") {
		return
	}
	if v := defaults.Get("replication"); v != nil {
		if i, ok := r.Int(v, "settings.topics.defaults.replication"); ok {
			r.replication, r.replicationPos = i, v.Pos
		}
	}
}

// lenient warns about keys kafka-gitops versions may add that are not
// read here; a typo of a key that matters shows as missing data.
func (r *reader) lenient(n *document.Node, path string, known ...string) {
	for _, f := range n.Fields {
		if !slices.Contains(known, f.Key) {
			r.Warnf(f.KeyPos, "%s is not read; known keys: %s", walk.Key(path, f.Key), strings.Join(known, ", "))
		}
	}
}

func (r *reader) topic(f document.Field) {
	path := walk.Key("topics", f.Key)
	if strings.TrimSpace(f.Key) == "" {
		r.Errorf(f.KeyPos, "a topic name must not be empty")
		return
	}
	n := f.Value
	if !r.Map(n, path) {
		return
	}
	r.lenient(n, path, "partitions", "replication", "configs")
	t := kafka.Topic{Name: f.Key, Source: r.Source(f.KeyPos), Fields: map[string]kafka.Source{}}
	v := r.Required(n, path, "partitions")
	if v == nil {
		return
	}
	p, ok := r.Int(v, walk.Key(path, "partitions"))
	if !ok {
		return
	}
	t.Partitions = p
	t.Fields["partitions"] = r.Source(v.Pos)
	if v := n.Get("replication"); v != nil {
		rf, ok := r.Int(v, walk.Key(path, "replication"))
		if !ok {
			return
		}
		t.Replicas = rf
		t.Fields["replicas"] = r.Source(v.Pos)
	} else if r.replication > 0 {
		t.Replicas = r.replication
		t.Fields["replicas"] = r.Source(r.replicationPos)
	}
	if !r.TopicConfig(&t, n.Get("configs"), walk.Key(path, "configs")) {
		return
	}
	r.out.Topics = append(r.out.Topics, t)
}

var serviceTypes = map[string]kafka.Kind{
	"application":   kafka.KindService,
	"kafka-streams": kafka.KindStream,
	"kafka-connect": kafka.KindConnector,
}

func (r *reader) service(f document.Field) {
	path := walk.Key("services", f.Key)
	n := f.Value
	if !r.Map(n, path) {
		return
	}
	tv := r.Required(n, path, "type")
	if tv == nil {
		return
	}
	typ, ok := r.Str(tv, walk.Key(path, "type"))
	if !ok {
		return
	}
	kind, known := serviceTypes[typ]
	if !known {
		r.Errorf(tv.Pos, "%s %q is not application, kafka-streams or kafka-connect", walk.Key(path, "type"), typ)
		return
	}
	a := kafka.Application{Name: f.Key, Kind: kind, Source: r.Source(f.KeyPos), Fields: map[string]kafka.Source{}}
	if !r.principal(&a, n, path) {
		return
	}
	groupKey := "group-id"
	switch typ {
	case "application":
		r.lenient(n, path, "type", "principal", "group-id", "produces", "consumes")
	case "kafka-streams":
		r.lenient(n, path, "type", "principal", "application-id", "produces", "consumes")
		groupKey = "application-id"
	case "kafka-connect":
		r.lenient(n, path, "type", "principal", "group-id", "produces", "storage-topics", "connectors")
	}
	// The consumer group defaults to the service's name (for a Kafka
	// Streams app, its application.id does).
	group := f.Key
	if v := n.Get(groupKey); v != nil {
		g, ok := r.Name(v, walk.Key(path, groupKey))
		if !ok {
			return
		}
		group = g
	}
	if !r.grants(&a, n, path) {
		return
	}
	if typ == "kafka-connect" {
		for _, c := range r.OptMap(n.Get("connectors"), walk.Key(path, "connectors")) {
			cp := walk.Key(walk.Key(path, "connectors"), c.Key)
			if c.Value.Kind == document.Null {
				continue
			}
			if !r.Map(c.Value, cp) {
				return
			}
			r.lenient(c.Value, cp, "produces", "consumes")
			if !r.grants(&a, c.Value, cp) {
				return
			}
		}
	}
	consumes := slices.ContainsFunc(a.ACLs, func(acl kafka.ACL) bool { return acl.Access == kafka.Consume })
	if typ != "application" || consumes {
		a.ConsumerGroups = []string{group}
	}
	r.out.Applications = append(r.out.Applications, a)
}

func (r *reader) principal(a *kafka.Application, n *document.Node, path string) bool {
	v := n.Get("principal")
	if v == nil {
		return true // Confluent Cloud states have none
	}
	p, ok := r.Name(v, walk.Key(path, "principal"))
	if ok {
		a.Principal = p
		a.Fields["principal"] = r.Source(v.Pos)
	}
	return ok
}

// grants reads the produces and consumes lists of a service or connector.
func (r *reader) grants(a *kafka.Application, n *document.Node, path string) bool {
	for _, g := range []struct {
		key    string
		access kafka.Access
	}{{"produces", kafka.Produce}, {"consumes", kafka.Consume}} {
		names, pos, ok := r.Strings(n.Get(g.key), walk.Key(path, g.key))
		if !ok {
			return false
		}
		for i, t := range names {
			a.Grant(kafka.ACL{Pattern: t, PatternType: kafka.Literal, Access: g.access, Source: r.Source(pos[i])})
		}
	}
	return true
}

// roles are kafka-gitops' predefined user roles and what they grant: all
// topics, to write or to read.
var roles = map[string][]kafka.Access{
	"writer":   {kafka.Produce},
	"reader":   {kafka.Consume},
	"operator": {kafka.Consume},
}

func (r *reader) user(f document.Field) {
	path := walk.Key("users", f.Key)
	n := f.Value
	a := kafka.Application{Name: f.Key, Kind: kafka.KindUser, Source: r.Source(f.KeyPos), Fields: map[string]kafka.Source{}}
	if n.Kind == document.Null {
		r.out.Applications = append(r.out.Applications, a)
		return
	}
	if !r.Map(n, path) {
		return
	}
	r.lenient(n, path, "principal", "roles")
	if !r.principal(&a, n, path) {
		return
	}
	names, pos, ok := r.Strings(n.Get("roles"), walk.Key(path, "roles"))
	if !ok {
		return
	}
	for i, role := range names {
		grants, known := roles[role]
		if !known {
			r.Errorf(pos[i], "%s role %q is not writer, reader or operator", path, role)
			return
		}
		for _, access := range grants {
			a.Grant(kafka.ACL{Pattern: "*", PatternType: kafka.Literal, Access: access, Source: r.Source(pos[i])})
		}
	}
	r.out.Applications = append(r.out.Applications, a)
}

var (
	aclTypes      = []string{"TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"}
	aclPatterns   = []string{"LITERAL", "PREFIXED"}
	aclOperations = []string{"ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
		"DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS"}
	aclPermissions = []string{"ALLOW", "DENY"}
	// aclResources are the ACL types the topology holds.
	aclResources = map[string]walk.Resource{"TOPIC": walk.TopicResource, "GROUP": walk.GroupResource}
)

// custom reads the custom ACLs of one service or user (the key names it;
// it may be declared in another file).
func (r *reader) custom(f document.Field, section string, kind kafka.Kind) {
	path := walk.Key(section, f.Key)
	a := kafka.Application{Name: f.Key, Kind: kind, Source: r.Source(f.KeyPos), Fields: map[string]kafka.Source{}}
	for _, acl := range r.OptMap(f.Value, path) {
		ap := walk.Key(path, acl.Key)
		n := acl.Value
		if !r.Map(n, ap) {
			return
		}
		r.lenient(n, ap, "name", "type", "pattern", "principal", "host", "operation", "permission")
		vals := map[string]string{}
		for _, k := range []string{"name", "type", "pattern", "operation", "permission"} {
			v := r.Required(n, ap, k)
			if v == nil {
				return
			}
			s, ok := r.Name(v, walk.Key(ap, k))
			if !ok {
				return
			}
			vals[k] = s
		}
		for _, c := range []struct {
			key     string
			allowed []string
		}{{"type", aclTypes}, {"pattern", aclPatterns}, {"operation", aclOperations}, {"permission", aclPermissions}} {
			if !slices.Contains(c.allowed, vals[c.key]) {
				r.Errorf(n.Get(c.key).Pos, "%s %q is not one of %s", walk.Key(ap, c.key), vals[c.key], strings.Join(c.allowed, ", "))
				return
			}
		}
		if v := n.Get("principal"); v != nil && a.Principal == "" {
			if !r.principal(&a, n, ap) {
				return
			}
		}
		if vals["permission"] == "DENY" {
			continue
		}
		pattern := kafka.Literal
		if vals["pattern"] == "PREFIXED" {
			pattern = kafka.Prefixed
		}
		op := vals["operation"]
		walk.Grant(&a, aclResources[vals["type"]], kafka.ACL{Pattern: vals["name"], PatternType: pattern, Source: r.Source(n.Pos)},
			op == "READ" || op == "ALL", op == "WRITE" || op == "ALL")
	}
	r.out.Applications = append(r.out.Applications, a)
}
