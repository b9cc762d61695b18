// Package notify tells people when a replicator breaks or goes stale, and
// when it recovers. An Evaluator finds each replicator's conditions from
// its state and runs, keeps one stored alert per replicator and condition
// while it lasts, and delivers the notices those alerts queue to the
// organisation's channels (e-mail, a Microsoft Teams channel, a signed
// JSON webhook), with retries, recording every attempt.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/roger365io/roger"
)

// Store is what the evaluator reads and writes: sqlstore.Store.
type Store interface {
	AcquireNotifyLease(ctx context.Context, owner string, now time.Time, d time.Duration) (bool, error)
	HasChannels(ctx context.Context) (bool, error)
	ListOrganizations(ctx context.Context) ([]*roger.Organization, error)
	ListReplicators(ctx context.Context, orgID int64) ([]*roger.Replicator, error)
	ListSyncRuns(ctx context.Context, replicatorID int64, limit int) ([]*roger.SyncRun, error)
	APICallsSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error)
	OpenAlerts(ctx context.Context) ([]*roger.Alert, error)
	OpenAlert(ctx context.Context, a *roger.Alert, n roger.Notice) (bool, error)
	ClearAlert(ctx context.Context, a *roger.Alert, at time.Time, n roger.Notice) (bool, error)
	RemindAlert(ctx context.Context, a *roger.Alert, at time.Time, n roger.Notice) (bool, error)
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]*roger.Notification, error)
	FindChannel(ctx context.Context, id int64) (*roger.Channel, error)
	RecordDelivery(ctx context.Context, n *roger.Notification, channel string, at time.Time, failure string, retry time.Time) error
	RecordTest(ctx context.Context, orgID, channelID int64, channel string, n roger.Notice, at time.Time, failure string) (*roger.Notification, error)
}

// Sender delivers a notice to one kind of channel. Its errors are
// recorded and shown to admins: they must name no secret (no password,
// no webhook URL).
type Sender interface {
	Send(ctx context.Context, ch *roger.Channel, n roger.Notice) error
}

// Evaluator evaluates the alert conditions and delivers their notices,
// in one instance at a time.
type Evaluator struct {
	Store Store
	Clock roger.Clock
	// Owner names this instance in the evaluator's lease.
	Owner string
	// PublicURL is roger's address in links of notices.
	PublicURL string
	// Senders deliver by channel kind; a channel of a kind without one
	// fails its deliveries with a message that says what to configure.
	Senders map[roger.ChannelKind]Sender
	Policy  Policy
	// Every is the time between rounds. Default a minute.
	Every time.Duration
	// Backoff are the waits before each retry of a failed delivery; the
	// last failure gives up. Default 1 min, 5 min, 15 min, 1 h, 3 h.
	Backoff []time.Duration
	Log     *slog.Logger
}

// runsRead is how many of a replicator's newest runs are evaluated.
const runsRead = 20

func (e *Evaluator) now() time.Time { return e.Clock.Now().UTC() }

func (e *Evaluator) every() time.Duration {
	if e.Every <= 0 {
		return time.Minute
	}
	return e.Every
}

// lease is how long the evaluator's lease lasts: three rounds, and at
// least twice the longest a delivery may take.
func (e *Evaluator) lease() time.Duration { return max(3*e.every(), 2*sendTimeout) }

// sendTimeout bounds one delivery attempt.
const sendTimeout = 30 * time.Second

func (e *Evaluator) backoff() []time.Duration {
	if len(e.Backoff) == 0 {
		return []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour}
	}
	return e.Backoff
}

