package replicators

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

// TestSaveRefusesTheSixMistakes saves, on replicators authorized through
// the simulator, each Contact URL that used to pass although it sent
// callers to the wrong card or to "Not found": each is refused at the
// field with its fix, and nothing is stored.
func TestSaveRefusesTheSixMistakes(t *testing.T) {
	ctx := context.Background()
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			f := newFixture(t, db.dsn(t))
			svc, _, contacts, _ := simulatedReplicator(t, f, exactsim.Options{})
			base := strings.TrimSuffix(contacts.ContactURL[:strings.Index(contacts.ContactURL, "/docs/")], "/")
			accounts, err := svc.Create(ctx, roger.ReplicatorInput{OrgID: f.rep.OrgID, Name: "accounts", Entity: roger.Accounts, ExactURL: base})
			if err != nil {
				t.Fatal(err)
			}
			client, err := svc.Client(ctx, contacts)
			if err != nil {
				t.Fatal(err)
			}
			relation, err := client.FirstAccount(ctx, 123456)
			if err != nil || relation == nil {
				t.Fatalf("a relation to copy the link of: %v %v", relation, err)
			}
			copied := base + "/docs/CRMAccountCard.aspx?AccountID=%7b" + relation.ID + "%7d&_Division_=123456"
			for _, tc := range []struct {
				name string
				rep  *roger.Replicator
				link string
				want string
			}{
				{"one relation's link as copied", contacts, copied, "every caller would open that card: put {CompanyId} in place of its id, AccountID=%7b{CompanyId}%7d"},
				{"the list of relations", contacts, base + "/docs/CRMAccounts.aspx?_Division_=123456", "This is a list (CRMAccounts.aspx)"},
				{"a contact card on an accounts replicator", accounts, base + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456",
					"use the account card, " + base + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456"},
				{"the guide's stray space", contacts, base + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d &_Division_=123456", "Remove the space before &_Division_="},
				{"an Exact Online link on the simulator's replicator", contacts, link, "the link must start with " + base + "/"},
				{"a division the user cannot open", contacts, base + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=999999",
					"cannot open division 999999. Divisions they can open: 123456"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before, err := f.store.FindReplicatorByID(ctx, tc.rep.ID)
					if err != nil {
						t.Fatal(err)
					}
					_, _, err = svc.SaveSettings(ctx, tc.rep.OrgID, tc.rep.ID, roger.SettingsInput{ContactURL: tc.link, Country: "NL", Interval: 5 * time.Minute})
					var refused roger.Invalid
					if !errors.As(err, &refused) || !refused.Has("contact_url") || !strings.Contains(refused[0].Message, tc.want) {
						t.Fatalf("saved or refused otherwise: %v\nwant contact_url refused with %q", err, tc.want)
					}
					if after, _ := f.store.FindReplicatorByID(ctx, tc.rep.ID); after.ContactURL != before.ContactURL || after.Division != before.Division {
						t.Fatalf("a refused link was stored: %q division %d", after.ContactURL, after.Division)
					}
				})
			}
			// The fixed links are saved.
			for _, rep := range []*roger.Replicator{contacts, accounts} {
				good := base + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456"
				if _, _, err := svc.SaveSettings(ctx, rep.OrgID, rep.ID, roger.SettingsInput{ContactURL: good, Country: "NL", Interval: 5 * time.Minute}); err != nil {
					t.Fatalf("%s: the right link was refused: %v", rep.Entity, err)
				}
			}
		})
	}
}

