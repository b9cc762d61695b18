package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	r.DirectorySize = -1
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
		unparseable = ?, set_aside = ?, api_calls = ?, error = ?, waits = ?, waited_ms = ?, wait_started = ?,
		expected = ?, directory_size = ? WHERE id = ?`),
		full, ms(r.Ended), string(r.Outcome), r.Read, r.Created, r.Updated, r.Deleted, r.Unparseable, r.SetAside, r.APICalls, r.Error,
		r.Waits, r.Waited.Milliseconds(), ms(r.WaitStarted), r.Expected, r.DirectorySize, r.ID)
	if err != nil {
		return fmt.Errorf("update sync run: %w", dbError(err))
	}
	return nil
}

const syncRunColumns = `id, replicator_id, trigger_kind, full_sync, started, ended, outcome, records_read, created, updated,
	deleted, unparseable, set_aside, api_calls, error, waits, waited_ms, wait_started, expected, directory_size`

func scanSyncRun(row scanner) (*roger.SyncRun, error) {
	var r roger.SyncRun
	var trigger, outcome string
	var full int
	var started, ended, waited, waitStarted int64
	if err := row.Scan(&r.ID, &r.ReplicatorID, &trigger, &full, &started, &ended, &outcome, &r.Read, &r.Created, &r.Updated,
		&r.Deleted, &r.Unparseable, &r.SetAside, &r.APICalls, &r.Error, &r.Waits, &waited, &waitStarted, &r.Expected, &r.DirectorySize); err != nil {
		return nil, err
	}
	r.Trigger, r.Outcome, r.Full = roger.SyncTrigger(trigger), roger.SyncOutcome(outcome), full != 0
	r.Started, r.Ended = fromMS(started), fromMS(ended)
	r.Waited, r.WaitStarted = time.Duration(waited)*time.Millisecond, fromMS(waitStarted)
	return &r, nil
}

// ListSyncRuns returns a replicator's newest runs first.
func (s *Store) ListSyncRuns(ctx context.Context, replicatorID int64, limit int) ([]*roger.SyncRun, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT `+syncRunColumns+` FROM sync_runs WHERE replicator_id = ? ORDER BY id DESC LIMIT ?`), replicatorID, limit)
	if err != nil {
		return nil, fmt.Errorf("list sync runs: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.SyncRun
	for rows.Next() {
		r, err := scanSyncRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list sync runs: %w", dbError(err))
		}
		out = append(out, r)
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

// ContinueWaitingRun takes up replicator replicatorID's run that stopped
// for Exact's rate limit: it is running again from now, with the wait
// added to its waited time, and comes back with its counts so far, so
// that one load is one run however often it waited. It fails with
// ENOTFOUND when no run of the replicator waits.
func (s *Store) ContinueWaitingRun(ctx context.Context, replicatorID int64, now time.Time) (*roger.SyncRun, error) {
	var run *roger.SyncRun
	err := s.tx(ctx, func(tx *sql.Tx) error {
		r, err := scanSyncRun(tx.QueryRowContext(ctx, s.q(`SELECT `+syncRunColumns+` FROM sync_runs WHERE replicator_id = ? AND outcome = ? ORDER BY id DESC LIMIT 1`),
			replicatorID, string(roger.OutcomeWaiting)))
		if err != nil {
			return err
		}
		if !r.WaitStarted.IsZero() && now.After(r.WaitStarted) {
			r.Waited += now.Sub(r.WaitStarted)
		}
		r.Outcome, r.WaitStarted = roger.OutcomeRunning, time.Time{}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE sync_runs SET outcome = ?, waited_ms = ?, wait_started = 0 WHERE id = ?`),
			string(r.Outcome), r.Waited.Milliseconds(), r.ID)
		run = r
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "Replicator %d has no run waiting for Exact's rate limit.", replicatorID)
	}
	if err != nil {
		return nil, fmt.Errorf("continue waiting run: %w", dbError(err))
	}
	return run, nil
}

// RecordAuthAttempt keeps how replicator id's last authorization attempt
// ended, so the portal shows it after its window is closed.
func (s *Store) RecordAuthAttempt(ctx context.Context, id int64, a roger.AuthAttempt) error {
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE replicators SET auth_attempt_at = ?, auth_outcome = ?, auth_fix = ? WHERE id = ?`),
		ms(a.At), string(a.Outcome), a.Fix, id)
	if err != nil {
		return fmt.Errorf("record authorization attempt: %w", dbError(err))
	}
	return nil
}

// RunDays sums replicator replicatorID's runs that started from since on,
// per UTC day, oldest first; days without runs are left out.
func (s *Store) RunDays(ctx context.Context, replicatorID int64, since time.Time) ([]roger.RunDay, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT started, created + updated + deleted, api_calls, outcome, directory_size FROM sync_runs
		WHERE replicator_id = ? AND started >= ? ORDER BY started, id`), replicatorID, ms(since))
	if err != nil {
		return nil, fmt.Errorf("run days: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.RunDay
	for rows.Next() {
		var started int64
		var changed, calls, size int
		var outcome string
		if err := rows.Scan(&started, &changed, &calls, &outcome, &size); err != nil {
			return nil, fmt.Errorf("run days: %w", dbError(err))
		}
		t := fromMS(started).UTC()
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		if len(out) == 0 || !out[len(out)-1].Day.Equal(day) {
			out = append(out, roger.RunDay{Day: day, DirectorySize: -1})
		}
		d := &out[len(out)-1]
		d.Changed += changed
		d.APICalls += calls
		if outcome == string(roger.OutcomeFailed) {
			d.Failures++
		}
		if size >= 0 {
			d.DirectorySize = size
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run days: %w", dbError(err))
	}
	return out, nil
}
