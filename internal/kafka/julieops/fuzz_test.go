package julieops_test

import (
	"testing"

	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
	"github.com/central-config/central-config/internal/kafka/julieops"
)

func FuzzRead(f *testing.F) {
	kafkatest.Fuzz(f, julieops.Read, specialTopics, "context: c\nprojects:\n  - name: p\n    topics: {a: b}\n")
}
