package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/roger365io/roger"
)

// CreateUser stores a new admin and sets its ID. E-mail addresses are
// unique across organisations and compared without case.
func (s *Store) CreateUser(ctx context.Context, u *roger.User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if !strings.Contains(u.Email, "@") {
		return roger.Errorf(roger.EINVALID, "%q is not an e-mail address.", u.Email)
	}
	if u.PasswordHash == "" {
		return roger.Errorf(roger.EINVALID, "A user needs a password.")
	}
	now := s.now()
	err := s.write.QueryRowContext(ctx, s.q(`INSERT INTO users (org_id, email, password_hash, created) VALUES (?, ?, ?, ?) RETURNING id`),
		u.OrgID, u.Email, u.PasswordHash, now).Scan(&u.ID)
	if isUniqueViolation(err) {
		return roger.Errorf(roger.ECONFLICT, "There is already a user with e-mail address %s.", u.Email)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", dbError(err))
	}
	u.Created = fromMS(now)
	return nil
}

// FindUserByEmail returns the user with this e-mail address.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*roger.User, error) {
	var u roger.User
	var created int64
	err := s.read.QueryRowContext(ctx, s.q(`SELECT id, org_id, email, password_hash, created FROM users WHERE email = ?`),
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.OrgID, &u.Email, &u.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "There is no user with e-mail address %s.", email)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", dbError(err))
	}
	u.Created = fromMS(created)
	return &u, nil
}

// SetPassword replaces a user's password hash and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE id = ?`), hash, userID)
		if err != nil {
			return fmt.Errorf("set password: %w", dbError(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("user", userID)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("set password: %w", dbError(err))
		}
		return nil
	})
}
