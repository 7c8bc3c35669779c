package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestEveryKeyIsDocumented walks the Config type (and the integrations
// the engine reads) and checks that every key appears in
// docs/configuration.md, so a new key cannot ship undocumented.
func TestEveryKeyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[Duration]() {
			return
		}
		for i := range typ.NumField() {
			tag := typ.Field(i).Tag.Get("config")
			if tag == "" {
				continue
			}
			key := path + "." + tag
			ft := typ.Field(i).Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() {
				// A group of keys: its leaves are checked.
				walk(ft, key)
				continue
			}
			// Tables name keys by their last one or two parts (a
			// list's item keys also as list[].key).
			parts := strings.Split(key, ".")
			short, item := parts[len(parts)-1], ""
			if len(parts) >= 2 {
				short, item = parts[len(parts)-2]+"."+short, parts[len(parts)-2]+"[]."+short
			}
			if !strings.Contains(text, "`"+short+"`") && !strings.Contains(text, "`"+parts[len(parts)-1]+"`") &&
				(item == "" || !strings.Contains(text, "`"+item+"`")) {
				t.Errorf("%s is not documented in docs/configuration.md", key)
			}
		}
	}
	walk(reflect.TypeFor[Config](), Key)
	walk(reflect.TypeFor[Integrations](), IntegrationsKey)
}
