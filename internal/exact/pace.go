package exact

import "time"

// paceBurst is how many calls a paced budget lets go back to back before
// it spaces them: an increment (three or four calls) never waits, and a
// first load spaces its calls after its first few pages.
const paceBurst = 10

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
// stream. The budget is a token bucket of paceBurst calls refilled at
// Exact's pace (the generic cell rate algorithm: paceAt is when the
// bucket would be full again): calls that come slower than that pace, as
// those of a sync that takes longer than the gap to parse and write a
// page, never wait. b.mu must be held.
func (b *Budget) paceWait(now time.Time) time.Duration {
	gap := b.paceGap()
	if gap == 0 {
		return 0
	}
	return max(0, b.paceAt.Add(-(paceBurst-1)*gap).Sub(now))
}

// paced counts a call that went at now.
func (b *Budget) paced(now time.Time) {
	b.paceAt = maxTime(b.paceAt, now).Add(b.paceGap())
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
