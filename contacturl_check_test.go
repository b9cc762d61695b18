package roger

import (
	"strings"
	"testing"
)

// TestCheckContactURLAsPasted runs the check on links as people paste
// them into the form: copied from Exact's address bar, from the setup
// guide, typed by hand, for the other entity or another host.
func TestCheckContactURLAsPasted(t *testing.T) {
	const (
		nl   = "https://start.exactonline.nl"
		be   = "https://start.exactonline.be"
		sim  = "http://127.0.0.1:8090"
		guid = "b8c2f1e0-3a4d-4c5b-9e8f-1a2b3c4d5e6f"
	)
	tests := []struct {
		name     string
		link     string
		entity   Entity
		exactURL string
		// want is a part of the refusal; "" for a link that passes.
		want string
		// For a link that passes: the card, the division and a part of
		// the note ("" for none).
		card     CardType
		division int
		note     string
	}{
		// Links that open the right card.
		{"account card from the guide", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456", Accounts, nl, "", AccountCard, 123456, ""},
		{"account card with {SourceId}", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{SourceId}%7d&_Division_=123456", Accounts, nl, "", AccountCard, 123456, ""},
		{"contact card from the guide without its space", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456", Contacts, nl, "", ContactCard, 123456, ""},
		{"contacts on the account card", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456", Contacts, nl, "", AccountCard, 123456, "every contact opens its company's card"},
		{"braces encoded in capitals", nl + "/docs/CRMAccountCard.aspx?AccountID=%7B{CompanyId}%7D&_Division_=1", Accounts, nl, "", AccountCard, 1, ""},
		{"no braces around the placeholder", nl + "/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=1", Contacts, nl, "", ContactCard, 1, ""},
		{"division first, as Exact writes it", nl + "/docs/CRMAccountCard.aspx?_Division_=42&AccountID=%7b{CompanyId}%7d", Accounts, nl, "", AccountCard, 42, ""},
		{"division as a placeholder", be + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_={Division}", Accounts, be, "", AccountCard, 0, ""},
		{"no division: the authorization's", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d", Accounts, nl, "", AccountCard, 0, ""},
		{"pasted with a trailing newline", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=7\n", Contacts, nl, "", ContactCard, 7, ""},
		{"parameter name in another case", nl + "/docs/crmaccountcard.aspx?accountid=%7b{CompanyId}%7d&_Division_=7", Accounts, nl, "", AccountCard, 7, ""},
		{"simulator", sim + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456", Contacts, sim, "", ContactCard, 123456, ""},
		{"simulator with a country path", sim + "/be/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=5", Accounts, sim + "/be", "", AccountCard, 5, ""},
		{"host not known yet", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=5", Accounts, "", "", AccountCard, 5, ""},

		// A record's id where the placeholder belongs.
		{"account card copied from Exact", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b" + guid + "%7d&_Division_=123456", Accounts, nl, "put {CompanyId} in place of its id, AccountID=%7b{CompanyId}%7d", "", 0, ""},
		{"contact card copied from Exact", nl + "/docs/CRMContactCard.aspx?_ID=%7b" + guid + "%7d&_Division_=123456", Contacts, nl, "(_ID=%7bb8c2f1e0…%7d), so every caller would open that card: put {SourceId} in place of its id, _ID=%7b{SourceId}%7d", "", 0, ""},
		{"copied with plain braces", nl + "/docs/CRMAccountCard.aspx?AccountID={" + guid + "}&_Division_=1", Accounts, nl, "(AccountID={b8c2f1e0…}), so every caller would open that card: put {CompanyId} in place of its id, AccountID=%7b{CompanyId}%7d.", "", 0, ""},
		{"copied without braces", nl + "/docs/CRMAccountCard.aspx?_Division_=1&AccountID=" + strings.ToUpper(guid), Accounts, nl, "(AccountID=B8C2F1E0…), so every caller would open that card: put {CompanyId} in place of its id, AccountID={CompanyId}.", "", 0, ""},
		{"account card copied for contacts", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b" + guid + "%7d&_Division_=1", Contacts, nl, "put {CompanyId} in place of", "", 0, ""},

		// No placeholder at all.
		{"list of relations", nl + "/docs/CRMAccounts.aspx?_Division_=123456", Accounts, nl, "This is a list (CRMAccounts.aspx)", "", 0, ""},
		{"list of relations for contacts", nl + "/docs/CRMAccounts.aspx", Contacts, nl, "CRMContactCard.aspx?_ID=%7b{SourceId}%7d", "", 0, ""},
		{"home page", nl + "/docs/MenuPortal.aspx?_Division_=1", Accounts, nl, "has no {CompanyId} or {SourceId}", "", 0, ""},
		{"card with only the division placeholder", nl + "/docs/CRMAccountCard.aspx?_Division_={Division}", Accounts, nl, "has no {CompanyId} or {SourceId}", "", 0, ""},

		// The card does not fit the entity, or the placeholder the card.
		{"contact card on an accounts replicator", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1", Accounts, nl, "use the account card, " + nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=1", "", 0, ""},
		{"{CompanyId} on the contact card", nl + "/docs/CRMContactCard.aspx?_ID=%7b{CompanyId}%7d&_Division_=1", Contacts, nl, "put {SourceId} there", "", 0, ""},
		{"a contact's {SourceId} on the account card", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{SourceId}%7d&_Division_=1", Contacts, nl, "put {CompanyId} there to open the contact's company", "", 0, ""},
		{"placeholder in the wrong parameter", nl + "/docs/CRMAccountCard.aspx?ID=%7b{CompanyId}%7d&_Division_=1", Accounts, nl, "write AccountID=%7b{CompanyId}%7d", "", 0, ""},
		{"card outside /docs/", nl + "/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d", Accounts, nl, "this link opens /CRMAccountCard.aspx", "", 0, ""},
		{"a page roger does not know", nl + "/docs/CRMAccount.aspx?ID={CompanyId}", Accounts, nl, "this link opens /docs/CRMAccount.aspx", "", 0, ""},

		// Another host.
		{"Dutch link, Belgian Exact", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=1", Accounts, be, "The link points to https://start.exactonline.nl, but the replicator reads from https://start.exactonline.be", "", 0, ""},
		{"Exact link, simulator", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1", Contacts, sim, "must start with " + sim + "/", "", 0, ""},
		{"simulator link, Exact", sim + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1", Contacts, nl, "must start with " + nl + "/", "", 0, ""},
		{"http instead of https", "http://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=1", Accounts, nl, "must start with https://start.exactonline.nl/", "", 0, ""},
		{"simulator without its country path", sim + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=1", Accounts, sim + "/be", "must start with " + sim + "/be/", "", 0, ""},
		{"the simulator under another name", "http://localhost:8090/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1", Contacts, sim, "", ContactCard, 1, ""},
		{"a user name before the host", "https://me@start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d", Accounts, nl, "Remove the me@ before the host", "", 0, ""},
		{"a CRM that is not Exact", "https://crm.example.com/card?id={SourceId}", Contacts, "", "which is not Exact Online", "", 0, ""},
		{"no scheme", "start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID={CompanyId}", Accounts, nl, "must start with https://", "", 0, ""},

		// Spaces and line breaks.
		{"the guide's contact link with its stray space", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d &_Division_=123456", Contacts, nl, "Remove the space before &_Division_=", "", 0, ""},
		{"the guide's account link as printed", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{Compa nyId}%7d&_Division_=1", Accounts, nl, "Remove the space inside {Compa nyId}: write {CompanyId}", "", 0, ""},
		{"line break from a wrapped e-mail", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d\n&_Division_=1", Accounts, nl, "Remove the line break before &_Division_=", "", 0, ""},
		{"encoded space", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d%20&_Division_=1", Contacts, nl, "Remove the %20 (an encoded space) before &_Division_=", "", 0, ""},
		{"guide's division left in", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=<your division>", Contacts, nl, "Replace the <…> with your division number", "", 0, ""},
		{"guide's division marker", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=<division>", Contacts, nl, "Replace the <…> with your division number", "", 0, ""},

		// Misspelled and unknown placeholders.
		{"lower case", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{companyid}%7d&_Division_=1", Accounts, nl, "{companyid} is not a placeholder roger knows: did you mean {CompanyId}?", "", 0, ""},
		{"ID in capitals", nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceID}%7d&_Division_=1", Contacts, nl, "did you mean {SourceId}?", "", 0, ""},
		{"a letter missing", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompnyId}%7d&_Division_=1", Accounts, nl, "did you mean {CompanyId}?", "", 0, ""},
		{"Exact's own name", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{AccountId}%7d&_Division_=1", Accounts, nl, "{AccountId} is not a placeholder roger knows: did you mean {CompanyId}?", "", 0, ""},
		{"contact's id by another name", nl + "/docs/CRMContactCard.aspx?_ID=%7b{ContactID}%7d&_Division_=1", Contacts, nl, "did you mean {SourceId}?", "", 0, ""},
		{"unknown", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{Name}%7d&_Division_=1", Accounts, nl, "use {CompanyId} (the account), {SourceId} (the record itself) or {Division}", "", 0, ""},
		{"empty", "   ", Accounts, nl, "Enter the link to the Exact Online card", "", 0, ""},
		{"division not a number", nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=abc", Accounts, nl, "_Division_=abc is not a division number", "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckContactURL(tc.link, tc.entity, tc.exactURL)
			if tc.want != "" {
				if err == nil || ErrorCodeOf(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.want) {
					t.Fatalf("got %+v, %v\nwant a refusal with %q", c, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.Card != tc.card || c.Division != tc.division || c.Template != strings.TrimSpace(tc.link) || (tc.note == "") != (c.Note == "") || !strings.Contains(c.Note, tc.note) {
				t.Fatalf("got %+v, want %s, division %d, note %q", c, tc.card, tc.division, tc.note)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"companyid", "companyid", 0}, {"compnyid", "companyid", 1}, {"sourcid", "sourceid", 1}, {"division", "sourceid", 8}, {"ab", "", 2}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzCheckContactURL: whatever is pasted, the check never panics, a
// refusal carries a message, and a link it passes is one ParseContactURL
// accepts, on the replicator's host, with a record placeholder.
func FuzzCheckContactURL(f *testing.F) {
	f.Add("https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=1", false)
	f.Add("https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d &_Division_=1", true)
	f.Fuzz(func(t *testing.T, link string, contacts bool) {
		entity := Accounts
		if contacts {
			entity = Contacts
		}
		c, err := CheckContactURL(link, entity, "https://start.exactonline.nl")
		if err != nil {
			if ErrorCodeOf(err) != EINVALID || ErrorMessage(err) == "" {
				t.Fatalf("a refusal without a message: %v", err)
			}
			return
		}
		p, err := ParseContactURL(c.Template)
		if err != nil || !strings.EqualFold(p.Host, "https://start.exactonline.nl") || c.Card == "" {
			t.Fatalf("passed %q: %+v, parsed %+v %v", link, c, p, err)
		}
		if !strings.Contains(c.Template, "{SourceId}") && !strings.Contains(c.Template, "{CompanyId}") {
			t.Fatalf("passed %q without a record placeholder", link)
		}
	})
}
