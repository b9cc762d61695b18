package sqlstore

import (
	"context"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// TestCreateUserDoesNotTellOfOtherOrganisations: an address in use in the
// same organisation is named as such; one in use in another organisation
// gets an answer that does not say it is registered anywhere.
func TestCreateUserDoesNotTellOfOtherOrganisations(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		other := &roger.Organization{Name: "Ander B.V."}
		if err := f.store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := f.store.CreateUser(ctx, &roger.User{OrgID: f.org.ID, Email: "anna@example.nl", PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			orgID    int64
			code     roger.ErrorCode
			want     string
			unwanted []string
		}{
			{"same organisation", f.org.ID, roger.ECONFLICT, "anna@example.nl is already an admin of this organisation.", nil},
			{"another organisation", other.ID, roger.EINVALID, "anna@example.nl cannot be added as an admin; use another e-mail address for them.",
				[]string{"already", "exists", "Voorbeeld", "registered"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := f.store.CreateUser(ctx, &roger.User{OrgID: tc.orgID, Email: " Anna@Example.nl", PasswordHash: "h"})
				if code(err) != tc.code || roger.ErrorMessage(err) != tc.want {
					t.Fatalf("got %s %q, want %s %q", code(err), roger.ErrorMessage(err), tc.code, tc.want)
				}
				for _, s := range tc.unwanted {
					if strings.Contains(err.Error(), s) {
						t.Errorf("the answer %q says %q", err, s)
					}
				}
			})
		}
		if users, _ := f.store.ListUsers(ctx, other.ID); len(users) != 0 {
			t.Fatalf("a second account was made: %v", users)
		}
	})
}
