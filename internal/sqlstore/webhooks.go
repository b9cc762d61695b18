package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/roger365io/roger"
)

// webhookEventsKept is how long applied events are kept, so that Exact's
// redelivery of one already applied is recognised and dropped.
const webhookEventsKept = 24 * time.Hour

func webhookSecretBinding(id int64) string {
	return "replicator/" + strconv.FormatInt(id, 10) + "/webhook_secret"
}

func (s *Store) writeWebhookSecret(ctx context.Context, tx *sql.Tx, id int64, secret string) error {
	sealed, err := s.sealer.Seal([]byte(secret), webhookSecretBinding(id))
	if err != nil {
		return fmt.Errorf("seal webhook secret: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO credentials (replicator_id, webhook_secret, updated) VALUES (?, ?, ?)
		ON CONFLICT (replicator_id) DO UPDATE SET webhook_secret = excluded.webhook_secret, updated = excluded.updated`), id, sealed, s.now()); err != nil {
		return fmt.Errorf("save webhook secret: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET webhook_secret_set = 1 WHERE id = ?`), id); err != nil {
		return fmt.Errorf("save webhook secret: %w", err)
	}
	return nil
}

// WebhookSecret returns a replicator's webhook secret in the clear, to
// check the signature of what arrives; ENOTFOUND when none is stored.
func (s *Store) WebhookSecret(ctx context.Context, id int64) (string, error) {
	var sealed string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT webhook_secret FROM credentials WHERE replicator_id = ?`), id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == "") {
		return "", roger.Errorf(roger.ENOTFOUND, "Replicator %d has no webhook secret: paste the app's webhook secret from the Exact App Center.", id)
	}
	if err != nil {
		return "", fmt.Errorf("read webhook secret: %w", dbError(err))
	}
	plain, err := s.sealer.Open(sealed, webhookSecretBinding(id))
	if err != nil {
		return "", &roger.Error{Code: roger.EINTERNAL, Message: "The stored webhook secret cannot be opened with the configured secret keys (was ROGER_SECRET_KEY changed?). Enter the webhook secret again.", Err: err}
	}
	return string(plain), nil
}

// AddWebhookEvents stores accepted events of replicator id, drops those
// it has already (same record and EventCreatedOn), records when the last
// event came, and makes the replicator due when one is new. It returns
// how many were new.
func (s *Store) AddWebhookEvents(ctx context.Context, id int64, events []roger.WebhookEvent) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		now := s.now()
		// The replicator's row first: it must exist, and its lock orders
		// the events of instances writing at once.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET webhook_last_event = ? WHERE id = ?`), now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("replicator", id)
		}
		for _, e := range events {
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_events (replicator_id, record_key, event_created_on, action, event_at, received)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (replicator_id, record_key, event_created_on) DO NOTHING`),
				id, e.Key, e.EventCreatedOn, e.Action, ms(e.EventAt), now)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		if added > 0 {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE replicators SET webhook_pending = 1 WHERE id = ?`), id)
		}
		return err
	})
	if err != nil {
		if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
			return 0, err
		}
		return 0, fmt.Errorf("store webhook events: %w", dbError(err))
	}
	return added, nil
}

