package exactsim

import (
	"encoding/gob"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// snapshot is the simulator's state on disk: everything a client could
// notice across a restart (records, apps, token chains, subscriptions).
type snapshot struct {
	Version   int
	Users     []User
	Apps      []App
	Divisions []divisionSnapshot
	Chains    []chainSnapshot
	Access    []accessSnapshot
	Refresh   []refreshSnapshot
	Hooks     []subscription
}

type divisionSnapshot struct {
	Code     int
	Name     string
	MoveDate time.Time
	LastTS   int64
	LastCode int
	LastHID  int32
	Accounts []crm.Account
	Contacts []crm.Contact
	Deleted  []deletedRow
}

type chainSnapshot struct {
	Client        crm.GUID
	User          string
	Region        string
	Refresh, Prev string
	RefreshIssued time.Time
	Issued        time.Time
	Access        string
	TokenDay      string
	TokenCalls    int
}

type accessSnapshot struct {
	Token   string
	Client  crm.GUID
	User    string
	Region  string
	Expires time.Time
}

type refreshSnapshot struct {
	Token  string
	Client crm.GUID
	User   string
}

const snapshotVersion = 1

// Save writes the state to path atomically (a temporary file renamed over
// the old one), so a crash mid-save leaves the previous state intact.
func (s *Simulator) Save(path string) error {
	s.mu.Lock()
	snap := s.snapshotLocked()
	s.dirty = false
	s.mu.Unlock()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".exactsim-*")
	if err != nil {
		return fmt.Errorf("save simulator state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := gob.NewEncoder(tmp).Encode(snap); err != nil {
		tmp.Close()
		return fmt.Errorf("save simulator state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save simulator state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save simulator state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save simulator state: %w", err)
	}
	return nil
}

// Dirty reports whether the state changed since the last Save or Load.
func (s *Simulator) Dirty() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dirty
}

func (s *Simulator) snapshotLocked() *snapshot {
	snap := &snapshot{Version: snapshotVersion, Apps: s.appsLocked()}
	for _, u := range s.users {
		snap.Users = append(snap.Users, *u)
	}
	for _, d := range s.divisions {
		ds := divisionSnapshot{Code: d.Code, Name: d.Name, MoveDate: d.MoveDate, LastTS: d.lastTS, LastCode: d.lastCode, LastHID: d.lastHID}
		ds.Accounts = make([]crm.Account, 0, d.accounts.len())
		d.accounts.byID.Ascend(func(a *crm.Account) bool { ds.Accounts = append(ds.Accounts, *a); return true })
		ds.Contacts = make([]crm.Contact, 0, d.contacts.len())
		d.contacts.byID.Ascend(func(c *crm.Contact) bool { ds.Contacts = append(ds.Contacts, *c); return true })
		d.deleted.Ascend(func(r *deletedRow) bool { ds.Deleted = append(ds.Deleted, *r); return true })
		snap.Divisions = append(snap.Divisions, ds)
	}
	for k, c := range s.chains {
		snap.Chains = append(snap.Chains, chainSnapshot{Client: k.client, User: k.user, Region: c.region, Refresh: c.refresh, Prev: c.prev,
			RefreshIssued: c.refreshIssued, Issued: c.issued, Access: c.access, TokenDay: c.tokenDay, TokenCalls: c.tokenCalls})
	}
	for t, a := range s.access {
		snap.Access = append(snap.Access, accessSnapshot{Token: t, Client: a.chain.client, User: a.chain.user, Region: a.region, Expires: a.expires})
	}
	for t, r := range s.refresh {
		snap.Refresh = append(snap.Refresh, refreshSnapshot{Token: t, Client: r.chain.client, User: r.chain.user})
	}
	for _, h := range s.hooks {
		snap.Hooks = append(snap.Hooks, *h)
	}
	return snap
}

// Load replaces the state with the one saved at path.
func (s *Simulator) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load simulator state: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(f).Decode(&snap); err != nil {
		return fmt.Errorf("load simulator state from %s: the file is not a simulator state file or is damaged: %w", path, err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("load simulator state from %s: version %d is not supported (want %d)", path, snap.Version, snapshotVersion)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.apps, s.divisions = map[string]*User{}, map[crm.GUID]*App{}, map[int]*division{}
	s.chains, s.access, s.refresh, s.hooks = map[chainKey]*chain{}, map[string]*accessToken{}, map[string]*refreshToken{}, map[crm.GUID]*subscription{}
	for i := range snap.Users {
		u := snap.Users[i]
		s.users[lower(u.Name)] = &u
	}
	for i := range snap.Apps {
		a := snap.Apps[i]
		s.apps[a.ClientID] = &a
	}
	for _, ds := range snap.Divisions {
		d := newDivision(ds.Code, ds.Name, s.opts.Seed)
		d.MoveDate, d.lastTS, d.lastCode, d.lastHID = ds.MoveDate, ds.LastTS, ds.LastCode, ds.LastHID
		// New IDs must not repeat the ones drawn before the restart.
		d.rnd = rand.New(rand.NewPCG(s.opts.Seed^uint64(ds.LastTS), uint64(ds.Code)))
		for i := range ds.Accounts {
			a := ds.Accounts[i]
			d.accounts.put(&a, a.Timestamp)
		}
		for i := range ds.Contacts {
			c := ds.Contacts[i]
			d.contacts.put(&c, c.Timestamp)
		}
		for i := range ds.Deleted {
			r := ds.Deleted[i]
			d.deleted.ReplaceOrInsert(&r)
		}
		s.divisions[d.Code] = d
	}
	for _, c := range snap.Chains {
		s.chains[chainKey{client: c.Client, user: c.User}] = &chain{region: c.Region, refresh: c.Refresh, prev: c.Prev,
			refreshIssued: c.RefreshIssued, issued: c.Issued, access: c.Access, tokenDay: c.TokenDay, tokenCalls: c.TokenCalls}
	}
	for _, a := range snap.Access {
		s.access[a.Token] = &accessToken{chain: chainKey{client: a.Client, user: a.User}, region: a.Region, expires: a.Expires}
	}
	for _, r := range snap.Refresh {
		s.refresh[r.Token] = &refreshToken{chain: chainKey{client: r.Client, user: r.User}}
	}
	for i := range snap.Hooks {
		h := snap.Hooks[i]
		s.hooks[h.ID] = &h
	}
	s.dirty = false
	return nil
}
