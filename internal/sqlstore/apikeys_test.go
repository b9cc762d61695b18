package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func TestAPIKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		s := f.store
		other := &roger.Organization{Name: "Other"}
		if err := s.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}

		k, key, err := s.CreateAPIKey(ctx, f.org.ID, "  Teams  ")
		if err != nil {
			t.Fatal(err)
		}
		if !roger.LooksLikeAPIKey(key) || len(key) < 40 || !strings.HasPrefix(key, k.Prefix) || k.Name != "Teams" || k.Hash != roger.HashAPIKey(key) ||
			k.Created.IsZero() || !k.LastUsed.IsZero() || !k.Revoked.IsZero() {
			t.Fatalf("created %+v, key %q", k, key)
		}
		k2, key2, err := s.CreateAPIKey(ctx, f.org.ID, "PBX")
		if err != nil || key2 == key || k2.Prefix == k.Prefix {
			t.Fatalf("second key %+v %q %v", k2, key2, err)
		}
		if _, _, err := s.CreateAPIKey(ctx, f.org.ID, " "); roger.ErrorCodeOf(err) != roger.EINVALID {
			t.Errorf("nameless key: %v", err)
		}
		ko, keyOther, err := s.CreateAPIKey(ctx, other.ID, "Other's")
		if err != nil {
			t.Fatal(err)
		}

		// The key is not stored; only its hash.
		var stored string
		if err := s.read.QueryRowContext(ctx, s.q(`SELECT name || prefix || hash FROM api_keys WHERE id = ?`), k.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, key) {
			t.Fatal("the key is stored in the clear")
		}

		got, err := s.AuthenticateAPIKey(ctx, key)
		if err != nil || got.ID != k.ID || got.OrgID != f.org.ID {
			t.Fatalf("authenticate = %+v, %v", got, err)
		}
		if got, err := s.AuthenticateAPIKey(ctx, keyOther); err != nil || got.OrgID != other.ID {
			t.Fatalf("authenticate other = %+v, %v", got, err)
		}
		for _, bad := range []string{"", "rgr_nope", key + "x", strings.ToUpper(key)} {
			if _, err := s.AuthenticateAPIKey(ctx, bad); roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
				t.Errorf("authenticate %q: %v", bad, err)
			}
		}

		// Last use only moves forward.
		used := f.clock.Now().Add(time.Hour)
		if err := s.TouchAPIKey(ctx, k.ID, used); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchAPIKey(ctx, k.ID, used.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}

		// Tenant safety: an organisation lists and revokes only its own keys.
		list, err := s.ListAPIKeys(ctx, f.org.ID)
		if err != nil || len(list) != 2 || list[0].ID != k2.ID || list[1].ID != k.ID || !list[1].LastUsed.Equal(used.UTC().Truncate(time.Millisecond)) {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if err := s.RevokeAPIKey(ctx, f.org.ID, ko.ID); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
			t.Errorf("revoking another organisation's key: %v", err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, keyOther); err != nil {
			t.Errorf("the other organisation's key stopped working: %v", err)
		}

		f.clock.Advance(time.Minute)
		if err := s.RevokeAPIKey(ctx, f.org.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, f.org.ID, k.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, key); roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
			t.Errorf("revoked key: %v", err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, key2); err != nil {
			t.Errorf("the other key stopped working: %v", err)
		}
		list, _ = s.ListAPIKeys(ctx, f.org.ID)
		if !list[1].Revoked.Equal(f.clock.Now()) || !list[0].Revoked.IsZero() {
			t.Errorf("after revoking: %+v", list)
		}
		if err := s.RevokeAPIKey(ctx, f.org.ID, 99999); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
			t.Errorf("revoking no key: %v", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
		closed := f.open()
		closed.Close()
		if err := closed.Ping(ctx); roger.ErrorCodeOf(err) != roger.EUNAVAILABLE {
			t.Errorf("ping of a closed store: %v", err)
		}
	})
}
