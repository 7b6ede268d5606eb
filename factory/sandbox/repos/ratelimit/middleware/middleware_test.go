package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"example.com/ratelimit/config"
)

func fixed() time.Time { return time.Unix(0, 0) }

func TestTheSecondRequestOverTheLimitIsRefused(t *testing.T) {
	l := New(config.Limit{Count: 1, Per: time.Minute}, fixed)
	h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	codes := []int{}
	for i := 0; i < 2; i++ {
		req := httptest.NewRequest("GET", "/", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
	}
	if codes[0] != 200 || codes[1] != http.StatusTooManyRequests {
		t.Fatalf("codes = %v, want [200 429]", codes)
	}
}
