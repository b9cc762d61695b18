package exactsim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// insertRecord stores a new record. The caller holds s.mu for writing and
// tells webhooks after unlocking.
func insertRecord[T any](s *Simulator, d *division, def *entityDef[T], rec *T, by *User) {
	def.touch(d, rec, s.now(), by, true)
	def.table(d).put(rec, d.nextTS())
	s.dirty = true
}

// saveRecord replaces a record with its changed copy; the new version gets
// a new Timestamp, as every update does.
func saveRecord[T any](s *Simulator, d *division, def *entityDef[T], rec *T, by *User) {
	def.touch(d, rec, s.now(), by, false)
	def.table(d).put(rec, d.nextTS())
	s.dirty = true
}

// deleteRecord removes a record and logs it for sync/Deleted.
func deleteRecord[T any](s *Simulator, d *division, def *entityDef[T], id crm.GUID, by *User) bool {
	if _, ok := def.table(d).remove(id); !ok {
		return false
	}
	row := &deletedRow{ID: crm.RandomGUID(d.rnd), Timestamp: d.nextTS(), EntityType: def.deletedType, EntityKey: id, DeletedDate: s.now()}
	if by != nil {
		row.DeletedBy = by.ID
	}
	d.deleted.ReplaceOrInsert(row)
	s.dirty = true
	return true
}

// seedAccount and seedContact store generated records as they are, keeping
// their historical Created and Modified times.
func (s *Simulator) seed(d *division, accounts int, contacts int) {
	now := s.now()
	seedDeletedHistory(d, now, accounts, contacts, s.opts.Seed)
	d.gen.Populate(accounts, contacts, now,
		func(a *crm.Account) {
			d.accounts.put(a, d.nextTS())
			if n, err := strconv.Atoi(a.Code); err == nil && n > d.lastCode {
				d.lastCode = n
			}
		},
		func(c *crm.Contact) {
			d.contacts.put(c, d.nextTS())
			d.lastHID = max(d.lastHID, c.HID)
		})
	s.dirty = true
}

// Entity types of the deletion log other than accounts and contacts, which
// a real division's log is full of (the codes of picqer/exact-php-client
// src/Picqer/Financials/Exact/SyncDeleted.php): transaction lines,
// addresses, items, bank accounts, documents, quotations.
var otherDeletedTypes = []int{1, 3, 9, 48, 13, 23}

// seedDeletedHistory gives a division with data the deletion log a real one
// has: two months of deletions of accounts, contacts and other entity
// types, with rowversions far apart because every table of the database
// draws from the same counter. Their EntityKeys name records that are
// gone, so a first sync reads a log of records it never saw.
func seedDeletedHistory(d *division, now time.Time, accounts, contacts int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, uint64(d.Code)^0xde1e7ed))
	n := (accounts + contacts) / 8
	if n == 0 {
		return
	}
	// Spread over the last 59 days, oldest first, so none has reached the
	// 60-day retention yet.
	span := 59 * 24 * time.Hour
	start := now.Add(-span)
	user := crm.RandomGUID(r)
	for i := range n {
		typ := otherDeletedTypes[r.IntN(len(otherDeletedTypes))]
		switch p := r.IntN(100); {
		case p < 10:
			typ = deletedTypeAccount
		case p < 35:
			typ = deletedTypeContact
		}
		d.lastTS += 1 + int64(r.IntN(5000))
		d.deleted.ReplaceOrInsert(&deletedRow{
			ID: crm.RandomGUID(r), Timestamp: d.lastTS, EntityType: typ, EntityKey: crm.RandomGUID(r), DeletedBy: user,
			DeletedDate: start.Add(span * time.Duration(i) / time.Duration(n)).Truncate(time.Millisecond),
		})
	}
}

// Seed fills a division with generated accounts and contacts (deterministic
// by the simulator's seed and the division code), creating the division
// when needed.
func (s *Simulator) Seed(code, accounts, contacts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seed(s.addDivisionLocked(code, ""), accounts, contacts)
}

// Mutation asks for random changes to one entity of a division.
type Mutation struct {
	Entity  string `json:"entity"` // accounts or contacts
	Creates int    `json:"creates"`
	Updates int    `json:"updates"`
	Deletes int    `json:"deletes"`
}

// MutationResult lists the IDs a Mutation touched.
type MutationResult struct {
	Created []string `json:"created"`
	Updated []string `json:"updated"`
	Deleted []string `json:"deleted"`
}

// pickRandom returns a record near a random key; GUIDs are uniform, so
// this picks fairly without an index by position.
func pickRandom[T any](d *division, t *table[T], ok func(*T) bool) *T {
	for range 8 {
		var found *T
		t.afterID(crm.RandomGUID(d.rnd), func(r *T) bool {
			if ok == nil || ok(r) {
				found = r
				return false
			}
			return true
		})
		if found != nil {
			return found
		}
	}
	return nil
}

