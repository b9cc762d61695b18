package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

const replicatorColumns = `id, org_id, name, source, entity, exact_url, division, client_id, client_secret_hint, contact_url,
	default_country, interval_seconds, state, state_message, cursor, deleted_cursor, resume_url, full_sync, pass,
	division_move_date, division_checked, last_sync_at, next_sync_at, created, updated, sync_phase, sync_requested,
	rate_wait_until, rate_wait_daily, auth_attempt_at, auth_outcome, auth_fix, webhook_secret_set, webhook_subscription,
	webhook_since, webhook_message, webhook_last_event, webhook_gaps, webhook_pending`

type scanner interface{ Scan(...any) error }

func scanReplicator(row scanner) (*roger.Replicator, error) {
	var r roger.Replicator
	var interval, moveDate, checked, lastSync, nextSync, created, updated, waitUntil, authAt int64
	var authOutcome string
	var full, requested, waitDaily, hookSecret, hookPending int
	var hookSince, hookLast int64
	var entity, state, phase string
	err := row.Scan(&r.ID, &r.OrgID, &r.Name, &r.Source, &entity, &r.ExactURL, &r.Division, &r.ClientID, &r.ClientSecretHint, &r.ContactURL,
		&r.DefaultCountry, &interval, &state, &r.StateMessage, &r.Cursor, &r.DeletedCursor, &r.ResumeURL, &full, &r.Pass,
		&moveDate, &checked, &lastSync, &nextSync, &created, &updated, &phase, &requested,
		&waitUntil, &waitDaily, &authAt, &authOutcome, &r.AuthAttempt.Fix, &hookSecret, &r.Webhook.Subscription, &hookSince,
		&r.Webhook.Message, &hookLast, &r.Webhook.Gaps, &hookPending)
	if err != nil {
		return nil, err
	}
	r.Entity, r.State, r.FullSync = roger.Entity(entity), roger.ReplicatorState(state), full != 0
	r.Phase, r.SyncRequested = roger.SyncPhase(phase), requested != 0
	r.Interval = time.Duration(interval) * time.Second
	r.DivisionMoveDate, r.DivisionCheckedAt, r.LastSyncAt, r.NextSyncAt = fromMS(moveDate), fromMS(checked), fromMS(lastSync), fromMS(nextSync)
	r.Created, r.Updated = fromMS(created), fromMS(updated)
	r.RateWaitUntil, r.RateWaitDaily = fromMS(waitUntil), waitDaily != 0
	r.AuthAttempt.At, r.AuthAttempt.Outcome = fromMS(authAt), roger.AuthOutcome(authOutcome)
	r.Webhook.SecretSet, r.Webhook.Pending = hookSecret != 0, hookPending != 0
	r.Webhook.Since, r.Webhook.LastEvent = fromMS(hookSince), fromMS(hookLast)
	return &r, nil
}

