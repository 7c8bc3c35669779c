package catalog

import (
	"testing"
)

func location(mutate func(spec map[string]any)) map[string]any {
	s := map[string]any{"type": "url", "target": "https://github.com/acme/payments/blob/main/catalog-info.yaml"}
	if mutate != nil {
		mutate(s)
	}
	return map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Location", "metadata": map[string]any{"name": "payments"}, "spec": s}
}

// template is a scaffolder v1beta3 Template as a real one is written.
func template(mutate func(spec map[string]any)) map[string]any {
	s := map[string]any{
		"owner":     "platform",
		"type":      "service",
		"lifecycle": "production",
		"parameters": []any{
			map[string]any{"title": "Service", "required": []any{"name"}, "properties": map[string]any{"name": map[string]any{"type": "string"}},
				"backstage:permissions": map[string]any{"tags": []any{"go"}}},
		},
		"steps": []any{
			map[string]any{"id": "fetch", "name": "Fetch", "action": "fetch:template", "input": map[string]any{"url": "./skeleton"}},
			map[string]any{"id": "publish", "action": "publish:github", "input": map[string]any{"repoUrl": "${{ parameters.repoUrl }}"}, "if": "${{ parameters.publish }}"},
		},
		"output": map[string]any{
			"links":   []any{map[string]any{"title": "Repository", "url": "${{ steps.publish.output.remoteUrl }}"}},
			"text":    []any{map[string]any{"title": "Next", "content": "Merge the PR"}},
			"summary": "${{ parameters.name }}",
		},
	}
	if mutate != nil {
		mutate(s)
	}
	return map[string]any{"apiVersion": TemplateAPIVersion, "kind": "Template", "metadata": map[string]any{"name": "create-service"}, "spec": s}
}

func TestValidateChecksTheLocationAndTemplateSchemas(t *testing.T) {
	tests := []validateCase{
		{"a Location with one target is valid", location(nil), "", ""},
		{"a Location with a list of targets and presence optional is valid", location(func(s map[string]any) {
			delete(s, "target")
			s["targets"] = []any{"./a.yaml", "./b.yaml"}
			s["presence"] = "optional"
		}), "", ""},
		{"a Location without type or targets is valid, as in Backstage's schema", location(func(s map[string]any) { clear(s) }), "", ""},
		{"a Location needs a spec", func() map[string]any { e := location(nil); delete(e, "spec"); return e }(), "spec", "required"},
		{"a Location's target must be a string", location(func(s map[string]any) { s["target"] = []any{"./a.yaml"} }), "spec.target", "non-empty string"},
		{"a Location's empty type is refused", location(func(s map[string]any) { s["type"] = "" }), "spec.type", "non-empty string"},
		{"a Location's targets must be strings", location(func(s map[string]any) { s["targets"] = []any{"./a.yaml", 3} }), "spec.targets.1", "non-empty string"},
		{"a Location's targets must be a list", location(func(s map[string]any) { s["targets"] = "./a.yaml" }), "spec.targets", "list of strings"},
		{"a Location's presence is required or optional", location(func(s map[string]any) { s["presence"] = "maybe" }), "spec.presence", "required or optional"},
		{"a Location of the v1beta1 apiVersion is valid", func() map[string]any { e := location(nil); e["apiVersion"] = "backstage.io/v1beta1"; return e }(), "", ""},

		{"a complete Template is valid", template(nil), "", ""},
		{"a Template with one parameters form and no owner is valid", template(func(s map[string]any) {
			s["parameters"] = map[string]any{"properties": map[string]any{}}
			delete(s, "owner")
			delete(s, "output")
		}), "", ""},
		{"a Template with no steps at all is refused", template(func(s map[string]any) { delete(s, "steps") }), "spec.steps", "required"},
		{"a Template with an empty list of steps is valid", template(func(s map[string]any) { s["steps"] = []any{} }), "", ""},
		{"a Template needs a type", template(func(s map[string]any) { delete(s, "type") }), "spec.type", "required"},
		{"a Template of backstage.io/v1beta2 is refused", func() map[string]any { e := template(nil); e["apiVersion"] = "backstage.io/v1beta2"; return e }(), "apiVersion", "use scaffolder.backstage.io/v1beta3"},
		{"a Template's owner must be a non-empty string", template(func(s map[string]any) { s["owner"] = "" }), "spec.owner", "non-empty string"},
		{"a Template's owner must be a valid ref", template(func(s map[string]any) { s["owner"] = "group:" }), "spec.owner", "empty name"},
		{"a Template's lifecycle must be a string", template(func(s map[string]any) { s["lifecycle"] = 1 }), "spec.lifecycle", "non-empty string"},
		{"a Template's parameters are a mapping or a list", template(func(s map[string]any) { s["parameters"] = "name" }), "spec.parameters", "mapping or a list"},
		{"each form of a Template's parameters is a mapping", template(func(s map[string]any) { s["parameters"] = []any{"name"} }), "spec.parameters.0", "must be a mapping"},
		{"a form's backstage:permissions tags are strings", template(func(s map[string]any) {
			s["parameters"] = []any{map[string]any{"backstage:permissions": map[string]any{"tags": []any{1}}}}
		}), "spec.parameters.0.backstage:permissions.tags.0", "must be a string"},
		{"a Template's steps are a list", template(func(s map[string]any) { s["steps"] = map[string]any{"action": "x"} }), "spec.steps", "must be a list"},
		{"each step is a mapping", template(func(s map[string]any) { s["steps"] = []any{"fetch:template"} }), "spec.steps.0", "must be a mapping"},
		{"each step needs an action", template(func(s map[string]any) { s["steps"] = []any{map[string]any{"id": "fetch"}} }), "spec.steps.0.action", "required"},
		{"a step's action must be a string", template(func(s map[string]any) { s["steps"] = []any{map[string]any{"action": true}} }), "spec.steps.0.action", "must be a string"},
		{"a step's input must be a mapping", template(func(s map[string]any) { s["steps"] = []any{map[string]any{"action": "a", "input": []any{}}} }), "spec.steps.0.input", "must be a mapping"},
		{"a step's if may be a boolean", template(func(s map[string]any) { s["steps"] = []any{map[string]any{"action": "a", "if": false}} }), "", ""},
		{"a step's if must be a string or a boolean", template(func(s map[string]any) { s["steps"] = []any{map[string]any{"action": "a", "if": 1}} }), "spec.steps.0.if", "string or a boolean"},
		{"a step's id must be a string", template(func(s map[string]any) { s["steps"] = []any{map[string]any{"action": "a", "id": 7}} }), "spec.steps.0.id", "must be a string"},
		{"a Template's output is a mapping", template(func(s map[string]any) { s["output"] = []any{} }), "spec.output", "must be a mapping"},
		{"an output link's url must not be empty", template(func(s map[string]any) { s["output"] = map[string]any{"links": []any{map[string]any{"url": ""}}} }), "spec.output.links.0.url", "must not be empty"},
		{"an output text's if must be a string or a boolean", template(func(s map[string]any) { s["output"] = map[string]any{"text": []any{map[string]any{"if": []any{}}}} }), "spec.output.text.0.if", "string or a boolean"},
		{"any other output value is a string", template(func(s map[string]any) { s["output"] = map[string]any{"count": 3} }), "spec.output.count", "must be a string"},
		{"a Template's secrets schema is a mapping", template(func(s map[string]any) { s["secrets"] = map[string]any{"schema": "x"} }), "spec.secrets.schema", "must be a mapping"},
		{"a Template's button labels are strings", template(func(s map[string]any) {
			s["presentation"] = map[string]any{"buttonLabels": map[string]any{"createButtonText": 1}}
		}), "spec.presentation.buttonLabels.createButtonText", "must be a string"},
		{"a Template's form decorators are mappings", template(func(s map[string]any) { s["formDecorators"] = []any{"x"} }), "spec.formDecorators.0", "must be a mapping"},
	}
	checkValidate(t, tests)
}

