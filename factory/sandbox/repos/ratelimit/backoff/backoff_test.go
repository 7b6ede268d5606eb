package backoff

import (
	"reflect"
	"testing"
	"time"
)

func TestDelayDoublesFromBase(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second}
	if got := p.Schedule(5); !reflect.DeepEqual(got, want) {
		t.Fatalf("Schedule(5) = %v, want %v", got, want)
	}
}

func TestNegativeAttemptsCountAsTheFirst(t *testing.T) {
	p := Policy{Base: time.Second, Max: time.Minute}
	if got := p.Delay(-3); got != time.Second {
		t.Fatalf("Delay(-3) = %v, want 1s", got)
	}
}
