// Package exact is roger's client of the Exact Online REST API: the OAuth2
// authorization-code flow with its rotating, single-use refresh tokens, the
// division lookup, and the CRM sync, deleted and single-record endpoints
// roger replicates from.
//
// Exact punishes clumsy clients: a superseded refresh token ends the token
// chain until a person authorizes again, ten 4xx answers within an hour
// block an endpoint for an hour, and every call counts against 60 a minute
// and 5 000 a day per app and division. The client is therefore careful
// rather than clever: refreshes are serialised through the token store and
// stored before use, 4xx answers are never retried, rate limits are a
// budget read from Exact's headers, and transient failures are retried a
// bounded number of times with backoff.
package exact

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/cpushare"
)

// Config says which Exact Online host and app a client talks to.
type Config struct {
	// BaseURL is the Exact Online host, such as https://start.exactonline.nl
	// (or .be, .de, …, .com), or a simulator URL such as
	// http://127.0.0.1:8090/be. OAuth and REST use the same host, since a
	// token only works on the host that issued it.
	BaseURL      string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// HTTPClient sends the requests; nil means a client with a 30 s
	// timeout. Redirects are never followed, whatever the client says,
	// because Exact answers an expired token with a redirect to its login
	// page, which must count as a 401 and not as a page of data.
	HTTPClient *http.Client
	// Clock tells the time; nil means the system clock.
	Clock roger.Clock
	// Sleep waits for d or until ctx ends, returning ctx's error then. nil
	// means a real timer; tests pass one that advances a fake clock, so
	// that waiting for a rate-limit reset takes no real time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Yield makes a call that must wait for the rate-limit budget (the
	// minutely reset, or the daily one) return a *BudgetWait before it is
	// sent, instead of sleeping or failing: a scheduler then frees the
	// worker and takes the work up again at the reset.
	Yield bool
	// Pace spreads the calls of a minute evenly across it (one a second
	// at Exact's 60 a minute) instead of spending the minute's budget as
	// fast as the answers come: a process that syncs many divisions then
	// parses and writes a steady stream of pages rather than bursts that
	// take every core while lookups wait. See Budget.paceWait.
	Pace bool
	// CPU, when set, is the share of the cores decoding pages runs in
	// (package cpushare): a thousand records of JSON a page, for many
	// divisions at once, must not take the time of the lookups served
	// beside them. Nil does not bound it.
	CPU *cpushare.Share

	// jitter picks a backoff delay up to its argument. Tests replace it to
	// assert the backoff schedule.
	jitter func(max time.Duration) time.Duration
}

// defaultTimeout bounds one request. A page of 1000 sync rows takes a few
// seconds at most; anything slower is better retried.
const defaultTimeout = 30 * time.Second

func (c Config) withDefaults() Config {
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	if c.Sleep == nil {
		c.Sleep = clock.Sleep
	}
	if c.jitter == nil {
		c.jitter = fullJitter
	}
	return c
}

// httpClient returns cfg's client with redirects turned off. The copy
// shares the caller's transport and its connection pool.
func (c Config) httpClient() *http.Client {
	hc := *c.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// fullJitter spreads retries of many clients over the whole backoff window
// (AWS's "full jitter"), so that they do not hit a recovering Exact at once.
func fullJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max + 1)
}

// backoffCeiling is the longest wait before retry number n (1-based):
// 1 s, 2 s, 4 s, … capped at 30 s.
func backoffCeiling(n int) time.Duration {
	const ceiling = 30 * time.Second
	if n < 1 {
		n = 1
	}
	if n > 6 {
		return ceiling
	}
	return min(time.Second<<(n-1), ceiling)
}
