package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ClaimFormSubmission claims a form's one-time token for the session.
// The first claim gets claimed = true and acts; any later one gets the
// location the first answered with ("" while it is still working).
func (s *Store) ClaimFormSubmission(ctx context.Context, sessionID, nonce string) (claimed bool, location string, err error) {
	res, err := s.write.ExecContext(ctx, s.q(`INSERT INTO form_submissions (session_id, nonce, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
		sessionID, nonce, s.now())
	if err != nil {
		return false, "", fmt.Errorf("claim form token: %w", dbError(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, "", nil
	}
	location, found, err := s.FormSubmission(ctx, sessionID, nonce)
	if err != nil {
		return false, "", err
	}
	if !found {
		// Released between the two statements: the first attempt did
		// not act, so this one may.
		return s.ClaimFormSubmission(ctx, sessionID, nonce)
	}
	return false, location, nil
}

// FormSubmission returns the location a claimed token's request answered
// with, "" while it works; found is false when the token is not claimed.
func (s *Store) FormSubmission(ctx context.Context, sessionID, nonce string) (location string, found bool, err error) {
	// The write pool: the claim was just written there, and a read
	// replica of the same SQLite file may not see it yet in WAL.
	err = s.write.QueryRowContext(ctx, s.q(`SELECT location FROM form_submissions WHERE session_id = ? AND nonce = ?`), sessionID, nonce).Scan(&location)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read form token: %w", dbError(err))
	}
	return location, true, nil
}

// FinishFormSubmission records where a claimed token's request sent the
// browser, for repeats to go to the same place.
func (s *Store) FinishFormSubmission(ctx context.Context, sessionID, nonce, location string) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE form_submissions SET location = ? WHERE session_id = ? AND nonce = ?`), location, sessionID, nonce); err != nil {
		return fmt.Errorf("finish form token: %w", dbError(err))
	}
	return nil
}

// ReleaseFormSubmission gives a claimed token back after a request that
// changed nothing (its form was refused), so it may be sent again.
func (s *Store) ReleaseFormSubmission(ctx context.Context, sessionID, nonce string) error {
	if _, err := s.write.ExecContext(ctx, s.q(`DELETE FROM form_submissions WHERE session_id = ? AND nonce = ?`), sessionID, nonce); err != nil {
		return fmt.Errorf("release form token: %w", dbError(err))
	}
	return nil
}

// PutFlash keeps a sealed message for the session's next page of this
// kind, replacing an unshown one.
func (s *Store) PutFlash(ctx context.Context, sessionID, kind, sealed string) error {
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO flashes (session_id, kind, sealed, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (session_id, kind) DO UPDATE SET sealed = excluded.sealed, created = excluded.created`), sessionID, kind, sealed, s.now())
	if err != nil {
		return fmt.Errorf("keep message: %w", dbError(err))
	}
	return nil
}

// TakeFlash returns and deletes the session's message of this kind; ""
// when there is none (it was shown already).
func (s *Store) TakeFlash(ctx context.Context, sessionID, kind string) (string, error) {
	var sealed string
	err := s.write.QueryRowContext(ctx, s.q(`DELETE FROM flashes WHERE session_id = ? AND kind = ? RETURNING sealed`), sessionID, kind).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("take message: %w", dbError(err))
	}
	return sealed, nil
}
