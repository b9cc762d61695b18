package exactwebhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

// fakeStore is a database with replicator 1 (contacts of division
// 123456, webhook secret "hook-secret"); it counts what is asked of it.
type fakeStore struct {
	reads  atomic.Int64
	mu     sync.Mutex
	events []roger.WebhookEvent
}

func (s *fakeStore) FindReplicatorByID(_ context.Context, id int64) (*roger.Replicator, error) {
	s.reads.Add(1)
	if id != 1 {
		return nil, roger.Errorf(roger.ENOTFOUND, "no replicator %d", id)
	}
	return &roger.Replicator{ID: 1, Entity: roger.Contacts, Division: 123456}, nil
}

func (s *fakeStore) WebhookSecret(context.Context, int64) (string, error) {
	s.reads.Add(1)
	return "hook-secret", nil
}

func (s *fakeStore) AddWebhookEvents(_ context.Context, _ int64, events []roger.WebhookEvent) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for _, e := range events {
		dup := false
		for _, o := range s.events {
			dup = dup || (o.Key == e.Key && o.EventCreatedOn == e.EventCreatedOn)
		}
		if !dup {
			s.events = append(s.events, e)
			added++
		}
	}
	return added, nil
}

func (s *fakeStore) stored() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

const sample = `{"Topic":"Contacts","ClientId":"7a1e0f3c-2b4d-4e5f-8a9b-0c1d2e3f4a5b","Division":123456,"Action":"Update","Key":"5CB718A4-F1C8-4432-9D7F-DAF2BC427889","ExactOnlineEndpoint":"https://start.exactonline.nl/api/v1/123456/crm/Contacts(guid'5cb718a4-f1c8-4432-9d7f-daf2bc427889')","EventCreatedOn":"2023-01-17T22:56:23.087"}`

func sign(secret, content string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(content))
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

func body(content, hash string) string {
	return `{"Content":` + content + `,"HashCode":"` + hash + `"}`
}

type receiverRig struct {
	store   *fakeStore
	rc      *Receiver
	mux     *http.ServeMux
	wakes   atomic.Int64
	refused map[string]int
	mu      sync.Mutex
}

func newReceiverRig() *receiverRig {
	rig := &receiverRig{store: &fakeStore{}, refused: map[string]int{}}
	rig.rc = &Receiver{Store: rig.store, Wake: func() { rig.wakes.Add(1) }, OnRefused: func(reason string) {
		rig.mu.Lock()
		rig.refused[reason]++
		rig.mu.Unlock()
	}}
	rig.mux = http.NewServeMux()
	rig.mux.Handle("POST /webhooks/exact/{id}", rig.rc)
	return rig
}

func (rig *receiverRig) post(id, b string) int {
	rec := httptest.NewRecorder()
	rig.mux.ServeHTTP(rec, httptest.NewRequest("POST", "/webhooks/exact/"+id, strings.NewReader(b)))
	return rec.Code
}

