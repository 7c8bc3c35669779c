package kafka

import (
	"crypto/sha256"
	"encoding/hex"
)

// Backstage's limits on metadata.name: at most 63 characters matching
// ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$.
const (
	maxNameLen = 63
	hashLen    = 8
	// clusterSep joins a cluster to a topic name when both are needed.
	// Cluster names of our format never hold two dashes in a row, and it
	// reads as "not part of the topic name".
	clusterSep = "--"
)

// TopicEntityName is the Backstage metadata.name of a topic's Resource
// entity. The rule, which the catalog mapping and the graph share:
//
//  1. Every character outside A-Z a-z 0-9 - _ . becomes '-' (a Kafka
//     topic name only holds those, so valid names are kept as they are);
//     leading and trailing characters that are not letters or digits are
//     trimmed.
//  2. When cluster is not "", the name is <cluster>--<topic>, the cluster
//     cleaned the same way. Callers pass the cluster only when the topic's
//     name is used on several clusters (see TopicEntityNames): the usual
//     topic, on one cluster, keeps its own name.
//  3. A name longer than 63 characters is cut to 54, trimmed again, and
//     followed by '-' and the first 8 hex digits of the SHA-256 of
//     "<cluster>/<topic>" as given, so two long names that share their
//     first 54 characters stay apart. A name with nothing left after
//     cleaning is "topic-" and that hash.
//
// The result always matches Backstage's rule for metadata.name.
func TopicEntityName(cluster, topic string) string {
	name := clean(topic)
	if name != "" && cluster != "" {
		if c := clean(cluster); c != "" {
			name = c + clusterSep + name
		}
	}
	switch {
	case name == "":
		return "topic-" + keyHash(cluster, topic)
	case len(name) > maxNameLen:
		return withHash(name, cluster, topic)
	}
	return name
}

// TopicEntityNames names the entities of every declared topic of a
// topology. A topic's name alone is used unless the same name is declared
// on more than one cluster (the topics without a cluster counting as one);
// then each of those topics that has a cluster is named <cluster>--<topic>
// (TopicEntityName with its cluster), and the one without a cluster keeps
// the bare name. Names that still collide (two names that differ only in
// characters rule 1 replaces, a <cluster>--<topic> equal to another
// topic's name) all get the hash suffix of rule 3, which tells them apart.
// Topics that are only referenced (TopicRef.Declared false) are not
// entities and get no name.
func TopicEntityNames(t *Topology) map[TopicKey]string {
	if t == nil {
		return map[TopicKey]string{}
	}
	clusters := make(map[string]int, len(t.Topics))
	for _, tp := range t.Topics {
		clusters[tp.Name]++ // Merge made (cluster, name) unique
	}
	out := make(map[TopicKey]string, len(t.Topics))
	byName := make(map[string][]TopicKey, len(t.Topics))
	for _, tp := range t.Topics {
		cluster := ""
		if clusters[tp.Name] > 1 {
			cluster = tp.Cluster
		}
		n := TopicEntityName(cluster, tp.Name)
		out[tp.Key()] = n
		byName[n] = append(byName[n], tp.Key())
	}
	for _, keys := range byName {
		if len(keys) < 2 {
			continue
		}
		for _, k := range keys {
			out[k] = withHash(out[k], k.Cluster, k.Name)
		}
	}
	return out
}

// clean applies rule 1.
func clean(s string) string {
	if valid(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case isAlnum(r), r == '-', r == '_', r == '.':
			b = append(b, byte(r))
		default:
			b = append(b, '-')
		}
	}
	return trim(string(b))
}

// trim removes leading and trailing characters that are not letters or
// digits.
func trim(s string) string {
	i, j := 0, len(s)
	for i < j && !isAlnum(rune(s[i])) {
		i++
	}
	for j > i && !isAlnum(rune(s[j-1])) {
		j--
	}
	return s[i:j]
}

// valid says whether a name needs no cleaning: only allowed characters,
// a letter or digit at each end.
func valid(s string) bool {
	if s == "" || !isAlnum(rune(s[0])) || !isAlnum(rune(s[len(s)-1])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := rune(s[i]); !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// withHash applies rule 3 to a cleaned name: the name cut so that it and
// the suffix fit, then '-' and the key's hash.
func withHash(name, cluster, topic string) string {
	keep := maxNameLen - 1 - hashLen
	if len(name) > keep {
		name = trim(name[:keep])
	}
	if name == "" {
		name = "topic"
	}
	return name + "-" + keyHash(cluster, topic)
}

func keyHash(cluster, topic string) string {
	sum := sha256.Sum256([]byte(cluster + "/" + topic))
	return hex.EncodeToString(sum[:])[:hashLen]
}
