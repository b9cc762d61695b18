package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

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
		return "", fmt.Errorf("read client secret: %w", dbError(err))
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
		return nil, fmt.Errorf("read token: %w", dbError(err))
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

// UpdateToken serialises refreshes without holding the database while
// fn runs (fn calls Exact's token endpoint, which may take 30 s): a mutex
// within the process, and across processes a lease on the credentials row,
// claimed and released in short transactions of their own. A process that
// finds the lease held by another waits for it, polling with backoff until
// ctx ends, so that the token it then reads is the one the holder stored.
// A holder renews its lease while fn runs; the lease of one that crashed
// runs out after refreshLease, or at once when it was held by a process on
// this host that is gone.
//
// The token fn returns is stored before UpdateToken returns, and only if
// the row still holds the token fn was given: a token stored meanwhile (the
// application authorized again, the token cleared) is newer than the
// refresh and is kept. When the store fails, the refreshed token stays in
// this process and is stored before anything else at the next UpdateToken
// of the replicator, since Exact has already replaced the stored refresh
// token with it. An error from fn stores nothing.
func (ts *tokenStore) UpdateToken(ctx context.Context, fn func(current *roger.Token) (*roger.Token, error)) error {
	s, id := ts.s, ts.id
	m := s.tokenLock(id)
	m.Lock()
	defer m.Unlock()
	if err := s.storePending(ctx, id); err != nil {
		return err
	}
	if err := s.claimRefresh(ctx, id); err != nil {
		return err
	}
	stop := s.renewRefresh(ctx, id)
	release := true
	defer func() {
		stop()
		if release {
			_ = s.releaseRefresh(context.WithoutCancel(ctx), id)
		}
	}()
	cur, err := s.readToken(ctx, s.read, id, false)
	if err != nil {
		return err
	}
	next, err := fn(cur)
	if err != nil || next == nil {
		return err
	}
	stop()
	err = s.storeRefreshed(ctx, id, cur, next)
	if err == nil || errors.Is(err, errTokenChanged) {
		// A stored token clears the lease in the same transaction.
		release = err != nil
		return err
	}
	// The lease stays until it runs out: another instance must not refresh
	// from the stored token, which Exact no longer accepts.
	release = false
	s.setPending(id, cur, next)
	return &roger.Error{Code: roger.EUNAVAILABLE, Op: "sqlstore.UpdateToken",
		Message: "The new Exact Online token could not be saved in the database: roger keeps it and saves it before its next call to Exact; check that the database is reachable and has room.", Err: err}
}

const (
	// refreshLease is how long a claimed refresh lasts without renewal.
	// Its holder renews it every third of that while fn runs, so only a
	// holder that stopped (crashed, or frozen) loses it.
	refreshLease = 30 * time.Second
	// refreshPollMax bounds the wait between two looks at a refresh lease
	// that another holds.
	refreshPollMax = time.Second
	// storeTries is how often a refreshed token is offered to the database
	// before it is kept in memory instead.
	storeTries = 4
)

// errTokenChanged says the stored token is no longer the one a refresh
// started from.
var errTokenChanged = errors.New("the stored token changed during the refresh")

func tokenChanged() error {
	return &roger.Error{Code: roger.EUNAVAILABLE, Op: "sqlstore.UpdateToken", Err: errTokenChanged,
		Message: "The Exact Online token was replaced while roger refreshed it (the application was authorized again, or the authorization was removed): roger uses the stored one from its next call on."}
}

// holder names one store handle in the leases it takes, and the process
// it runs in (see process.go).
type holder struct {
	once           sync.Once
	owner, process string
}

func (h *holder) get() (owner, process string) {
	h.once.Do(func() {
		h.process = thisProcess()
		var b [8]byte
		_, _ = rand.Read(b[:])
		h.owner = hex.EncodeToString(b[:])
	})
	return h.owner, h.process
}

// claimRefresh takes the refresh lease of replicator id, waiting while
// another holds it.
func (s *Store) claimRefresh(ctx context.Context, id int64) error {
	wait := 20 * time.Millisecond
	for {
		got, err := s.tryClaimRefresh(ctx, id)
		if err != nil {
			return fmt.Errorf("claim the token refresh: %w", err)
		}
		if got {
			return nil
		}
		if s.onRefreshWait != nil {
			s.onRefreshWait()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return &roger.Error{Code: roger.EUNAVAILABLE, Op: "sqlstore.UpdateToken",
				Message: "Another roger instance is refreshing the Exact Online token and has not finished yet: try again in a minute.", Err: ctx.Err()}
		case <-t.C:
		}
		wait = min(2*wait, refreshPollMax)
	}
}

