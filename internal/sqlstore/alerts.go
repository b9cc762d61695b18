package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// AcquireNotifyLease takes or renews the evaluator's lease for owner
// until now+d, and reports whether owner holds it: another owner's lease
// is taken over only once it has run out, so one instance evaluates
// alerts and delivers notices at a time.
func (s *Store) AcquireNotifyLease(ctx context.Context, owner string, now time.Time, d time.Duration) (bool, error) {
	res, err := s.write.ExecContext(ctx, s.q(`INSERT INTO notify_lease (name, owner, expires) VALUES ('evaluator', ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
		WHERE notify_lease.owner = excluded.owner OR notify_lease.expires < ?`), owner, ms(now.Add(d)), ms(now))
	if err != nil {
		return false, fmt.Errorf("take the notification lease: %w", dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("take the notification lease: %w", dbError(err))
	}
	return n == 1, nil
}

const alertColumns = `id, org_id, replicator_id, kind, since, opened, reminded, cleared, detail`

func scanAlert(row scanner) (*roger.Alert, error) {
	var a roger.Alert
	var kind string
	var since, opened, reminded, cleared int64
	if err := row.Scan(&a.ID, &a.OrgID, &a.ReplicatorID, &kind, &since, &opened, &reminded, &cleared, &a.Detail); err != nil {
		return nil, err
	}
	a.Condition = roger.AlertCondition(kind)
	a.Since, a.Opened, a.Reminded, a.Cleared = fromMS(since), fromMS(opened), fromMS(reminded), fromMS(cleared)
	return &a, nil
}

// OpenAlerts returns every alert not cleared yet, of every organisation.
func (s *Store) OpenAlerts(ctx context.Context) ([]*roger.Alert, error) {
	return s.listAlerts(ctx, `WHERE cleared = 0 ORDER BY id`)
}

// ListAlerts returns an organisation's newest alerts first, open or not.
func (s *Store) ListAlerts(ctx context.Context, orgID int64, limit int) ([]*roger.Alert, error) {
	return s.listAlerts(ctx, `WHERE org_id = ? ORDER BY id DESC LIMIT ?`, orgID, limit)
}

func (s *Store) listAlerts(ctx context.Context, where string, args ...any) ([]*roger.Alert, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT `+alertColumns+` FROM alerts `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("list alerts: %w", dbError(err))
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list alerts: %w", dbError(err))
	}
	return out, nil
}

// OpenAlert stores a as open and queues n for each of the organisation's
// channels, in one transaction. It reports false, and changes nothing,
// when the replicator has an open alert of that condition already: two
// evaluators that find the same condition at once open one alert.
func (s *Store) OpenAlert(ctx context.Context, a *roger.Alert, n roger.Notice) (bool, error) {
	opened := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO alerts (org_id, replicator_id, kind, since, opened, reminded, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING RETURNING id`), a.OrgID, a.ReplicatorID, string(a.Condition), ms(a.Since), ms(a.Opened), ms(a.Opened), a.Detail).Scan(&a.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		opened = true
		a.Reminded = a.Opened
		return s.queueNotice(ctx, tx, a.OrgID, a.ID, 0, n)
	})
	if err != nil {
		return false, fmt.Errorf("open alert: %w", dbError(err))
	}
	return opened, nil
}

// ClearAlert marks alert a cleared at and queues the recovery notice n.
// It reports false, and queues nothing, when a was cleared already.
func (s *Store) ClearAlert(ctx context.Context, a *roger.Alert, at time.Time, n roger.Notice) (bool, error) {
	return s.changeAlert(ctx, "clear alert", a, `UPDATE alerts SET cleared = ? WHERE id = ? AND cleared = 0`, []any{ms(at), a.ID}, n)
}

// RemindAlert records that a reminder of the open alert a goes out at and
// queues it. It reports false, and queues nothing, when a was cleared or
// reminded by someone else since it was read.
func (s *Store) RemindAlert(ctx context.Context, a *roger.Alert, at time.Time, n roger.Notice) (bool, error) {
	return s.changeAlert(ctx, "remind of alert", a, `UPDATE alerts SET reminded = ? WHERE id = ? AND cleared = 0 AND reminded = ?`, []any{ms(at), a.ID, ms(a.Reminded)}, n)
}

func (s *Store) changeAlert(ctx context.Context, op string, a *roger.Alert, update string, args []any, n roger.Notice) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(update), args...)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			return err
		}
		changed = true
		return s.queueNotice(ctx, tx, a.OrgID, a.ID, 0, n)
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, dbError(err))
	}
	return changed, nil
}

// RecordTest records a test notice n sent to channel channelID of
// organisation orgID at at, and its one attempt: sent when failure is
// "", else failed with that reason. A test is sent before it is stored,
// so no evaluator delivers it a second time, and never retried.
func (s *Store) RecordTest(ctx context.Context, orgID, channelID int64, channel string, n roger.Notice, at time.Time, failure string) (*roger.Notification, error) {
	var out *roger.Notification
	err := s.tx(ctx, func(tx *sql.Tx) error {
		id, err := s.insertNotification(ctx, tx, orgID, channelID, 0, n)
		if err != nil {
			return err
		}
		out = &roger.Notification{ID: id, OrgID: orgID, ChannelID: channelID, Notice: n, Created: n.At}
		return s.recordDelivery(ctx, tx, out, channel, at, failure, time.Time{})
	})
	if err != nil {
		return nil, fmt.Errorf("record a test notice: %w", dbError(err))
	}
	return out, nil
}

