package exact

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/cpushare"
)

const (
	// maxAttempts bounds the tries of one request on 5xx, 408 and
	// network failures.
	maxAttempts = 5
	// maxDecodeAttempts bounds the tries of one request whose 200 answer
	// did not decode: a truncated body is transient, a wrong one is not.
	maxDecodeAttempts = 3
	// maxThrottled bounds the waits on 429 for one request, in case Exact
	// keeps refusing although its headers say the window has reset.
	maxThrottled = 5
	// maxBody bounds what is read of one answer; a page of 1000 rows with
	// every field is a few megabytes.
	maxBody = 64 << 20
)

// Client reads Exact Online for one (app, division). Every call goes
// through one Budget and is counted. A Client is safe for concurrent use,
// though Exact advises against parallel requests and roger reads one page
// at a time.
type Client struct {
	cfg     Config
	http    *http.Client
	base    *url.URL
	baseErr error
	tokens  *TokenSource
	budget  *Budget
	calls   atomic.Int64
}

// NewClient returns a client that authenticates with tokens and spends
// budget, which should come from a BudgetRegistry shared by every client
// of the same app and division. A nil budget gives the client its own.
func NewClient(cfg Config, tokens *TokenSource, budget *Budget) *Client {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, http: cfg.httpClient(), tokens: tokens, budget: budget}
	if c.budget == nil {
		c.budget = newBudget(cfg.Clock)
	}
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case err != nil:
		c.baseErr = err
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		c.baseErr = fmt.Errorf("%q is not an absolute http(s) URL", cfg.BaseURL)
	default:
		c.base = u
	}
	return c
}

// Calls returns the number of HTTP requests sent to Exact's REST API so
// far, including retries and the ones Exact refused. Token requests are
// not counted: Exact does not count them against the API limits either.
func (c *Client) Calls() int64 { return c.calls.Load() }

// UseCPU sets the share of the cores the client decodes pages in
// (Config.CPU) from the next page on: a run learns as it goes whether its
// work is small and urgent or a bulk load. The client's user calls it
// between pages, on the goroutine that reads them.
func (c *Client) UseCPU(share *cpushare.Share) { c.cfg.CPU = share }

// APIError is what Exact said when it refused a REST request.
type APIError struct {
	Status   int
	Endpoint string // such as sync/CRM/Contacts
	Message  string // the OData error message, if any
	Reason   string // the Reason header, if any
}

// Error describes the refusal; it contains no token.
func (e *APIError) Error() string {
	s := "Exact Online answered HTTP " + strconv.Itoa(e.Status) + " to " + e.Endpoint
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Reason != "" {
		s += " (Reason: " + e.Reason + ")"
	}
	return s
}

// request is one logical call: a GET, or a POST or DELETE of the few
// writes roger makes (webhook subscriptions).
type request struct {
	op       string // for roger.Error.Op
	url      string
	endpoint string // for messages
	division int    // 0 for calls outside a division (current/Me)
	method   string // "" is GET
	body     []byte // a JSON body to send
}

