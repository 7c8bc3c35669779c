// Package helm_test checks the Helm chart in deploy/helm/central-config: it
// renders the chart with Helm's own Go SDK for several value sets, decodes
// every object strictly into the Kubernetes API types (and the Prometheus
// Operator's for its CRDs), checks that the pieces fit together and that
// the engine's own config loader accepts the app-config the chart writes,
// and runs Helm's linter. The Kubernetes manifests in deploy/kubernetes are
// the chart rendered with deploy/kubernetes/values.yaml; a test keeps them
// equal.
package helm_test

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart, relative to this package.
const chartDir = "central-config"

// releaseName is the release the tests render, as in `helm install
// central-config deploy/helm/central-config`.
const releaseName = "central-config"

// objects are the rendered objects, by kind.
type objects struct {
	deployments     []*appsv1.Deployment
	services        []*corev1.Service
	configMaps      []*corev1.ConfigMap
	pdbs            []*policyv1.PodDisruptionBudget
	pvcs            []*corev1.PersistentVolumeClaim
	serviceMonitors []*monitoringv1.ServiceMonitor
	prometheusRules []*monitoringv1.PrometheusRule
}

// render renders the chart as `helm template` does for values (YAML, over
// the chart's values.yaml) and returns each template's output by its path
// in the chart (templates/deployment.yaml), NOTES.txt left out.
func render(valuesYAML string) (map[string]string, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	values := map[string]any{}
	if err := yaml.Unmarshal([]byte(valuesYAML), &values); err != nil {
		return nil, fmt.Errorf("the test's values: %w", err)
	}
	merged, err := util.CoalesceValues(ch, values)
	if err != nil {
		return nil, err
	}
	top, err := util.ToRenderValuesWithSchemaValidation(ch, merged,
		common.ReleaseOptions{Name: releaseName, Namespace: "platform", IsInstall: true}, common.DefaultCapabilities.Copy(), false)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, top)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for name, text := range out {
		name = strings.TrimPrefix(name, ch.Name()+"/")
		if path.Base(name) == "NOTES.txt" || strings.TrimSpace(text) == "" {
			continue
		}
		files[name] = text
	}
	return files, nil
}

// decode decodes each document of the rendered files strictly into its API
// type: an unknown or misspelt field, a duplicate key or a wrong value type
// is an error, as kubectl apply --validate=strict would report.
func decode(t *testing.T, files map[string]string) objects {
	t.Helper()
	var o objects
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for i, doc := range splitDocuments([]byte(files[name])) {
			where := fmt.Sprintf("%s, document %d", name, i+1)
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v\n%s", where, err, doc)
			}
			var obj any
			switch meta.APIVersion + " " + meta.Kind {
			case "apps/v1 Deployment":
				obj = appendNew(&o.deployments)
			case "v1 Service":
				obj = appendNew(&o.services)
			case "v1 ConfigMap":
				obj = appendNew(&o.configMaps)
			case "policy/v1 PodDisruptionBudget":
				obj = appendNew(&o.pdbs)
			case "v1 PersistentVolumeClaim":
				obj = appendNew(&o.pvcs)
			case "monitoring.coreos.com/v1 ServiceMonitor":
				obj = appendNew(&o.serviceMonitors)
			case "monitoring.coreos.com/v1 PrometheusRule":
				obj = appendNew(&o.prometheusRules)
			default:
				t.Fatalf("%s: %s %s is not a kind this test knows; add it", where, meta.APIVersion, meta.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s (%s): %v", where, meta.Kind, err)
			}
		}
	}
	return o
}

// appendNew appends a new zero T to *list and returns it.
func appendNew[T any](list *[]*T) *T {
	v := new(T)
	*list = append(*list, v)
	return v
}

// splitDocuments splits a YAML stream at its "---" lines, dropping
// documents that hold only comments.
func splitDocuments(raw []byte) [][]byte {
	var out [][]byte
	for doc := range bytes.SplitSeq(raw, []byte("\n---")) {
		for line := range strings.SplitSeq(string(doc), "\n") {
			if l := strings.TrimSpace(line); l != "" && l != "---" && !strings.HasPrefix(l, "#") {
				out = append(out, doc)
				break
			}
		}
	}
	return out
}

// TestStrictDecodingCatchesAMisspeltField makes sure decode has teeth: a
// typo in a manifest fails it.
func TestStrictDecodingCatchesAMisspeltField(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if err := yaml.UnmarshalStrict(doc, &appsv1.Deployment{}); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("a misspelt field must be an error naming it, got %v", err)
	}
	doc = []byte("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoint: []\n")
	if err := yaml.UnmarshalStrict(doc, &monitoringv1.ServiceMonitor{}); err == nil || !strings.Contains(err.Error(), "endpoint") {
		t.Fatalf("a misspelt ServiceMonitor field must be an error naming it, got %v", err)
	}
}
