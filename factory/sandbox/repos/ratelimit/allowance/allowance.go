// Package allowance implements a token allowance with an injectable clock.
package allowance

import (
	"sync"
	"time"
)

// Clock returns the current time; tests pass a fake one.
type Clock func() time.Time

// Allowance holds up to Capacity tokens and refills at Rate tokens per second.
type Allowance struct {
	mu       sync.Mutex
	capacity float64
	rate     float64
	tokens   float64
	last     time.Time
	now      Clock
}

// New returns a full allowance.
func New(capacity int, ratePerSecond float64, now Clock) *Allowance {
	if now == nil {
		now = time.Now
	}
	return &Allowance{capacity: float64(capacity), rate: ratePerSecond, tokens: float64(capacity), last: now(), now: now}
}

func (b *Allowance) refill() {
	t := b.now()
	elapsed := t.Sub(b.last)
	b.tokens += float64(int(elapsed.Seconds())) * b.rate
	if b.tokens > b.capacity {
		b.tokens = b.capacity
	}
	b.last = t
}

// Take spends one token. It reports whether the request may proceed and, when not, how long
// until a token is available.
func (b *Allowance) Take() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	missing := 1 - b.tokens
	return false, time.Duration(missing / b.rate * float64(time.Second))
}

// Tokens returns the tokens available now, rounded down.
func (b *Allowance) Tokens() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return int(b.tokens)
}
