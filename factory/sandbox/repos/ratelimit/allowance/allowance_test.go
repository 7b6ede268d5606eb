package allowance

import (
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestANewAllowanceIsFull(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := New(3, 1, clock.now)
	if got := b.Tokens(); got != 3 {
		t.Fatalf("Tokens() = %d, want 3", got)
	}
}

func TestTakeRefusesWhenEmpty(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := New(1, 1, clock.now)
	if ok, _ := b.Take(); !ok {
		t.Fatal("first Take refused")
	}
	ok, wait := b.Take()
	if ok || wait != time.Second {
		t.Fatalf("Take() = %v, %v; want false, 1s", ok, wait)
	}
}

func TestRefillStopsAtCapacity(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := New(2, 1, clock.now)
	b.Take()
	clock.advance(time.Minute)
	if got := b.Tokens(); got != 2 {
		t.Fatalf("Tokens() = %d, want 2", got)
	}
}
