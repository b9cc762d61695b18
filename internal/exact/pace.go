package exact

import "time"

// paceGap is the spacing of paced calls: the minute divided by the calls
// Exact allows in it, so a division's budget lasts the whole minute. It is
// 0 until Exact has said its minutely limit: nothing is known to spread.
// b.mu must be held.
func (b *Budget) paceGap() time.Duration {
	if !b.minutely.known || b.minutely.max <= 0 {
		return 0
	}
	return time.Minute / time.Duration(b.minutely.max)
}

// paceWait is how long a paced call must wait for its turn, 0 when it may
// go now. Exact's window resets on the whole minute, so a sync that bursts
// its 60 calls parses and writes 60,000 records in the first seconds of
// every minute and idles for the rest; with many divisions those bursts
// fall together and take every core from the lookups served beside them.
// Spread out, the same calls give the same records a minute as a steady
// stream. A call that waited longer than the gap already (the previous
// page took that long to parse and write) goes at once: pacing never
// slows a sync below Exact's own pace. b.mu must be held.
func (b *Budget) paceWait(now time.Time) time.Duration {
	if b.nextPaced.IsZero() || !now.Before(b.nextPaced) {
		return 0
	}
	// A gap set under an older, larger limit never holds a call longer
	// than the current one asks.
	return min(b.nextPaced.Sub(now), b.paceGap())
}
