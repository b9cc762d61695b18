//go:build !linux

package cpushare

import "time"

// threadCPU cannot tell a thread's processor time here: work is counted by
// the clock instead, which counts its waits too.
func threadCPU() (time.Duration, bool) { return 0, false }
