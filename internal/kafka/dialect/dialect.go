// Package dialect finds which Kafka format a document is written in and
// reads a set of documents into one topology. It sits above the readers
// (package kafka knows none of them, so there is no import cycle): the
// engine hands it every document, and it claims only those that look like
// Kafka config, leaving the others to the engine's other readers.
package dialect

import (
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/gitops"
	"github.com/central-config/central-config/internal/kafka/julieops"
	"github.com/central-config/central-config/internal/kafka/native"
	"github.com/central-config/central-config/internal/kafka/strimzi"
)

// Reader is one dialect: how to recognise its documents and read them.
type Reader struct {
	Dialect kafka.Dialect
	// Detect says whether a document is of the dialect, and why (for
	// messages).
	Detect func(*document.Document) (reason string, ok bool)
	Read   func(*document.Document) (*kafka.Topology, diag.List)
	// ByAPIVersion is true for dialects recognised by their apiVersion;
	// the others are recognised by their shape, and never claim a
	// document that has an apiVersion (a Kubernetes or Backstage object).
	ByAPIVersion bool
}

// Readers are the dialects in the order they are tried: those marked by an
// apiVersion first, then those recognised by shape.
var Readers = []Reader{
	{Dialect: kafka.DialectNative, Detect: native.Detect, Read: native.Read, ByAPIVersion: true},
	{Dialect: kafka.DialectStrimzi, Detect: strimzi.Detect, Read: strimzi.Read, ByAPIVersion: true},
	{Dialect: kafka.DialectJulieOps, Detect: julieops.Detect, Read: julieops.Read},
	{Dialect: kafka.DialectGitOps, Detect: gitops.Detect, Read: gitops.Read},
}

// Detect returns the dialect of a document, or ok=false when the document
// is not Kafka config at all.
func Detect(doc *document.Document) (kafka.Dialect, bool) {
	r, ok := find(doc)
	if !ok {
		return "", false
	}
	return r.Dialect, true
}

func find(doc *document.Document) (Reader, bool) {
	if doc == nil || doc.Root == nil || doc.Root.Kind != document.Map {
		return Reader{}, false
	}
	hasAPIVersion := doc.Root.Get("apiVersion") != nil
	for _, r := range Readers {
		if hasAPIVersion && !r.ByAPIVersion {
			continue
		}
		if _, ok := r.Detect(doc); ok {
			return r, true
		}
	}
	return Reader{}, false
}

// ReadDocument reads one document with the reader of its dialect. claimed
// is false (and nothing is read) when the document is not Kafka config.
func ReadDocument(doc *document.Document) (fragment *kafka.Topology, diags diag.List, claimed bool) {
	r, ok := find(doc)
	if !ok {
		return nil, nil, false
	}
	fragment, diags = r.Read(doc)
	return fragment, diags, true
}

// Read reads every document that is Kafka config and merges them into one
// topology; documents that are not are skipped. The diagnostics of the
// readers and of Merge come back sorted by file and position.
func Read(docs []*document.Document) (*kafka.Topology, diag.List) {
	var fragments []*kafka.Topology
	var diags diag.List
	for _, doc := range docs {
		f, d, ok := ReadDocument(doc)
		if !ok {
			continue
		}
		fragments = append(fragments, f)
		diags = append(diags, d...)
	}
	t, d := kafka.Merge(fragments...)
	diags = append(diags, d...)
	diags.Sort()
	return t, diags
}

// lookalikeKeys are the top-level keys that, next to topics, make a
// document look like a Kafka topology.
var lookalikeKeys = []string{"applications", "clusters", "services", "projects"}

// Supported names the dialects the readers understand, for messages.
const Supported = "central-config.io/kafka/v1, Strimzi custom resources (kafka.strimzi.io), JulieOps descriptors, kafka-gitops state files"

// Lookalike returns a warning for a document that no dialect claims but
// that looks like a Kafka topology: a mapping with top-level topics and
// one of applications, clusters, services or projects (a kafkakewl
// topology, or a descriptor of one of the dialects with a key too many).
// A document of a dialect is never one.
func Lookalike(doc *document.Document) (diag.Diagnostic, bool) {
	if doc == nil || doc.Root == nil || doc.Root.Kind != document.Map || doc.Root.Get("topics") == nil {
		return diag.Diagnostic{}, false
	}
	if _, ok := find(doc); ok {
		return diag.Diagnostic{}, false
	}
	for _, k := range lookalikeKeys {
		if doc.Root.Get(k) != nil {
			return diag.Diagnostic{File: doc.File, Line: doc.Root.Pos.Line, Column: doc.Root.Pos.Column, Severity: diag.Warning,
				Code: kafka.CodeUnknownFormat,
				Message: "looks like a Kafka topology (top-level topics and " + k + ") in a format central-config does not read; " +
					"supported: " + Supported + "; this document is ignored"}, true
		}
	}
	return diag.Diagnostic{}, false
}
