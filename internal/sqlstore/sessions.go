package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// CreateSession stores a new portal session.
func (s *Store) CreateSession(ctx context.Context, sess *roger.Session) error {
	now := s.now()
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO sessions (id_hash, user_id, org_id, created, last_seen) VALUES (?, ?, ?, ?, ?)`),
		sess.IDHash, sess.UserID, sess.OrgID, now, now)
	if err != nil {
		return fmt.Errorf("create session: %w", dbError(err))
	}
	sess.Created, sess.LastSeen = fromMS(now), fromMS(now)
	return nil
}

// FindSession returns the session with this id hash and its user's
// address. The caller decides whether it has timed out.
func (s *Store) FindSession(ctx context.Context, idHash string) (*roger.Session, error) {
	var sess roger.Session
	var created, seen int64
	var role string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT s.id_hash, s.user_id, s.org_id, u.email, u.role, s.created, s.last_seen
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`), idHash).
		Scan(&sess.IDHash, &sess.UserID, &sess.OrgID, &sess.Email, &role, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.EUNAUTHORIZED, "Your session has ended; sign in again.")
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", dbError(err))
	}
	sess.Role = roger.Role(role)
	sess.Created, sess.LastSeen = fromMS(created), fromMS(seen)
	return &sess, nil
}

// TouchSession records activity on a session, for the idle timeout.
func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE sessions SET last_seen = ? WHERE id_hash = ?`), at.UnixMilli(), idHash); err != nil {
		return fmt.Errorf("touch session: %w", dbError(err))
	}
	return nil
}

// DeleteSession ends a session (sign-out, timeout).
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.write.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE id_hash = ?`), idHash); err != nil {
		return fmt.Errorf("delete session: %w", dbError(err))
	}
	return nil
}

// DeleteStaleSessions removes sessions idle since before idleBefore or
// started before startedBefore, and returns how many it removed.
func (s *Store) DeleteStaleSessions(ctx context.Context, idleBefore, startedBefore time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE last_seen < ? OR created < ?`), idleBefore.UnixMilli(), startedBefore.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete stale sessions: %w", dbError(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListUsers returns the admins of an organisation, by e-mail address.
func (s *Store) ListUsers(ctx context.Context, orgID int64) ([]*roger.User, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY email`), orgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", dbError(err))
		}
		// The list is shown; the hash has no business leaving the store.
		u.PasswordHash = ""
		out = append(out, u)
	}
	return out, rows.Err()
}

// APICallsSince sums the Exact API calls each replicator of an
// organisation spent in runs started at or after since.
func (s *Store) APICallsSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT r.replicator_id, SUM(r.api_calls) FROM sync_runs r JOIN replicators p ON p.id = r.replicator_id
		WHERE p.org_id = ? AND r.started >= ? GROUP BY r.replicator_id`), orgID, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("count API calls: %w", dbError(err))
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count API calls: %w", dbError(err))
		}
		out[id] = int(n)
	}
	return out, rows.Err()
}
