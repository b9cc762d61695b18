package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// OnDirectoryChange registers fn to be called after every commit that
// changed directory entries or a replicator's settings in this process,
// so an in-memory copy can catch up at once instead of at its next poll.
// fn runs on the writer's goroutine and must not block.
func (s *Store) OnDirectoryChange(fn func()) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.watchers = append(s.watchers, fn)
}

// OnPagesCommitted registers fn to be called after every commit of
// ApplyPages that wrote its pages whole (no record set aside), with what
// it changed, before the OnDirectoryChange watchers are told. fn runs on
// the writer's goroutine, in the sync's share of the cores, and must not
// wait for long.
func (s *Store) OnPagesCommitted(fn func(roger.DirectoryChange)) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.committed = append(s.committed, fn)
}

func (s *Store) pagesCommitted(ch roger.DirectoryChange) {
	s.watchMu.Lock()
	committed := s.committed
	s.watchMu.Unlock()
	for _, fn := range committed {
		fn(ch)
	}
}

func (s *Store) directoryChanged() {
	s.watchMu.Lock()
	watchers := s.watchers
	s.watchMu.Unlock()
	for _, fn := range watchers {
		fn()
	}
}

// ReplicatorVersions returns every replicator's directory version, of
// every organisation.
func (s *Store) ReplicatorVersions(ctx context.Context) ([]roger.ReplicatorVersion, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, org_id, name, contact_url, division, directory_version, removals_floor FROM replicators ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("replicator versions: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.ReplicatorVersion
	for rows.Next() {
		var v roger.ReplicatorVersion
		if err := rows.Scan(&v.ID, &v.OrgID, &v.Name, &v.ContactURL, &v.Division, &v.Version, &v.RemovalsFloor); err != nil {
			return nil, fmt.Errorf("replicator versions: %w", dbError(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replicator versions: %w", dbError(err))
	}
	return out, nil
}

// ForEachEntrySince streams to fn the replicator's entries written at a
// directory version above after, in no particular order; after -1 streams
// them all (entries written before versions existed have version 0).
func (s *Store) ForEachEntrySince(ctx context.Context, replicatorID, after int64, fn func(*roger.Entry) error) error {
	return s.eachEntry(ctx, "read changed entries", `SELECT `+scanEntryColumns+` FROM entries e WHERE e.replicator_id = ? AND e.version > ?`,
		[]any{replicatorID, after}, fn)
}

// RemovedSince returns the ids of the replicator's entries removed at a
// directory version above after.
func (s *Store) RemovedSince(ctx context.Context, replicatorID, after int64) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT entry_id FROM entry_removals WHERE replicator_id = ? AND version > ?`), replicatorID, after)
	if err != nil {
		return nil, fmt.Errorf("read removed entries: %w", dbError(err))
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read removed entries: %w", dbError(err))
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PruneRemovals forgets the removals recorded before before, raising each
// replicator's RemovalsFloor to the newest version it forgets. It returns
// how many it forgot.
func (s *Store) PruneRemovals(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cut := ms(before)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET removals_floor =
			(SELECT MAX(r.version) FROM entry_removals r WHERE r.replicator_id = replicators.id AND r.removed < ?)
			WHERE id IN (SELECT replicator_id FROM entry_removals WHERE removed < ?)`), cut, cut); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM entry_removals WHERE removed < ?`), cut)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune removals: %w", dbError(err))
	}
	return int(n), nil
}