// get sends r until it gets an answer decode accepts, retrying what is
// worth retrying, and turns everything else into a *roger.Error.
func (c *Client) get(ctx context.Context, r request, decode func(body []byte) error) error {
	if err := c.checkBase(r.op); err != nil {
		return err
	}
	var transient, malformed, unauthorized, throttled int
	var lastTransient string
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var ticket budgetTicket
		if r.division != 0 {
			t, err := c.budget.take(ctx, c.cfg.Sleep, c.cfg.Yield, c.cfg.Pace)
			if err != nil {
				return withOp(err, r.op)
			}
			ticket = t
		}
		access, err := c.tokens.Token(ctx)
		if err != nil {
			c.budget.refund(ticket)
			return withOp(err, r.op)
		}
		var reqBody io.Reader
		if r.body != nil {
			reqBody = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, cmp.Or(r.method, http.MethodGet), r.url, reqBody)
		if err != nil {
			c.budget.refund(ticket)
			return &roger.Error{Code: roger.EINTERNAL, Op: r.op, Err: err, Message: "roger built an invalid Exact Online request: report the problem."}
		}
		req.Header.Set("Accept", "application/json")
		if r.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+access)
		c.calls.Add(1)
		resp, err := c.http.Do(req)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			transient++
			lastTransient = transportText(err)
			if transient >= maxAttempts {
				return unavailable(r, lastTransient, transient, err)
			}
			if err := c.backoff(ctx, transient); err != nil {
				return err
			}
			continue
		}
		if r.division != 0 {
			c.budget.observe(resp.StatusCode, resp.Header)
		}
		status := resp.StatusCode
		switch {
		case status == http.StatusOK || (r.method != "" && (status == http.StatusCreated || status == http.StatusNoContent)):
			derr := decode(body)
			if derr == nil {
				return nil
			}
			malformed++
			if malformed >= maxDecodeAttempts {
				return malformedAnswer(r, resp.Header.Get("Content-Type"), malformed, derr)
			}
			if err := c.backoff(ctx, malformed); err != nil {
				return err
			}
		case status == http.StatusUnauthorized || isLoginRedirect(resp):
			// The body is empty or an HTML "Object moved" page: nothing to
			// read. One retry with a new token; a second 401 must not turn
			// into a loop, since 401s count towards Exact's error budget.
			c.tokens.Invalidate(access)
			unauthorized++
			if unauthorized >= 2 {
				return &roger.Error{Code: roger.EUNAVAILABLE, Op: r.op, Err: &APIError{Status: status, Endpoint: r.endpoint},
					Message: "Exact Online refused the access token for " + r.endpoint + " twice (HTTP 401): roger tries again later; if this persists, authorize the application again."}
			}
		case status == http.StatusTooManyRequests:
			throttled++
			if msg := odataMessage(body); msg != "" && !hasRateHeaders(resp.Header) {
				// Not a rate limit but Exact's block of an endpoint after
				// too many errors: retrying only prolongs it.
				return &roger.Error{Code: roger.EUNAVAILABLE, Op: r.op, Err: &APIError{Status: status, Endpoint: r.endpoint, Message: msg},
					Message: "Exact Online blocked " + r.endpoint + " for this app (" + msg + "): roger tries again later."}
			}
			if throttled > maxThrottled {
				return &roger.Error{Code: roger.EUNAVAILABLE, Op: r.op, Err: &APIError{Status: status, Endpoint: r.endpoint},
					Message: "Exact Online kept refusing calls to " + r.endpoint + " as over its rate limit: roger tries again later."}
			}
			if r.division == 0 {
				// Outside a division there is no budget to wait on.
				if err := c.cfg.Sleep(ctx, blindPenalty); err != nil {
					return err
				}
			}
			// Otherwise observe has recorded the limit that was hit, and
			// the next take waits for its reset or refuses.
		case status == http.StatusInternalServerError && r.method == http.MethodPost && strings.Contains(strings.ToLower(odataMessage(body)), "already exists"):
			// Exact's answer to a second webhook subscription for the
			// same topic and division: not transient, so not retried.
			return &roger.Error{Code: roger.ECONFLICT, Op: r.op, Err: &APIError{Status: status, Endpoint: r.endpoint, Message: odataMessage(body)},
				Message: "Exact Online already has this " + r.endpoint + " (" + odataMessage(body) + ")."}
		case status >= 500 || status == http.StatusRequestTimeout:
			transient++
			lastTransient = "HTTP " + strconv.Itoa(status)
			if transient >= maxAttempts {
				return unavailable(r, lastTransient, transient, &APIError{Status: status, Endpoint: r.endpoint, Message: odataMessage(body), Reason: resp.Header.Get("Reason")})
			}
			if err := c.backoff(ctx, transient); err != nil {
				return err
			}
		default:
			return c.refused(r, status, body, resp.Header)
		}
	}
}

func (c *Client) backoff(ctx context.Context, n int) error {
	return c.cfg.Sleep(ctx, c.cfg.jitter(backoffCeiling(n)))
}

func isLoginRedirect(resp *http.Response) bool {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return false
	}
	return strings.Contains(strings.ToLower(resp.Header.Get("Location")), "login")
}

func hasRateHeaders(h http.Header) bool {
	for _, n := range []string{"X-RateLimit-Remaining", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Reset", "X-RateLimit-Minutely-Reset"} {
		if h.Get(n) != "" {
			return true
		}
	}
	return false
}

// withOp names the operation on an error from the token source or the
// budget, keeping their codes and messages.
func withOp(err error, op string) error {
	var re *roger.Error
	if errors.As(err, &re) && re.Op != op {
		cp := *re
		cp.Op = op
		return &cp
	}
	return err
}

func unavailable(r request, what string, attempts int, cause error) error {
	return &roger.Error{Code: roger.EUNAVAILABLE, Op: r.op, Err: cause,
		Message: fmt.Sprintf("Exact Online is not answering %s (%s after %d attempts): roger tries again later.", r.endpoint, what, attempts)}
}

func malformedAnswer(r request, contentType string, attempts int, cause error) error {
	what := "JSON that did not decode"
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt != "application/json" {
		what = mt + " instead of JSON"
	} else if contentType == "" {
		what = "an answer without a content type that is not the expected JSON"
	}
	return &roger.Error{Code: roger.EINTERNAL, Op: r.op, Err: fmt.Errorf("decode %s: %w", r.endpoint, cause),
		Message: fmt.Sprintf("Exact Online answered %s with %s (%d times): roger tries again later; report the problem if it persists.", r.endpoint, what, attempts)}
}

