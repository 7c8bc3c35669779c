package mapping

import (
	"fmt"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
)

// KafkaFile is the path of the File that holds the Kafka topic entities.
// They are derived from the whole repository (a topic's producers and
// consumers and their services live in other files), so they are grouped
// apart from the files they were read from; each entity's annotations
// still name its own file.
const KafkaFile = "(kafka topology)"

// The annotations of Kafka topic entities.
const (
	AnnotationKafkaCluster   = "central-config.io/kafka-cluster"
	AnnotationKafkaTopic     = "central-config.io/kafka-topic"
	AnnotationKafkaProducers = "central-config.io/kafka-producers"
	AnnotationKafkaConsumers = "central-config.io/kafka-consumers"
)

// kafkaEntities merges the Kafka fragments of the good files into one
// topology and turns each topic into a Resource of type kafka-topic:
// owned by the topic's owner (else the owner of its cluster's Resource,
// else of its first producing service), depending on its producers'
// services and on its cluster's Resource, and a dependency of its
// consumers' services, so the catalog graph shows the data flowing from
// producers through the topic to consumers. Applications that are
// services of the repository are linked to those Components, never
// duplicated; others appear only in the topology.
func (m *mapper) kafkaEntities(res *Result, results []*fileResult, byPath map[string]*File) *kafka.Topology {
	var fragments []*kafka.Topology
	for _, r := range results {
		if f := byPath[r.path]; f != nil && !f.Failed {
			fragments = append(fragments, r.kafka...)
		}
	}
	if len(fragments) == 0 {
		return &kafka.Topology{}
	}
	topo, diags := kafka.Merge(fragments...)
	res.Diagnostics = append(res.Diagnostics, diags...)

	ix := newCatalogIndex(res)
	// An application named like a service of the repository is that
	// service (a Strimzi KafkaUser is usually named after its component):
	// record it, so the topology links its node to the Component too.
	for j := range topo.Applications {
		if a := &topo.Applications[j]; a.Service == "" {
			if e := ix.service(a); e != nil {
				a.Service = e.Ref.Name
			}
		}
	}
	entityNames := kafka.TopicEntityNames(topo)
	producersByName, consumersByName := appsByTopic(topo)
	out := &File{Path: KafkaFile}
	strs := newInterner()
	var fileDiags diag.List
	for i := range topo.Topics {
		t := &topo.Topics[i]
		producers := appsOf(producersByName[t.Name], t)
		consumers := appsOf(consumersByName[t.Name], t)
		owner := ix.topicOwner(t, producers)
		if owner == "" {
			fileDiags = append(fileDiags, diag.Diagnostic{File: t.Source.File, Line: t.Source.Pos.Line, Column: t.Source.Pos.Column,
				Severity: diag.Warning, Code: diag.CodeSchema,
				Message: fmt.Sprintf("kafka topic %s has no owner (set one, or give its cluster a Resource with an owner): it is shown in the topology but not published to the catalog", t.Name)})
			continue
		}
		obj := ix.topicObject(t, entityNames[kafka.TopicKey{Cluster: t.Cluster, Name: t.Name}], owner, producers, consumers)
		pos := t.Source.Pos
		var deps map[string]uint64
		if e := m.finish(t.Source.File, candidate{object: obj, pos: pos, posOf: func([]string) document.Pos { return pos }}, &fileDiags, &deps, strs); e != nil {
			out.Entities = append(out.Entities, e)
		}
	}
	if m.opts.Compact {
		out.Entities = pack(out.Entities)
	}
	res.Diagnostics = append(res.Diagnostics, fileDiags...)
	out.Failed = fileDiags.HasErrors()
	if len(out.Entities) > 0 || out.Failed {
		res.Files = append(res.Files, out)
		byPath[out.Path] = out
	}
	return topo
}

// catalogIndex finds the Components and Resources the repository
// publishes by name.
type catalogIndex struct {
	components, resources map[string]*Entity
}

func newCatalogIndex(res *Result) catalogIndex {
	ix := catalogIndex{components: map[string]*Entity{}, resources: map[string]*Entity{}}
	add := func(es []*Entity) {
		for _, e := range es {
			switch strings.ToLower(e.Ref.Kind) {
			case "component":
				ix.components[strings.ToLower(e.Ref.Name)] = e
			case "resource":
				ix.resources[strings.ToLower(e.Ref.Name)] = e
			}
		}
	}
	// A failing file's services stay published with their last good
	// entities, so topics stay linked to them.
	for _, es := range res.kept {
		add(es)
	}
	for _, f := range res.Files {
		if !f.Failed {
			add(f.Entities)
		}
	}
	return ix
}