// Run evaluates and delivers every Every until ctx ends. A round's error
// is logged and the next round tries again.
func (e *Evaluator) Run(ctx context.Context) error {
	t := time.NewTicker(e.every())
	defer t.Stop()
	for {
		if err := e.Round(ctx); err != nil && ctx.Err() == nil {
			e.log().Error("alerts: round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (e *Evaluator) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// Round evaluates every replicator once and delivers the notices due,
// if this instance holds the evaluator's lease. Without any channel it
// does nothing: nobody would be told.
func (e *Evaluator) Round(ctx context.Context) error {
	has, err := e.Store.HasChannels(ctx)
	if err != nil || !has {
		return err
	}
	ours, err := e.Store.AcquireNotifyLease(ctx, e.Owner, e.now(), e.lease())
	if err != nil || !ours {
		return err
	}
	return errors.Join(e.Evaluate(ctx), e.Deliver(ctx))
}

// Evaluate opens, reminds of and clears alerts by what each replicator's
// state and runs say now.
func (e *Evaluator) Evaluate(ctx context.Context) error {
	open, err := e.Store.OpenAlerts(ctx)
	if err != nil {
		return err
	}
	byReplicator := map[int64][]*roger.Alert{}
	for _, a := range open {
		byReplicator[a.ReplicatorID] = append(byReplicator[a.ReplicatorID], a)
	}
	orgs, err := e.Store.ListOrganizations(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, org := range orgs {
		reps, err := e.Store.ListReplicators(ctx, org.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		calls, err := e.Store.APICallsSince(ctx, org.ID, e.now().UTC().Truncate(24*time.Hour))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range reps {
			if err := e.evaluateOne(ctx, org, r, byReplicator[r.ID], calls[r.ID]); err != nil {
				errs = append(errs, fmt.Errorf("replicator %d: %w", r.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (e *Evaluator) evaluateOne(ctx context.Context, org *roger.Organization, r *roger.Replicator, open []*roger.Alert, callsToday int) error {
	runs, err := e.Store.ListSyncRuns(ctx, r.ID, runsRead)
	if err != nil {
		return err
	}
	now := e.now()
	policy := e.Policy
	policy.defaults()
	f := policy.evaluate(r, runs, callsToday, now)
	isOpen := map[roger.AlertCondition]bool{}
	for _, a := range open {
		isOpen[a.Condition] = true
		_, still := f.found[a.Condition]
		switch {
		case still && now.Sub(a.Reminded) >= policy.Reminder:
			if _, err := e.Store.RemindAlert(ctx, a, now, notice(roger.NoticeReminder, org, r, a, e.PublicURL, now)); err != nil {
				return err
			}
		case !still && !f.held:
			if _, err := e.Store.ClearAlert(ctx, a, now, notice(roger.NoticeRecovery, org, r, a, e.PublicURL, now)); err != nil {
				return err
			}
		}
	}
	for _, c := range []roger.AlertCondition{roger.AlertReauthorization, roger.AlertFailing, roger.AlertStale, roger.AlertDailyCalls, roger.AlertUnparseable} {
		found, ok := f.found[c]
		if !ok || isOpen[c] {
			continue
		}
		a := &roger.Alert{OrgID: org.ID, ReplicatorID: r.ID, Condition: c, Since: found.since, Opened: now, Detail: found.detail}
		opened, err := e.Store.OpenAlert(ctx, a, notice(roger.NoticeAlert, org, r, a, e.PublicURL, now))
		if err != nil {
			return err
		}
		if opened {
			e.log().Warn("alert opened", "replicator", r.Name, "replicator_id", r.ID, "condition", string(c))
		}
	}
	return nil
}

// Deliver sends the notices due now, each once, while this instance
// holds the evaluator's lease; a failed one is tried again after the
// next wait of Backoff, and given up after the last.
func (e *Evaluator) Deliver(ctx context.Context) error {
	due, err := e.Store.DueNotifications(ctx, e.now(), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range due {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A slow server can make a round outlast the lease: renew it
		// before each delivery, and stop once another instance took it,
		// so that no notice goes out from two instances.
		if ours, err := e.Store.AcquireNotifyLease(ctx, e.Owner, e.now(), e.lease()); err != nil || !ours {
			return err
		}
		if err := e.deliverOne(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Evaluator) deliverOne(ctx context.Context, n *roger.Notification) error {
	ch, err := e.Store.FindChannel(ctx, n.ChannelID)
	if err != nil {
		return err
	}
	sendErr := e.send(ctx, ch, n.Notice)
	now := e.now()
	if sendErr == nil {
		return e.Store.RecordDelivery(ctx, n, ch.Name, now, "", time.Time{})
	}
	var retry time.Time
	if b := e.backoff(); n.Attempts < len(b) {
		retry = now.Add(b[n.Attempts])
	}
	e.log().Warn("notification not delivered", "channel", ch.Name, "attempt", n.Attempts+1, "err", sendErr)
	return e.Store.RecordDelivery(ctx, n, ch.Name, now, sendErr.Error(), retry)
}

func (e *Evaluator) send(ctx context.Context, ch *roger.Channel, n roger.Notice) error {
	s := e.Senders[ch.Kind]
	if s == nil {
		if ch.Kind == roger.ChannelEmail {
			return errors.New("e-mail is not configured: set ROGER_SMTP_HOST and ROGER_SMTP_FROM")
		}
		return fmt.Errorf("roger cannot send to a %q channel", ch.Kind)
	}
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return s.Send(sendCtx, ch, n)
}

// SendTest sends a test notice to channel channelID of org at once, and
// once (a failed test is not retried: the person who asked sees the
// result), and records it. It returns the notification as it ended.
func (e *Evaluator) SendTest(ctx context.Context, org *roger.Organization, channelID int64) (*roger.Notification, error) {
	ch, err := e.Store.FindChannel(ctx, channelID)
	if err != nil {
		return nil, err
	}
	if ch.OrgID != org.ID {
		return nil, roger.Errorf(roger.ENOTFOUND, "%s has no channel %d.", org.Name, channelID)
	}
	n := testNotice(org, ch, e.PublicURL, e.now())
	failure := ""
	if err := e.send(ctx, ch, n); err != nil {
		failure = err.Error()
	}
	return e.Store.RecordTest(ctx, org.ID, ch.ID, ch.Name, n, e.now(), failure)
}
