// Package kafka is the engine's model of a Kafka topology: clusters, topics
// and the applications that produce to and consume from them. Several
// formats describe the same things (our own central-config.io/kafka/v1,
// Strimzi resources, JulieOps descriptors, kafka-gitops state files); each
// has a reader in a sub-package that turns one document into a fragment of
// this model, and Merge puts the fragments of a whole repository together,
// so that a topic declared in one file and the ACLs that use it in another
// meet in one place. Every element remembers the file and position it was
// read from, so that every later problem can point at the right line.
package kafka

import (
	"github.com/central-config/central-config/internal/document"
)

// Dialect names a format a Kafka topology can be written in.
type Dialect = string

// The dialects the readers understand.
const (
	DialectNative   Dialect = "central-config"
	DialectStrimzi  Dialect = "strimzi"
	DialectJulieOps Dialect = "julieops"
	DialectGitOps   Dialect = "kafka-gitops"
)

// Diagnostic codes of the Kafka readers, in addition to those of package
// diag (diag.CodeSchema for our own format, diag.CodeDanglingRef for ACLs
// that name no declared topic). They are stable: alerts filter on them.
const (
	// CodeDialect: a document that looks like a foreign Kafka dialect
	// (Strimzi, JulieOps, kafka-gitops) but cannot be read as it.
	CodeDialect = "kafka-dialect"
	// CodeConflict: two declarations of one cluster, topic or application
	// disagree (different partitions, replicas, config, owner, ...).
	CodeConflict = "kafka-conflict"
	// CodeUnknownFormat (a warning): a document that looks like a Kafka
	// topology (top-level topics and applications, clusters, services or
	// projects) but is in none of the dialects, such as a kafkakewl
	// topology; it is ignored.
	CodeUnknownFormat = "kafka-unknown-format"
)

// Source says where an element was declared: the file, the position of the
// element in it, and the dialect it was written in.
type Source struct {
	File    string       `json:"file"`
	Pos     document.Pos `json:"pos"`
	Dialect Dialect      `json:"dialect"`
}

// Topology is a set of Kafka clusters, topics and applications. A reader
// returns the Topology of one document (a fragment); Merge combines
// fragments into the topology of a repository.
type Topology struct {
	Clusters     []Cluster     `json:"clusters,omitempty"`
	Topics       []Topic       `json:"topics,omitempty"`
	Applications []Application `json:"applications,omitempty"`
	// NodePools are Strimzi node pools. Merge counts the replicas of the
	// pools with the broker role into their cluster's Brokers; they are
	// kept so that nothing read is lost when the cluster itself is not
	// declared anywhere.
	NodePools []NodePool `json:"nodePools,omitempty"`
}

// Cluster is one Kafka cluster. Zero values mean "not known".
type Cluster struct {
	Name        string `json:"name"`
	Environment string `json:"environment,omitempty"`
	// Brokers is the number of brokers, 0 when unknown.
	Brokers int `json:"brokers,omitempty"`
	// Bootstrap is the bootstrap address clients connect to.
	Bootstrap   string `json:"bootstrap,omitempty"`
	Version     string `json:"version,omitempty"`
	Description string `json:"description,omitempty"`
	Source      Source `json:"source"`
	// Fields says where each field was set (by its JSON name), so a
	// conflict can point at the value rather than at the whole cluster.
	Fields map[string]Source `json:"-"`
}

// NodePool is a Strimzi KafkaNodePool: a group of nodes of a cluster.
type NodePool struct {
	Cluster  string   `json:"cluster"`
	Name     string   `json:"name"`
	Replicas int      `json:"replicas"`
	Roles    []string `json:"roles,omitempty"`
	Source   Source   `json:"source"`
}

