package gitops_test

import (
	"testing"

	"github.com/central-config/central-config/internal/kafka/gitops"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

func FuzzRead(f *testing.F) {
	kafkatest.Fuzz(f, gitops.Read, connectAndCustom)
}
