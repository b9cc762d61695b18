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
	if u.Role == "" {
		u.Role = roger.RoleOwner
	}
	if _, err := roger.ParseRole(string(u.Role)); err != nil {
		return err
	}
	now := s.now()
	err := s.write.QueryRowContext(ctx, s.q(`INSERT INTO users (org_id, email, password_hash, created, role) VALUES (?, ?, ?, ?, ?) RETURNING id`),
		u.OrgID, u.Email, u.PasswordHash, now, string(u.Role)).Scan(&u.ID)
	if isUniqueViolation(err) {
		return s.userInUse(ctx, u)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", dbError(err))
	}
	u.Created = fromMS(now)
	return nil
}

// userInUse explains why u's e-mail address cannot be added. Addresses
// are unique across organisations (an admin signs in with the address
// alone), but telling one organisation that an address is registered in
// another would tell it who uses roger: only an address already in u's
// own organisation, which its admins can see, is named as such.
func (s *Store) userInUse(ctx context.Context, u *roger.User) error {
	var orgID int64
	err := s.write.QueryRowContext(ctx, s.q(`SELECT org_id FROM users WHERE email = ?`), u.Email).Scan(&orgID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("create user: %w", err)
	}
	if err == nil && orgID == u.OrgID {
		return roger.Errorf(roger.ECONFLICT, "%s is already an admin of this organisation.", u.Email)
	}
	return roger.Errorf(roger.EINVALID, "%s cannot be added as an admin; use another e-mail address for them.", u.Email)
}

// FindUserByEmail returns the user with this e-mail address.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*roger.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE email = ?`),
		strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "There is no user with e-mail address %s.", email)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", dbError(err))
	}
	return u, nil
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
