package native_test

import (
	"testing"

	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
	"github.com/central-config/central-config/internal/kafka/native"
)

func FuzzRead(f *testing.F) {
	seeds := []string{full}
	for _, c := range bad {
		seeds = append(seeds, c.text)
	}
	kafkatest.Fuzz(f, native.Read, seeds...)
}