func TestReceiver(t *testing.T) {
	genuine := sign("hook-secret", sample)
	cases := []struct {
		name   string
		id     string
		body   string
		status int
		stored int
	}{
		{"Exact's validation POST", "1", "", http.StatusOK, 0},
		{"genuine", "1", body(sample, genuine), http.StatusOK, 1},
		{"genuine, lower-case hex", "1", body(sample, strings.ToLower(genuine)), http.StatusOK, 0},
		{"redelivered", "1", body(sample, genuine), http.StatusOK, 0},
		{"another secret", "1", body(sample, sign("guess", sample)), http.StatusUnauthorized, 0},
		{"sample re-serialized", "1", body(strings.ReplaceAll(sample, `,"`, `, "`), genuine), http.StatusUnauthorized, 0},
		{"sample altered", "1", body(strings.Replace(sample, "Update", "Delete", 1), genuine), http.StatusUnauthorized, 0},
		{"HashCode cut short", "1", body(sample, genuine[:40]), http.StatusUnauthorized, 0},
		{"no HashCode", "1", `{"Content":` + sample + `}`, http.StatusUnauthorized, 0},
		{"not JSON", "1", "Content=x", http.StatusBadRequest, 0},
		{"too large", "1", body(sample+strings.Repeat(" ", DefaultMaxBody), genuine), http.StatusRequestEntityTooLarge, 0},
		{"no such replicator", "2", body(sample, genuine), http.StatusUnauthorized, 0},
		{"not a replicator id", "x", body(sample, genuine), http.StatusNotFound, 0},
		{"another topic", "1", body(strings.Replace(sample, `"Contacts"`, `"Accounts"`, 1), sign("hook-secret", strings.Replace(sample, `"Contacts"`, `"Accounts"`, 1))), http.StatusOK, 0},
	}
	rig := newReceiverRig()
	for _, c := range cases {
		before := rig.store.stored()
		if got := rig.post(c.id, c.body); got != c.status {
			t.Errorf("%s: answered %d, want %d", c.name, got, c.status)
		}
		if got := rig.store.stored() - before; got != c.stored {
			t.Errorf("%s: stored %d events, want %d", c.name, got, c.stored)
		}
	}
	if ev := rig.store.events[0]; ev.Key != "5cb718a4-f1c8-4432-9d7f-daf2bc427889" || ev.Action != "Update" || ev.EventAt.IsZero() || ev.ReplicatorID != 1 {
		t.Errorf("stored event %+v", ev)
	}
	if rig.wakes.Load() != 1 {
		t.Errorf("the scheduler was woken %d times, want once (for the one new event)", rig.wakes.Load())
	}
	if rig.refused[RefusedSignature] != 6 || rig.refused[RefusedTooLarge] != 1 || rig.refused[RefusedMalformed] != 2 {
		t.Errorf("refusals counted: %v", rig.refused)
	}
}

// A flood of forged POSTs reads the database once per replicator and
// TTL, and a flood to made-up replicators at most Lookups times a second.
func TestReceiverFloodReachesNoDatabase(t *testing.T) {
	rig := newReceiverRig()
	clk := clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))
	rig.rc.Clock = clk
	for i := range 1000 {
		if got := rig.post("1", body(sample, sign(strconv.Itoa(i), sample))); got != http.StatusUnauthorized {
			t.Fatalf("forged POST %d: %d", i, got)
		}
	}
	if n := rig.store.reads.Load(); n != 2 {
		t.Errorf("1,000 forged POSTs read the database %d times, want 2 (the replicator and its secret, once)", n)
	}
	// Ten seconds on, a refusal makes the next request read the secret
	// again (it may have been changed); the flood still reads it once.
	clk.Advance(recheckAfter)
	for i := range 100 {
		rig.post("1", body(sample, sign(strconv.Itoa(i), sample)))
	}
	if n := rig.store.reads.Load(); n != 4 {
		t.Errorf("after %s the database was read %d times in all, want 4", recheckAfter, n)
	}
	rig.store.reads.Store(0)
	busy := 0
	for i := range 1000 {
		if rig.post(strconv.Itoa(1000+i), body(sample, sign("x", sample))) == http.StatusServiceUnavailable {
			busy++
		}
	}
	if n := rig.store.reads.Load(); n > 2*DefaultLookups*2 {
		t.Errorf("1,000 POSTs to made-up replicators read the database %d times", n)
	}
	if busy == 0 {
		t.Error("no POST to a made-up replicator was turned away unread")
	}
	if rig.store.stored() != 0 {
		t.Errorf("%d forged events stored", rig.store.stored())
	}
}

// FuzzReceiver posts arbitrary bodies: none is stored without the
// secret's signature, and every answer is one of the documented ones.
func FuzzReceiver(f *testing.F) {
	f.Add(body(sample, sign("hook-secret", sample)))
	f.Add(body(sample, sign("guess", sample)))
	f.Add("")
	f.Add(`{"Content":{},"HashCode":""}`)
	f.Add(`{"Content":"x","HashCode":"00"}`)
	f.Fuzz(func(t *testing.T, b string) {
		rig := newReceiverRig()
		status := rig.post("1", b)
		switch status {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("answered %d", status)
		}
		// Only a body carrying the genuine signature of the seed's
		// sample can be stored: the fuzzer cannot make one up.
		genuine := sign("hook-secret", sample)
		if rig.store.stored() > 0 && !strings.Contains(strings.ToUpper(b), genuine) {
			t.Fatalf("stored an event from %q", b)
		}
	})
}