// Mutate makes random but realistic changes in a division, as users of
// Exact would, and sends the webhooks they cause.
func (s *Simulator) Mutate(code int, m Mutation) (MutationResult, error) {
	res := MutationResult{Created: []string{}, Updated: []string{}, Deleted: []string{}}
	if m.Creates < 0 || m.Updates < 0 || m.Deletes < 0 {
		return res, fmt.Errorf("creates, updates and deletes cannot be negative")
	}
	type event struct {
		action string
		id     crm.GUID
	}
	var events []event
	s.mu.Lock()
	d, ok := s.divisions[code]
	if !ok {
		s.mu.Unlock()
		return res, fmt.Errorf("there is no division %d", code)
	}
	now := s.now()
	topic := ""
	switch m.Entity {
	case "accounts":
		topic = accountDef.set
		for range m.Creates {
			a := d.gen.NewAccount(now)
			a.Code = ""
			insertRecord(s, d, accountDef, a, nil)
			events = append(events, event{"Create", a.ID})
		}
		for range m.Updates {
			if a := pickRandom(d, &d.accounts, nil); a != nil {
				cp := *a
				d.gen.ChangeAccount(&cp, now)
				saveRecord(s, d, accountDef, &cp, nil)
				events = append(events, event{"Update", cp.ID})
			}
		}
		for range m.Deletes {
			a := pickRandom(d, &d.accounts, func(a *crm.Account) bool { return !accountHasContacts(d, a.ID) })
			if a != nil && deleteRecord(s, d, accountDef, a.ID, nil) {
				events = append(events, event{"Delete", a.ID})
			}
		}
	case "contacts":
		topic = contactDef.set
		for range m.Creates {
			a := pickRandom(d, &d.accounts, nil)
			if a == nil {
				break
			}
			c := d.gen.NewContact(a, now)
			insertRecord(s, d, contactDef, c, nil)
			events = append(events, event{"Create", c.ID})
		}
		for range m.Updates {
			if c := pickRandom(d, &d.contacts, nil); c != nil {
				cp := *c
				d.gen.ChangeContact(&cp, now)
				saveRecord(s, d, contactDef, &cp, nil)
				events = append(events, event{"Update", cp.ID})
			}
		}
		for range m.Deletes {
			if c := pickRandom(d, &d.contacts, nil); c != nil && deleteRecord(s, d, contactDef, c.ID, nil) {
				events = append(events, event{"Delete", c.ID})
			}
		}
	default:
		s.mu.Unlock()
		return res, fmt.Errorf("entity must be accounts or contacts, not %q", m.Entity)
	}
	s.mu.Unlock()
	for _, e := range events {
		action := e.action
		switch e.action {
		case "Delete":
			res.Deleted = append(res.Deleted, e.id.String())
		case "Update":
			res.Updated = append(res.Updated, e.id.String())
		default:
			// A creation is reported as created whatever Action the
			// webhook switch makes it send.
			res.Created = append(res.Created, e.id.String())
			action = s.opts.WebhookCreateAction
		}
		s.webhook.notifyAt(code, topic, action, e.id, s.opts.BaseURL, now)
	}
	return res, nil
}

// MoveDivision moves a division to another database: every Timestamp is
// reset to a new, lower sequence, the deletion log is lost and
// DivisionMoveDate changes, which is how clients must notice.
func (s *Simulator) MoveDivision(code int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.divisions[code]
	if !ok {
		return fmt.Errorf("there is no division %d", code)
	}
	d.lastTS = int64(1000 + d.rnd.IntN(1000))
	d.accounts.restamp(d.nextTS)
	d.contacts.restamp(d.nextTS)
	d.deleted.Clear(false)
	d.MoveDate = s.now()
	s.dirty = true
	return nil
}

// SetCurrentDivision changes the division current/Me reports for a user,
// as when the user switches company in Exact's web UI.
func (s *Simulator) SetCurrentDivision(user string, code int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[strings.ToLower(user)]
	if !ok {
		return fmt.Errorf("there is no user %q", user)
	}
	if !hasDivision(u, code) {
		return fmt.Errorf("user %q has no access to division %d", user, code)
	}
	u.Current = code
	s.dirty = true
	return nil
}

// RunActivity makes perMinute random changes a minute, spread over every
// division and both entities, until ctx ends: a live Exact administration
// whose users keep editing relations.
func (s *Simulator) RunActivity(ctx context.Context, perMinute int) {
	if perMinute <= 0 {
		return
	}
	t := time.NewTicker(time.Minute / time.Duration(perMinute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		codes := make([]int, 0, len(s.divisions))
		for c := range s.divisions {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		var code, roll int
		if len(codes) > 0 {
			code, roll = codes[s.rnd.IntN(len(codes))], s.rnd.IntN(100)
		}
		s.mu.Unlock()
		if len(codes) == 0 {
			continue
		}
		m := Mutation{Entity: "contacts"}
		if roll%4 == 0 {
			m.Entity = "accounts"
		}
		switch {
		case roll < 25:
			m.Creates = 1
		case roll < 90:
			m.Updates = 1
		default:
			m.Deletes = 1
		}
		_, _ = s.Mutate(code, m)
	}
}
