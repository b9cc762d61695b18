package web

import (
	"context"
	"net/netip"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clientaddr"
)

// SignInCounter keeps the count of sign-in attempts (*sqlstore.Store).
type SignInCounter interface {
	ReserveSignIn(ctx context.Context, limits []roger.SignInLimit, now time.Time, window time.Duration) (attempt string, retryAt time.Time, err error)
	RefundSignIn(ctx context.Context, attempt string, forget ...string) error
	PruneSignIns(ctx context.Context, before time.Time) (int, error)
}

// Throttle limits sign-in attempts per account and per client address
// within a sliding window. An attempt is counted before its password is
// checked and given back when the password was right (or was never
// checked), so a burst of concurrent guesses cannot all pass the check
// before the first failure is counted; and the counts are kept in the
// database, so that every instance holds to the same limits. It counts
// every e-mail address typed, existing or not, so that being throttled
// says nothing about which accounts exist.
type Throttle struct {
	// PerAccount and PerIP are the attempts allowed within Window.
	PerAccount int
	PerIP      int
	Window     time.Duration

	counter SignInCounter
	clock   roger.Clock
}

// NewThrottle returns a Throttle counting in c, allowing 5 attempts an
// account and 20 an address in 15 minutes. clk may be nil.
func NewThrottle(c SignInCounter, clk roger.Clock) *Throttle {
	return &Throttle{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute, counter: c, clock: clk}
}

func (t *Throttle) now() time.Time {
	if t.clock == nil {
		return time.Now()
	}
	return t.clock.Now()
}

// The keys are hashes, so the table of attempts does not list the
// addresses people typed or came from.
func accountKey(account string) string { return "a:" + hashToken(account) }

func addrKey(addr netip.Addr) string { return "i:" + hashToken(clientaddr.Key(addr)) }

// Reserve counts an attempt on account from addr. It returns the attempt,
// to Refund when the password is right or was not checked; or, when the
// account or the address has used up its attempts, how long to wait.
func (t *Throttle) Reserve(ctx context.Context, account string, addr netip.Addr) (attempt string, wait time.Duration, err error) {
	now := t.now()
	attempt, retryAt, err := t.counter.ReserveSignIn(ctx, []roger.SignInLimit{
		{Key: accountKey(account), Max: t.PerAccount},
		{Key: addrKey(addr), Max: t.PerIP},
	}, now, t.Window)
	if err != nil || attempt != "" {
		return attempt, 0, err
	}
	return "", max(retryAt.Sub(now), time.Second), nil
}

// Refund gives an attempt back. After a successful sign-in (signedIn) the
// account's failures are forgotten as well.
func (t *Throttle) Refund(ctx context.Context, attempt, account string, signedIn bool) error {
	var forget []string
	if signedIn {
		forget = append(forget, accountKey(account))
	}
	return t.counter.RefundSignIn(ctx, attempt, forget...)
}

// Prune forgets attempts that have left the window.
func (t *Throttle) Prune(ctx context.Context) (int, error) {
	return t.counter.PruneSignIns(ctx, t.now().Add(-t.Window))
}
