package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// The writes of the replicator service. Each changes only the columns of
// its own action, in one transaction, so a settings save, a credentials
// save, the syncer's state changes and a token rotation never overwrite
// each other; a state change is a compare-and-swap on the state it was
// decided from.

func (s *Store) changeState(ctx context.Context, tx *sql.Tx, id int64, c roger.StateChange) (bool, error) {
	set, args := `state = ?, state_message = ?, updated = ?`, []any{string(c.To), c.Message, s.now()}
	if c.Due {
		set += `, next_sync_at = ?`
		args = append(args, s.now())
	}
	where := ` WHERE id = ?`
	args = append(args, id)
	if c.From != roger.StateNew {
		where += ` AND state = ?`
		args = append(args, string(c.From))
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET `+set+where), args...)
	if err != nil {
		return false, fmt.Errorf("change replicator state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ChangeState applies c and reports whether it did: false when the state
// was no longer c.From (another action changed it first).
func (s *Store) ChangeState(ctx context.Context, id int64, c roger.StateChange) (bool, error) {
	var changed bool
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		changed, err = s.changeState(ctx, tx, id, c)
		return err
	})
	return changed, err
}

// CreateReplicatorWithSecret stores a new replicator and its sealed client
// secret together, or neither.
func (s *Store) CreateReplicatorWithSecret(ctx context.Context, r *roger.Replicator, secret string) error {
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO replicators (org_id, name, source, entity, exact_url, division, client_id,
			client_secret_hint, contact_url, default_country, interval_seconds, state, state_message, next_sync_at, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.OrgID, r.Name, r.Source, string(r.Entity), r.ExactURL, r.Division, r.ClientID, secretHint(secret), r.ContactURL,
			r.DefaultCountry, int64(r.Interval/time.Second), string(r.State), r.StateMessage, ms(r.NextSyncAt), now, now).Scan(&r.ID)
		if err != nil {
			return err
		}
		return s.writeClientSecret(ctx, tx, r.ID, secret)
	})
	if isUniqueViolation(err) {
		if other, ferr := s.FindReplicatorByClientID(ctx, r.ClientID); ferr == nil {
			return clientIDConflict(other)
		}
	}
	if err != nil {
		r.ID = 0
		return fmt.Errorf("create replicator: %w", err)
	}
	r.ClientSecretHint, r.Created, r.Updated = secretHint(secret), fromMS(now), fromMS(now)
	return nil
}

func secretHint(secret string) string {
	if len(secret) > 4 {
		return secret[len(secret)-4:]
	}
	return secret
}

func (s *Store) writeClientSecret(ctx context.Context, tx *sql.Tx, id int64, secret string) error {
	sealed, err := s.sealer.Seal([]byte(secret), secretBinding(id))
	if err != nil {
		return fmt.Errorf("seal client secret: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO credentials (replicator_id, client_secret, updated) VALUES (?, ?, ?)
		ON CONFLICT (replicator_id) DO UPDATE SET client_secret = excluded.client_secret, updated = excluded.updated`), id, sealed, s.now()); err != nil {
		return fmt.Errorf("save client secret: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET client_secret_hint = ? WHERE id = ?`), secretHint(secret), id); err != nil {
		return fmt.Errorf("save client secret: %w", err)
	}
	return nil
}

// SaveCredentials applies c to replicator id of organisation orgID in one
// transaction: Client ID, host, sealed secret and hint, the token cleared
// and the state all change, or none does. A Client ID another replicator
// uses is refused with ECONFLICT.
func (s *Store) SaveCredentials(ctx context.Context, orgID, id int64, c roger.CredentialsChange) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET client_id = ?, exact_url = ?, updated = ? WHERE id = ? AND org_id = ?`),
			c.ClientID, c.ExactURL, s.now(), id, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("replicator", id)
		}
		if c.ClientSecret != "" {
			if err := s.writeClientSecret(ctx, tx, id, c.ClientSecret); err != nil {
				return err
			}
		}
		if c.WebhookSecret != "" {
			if err := s.writeWebhookSecret(ctx, tx, id, c.WebhookSecret); err != nil {
				return err
			}
		}
		if !c.Reauthorize {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE credentials SET token = '', updated = ? WHERE replicator_id = ?`), s.now(), id); err != nil {
			return fmt.Errorf("clear token: %w", err)
		}
		if _, err := s.changeState(ctx, tx, id, c.State); err != nil {
			return err
		}
		return nil
	})
	if isUniqueViolation(err) {
		if other, ferr := s.FindReplicatorByClientID(ctx, c.ClientID); ferr == nil && other.ID != id {
			return clientIDConflict(other)
		}
	}
	if err != nil && roger.ErrorCodeOf(err) == roger.EINTERNAL {
		return fmt.Errorf("save credentials: %w", err)
	}
	if err == nil {
		s.directoryChanged()
	}
	return err
}

// SaveSettings applies c to replicator id of organisation orgID in one
// transaction and reports whether the activation took place. Only the
// settings' own columns are written: a state the syncer set meanwhile,
// and the sync position, stay as they are.
func (s *Store) SaveSettings(ctx context.Context, orgID, id int64, c roger.SettingsChange) (activated bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET contact_url = ?, default_country = ?, interval_seconds = ?, division = ?, updated = ?
			WHERE id = ? AND org_id = ?`), c.ContactURL, c.DefaultCountry, int64(c.Interval/time.Second), c.Division, s.now(), id, orgID)
		if err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("replicator", id)
		}
		if c.ResetSync {
			// As StartFullSync, for a replicator that has read anything.
			res, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET pass = pass + 1, cursor = 0, deleted_cursor = 0, resume_url = '', full_sync = 1,
				division_move_date = 0 WHERE id = ? AND (cursor <> 0 OR full_sync <> 0)`), id)
			if err != nil {
				return fmt.Errorf("save settings: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE entries SET source_timestamp = 0 WHERE replicator_id = ?`), id); err != nil {
					return fmt.Errorf("save settings: %w", err)
				}
			}
		}
		if c.Activate != nil {
			if activated, err = s.changeState(ctx, tx, id, *c.Activate); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.directoryChanged()
	}
	return activated, err
}

// SaveAuthorization stores the token of a finished authorization, the
// division the authorizing user is in when the replicator has none yet,
// and the state change it brings, in one transaction. It reports whether
// the state changed (false: another action changed it first).
func (s *Store) SaveAuthorization(ctx context.Context, id int64, t *roger.Token, division int, c roger.StateChange) (bool, error) {
	var changed bool
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		if err := s.writeToken(ctx, tx, id, t); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET division = ? WHERE id = ? AND division = 0`), division, id); err != nil {
			return fmt.Errorf("save authorization: %w", err)
		}
		changed, err = s.changeState(ctx, tx, id, c)
		return err
	})
	return changed, err
}
