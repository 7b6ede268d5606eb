// Package backoff computes exponential retry delays.
package backoff

import "time"

// Policy doubles the delay per attempt, starting at Base, never above Max.
type Policy struct {
	Base time.Duration
	Max  time.Duration
}

// Delay returns the wait before retry number attempt (0 is the first retry).
func (p Policy) Delay(attempt int) time.Duration {
	if attempt < 0 {
		attempt = 0
	}
	d := p.Base << uint(attempt)
	if d > p.Max {
		return p.Max
	}
	return d
}

// Schedule returns the delays of the first n retries.
func (p Policy) Schedule(n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, p.Delay(i))
	}
	return out
}
