package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// CreateOAuthState issues the single-use state of one authorization: it is
// bound to the replicator and to the admin's session (empty for a command
// line authorization) and expires after ttl.
func (s *Store) CreateOAuthState(ctx context.Context, replicatorID int64, sessionID string, ttl time.Duration) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	now := s.clock.Now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM oauth_states WHERE expires < ?`), now.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO oauth_states (state, replicator_id, session_id, expires) VALUES (?, ?, ?, ?)`),
			state, replicatorID, sessionID, now.Add(ttl).UnixMilli())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create OAuth state: %w", dbError(err))
	}
	return state, nil
}

// ConsumeOAuthState takes a state back: it works once, and only before it
// expires. It returns the replicator and session it was issued for.
func (s *Store) ConsumeOAuthState(ctx context.Context, state string) (replicatorID int64, sessionID string, err error) {
	var expires int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`DELETE FROM oauth_states WHERE state = ? RETURNING replicator_id, session_id, expires`), state).
			Scan(&replicatorID, &sessionID, &expires)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && expires < s.clock.Now().UnixMilli()) {
		return 0, "", roger.Errorf(roger.EINVALID, "This authorization link was already used or has expired: start again with Authorize application.")
	}
	if err != nil {
		return 0, "", fmt.Errorf("consume OAuth state: %w", dbError(err))
	}
	return replicatorID, sessionID, nil
}
