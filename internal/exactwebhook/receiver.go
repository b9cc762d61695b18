// Package exactwebhook receives Exact Online's webhook notifications for
// the replicators: it checks each one's signature before anything else,
// stores the event once (whichever instance received it) and wakes the
// scheduler, which applies it under the replicator's lease.
package exactwebhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// Store is what the receiver needs of the database (*sqlstore.Store).
type Store interface {
	FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error)
	WebhookSecret(ctx context.Context, id int64) (string, error)
	AddWebhookEvents(ctx context.Context, id int64, events []roger.WebhookEvent) (int, error)
}

// Refusal reasons, as counted.
const (
	RefusedTooLarge  = "too_large"
	RefusedMalformed = "malformed"
	RefusedSignature = "signature"
	RefusedBusy      = "busy"
)

// Defaults of Receiver.
const (
	DefaultMaxBody   = 64 << 10
	DefaultSecretTTL = time.Minute
	// DefaultLookups bounds the database reads for replicators not in
	// the cache, per second: a flood of POSTs to made-up IDs reads the
	// database at most this often.
	DefaultLookups = 20
)

// Receiver is the http.Handler of POST /webhooks/exact/{id}.
type Receiver struct {
	Store Store
	// Wake tells the scheduler that events wait.
	Wake func()
	Log  *slog.Logger
	// OnReceived sees how many new events were stored; OnRefused every
	// request refused, with its reason (metrics).
	OnReceived func(n int)
	OnRefused  func(reason string)
	// MaxBody bounds a notification (a few hundred bytes in practice).
	MaxBody int64
	// SecretTTL is how long a replicator's secret is kept in memory.
	SecretTTL time.Duration
	// Lookups bounds the cache misses read from the database a second.
	Lookups int
	// Clock times the cache; nil means the system clock.
	Clock roger.Clock

	mu      sync.Mutex
	cache   map[int64]cached
	window  time.Time
	misses  int
	initOne sync.Once

	// Events received together are written together: a burst of
	// deliveries (an import in Exact) costs a few transactions, not one
	// each, and every request is answered once its event is stored.
	qmu     sync.Mutex
	queue   []queued
	writing bool
}

// queued is an event waiting to be stored, and where its outcome goes.
type queued struct {
	ev   roger.WebhookEvent
	done chan error
}

// cached is what the receiver knows of a replicator for a while: its
// secret, topic and division, or that it has none (ok false).
type cached struct {
	ok       bool
	secret   []byte
	topic    string
	division int
	read     time.Time
	until    time.Time
}

func (rc *Receiver) init() {
	rc.initOne.Do(func() {
		if rc.MaxBody <= 0 {
			rc.MaxBody = DefaultMaxBody
		}
		if rc.SecretTTL <= 0 {
			rc.SecretTTL = DefaultSecretTTL
		}
		if rc.Lookups <= 0 {
			rc.Lookups = DefaultLookups
		}
		if rc.Log == nil {
			rc.Log = slog.Default()
		}
		rc.cache = map[int64]cached{}
	})
}

// recheckAfter is how old a cached secret must be before a refused
// signature makes the next request read it again: a secret changed in
// the portal (on any instance) is picked up by Exact's next delivery,
// while a flood of forged requests reads it at most this often.
const recheckAfter = 10 * time.Second

// doubt drops what is cached of replicator id when it is older than
// recheckAfter at now, after a signature it refused.
func (rc *Receiver) doubt(id int64, now time.Time) {
	rc.mu.Lock()
	if c, ok := rc.cache[id]; ok && now.Sub(c.read) >= recheckAfter {
		delete(rc.cache, id)
	}
	rc.mu.Unlock()
}

func (rc *Receiver) now() time.Time {
	if rc.Clock != nil {
		return rc.Clock.Now()
	}
	return time.Now()
}

func (rc *Receiver) refuse(w http.ResponseWriter, status int, reason, msg string) {
	if rc.OnRefused != nil {
		rc.OnRefused(reason)
	}
	http.Error(w, msg, status)
}

// notification is the body Exact posts: Content is kept as the bytes
// received, since the signature is over exactly those.
type notification struct {
	Content  json.RawMessage
	HashCode string
}

type content struct {
	Topic          string
	Division       int
	Action         string
	Key            string
	EventCreatedOn string
}