// HasRole reports whether the pool's nodes have the role (broker,
// controller).
func (p NodePool) HasRole(role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Topic is one Kafka topic. Cluster is "" when the dialect does not say
// which cluster the topic lives on (JulieOps, kafka-gitops); such topics
// are one set, apart from the topics of named clusters.
type Topic struct {
	Cluster string `json:"cluster,omitempty"`
	Name    string `json:"name"`
	// Partitions and Replicas (the replication factor) are 0 when the
	// declaration leaves them to the broker's defaults.
	Partitions int `json:"partitions,omitempty"`
	Replicas   int `json:"replicas,omitempty"`
	// Config holds the topic's other settings as text (retention.ms, ...).
	Config      map[string]string `json:"config,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Description string            `json:"description,omitempty"`
	Source      Source            `json:"source"`
	// Fields says where each field was set: "partitions", "replicas",
	// "owner", "description", and "config.<key>" for each config key.
	Fields map[string]Source `json:"-"`
}

// Key identifies a topic in a topology: cluster and name.
func (t Topic) Key() TopicKey { return TopicKey{Cluster: t.Cluster, Name: t.Name} }

// TopicKey identifies a topic: the same name on two clusters is two topics.
type TopicKey struct {
	Cluster string
	Name    string
}

// String renders the key as cluster/name, or name alone without a cluster
// (a "/" never appears in a Kafka topic name, so this is unambiguous).
func (k TopicKey) String() string {
	if k.Cluster == "" {
		return k.Name
	}
	return k.Cluster + "/" + k.Name
}

// Kind says what sort of client an application is.
type Kind string

// The kinds of applications. When one application is declared with several
// kinds (a JulieOps principal that is both a consumer and a Kafka Streams
// app), Merge keeps the most specific: stream, connector and ksql over
// service, service over user.
const (
	// KindService is a plain producer or consumer.
	KindService Kind = "service"
	// KindUser is a Kafka user (a Strimzi KafkaUser, a kafka-gitops user)
	// known only by its ACLs.
	KindUser      Kind = "user"
	KindStream    Kind = "stream"
	KindConnector Kind = "connector"
	KindKSQL      Kind = "ksql"
)

// Kinds lists the valid kinds, for validation and messages.
var Kinds = []Kind{KindService, KindUser, KindStream, KindConnector, KindKSQL}

func (k Kind) rank() int {
	switch k {
	case KindStream, KindConnector, KindKSQL:
		return 3
	case KindService:
		return 2
	case KindUser:
		return 1
	}
	return 0
}

// Access is what an ACL lets an application do with a topic.
type Access string

// The accesses that make an application a producer or a consumer.
const (
	Produce Access = "produce"
	Consume Access = "consume"
)

// PatternType says how an ACL's pattern matches topic names, as Kafka does.
type PatternType string

// The pattern types of Kafka ACLs.
const (
	// Literal matches the topic of exactly that name; the literal name
	// "*" matches every topic.
	Literal PatternType = "literal"
	// Prefixed matches every topic whose name starts with the pattern.
	Prefixed PatternType = "prefixed"
)

// ACL is one grant of an application on topics, kept as written (a name,
// a prefix, or "*") until Merge knows every topic and can resolve it.
type ACL struct {
	// Cluster is the cluster the ACL applies to; "" matches topics of
	// every cluster (the dialect does not name clusters).
	Cluster     string      `json:"cluster,omitempty"`
	Pattern     string      `json:"pattern"`
	PatternType PatternType `json:"patternType"`
	Access      Access      `json:"access"`
	Source      Source      `json:"source"`
}

// Matches reports whether the ACL applies to the topic.
func (a ACL) Matches(t TopicKey) bool {
	if a.Cluster != "" && a.Cluster != t.Cluster {
		return false
	}
	switch a.PatternType {
	case Prefixed:
		return len(t.Name) >= len(a.Pattern) && t.Name[:len(a.Pattern)] == a.Pattern
	default:
		return a.Pattern == "*" || a.Pattern == t.Name
	}
}

// TopicRef is a topic an application produces to or consumes from, after
// Merge resolved its ACLs.
type TopicRef struct {
	Cluster string `json:"cluster,omitempty"`
	Name    string `json:"name"`
	// Declared is false for a literal ACL on a topic that no document
	// declares: the relation is kept (the topic may be managed elsewhere)
	// and Merge warns about it.
	Declared bool `json:"declared"`
	// Pattern and PatternType are the ACL the reference comes from; for
	// a prefixed ACL or "*", many refs share one pattern.
	Pattern     string      `json:"pattern"`
	PatternType PatternType `json:"patternType"`
	// Source is where the ACL (or list item) that grants it is written.
	Source Source `json:"source"`
}

// Key identifies the referenced topic.
func (r TopicRef) Key() TopicKey { return TopicKey{Cluster: r.Cluster, Name: r.Name} }

// Application is a client of Kafka: a service, a Kafka Streams app, a
// connector, a ksqlDB app or a plain Kafka user, identified by Name
// across all documents.
type Application struct {
	// Name identifies the application: the name its dialect gives it (a
	// kafka-gitops service, a KafkaUser), or the name part of its
	// principal (User:App0 is App0) when the principal is all there is.
	Name string `json:"name"`
	// Principal is the Kafka principal (User:App0, User:CN=order-service).
	Principal string `json:"principal,omitempty"`
	Kind      Kind   `json:"kind"`
	Owner     string `json:"owner,omitempty"`
	// Service is the central-config service (Backstage component) that
	// this application is, when the document says so.
	Service     string `json:"service,omitempty"`
	Description string `json:"description,omitempty"`
	// ConsumerGroups are the consumer groups the application may use
	// (from group ACLs, group-id, application-id, consumerGroup).
	ConsumerGroups []string `json:"consumerGroups,omitempty"`
	// ACLs are the topic grants as written. Produces and Consumes are
	// filled by Merge from them.
	ACLs     []ACL      `json:"acls,omitempty"`
	Produces []TopicRef `json:"produces,omitempty"`
	Consumes []TopicRef `json:"consumes,omitempty"`
	Source   Source     `json:"source"`
	// Fields says where each field was set ("owner", "service",
	// "description", "principal").
	Fields map[string]Source `json:"-"`
}

// Grant adds an ACL to the application; it is how readers record
// produces and consumes lists, which are literal ACLs.
func (a *Application) Grant(acl ACL) { a.ACLs = append(a.ACLs, acl) }

// Cluster returns the cluster of the given name, or nil.
func (t *Topology) Cluster(name string) *Cluster {
	for i := range t.Clusters {
		if t.Clusters[i].Name == name {
			return &t.Clusters[i]
		}
	}
	return nil
}

// Topic returns the topic of the given cluster and name, or nil.
func (t *Topology) Topic(cluster, name string) *Topic {
	for i := range t.Topics {
		if t.Topics[i].Cluster == cluster && t.Topics[i].Name == name {
			return &t.Topics[i]
		}
	}
	return nil
}

// Application returns the application of the given name, or nil.
func (t *Topology) Application(name string) *Application {
	for i := range t.Applications {
		if t.Applications[i].Name == name {
			return &t.Applications[i]
		}
	}
	return nil
}

// Producers returns the applications that produce to at least one topic.
func (t *Topology) Producers() []*Application {
	return t.applicationsWhere(func(a *Application) bool { return len(a.Produces) > 0 })
}

// Consumers returns the applications that consume at least one topic.
func (t *Topology) Consumers() []*Application {
	return t.applicationsWhere(func(a *Application) bool { return len(a.Consumes) > 0 })
}

// applicationsWhere returns the applications for which keep holds, in
// order.
func (t *Topology) applicationsWhere(keep func(*Application) bool) []*Application {
	var out []*Application
	for i := range t.Applications {
		if keep(&t.Applications[i]) {
			out = append(out, &t.Applications[i])
		}
	}
	return out
}

// Empty reports whether the topology holds nothing at all.
func (t *Topology) Empty() bool {
	return len(t.Clusters) == 0 && len(t.Topics) == 0 && len(t.Applications) == 0 && len(t.NodePools) == 0
}
