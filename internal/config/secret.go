package config

import (
	"encoding/json"
	"log/slog"
)

// Secret holds a token or password. Every way of printing it (fmt, %#v,
// JSON, slog) shows "[redacted]", so a secret cannot leak into logs,
// status or errors by accident; Reveal is the one way to read it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
