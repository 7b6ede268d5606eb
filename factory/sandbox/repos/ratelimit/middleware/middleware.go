// Package middleware rate-limits HTTP clients, one token allowance per client address.
package middleware

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"

	"example.com/ratelimit/allowance"
	"example.com/ratelimit/config"
)

// Limiter wraps a handler and refuses clients that are over their limit.
type Limiter struct {
	limit      config.Limit
	now        allowance.Clock
	mu         sync.Mutex
	allowances map[string]*allowance.Allowance
}

// New returns a limiter applying limit to every client.
func New(limit config.Limit, now allowance.Clock) *Limiter {
	return &Limiter{limit: limit, now: now, allowances: map[string]*allowance.Allowance{}}
}

// clientKey names the client a request comes from.
func clientKey(r *http.Request) string {
	return r.RemoteAddr
}

// isLoopback reports whether host is a loopback address: the daemon's own health checks pass freely.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (l *Limiter) allowanceFor(key string) *allowance.Allowance {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.allowances[key]
	if !ok {
		b = allowance.New(l.limit.Count, l.limit.Rate(), l.now)
		l.allowances[key] = b
	}
	return b
}

// Clients returns how many clients have an allowance.
func (l *Limiter) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.allowances)
}

// Wrap applies the limit in front of next.
func (l *Limiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := clientKey(r)
		if isLoopback(key) {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := l.allowanceFor(key).Take()
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}
