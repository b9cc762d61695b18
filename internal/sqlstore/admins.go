package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

const userColumns = `id, org_id, email, password_hash, created, role, last_sign_in`

func scanUser(row scanner) (*roger.User, error) {
	var u roger.User
	var created, lastSignIn int64
	var role string
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.PasswordHash, &created, &role, &lastSignIn); err != nil {
		return nil, err
	}
	u.Role, u.Created, u.LastSignIn = roger.Role(role), fromMS(created), fromMS(lastSignIn)
	return &u, nil
}

// FindUser returns an admin of an organisation.
func (s *Store) FindUser(ctx context.Context, orgID, id int64) (*roger.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE id = ? AND org_id = ?`), id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "There is no admin with id %d.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", dbError(err))
	}
	return u, nil
}

// RecordSignIn notes a successful sign-in for the admins page.
func (s *Store) RecordSignIn(ctx context.Context, userID int64) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE users SET last_sign_in = ? WHERE id = ?`), s.now(), userID); err != nil {
		return fmt.Errorf("record sign-in: %w", dbError(err))
	}
	return nil
}

// lockAdmins serialises changes to an organisation's admins within tx.
// SQLite has one writer anyway; on PostgreSQL two owners removing each
// other at once would each still see the other and both succeed, leaving
// no owner, so the organisation's row is locked first (a no-op UPDATE
// takes the row lock in both databases).
func (s *Store) lockAdmins(ctx context.Context, tx *sql.Tx, orgID int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE organizations SET pop_link_generation = pop_link_generation WHERE id = ?`), orgID); err != nil {
		return fmt.Errorf("lock admins: %w", err)
	}
	return nil
}

// remaining counts an organisation's admins and owners within tx.
func (s *Store) remaining(ctx context.Context, tx *sql.Tx, orgID int64) (admins, owners int, err error) {
	err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN role = 'owner' THEN 1 ELSE 0 END), 0) FROM users WHERE org_id = ?`), orgID).
		Scan(&admins, &owners)
	return admins, owners, err
}

// lockedAdmin locks the organisation's admins within tx (see lockAdmins)
// and reads the one with id, so that the count of admins and owners that
// follows cannot change before tx ends.
func (s *Store) lockedAdmin(ctx context.Context, tx *sql.Tx, orgID, id int64, op string) (*roger.User, error) {
	if err := s.lockAdmins(ctx, tx, orgID); err != nil {
		return nil, err
	}
	u, err := scanUser(tx.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE id = ? AND org_id = ?`), id, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "There is no admin with id %d.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return u, nil
}

// DeleteUser removes an admin of an organisation, their sessions with
// them. The last admin and the last owner are never removed: nobody
// could manage the organisation afterwards.
func (s *Store) DeleteUser(ctx context.Context, orgID, id int64) (*roger.User, error) {
	var removed *roger.User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		u, err := s.lockedAdmin(ctx, tx, orgID, id, "remove admin")
		if err != nil {
			return err
		}
		admins, owners, err := s.remaining(ctx, tx, orgID)
		if err != nil {
			return fmt.Errorf("remove admin: %w", err)
		}
		switch {
		case admins <= 1:
			return roger.Errorf(roger.ECONFLICT, "%s is the organisation's only admin and cannot be removed.", u.Email)
		case u.Role == roger.RoleOwner && owners <= 1:
			return roger.Errorf(roger.ECONFLICT, "%s is the organisation's only owner and cannot be removed: make another admin an owner first.", u.Email)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), id); err != nil {
			return fmt.Errorf("remove admin: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM users WHERE id = ?`), id); err != nil {
			return fmt.Errorf("remove admin: %w", err)
		}
		u.PasswordHash = ""
		removed = u
		return nil
	})
	return removed, err
}

// SetUserRole changes an admin's role. The last owner keeps theirs.
func (s *Store) SetUserRole(ctx context.Context, orgID, id int64, role roger.Role) (*roger.User, error) {
	if _, err := roger.ParseRole(string(role)); err != nil {
		return nil, err
	}
	var changed *roger.User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		u, err := s.lockedAdmin(ctx, tx, orgID, id, "change role")
		if err != nil {
			return err
		}
		_, owners, err := s.remaining(ctx, tx, orgID)
		if err != nil {
			return fmt.Errorf("change role: %w", err)
		}
		if u.Role == roger.RoleOwner && role != roger.RoleOwner && owners <= 1 {
			return roger.Errorf(roger.ECONFLICT, "%s is the organisation's only owner: make another admin an owner first.", u.Email)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET role = ? WHERE id = ?`), string(role), id); err != nil {
			return fmt.Errorf("change role: %w", err)
		}
		u.Role, u.PasswordHash = role, ""
		changed = u
		return nil
	})
	return changed, err
}

// CreatePasswordReset makes a one-time link token for an admin to set a
// new password, valid until expires. Only its hash is stored; an older
// link of the same admin stops working.
func (s *Store) CreatePasswordReset(ctx context.Context, orgID, userID int64, expires time.Time) (string, error) {
	token := rand.Text() + rand.Text()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE id = ? AND org_id = ?`), userID, orgID).Scan(&n); err != nil {
			return fmt.Errorf("create password reset: %w", err)
		}
		if n == 0 {
			return roger.Errorf(roger.ENOTFOUND, "There is no admin with id %d.", userID)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM password_resets WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("create password reset: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO password_resets (token_hash, user_id, expires) VALUES (?, ?, ?)`),
			resetHash(token), userID, ms(expires)); err != nil {
			return fmt.Errorf("create password reset: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func resetHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var errResetGone = roger.Errorf(roger.ENOTFOUND, "This password link has been used or has expired. Ask an owner of your organisation for a new one.")

// FindPasswordReset returns the admin a live reset token is for.
func (s *Store) FindPasswordReset(ctx context.Context, token string) (*roger.User, error) {
	var expires int64
	var userID int64
	err := s.read.QueryRowContext(ctx, s.q(`SELECT user_id, expires FROM password_resets WHERE token_hash = ?`), resetHash(token)).Scan(&userID, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= s.now()) {
		return nil, errResetGone
	}
	if err != nil {
		return nil, fmt.Errorf("find password reset: %w", dbError(err))
	}
	u, err := scanUser(s.read.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE id = ?`), userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errResetGone
	}
	if err != nil {
		return nil, fmt.Errorf("find password reset: %w", dbError(err))
	}
	u.PasswordHash = ""
	return u, nil
}

// UsePasswordReset sets the password of the admin a live reset token is
// for, once: the token is deleted with it, and the admin's sessions end.
func (s *Store) UsePasswordReset(ctx context.Context, token, hash string) (*roger.User, error) {
	var u *roger.User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var userID, expires int64
		err := tx.QueryRowContext(ctx, s.q(`DELETE FROM password_resets WHERE token_hash = ? RETURNING user_id, expires`), resetHash(token)).Scan(&userID, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= s.now()) {
			return errResetGone
		}
		if err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		found, err := scanUser(tx.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE id = ?`), userID))
		if err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE id = ?`), hash, userID); err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		found.PasswordHash = ""
		u = found
		return nil
	})
	return u, err
}

// DeleteExpiredPasswordResets removes reset links that have expired and
// returns how many it removed.
func (s *Store) DeleteExpiredPasswordResets(ctx context.Context) (int, error) {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM password_resets WHERE expires <= ?`), s.now())
	if err != nil {
		return 0, fmt.Errorf("delete expired password resets: %w", dbError(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
