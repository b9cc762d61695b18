package ldapdir

import (
	"context"
	"time"

	"github.com/roger365io/roger"
)

// SignInCounter keeps the count of sign-in attempts (*sqlstore.Store), the
// same count the portal's sign-ins use.
type SignInCounter interface {
	ReserveSignIn(ctx context.Context, limits []roger.SignInLimit, now time.Time, window time.Duration) (attempt string, retryAt time.Time, err error)
	RefundSignIn(ctx context.Context, attempt string, forget ...string) error
}

// Throttle limits failed binds per bind DN within a sliding window, the
// way the portal limits sign-ins per account: an attempt is counted
// before its key is checked and given back when the key was right, and
// the counts are in the database, so every instance holds to the same
// limits. The bind DN names one key, so a phone with a mistyped key
// locks out only itself.
type Throttle struct {
	// PerDN is how many attempts one DN may make within Window.
	PerDN  int
	Window time.Duration

	counter SignInCounter
}

// NewThrottle returns a Throttle counting in c, allowing 10 attempts a DN
// in 15 minutes (a phone retries on its own, a person types only once).
func NewThrottle(c SignInCounter) *Throttle {
	return &Throttle{PerDN: 10, Window: 15 * time.Minute, counter: c}
}

func (t *Throttle) reserve(ctx context.Context, dn string) (attempt string, wait time.Duration, err error) {
	if t == nil {
		return "", 0, nil
	}
	now := time.Now()
	attempt, retryAt, err := t.counter.ReserveSignIn(ctx, []roger.SignInLimit{{Key: hashDN(dn), Max: t.PerDN}}, now, t.Window)
	if err != nil || attempt != "" {
		return attempt, 0, err
	}
	return "", max(retryAt.Sub(now), time.Second), nil
}

func (t *Throttle) refund(ctx context.Context, attempt, dn string, ok bool) error {
	if t == nil || attempt == "" {
		return nil
	}
	var forget []string
	if ok {
		forget = append(forget, hashDN(dn))
	}
	return t.counter.RefundSignIn(ctx, attempt, forget...)
}
