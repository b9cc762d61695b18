package exactsim

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// FaultKind names a fault the simulator can inject into REST answers.
type FaultKind string

// The injectable faults.
const (
	// FaultStatus answers with Status (5xx, 408, …) and an OData error body.
	FaultStatus FaultKind = "status"
	// FaultSlow delays the answer by Delay, then answers normally.
	FaultSlow FaultKind = "slow"
	// FaultTruncate cuts the JSON body in half.
	FaultTruncate FaultKind = "truncate"
	// FaultMalformed replaces the body with JSON that does not parse.
	FaultMalformed FaultKind = "malformed"
	// FaultLoopNext makes __next point back at the same page.
	FaultLoopNext FaultKind = "loop-next"
	// FaultUnauthorized answers 401 with an empty body.
	FaultUnauthorized FaultKind = "unauthorized"
	// FaultUnauthorizedHTML answers 401 with the HTML "Object moved" page.
	FaultUnauthorizedHTML FaultKind = "unauthorized-html"
	// FaultForbidden answers 403 with a Reason header (Reason field).
	FaultForbidden FaultKind = "forbidden"
)

// forbiddenReasons are the Reason header values Exact documents for 403.
var forbiddenReasons = []string{"BlockedUser", "InactiveUser", "BlockedCustomer", "LicenseExpired", "DivisionBlocked", "NoDivisionAccess", "ScopeViolation"}

// Fault is one injection rule. It applies to division-scoped REST calls
// whose path contains Path (all when empty) made by ClientID (any when
// empty), Count times (until removed when Count is 0). The token endpoint
// and current/Me are reached only by rules whose Path names them, such as
// "/api/oauth2/token".
type Fault struct {
	ID       int           `json:"id"`
	Kind     FaultKind     `json:"kind"`
	Count    int           `json:"count,omitempty"`
	Path     string        `json:"path,omitempty"`
	ClientID string        `json:"client_id,omitempty"`
	Status   int           `json:"status,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Delay    time.Duration `json:"delay,omitempty"`
	// Used counts the requests the rule has hit so far.
	Used int `json:"used"`
}

type fault = Fault

// validate checks a rule before it is armed.
func (f *Fault) validate() error {
	switch f.Kind {
	case FaultStatus:
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("fault %q needs a status between 400 and 599", f.Kind)
		}
	case FaultSlow:
		if f.Delay <= 0 {
			return fmt.Errorf("fault %q needs a positive delay", f.Kind)
		}
	case FaultForbidden:
		if f.Reason == "" {
			f.Reason = "NoDivisionAccess"
		}
		if !contains(forbiddenReasons, f.Reason) {
			return fmt.Errorf("fault %q: reason must be one of %s", f.Kind, strings.Join(forbiddenReasons, ", "))
		}
	case FaultTruncate, FaultMalformed, FaultLoopNext, FaultUnauthorized, FaultUnauthorizedHTML:
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Count < 0 {
		return fmt.Errorf("fault count must be 0 (until removed) or more")
	}
	if f.ClientID != "" {
		if _, err := crm.ParseGUID(f.ClientID); err != nil {
			return fmt.Errorf("fault client_id %q is not a GUID", f.ClientID)
		}
	}
	return nil
}

type faultSet struct {
	mu     sync.Mutex
	rules  []*Fault
	nextID int
}

// AddFault arms a fault rule and returns it with its id.
func (s *Simulator) AddFault(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID, f.Used = fs.nextID, 0
	fs.rules = append(fs.rules, &f)
	return f, nil
}

// Faults lists the armed rules.
func (s *Simulator) Faults() []Fault {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.rules))
	for _, f := range fs.rules {
		out = append(out, *f)
	}
	return out
}

// ClearFaults removes every rule (or the one with id, when id > 0) and
// reports how many went.
func (s *Simulator) ClearFaults(id int) int {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	kept, n := fs.rules[:0], 0
	for _, f := range fs.rules {
		if id > 0 && f.ID != id {
			kept = append(kept, f)
			continue
		}
		n++
	}
	fs.rules = kept
	return n
}

// take returns the first rule matching the request and spends one of its
// uses. With targeted, only rules that name a path match.
func (fs *faultSet) take(path string, client crm.GUID, targeted bool) *fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.rules {
		if (targeted && f.Path == "") || (f.Path != "" && !strings.Contains(strings.ToLower(path), strings.ToLower(f.Path))) {
			continue
		}
		if f.ClientID != "" {
			if id, _ := crm.ParseGUID(f.ClientID); id != client {
				continue
			}
		}
		f.Used++
		cp := *f
		if f.Count > 0 && f.Used >= f.Count {
			fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
		}
		return &cp
	}
	return nil
}

// apply answers the request itself for faults that replace the answer, and
// reports whether it did.
func (f *Fault) apply(w http.ResponseWriter, r *http.Request) bool {
	switch f.Kind {
	case FaultSlow:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
		}
		return false
	case FaultStatus:
		if frontEndStatus(f.Status) {
			writeFrontEndError(w, f.Status)
			return true
		}
		msg := http.StatusText(f.Status)
		if f.Status == http.StatusRequestTimeout {
			msg = "The request is too broad: add filters or select fewer records."
		}
		odataError(w, f.Status, msg)
		return true
	case FaultUnauthorized, FaultUnauthorizedHTML:
		writeUnauthorized(w, r, f.Kind == FaultUnauthorizedHTML)
		return true
	case FaultForbidden:
		w.Header().Set("Reason", f.Reason)
		msg := "Forbidden"
		if f.Reason == "ScopeViolation" {
			w.Header().Del("Reason")
			msg = "Forbidden - Application Scope Violated. Cannot read"
		}
		odataError(w, http.StatusForbidden, msg)
		return true
	}
	return false
}

func (f *Fault) rewritesBody() bool { return f.Kind == FaultTruncate || f.Kind == FaultMalformed }

// rewrite sends the buffered answer damaged.
func (f *Fault) rewrite(b *bufferedWriter) {
	body := b.buf.Bytes()
	switch f.Kind {
	case FaultTruncate:
		body = body[:len(body)/2]
	case FaultMalformed:
		body = []byte(`{"d":{"results":[{"__metadata":{"uri":"` + "\x00" + `},"ID":guid'oops',]}`)
	}
	b.flush(body)
}

// bufferedWriter holds an answer back so a fault can damage it.
type bufferedWriter struct {
	w      http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func newBufferedWriter(w http.ResponseWriter) *bufferedWriter { return &bufferedWriter{w: w} }

func (b *bufferedWriter) Header() http.Header { return b.w.Header() }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.buf.Write(p)
}

func (b *bufferedWriter) flush(body []byte) {
	b.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.w.WriteHeader(b.status)
	_, _ = b.w.Write(body)
}

// frontEndStatus reports whether status comes from the load balancers in
// front of Exact's application servers rather than from the application:
// those answer with an HTML page, never with the OData error JSON.
func frontEndStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// writeFrontEndError answers status with an HTML error page, as a web
// server in front of the API does when the application behind it is down.
func writeFrontEndError(w http.ResponseWriter, status int) {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!DOCTYPE html>\r\n<html><head><title>" + text + "</title></head>\r\n<body>\r\n<h1>" + text +
		"</h1>\r\n<p>The service is temporarily unavailable. Please try again later.</p>\r\n</body></html>\r\n"))
}
