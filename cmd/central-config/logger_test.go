package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/config"
)

// TestTheLogLevelAndFormatComeFromConfig: logging.level drops the lines
// below it (info when unset), logging.format picks JSON or text (JSON
// when unset and stderr is no terminal).
func TestTheLogLevelAndFormatComeFromConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg              config.Logging
		debug, info      bool
		warn, jsonFormat bool
	}{
		{cfg: config.Logging{}, info: true, warn: true, jsonFormat: true},
		{cfg: config.Logging{Level: "debug"}, debug: true, info: true, warn: true, jsonFormat: true},
		{cfg: config.Logging{Level: "warn", Format: "text"}, warn: true},
		{cfg: config.Logging{Level: "error", Format: "json"}, jsonFormat: true},
	} {
		var buf bytes.Buffer
		log := newLogger(&buf, tt.cfg)
		log.Debug("d-line")
		log.Info("i-line")
		log.Warn("w-line")
		out := buf.String()
		for msg, want := range map[string]bool{"d-line": tt.debug, "i-line": tt.info, "w-line": tt.warn} {
			if strings.Contains(out, msg) != want {
				t.Errorf("%+v: %s logged = %v, want %v\n%s", tt.cfg, msg, !want, want, out)
			}
		}
		if out != "" && strings.HasPrefix(out, "{") != tt.jsonFormat {
			t.Errorf("%+v: JSON = %v, want %v\n%s", tt.cfg, !tt.jsonFormat, tt.jsonFormat, out)
		}
	}
}
