package exactsim

import (
	"fmt"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// EditContact changes contact id of division code through fn, as a user of
// Exact would: the record gets a new Timestamp, so the next sync reads
// it, and webhooks are told. fn may write what the generator never does
// (a NUL byte in a name, an overlong value): the simulator serves it as
// Exact would, and tests use it for records a client must survive.
func (s *Simulator) EditContact(code int, id string, fn func(*crm.Contact)) error {
	g, err := crm.ParseGUID(id)
	if err != nil {
		return fmt.Errorf("contact id %q: %w", id, err)
	}
	s.mu.Lock()
	d, ok := s.divisions[code]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("there is no division %d", code)
	}
	c, ok := d.contacts.get(g)
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("division %d has no contact %s", code, id)
	}
	cp := *c
	fn(&cp)
	cp.ID = g
	saveRecord(s, d, contactDef, &cp, nil)
	s.mu.Unlock()
	s.webhook.notify(code, contactDef.set, "Update", g, s.opts.BaseURL)
	return nil
}

// CreateContact adds a generated contact to an account of division code,
// after fn has changed it (a test gives it a number it will look up), as
// a user of Exact would: webhooks are told with Exact's creation Action.
// It returns the contact's ID.
func (s *Simulator) CreateContact(code int, fn func(*crm.Contact)) (string, error) {
	s.mu.Lock()
	d, ok := s.divisions[code]
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("there is no division %d", code)
	}
	a := pickRandom(d, &d.accounts, nil)
	if a == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("division %d has no account for a contact", code)
	}
	now := s.now()
	c := d.gen.NewContact(a, now)
	fn(c)
	insertRecord(s, d, contactDef, c, nil)
	id := c.ID
	s.mu.Unlock()
	s.webhook.notifyAt(code, contactDef.set, s.opts.WebhookCreateAction, id, s.opts.BaseURL, now)
	return id.String(), nil
}

// DeleteContact removes contact id of division code, as a user of Exact
// would: it is logged for sync/Deleted and webhooks are told.
func (s *Simulator) DeleteContact(code int, id string) error {
	g, err := crm.ParseGUID(id)
	if err != nil {
		return fmt.Errorf("contact id %q: %w", id, err)
	}
	s.mu.Lock()
	d, ok := s.divisions[code]
	if !ok || !deleteRecord(s, d, contactDef, g, nil) {
		s.mu.Unlock()
		return fmt.Errorf("division %d has no contact %s", code, id)
	}
	s.mu.Unlock()
	s.webhook.notify(code, contactDef.set, "Delete", g, s.opts.BaseURL)
	return nil
}
