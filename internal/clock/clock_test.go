package clock

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestFakeAndSleeper(t *testing.T) {
	start := time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC)
	f := NewFake(start)
	s := &Sleeper{Clock: f}
	if err := s.Sleep(context.Background(), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	_ = s.Sleep(context.Background(), 0)
	if got := f.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Fatalf("after sleeping 90 s the clock says %s", got)
	}
	if got := s.Slept(); !slices.Equal(got, []time.Duration{90 * time.Second, 0}) {
		t.Fatalf("slept %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Sleep(ctx, time.Hour); err == nil || !f.Now().Equal(start.Add(90*time.Second)) {
		t.Fatalf("a cancelled sleep must not move the clock: %v %s", err, f.Now())
	}
	f.Set(start)
	if !f.Now().Equal(start) {
		t.Fatal("Set did not move the clock back")
	}
}

func TestOffset(t *testing.T) {
	var o Offset
	before := time.Now()
	got := o.Advance(48 * time.Hour)
	if got.Sub(before) < 48*time.Hour || time.Until(o.Now()) < 47*time.Hour {
		t.Fatalf("the offset clock is not 48 h ahead: %s", got)
	}
}
