package quality

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
)

// The groups follow the parser's reasons: a number typed as people do
// lands in the group its reason names.
func TestParseReasonsFallInTheirGroups(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want roger.QualityProblem
	}{
		{"12", roger.ProblemTooShort},
		{"03 870 23 00", roger.ProblemTooShort},
		{"zie e-mail", roger.ProblemNotANumber},
		{"0000000000", roger.ProblemNotANumber},
		{"030 12345678", roger.ProblemInvalidForCountry},
		{"020 1234567 / 06 12345678", roger.ProblemOtherParse},
		{"0612345678901234", roger.ProblemOtherParse},
		{"112", roger.ProblemOtherParse},
	} {
		n, _ := phone.ParseNumber(tc.raw, "Phone", "", "NL")
		e := &roger.Entry{Numbers: []roger.Number{n}}
		if got := roger.NumberProblems(e, n); !slices.Equal(got, []roger.QualityProblem{tc.want}) {
			t.Errorf("%q (%s): %v, want %s", tc.raw, n.Reason, got, tc.want)
		}
		if !roger.EntryQuality(e).Has(tc.want) {
			t.Errorf("%q: the entry's set lacks %s", tc.raw, tc.want)
		}
	}
}

// fakeStore serves the report from memory, in pages as the store does.
type fakeStore struct {
	entries []*roger.Entry
	shared  []roger.SharedNumber
}