// queueNotice queues n for every channel of the organisation (only for
// channelID when it is not 0).
func (s *Store) queueNotice(ctx context.Context, tx *sql.Tx, orgID, alertID, channelID int64, n roger.Notice) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM notify_channels WHERE org_id = ? ORDER BY id`), orgID)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if channelID == 0 || id == channelID {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.insertNotification(ctx, tx, orgID, id, alertID, n); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertNotification(ctx context.Context, tx *sql.Tx, orgID, channelID, alertID int64, n roger.Notice) (int64, error) {
	msg, err := json.Marshal(n)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO notifications (org_id, channel_id, alert_id, kind, message, status, next_attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		orgID, channelID, alertID, string(n.Kind), string(msg), string(roger.DeliveryPending), ms(n.At), ms(n.At)).Scan(&id)
	return id, err
}

const notificationColumns = `id, org_id, channel_id, alert_id, message, status, attempts, next_attempt, created`

func scanNotification(row scanner) (*roger.Notification, error) {
	var n roger.Notification
	var msg, status string
	var next, created int64
	if err := row.Scan(&n.ID, &n.OrgID, &n.ChannelID, &n.AlertID, &msg, &status, &n.Attempts, &next, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(msg), &n.Notice); err != nil {
		return nil, err
	}
	n.Status, n.NextAttempt, n.Created = roger.DeliveryStatus(status), fromMS(next), fromMS(created)
	return &n, nil
}

// DueNotifications returns up to limit pending notifications whose next
// attempt is due at now, oldest first.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*roger.Notification, error) {
	return s.listNotifications(ctx, `WHERE status = ? AND next_attempt <= ? ORDER BY id LIMIT ?`, string(roger.DeliveryPending), ms(now), limit)
}

// FindNotification returns notification id.
func (s *Store) FindNotification(ctx context.Context, id int64) (*roger.Notification, error) {
	out, err := s.listNotifications(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, notFound("notification", id)
	}
	return out[0], nil
}

func (s *Store) listNotifications(ctx context.Context, where string, args ...any) ([]*roger.Notification, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT `+notificationColumns+` FROM notifications `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("list notifications: %w", dbError(err))
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications: %w", dbError(err))
	}
	return out, nil
}

// RecordDelivery records an attempt to deliver n at: sent when failure
// is "", else failed with that reason and tried again at retry (never
// again when retry is zero). The attempt goes to the notifications log
// and to the audit log; failure must hold no secret.
func (s *Store) RecordDelivery(ctx context.Context, n *roger.Notification, channel string, at time.Time, failure string, retry time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error { return s.recordDelivery(ctx, tx, n, channel, at, failure, retry) })
	if err != nil {
		return fmt.Errorf("record a delivery: %w", dbError(err))
	}
	return nil
}

func (s *Store) recordDelivery(ctx context.Context, tx *sql.Tx, n *roger.Notification, channel string, at time.Time, failure string, retry time.Time) error {
	outcome, status := roger.DeliverySent, roger.DeliverySent
	if failure != "" {
		outcome, status = roger.DeliveryFailed, roger.DeliveryPending
		if retry.IsZero() {
			status = roger.DeliveryFailed
		}
	}
	detail := fmt.Sprintf("%s: %s", channel, n.Notice.Title)
	if failure != "" {
		detail += " (" + failure + ")"
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE notifications SET status = ?, attempts = attempts + 1, next_attempt = ? WHERE id = ?`),
		string(status), ms(retry), n.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notification_attempts (notification_id, org_id, at, outcome, error) VALUES (?, ?, ?, ?, ?)`),
		n.ID, n.OrgID, ms(at), string(outcome), failure); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (org_id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		n.OrgID, ms(at), "roger", "notification "+string(outcome), "notification "+strconv.FormatInt(n.ID, 10), detail); err != nil {
		return err
	}
	n.Status, n.NextAttempt = status, retry
	n.Attempts++
	return nil
}