// tryClaimRefresh takes the refresh lease when it is free, has run out, is
// already this handle's, or is held by a process of this host that is gone.
func (s *Store) tryClaimRefresh(ctx context.Context, id int64) (bool, error) {
	owner, process := s.holder.get()
	now := s.now()
	until := now + refreshLease.Milliseconds()
	got := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO credentials (replicator_id, updated) VALUES (?, ?) ON CONFLICT (replicator_id) DO NOTHING`), id, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE credentials SET refresh_owner = ?, refresh_process = ?, refresh_until = ?
			WHERE replicator_id = ? AND (refresh_owner = '' OR refresh_owner = ? OR refresh_until < ?)`), owner, process, until, id, owner, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			got = true
			return nil
		}
		var heldBy, heldIn string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT refresh_owner, refresh_process FROM credentials WHERE replicator_id = ?`), id).Scan(&heldBy, &heldIn); err != nil {
			return err
		}
		if !processGone(heldIn, process) {
			return nil
		}
		res, err = tx.ExecContext(ctx, s.q(`UPDATE credentials SET refresh_owner = ?, refresh_process = ?, refresh_until = ?
			WHERE replicator_id = ? AND refresh_owner = ? AND refresh_process = ?`), owner, process, until, id, heldBy, heldIn)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		got = n == 1
		return nil
	})
	return got, err
}

// renewRefresh keeps this handle's refresh lease of replicator id alive
// until the returned stop is called; stop waits for a renewal under way, so
// none lands after the lease is released. A renewal that finds the lease
// lost stops: the store that follows checks the row, not the lease.
func (s *Store) renewRefresh(ctx context.Context, id int64) (stop func()) {
	owner, _ := s.holder.get()
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(refreshLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			res, err := s.write.ExecContext(ctx, s.q(`UPDATE credentials SET refresh_until = ? WHERE replicator_id = ? AND refresh_owner = ?`),
				s.now()+refreshLease.Milliseconds(), id, owner)
			if err != nil {
				continue // the next tick tries again while the lease lasts
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-exited
	}
}

// releaseRefresh gives up this handle's refresh lease of replicator id.
func (s *Store) releaseRefresh(ctx context.Context, id int64) error {
	owner, _ := s.holder.get()
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE credentials SET refresh_owner = '', refresh_process = '', refresh_until = 0 WHERE replicator_id = ? AND refresh_owner = ?`), id, owner)
	if err != nil {
		return fmt.Errorf("release the token refresh: %w", dbError(err))
	}
	return nil
}

// storeRefreshed stores next, refreshed from from, if the row still holds
// from, and releases this handle's refresh lease in the same transaction.
// A failing database is tried a few times; errTokenChanged is not retried.
func (s *Store) storeRefreshed(ctx context.Context, id int64, from, next *roger.Token) error {
	owner, _ := s.holder.get()
	wait := 100 * time.Millisecond
	var err error
	for try := 1; ; try++ {
		err = s.tx(ctx, func(tx *sql.Tx) error {
			stored, err := s.readToken(ctx, tx, id, true)
			if err != nil && roger.ErrorCodeOf(err) != roger.EREAUTHORIZE {
				return err
			}
			if !sameToken(stored, from) {
				return tokenChanged()
			}
			if err := s.writeToken(ctx, tx, id, next); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.q(`UPDATE credentials SET refresh_owner = '', refresh_process = '', refresh_until = 0 WHERE replicator_id = ? AND refresh_owner = ?`), id, owner)
			return err
		})
		if err == nil || errors.Is(err, errTokenChanged) || try == storeTries {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// sameToken reports whether a and b are the same token (both nil, or the
// same pair); a token that cannot be opened is nil here.
func sameToken(a, b *roger.Token) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// pendingToken is a refreshed token the database did not take, and the
// token it was refreshed from.
type pendingToken struct {
	from, next *roger.Token
}

func (s *Store) setPending(id int64, from, next *roger.Token) {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	if s.pending == nil {
		s.pending = map[int64]pendingToken{}
	}
	s.pending[id] = pendingToken{from: from, next: next}
}

// storePending stores the refreshed token of replicator id that an
// earlier UpdateToken could not store. The caller holds the replicator's
// token lock.
func (s *Store) storePending(ctx context.Context, id int64) error {
	s.tokenMu.Lock()
	p, ok := s.pending[id]
	s.tokenMu.Unlock()
	if !ok {
		return nil
	}
	err := s.storeRefreshed(ctx, id, p.from, p.next)
	if err != nil && !errors.Is(err, errTokenChanged) {
		return &roger.Error{Code: roger.EUNAVAILABLE, Op: "sqlstore.UpdateToken",
			Message: "A new Exact Online token still waits to be saved in the database: check that the database is reachable and has room; roger tries again at its next call.", Err: err}
	}
	s.tokenMu.Lock()
	delete(s.pending, id)
	s.tokenMu.Unlock()
	return nil
}

// ResealAll re-seals every stored secret with reseal (the secret key
// rotation), each row in its own transaction; it returns how many changed.
func (s *Store) ResealAll(ctx context.Context, reseal func(sealed, binding string) (string, bool, error)) (int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT replicator_id, client_secret, token, webhook_secret FROM credentials ORDER BY replicator_id`)
	if err != nil {
		return 0, fmt.Errorf("reseal: %w", dbError(err))
	}
	type row struct {
		id                     int64
		secret, token, webhook string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.secret, &r.token, &r.webhook); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reseal: %w", dbError(err))
		}
		all = append(all, r)
	}
	rows.Close()
	changed := 0
	for _, r := range all {
		for _, c := range []struct {
			column, sealed, binding string
		}{{"client_secret", r.secret, secretBinding(r.id)}, {"token", r.token, tokenBinding(r.id)}, {"webhook_secret", r.webhook, webhookSecretBinding(r.id)}} {
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
				return changed, fmt.Errorf("reseal %s of replicator %d: %w", c.column, r.id, dbError(err))
			}
		}
	}
	return changed, nil
}

// ClearToken forgets a replicator's token: it belonged to another app or
// host, and the replicator must be authorized again.
func (s *Store) ClearToken(ctx context.Context, id int64) error {
	if _, err := s.write.ExecContext(ctx, s.q(`UPDATE credentials SET token = '', updated = ? WHERE replicator_id = ?`), s.now(), id); err != nil {
		return fmt.Errorf("clear token: %w", dbError(err))
	}
	return nil
}