func TestTemplateOwnerIsARefToAGroup(t *testing.T) {
	refs := Refs(template(nil))
	if len(refs) != 1 || refs[0].Field != "owner" || refs[0].Ref != (Ref{Kind: "Group", Namespace: "default", Name: "platform"}) {
		t.Fatalf("refs = %+v, want owner -> group:default/platform", refs)
	}
	if refs := Refs(location(nil)); len(refs) != 0 {
		t.Fatalf("a Location points at no entity, got %+v", refs)
	}
}

func TestAKindIsBackstagesOnlyWithItsExactSpellingAndInItsGroup(t *testing.T) {
	withKind := func(e map[string]any, apiVersion, kind string) map[string]any {
		e["apiVersion"], e["kind"] = apiVersion, kind
		return e
	}
	tests := []validateCase{
		{"a component written in lower case is refused at its kind, naming the spelling",
			withKind(component(nil), "backstage.io/v1alpha1", "component"), "kind", `kind "component" must be written Component`},
		{"a location written in lower case is refused at its kind", withKind(location(nil), "backstage.io/v1alpha1", "location"), "kind", "must be written Location"},
		{"a template written in lower case is refused at its kind", withKind(template(nil), TemplateAPIVersion, "template"), "kind", "must be written Template"},
		{"an Api written in mixed case is refused at its kind", withKind(map[string]any{"metadata": map[string]any{"name": "a"},
			"spec": map[string]any{"type": "openapi", "lifecycle": "production", "owner": "t", "definition": "x"}}, "backstage.io/v1alpha1", "Api"), "kind", "must be written API"},
		{"a Crossplane User is not Backstage's User, so its schema does not apply",
			withKind(map[string]any{"metadata": map[string]any{"name": "ci-bot"}, "spec": map[string]any{"forProvider": map[string]any{}}}, "iam.aws.upbound.io/v1beta1", "User"), "", ""},
		{"a Group of another group gets the envelope checks only",
			withKind(map[string]any{"metadata": map[string]any{"name": "g"}, "spec": map[string]any{}}, "example.com/v1", "Group"), "", ""},
		{"a Group of another group still gets the name rules",
			withKind(map[string]any{"metadata": map[string]any{"name": "bad name"}}, "example.com/v1", "Group"), "metadata.name", "not valid"},
		{"an old backstage.io Template is still a Template with an apiVersion to fix",
			withKind(template(nil), "backstage.io/v1beta2", "Template"), "apiVersion", "use scaffolder.backstage.io/v1beta3"},
	}
	checkValidate(t, tests)
}

func TestAForeignKindWithABuiltinNameHasNoRefs(t *testing.T) {
	e := map[string]any{"apiVersion": "example.com/v1", "kind": "Component", "metadata": map[string]any{"name": "c"},
		"spec": map[string]any{"owner": "payments", "system": "checkout"}}
	if refs := Refs(e); len(refs) != 0 {
		t.Fatalf("refs = %+v, want none: example.com/v1 Component is not Backstage's Component", refs)
	}
	if !IsForeign("iam.aws.upbound.io/v1beta1", "user") || IsForeign("backstage.io/v1alpha1", "User") || IsForeign("example.com/v1", "Database") {
		t.Fatal("IsForeign is wrong")
	}
}
