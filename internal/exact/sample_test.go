package exact

import (
	"context"
	"testing"

	"github.com/roger365io/roger/internal/exactsim"
)

func TestFirstRecordCostsOneCall(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 3, 4)
	e.login()
	c := e.client()
	ctx := context.Background()
	a, err := c.FirstAccount(ctx, testDivision)
	if err != nil || a == nil || a.ID == "" || a.Name == "" {
		t.Fatalf("first account: %+v %v", a, err)
	}
	ct, err := c.FirstContact(ctx, testDivision)
	if err != nil || ct == nil || ct.ID == "" || ct.Account == "" {
		t.Fatalf("first contact: %+v %v", ct, err)
	}
	if n := c.Calls(); n != 2 {
		t.Fatalf("%d calls for two samples, want 2", n)
	}
	empty := newEnv(t, exactsim.Options{}, "", 0, 0)
	empty.login()
	if a, err := empty.client().FirstAccount(ctx, testDivision); err != nil || a != nil {
		t.Fatalf("empty division: %+v %v", a, err)
	}
}

// Count asks each CRM endpoint's $count once, with the filter Exact's
// mandatory filtering wants, and reads the bare number.
func TestCountCostsOneCall(t *testing.T) {
	strict := true
	e := newEnv(t, exactsim.Options{MandatoryFilterContacts: &strict}, "", 7, 11)
	e.login()
	c := e.client()
	ctx := context.Background()
	accounts, err := c.Count(ctx, testDivision, "crm/Accounts")
	if err != nil || accounts != 7 {
		t.Fatalf("accounts: %d %v", accounts, err)
	}
	contacts, err := c.Count(ctx, testDivision, "crm/Contacts")
	if err != nil || contacts != 11 {
		t.Fatalf("contacts: %d %v", contacts, err)
	}
	if n := c.Calls(); n != 2 {
		t.Fatalf("%d calls for two counts, want 2", n)
	}
}