// TestCheckAsTypedAsksExactOncePerWhile checks links as an admin types
// them: a division the authorized user cannot open is refused at once,
// and the keystrokes that follow cost no Exact call until the divisions
// are read again.
func TestCheckAsTypedAsksExactOncePerWhile(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, filepath.Join(t.TempDir(), "roger.db"))
	svc, _, rep, sim := simulatedReplicator(t, f, exactsim.Options{})
	base := rep.ContactURL[:strings.Index(rep.ContactURL, "/docs/")]
	calls := func() int64 { return sim.Summarize().Stats.APICalls }

	start := calls()
	_, err := svc.CheckContactURL(ctx, rep.OrgID, rep.ID, base+"/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=999999")
	if err == nil || !strings.Contains(roger.ErrorMessage(err), "cannot open division 999999") {
		t.Fatalf("division 999999: %v", err)
	}
	asked := calls() - start
	for _, typed := range []string{"99999", "9999", "999", "123456"} {
		if _, err := svc.CheckContactURL(ctx, rep.OrgID, rep.ID, base+"/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_="+typed); (typed == "123456") != (err == nil) {
			t.Fatalf("division %s: %v", typed, err)
		}
	}
	if got := calls() - start; got != asked {
		t.Fatalf("typing made %d Exact calls after the first check's %d", got-asked, asked)
	}
	// Save asks Exact again before it refuses: access granted since the
	// divisions were read would not be refused.
	_, _, err = svc.SaveSettings(ctx, rep.OrgID, rep.ID, roger.SettingsInput{ContactURL: base + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=999999",
		Country: "NL", Interval: 5 * time.Minute})
	if err == nil || !strings.Contains(roger.ErrorMessage(err), "cannot open division 999999") {
		t.Fatalf("save division 999999: %v", err)
	}
	if calls()-start == asked {
		t.Fatal("Save refused division 999999 without reading the divisions again")
	}
	start = calls()
	c, err := svc.CheckContactURL(ctx, rep.OrgID, rep.ID, base+"/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d")
	if err != nil || c.Card != roger.AccountCard || c.Division != 123456 || !strings.Contains(c.Note, "division 123456 (from the authorization)") ||
		!strings.Contains(c.Note, "every contact opens its company's card") {
		t.Fatalf("account card for contacts: %+v %v", c, err)
	}
	f.clock.Advance(divisionsTTL + time.Second)
	if _, err := svc.CheckContactURL(ctx, rep.OrgID, rep.ID, base+"/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"); err != nil {
		t.Fatal(err)
	}
	if calls()-start == asked {
		t.Fatal("the divisions were not read again after they went stale")
	}
}

// TestSyncStartRefusesALinkThatNoLongerPasses stores a link the check
// refuses (written before the check existed): the sync does not run, its
// run fails with the check's message, and the replicator shows it until
// the link is corrected.
func TestSyncStartRefusesALinkThatNoLongerPasses(t *testing.T) {
	ctx := context.Background()
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			f := newFixture(t, db.dsn(t))
			svc, syncer, rep, sim := simulatedReplicator(t, f, exactsim.Options{})
			good := rep.ContactURL
			rep.ContactURL = strings.Replace(good, "&_Division_", " &_Division_", 1)
			if err := f.store.UpdateReplicator(ctx, rep); err != nil {
				t.Fatal(err)
			}
			before := sim.Summarize().Stats.APICalls
			_, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual)
			if err == nil || !strings.Contains(roger.ErrorMessage(err), "Remove the space before &_Division_=") {
				t.Fatalf("sync with a bad link: %v", err)
			}
			if got := sim.Summarize().Stats.APICalls; got != before {
				t.Fatalf("a refused sync made %d Exact calls", got-before)
			}
			runs, err := f.store.ListSyncRuns(ctx, rep.ID, 1)
			if err != nil || len(runs) != 1 || runs[0].Outcome != roger.OutcomeFailed || runs[0].Ended.IsZero() ||
				!strings.Contains(runs[0].Error, "The Contact URL does not open the right card: Remove the space before &_Division_=") {
				t.Fatalf("runs %+v %v", runs, err)
			}
			now, _ := f.store.FindReplicatorByID(ctx, rep.ID)
			if now.State != roger.StateFailing || now.StateMessage != runs[0].Error {
				t.Fatalf("state %s %q", now.State, now.StateMessage)
			}
			if _, _, err := svc.SaveSettings(ctx, rep.OrgID, rep.ID, roger.SettingsInput{ContactURL: good, Country: "NL", Interval: 5 * time.Minute}); err != nil {
				t.Fatal(err)
			}
			if _, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual); err != nil {
				t.Fatalf("sync after the link was corrected: %v", err)
			}
			if now, _ := f.store.FindReplicatorByID(ctx, rep.ID); now.State != roger.StateActive {
				t.Fatalf("state after a good sync: %s %q", now.State, now.StateMessage)
			}
		})
	}
}
