package config

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/central-config/central-config/internal/document"
)

// Duration is a length of time written as Backstage writes durations: an
// object such as { minutes: 5 } or an ISO 8601 string such as PT5M.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

var humanUnits = map[string]time.Duration{
	"weeks": 7 * 24 * time.Hour, "days": 24 * time.Hour, "hours": time.Hour,
	"minutes": time.Minute, "seconds": time.Second, "milliseconds": time.Millisecond,
}

var iso8601 = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// ParseDuration reads a duration from a config node.
func ParseDuration(n *document.Node) (Duration, error) {
	switch n.Kind {
	case document.String:
		return parseISO(n.Str)
	case document.Map:
		var total time.Duration
		for _, f := range n.Fields {
			unit, ok := humanUnits[f.Key]
			if !ok {
				if f.Key == "years" || f.Key == "months" {
					return 0, fmt.Errorf("%s have no fixed length; use weeks or days", f.Key)
				}
				return 0, fmt.Errorf("unknown duration unit %q (use weeks, days, hours, minutes, seconds, milliseconds)", f.Key)
			}
			switch f.Value.Kind {
			case document.Int:
				total += time.Duration(f.Value.Int) * unit
			case document.Float:
				total += time.Duration(f.Value.Float * float64(unit))
			default:
				return 0, fmt.Errorf("%s must be a number", f.Key)
			}
		}
		if total < 0 {
			return 0, fmt.Errorf("duration must not be negative")
		}
		return Duration(total), nil
	}
	return 0, fmt.Errorf("a duration is an object like { minutes: 5 } or an ISO 8601 string like PT5M")
}

func parseISO(s string) (Duration, error) {
	m := iso8601.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" || s[len(s)-1] == 'T' {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT5M or P1DT12H (years and months are not supported)", s)
	}
	units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
	var total time.Duration
	for i, u := range units {
		if m[i+1] == "" {
			continue
		}
		f, _ := strconv.ParseFloat(m[i+1], 64)
		total += time.Duration(f * float64(u))
	}
	return Duration(total), nil
}
