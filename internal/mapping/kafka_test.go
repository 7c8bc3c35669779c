package mapping

import (
	"maps"
	"testing"

	"github.com/central-config/central-config/internal/diag"
)

func TestKafkaTopicsBecomeResourcesLinkedToTheirServices(t *testing.T) {
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"services.yaml": `apiVersion: central-config.io/v1
services:
  - {name: order-service, owner: payments}
  - {name: billing, owner: payments}
resources:
  - {name: acme-events, owner: payments, type: kafka-cluster}
`,
		"kafka/topology.yaml": `apiVersion: central-config.io/kafka/v1
clusters:
  - name: acme-events
topics:
  - name: orders.order-created.v1
    cluster: acme-events
    partitions: 12
  - name: audit.log
    cluster: acme-events
applications:
  - name: order-service
    cluster: acme-events
    produces: [orders.order-created.v1]
  - name: billing-consumer
    service: billing
    cluster: acme-events
    consumes: [orders.order-created.v1]
  - name: external-tool
    cluster: acme-events
    consumes: [audit.log]
`,
	}), Options{})
	for _, d := range res.Diagnostics {
		if d.Severity == diag.Error {
			t.Fatalf("unexpected error: %v", d)
		}
	}
	topic := byName(res)["resource:default/orders.order-created.v1"]
	if topic == nil {
		t.Fatalf("the topic entity is missing; have %v", byName(res))
	}
	spec := topic.Object["spec"].(map[string]any)
	if spec["type"] != "kafka-topic" || spec["owner"] != "group:default/payments" {
		t.Fatalf("spec = %v (owner from the cluster's Resource)", spec)
	}
	deps, _ := spec["dependsOn"].([]any)
	if len(deps) != 2 || deps[0] != "resource:default/acme-events" || deps[1] != "component:default/order-service" {
		t.Fatalf("the topic depends on its cluster and its producer's service: %v", deps)
	}
	if of, _ := spec["dependencyOf"].([]any); len(of) != 1 || of[0] != "component:default/billing" {
		t.Fatalf("the consumer's service depends on the topic (matched by service, not app name): %v", of)
	}
	ann := topic.Object["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann[AnnotationKafkaProducers] != "order-service" || ann[AnnotationKafkaConsumers] != "billing-consumer" || ann[AnnotationFile] != "kafka/topology.yaml" {
		t.Fatalf("annotations = %v", ann)
	}
	if n := len(res.Topology.Topics); n != 2 {
		t.Fatalf("the topology keeps both topics: %d", n)
	}
	// In the topology, applications are linked to their services: by
	// service, or by a name that is a service's (as a Strimzi KafkaUser
	// named after its component); others stay unlinked.
	services := map[string]string{}
	for _, a := range res.Topology.Applications {
		services[a.Name] = a.Service
	}
	if want := map[string]string{"order-service": "order-service", "billing-consumer": "billing", "external-tool": ""}; !maps.Equal(services, want) {
		t.Fatalf("the applications' services are %v, want %v", services, want)
	}
	for _, e := range res.Entities() {
		if e.Ref.Name == "external-tool" || e.Ref.Name == "billing-consumer" {
			t.Fatalf("applications that are not services of the repository are not catalog entities: %v", e.Ref)
		}
	}
}
