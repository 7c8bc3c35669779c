package kafka

import "strings"

// NameFromPrincipal returns the name an application is known by when all
// a dialect gives is its Kafka principal: the part after the principal
// type (User:App0 is App0), and for a TLS distinguished name its common
// name (User:CN=order-service,O=acme is order-service). Applications are
// merged across documents by this name, so the same principal written in
// two descriptors is one application.
func NameFromPrincipal(principal string) string {
	p := strings.TrimSpace(principal)
	if i := strings.IndexByte(p, ':'); i > 0 && !strings.ContainsAny(p[:i], "=, ") {
		p = p[i+1:]
	}
	if len(p) > 3 && strings.EqualFold(p[:3], "CN=") {
		p = p[3:]
		if i := strings.IndexByte(p, ','); i >= 0 {
			p = p[:i]
		}
	}
	return strings.TrimSpace(p)
}
