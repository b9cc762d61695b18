package replicate

import (
	"context"
	"math"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// EventStore is what applying Exact's webhook events needs of the
// database (*sqlstore.Store).
type EventStore interface {
	PendingWebhookEvents(ctx context.Context, id int64, limit int) ([]roger.WebhookEvent, error)
	MarkWebhookEventsApplied(ctx context.Context, id int64, ids []int64, before time.Time) error
	UnannouncedChanges(ctx context.Context, id int64, keys []string, since time.Time) (int, error)
	AddWebhookGap(ctx context.Context, id int64) error
	StoredModified(ctx context.Context, id int64, keys []string) (map[string]time.Time, error)
}

// maxEventsPerRun bounds the events one run looks at; more than that are
// read by an increment anyway.
const maxEventsPerRun = 1000

func (s *Syncer) pendingEvents(ctx context.Context, id int64, limit int) ([]roger.WebhookEvent, error) {
	if s.Events == nil {
		return nil, nil
	}
	return s.Events.PendingWebhookEvents(ctx, id, limit)
}

// latestPerKey keeps the last event of each record, in order: what a
// record became is all that counts.
func latestPerKey(events []roger.WebhookEvent) []roger.WebhookEvent {
	last := map[string]int{}
	var out []roger.WebhookEvent
	for _, e := range events {
		if i, ok := last[e.Key]; ok {
			out[i] = e
			continue
		}
		last[e.Key] = len(out)
		out = append(out, e)
	}
	return out
}

// fetches is how many calls applying events one by one costs: a deletion
// needs none.
func fetches(events []roger.WebhookEvent) int {
	n := 0
	for _, e := range latestPerKey(events) {
		if !e.Deletes() {
			n++
		}
	}
	return n
}

// oneByOne is how many records a webhook run fetches one by one at most:
// fewer than an increment costs (its records, its deletions and, for
// contacts, the accounts' countries), and never more than the minute's
// budget leaves beside a reserve for the increment that follows.
func (s *Syncer) oneByOne(r *roger.Replicator) int {
	n := 2
	if r.Entity == roger.Contacts {
		n = 3
	}
	if s.Budgets != nil {
		if b, ok := s.Budgets.Peek(r.ClientID, r.Division); ok {
			if _, minutely, _, _, known := b.Remaining(); known {
				n = min(n, minutely-5)
			}
		}
	}
	return n
}

// applyEvents reads the records the events name from Exact's REST
// endpoint and applies them as a sync page is applied: the same parsing,
// the same upsert that never lets an older version win, the same index
// update. A record Exact no longer has (404), or an event that says it is
// deleted, is removed.
func (s *Syncer) applyEvents(ctx context.Context, client *exact.Client, r *roger.Replicator, events []roger.WebhookEvent, progress func(roger.PageResult, int) error, seen *seenChanges) error {
	seen.byEvents = true
	page := roger.Page{ReplicatorID: r.ID, OrgID: r.OrgID, Cursor: r.Cursor, DeletedCursor: r.DeletedCursor, ResumeURL: r.ResumeURL, Phase: r.Phase, FullSync: r.FullSync}
	// The run holds the replicator's lease, so no sync page is applied
	// meanwhile and what is read now is the newest version: it is stamped
	// with the cursor, which every stored version is at or below, and
	// the next increment's copy (with Exact's own, higher Timestamp)
	// replaces it as usual. A removal is stamped as newer than all.
	var accounts []exact.Account
	var contacts []exact.Contact
	for _, e := range latestPerKey(events) {
		if e.Deletes() {
			page.Deletes = append(page.Deletes, roger.Deletion{SourceID: e.Key, Timestamp: math.MaxInt64})
			continue
		}
		var err error
		switch r.Entity {
		case roger.Accounts:
			var a *exact.Account
			if a, err = client.Account(ctx, r.Division, e.Key); err == nil {
				accounts = append(accounts, *a)
			}
		default:
			var c *exact.Contact
			if c, err = client.Contact(ctx, r.Division, e.Key); err == nil {
				contacts = append(contacts, *c)
			}
		}
		switch {
		case roger.ErrorCodeOf(err) == roger.ENOTFOUND:
			page.Deletes = append(page.Deletes, roger.Deletion{SourceID: e.Key, Timestamp: math.MaxInt64})
		case err != nil:
			return err
		}
	}
	var entries []roger.Entry
	if r.Entity == roger.Accounts {
		entries, _ = accountEntries(accounts, r.DefaultCountry)
	} else {
		countries, err := s.accountCountries(ctx, r, contacts)
		if err != nil {
			return err
		}
		entries, _ = contactEntries(contacts, countries, r.DefaultCountry)
	}
	for i := range entries {
		entries[i].SourceTimestamp = r.Cursor
	}
	page.Upserts = entries
	res, err := s.Store.ApplyPages(ctx, []roger.Page{page})
	if err != nil {
		return err
	}
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	if err := s.Events.MarkWebhookEventsApplied(ctx, r.ID, ids, time.Time{}); err != nil {
		return err
	}
	s.observeEvents(events)
	return progress(res, len(entries))
}

func (s *Syncer) observeEvents(events []roger.WebhookEvent) {
	if s.OnEventApplied == nil {
		return
	}
	for _, e := range events {
		if !e.EventAt.IsZero() {
			s.OnEventApplied(e.EventAt)
		}
	}
}

// seenChanges is what a run read from Exact, to tell which waiting
// events it answered.
type seenChanges struct {
	modified map[string]time.Time
	gone     map[string]bool
	keys     []string
	// byEvents is set when the run applied events one by one instead.
	byEvents bool
}

func (s *Syncer) newSeen(r *roger.Replicator) *seenChanges {
	if s.Events == nil {
		return nil
	}
	return &seenChanges{modified: map[string]time.Time{}, gone: map[string]bool{}}
}

func (c *seenChanges) record(key string, modified time.Time) {
	if c == nil {
		return
	}
	if _, ok := c.modified[key]; !ok {
		c.keys = append(c.keys, key)
	}
	c.modified[key] = modified
}

func (c *seenChanges) deleted(key string) {
	if c == nil {
		return
	}
	if !c.gone[key] {
		c.keys = append(c.keys, key)
	}
	c.gone[key] = true
}

// covers reports whether the run read the change e announced: the record
// gone, or a version of it modified no earlier than the event.
func (c *seenChanges) covers(e roger.WebhookEvent) bool {
	if c.gone[e.Key] {
		return true
	}
	m, ok := c.modified[e.Key]
	return ok && announces(e, m)
}

// announces reports whether event e is about the version of its record
// modified at m or an older one. An event created after m may be about a
// later change: it is read from Exact.
func announces(e roger.WebhookEvent, m time.Time) bool {
	return !e.EventAt.IsZero() && !e.EventAt.After(m)
}

// settleStored marks the waiting events of r whose change the directory
// holds already (an increment read it, or another event's fetch did), and
// returns how many still wait. Exact's redeliveries and an increment's
// overlap with a burst of events so cost no call.
func (s *Syncer) settleStored(ctx context.Context, r *roger.Replicator) (int, error) {
	pending, err := s.Events.PendingWebhookEvents(ctx, r.ID, maxEventsPerRun)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	keys := make([]string, 0, len(pending))
	for _, e := range pending {
		keys = append(keys, e.Key)
	}
	stored, err := s.Events.StoredModified(ctx, r.ID, keys)
	if err != nil {
		return 0, err
	}
	var done []int64
	for _, e := range pending {
		m, ok := stored[e.Key]
		if (e.Deletes() && !ok) || (!e.Deletes() && ok && announces(e, m)) {
			done = append(done, e.ID)
		}
	}
	if len(done) == 0 {
		return len(pending), nil
	}
	if err := s.Events.MarkWebhookEventsApplied(ctx, r.ID, done, time.Time{}); err != nil {
		return 0, err
	}
	return len(pending) - len(done), nil
}

// settleEvents marks the waiting events a sync answered: those received
// before it began (it read after their change), and those whose record
// it read in the version they announced. An increment (scheduled or
// asked for) while webhooks work that found changes no event announced
// counts as a webhook gap.
func (s *Syncer) settleEvents(ctx context.Context, r *roger.Replicator, run *roger.SyncRun, seen *seenChanges) error {
	if seen == nil || seen.byEvents {
		return nil
	}
	pending, err := s.Events.PendingWebhookEvents(ctx, r.ID, 20*maxEventsPerRun)
	if err != nil {
		return err
	}
	var done []int64
	var answered []roger.WebhookEvent
	for _, e := range pending {
		if e.Received.Before(run.Started) || seen.covers(e) {
			done = append(done, e.ID)
			answered = append(answered, e)
		}
	}
	if len(done) > 0 {
		if err := s.Events.MarkWebhookEventsApplied(ctx, r.ID, done, time.Time{}); err != nil {
			return err
		}
		s.observeEvents(answered)
	}
	if run.Trigger == roger.TriggerWebhook || run.Full || !r.Webhook.On() || len(seen.keys) == 0 ||
		r.LastSyncAt.IsZero() || !r.Webhook.Since.Before(r.LastSyncAt) {
		return nil
	}
	// An event may come a little after the change it announces, and
	// the previous increment may have read the change already.
	missing, err := s.Events.UnannouncedChanges(ctx, r.ID, seen.keys, r.LastSyncAt.Add(-time.Minute))
	if err != nil || missing == 0 {
		return err
	}
	return s.Events.AddWebhookGap(ctx, r.ID)
}
