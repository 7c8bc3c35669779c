package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/central-config/central-config/internal/document"
)

// Load reads, substitutes and merges the files in order and decodes the
// centralConfig key. lookupEnv is os.LookupEnv outside tests. Errors name
// the file, line, column and key path.
func Load(files []string, lookupEnv func(string) (string, bool), log *slog.Logger) (*Config, error) {
	l := &loader{env: lookupEnv, log: log, fileOf: map[*document.Node]string{}, substituted: map[*document.Node]bool{}}
	var merged *document.Node
	for _, f := range files {
		root, err := l.readFile(f)
		if err != nil {
			return nil, err
		}
		merged = merge(merged, root)
	}
	cfg := &Config{}
	if merged == nil {
		return cfg, nil
	}
	if merged.Kind != document.Map {
		return nil, fmt.Errorf("%s: the config must be a mapping", files[len(files)-1])
	}
	if n := merged.Get(Key); n != nil {
		if err := l.decode(n, cfg, Key); err != nil {
			return nil, err
		}
	}
	// Of Backstage's integrations only github is the engine's; the other
	// kinds are not even looked at.
	if n := merged.Get(IntegrationsKey); n != nil && n.Kind == document.Map {
		if g := n.Get("github"); g != nil {
			if err := l.decode(g, &cfg.Integrations.GitHub, IntegrationsKey+".github"); err != nil {
				return nil, err
			}
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

type loader struct {
	env    func(string) (string, bool)
	log    *slog.Logger
	fileOf map[*document.Node]string
	// substituted are the values that came from ${VAR}, $env or $file:
	// they may be secrets, so errors never quote them.
	substituted map[*document.Node]bool
}

func (l *loader) readFile(name string) (*document.Node, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	docs, d := document.Decode(name, data, document.Limits{})
	if d != nil {
		return nil, fmt.Errorf("config: %w", d)
	}
	if len(docs) == 0 {
		return nil, nil
	}
	if len(docs) > 1 {
		return nil, fmt.Errorf("config: %s: a config file holds one YAML document, found %d", name, len(docs))
	}
	root, err := l.substitute(docs[0].Root, name, "")
	if err != nil {
		return nil, err
	}
	l.remember(root, name)
	return root, nil
}

// remember records which file each node came from, for error messages
// after files are merged.
func (l *loader) remember(n *document.Node, file string) {
	if n == nil {
		return
	}
	l.fileOf[n] = file
	for _, f := range n.Fields {
		l.remember(f.Value, file)
	}
	for _, it := range n.Items {
		l.remember(it, file)
	}
}

// where renders a node's place for messages: file:line:col.
func (l *loader) where(n *document.Node) string {
	return fmt.Sprintf("%s:%d:%d", l.fileOf[n], n.Pos.Line, n.Pos.Column)
}

// substitute applies Backstage's config substitutions: ${VAR} from the
// environment ($${ escapes), { $env: VAR } and { $file: path }. As in
// Backstage, a value that names an unset variable is left out, as if the
// key were not written; it is logged (by name, never by value).
func (l *loader) substitute(n *document.Node, file, path string) (*document.Node, error) {
	switch n.Kind {
	case document.String:
		s, missing := expand(n.Str, l.env)
		if missing != "" {
			if l.log != nil {
				l.log.Warn("config value left unset: environment variable is not set", "key", path, "variable", missing, "file", file)
			}
			return nil, nil
		}
		if s == n.Str {
			return n, nil
		}
		out := *n
		out.Str = s
		l.substituted[&out] = true
		return &out, nil
	case document.Map:
		if len(n.Fields) == 1 {
			f := n.Fields[0]
			switch f.Key {
			case "$env":
				v, ok := l.env(f.Value.String())
				if !ok {
					if l.log != nil {
						l.log.Warn("config value left unset: environment variable is not set", "key", path, "variable", f.Value.String(), "file", file)
					}
					return nil, nil
				}
				out := &document.Node{Kind: document.String, Pos: n.Pos, Str: v}
				l.substituted[out] = true
				return out, nil
			case "$file":
				p := f.Value.String()
				if !filepath.IsAbs(p) {
					p = filepath.Join(filepath.Dir(file), p)
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return nil, fmt.Errorf("config: %s:%d:%d: %s: $file: %w", file, n.Pos.Line, n.Pos.Column, path, err)
				}
				out := &document.Node{Kind: document.String, Pos: n.Pos, Str: strings.TrimRight(string(data), "\n")}
				l.substituted[out] = true
				return out, nil
			}
		}
		out := *n
		out.Fields = nil
		for _, f := range n.Fields {
			v, err := l.substitute(f.Value, file, joinPath(path, f.Key))
			if err != nil {
				return nil, err
			}
			if v != nil {
				f.Value = v
				out.Fields = append(out.Fields, f)
			}
		}
		return &out, nil
	case document.Seq:
		out := *n
		out.Items = nil
		for i, it := range n.Items {
			v, err := l.substitute(it, file, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if v != nil {
				out.Items = append(out.Items, v)
			}
		}
		return &out, nil
	}
	return n, nil
}

// expand replaces ${VAR} in s. It returns the name of the first unset
// variable, if any.
func expand(s string, env func(string) (string, bool)) (string, string) {
	if !strings.Contains(s, "${") {
		return s, ""
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), ""
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), ""
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		v, ok := env(name)
		if !ok {
			return "", name
		}
		b.WriteString(s[:i] + v)
		s = s[i+j+1:]
	}
}

// merge overlays b on a: maps merge key by key, anything else is replaced,
// as Backstage merges app-config files.
func merge(a, b *document.Node) *document.Node {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if a.Kind != document.Map || b.Kind != document.Map {
		return b
	}
	out := *a
	out.Fields = append([]document.Field(nil), a.Fields...)
	for _, f := range b.Fields {
		found := false
		for i := range out.Fields {
			if out.Fields[i].Key == f.Key {
				out.Fields[i].Value = merge(out.Fields[i].Value, f.Value)
				found = true
				break
			}
		}
		if !found {
			out.Fields = append(out.Fields, f)
		}
	}
	return &out
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
