package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/roger365io/roger"
)

// signInLockClass is the first key of the PostgreSQL advisory locks that
// serialise sign-in attempts per key; the second is a hash of the key.
// Two-key advisory locks never collide with the one-key lock Migrate takes.
const signInLockClass = 7226916

// ReserveSignIn counts a sign-in attempt made at now against every limit,
// unless one of them already holds Max attempts made within window before
// now: then nothing is counted and retryAt is when the oldest of those
// attempts leaves the window. Otherwise it returns the attempt's id, for
// RefundSignIn. A limit with a Max below 1 is not counted.
//
// The check and the count are one transaction, serialised per key (by
// SQLite's single writer, by advisory locks on PostgreSQL), so attempts
// made at the same moment, in this process or in other instances, cannot
// all pass a check that none of them has counted yet.
func (s *Store) ReserveSignIn(ctx context.Context, limits []roger.SignInLimit, now time.Time, window time.Duration) (attempt string, retryAt time.Time, err error) {
	at, cutoff := now.UnixMilli(), now.Add(-window).UnixMilli()
	var counted []roger.SignInLimit
	for _, l := range limits {
		if l.Max > 0 {
			counted = append(counted, l)
		}
	}
	var (
		full   bool
		latest int64
	)
	id := rand.Text()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if s.dialect == Postgres {
			if err := s.lockSignInKeys(ctx, tx, counted); err != nil {
				return err
			}
		}
		for _, l := range counted {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM signin_attempts WHERE key = ? AND at <= ?`), l.Key, cutoff); err != nil {
				return err
			}
			// The Max-th newest attempt within the window: when there is
			// one, the key is used up until it leaves the window.
			var oldest int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT at FROM signin_attempts WHERE key = ? ORDER BY at DESC LIMIT 1 OFFSET ?`), l.Key, l.Max-1).Scan(&oldest)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			full, latest = true, max(latest, oldest)
		}
		if full {
			return nil
		}
		for _, l := range counted {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO signin_attempts (attempt, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), id, l.Key, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("count a sign-in attempt: %w", err)
	}
	if full {
		return "", time.UnixMilli(latest).Add(window).UTC(), nil
	}
	return id, time.Time{}, nil
}

// lockSignInKeys takes the advisory lock of every key for the rest of tx,
// in one order, so two attempts that share keys cannot deadlock.
func (s *Store) lockSignInKeys(ctx context.Context, tx *sql.Tx, limits []roger.SignInLimit) error {
	ids := make([]int32, 0, len(limits))
	for _, l := range limits {
		h := fnv.New32a()
		h.Write([]byte(l.Key))
		ids = append(ids, int32(h.Sum32()))
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, signInLockClass, id); err != nil {
			return err
		}
	}
	return nil
}

// RefundSignIn takes back a reserved attempt: its password was right, or
// was never checked. The keys in forget lose every attempt counted against
// them (an account's failures after it signed in).
func (s *Store) RefundSignIn(ctx context.Context, attempt string, forget ...string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM signin_attempts WHERE attempt = ?`), attempt); err != nil {
			return err
		}
		for _, key := range forget {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM signin_attempts WHERE key = ?`), key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("take back a sign-in attempt: %w", err)
	}
	return nil
}

// PruneSignIns deletes the attempts made before before: those of keys
// nobody tried again, which ReserveSignIn does not visit.
func (s *Store) PruneSignIns(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM signin_attempts WHERE at <= ?`), before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune sign-in attempts: %w", dbError(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
