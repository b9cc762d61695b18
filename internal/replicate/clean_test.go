package replicate

import (
	"reflect"
	"slices"
	"testing"

	"github.com/roger365io/roger/internal/exact"
)

func TestCleanText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want, problem string
	}{
		{"plain", "Jan de Vries", "Jan de Vries", ""},
		{"accents and emoji", "Zoë Čapek 😀", "Zoë Čapek 😀", ""},
		{"empty", "", "", ""},
		{"NUL byte", "Nul\x00Byte", "Nul\uFFFDByte", "a NUL byte"},
		{"NUL bytes at the ends", "\x00x\x00", "\uFFFDx\uFFFD", "a NUL byte"},
		{"bytes that are not UTF-8", "Bad\xff\xfeBytes", "Bad\uFFFDBytes", "bytes that are not UTF-8 text"},
		{"replaced already by the Exact client", "Bad\uFFFDBytes", "Bad\uFFFDBytes", "bytes that are not UTF-8 text"},
		{"both", "a\x00b\xffc", "a\uFFFDb\uFFFDc", "a NUL byte and bytes that are not UTF-8 text"},
		{"other control characters are storable", "tab\there\x01", "tab\there\x01", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problem := cleanText(tc.in)
			if got != tc.want || problem != tc.problem {
				t.Errorf("cleanText(%q) = %q, %q; want %q, %q", tc.in, got, problem, tc.want, tc.problem)
			}
		})
	}
}

// The entries built from Exact's records carry cleaned text and a note
// per field that was cleaned, named as Exact names it; a clean record
// has none.
func TestEntriesAreCleaned(t *testing.T) {
	t.Parallel()
	contacts, _ := contactEntries([]exact.Contact{
		{ID: "{A1B2C3D4-0000-0000-0000-00000000000\x00}", FirstName: "Nul\x00Byte", LastName: "Smit", FullName: "Nul\x00Byte Smit",
			Email: "x\xff@example.nl", Phone: "020 123 45\x0067"},
		{ID: "b", FullName: "Clean Record"},
	}, nil, "NL")
	c := contacts[0]
	if c.DisplayName != "Nul\uFFFDByte Smit" || c.Email != "x\uFFFD@example.nl" || c.SourceID != "a1b2c3d4-0000-0000-0000-00000000000\uFFFD" {
		t.Errorf("contact stored as %q, %q, %q", c.DisplayName, c.Email, c.SourceID)
	}
	want := []string{
		"ID: a NUL byte, replaced by \uFFFD",
		"FullName: a NUL byte, replaced by \uFFFD",
		"FirstName: a NUL byte, replaced by \uFFFD",
		"Phone: a NUL byte, replaced by \uFFFD",
		"Email: bytes that are not UTF-8 text, replaced by \uFFFD",
	}
	if !slices.Equal(c.Cleaned, want) {
		t.Errorf("notes %q; want %q", c.Cleaned, want)
	}
	if len(c.Numbers) != 1 || c.Numbers[0].Raw != "020 123 45\uFFFD67" {
		t.Errorf("numbers %+v; want the cleaned text as written", c.Numbers)
	}
	if contacts[1].Cleaned != nil {
		t.Errorf("a clean record has notes %q", contacts[1].Cleaned)
	}
	accounts, _ := accountEntries([]exact.Account{{ID: "c", Name: "Acme\x00 B.V."}}, "NL")
	if accounts[0].DisplayName != "Acme\uFFFD B.V." || !slices.Equal(accounts[0].Cleaned, []string{"Name: a NUL byte, replaced by \uFFFD"}) {
		t.Errorf("account %q with notes %q", accounts[0].DisplayName, accounts[0].Cleaned)
	}
}

// Every text field of Exact's records is cleaned: a field added to them
// later must be added to the lists too.
func TestEveryTextFieldIsCleaned(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, rec reflect.Value, fields []field) {
		t.Helper()
		listed := map[string]bool{}
		for _, f := range fields {
			listed[f.name] = true
		}
		for i := range rec.NumField() {
			if name := rec.Type().Field(i).Name; rec.Field(i).Kind() == reflect.String && !listed[name] {
				t.Errorf("%s.%s is not cleaned", rec.Type().Name(), name)
			}
		}
		for _, f := range fields {
			*f.text = "x\x00"
		}
		if notes := cleanFields(fields); len(notes) != len(fields) {
			t.Errorf("%d notes for %d fields", len(notes), len(fields))
		}
		for i := range rec.NumField() {
			if f := rec.Field(i); f.Kind() == reflect.String && f.String() != "x\uFFFD" {
				t.Errorf("%s.%s is %q after cleaning", rec.Type().Name(), rec.Type().Field(i).Name, f.String())
			}
		}
	}
	var a exact.Account
	af := accountFields(&a)
	check(t, reflect.ValueOf(&a).Elem(), af[:])
	var c exact.Contact
	cf := contactFields(&c)
	check(t, reflect.ValueOf(&c).Elem(), cf[:])
}