// service is the Component an application is, or nil.
func (ix catalogIndex) service(a *kafka.Application) *Entity {
	for _, name := range []string{a.Service, a.Name} {
		if e := ix.components[strings.ToLower(name)]; name != "" && e != nil {
			return e
		}
	}
	return nil
}

// topicOwner is the owner of a topic: its own, else its cluster
// Resource's, else its first producer's (its service's owner, else its
// own); "" when none has one.
func (ix catalogIndex) topicOwner(t *kafka.Topic, producers []*kafka.Application) string {
	owner := t.Owner
	if cluster := ix.resources[strings.ToLower(t.Cluster)]; owner == "" && cluster != nil {
		owner = ownerOf(cluster)
	}
	for _, p := range producers {
		if owner != "" {
			break
		}
		if e := ix.service(p); e != nil {
			owner = ownerOf(e)
		} else {
			owner = p.Owner
		}
	}
	return owner
}

// topicObject is the Resource of a topic, named name.
func (ix catalogIndex) topicObject(t *kafka.Topic, name, owner string, producers, consumers []*kafka.Application) map[string]any {
	ann := map[string]any{AnnotationKafkaTopic: t.Name, AnnotationKafkaProducers: names(producers), AnnotationKafkaConsumers: names(consumers)}
	if t.Cluster != "" {
		ann[AnnotationKafkaCluster] = t.Cluster
	}
	spec := map[string]any{"type": "kafka-topic", "owner": refOrGroup(owner)}
	var dependsOn, dependencyOf []any
	if cluster := ix.resources[strings.ToLower(t.Cluster)]; cluster != nil {
		dependsOn = append(dependsOn, cluster.Ref.String())
	}
	for _, p := range producers {
		if e := ix.service(p); e != nil {
			dependsOn = appendUnique(dependsOn, e.Ref.String())
		}
	}
	for _, c := range consumers {
		if e := ix.service(c); e != nil {
			dependencyOf = appendUnique(dependencyOf, e.Ref.String())
		}
	}
	if len(dependsOn) > 0 {
		spec["dependsOn"] = dependsOn
	}
	if len(dependencyOf) > 0 {
		spec["dependencyOf"] = dependencyOf
	}
	md := map[string]any{"name": name, "title": t.Name, "annotations": ann}
	if t.Description != "" {
		md["description"] = t.Description
	}
	return map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Resource", "metadata": md, "spec": spec}
}

// appsByTopic indexes the applications' topic refs by topic name once,
// instead of scanning every application for every topic.
func appsByTopic(topo *kafka.Topology) (producers, consumers map[string][]appRef) {
	producers, consumers = map[string][]appRef{}, map[string][]appRef{}
	for j := range topo.Applications {
		a := &topo.Applications[j]
		for _, r := range a.Produces {
			producers[r.Name] = append(producers[r.Name], appRef{a, r.Cluster})
		}
		for _, r := range a.Consumes {
			consumers[r.Name] = append(consumers[r.Name], appRef{a, r.Cluster})
		}
	}
	return producers, consumers
}

// appRef is an application's reference to a topic of some name.
type appRef struct {
	app     *kafka.Application
	cluster string
}

// appsOf returns the applications whose reference matches the topic's
// cluster (a reference or topic without a cluster matches any), each once,
// in the topology's order.
func appsOf(refs []appRef, t *kafka.Topic) []*kafka.Application {
	var out []*kafka.Application
	for _, r := range refs {
		if (r.cluster == "" || t.Cluster == "" || r.cluster == t.Cluster) && !slices.Contains(out, r.app) {
			out = append(out, r.app)
		}
	}
	return out
}

func ownerOf(e *Entity) string {
	if e.Object != nil {
		if spec, ok := e.Object["spec"].(map[string]any); ok {
			s, _ := spec["owner"].(string)
			return s
		}
	}
	for _, fr := range e.refs {
		if fr.Field() == "owner" {
			return fr.String()
		}
	}
	return ""
}

// refOrGroup qualifies a bare owner name as a group, as Backstage reads
// spec.owner.
func refOrGroup(owner string) string {
	if r, err := catalog.ParseRef(owner, "Group", catalog.DefaultNamespace); err == nil {
		return r.String()
	}
	return owner
}

func names(apps []*kafka.Application) string {
	var out []string
	for _, a := range apps {
		out = append(out, a.Name)
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}

func appendUnique(list []any, v string) []any {
	if slices.Contains(list, any(v)) {
		return list
	}
	return append(list, v)
}
