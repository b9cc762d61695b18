package sqlstore

import (
	"context"
	"fmt"

	"github.com/roger365io/roger"
)

// CreateSyncRun records the start of a run and sets its ID.
func (s *Store) CreateSyncRun(ctx context.Context, r *roger.SyncRun) error {
	if r.Started.IsZero() {
		r.Started = s.clock.Now().UTC()
	}
	if r.Outcome == "" {
		r.Outcome = roger.OutcomeRunning
	}
	full := 0
	if r.Full {
		full = 1
	}
	err := s.write.QueryRowContext(ctx, s.q(`INSERT INTO sync_runs (replicator_id, trigger_kind, full_sync, started, outcome) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		r.ReplicatorID, string(r.Trigger), full, ms(r.Started), string(r.Outcome)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("create sync run: %w", dbError(err))
	}
	return nil
}

// UpdateSyncRun saves a run's counts and, once it has ended, its outcome;
// it is called after every page so the portal shows progress.
func (s *Store) UpdateSyncRun(ctx context.Context, r *roger.SyncRun) error {
	full := 0
	if r.Full {
		full = 1
	}
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE sync_runs SET full_sync = ?, ended = ?, outcome = ?, records_read = ?, created = ?, updated = ?, deleted = ?,
		unparseable = ?, set_aside = ?, api_calls = ?, error = ? WHERE id = ?`),
		full, ms(r.Ended), string(r.Outcome), r.Read, r.Created, r.Updated, r.Deleted, r.Unparseable, r.SetAside, r.APICalls, r.Error, r.ID)
	if err != nil {
		return fmt.Errorf("update sync run: %w", dbError(err))
	}
	return nil
}

// ListSyncRuns returns a replicator's newest runs first.
func (s *Store) ListSyncRuns(ctx context.Context, replicatorID int64, limit int) ([]*roger.SyncRun, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, replicator_id, trigger_kind, full_sync, started, ended, outcome, records_read, created, updated,
		deleted, unparseable, set_aside, api_calls, error FROM sync_runs WHERE replicator_id = ? ORDER BY id DESC LIMIT ?`), replicatorID, limit)
	if err != nil {
		return nil, fmt.Errorf("list sync runs: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.SyncRun
	for rows.Next() {
		var r roger.SyncRun
		var trigger, outcome string
		var full int
		var started, ended int64
		if err := rows.Scan(&r.ID, &r.ReplicatorID, &trigger, &full, &started, &ended, &outcome, &r.Read, &r.Created, &r.Updated,
			&r.Deleted, &r.Unparseable, &r.SetAside, &r.APICalls, &r.Error); err != nil {
			return nil, fmt.Errorf("list sync runs: %w", dbError(err))
		}
		r.Trigger, r.Outcome, r.Full = roger.SyncTrigger(trigger), roger.SyncOutcome(outcome), full != 0
		r.Started, r.Ended = fromMS(started), fromMS(ended)
		out = append(out, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sync runs: %w", dbError(err))
	}
	return out, nil
}

// AbandonRuns marks a replicator's runs still recorded as running as
// failed with message; they belong to a process that stopped mid-run.
func (s *Store) AbandonRuns(ctx context.Context, replicatorID int64, message string) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE sync_runs SET outcome = ?, error = ?, ended = CASE WHEN ended = 0 THEN started ELSE ended END
		WHERE replicator_id = ? AND outcome = ?`), string(roger.OutcomeFailed), message, replicatorID, string(roger.OutcomeRunning))
	if err != nil {
		return fmt.Errorf("abandon runs: %w", dbError(err))
	}
	return nil
}
