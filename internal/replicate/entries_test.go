package replicate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// num is an expected number: "Field Raw -> +E164 [xExt]" for one that
// parses, "Field Raw -> invalid" for one kept with a reason.
type num struct{ field, raw, e164, ext string }

func (n num) String() string {
	if n.e164 == "" {
		return n.field + " " + n.raw + " -> invalid"
	}
	s := n.field + " " + n.raw + " -> " + n.e164
	if n.ext != "" {
		s += " x" + n.ext
	}
	return s
}

func checkNumbers(t *testing.T, got []roger.Number, want []num) {
	t.Helper()
	var g, w []string
	for _, n := range got {
		g = append(g, num{n.Field, n.Raw, n.E164, n.Extension}.String())
		switch n.Status {
		case roger.NumberOK:
			if n.E164 == "" || n.Reason != "" {
				t.Errorf("%q: status ok with E.164 %q and reason %q", n.Raw, n.E164, n.Reason)
			}
		case roger.NumberInvalid:
			if n.E164 != "" || n.Reason == "" {
				t.Errorf("%q: status invalid with E.164 %q and no reason %q", n.Raw, n.E164, n.Reason)
			}
		default:
			t.Errorf("%q: status %q", n.Raw, n.Status)
		}
	}
	for _, n := range want {
		w = append(w, n.String())
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("numbers:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

func TestContactEntries(t *testing.T) {
	t.Parallel()
	modified := time.Date(2026, 6, 25, 14, 13, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		c       exact.Contact
		country string
		want    []num
	}{{
		name: "aliases stored once",
		c: exact.Contact{Phone: "020 123 4567", BusinessPhone: "020 123 4567", Mobile: "06 12345678", BusinessMobile: "06 12345678",
			BusinessFax: "020 123 4568"},
		want: []num{{"Phone", "020 123 4567", "+31201234567", ""}, {"Mobile", "06 12345678", "+31612345678", ""},
			{"BusinessFax", "020 123 4568", "+31201234568", ""}},
	}, {
		name: "a business phone that differs is kept",
		c:    exact.Contact{Phone: "020 123 4567", BusinessPhone: "030 123 4567", Mobile: "06 12345678", BusinessMobile: "06 87654321"},
		want: []num{{"Phone", "020 123 4567", "+31201234567", ""}, {"Mobile", "06 12345678", "+31612345678", ""},
			{"BusinessPhone", "030 123 4567", "+31301234567", ""}, {"BusinessMobile", "06 87654321", "+31687654321", ""}},
	}, {
		name: "same number, other extension",
		c:    exact.Contact{Phone: "020 123 4567", PhoneExtension: "12", BusinessPhone: "020 123 4567", BusinessPhoneExtension: "34"},
		want: []num{{"Phone", "020 123 4567", "+31201234567", "12"}, {"BusinessPhone", "020 123 4567", "+31201234567", "34"}},
	}, {
		name: "only the business fields filled",
		c:    exact.Contact{BusinessPhone: "020 123 4567", BusinessMobile: "06 12345678"},
		want: []num{{"BusinessPhone", "020 123 4567", "+31201234567", ""}, {"BusinessMobile", "06 12345678", "+31612345678", ""}},
	}, {
		name: "blank fields are no numbers",
		c:    exact.Contact{Phone: "  ", Mobile: ""},
		want: nil,
	}, {
		name: "unparseable numbers are kept with a reason, placeholders are no numbers",
		c:    exact.Contact{Phone: "n.v.t.", Mobile: "12", BusinessFax: "zie e-mail"},
		want: []num{{"Mobile", "12", "", ""}, {"BusinessFax", "zie e-mail", "", ""}},
	}, {
		name:    "the contact's own country wins",
		c:       exact.Contact{Phone: "089 123456", Country: " DE "},
		country: "NL",
		want:    []num{{"Phone", "089 123456", "+4989123456", ""}},
	}, {
		name:    "without a default country only international numbers parse",
		c:       exact.Contact{Phone: "030 1234567", Mobile: "+31 6 12345678"},
		country: "-",
		want:    []num{{"Phone", "030 1234567", "", ""}, {"Mobile", "+31 6 12345678", "+31612345678", ""}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			country := tc.country
			switch country {
			case "":
				country = "NL"
			case "-":
				country = ""
			}
			tc.c.ID, tc.c.Account, tc.c.FullName, tc.c.Timestamp, tc.c.Modified = "5CB718A4-F1C8-4432-9D7F-DAF2BC427889", "{11ACD652-0000-4000-8000-000000000001}", "Anna van Dijk", 42, modified
			got, maxTS := contactEntries([]exact.Contact{tc.c}, nil, country)
			if len(got) != 1 || maxTS != 42 {
				t.Fatalf("%d entries, max timestamp %d", len(got), maxTS)
			}
			e := got[0]
			if e.Kind != roger.KindContact || e.SourceID != "5cb718a4-f1c8-4432-9d7f-daf2bc427889" || e.CompanyID != "11acd652-0000-4000-8000-000000000001" ||
				e.DisplayName != "Anna van Dijk" || e.SourceTimestamp != 42 || !e.SourceModified.Equal(modified) {
				t.Errorf("entry %+v", e)
			}
			checkNumbers(t, e.Numbers, tc.want)
		})
	}
}

func TestContactEntriesFields(t *testing.T) {
	t.Parallel()
	rows := []exact.Contact{
		{ID: "a0000000-0000-4000-8000-000000000001", Account: "B0000000-0000-4000-8000-000000000001", AccountName: "Voorbeeld B.V.",
			FirstName: "Anna", MiddleName: "van", LastName: "Dijk", Email: "anna@example.nl", JobTitleDescription: "Inkoper", Timestamp: 7},
		{ID: "a0000000-0000-4000-8000-000000000002", FullName: "Jan Jansen", FirstName: "Johannes", LastName: "Jansen", Timestamp: 19},
		{ID: "a0000000-0000-4000-8000-000000000003", LastName: "  Smit ", Timestamp: 3},
	}
	got, maxTS := contactEntries(rows, nil, "NL")
	if maxTS != 19 {
		t.Errorf("max timestamp %d, want 19", maxTS)
	}
	want := []string{
		"a0000000-0000-4000-8000-000000000001|b0000000-0000-4000-8000-000000000001|Anna van Dijk|Voorbeeld B.V.|anna@example.nl|Inkoper|7",
		"a0000000-0000-4000-8000-000000000002||Jan Jansen||||19",
		"a0000000-0000-4000-8000-000000000003||Smit||||3",
	}
	for i, e := range got {
		s := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d", e.SourceID, e.CompanyID, e.DisplayName, e.CompanyName, e.Email, e.JobTitle, e.SourceTimestamp)
		if s != want[i] {
			t.Errorf("entry %d: %s, want %s", i, s, want[i])
		}
	}
	if got, maxTS := contactEntries(nil, nil, "NL"); len(got) != 0 || maxTS != 0 {
		t.Errorf("no rows gave %d entries and max timestamp %d", len(got), maxTS)
	}
}

func TestAccountEntries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		a       exact.Account
		country string
		want    []num
	}{{
		name:    "the default country for an account without one",
		a:       exact.Account{Phone: "020 123 4567", PhoneExtension: "12", Fax: "020 123 4568"},
		country: "NL",
		want:    []num{{"Phone", "020 123 4567", "+31201234567", "12"}, {"Fax", "020 123 4568", "+31201234568", ""}},
	}, {
		name:    "the account's own country wins over the default",
		a:       exact.Account{Phone: "020 7946 0000", Country: "GB"},
		country: "NL",
		want:    []num{{"Phone", "020 7946 0000", "+442079460000", ""}},
	}, {
		name:    "a padded country is trimmed",
		a:       exact.Account{Phone: "089 123456", Country: "DE "},
		country: "NL",
		want:    []num{{"Phone", "089 123456", "+4989123456", ""}},
	}, {
		name:    "the same number under the default would not parse",
		a:       exact.Account{Phone: "089 123456"},
		country: "NL",
		want:    []num{{"Phone", "089 123456", "", ""}},
	}, {
		name:    "unparseable numbers are kept with a reason, placeholders are no numbers",
		a:       exact.Account{Phone: "n.v.t.", Fax: "zie website"},
		country: "NL",
		want:    []num{{"Fax", "zie website", "", ""}},
	}, {
		name:    "no numbers",
		a:       exact.Account{},
		country: "NL",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.a.ID, tc.a.Name, tc.a.Email, tc.a.Timestamp = "{71B961DE-B9F3-49FE-883D-0F46C7E0E89B}", "Voorbeeld B.V.", "info@example.nl", 8876510443
			got, maxTS := accountEntries([]exact.Account{tc.a}, tc.country)
			if len(got) != 1 || maxTS != 8876510443 {
				t.Fatalf("%d entries, max timestamp %d", len(got), maxTS)
			}
			e := got[0]
			const id = "71b961de-b9f3-49fe-883d-0f46c7e0e89b"
			if e.Kind != roger.KindAccount || e.SourceID != id || e.CompanyID != id || e.DisplayName != "Voorbeeld B.V." ||
				e.CompanyName != "Voorbeeld B.V." || e.Email != "info@example.nl" || e.SourceTimestamp != 8876510443 {
				t.Errorf("entry %+v", e)
			}
			checkNumbers(t, e.Numbers, tc.want)
		})
	}
}

func TestNormalizeID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"{71B961DE-B9F3-49FE-883D-0F46C7E0E89B}": "71b961de-b9f3-49fe-883d-0f46c7e0e89b",
		"71b961de-b9f3-49fe-883d-0f46c7e0e89b":   "71b961de-b9f3-49fe-883d-0f46c7e0e89b",
		"":                                       "",
	} {
		if got := normalizeID(in); got != want {
			t.Errorf("normalizeID(%q) = %q, want %q", in, got, want)
		}
	}
}