func (f *fakeStore) FindQualityEntries(_ context.Context, q roger.QualityFilter) ([]*roger.Entry, error) {
	var out []*roger.Entry
	for _, e := range f.entries {
		if e.ID > q.After && roger.EntryQuality(e) != 0 && len(out) < q.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeStore) FindSharedNumbers(_ context.Context, q roger.SharedFilter) ([]roger.SharedNumber, error) {
	var out []roger.SharedNumber
	for _, s := range f.shared {
		if s.E164 > q.After && len(out) < q.Limit {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeStore) ForEachEntry(_ context.Context, _ roger.EntryFilter, fn func(*roger.Entry) error) error {
	for _, e := range f.entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func parsed(t *testing.T, raw, field, country string) roger.Number {
	t.Helper()
	n, ok := phone.ParseNumber(raw, field, "", country)
	if !ok {
		t.Fatalf("%q has no number", raw)
	}
	return n
}

func TestCSVHasEveryRowAndDefusesFormulas(t *testing.T) {
	rep := &roger.Replicator{ID: 1, OrgID: 1, Name: "Contacts", ContactURL: "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=7", Division: 7}
	unlisted := roger.Number{Field: "Mobile", Raw: "+31 6 0000 0001", E164: "+31600000001", Status: roger.NumberOK, Unlisted: true}
	store := &fakeStore{entries: []*roger.Entry{
		{ID: 1, Kind: roger.KindContact, SourceID: "a1", DisplayName: "=HYPERLINK(\"http://evil\")", CompanyName: "@Evil", Numbers: []roger.Number{parsed(t, "-12", "Phone", "NL"), unlisted}},
		{ID: 2, Kind: roger.KindContact, SourceID: "a2", DisplayName: "Fine", Numbers: []roger.Number{parsed(t, "+31 20 123 4567", "Phone", "NL")}},
		{ID: 3, Kind: roger.KindContact, SourceID: "a3", DisplayName: "Jan Müller", Numbers: []roger.Number{parsed(t, "zie e-mail", "Phone", "NL")}},
	}, shared: []roger.SharedNumber{{E164: "+31201234567", Entries: []roger.DirectoryHit{
		{Entry: roger.Entry{ID: 2, ReplicatorID: 1, SourceID: "a2", DisplayName: "Fine"}, Matched: roger.Number{Field: "Phone", Raw: "+31 20 123 4567"}, ContactURL: rep.ContactURL, Division: 7, ReplicatorName: "Contacts"},
		{Entry: roger.Entry{ID: 9, ReplicatorID: 2, SourceID: "b9", DisplayName: "Fine B.V.", Kind: roger.KindAccount}, Matched: roger.Number{Field: "Phone", Raw: "020-1234567"}, ReplicatorName: "Accounts"},
	}}}}
	var buf bytes.Buffer
	if err := Write(t.Context(), &buf, store, rep, "csv"); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		Header,
		{"Too short", `'=HYPERLINK("http://evil")`, "'@Evil", "contact", "", "Phone", "'-12", "", "too short: the area code may be missing", "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7ba1%7d&_Division_=7"},
		{"In a range the numbering plan does not list", `'=HYPERLINK("http://evil")`, "'@Evil", "contact", "", "Mobile", "'+31 6 0000 0001", "'+31600000001", "possible for its country, but in no range the numbering plan lists", "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7ba1%7d&_Division_=7"},
		{"Letters or not a phone number", "Jan Müller", "", "contact", "", "Phone", "zie e-mail", "", "not a phone number", "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7ba3%7d&_Division_=7"},
		{"Shared by several records", "Fine", "", "", "", "Phone", "'+31 20 123 4567", "'+31201234567", "held by 2 records: a caller from it gets 2 matches", "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7ba2%7d&_Division_=7"},
		{"Shared by several records", "Fine B.V.", "", "account", "Accounts", "Phone", "020-1234567", "'+31201234567", "held by 2 records: a caller from it gets 2 matches", ""},
	}
	if !slices.EqualFunc(records, want, slices.Equal) {
		t.Errorf("CSV:\n%q\nwant\n%q", records, want)
	}

	buf.Reset()
	if err := Write(t.Context(), &buf, store, rep, "text"); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != len(want)-1 || !strings.Contains(lines[3], "Fine\tPhone: \"+31 20 123 4567\" = +31201234567") {
		t.Errorf("text has %d lines, want %d:\n%s", len(lines), len(want)-1, buf.String())
	}
	if err := Write(t.Context(), &buf, store, rep, "xml"); roger.ErrorCodeOf(err) != roger.EINVALID {
		t.Errorf("an unknown format: %v", err)
	}
}

func TestTheWholeReportReadsEveryPage(t *testing.T) {
	rep := &roger.Replicator{ID: 1, OrgID: 1}
	store := &fakeStore{}
	for i := range 2*pageSize + 3 {
		store.entries = append(store.entries, &roger.Entry{ID: int64(i + 1), Numbers: []roger.Number{{Field: "Phone", Raw: "x", Status: roger.NumberInvalid, Reason: "not a phone number"}}})
	}
	n := 0
	if err := Each(t.Context(), store, rep, func(Row) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2*pageSize+3 {
		t.Fatalf("%d rows, want %d", n, 2*pageSize+3)
	}
}

func TestCountryPreview(t *testing.T) {
	rep := &roger.Replicator{ID: 1, OrgID: 1, DefaultCountry: "NL"}
	guessed := func(id int64, name string, raws ...string) *roger.Entry {
		e := &roger.Entry{ID: id, DisplayName: name, CountryFrom: roger.CountryFromReplicator}
		for _, raw := range raws {
			n := parsed(t, raw, "Phone", rep.DefaultCountry)
			n.National = !strings.HasPrefix(raw, "+")
			e.Numbers = append(e.Numbers, n)
		}
		return e
	}
	own := guessed(4, "Own country", "03 870 23 00")
	own.CountryFrom = roger.CountryFromRecord
	old := guessed(5, "Written before the country's source was kept", "03 870 23 00")
	old.CountryFrom = ""
	store := &fakeStore{entries: []*roger.Entry{
		guessed(1, "Antwerpen", "03 870 23 00"),       // too short in NL, Belgian in BE
		guessed(2, "International", "+31 20 1234567"), // the same with any country
		guessed(3, "Nothing", "zie e-mail"),           // no number in either
		own,                                           // its own country: not read again
		old,                                           // no source kept: read again
	}}
	p, err := PreviewCountry(t.Context(), store, rep, "BE")
	if err != nil {
		t.Fatal(err)
	}
	// The international number is not read again: the record says where
	// its country came from, and the number has its own.
	want := CountryPreview{From: "NL", To: "BE", Numbers: 3, ParseNow: 0, ParseThen: 2, NewlyParse: 2,
		Examples: []Example{
			{Name: "Antwerpen", Field: "Phone", Raw: "03 870 23 00", Before: "too short", After: "+3238702300"},
			{Name: "Written before the country's source was kept", Field: "Phone", Raw: "03 870 23 00", Before: "too short", After: "+3238702300"},
		}}
	if !reflect.DeepEqual(*p, want) || p.Different() != 2 {
		t.Errorf("preview %+v, want %+v", *p, want)
	}

	// From Germany to the Netherlands: a number read as another, and one
	// that no longer parses.
	rep.DefaultCountry = "DE"
	store.entries = []*roger.Entry{guessed(1, "Berlin or Utrecht", "030 1234567"), guessed(2, "Berlin", "030 12345678"), guessed(3, "International", "+31 20 1234567")}
	if p, err = PreviewCountry(t.Context(), store, rep, "NL"); err != nil {
		t.Fatal(err)
	}
	want = CountryPreview{From: "DE", To: "NL", Numbers: 2, ParseNow: 2, ParseThen: 1, Changed: 1, NoLongerParse: 1,
		Examples: []Example{
			{Name: "Berlin or Utrecht", Field: "Phone", Raw: "030 1234567", Before: "+49301234567", After: "+31301234567"},
			{Name: "Berlin", Field: "Phone", Raw: "030 12345678", Before: "+493012345678", After: "invalid number for NL"},
		}}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("preview %+v, want %+v", *p, want)
	}

	// Examples stop at MaxExamples; the counts go on.
	rep.DefaultCountry = "NL"
	store.entries = nil
	for i := range MaxExamples + 2 {
		store.entries = append(store.entries, guessed(int64(i+1), "B", "03 870 23 00"))
	}
	if p, _ = PreviewCountry(t.Context(), store, rep, "BE"); len(p.Examples) != MaxExamples || p.NewlyParse != MaxExamples+2 {
		t.Errorf("%d examples, %d newly parsed", len(p.Examples), p.NewlyParse)
	}
}

// Out of time, the preview gives the counts of what it read.
func TestCountryPreviewOutOfTime(t *testing.T) {
	store := &fakeStore{entries: []*roger.Entry{{ID: 1, CountryFrom: roger.CountryFromReplicator, Numbers: []roger.Number{parsed(t, "03 870 23 00", "Phone", "NL")}}}}
	ctx, cancel := context.WithDeadline(t.Context(), time.Now())
	defer cancel()
	<-ctx.Done()
	p, err := PreviewCountry(ctx, store, &roger.Replicator{DefaultCountry: "NL"}, "BE")
	if err != nil || !p.Partial || p.Numbers != 1 {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestRowDetailSaysWhatTheLabelDoesNot(t *testing.T) {
	for _, tc := range []struct {
		problem roger.QualityProblem
		reason  string
		want    string
	}{
		{roger.ProblemTooShort, "too short: the area code may be missing", "the area code may be missing"},
		{roger.ProblemTooShort, "too short", ""},
		{roger.ProblemInvalidForCountry, "invalid number for NL", "invalid number for NL"},
		{roger.ProblemNotANumber, "not a phone number", "not a phone number"},
	} {
		if got := (Row{Problem: tc.problem, Reason: tc.reason}).Detail(); got != tc.want {
			t.Errorf("%s %q: Detail() = %q, want %q", tc.problem, tc.reason, got, tc.want)
		}
	}
}
