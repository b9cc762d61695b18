package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

const apiKeyColumns = `id, org_id, name, prefix, hash, created, last_used, revoked, kind, national_form`

func scanAPIKey(row scanner) (*roger.APIKey, error) {
	var k roger.APIKey
	var created, lastUsed, revoked int64
	var kind string
	if err := row.Scan(&k.ID, &k.OrgID, &k.Name, &k.Prefix, &k.Hash, &created, &lastUsed, &revoked, &kind, &k.NationalForm); err != nil {
		return nil, err
	}
	k.Created, k.LastUsed, k.Revoked, k.Kind = fromMS(created), fromMS(lastUsed), fromMS(revoked), roger.APIKeyKind(kind)
	return &k, nil
}

// CreateAPIKey makes a new key to the lookup API for an organisation and
// returns it with the key itself, which is not stored and cannot be shown
// again.
func (s *Store) CreateAPIKey(ctx context.Context, orgID int64, name string) (*roger.APIKey, string, error) {
	return s.CreateKey(ctx, orgID, name, roger.APIKeyLookup, false)
}

// CreateKey makes a new key of the given kind; nationalForm is the LDAP
// option of numbers in the national form. It returns the key itself, which
// is not stored and cannot be shown again.
func (s *Store) CreateKey(ctx context.Context, orgID int64, name string, kind roger.APIKeyKind, nationalForm bool) (*roger.APIKey, string, error) {
	if kind != roger.APIKeyLookup && kind != roger.APIKeyLDAP {
		return nil, "", roger.Errorf(roger.EINVALID, "A key is for the lookup API or for phones (LDAP).")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", roger.Errorf(roger.EINVALID, "An API key needs a name that says where it is used, such as \"Teams contact centre\".")
	}
	if len(name) > 200 {
		return nil, "", roger.Errorf(roger.EINVALID, "An API key's name can be at most 200 characters long.")
	}
	key, prefix, err := roger.NewAPIKey()
	if err != nil {
		return nil, "", fmt.Errorf("create API key: %w", err)
	}
	k := &roger.APIKey{OrgID: orgID, Name: name, Prefix: prefix, Hash: roger.HashAPIKey(key), Kind: kind, NationalForm: nationalForm && kind == roger.APIKeyLDAP}
	now := s.now()
	err = s.write.QueryRowContext(ctx, s.q(`INSERT INTO api_keys (org_id, name, prefix, hash, created, kind, national_form) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		orgID, k.Name, k.Prefix, k.Hash, now, string(k.Kind), k.NationalForm).Scan(&k.ID)
	if err != nil {
		return nil, "", fmt.Errorf("create API key: %w", dbError(err))
	}
	k.Created = fromMS(now)
	return k, key, nil
}

// ListAPIKeys returns an organisation's keys, revoked ones included, the
// newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID int64) ([]*roger.APIKey, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT `+apiKeyColumns+` FROM api_keys WHERE org_id = ? ORDER BY id DESC`), orgID)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list API keys: %w", dbError(err))
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API keys: %w", dbError(err))
	}
	return out, nil
}

// RevokeAPIKey stops a key of the organisation from working. Revoking a
// revoked key changes nothing; a key of another organisation is not found.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id int64) error {
	r, err := s.write.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked = ? WHERE org_id = ? AND id = ? AND revoked = 0`), s.now(), orgID, id)
	if err != nil {
		return fmt.Errorf("revoke API key: %w", dbError(err))
	}
	if n, _ := r.RowsAffected(); n == 1 {
		return nil
	}
	var one int
	err = s.read.QueryRowContext(ctx, s.q(`SELECT 1 FROM api_keys WHERE org_id = ? AND id = ?`), orgID, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("API key", id)
	}
	if err != nil {
		return fmt.Errorf("revoke API key: %w", dbError(err))
	}
	return nil
}

// AuthenticateAPIKey returns the working key whose hash is HashAPIKey(key).
// An unknown or revoked key is EUNAUTHORIZED, with one message for both so
// that the answer tells an attacker nothing.
// A key for phones (LDAP) does not open the API.
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string) (*roger.APIKey, error) {
	return s.AuthenticateKey(ctx, key, roger.APIKeyLookup)
}

// AuthenticateKey returns the working key of the given kind whose hash is
// HashAPIKey(key); any other key is EUNAUTHORIZED, with one message for
// all.
func (s *Store) AuthenticateKey(ctx context.Context, key string, kind roger.APIKeyKind) (*roger.APIKey, error) {
	k, err := scanAPIKey(s.read.QueryRowContext(ctx, s.q(`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`), roger.HashAPIKey(key)))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!k.Revoked.IsZero() || k.Kind != kind)) {
		return nil, roger.Errorf(roger.EUNAUTHORIZED, "The API key is not valid: it is unknown or has been revoked.")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate API key: %w", dbError(err))
	}
	return k, nil
}

// TouchAPIKey records that a key was used at t. Callers throttle it: a
// write per lookup would put the lookup rate on the write path.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, t time.Time) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE api_keys SET last_used = ? WHERE id = ? AND last_used < ?`), ms(t), id, ms(t)); err != nil {
		return fmt.Errorf("record API key use: %w", dbError(err))
	}
	return nil
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return &roger.Error{Code: roger.EUNAVAILABLE, Message: "The database does not answer.", Err: err}
	}
	return nil
}

// APIKeysRevokedSince returns the IDs of the keys revoked at or after
// since, so that an instance holding checked keys in memory learns of a
// revocation without waiting for the key to be used again.
func (s *Store) APIKeysRevokedSince(ctx context.Context, since time.Time) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id FROM api_keys WHERE revoked <> 0 AND revoked >= ?`), ms(since))
	if err != nil {
		return nil, fmt.Errorf("list revoked API keys: %w", dbError(err))
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list revoked API keys: %w", dbError(err))
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list revoked API keys: %w", dbError(err))
	}
	return ids, nil
}