// ListDeliveries returns an organisation's newest delivery attempts first.
func (s *Store) ListDeliveries(ctx context.Context, orgID int64, limit int) ([]roger.DeliveryAttempt, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT a.id, a.notification_id, a.org_id, a.at, a.outcome, a.error, c.name, n.message
		FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id JOIN notify_channels c ON c.id = n.channel_id
		WHERE a.org_id = ? ORDER BY a.id DESC LIMIT ?`), orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.DeliveryAttempt
	for rows.Next() {
		var d roger.DeliveryAttempt
		var at int64
		var outcome, msg string
		if err := rows.Scan(&d.ID, &d.NotificationID, &d.OrgID, &at, &outcome, &d.Error, &d.Channel, &msg); err != nil {
			return nil, fmt.Errorf("list deliveries: %w", dbError(err))
		}
		var n roger.Notice
		if err := json.Unmarshal([]byte(msg), &n); err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		d.At, d.Outcome, d.Title = fromMS(at), roger.DeliveryStatus(outcome), n.Title
		out = append(out, d)
	}
	return out, rows.Err()
}

func channelBinding(id int64) string { return "channel/" + strconv.FormatInt(id, 10) }

type sealedChannel struct {
	URL    string `json:"u,omitempty"`
	Secret string `json:"s,omitempty"`
}

// CreateChannel stores c for its organisation and sets its ID and Hint;
// its URL and Secret are sealed.
func (s *Store) CreateChannel(ctx context.Context, c *roger.Channel) error {
	if c.Created.IsZero() {
		c.Created = s.clock.Now().UTC()
	}
	c.Hint = urlHint(c.URL)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO notify_channels (org_id, kind, name, settings, hint, created) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			c.OrgID, string(c.Kind), c.Name, strings.Join(c.Recipients, ","), c.Hint, ms(c.Created)).Scan(&c.ID)
		if err != nil {
			return err
		}
		plain, err := json.Marshal(sealedChannel{URL: c.URL, Secret: c.Secret})
		if err != nil {
			return err
		}
		sealed, err := s.sealer.Seal(plain, channelBinding(c.ID))
		if err != nil {
			return fmt.Errorf("seal the channel's secrets: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE notify_channels SET sealed = ? WHERE id = ?`), sealed, c.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("create channel: %w", dbError(err))
	}
	return nil
}

// urlHint is what of a channel's URL is shown again: its host, never its
// path or query, which carry the webhook's credentials.
func urlHint(raw string) string {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		rest, _ = strings.CutPrefix(raw, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return host
}

const channelColumns = `id, org_id, kind, name, settings, sealed, hint, created`

// scanChannel reads a channel; it opens the sealed part when open is set.
func (s *Store) scanChannel(row scanner, open bool) (*roger.Channel, error) {
	var c roger.Channel
	var kind, settings, sealed string
	var created int64
	if err := row.Scan(&c.ID, &c.OrgID, &kind, &c.Name, &settings, &sealed, &c.Hint, &created); err != nil {
		return nil, err
	}
	c.Kind, c.Created = roger.ChannelKind(kind), fromMS(created)
	if settings != "" {
		c.Recipients = strings.Split(settings, ",")
	}
	if open && sealed != "" {
		plain, err := s.sealer.Open(sealed, channelBinding(c.ID))
		if err != nil {
			return nil, &roger.Error{Code: roger.EINTERNAL, Message: fmt.Sprintf("The stored settings of channel %q cannot be opened with the configured secret keys (was ROGER_SECRET_KEY changed?). Add the channel again.", c.Name), Err: err}
		}
		var sc sealedChannel
		if err := json.Unmarshal(plain, &sc); err != nil {
			return nil, err
		}
		c.URL, c.Secret = sc.URL, sc.Secret
	}
	return &c, nil
}

// FindChannel returns channel id with its URL and Secret opened, for
// delivery only.
func (s *Store) FindChannel(ctx context.Context, id int64) (*roger.Channel, error) {
	c, err := s.scanChannel(s.read.QueryRowContext(ctx, s.q(`SELECT `+channelColumns+` FROM notify_channels WHERE id = ?`), id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("channel", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find channel: %w", dbError(err))
	}
	return c, nil
}

// ListChannels returns an organisation's channels, without their sealed
// URL and Secret.
func (s *Store) ListChannels(ctx context.Context, orgID int64) ([]*roger.Channel, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT `+channelColumns+` FROM notify_channels WHERE org_id = ? ORDER BY id`), orgID)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.Channel
	for rows.Next() {
		c, err := s.scanChannel(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list channels: %w", dbError(err))
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// HasChannels reports whether any organisation has a channel, so that an
// installation without one spends nothing on evaluating alerts.
func (s *Store) HasChannels(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM notify_channels LIMIT 1) c`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for channels: %w", dbError(err))
	}
	return n > 0, nil
}

// DeleteChannel removes channel id of organisation orgID, with its queued
// notices and their log lines.
func (s *Store) DeleteChannel(ctx context.Context, orgID, id int64) error {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM notify_channels WHERE id = ? AND org_id = ?`), id, orgID)
	if err != nil {
		return fmt.Errorf("delete channel: %w", dbError(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("delete channel: %w", dbError(err))
		}
		return notFound("channel", id)
	}
	return nil
}

// LastSuccessfulSyncs returns when each replicator's last successful run
// ended, for every replicator that has had one.
func (s *Store) LastSuccessfulSyncs(ctx context.Context) (map[int64]time.Time, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT replicator_id, MAX(ended) FROM sync_runs WHERE outcome = ? GROUP BY replicator_id`), string(roger.OutcomeOK))
	if err != nil {
		return nil, fmt.Errorf("read the last successful syncs: %w", dbError(err))
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id, ended int64
		if err := rows.Scan(&id, &ended); err != nil {
			return nil, fmt.Errorf("read the last successful syncs: %w", dbError(err))
		}
		out[id] = fromMS(ended)
	}
	return out, rows.Err()
}
