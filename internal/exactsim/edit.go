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
