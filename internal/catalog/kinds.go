package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// locationSpec checks what the Location kind's schema adds to its string
// fields: spec.presence is "required" or "optional".
func locationSpec(v *validator, spec map[string]any) {
	if val, ok := spec["presence"]; ok {
		if s, isStr := val.(string); !isStr || (s != "required" && s != "optional") {
			v.add([]string{"spec", "presence"}, fmt.Sprintf("spec.presence %v must be required or optional", quote(val)))
		}
	}
}

// templateSpec checks the rest of the scaffolder's v1beta3 Template schema:
// spec.steps is required, and the shapes of parameters, steps, output and
// the optional sections. Inside parameters and step inputs anything goes
// (they are JSON Schema and templated values for the scaffolder).
func templateSpec(v *validator, spec map[string]any) {
	at := func(p ...string) []string { return append([]string{"spec"}, p...) }
	name := func(p []string) string { return strings.Join(p, ".") }
	// object checks that a field, when set, is a mapping, and returns it.
	object := func(m map[string]any, p []string) map[string]any {
		val, ok := m[p[len(p)-1]]
		if !ok {
			return nil
		}
		obj, isMap := val.(map[string]any)
		if !isMap {
			v.add(p, fmt.Sprintf("%s must be a mapping, not %s", name(p), typeName(val)))
		}
		return obj
	}
	// str checks that a field, when set, is a string (of at least one
	// character when nonEmpty).
	str := func(m map[string]any, p []string, nonEmpty bool) {
		val, ok := m[p[len(p)-1]]
		if !ok {
			return
		}
		s, isStr := val.(string)
		switch {
		case !isStr:
			v.add(p, fmt.Sprintf("%s must be a string, not %s", name(p), typeName(val)))
		case nonEmpty && s == "":
			v.add(p, fmt.Sprintf("%s must not be empty", name(p)))
		}
	}
	condition := func(m map[string]any, p []string) {
		if val, ok := m["if"]; ok {
			switch val.(type) {
			case string, bool:
			default:
				v.add(p, fmt.Sprintf("%s must be a string or a boolean, not %s", name(p), typeName(val)))
			}
		}
	}
	// objects checks that a field, when set, is a list of mappings, and
	// calls each with every item.
	objects := func(m map[string]any, p []string, each func(item map[string]any, p []string)) {
		val, ok := m[p[len(p)-1]]
		if !ok {
			return
		}
		list, isList := val.([]any)
		if !isList {
			v.add(p, fmt.Sprintf("%s must be a list, not %s", name(p), typeName(val)))
			return
		}
		for i, it := range list {
			ip := append(slices.Clone(p), strconv.Itoa(i))
			item, isMap := it.(map[string]any)
			if !isMap {
				v.add(ip, fmt.Sprintf("%s must be a mapping, not %s", name(ip), typeName(it)))
				continue
			}
			if each != nil {
				each(item, ip)
			}
		}
	}
	// permissions checks backstage:permissions: a mapping whose tags are
	// a list of strings.
	permissions := func(m map[string]any, p []string) {
		pp := append(slices.Clone(p), "backstage:permissions")
		perms := object(m, pp)
		if perms == nil {
			return
		}
		tp := append(pp, "tags")
		if val, ok := perms["tags"]; ok {
			tags, isList := val.([]any)
			if !isList {
				v.add(tp, fmt.Sprintf("%s must be a list of strings, not %s", name(tp), typeName(val)))
				return
			}
			for i, t := range tags {
				if _, isStr := t.(string); !isStr {
					ip := append(slices.Clone(tp), strconv.Itoa(i))
					v.add(ip, fmt.Sprintf("%s must be a string, not %s", name(ip), typeName(t)))
				}
			}
		}
	}

	// parameters: one form (a mapping) or a list of forms.
	if val, ok := spec["parameters"]; ok {
		switch t := val.(type) {
		case map[string]any:
			permissions(t, at("parameters"))
		case []any:
			objects(spec, at("parameters"), func(item map[string]any, p []string) { permissions(item, p) })
		default:
			v.add(at("parameters"), fmt.Sprintf("spec.parameters must be a mapping or a list of mappings, not %s", typeName(val)))
		}
	}

	if _, ok := spec["steps"]; !ok {
		v.add(at("steps"), "spec.steps is required (use [] for none)")
	}
	objects(spec, at("steps"), func(step map[string]any, p []string) {
		ap := append(slices.Clone(p), "action")
		if _, ok := step["action"]; !ok {
			v.add(ap, fmt.Sprintf("%s is required", name(ap)))
		}
		str(step, ap, false)
		str(step, append(slices.Clone(p), "id"), false)
		str(step, append(slices.Clone(p), "name"), false)
		object(step, append(slices.Clone(p), "input"))
		condition(step, append(slices.Clone(p), "if"))
		permissions(step, p)
	})

	if out := object(spec, at("output")); out != nil {
		for k, val := range out {
			p := at("output", k)
			switch k {
			case "links":
				objects(out, p, func(link map[string]any, lp []string) {
					condition(link, append(slices.Clone(lp), "if"))
					for _, f := range []string{"url", "entityRef", "title", "icon"} {
						str(link, append(slices.Clone(lp), f), true)
					}
				})
			case "text":
				objects(out, p, func(text map[string]any, tp []string) {
					condition(text, append(slices.Clone(tp), "if"))
					str(text, append(slices.Clone(tp), "title"), true)
					str(text, append(slices.Clone(tp), "icon"), true)
					str(text, append(slices.Clone(tp), "content"), false)
				})
			default:
				if _, isStr := val.(string); !isStr {
					v.add(p, fmt.Sprintf("%s must be a string (a templated value), not %s", name(p), typeName(val)))
				}
			}
		}
	}

	if secrets := object(spec, at("secrets")); secrets != nil {
		object(secrets, at("secrets", "schema"))
	}
	if pres := object(spec, at("presentation")); pres != nil {
		if labels := object(pres, at("presentation", "buttonLabels")); labels != nil {
			for _, f := range []string{"backButtonText", "createButtonText", "reviewButtonText"} {
				str(labels, at("presentation", "buttonLabels", f), false)
			}
		}
	}
	if rec := object(spec, at("EXPERIMENTAL_recovery")); rec != nil {
		str(rec, at("EXPERIMENTAL_recovery", "EXPERIMENTAL_strategy"), false)
	}
	for _, f := range []string{"formDecorators", "EXPERIMENTAL_formDecorators"} {
		objects(spec, at(f), func(d map[string]any, p []string) {
			str(d, append(slices.Clone(p), "id"), false)
			object(d, append(slices.Clone(p), "input"))
		})
	}
}
