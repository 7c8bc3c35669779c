package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/central-config/central-config/internal/document"
)

var (
	durationType = reflect.TypeFor[Duration]()
	anyType      = reflect.TypeFor[any]()
)

// decode fills v (a pointer) from a config node, strictly: an unknown key
// is an error naming its path and place, so a typo never silently falls
// back to a default.
func (l *loader) decode(n *document.Node, v any, path string) error {
	return l.decodeValue(n, reflect.ValueOf(v).Elem(), path)
}

func (l *loader) decodeValue(n *document.Node, v reflect.Value, path string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("config: %s: %s: %s", l.where(n), path, fmt.Sprintf(format, args...))
	}
	if v.Type() == durationType {
		d, err := ParseDuration(n)
		if err != nil && l.substituted[n] {
			// The value came from ${VAR}, $env or $file and may be a
			// secret: say what is wrong without quoting it.
			return fail("must be a duration like { minutes: 5 } or an ISO 8601 string like PT5M; got a substituted string of %d characters", len(n.Str))
		}
		if err != nil {
			return fail("%v", err)
		}
		v.Set(reflect.ValueOf(d))
		return nil
	}
	if v.Type() == anyType {
		v.Set(reflect.ValueOf(n.Value()))
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == document.Null {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := l.decodeValue(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		if n.Kind == document.Null {
			return nil
		}
		if n.Kind != document.Map {
			return fail("must be a mapping, not a %s", n.Kind)
		}
		fields := map[string]int{}
		var names []string
		for i := range v.NumField() {
			if tag := v.Type().Field(i).Tag.Get("config"); tag != "" {
				fields[tag] = i
				names = append(names, tag)
			}
		}
		for _, f := range n.Fields {
			i, ok := fields[f.Key]
			if !ok {
				return fmt.Errorf("config: %s:%d:%d: unknown key %s.%s (known keys: %s)",
					l.fileOf[n], f.KeyPos.Line, f.KeyPos.Column, path, f.Key, strings.Join(names, ", "))
			}
			if err := l.decodeValue(f.Value, v.Field(i), path+"."+f.Key); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == document.Null {
			return nil
		}
		if n.Kind != document.Seq {
			return fail("must be a list, not a %s", n.Kind)
		}
		s := reflect.MakeSlice(v.Type(), len(n.Items), len(n.Items))
		for i, it := range n.Items {
			if err := l.decodeValue(it, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.String:
		if n.Kind == document.Map || n.Kind == document.Seq || n.Kind == document.Null {
			return fail("must be a string, not a %s", n.Kind)
		}
		v.SetString(n.String())
	case reflect.Int, reflect.Int64:
		switch n.Kind {
		case document.Int:
			v.SetInt(int64(n.Int))
		case document.String:
			// As Backstage reads numbers: a string of digits is a number,
			// so ${GITHUB_APP_ID} can fill an integer key. The value is
			// never quoted: ${GITHUB_TOKEN} by mistake would print a token.
			i, err := strconv.ParseInt(strings.TrimSpace(n.Str), 10, 64)
			if err != nil {
				return fail("must be an integer; got a string of %d characters", len(n.Str))
			}
			v.SetInt(i)
		default:
			return fail("must be an integer, not a %s", n.Kind)
		}
	case reflect.Float64:
		switch n.Kind {
		case document.Int:
			v.SetFloat(float64(n.Int))
		case document.Float:
			v.SetFloat(n.Float)
		default:
			return fail("must be a number, not a %s", n.Kind)
		}
	case reflect.Bool:
		if n.Kind != document.Bool {
			return fail("must be true or false, not a %s", n.Kind)
		}
		v.SetBool(n.Bool)
	default:
		return fail("unsupported config type %s", v.Type())
	}
	return nil
}
