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
	c := shapes{v}
	at := func(p ...string) []string { return append([]string{"spec"}, p...) }

	// parameters: one form (a mapping) or a list of forms.
	if val, ok := spec["parameters"]; ok {
		switch t := val.(type) {
		case map[string]any:
			c.permissions(t, at("parameters"))
		case []any:
			c.objects(spec, at("parameters"), c.permissions)
		default:
			v.add(at("parameters"), fmt.Sprintf("spec.parameters must be a mapping or a list of mappings, not %s", typeName(val)))
		}
	}

	if _, ok := spec["steps"]; !ok {
		v.add(at("steps"), "spec.steps is required (use [] for none)")
	}
	c.objects(spec, at("steps"), c.step)

	if out := c.object(spec, at("output")); out != nil {
		c.output(out)
	}

	if secrets := c.object(spec, at("secrets")); secrets != nil {
		c.object(secrets, at("secrets", "schema"))
	}
	if pres := c.object(spec, at("presentation")); pres != nil {
		if labels := c.object(pres, at("presentation", "buttonLabels")); labels != nil {
			for _, f := range []string{"backButtonText", "createButtonText", "reviewButtonText"} {
				c.str(labels, at("presentation", "buttonLabels", f), false)
			}
		}
	}
	if rec := c.object(spec, at("EXPERIMENTAL_recovery")); rec != nil {
		c.str(rec, at("EXPERIMENTAL_recovery", "EXPERIMENTAL_strategy"), false)
	}
	for _, f := range []string{"formDecorators", "EXPERIMENTAL_formDecorators"} {
		c.objects(spec, at(f), func(d map[string]any, p []string) {
			c.str(d, sub(p, "id"), false)
			c.object(d, sub(p, "input"))
		})
	}
}

// shapes checks the shapes of a Template's fields, each at the path p of
// the field (its last element is the field's key in m), and reports to v.
type shapes struct{ v *validator }

// sub is the path of key k under p, in a slice of its own.
func sub(p []string, k string) []string { return append(slices.Clone(p), k) }

func pathName(p []string) string { return strings.Join(p, ".") }

// object checks that a field, when set, is a mapping, and returns it.
func (c shapes) object(m map[string]any, p []string) map[string]any {
	val, ok := m[p[len(p)-1]]
	if !ok {
		return nil
	}
	obj, isMap := val.(map[string]any)
	if !isMap {
		c.v.add(p, fmt.Sprintf("%s must be a mapping, not %s", pathName(p), typeName(val)))
	}
	return obj
}

// str checks that a field, when set, is a string (of at least one
// character when nonEmpty).
func (c shapes) str(m map[string]any, p []string, nonEmpty bool) {
	val, ok := m[p[len(p)-1]]
	if !ok {
		return
	}
	s, isStr := val.(string)
	switch {
	case !isStr:
		c.v.add(p, fmt.Sprintf("%s must be a string, not %s", pathName(p), typeName(val)))
	case nonEmpty && s == "":
		c.v.add(p, fmt.Sprintf("%s must not be empty", pathName(p)))
	}
}

// condition checks the "if" of m, at p: a string or a boolean.
func (c shapes) condition(m map[string]any, p []string) {
	if val, ok := m["if"]; ok {
		switch val.(type) {
		case string, bool:
		default:
			c.v.add(p, fmt.Sprintf("%s must be a string or a boolean, not %s", pathName(p), typeName(val)))
		}
	}
}

// list checks that a field, when set, is a list (what names it in the
// message), and returns it.
func (c shapes) list(m map[string]any, p []string, what string) []any {
	val, ok := m[p[len(p)-1]]
	if !ok {
		return nil
	}
	list, isList := val.([]any)
	if !isList {
		c.v.add(p, fmt.Sprintf("%s must be %s, not %s", pathName(p), what, typeName(val)))
	}
	return list
}

// objects checks that a field, when set, is a list of mappings, and
// calls each with every item.
func (c shapes) objects(m map[string]any, p []string, each func(item map[string]any, p []string)) {
	for i, it := range c.list(m, p, "a list") {
		ip := sub(p, strconv.Itoa(i))
		item, isMap := it.(map[string]any)
		if !isMap {
			c.v.add(ip, fmt.Sprintf("%s must be a mapping, not %s", pathName(ip), typeName(it)))
			continue
		}
		each(item, ip)
	}
}

// permissions checks backstage:permissions of m, at p: a mapping whose
// tags are a list of strings.
func (c shapes) permissions(m map[string]any, p []string) {
	pp := sub(p, "backstage:permissions")
	perms := c.object(m, pp)
	if perms == nil {
		return
	}
	tp := sub(pp, "tags")
	for i, t := range c.list(perms, tp, "a list of strings") {
		if _, isStr := t.(string); !isStr {
			ip := sub(tp, strconv.Itoa(i))
			c.v.add(ip, fmt.Sprintf("%s must be a string, not %s", pathName(ip), typeName(t)))
		}
	}
}

// step checks one of spec.steps, at p.
func (c shapes) step(step map[string]any, p []string) {
	ap := sub(p, "action")
	if _, ok := step["action"]; !ok {
		c.v.add(ap, fmt.Sprintf("%s is required", pathName(ap)))
	}
	c.str(step, ap, false)
	c.str(step, sub(p, "id"), false)
	c.str(step, sub(p, "name"), false)
	c.object(step, sub(p, "input"))
	c.condition(step, sub(p, "if"))
	c.permissions(step, p)
}

// output checks spec.output: lists of links and texts, and templated
// values.
func (c shapes) output(out map[string]any) {
	for k, val := range out {
		p := []string{"spec", "output", k}
		switch k {
		case "links":
			c.objects(out, p, func(link map[string]any, lp []string) {
				c.condition(link, sub(lp, "if"))
				for _, f := range []string{"url", "entityRef", "title", "icon"} {
					c.str(link, sub(lp, f), true)
				}
			})
		case "text":
			c.objects(out, p, func(text map[string]any, tp []string) {
				c.condition(text, sub(tp, "if"))
				c.str(text, sub(tp, "title"), true)
				c.str(text, sub(tp, "icon"), true)
				c.str(text, sub(tp, "content"), false)
			})
		default:
			if _, isStr := val.(string); !isStr {
				c.v.add(p, fmt.Sprintf("%s must be a string (a templated value), not %s", pathName(p), typeName(val)))
			}
		}
	}
}
