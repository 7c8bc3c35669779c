package mapping

import (
	"errors"
	"fmt"
	"sort"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/itchyny/gojq"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
)

// RuleSpec is a user mapping rule as written in config
// (centralConfig.rules): which files it reads, which items of each document
// it maps, and a template whose string leaves are jq expressions.
type RuleSpec struct {
	ID     string   `config:"id"`
	Files  []string `config:"files"`
	Select string   `config:"select"`
	Filter string   `config:"filter"`
	Entity any      `config:"entity"`
}

// Rule is a compiled mapping rule.
type Rule struct {
	id     string
	files  []string
	sel    *gojq.Code
	filter *gojq.Code
	entity template
}

// template is a compiled entity template: a map, a list, a literal or a jq
// expression.
type template struct {
	expr    *gojq.Code
	literal any
	fields  map[string]template
	keys    []string
	items   []template
}

// CompileRules checks and compiles rules. Errors name the rule and the key,
// so a mistake in config is found at start-up, not at the first sync.
func CompileRules(specs []RuleSpec) ([]*Rule, error) {
	var errs []error
	seen := map[string]bool{}
	var out []*Rule
	for i, s := range specs {
		at := fmt.Sprintf("centralConfig.rules[%d]", i)
		r, err := compileRule(s, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[s.ID] {
			errs = append(errs, fmt.Errorf("%s.id: rule id %q is used twice", at, s.ID))
		}
		seen[s.ID] = true
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func compileRule(s RuleSpec, at string) (*Rule, error) {
	if s.ID == "" {
		return nil, fmt.Errorf("%s.id is required", at)
	}
	if len(s.Files) == 0 {
		return nil, fmt.Errorf("%s.files: at least one glob is required", at)
	}
	for _, g := range s.Files {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("%s.files: invalid glob %q", at, g)
		}
	}
	r := &Rule{id: s.ID, files: s.Files}
	var err error
	sel := s.Select
	if sel == "" {
		sel = "."
	}
	if r.sel, err = compileJQ(sel, at+".select"); err != nil {
		return nil, err
	}
	if s.Filter != "" {
		if r.filter, err = compileJQ(s.Filter, at+".filter"); err != nil {
			return nil, err
		}
	}
	if s.Entity == nil {
		return nil, fmt.Errorf("%s.entity is required", at)
	}
	if r.entity, err = compileTemplate(s.Entity, at+".entity"); err != nil {
		return nil, err
	}
	return r, nil
}

func compileJQ(src, at string) (*gojq.Code, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid jq expression %q: %w", at, src, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid jq expression %q: %w", at, src, err)
	}
	return code, nil
}

func compileTemplate(v any, at string) (template, error) {
	switch t := v.(type) {
	case string:
		code, err := compileJQ(t, at)
		return template{expr: code}, err
	case map[string]any:
		tm := template{fields: map[string]template{}}
		for k, val := range t {
			sub, err := compileTemplate(val, at+"."+k)
			if err != nil {
				return template{}, err
			}
			tm.fields[k] = sub
			tm.keys = append(tm.keys, k)
		}
		sort.Strings(tm.keys)
		return tm, nil
	case []any:
		tm := template{items: []template{}}
		for i, val := range t {
			sub, err := compileTemplate(val, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return template{}, err
			}
			tm.items = append(tm.items, sub)
		}
		return tm, nil
	}
	return template{literal: v}, nil
}

// ruleFor returns the first rule whose globs match the path; a file a rule
// reads is read only by that rule.
func (m *mapper) ruleFor(p string) *Rule {
	for _, r := range m.opts.Rules {
		for _, g := range r.files {
			if ok, _ := doublestar.Match(g, p); ok {
				return r
			}
		}
	}
	return nil
}

// apply maps one document with the rule. jq failures are reported at the
// document, naming the rule and the item.
func (r *Rule) apply(doc *document.Document, diags *diag.List) []candidate {
	fail := func(msg string) {
		*diags = append(*diags, diag.Diagnostic{File: doc.File, Line: doc.Root.Pos.Line, Column: doc.Root.Pos.Column,
			Severity: diag.Error, Code: diag.CodeRule, Message: fmt.Sprintf("rule %q: %s", r.id, msg)})
	}
	var out []candidate
	iter := r.sel.Run(doc.Root.Value())
	for n := 0; ; n++ {
		it, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := it.(error); isErr {
			fail("select: " + err.Error())
			break
		}
		if r.filter != nil {
			keep, err := first(r.filter, it)
			if err != nil {
				fail(fmt.Sprintf("filter on item %d: %v", n, err))
				continue
			}
			if keep == nil || keep == false {
				continue
			}
		}
		v, err := r.entity.eval(it)
		if err != nil {
			fail(fmt.Sprintf("entity for item %d: %v", n, err))
			continue
		}
		obj, isMap := v.(map[string]any)
		if !isMap {
			fail(fmt.Sprintf("entity for item %d is not a mapping", n))
			continue
		}
		root := doc.Root
		out = append(out, candidate{object: obj, pos: root.Pos, posOf: func([]string) document.Pos { return root.Pos }})
	}
	return out
}

// first returns the first output of a jq program, or nil when it yields
// nothing.
func first(code *gojq.Code, input any) (any, error) {
	iter := code.Run(input)
	v, ok := iter.Next()
	if !ok {
		return nil, nil
	}
	if err, isErr := v.(error); isErr {
		var halt *gojq.HaltError
		if errors.As(err, &halt) && halt.Value() == nil {
			return nil, nil
		}
		return nil, err
	}
	return v, nil
}

// eval fills the template for one item. Keys whose expression yields null
// are left out, so optional fields need no special syntax.
func (t template) eval(input any) (any, error) {
	switch {
	case t.expr != nil:
		v, err := first(t.expr, input)
		if err != nil {
			return nil, err
		}
		return v, nil
	case t.fields != nil:
		out := make(map[string]any, len(t.fields))
		for _, k := range t.keys {
			v, err := t.fields[k].eval(input)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if v != nil {
				out[k] = v
			}
		}
		return out, nil
	case t.items != nil:
		out := make([]any, 0, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(input)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out = append(out, v)
		}
		return out, nil
	}
	return t.literal, nil
}
