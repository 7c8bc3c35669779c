package git

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// userinfoRE matches the "user:password@" part of URLs inside free text.
// The greedy run up to the last "@" before a slash copes with unescaped
// "@" in passwords.
var userinfoRE = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/"'<>]*@`)

// stripUserinfo removes credentials from every URL in s.
func stripUserinfo(s string) string {
	return userinfoRE.ReplaceAllString(s, "$1")
}

// sanitizeURL returns raw without userinfo.
func sanitizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return stripUserinfo(raw)
	}
	u.User = nil
	return u.String()
}

// secretForms lists the token as it might come back in an error: verbatim,
// URL-escaped, and inside an echoed basic auth header. Longest first, so a
// form that contains another is replaced whole.
func secretForms(username, token string) []string {
	forms := []string{
		token,
		url.QueryEscape(token),
		url.PathEscape(token),
		base64.StdEncoding.EncodeToString([]byte(username + ":" + token)),
		base64.RawURLEncoding.EncodeToString([]byte(username + ":" + token)),
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return slices.Compact(forms)
}

// redact removes credentials from a message: URL userinfo and every form
// of the token.
func (s *Source) redact(msg string) string {
	msg = stripUserinfo(msg)
	for _, sec := range s.secrets {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, "***")
		}
	}
	return msg
}

// redactErr returns err unchanged when its message holds no secret, and
// otherwise an error with the cleaned message that still matches err with
// errors.Is.
func (s *Source) redactErr(err error) error {
	msg := err.Error()
	if clean := s.redact(msg); clean != msg {
		return &safeError{msg: clean, causes: []error{err}}
	}
	return err
}

// cacheName turns a source ID into a directory name. IDs that are not
// already plain names get a hash suffix, so that "a/b" and "a_b" do not
// share a clone.
func cacheName(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if strings.HasPrefix(name, ".") {
		name = "_" + name
	}
	if len(name) > 64 {
		name = name[:64]
	}
	if name != id {
		sum := sha256.Sum256([]byte(id))
		name += "-" + hex.EncodeToString(sum[:4])
	}
	return name
}