// refused turns a 4xx (or another status nobody retries) into an error
// that keeps what Exact said. It is never retried: Exact blocks an
// endpoint for an hour after ten errors.
func (c *Client) refused(r request, status int, body []byte, h http.Header) error {
	ae := &APIError{Status: status, Endpoint: r.endpoint, Message: odataMessage(body), Reason: clip(h.Get("Reason"), 200)}
	said := ""
	// "Forbidden" after a 403 says nothing the status did not.
	if ae.Message != "" && !strings.EqualFold(ae.Message, http.StatusText(status)) {
		said = ": " + strings.TrimSuffix(ae.Message, ".")
	}
	e := &roger.Error{Op: r.op, Err: ae}
	switch status {
	case http.StatusBadRequest:
		e.Code = roger.EINVALID
		e.Message = "Exact Online refused the request to " + r.endpoint + " (HTTP 400" + said + "): roger sent something Exact does not accept; report the problem."
	case http.StatusForbidden:
		e.Code = roger.EFORBIDDEN
		reason := ae.Reason
		if reason == "" && strings.Contains(strings.ToLower(ae.Message), "scope") {
			reason = "application scope"
		}
		if reason == "" {
			reason = "HTTP 403"
		}
		where := "division " + strconv.Itoa(r.division)
		if r.division == 0 {
			where = r.endpoint
		}
		e.Message = "Exact Online refused access to " + where + " (" + reason + said + "): " + forbiddenAdvice(ae.Reason, reason) + "."
	case http.StatusNotFound:
		e.Code = roger.ENOTFOUND
		e.Message = "Exact Online has no " + r.endpoint + " (HTTP 404" + said + ")."
	default:
		if status >= 300 && status < 400 {
			e.Code = roger.EINTERNAL
			e.Message = "Exact Online redirected the request to " + r.endpoint + " (HTTP " + strconv.Itoa(status) + "): check the Exact Online URL of the replicator."
			break
		}
		e.Code = roger.EINVALID
		e.Message = "Exact Online refused the request to " + r.endpoint + " (HTTP " + strconv.Itoa(status) + said + "): report the problem."
	}
	return e
}

// forbiddenAdvice says what a person can do about a 403, by Exact's
// documented Reason values.
func forbiddenAdvice(reason, shown string) string {
	switch reason {
	case "NoDivisionAccess":
		return "the Exact Online user who authorized the application cannot open this division; authorize with a user who can, or choose another division"
	case "BlockedUser", "InactiveUser":
		return "the Exact Online user who authorized the application is blocked or inactive; authorize with an active user"
	case "BlockedCustomer", "LicenseExpired":
		return "the Exact Online subscription is blocked or has expired; contact the administrator of the Exact Online subscription"
	case "DivisionBlocked":
		return "the division is blocked in Exact Online; ask its administrator to unblock it"
	}
	if shown == "application scope" {
		return "the app's scopes in the Exact App Center do not allow reading this; add the CRM read scope and authorize the application again"
	}
	return "check the rights of the Exact Online user who authorized the application"
}

// divisionURL is the address of an endpoint of a division.
func (c *Client) divisionURL(division int, endpoint string) string {
	return c.cfg.BaseURL + "/api/v1/" + strconv.Itoa(division) + "/" + endpoint
}

// checkBase reports a BaseURL the client cannot use.
func (c *Client) checkBase(op string) error {
	if c.baseErr == nil {
		return nil
	}
	return &roger.Error{Code: roger.EINVALID, Op: op, Err: c.baseErr,
		Message: "The Exact Online URL " + strconv.Quote(c.cfg.BaseURL) + " is not valid: use https://start.exactonline.nl or the host of your country."}
}

// errBadLink is the cause of a refused __next or resume link.
var errBadLink = errors.New("link refused")

// ErrBadResumeURL is in the chain of the error a Sync call returns when
// its resumeURL is not a page of that endpoint on the configured host
// (the host was changed since, for instance). The pass must then start
// over without it.
var ErrBadResumeURL = errors.New("exact: resume URL does not belong to this endpoint")

// checkLink verifies that link is a page of endpoint in division on the
// configured host, so that a link Exact (or a stored resume URL) gets
// wrong cannot send the bearer token elsewhere.
func (c *Client) checkLink(link string, division int, endpoint string) error {
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() || u.User != nil {
		return fmt.Errorf("%w: not an absolute URL", errBadLink)
	}
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !sameHost(u, c.base) {
		return fmt.Errorf("%w: it points to %s instead of %s", errBadLink, u.Host, c.base.Host)
	}
	want := c.base.Path + "/api/v1/" + strconv.Itoa(division) + "/" + endpoint
	if !strings.EqualFold(strings.TrimSuffix(u.Path, "/"), want) {
		return fmt.Errorf("%w: it points to another endpoint", errBadLink)
	}
	return nil
}

func sameHost(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// linkKey is a page link in a form where two spellings of the same page
// (%24skiptoken and $skiptoken, another parameter order) compare equal.
func linkKey(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return link
	}
	return strings.ToLower(u.Scheme+"://"+u.Host+u.Path) + "?" + q.Encode()
}
