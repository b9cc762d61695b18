package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAddingAnAdminOfAnotherOrganisation: the portal does not tell an
// admin that an address is registered in another organisation, makes no
// second account, and keeps the attempt in the audit log.
func TestAddingAnAdminOfAnotherOrganisation(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	for _, tc := range []struct {
		name, email string
		status      int
		want        string
		unwanted    []string
	}{
		{"an admin of this organisation", "Alpha@Example.nl", http.StatusConflict, "alpha@example.nl is already an admin of this organisation.", nil},
		{"an admin of another organisation", "beta@example.nl", http.StatusBadRequest, "beta@example.nl cannot be added as an admin; use another e-mail address for them.",
			[]string{"already", "Beta", "registered", "exists"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := a.post("/admins", url.Values{"email": {tc.email}})
			if pg.status != tc.status || !strings.Contains(pg.text(), tc.want) {
				t.Fatalf("%d %s", pg.status, pg.text())
			}
			msg := regexpFind(t, pg.body, `<p class="error" role="alert">([^<]*)</p>`)
			for _, s := range tc.unwanted {
				if strings.Contains(msg, s) {
					t.Errorf("the answer %q says %q", msg, s)
				}
			}
		})
	}
	admins, err := p.store.ListUsers(t.Context(), p.orgA.ID)
	if err != nil || len(admins) != 1 {
		t.Fatalf("organisation A's admins: %v %v", admins, err)
	}
	events, err := p.store.ListAudit(t.Context(), p.orgA.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var refused int
	for _, e := range events {
		if e.Action == "admin.create-refused" {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("%d refusals in the audit log, want 2: %+v", refused, events)
	}
}
