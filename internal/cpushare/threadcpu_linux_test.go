package cpushare

import (
	"context"
	"testing"
	"time"
)

// TestWorkIsCountedInProcessorTime: waiting inside Do (for a database
// server, say) costs the share next to nothing; computing costs what it
// computed.
func TestWorkIsCountedInProcessorTime(t *testing.T) {
	s := New(1)
	if err := s.Do(context.Background(), func() error { time.Sleep(50 * time.Millisecond); return nil }); err != nil {
		t.Fatal(err)
	}
	if used, _ := s.Stats(); used > 25*time.Millisecond {
		t.Errorf("50 ms asleep counted as %v of work", used)
	}
	before, _ := s.Stats()
	if err := s.Do(context.Background(), func() error {
		start, _ := threadCPU()
		for {
			if now, _ := threadCPU(); now-start >= 30*time.Millisecond {
				return nil
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if used, _ := s.Stats(); used-before < 30*time.Millisecond {
		t.Errorf("30 ms of computing counted as %v", used-before)
	}
}