// CreateReplicator stores a new replicator and sets its ID. A Client ID may
// serve one replicator only, in any organisation: a second one is refused
// with ECONFLICT naming the replicator that has it.
func (s *Store) CreateReplicator(ctx context.Context, r *roger.Replicator) error {
	if r.ClientID != "" {
		if other, err := s.FindReplicatorByClientID(ctx, r.ClientID); err == nil {
			return clientIDConflict(other)
		}
	}
	now := s.now()
	err := s.write.QueryRowContext(ctx, s.q(`INSERT INTO replicators (org_id, name, source, entity, exact_url, division, client_id,
		client_secret_hint, contact_url, default_country, interval_seconds, state, state_message, next_sync_at, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.OrgID, r.Name, r.Source, string(r.Entity), r.ExactURL, r.Division, r.ClientID, r.ClientSecretHint, r.ContactURL,
		r.DefaultCountry, int64(r.Interval/time.Second), string(r.State), r.StateMessage, ms(r.NextSyncAt), now, now).Scan(&r.ID)
	if isUniqueViolation(err) {
		if other, ferr := s.FindReplicatorByClientID(ctx, r.ClientID); ferr == nil {
			return clientIDConflict(other)
		}
	}
	if err != nil {
		return fmt.Errorf("create replicator: %w", dbError(err))
	}
	r.Created, r.Updated = fromMS(now), fromMS(now)
	return nil
}

func clientIDConflict(other *roger.Replicator) error {
	return roger.Errorf(roger.ECONFLICT,
		"Client ID %s is already used by replicator %q (id %d). An Exact Online app can serve only one replicator: register another app in the Exact App Center and use its Client ID.",
		other.ClientID, other.Name, other.ID)
}

// FindReplicatorByID returns a replicator of any organisation, for
// internal work (sync, OAuth callback). Pages and APIs use FindReplicator.
func (s *Store) FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error) {
	r, err := scanReplicator(s.read.QueryRowContext(ctx, s.q(`SELECT `+replicatorColumns+` FROM replicators WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("replicator", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find replicator: %w", dbError(err))
	}
	return r, nil
}

// FindReplicator returns a replicator of one organisation; another
// organisation's replicator is not found.
func (s *Store) FindReplicator(ctx context.Context, orgID, id int64) (*roger.Replicator, error) {
	r, err := scanReplicator(s.read.QueryRowContext(ctx, s.q(`SELECT `+replicatorColumns+` FROM replicators WHERE id = ? AND org_id = ?`), id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("replicator", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find replicator: %w", dbError(err))
	}
	return r, nil
}

// FindReplicatorByClientID returns the replicator using an app's Client ID.
func (s *Store) FindReplicatorByClientID(ctx context.Context, clientID string) (*roger.Replicator, error) {
	r, err := scanReplicator(s.read.QueryRowContext(ctx, s.q(`SELECT `+replicatorColumns+` FROM replicators WHERE client_id = ?`), clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "No replicator uses Client ID %s.", clientID)
	}
	if err != nil {
		return nil, fmt.Errorf("find replicator: %w", dbError(err))
	}
	return r, nil
}

// ListReplicators returns an organisation's replicators (every
// organisation's when orgID is 0) by ID.
func (s *Store) ListReplicators(ctx context.Context, orgID int64) ([]*roger.Replicator, error) {
	query, args := `SELECT `+replicatorColumns+` FROM replicators ORDER BY id`, []any{}
	if orgID != 0 {
		query, args = `SELECT `+replicatorColumns+` FROM replicators WHERE org_id = ? ORDER BY id`, []any{orgID}
	}
	rows, err := s.read.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list replicators: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.Replicator
	for rows.Next() {
		r, err := scanReplicator(rows)
		if err != nil {
			return nil, fmt.Errorf("list replicators: %w", dbError(err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list replicators: %w", dbError(err))
	}
	return out, nil
}

// UpdateReplicator saves a replicator's settings and state. The sync
// position is written only by ApplyPage and ResetSync, so a settings change
// made while a sync runs cannot move the cursor back.
func (s *Store) UpdateReplicator(ctx context.Context, r *roger.Replicator) error {
	if r.ClientID != "" {
		if other, err := s.FindReplicatorByClientID(ctx, r.ClientID); err == nil && other.ID != r.ID {
			return clientIDConflict(other)
		}
	}
	now := s.now()
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET name = ?, entity = ?, exact_url = ?, division = ?, client_id = ?,
		client_secret_hint = ?, contact_url = ?, default_country = ?, interval_seconds = ?, state = ?, state_message = ?,
		division_move_date = ?, next_sync_at = ?, updated = ? WHERE id = ? AND org_id = ?`),
		r.Name, string(r.Entity), r.ExactURL, r.Division, r.ClientID, r.ClientSecretHint, r.ContactURL, r.DefaultCountry,
		int64(r.Interval/time.Second), string(r.State), r.StateMessage, ms(r.DivisionMoveDate), ms(r.NextSyncAt), now, r.ID, r.OrgID)
	if isUniqueViolation(err) {
		if other, ferr := s.FindReplicatorByClientID(ctx, r.ClientID); ferr == nil {
			return clientIDConflict(other)
		}
	}
	if err != nil {
		return fmt.Errorf("update replicator: %w", dbError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("replicator", r.ID)
	}
	r.Updated = fromMS(now)
	s.directoryChanged()
	return nil
}

// SetState records a replicator's state and the message a person can act on.
func (s *Store) SetState(ctx context.Context, id int64, state roger.ReplicatorState, message string) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET state = ?, state_message = ?, updated = ? WHERE id = ?`),
		string(state), message, s.now(), id)
	if err != nil {
		return fmt.Errorf("set replicator state: %w", dbError(err))
	}
	return nil
}

// DeleteReplicator removes a replicator with its credentials, directory
// entries and runs.
func (s *Store) DeleteReplicator(ctx context.Context, orgID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The replicator's row is locked first, as ApplyPage does, so a
		// page being written at the same time waits rather than deadlocks.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET directory_version = directory_version + 1 WHERE id = ? AND org_id = ?`), id, orgID)
		if err != nil {
			return fmt.Errorf("delete replicator: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("replicator", id)
		}
		// Entries and their numbers are not tied to the replicator by
		// foreign keys (migration 005): they go explicitly, numbers first.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM entry_numbers WHERE entry_id IN (SELECT id FROM entries WHERE replicator_id = ? AND org_id = ?)`), id, orgID); err != nil {
			return fmt.Errorf("delete replicator: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM entries WHERE replicator_id = ?`), id); err != nil {
			return fmt.Errorf("delete replicator: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM replicators WHERE id = ? AND org_id = ?`), id, orgID); err != nil {
			return fmt.Errorf("delete replicator: %w", err)
		}
		return nil
	})
	if err == nil {
		s.directoryChanged()
	}
	return err
}

// RequestSync makes a replicator due now ("Sync now"): ClaimDue takes
// requested syncs before scheduled ones and clears the request.
func (s *Store) RequestSync(ctx context.Context, id int64) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET sync_requested = 1 WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("request sync: %w", dbError(err))
	}
	return nil
}

// ClaimDue leases up to limit due replicators (active or failing, a sync
// requested or the next sync in the past, not waiting for Exact's rate
// limit, no live lease) to owner until
// now+lease, requested ones first. An instance that crashes loses its
// leases when they run out and another takes over; a lease held by a
// process of this host that is gone is taken at once. The replicators
// come back with SyncRequested as it was when claimed; in the database
// the request is cleared, so a "Sync now" during the run asks for another.
func (s *Store) ClaimDue(ctx context.Context, owner string, lease time.Duration, limit int) ([]*roger.Replicator, error) {
	if err := s.endGoneLeases(ctx); err != nil {
		return nil, fmt.Errorf("claim due replicators: %w", dbError(err))
	}
	_, process := s.holder.get()
	now := s.clock.Now()
	// A "Sync now" made while the replicator waits for Exact's rate
	// limit is taken up when the wait ends: a call before would be
	// refused.
	// Webhook events waiting to be applied make a replicator due as well:
	// they are taken before the schedule, as a "Sync now" is.
	pick := `SELECT id FROM replicators WHERE state IN ('active', 'failing') AND (sync_requested = 1 OR webhook_pending = 1 OR next_sync_at <= ?) AND lease_until < ?
		AND rate_wait_until <= ? ORDER BY sync_requested DESC, webhook_pending DESC, next_sync_at LIMIT ?`
	if s.dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	// The WHERE is repeated in the UPDATE: under PostgreSQL's read
	// committed, a row another instance claimed meanwhile is re-checked
	// after its lock is released and then skipped.
	query := `UPDATE replicators SET lease_owner = ?, lease_process = ?, lease_until = ? WHERE id IN (` + pick + `) AND lease_until < ? RETURNING ` + replicatorColumns
	var out []*roger.Replicator
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, s.q(query), owner, process, now.Add(lease).UnixMilli(), now.UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit, now.UnixMilli())
		if err != nil {
			return err
		}
		defer rows.Close()
		var requested []any
		for rows.Next() {
			r, err := scanReplicator(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
			if r.SyncRequested || r.Webhook.Pending {
				requested = append(requested, r.ID)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// Cleared in the claim's transaction: the claimed rows stay locked
		// until it commits, so a request made meanwhile waits and is kept.
		if len(requested) > 0 {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE replicators SET sync_requested = 0, webhook_pending = 0 WHERE id IN (`+placeholders(len(requested))+`)`), requested...)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due replicators: %w", err)
	}
	return out, nil
}

// RenewLease extends owner's lease; it fails with ECONFLICT when the lease
// was lost (it ran out and another instance took the replicator). A lease
// that ran out but that nobody took is still owner's: a claim changes the
// owner in the same statement that checks the lease, so a renewal that
// comes late (a slow database, a paused process) keeps the sync going.
func (s *Store) RenewLease(ctx context.Context, id int64, owner string, lease time.Duration) error {
	now := s.clock.Now()
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET lease_until = ? WHERE id = ? AND lease_owner = ?`),
		now.Add(lease).UnixMilli(), id, owner)
	if err != nil {
		return fmt.Errorf("renew lease: %w", dbError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return roger.Errorf(roger.ECONFLICT, "The lease on replicator %d was lost to another instance.", id)
	}
	return nil
}

// ReleaseLease ends owner's lease and schedules the next sync.
func (s *Store) ReleaseLease(ctx context.Context, id int64, owner string, next time.Time) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET lease_owner = '', lease_process = '', lease_until = 0, next_sync_at = ?, last_sync_at = ?,
		rate_wait_until = 0, rate_wait_daily = 0 WHERE id = ? AND lease_owner = ?`),
		ms(next), s.now(), id, owner)
	if err != nil {
		return fmt.Errorf("release lease: %w", dbError(err))
	}
	return nil
}

// ReleaseLeaseToWait ends owner's lease on a replicator whose run stopped
// for Exact's rate limit: it is due again at until, and waits for the
// day's reset when daily. Its last sync time stays that of the last run
// that ended, since this one has not.
func (s *Store) ReleaseLeaseToWait(ctx context.Context, id int64, owner string, until time.Time, daily bool) error {
	d := 0
	if daily {
		d = 1
	}
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET lease_owner = '', lease_process = '', lease_until = 0, next_sync_at = ?,
		rate_wait_until = ?, rate_wait_daily = ? WHERE id = ? AND lease_owner = ?`),
		ms(until), ms(until), d, id, owner)
	if err != nil {
		return fmt.Errorf("release lease to wait for the rate limit: %w", dbError(err))
	}
	return nil
}

// SetDivisionChecked records when the division's move date was last read
// from Exact.
func (s *Store) SetDivisionChecked(ctx context.Context, id int64, at time.Time) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET division_checked = ? WHERE id = ?`), ms(at), id)
	if err != nil {
		return fmt.Errorf("record division check: %w", dbError(err))
	}
	return nil
}

// ClaimOne leases one replicator to owner whatever its schedule, unless
// another owner holds a live lease (one whose process is running, or may
// be); it reports whether it got it. The owner syncs it at once, which
// answers a pending "Sync now" too.
func (s *Store) ClaimOne(ctx context.Context, id int64, owner string, lease time.Duration) (bool, error) {
	if err := s.endGoneLeases(ctx); err != nil {
		return false, fmt.Errorf("claim replicator: %w", dbError(err))
	}
	_, process := s.holder.get()
	now := s.clock.Now()
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET lease_owner = ?, lease_process = ?, lease_until = ?, sync_requested = 0 WHERE id = ? AND (lease_until < ? OR lease_owner = ?)`),
		owner, process, now.Add(lease).UnixMilli(), id, now.UnixMilli(), owner)
	if err != nil {
		return false, fmt.Errorf("claim replicator: %w", dbError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// endGoneLeases ends the sync leases held by processes of this host that
// are gone (killed, crashed), so that their replicators are claimed at
// once instead of when the lease runs out.
func (s *Store) endGoneLeases(ctx context.Context) error {
	_, self := s.holder.get()
	if self == "" {
		return nil
	}
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, lease_owner, lease_process FROM replicators WHERE lease_until >= ? AND lease_process <> '' AND lease_process <> ?`), s.now(), self)
	if err != nil {
		return err
	}
	type held struct {
		id             int64
		owner, process string
	}
	var gone []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.id, &h.owner, &h.process); err != nil {
			rows.Close()
			return err
		}
		if processGone(h.process, self) {
			gone = append(gone, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range gone {
		if _, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET lease_until = 0 WHERE id = ? AND lease_owner = ? AND lease_process = ?`), h.id, h.owner, h.process); err != nil {
			return err
		}
	}
	return nil
}
