package exactsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// subscription is a webhook subscription of one app for one topic in one
// division.
type subscription struct {
	ID          crm.GUID
	ClientID    crm.GUID
	User        string
	UserID      crm.GUID
	Division    int
	Topic       string
	CallbackURL string
	Description string
	Created     time.Time
}

// Delivery is one webhook notification as the simulator sent it.
type Delivery struct {
	CallbackURL string
	Body        string
	Attempts    int
	Status      int // the last answer's status; 0 when the call failed
	Delivered   bool
}

var webhookTopics = []string{"Accounts", "Contacts"}

func (s *Simulator) serveSubscriptions(w http.ResponseWriter, r *http.Request, req *apiRequest, key string, hasKey bool) {
	switch {
	case r.Method == http.MethodGet && !hasKey:
		s.mu.RLock()
		b := []byte(`{"d":{"results":[`)
		n := 0
		for _, sub := range s.hooks {
			if sub.ClientID != req.client || sub.Division != req.division.Code {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendSubscription(b, req, sub)
		}
		s.mu.RUnlock()
		writeRead(w, r, req.base+"/api/v1/"+strconv.Itoa(req.division.Code)+"/webhooks/", "WebhookSubscriptions", s.now(), append(b, "]}}"...))
	case r.Method == http.MethodPost && !hasKey:
		s.createSubscription(w, r, req)
	case r.Method == http.MethodDelete && hasKey:
		id, ok := parseKeyGUID(key)
		s.mu.Lock()
		sub, found := s.hooks[id]
		if ok && found && sub.ClientID == req.client && sub.Division == req.division.Code {
			delete(s.hooks, id)
			s.dirty = true
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.mu.Unlock()
		odataError(w, http.StatusNotFound, "Not found: WebhookSubscriptions("+key+")")
	default:
		odataError(w, http.StatusMethodNotAllowed, "The method is not allowed for this resource.")
	}
}

func appendSubscription(b []byte, req *apiRequest, sub *subscription) []byte {
	b = append(b, `{"__metadata":{"uri":`...)
	b = appendJSONString(b, req.base+"/api/v1/"+strconv.Itoa(sub.Division)+"/webhooks/WebhookSubscriptions(guid'"+sub.ID.String()+"')")
	b = append(b, `,"type":"Exact.Web.Api.Models.Webhooks.WebhookSubscription"},"ID":`...)
	b = appendJSONString(b, sub.ID.String())
	b = append(b, `,"CallbackURL":`...)
	b = appendJSONString(b, sub.CallbackURL)
	b = append(b, `,"ClientID":`...)
	b = appendJSONString(b, sub.ClientID.String())
	b = append(b, `,"Created":`...)
	b = appendValue(b, when(sub.Created), false)
	b = append(b, `,"Description":`...)
	b = appendValue(b, str(sub.Description), false)
	b = append(b, `,"Division":`...)
	b = strconv.AppendInt(b, int64(sub.Division), 10)
	b = append(b, `,"IsInstant":false,"Topic":`...)
	b = appendJSONString(b, sub.Topic)
	b = append(b, `,"UserID":`...)
	b = appendJSONString(b, sub.UserID.String())
	return append(b, '}')
}

func (s *Simulator) createSubscription(w http.ResponseWriter, r *http.Request, req *apiRequest) {
	var in struct {
		CallbackURL string
		Topic       string
		Description string
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		odataError(w, http.StatusBadRequest, "Error processing request stream. The request body must be a JSON object.")
		return
	}
	if in.CallbackURL == "" || in.Topic == "" {
		odataError(w, http.StatusBadRequest, "CallbackURL and Topic are mandatory.")
		return
	}
	if !contains(webhookTopics, in.Topic) {
		odataError(w, http.StatusBadRequest, "Topic '"+in.Topic+"' is not a webhook topic. Supported here: "+strings.Join(webhookTopics, ", ")+".")
		return
	}
	s.mu.RLock()
	app := s.apps[req.client]
	s.mu.RUnlock()
	if msg := s.checkCallback(in.CallbackURL, app.RedirectURI); msg != "" {
		odataError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.RLock()
	for _, sub := range s.hooks {
		if sub.ClientID == req.client && sub.Division == req.division.Code && sub.Topic == in.Topic {
			s.mu.RUnlock()
			odataError(w, http.StatusInternalServerError, "Data already exists")
			return
		}
	}
	s.mu.RUnlock()
	// Exact checks the callback with an empty POST before it keeps the
	// subscription.
	status, err := s.post(r.Context(), in.CallbackURL, nil)
	if err != nil || (status != http.StatusOK && status != http.StatusCreated) {
		why := "it answered " + strconv.Itoa(status)
		if err != nil {
			why = "it could not be reached"
		}
		odataError(w, http.StatusBadRequest, "The callback URL did not accept the validation request: "+why+". It must answer 200 or 201 to an empty POST.")
		return
	}
	s.mu.Lock()
	// Checked again: another request may have subscribed during the
	// validation call.
	for _, other := range s.hooks {
		if other.ClientID == req.client && other.Division == req.division.Code && other.Topic == in.Topic {
			s.mu.Unlock()
			odataError(w, http.StatusInternalServerError, "Data already exists")
			return
		}
	}
	sub := &subscription{ID: crm.RandomGUID(s.rnd), ClientID: req.client, User: strings.ToLower(req.user.Name), UserID: req.user.ID,
		Division: req.division.Code, Topic: in.Topic, CallbackURL: in.CallbackURL, Description: in.Description, Created: s.now()}
	s.hooks[sub.ID] = sub
	s.dirty = true
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, append(appendSubscription([]byte(`{"d":`), req, sub), '}'))
}

// checkCallback applies Exact's rule: HTTPS, on the domain of the app's
// redirect URI (plain http is allowed on loopback unless RequireHTTPS).
func (s *Simulator) checkCallback(callback, redirectURI string) string {
	cu, err := url.Parse(callback)
	if err != nil || cu.Host == "" {
		return "CallbackURL '" + callback + "' is not a valid URL."
	}
	if cu.Scheme != "https" && (s.opts.RequireHTTPS || !isLoopbackURL(callback)) {
		return "CallbackURL must use https."
	}
	ru, err := url.Parse(redirectURI)
	if err != nil || !strings.EqualFold(registrableDomain(ru.Hostname()), registrableDomain(cu.Hostname())) {
		return "CallbackURL must be on the same domain as the app's redirect URI."
	}
	return ""
}

// registrableDomain keeps the last two labels of a host name, which is
// what "the same domain" means for ordinary hosts.
func registrableDomain(h string) string {
	if strings.Count(h, ".") < 2 || strings.Trim(h, "0123456789.") == "" {
		return h
	}
	parts := strings.Split(h, ".")
	return strings.Join(parts[len(parts)-2:], ".")
}

func (s *Simulator) post(ctx context.Context, target string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.opts.WebhookClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// webhookQueue delivers notifications in the background with Exact's
// retry schedule (the base delay doubling after each failure).
type webhookQueue struct {
	s      *Simulator
	mu     sync.Mutex
	log    []Delivery
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newWebhookQueue(s *Simulator) *webhookQueue {
	ctx, cancel := context.WithCancel(context.Background())
	return &webhookQueue{s: s, ctx: ctx, cancel: cancel}
}

func (q *webhookQueue) close() {
	q.cancel()
	q.wg.Wait()
}

// notify sends the change to every subscription of its division and topic.
func (q *webhookQueue) notify(division int, topic, action string, key crm.GUID, base string) {
	q.notifyAt(division, topic, action, key, base, time.Time{})
}

// notifyAt is notify for a change made at at (zero: now). Exact's field
// is EventCreatedOn: when the event was created, with the change, not
// when the notification goes out, which for a batch of changes (or a
// retried delivery) is later.
func (q *webhookQueue) notifyAt(division int, topic, action string, key crm.GUID, base string, at time.Time) {
	s := q.s
	s.mu.RLock()
	var targets []struct {
		url, secret string
		client      crm.GUID
	}
	for _, sub := range s.hooks {
		if sub.Division == division && sub.Topic == topic {
			if app, ok := s.apps[sub.ClientID]; ok {
				targets = append(targets, struct {
					url, secret string
					client      crm.GUID
				}{sub.CallbackURL, app.WebhookSecret, sub.ClientID})
			}
		}
	}
	now := at
	if now.IsZero() {
		now = s.now()
	}
	s.mu.RUnlock()
	for _, t := range targets {
		content := webhookContent(topic, t.client, division, action, key, base, now)
		mac := hmac.New(sha256.New, []byte(t.secret))
		mac.Write(content)
		body := []byte(`{"Content":`)
		body = append(body, content...)
		body = append(body, `,"HashCode":"`...)
		body = append(body, strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))...)
		body = append(body, `"}`...)
		q.wg.Add(1)
		go q.deliver(t.url, body)
	}
}

func webhookContent(topic string, client crm.GUID, division int, action string, key crm.GUID, base string, now time.Time) []byte {
	b := []byte(`{"Topic":`)
	b = appendJSONString(b, topic)
	b = append(b, `,"ClientId":`...)
	b = appendJSONString(b, client.String())
	b = append(b, `,"Division":`...)
	b = strconv.AppendInt(b, int64(division), 10)
	b = append(b, `,"Action":`...)
	b = appendJSONString(b, action)
	b = append(b, `,"Key":`...)
	b = appendJSONString(b, key.String())
	b = append(b, `,"ExactOnlineEndpoint":`...)
	b = appendJSONString(b, base+"/api/v1/"+strconv.Itoa(division)+"/crm/"+topic+"(guid'"+key.String()+"')")
	b = append(b, `,"EventCreatedOn":`...)
	b = appendJSONString(b, localISO(now))
	return append(b, '}')
}

func (q *webhookQueue) deliver(target string, body []byte) {
	defer q.wg.Done()
	d := Delivery{CallbackURL: target, Body: string(body)}
	delay := q.s.opts.WebhookRetryBase
	for d.Attempts < q.s.opts.WebhookAttempts {
		d.Attempts++
		status, err := q.s.post(q.ctx, target, body)
		d.Status = status
		if err == nil && (status == http.StatusOK || status == http.StatusCreated) {
			d.Delivered = true
			break
		}
		if d.Attempts == q.s.opts.WebhookAttempts {
			break
		}
		select {
		case <-time.After(delay):
		case <-q.ctx.Done():
			q.record(d)
			return
		}
		delay *= 2
	}
	q.record(d)
}

func (q *webhookQueue) record(d Delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.log = append(q.log, d)
	if len(q.log) > 1000 {
		q.log = q.log[len(q.log)-1000:]
	}
}

// Deliveries lists finished webhook deliveries, oldest first (the last
// 1000). It is never nil, so GET /_sim/webhooks/deliveries answers [] and
// not null before the first one.
func (s *Simulator) Deliveries() []Delivery {
	q := s.webhook
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Delivery{}, q.log...)
}