// ServeHTTP checks and stores one notification. The signature is checked
// before any write and before any read but the replicator's cached
// secret, so forged requests reach neither the database nor Exact. The
// event is stored before the answer (Exact delivers again unless it gets
// 200) and applied after it.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.init()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		rc.refuse(w, http.StatusNotFound, RefusedMalformed, "No such webhook.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rc.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			rc.refuse(w, http.StatusRequestEntityTooLarge, RefusedTooLarge, "A webhook notification is a few hundred bytes.")
			return
		}
		rc.refuse(w, http.StatusBadRequest, RefusedMalformed, "The request body could not be read.")
		return
	}
	// Exact checks a new subscription's callback with an empty POST,
	// which must be answered 200 or 201.
	if len(strings.TrimSpace(string(body))) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil || len(n.Content) == 0 {
		rc.refuse(w, http.StatusBadRequest, RefusedMalformed, "Expected {\"Content\":{…},\"HashCode\":\"…\"}.")
		return
	}
	sum, err := hex.DecodeString(n.HashCode)
	if err != nil || len(sum) != sha256.Size {
		rc.refuse(w, http.StatusUnauthorized, RefusedSignature, "The HashCode does not match.")
		return
	}
	known, busy := rc.lookup(r.Context(), id)
	if busy {
		w.Header().Set("Retry-After", "1")
		rc.refuse(w, http.StatusServiceUnavailable, RefusedBusy, "Too many requests; try again.")
		return
	}
	if !known.ok || !validSignature(known.secret, n.Content, sum) {
		rc.doubt(id, rc.now())
		rc.refuse(w, http.StatusUnauthorized, RefusedSignature, "The HashCode does not match.")
		return
	}
	var c content
	if err := json.Unmarshal(n.Content, &c); err != nil {
		rc.refuse(w, http.StatusBadRequest, RefusedMalformed, "The Content could not be read.")
		return
	}
	key, ok := normalizeKey(c.Key)
	if !ok || !strings.EqualFold(c.Topic, known.topic) || c.Division != known.division {
		// Signed with the app's secret but about something this
		// replicator does not copy: answered, so Exact does not retry.
		rc.Log.Warn("webhook event for another topic or division ignored", "replicator", id, "topic", c.Topic, "division", c.Division)
		w.WriteHeader(http.StatusOK)
		return
	}
	ev := roger.WebhookEvent{ReplicatorID: id, Key: key, Action: c.Action, EventCreatedOn: c.EventCreatedOn, EventAt: exact.ParseEventTime(c.EventCreatedOn)}
	if err := rc.store(r.Context(), ev); err != nil && roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		// A replicator deleted meanwhile (ENOTFOUND) has no use for it;
		// anything else is worth a redelivery.
		http.Error(w, "The event could not be stored; send it again.", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// store queues ev for the writer and waits until it is stored.
func (rc *Receiver) store(ctx context.Context, ev roger.WebhookEvent) error {
	q := queued{ev: ev, done: make(chan error, 1)}
	rc.qmu.Lock()
	rc.queue = append(rc.queue, q)
	start := !rc.writing
	rc.writing = true
	rc.qmu.Unlock()
	if start {
		go rc.write()
	}
	select {
	case err := <-q.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write stores what is queued, a replicator's events in one transaction,
// until the queue is empty; then it ends, and the next event starts it
// again.
func (rc *Receiver) write() {
	for {
		rc.qmu.Lock()
		batch := rc.queue
		rc.queue = nil
		if len(batch) == 0 {
			rc.writing = false
			rc.qmu.Unlock()
			return
		}
		rc.qmu.Unlock()
		byReplicator := map[int64][]queued{}
		for _, q := range batch {
			byReplicator[q.ev.ReplicatorID] = append(byReplicator[q.ev.ReplicatorID], q)
		}
		woken := false
		for id, qs := range byReplicator {
			events := make([]roger.WebhookEvent, len(qs))
			for i, q := range qs {
				events[i] = q.ev
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			added, err := rc.Store.AddWebhookEvents(ctx, id, events)
			cancel()
			if err != nil && roger.ErrorCodeOf(err) != roger.ENOTFOUND {
				rc.Log.Error("store webhook events", "replicator", id, "events", len(events), "err", err)
			}
			for _, q := range qs {
				q.done <- err
			}
			if added > 0 {
				if rc.OnReceived != nil {
					rc.OnReceived(added)
				}
				if rc.Wake != nil && !woken {
					rc.Wake()
					woken = true
				}
			}
		}
	}
}

// validSignature compares the HMAC-SHA256 of content, keyed with secret,
// with sum in constant time. Exact sends it as upper-case hex; comparing
// the decoded bytes accepts either case without a second pass.
func validSignature(secret, content, sum []byte) bool {
	mac := hmac.New(sha256.New, secret)
	mac.Write(content)
	return hmac.Equal(mac.Sum(nil), sum)
}

// lookup returns what is known of replicator id, from the cache or, at
// most Lookups times a second, from the database; busy when the
// database may not be asked now.
func (rc *Receiver) lookup(ctx context.Context, id int64) (cached, bool) {
	now := rc.now()
	rc.mu.Lock()
	if c, ok := rc.cache[id]; ok && now.Before(c.until) {
		rc.mu.Unlock()
		return c, false
	}
	if now.Sub(rc.window) >= time.Second {
		rc.window, rc.misses = now, 0
	}
	if rc.misses >= rc.Lookups {
		rc.mu.Unlock()
		return cached{}, true
	}
	rc.misses++
	rc.mu.Unlock()

	c := cached{read: now, until: now.Add(rc.SecretTTL)}
	rep, err := rc.Store.FindReplicatorByID(ctx, id)
	if err == nil {
		var secret string
		secret, err = rc.Store.WebhookSecret(ctx, id)
		if err == nil {
			c.ok, c.secret, c.topic, c.division = true, []byte(secret), roger.WebhookTopic(rep.Entity), rep.Division
		}
	}
	if err != nil && roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		// The database is away: nothing is remembered, and Exact
		// delivers again later.
		return cached{}, true
	}
	rc.mu.Lock()
	if len(rc.cache) >= 10000 {
		clear(rc.cache)
	}
	rc.cache[id] = c
	rc.mu.Unlock()
	return c, false
}

// normalizeKey writes a record GUID as the directory does.
func normalizeKey(s string) (string, bool) {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), "{}"))
	if len(s) != 36 || strings.Count(s, "-") != 4 {
		return "", false
	}
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return "", false
		}
	}
	return s, true
}
