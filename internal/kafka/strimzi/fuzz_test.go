package strimzi_test

import (
	"testing"

	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
	"github.com/central-config/central-config/internal/kafka/strimzi"
)

func FuzzRead(f *testing.F) {
	kafkatest.Fuzz(f, strimzi.Read, userWithEverything, "apiVersion: kafka.strimzi.io/v1\nkind: KafkaTopik\nmetadata: {name: x}\n")
}
