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

// decodeValue decodes n into v by v's type; path is the config key errors name.
func (l *loader) decodeValue(n *document.Node, v reflect.Value, path string) error {
	switch v.Type() {
	case durationType:
		return l.decodeDuration(n, v, path)
	case anyType:
		v.Set(reflect.ValueOf(n.Value()))
		return nil
	}
	kind := v.Kind()
	if n.Kind == document.Null && (kind == reflect.Pointer || kind == reflect.Struct || kind == reflect.Slice) {
		return nil // null leaves a pointer, a mapping or a list unset
	}
	switch kind {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := l.decodeValue(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return l.decodeStruct(n, v, path)
	case reflect.Slice:
		return l.decodeSlice(n, v, path)
	}
	return l.decodeScalar(n, v, path)
}

// fail is the error for the value n at path: where it is, and what is wrong.
func (l *loader) fail(n *document.Node, path, format string, args ...any) error {
	return fmt.Errorf("config: %s: %s: %s", l.where(n), path, fmt.Sprintf(format, args...))
}

// decodeDuration decodes n into the Duration v.
func (l *loader) decodeDuration(n *document.Node, v reflect.Value, path string) error {
	d, err := ParseDuration(n)
	if err != nil && l.substituted[n] {
		// The value came from ${VAR}, $env or $file and may be a
		// secret: say what is wrong without quoting it.
		return l.fail(n, path, "must be a duration like { minutes: 5 } or an ISO 8601 string like PT5M; got a substituted string of %d characters", len(n.Str))
	}
	if err != nil {
		return l.fail(n, path, "%v", err)
	}
	v.Set(reflect.ValueOf(d))
	return nil
}

// decodeStruct decodes the mapping n into the struct v, by the fields'
// config tags; a key no field has is an error that lists the known ones.
func (l *loader) decodeStruct(n *document.Node, v reflect.Value, path string) error {
	if n.Kind != document.Map {
		return l.fail(n, path, "must be a mapping, not a %s", n.Kind)
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
	return nil
}

// decodeSlice decodes the list n into the slice v.
func (l *loader) decodeSlice(n *document.Node, v reflect.Value, path string) error {
	if n.Kind != document.Seq {
		return l.fail(n, path, "must be a list, not a %s", n.Kind)
	}
	s := reflect.MakeSlice(v.Type(), len(n.Items), len(n.Items))
	for i, it := range n.Items {
		if err := l.decodeValue(it, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// decodeScalar decodes n into the string, integer, number or boolean v.
func (l *loader) decodeScalar(n *document.Node, v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.String:
		if n.Kind == document.Map || n.Kind == document.Seq || n.Kind == document.Null {
			return l.fail(n, path, "must be a string, not a %s", n.Kind)
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
				return l.fail(n, path, "must be an integer; got a string of %d characters", len(n.Str))
			}
			v.SetInt(i)
		default:
			return l.fail(n, path, "must be an integer, not a %s", n.Kind)
		}
	case reflect.Float64:
		switch n.Kind {
		case document.Int:
			v.SetFloat(float64(n.Int))
		case document.Float:
			v.SetFloat(n.Float)
		default:
			return l.fail(n, path, "must be a number, not a %s", n.Kind)
		}
	case reflect.Bool:
		if n.Kind != document.Bool {
			return l.fail(n, path, "must be true or false, not a %s", n.Kind)
		}
		v.SetBool(n.Bool)
	default:
		return l.fail(n, path, "unsupported config type %s", v.Type())
	}
	return nil
}
