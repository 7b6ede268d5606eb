// Package config parses rate limits written as "COUNT/UNIT", for example "100/min".
package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limit is COUNT requests per Per.
type Limit struct {
	Count int
	Per   time.Duration
}

var units = map[string]time.Duration{
	"s":    time.Second,
	"sec":  time.Second,
	"min":  time.Minute,
	"h":    time.Hour,
	"hour": time.Hour,
}

// Rate returns the limit in requests per second.
func (l Limit) Rate() float64 {
	return float64(l.Count) / l.Per.Seconds()
}

// ParseLimit reads "COUNT/UNIT".
func ParseLimit(raw string) (Limit, error) {
	count, unit, found := strings.Cut(strings.TrimSpace(raw), "/")
	if !found {
		return Limit{}, fmt.Errorf("limit %q: want COUNT/UNIT, e.g. 100/min", raw)
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		return Limit{}, fmt.Errorf("limit %q: count: %w", raw, err)
	}
	per, ok := units[unit]
	if !ok {
		return Limit{}, fmt.Errorf("limit %q: unknown unit %q", raw, unit)
	}
	return Limit{Count: n, Per: per}, nil
}
