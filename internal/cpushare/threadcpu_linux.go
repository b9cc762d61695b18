package cpushare

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the processor time the calling thread has used; ok is
// false where the system cannot tell.
func threadCPU() (d time.Duration, ok bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
