package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/roger365io/roger"
)

func secretBinding(id int64) string {
	return "replicator/" + strconv.FormatInt(id, 10) + "/client_secret"
}
func tokenBinding(id int64) string { return "replicator/" + strconv.FormatInt(id, 10) + "/token" }

// SaveClientSecret seals and stores a replicator's client secret and keeps
// its last four characters as the hint shown in the portal.
func (s *Store) SaveClientSecret(ctx context.Context, id int64, secret string) error {
	sealed, err := s.sealer.Seal([]byte(secret), secretBinding(id))
	if err != nil {
		return fmt.Errorf("seal client secret: %w", err)
	}
	hint := secret
	if len(hint) > 4 {
		hint = hint[len(hint)-4:]
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO credentials (replicator_id, client_secret, updated) VALUES (?, ?, ?)
			ON CONFLICT (replicator_id) DO UPDATE SET client_secret = excluded.client_secret, updated = excluded.updated`), id, sealed, s.now()); err != nil {
			return fmt.Errorf("save client secret: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET client_secret_hint = ? WHERE id = ?`), hint, id); err != nil {
			return fmt.Errorf("save client secret: %w", err)
		}
		return nil
	})
}

// ClientSecret returns a replicator's client secret in the clear, for the
// token endpoint only.
func (s *Store) ClientSecret(ctx context.Context, id int64) (string, error) {
	var sealed string
	err := s.read.QueryRowContext(ctx, s.q(`SELECT client_secret FROM credentials WHERE replicator_id = ?`), id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == "") {
		return "", roger.Errorf(roger.EINVALID, "Replicator %d has no Client Secret yet: paste the app's Client Secret from the Exact App Center.", id)
	}
	if err != nil {
		return "", fmt.Errorf("read client secret: %w", err)
	}
	plain, err := s.sealer.Open(sealed, secretBinding(id))
	if err != nil {
		return "", &roger.Error{Code: roger.EINTERNAL, Message: "The stored Client Secret cannot be opened with the configured secret keys (was ROGER_SECRET_KEY changed?). Enter the Client Secret again.", Err: err}
	}
	return string(plain), nil
}

type storedToken struct {
	Access   string `json:"a"`
	Refresh  string `json:"r"`
	Expiry   int64  `json:"e"`
	Obtained int64  `json:"o"`
}

func (s *Store) readToken(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64, lock bool) (*roger.Token, error) {
	query := `SELECT token FROM credentials WHERE replicator_id = ?`
	if lock && s.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	var sealed string
	err := q.QueryRowContext(ctx, s.q(query), id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == "") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	plain, err := s.sealer.Open(sealed, tokenBinding(id))
	if err != nil {
		return nil, &roger.Error{Code: roger.EREAUTHORIZE, Message: "The stored Exact Online token cannot be opened with the configured secret keys: authorize the application again.", Err: err}
	}
	var st storedToken
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	return &roger.Token{AccessToken: st.Access, RefreshToken: st.Refresh, Expiry: fromMS(st.Expiry), Obtained: fromMS(st.Obtained)}, nil
}

func (s *Store) writeToken(ctx context.Context, tx *sql.Tx, id int64, t *roger.Token) error {
	plain, err := json.Marshal(storedToken{Access: t.AccessToken, Refresh: t.RefreshToken, Expiry: ms(t.Expiry), Obtained: ms(t.Obtained)})
	if err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(plain, tokenBinding(id))
	if err != nil {
		return fmt.Errorf("seal token: %w", err)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO credentials (replicator_id, token, updated) VALUES (?, ?, ?)
		ON CONFLICT (replicator_id) DO UPDATE SET token = excluded.token, updated = excluded.updated`), id, sealed, s.now())
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

// SaveToken stores a token obtained by authorizing (the code exchange).
func (s *Store) SaveToken(ctx context.Context, id int64, t *roger.Token) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.writeToken(ctx, tx, id, t) })
}

// TokenStore returns the roger.TokenStore of one replicator.
func (s *Store) TokenStore(id int64) roger.TokenStore { return &tokenStore{s: s, id: id} }

type tokenStore struct {
	s  *Store
	id int64
}

func (ts *tokenStore) LoadToken(ctx context.Context) (*roger.Token, error) {
	t, err := ts.s.readToken(ctx, ts.s.read, ts.id, false)
	if err == nil && t == nil {
		return nil, roger.Errorf(roger.EREAUTHORIZE, "Replicator %d has not been authorized yet: click Authorize application.", ts.id)
	}
	return t, err
}

func (s *Store) tokenLock(id int64) *sync.Mutex {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	m, ok := s.tokenLocks[id]
	if !ok {
		m = &sync.Mutex{}
		s.tokenLocks[id] = m
	}
	return m
}

// UpdateToken serialises refreshes: a mutex within the process, and a
// database lock across processes (PostgreSQL's row lock; SQLite's write
// lock, taken at BEGIN IMMEDIATE, which also covers a CLI command running
// beside the server). The token is re-read under the lock and what fn
// returns is committed before UpdateToken returns; an error from fn stores
// nothing.
func (ts *tokenStore) UpdateToken(ctx context.Context, fn func(current *roger.Token) (*roger.Token, error)) error {
	m := ts.s.tokenLock(ts.id)
	m.Lock()
	defer m.Unlock()
	return ts.s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, ts.s.q(`INSERT INTO credentials (replicator_id, updated) VALUES (?, ?) ON CONFLICT (replicator_id) DO NOTHING`), ts.id, ts.s.now()); err != nil {
			return err
		}
		cur, err := ts.s.readToken(ctx, tx, ts.id, true)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil || next == nil {
			return err
		}
		return ts.s.writeToken(ctx, tx, ts.id, next)
	})
}

// ResealAll re-seals every stored secret with reseal (the secret key
// rotation), each row in its own transaction; it returns how many changed.
func (s *Store) ResealAll(ctx context.Context, reseal func(sealed, binding string) (string, bool, error)) (int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT replicator_id, client_secret, token FROM credentials ORDER BY replicator_id`)
	if err != nil {
		return 0, fmt.Errorf("reseal: %w", err)
	}
	type row struct {
		id            int64
		secret, token string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.secret, &r.token); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reseal: %w", err)
		}
		all = append(all, r)
	}
	rows.Close()
	changed := 0
	for _, r := range all {
		for _, c := range []struct {
			column, sealed, binding string
		}{{"client_secret", r.secret, secretBinding(r.id)}, {"token", r.token, tokenBinding(r.id)}} {
			if c.sealed == "" {
				continue
			}
			// The token store's lock keeps a refresh from racing the
			// rewrite of the same row.
			m := s.tokenLock(r.id)
			m.Lock()
			next, ok, err := reseal(c.sealed, c.binding)
			if err == nil && ok {
				_, err = s.write.ExecContext(ctx, s.q(`UPDATE credentials SET `+c.column+` = ? WHERE replicator_id = ? AND `+c.column+` = ?`), next, r.id, c.sealed)
				changed++
			}
			m.Unlock()
			if err != nil {
				return changed, fmt.Errorf("reseal %s of replicator %d: %w", c.column, r.id, err)
			}
		}
	}
	return changed, nil
}

// ClearToken forgets a replicator's token: it belonged to another app or
// host, and the replicator must be authorized again.
func (s *Store) ClearToken(ctx context.Context, id int64) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE credentials SET token = '', updated = ? WHERE replicator_id = ?`), s.now(), id); err != nil {
		return fmt.Errorf("clear token: %w", err)
	}
	return nil
}
