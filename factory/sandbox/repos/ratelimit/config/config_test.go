package config

import (
	"testing"
	"time"
)

func TestParseLimitReadsCountAndUnit(t *testing.T) {
	got, err := ParseLimit("100/min")
	if err != nil || got != (Limit{Count: 100, Per: time.Minute}) {
		t.Fatalf("ParseLimit = %+v, %v", got, err)
	}
}

func TestParseLimitRejectsAMissingSlash(t *testing.T) {
	if _, err := ParseLimit("100"); err == nil {
		t.Fatal("ParseLimit(\"100\") returned no error")
	}
}

func TestRateIsPerSecond(t *testing.T) {
	if got := (Limit{Count: 120, Per: time.Minute}).Rate(); got != 2 {
		t.Fatalf("Rate() = %v, want 2", got)
	}
}
