package replicators

import (
	"context"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/exactsim/crm"
)

// A new Country Code changes how every stored national number without a
// country of its own reads, so saving it reads every record again at
// once: a full pass, not only the records that change in Exact later.
func TestCountryCodeChangeReadsEveryRecordAgain(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, db.dsn(t))
			svc, syncer, rep, sim := simulatedReplicator(t, f, exactsim.Options{})
			var id string
			if _, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual); err != nil {
				t.Fatal(err)
			}
			if err := f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID}, func(e *roger.Entry) error {
				if id == "" {
					id = e.SourceID
				}
				return nil
			}); err != nil || id == "" {
				t.Fatalf("no contact synced: %v", err)
			}
			// A contact with no country and no account: only the
			// replicator's Country Code can read its number.
			if err := sim.EditContact(123456, id, func(c *crm.Contact) {
				c.Country, c.Account, c.Phone, c.Mobile, c.BusinessFax = "", crm.GUID{}, "03 870 23 00", "", ""
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual); err != nil {
				t.Fatal(err)
			}
			number := func() roger.Number {
				t.Helper()
				var got []roger.Number
				if err := f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID}, func(e *roger.Entry) error {
					if e.SourceID == id {
						got = e.Numbers
					}
					return nil
				}); err != nil || len(got) != 1 {
					t.Fatalf("the edited contact's numbers: %+v, %v", got, err)
				}
				return got[0]
			}
			if n := number(); n.Status != roger.NumberInvalid {
				t.Fatalf("03 870 23 00 read with NL: %+v; want it too short", n)
			}

			cur, err := f.store.FindReplicatorByID(ctx, rep.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.SaveSettings(ctx, rep.OrgID, rep.ID, roger.SettingsInput{ContactURL: cur.ContactURL, Country: "BE", Interval: cur.Interval}); err != nil {
				t.Fatal(err)
			}
			after, err := f.store.FindReplicatorByID(ctx, rep.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !after.FullSync || !after.SyncRequested {
				t.Fatalf("after a new Country Code: full pass %v, sync requested %v; want both", after.FullSync, after.SyncRequested)
			}
			// Nothing changed in Exact, yet the full pass reads the
			// contact again, now as Belgian.
			run, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			if !run.Full || run.Updated == 0 {
				t.Errorf("the run after the change: full %v, updated %d; want a full pass that updates", run.Full, run.Updated)
			}
			if n := number(); n.E164 != "+3238702300" {
				t.Errorf("03 870 23 00 after the change to BE: %+v; want +3238702300", n)
			}
		})
	}
}
