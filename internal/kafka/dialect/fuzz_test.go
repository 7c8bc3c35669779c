package dialect_test

import (
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

// FuzzRead runs detection and every reader over arbitrary files: a
// document not claimed reads to nothing.
func FuzzRead(f *testing.F) {
	kafkatest.Fuzz(f, func(doc *document.Document) (*kafka.Topology, diag.List) {
		top, diags, claimed := dialect.ReadDocument(doc)
		if !claimed {
			if top != nil || diags != nil {
				panic("an unclaimed document was read")
			}
			return &kafka.Topology{}, nil
		}
		return top, diags
	})
}