// PendingWebhookEvents returns up to limit events of replicator id not
// applied yet, oldest first.
func (s *Store) PendingWebhookEvents(ctx context.Context, id int64, limit int) ([]roger.WebhookEvent, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, record_key, action, event_created_on, event_at, received FROM webhook_events
		WHERE replicator_id = ? AND applied = 0 ORDER BY id LIMIT ?`), id, limit)
	if err != nil {
		return nil, fmt.Errorf("read webhook events: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.WebhookEvent
	for rows.Next() {
		e := roger.WebhookEvent{ReplicatorID: id}
		var at, received int64
		if err := rows.Scan(&e.ID, &e.Key, &e.Action, &e.EventCreatedOn, &at, &received); err != nil {
			return nil, fmt.Errorf("read webhook events: %w", dbError(err))
		}
		e.EventAt, e.Received = fromMS(at), fromMS(received)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read webhook events: %w", dbError(err))
	}
	return out, nil
}

// MarkWebhookEventsApplied marks replicator id's pending events applied:
// those with an ID in ids, and, when before is not zero, every one
// received before it (a sync that began then has read their changes).
// Applied events older than a day are forgotten.
func (s *Store) MarkWebhookEventsApplied(ctx context.Context, id int64, ids []int64, before time.Time) error {
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for len(ids) > 0 {
			n := min(len(ids), 500)
			args := []any{now, id}
			for _, e := range ids[:n] {
				args = append(args, e)
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_events SET applied = ? WHERE replicator_id = ? AND id IN (`+placeholders(n)+`)`), args...); err != nil {
				return err
			}
			ids = ids[n:]
		}
		if !before.IsZero() {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_events SET applied = ? WHERE replicator_id = ? AND applied = 0 AND received < ?`), now, id, ms(before)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM webhook_events WHERE replicator_id = ? AND applied <> 0 AND applied < ?`), id, now-webhookEventsKept.Milliseconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("mark webhook events applied: %w", dbError(err))
	}
	return nil
}

// SetWebhookSubscription records replicator id's subscription in Exact
// ("" for none), since when it exists, and why webhooks are off ("" when
// nothing stands in the way).
func (s *Store) SetWebhookSubscription(ctx context.Context, id int64, subscription string, since time.Time, message string) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET webhook_subscription = ?, webhook_since = ?, webhook_message = ? WHERE id = ?`),
		subscription, ms(since), message, id)
	if err != nil {
		return fmt.Errorf("record webhook subscription: %w", dbError(err))
	}
	return nil
}

// AddWebhookGap counts an increment of replicator id that found changes
// no webhook event had announced.
func (s *Store) AddWebhookGap(ctx context.Context, id int64) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET webhook_gaps = webhook_gaps + 1 WHERE id = ?`), id); err != nil {
		return fmt.Errorf("count webhook gap: %w", dbError(err))
	}
	return nil
}

// UnannouncedChanges counts the records among keys of replicator id for
// which no webhook event was received since since.
func (s *Store) UnannouncedChanges(ctx context.Context, id int64, keys []string, since time.Time) (int, error) {
	seen := map[string]bool{}
	for rest := keys; len(rest) > 0; {
		n := min(len(rest), 500)
		args := []any{id, ms(since)}
		for _, k := range rest[:n] {
			args = append(args, k)
		}
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT DISTINCT record_key FROM webhook_events WHERE replicator_id = ? AND received >= ? AND record_key IN (`+placeholders(n)+`)`), args...)
		if err != nil {
			return 0, fmt.Errorf("look for unannounced changes: %w", dbError(err))
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return 0, fmt.Errorf("look for unannounced changes: %w", dbError(err))
			}
			seen[k] = true
		}
		rows.Close()
		rest = rest[n:]
	}
	missing := 0
	counted := map[string]bool{}
	for _, k := range keys {
		if !seen[k] && !counted[k] {
			counted[k] = true
			missing++
		}
	}
	return missing, nil
}

// StoredModified returns when the stored version of each of keys (source
// IDs of replicator id's entries) was modified in Exact; a key with no
// entry is absent.
func (s *Store) StoredModified(ctx context.Context, id int64, keys []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(keys))
	for rest := keys; len(rest) > 0; {
		n := min(len(rest), 500)
		args := []any{id}
		for _, k := range rest[:n] {
			args = append(args, k)
		}
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT source_id, source_modified FROM entries WHERE replicator_id = ? AND source_id IN (`+placeholders(n)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("read stored versions: %w", dbError(err))
		}
		for rows.Next() {
			var k string
			var m int64
			if err := rows.Scan(&k, &m); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read stored versions: %w", dbError(err))
			}
			out[k] = fromMS(m)
		}
		rows.Close()
		rest = rest[n:]
	}
	return out, nil
}
