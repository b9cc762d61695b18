package crm

import (
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

var testNow = time.Date(2025, 6, 30, 14, 0, 0, 0, time.UTC)

type population struct {
	accounts []*Account
	contacts []*Contact
}

func populate(seed uint64, division, nAccounts, nContacts int) population {
	var p population
	NewGenerator(seed, division).Populate(nAccounts, nContacts, testNow,
		func(a *Account) { p.accounts = append(p.accounts, a) },
		func(c *Contact) { p.contacts = append(p.contacts, c) })
	return p
}

func values[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

func TestDeterminism(t *testing.T) {
	a := populate(42, 7, 300, 900)
	b := populate(42, 7, 300, 900)
	if !reflect.DeepEqual(values(a.accounts), values(b.accounts)) {
		t.Fatal("same seed and division gave different accounts")
	}
	if !reflect.DeepEqual(values(a.contacts), values(b.contacts)) {
		t.Fatal("same seed and division gave different contacts")
	}

	// Changes replay too.
	ga, gb := NewGenerator(1, 1), NewGenerator(1, 1)
	for i := range 200 {
		x, y := *a.accounts[i], *b.accounts[i]
		ga.ChangeAccount(&x, testNow)
		gb.ChangeAccount(&y, testNow)
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("ChangeAccount is not deterministic:\n%+v\n%+v", x, y)
		}
		u, v := *a.contacts[i], *b.contacts[i]
		ga.ChangeContact(&u, testNow)
		gb.ChangeContact(&v, testNow)
		if !reflect.DeepEqual(u, v) {
			t.Fatalf("ChangeContact is not deterministic:\n%+v\n%+v", u, v)
		}
		na, nb := ga.NewContact(a.accounts[i], testNow), gb.NewContact(b.accounts[i], testNow)
		if !reflect.DeepEqual(*na, *nb) {
			t.Fatalf("NewContact is not deterministic")
		}
	}

	for _, other := range []population{populate(43, 7, 300, 900), populate(42, 8, 300, 900)} {
		same := 0
		for i := range a.accounts {
			if a.accounts[i].Name == other.accounts[i].Name {
				same++
			}
		}
		if same > 30 || a.accounts[0].ID == other.accounts[0].ID {
			t.Errorf("another seed or division gives the same data (%d of 300 names equal)", same)
		}
	}
}

func TestPopulate(t *testing.T) {
	const nA, nC = 200, 1000
	seen := map[GUID]bool{}
	yielded := map[GUID]*Account{}
	var accounts []*Account
	var contacts []*Contact
	NewGenerator(7, 1).Populate(nA, nC, testNow,
		func(a *Account) {
			accounts = append(accounts, a)
			yielded[a.ID] = a
		},
		func(c *Contact) {
			if yielded[c.Account] == nil {
				t.Fatalf("contact %d yielded before its account", c.HID)
			}
			if accounts[len(accounts)-1].ID != c.Account {
				t.Fatalf("contact %d does not follow its account", c.HID)
			}
			contacts = append(contacts, c)
		})
	if len(accounts) != nA || len(contacts) != nC {
		t.Fatalf("got %d accounts and %d contacts, want %d and %d", len(accounts), len(contacts), nA, nC)
	}
	for i, a := range accounts {
		if a.Code != strconv.Itoa(i+1) {
			t.Fatalf("account %d has code %q", i, a.Code)
		}
		if seen[a.ID] || a.ID.IsZero() {
			t.Fatalf("duplicate or zero ID %v", a.ID)
		}
		seen[a.ID] = true
		if a.Name == "" || a.Timestamp != 0 {
			t.Fatalf("account %s: name %q, timestamp %d", a.Code, a.Name, a.Timestamp)
		}
		if a.Created.Before(testNow.Add(-5*365*24*time.Hour-time.Hour)) || a.Created.After(testNow) ||
			a.Modified.Before(a.Created) || a.Modified.After(testNow) {
			t.Fatalf("account %s: created %v, modified %v", a.Code, a.Created, a.Modified)
		}
	}
	perAccount := map[GUID]int{}
	mains := map[GUID]int{}
	for i, c := range contacts {
		if c.HID != int32(i+1) {
			t.Fatalf("contact %d has HID %d", i, c.HID)
		}
		if seen[c.ID] || c.ID.IsZero() {
			t.Fatalf("duplicate or zero ID %v", c.ID)
		}
		seen[c.ID] = true
		perAccount[c.Account]++
		a := yielded[c.Account]
		if c.IsMainContact {
			mains[c.Account]++
			if a.MainContact != c.ID {
				t.Fatalf("main contact %d is not its account's MainContact", c.HID)
			}
		}
		if c.Created.Before(a.Created) || c.Modified.Before(c.Created) || c.Modified.After(testNow) {
			t.Fatalf("contact %d: created %v (account %v), modified %v", c.HID, c.Created, a.Created, c.Modified)
		}
	}
	few, many := 0, 0
	for _, a := range accounts {
		n := perAccount[a.ID]
		switch {
		case n == 0 && !a.MainContact.IsZero():
			t.Fatalf("account %s has a MainContact but no contacts", a.Code)
		case n > 0 && mains[a.ID] != 1:
			t.Fatalf("account %s has %d main contacts", a.Code, mains[a.ID])
		}
		if n <= 2 {
			few++
		}
		if n >= 10 {
			many++
		}
	}
	if few < nA/3 || many < nA/50 {
		t.Errorf("contacts spread too evenly: %d accounts with 0-2, %d with 10+", few, many)
	}

	// The last account takes what is left, whatever the draw.
	for _, n := range [][2]int{{1, 5}, {3, 0}, {5, 100}, {0, 10}} {
		p := populate(3, 3, n[0], n[1])
		want := n[1]
		if n[0] == 0 {
			want = 0
		}
		if len(p.accounts) != n[0] || len(p.contacts) != want {
			t.Errorf("Populate(%d, %d) gave %d and %d", n[0], n[1], len(p.accounts), len(p.contacts))
		}
	}
}

// notations classifies how a phone number is written; the test wants many
// of them because roger's parsing must cope with each.
var notations = []struct {
	name string
	re   *regexp.Regexp
}{
	{"00-spaced", regexp.MustCompile(`^00\d{1,3} \d`)},
	{"00-compact", regexp.MustCompile(`^00\d{9,}$`)},
	{"compact", regexp.MustCompile(`^0\d{8,11}$`)},
	{"spaced", regexp.MustCompile(`^0\d{1,4}( \d{2,8})+$`)},
	{"spaced-dash", regexp.MustCompile(`^0\d{1,4} - \d`)},
	{"dash", regexp.MustCompile(`^0\d{1,4}-\d[\d ]+$`)},
	{"brackets", regexp.MustCompile(`^\(0\d{1,4}\) \d`)},
	{"intl-spaced", regexp.MustCompile(`^\+\d{1,3} \d`)},
	{"intl-compact", regexp.MustCompile(`^\+\d{9,}$`)},
	{"intl-trunk", regexp.MustCompile(`^\+\d{1,3} \(0\) ?\d`)},
	{"slash", regexp.MustCompile(`^0\d{1,4}/[\d ]+$`)},
	{"slash-dots", regexp.MustCompile(`^0\d{1,4}/\d+(\.\d+)+$`)},
	{"dots", regexp.MustCompile(`^0\d{1,4}(\.\d+)+$`)},
	{"german-ddi", regexp.MustCompile(`^(\+49 (\(0\) )?|0)\d+ (/ )?\d+-\d+$`)},
	{"us", regexp.MustCompile(`^(\+1 )?\(\d{3}\) \d{3}-\d{4}$|^\d{3}[-.]\d{3}[-.]\d{4}$|^[2-9]\d{9}$`)},
	{"no-area", regexp.MustCompile(`^[1-9]\d{1,3}( ?\d{2,4}){1,3}$`)},
}

var (
	extText   = regexp.MustCompile(`^(.*\d)(?: (?:x ?|ext\.? |Ext |tst\.? |toestel |poste |p\. |Durchwahl |Dw\. )| -)(\d{1,4})$`)
	phoneLike = regexp.MustCompile(`^[+(]?\d[\d ()./-]{5,}\d$`)
)

func classify(s string) string {
	if m := extText.FindStringSubmatch(s); m != nil {
		return "ext-text"
	}
	for _, n := range notations {
		if n.re.MatchString(s) {
			return n.name
		}
	}
	if !phoneLike.MatchString(s) {
		return "non-number"
	}
	return "other"
}

// nationalNumber reads a generated number back to its country calling code
// and national significant number, independently of the generator's parser.
func nationalNumber(s, country string) (cc, nsn string) {
	if m := extText.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	var d strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d.WriteRune(r)
		}
	}
	digits := d.String()
	if strings.HasPrefix(s, "+") || strings.HasPrefix(digits, "00") {
		digits = strings.TrimPrefix(digits, "00")
		for _, c := range []string{"31", "32", "33", "44", "49", "1"} {
			if strings.HasPrefix(digits, c) {
				return c, strings.TrimPrefix(digits[len(c):], "0")
			}
		}
		return "", ""
	}
	cc = map[string]string{"NL": "31", "BE": "32", "DE": "49", "GB": "44", "FR": "33", "US": "1"}[country]
	if cc == "1" {
		return cc, digits
	}
	if !strings.HasPrefix(digits, "0") {
		return "", "" // no area code
	}
	return cc, digits[1:]
}

// validNSN mirrors the ranges the generator promises; the numbers were
// also checked against libphonenumber's metadata when the lists were made.
var validNSN = map[string]*regexp.Regexp{
	"31": regexp.MustCompile(`^(?:(?:1[0-8]|2[0-9]|3[0-8]|4[0-9]|5[0-9]|7[0-9])\d{7}|6[1-5]\d{7})$`),
	"32": regexp.MustCompile(`^(?:(?:[23][2-8]|4[23]|9[2-4])\d{6}|[15-8]\d{7}|4(?:7\d|8[3-9]|9\d)\d{6})$`),
	"49": regexp.MustCompile(`^(?:[2-9]\d{8,9}|1(?:5[127]\d{8}|6[023]\d{7}|7\d{8,9}))$`),
	"44": regexp.MustCompile(`^(?:2079460\d{3}|1(?:1[346-8]|21|31|41|51|61)4960\d{3}|1914980\d{3}|2896496\d{3}|2920180\d{3}|7700[01]\d{5})$`),
	"33": regexp.MustCompile(`^(?:1[3-5]\d{7}|6[0-8]\d{7}|7[3-8]\d{7})$`),
	"1":  regexp.MustCompile(`^(?:212|917|646)[2-9]\d{6}$`),
}

type phoneField struct {
	s, country string
}

// phoneFields lists the phone fields with the country they are written
// for (a contact's own, else its account's), as a person would read them:
// without the labels, remarks and invisible characters of messy.go, which
// TestMessyNumbers checks on their own.
func phoneFields(p population) []phoneField {
	var out []phoneField
	byID := map[GUID]*Account{}
	for _, a := range p.accounts {
		byID[a.ID] = a
		for _, s := range []string{a.Phone, a.Fax} {
			if s != "" {
				out = append(out, phoneField{tidy(s), a.Country})
			}
		}
	}
	for _, c := range p.contacts {
		country := byID[c.Account].Country
		for _, s := range []string{c.Phone, c.BusinessFax} {
			if s != "" {
				out = append(out, phoneField{tidy(s), country})
			}
		}
		if c.Country != "" && country != "" {
			country = c.Country
		}
		if c.Mobile != "" {
			out = append(out, phoneField{tidy(c.Mobile), country})
		}
	}
	return out
}

// tidy undoes what messUp adds to a number.
func tidy(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case r == '\u00a0' || r == '\u202f':
			return ' '
		}
		return r
	}, s)
	if strings.IndexFunc(s, unicode.IsDigit) < 0 {
		return s
	}
	if i := strings.IndexAny(s, "+(0123456789"); i > 0 {
		s = s[i:]
	}
	for _, remarks := range phoneRemarks {
		for _, r := range remarks {
			s = strings.TrimSuffix(s, r)
		}
	}
	return s
}

// TestMessyNumbers: a few percent of phone fields carry what people leave
// in them, of every kind messUp adds, and contacts of their own country
// have numbers of that country.
func TestMessyNumbers(t *testing.T) {
	p := populate(2025, 1, 5000, 15000)
	kinds := map[string]int{}
	fields := 0
	count := func(s string) {
		if s == "" {
			return
		}
		fields++
		switch {
		case strings.ContainsAny(s, "\u00a0\u202f"):
			kinds["nbsp"]++
		case strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0:
			kinds["invisible"]++
		case tidy(s) != s && strings.HasSuffix(s, ")") || strings.HasSuffix(s, "voicemail"):
			kinds["remark"]++
		case tidy(s) != s:
			kinds["label"]++
		}
	}
	byID := map[GUID]*Account{}
	for _, a := range p.accounts {
		byID[a.ID] = a
		count(a.Phone)
		count(a.Fax)
	}
	own := 0
	for _, c := range p.contacts {
		count(c.Phone)
		count(c.Mobile)
		count(c.BusinessFax)
		if a := byID[c.Account]; c.Country != "" && a.Country != "" && c.Country != a.Country && c.Mobile != "" {
			own++
		}
	}
	messy := 0
	for _, n := range kinds {
		messy += n
	}
	t.Logf("%d of %d phone fields messy: %v; %d contacts of another country than their account", messy, fields, kinds, own)
	if r := float64(messy) / float64(fields); r < .03 || r > .15 {
		t.Errorf("messy share %.3f, want a few percent", r)
	}
	for _, k := range []string{"nbsp", "invisible", "remark", "label"} {
		if kinds[k] < fields/500 {
			t.Errorf("only %d fields of kind %s", kinds[k], k)
		}
	}
	if own < len(p.contacts)/200 {
		t.Errorf("%d contacts live in another country than their account, want some", own)
	}
}

func TestDistribution(t *testing.T) {
	p := populate(2025, 1, 20000, 40000)

	countries := map[string]int{}
	for _, a := range p.accounts {
		countries[a.Country]++
	}
	share := func(code string) float64 { return float64(countries[code]) / float64(len(p.accounts)) }
	set := 1 - share("")
	for _, b := range []struct {
		code     string
		min, max float64
	}{{"NL", .62, .78}, {"BE", .08, .16}, {"DE", .06, .14}, {"GB", .03, .09}} {
		if s := share(b.code) / set; s < b.min || s > b.max {
			t.Errorf("%s accounts: %.3f of those with a country, want %.2f-%.2f", b.code, s, b.min, b.max)
		}
	}
	if s := (share("FR") + share("US")) / set; s < .005 || s > .05 {
		t.Errorf("FR and US accounts: %.3f", s)
	}
	if s := share(""); s < .08 || s > .22 {
		t.Errorf("accounts without a country: %.3f", s)
	}

	phones := phoneFields(p)
	kinds := map[string]int{}
	invalid := 0
	for _, f := range phones {
		k := classify(f.s)
		kinds[k]++
		if k == "non-number" || k == "no-area" {
			continue
		}
		cc, nsn := nationalNumber(f.s, f.country)
		if cc == "" {
			continue // national notation on an account without a country
		}
		if re := validNSN[cc]; re == nil || !re.MatchString(nsn) {
			invalid++
			if invalid < 10 {
				t.Errorf("%q (account country %q) is not a valid number: +%s %s", f.s, f.country, cc, nsn)
			}
		}
	}
	t.Logf("notations: %v", kinds)
	if testing.Verbose() {
		shown := map[string]int{}
		for _, f := range phones {
			if k := classify(f.s); shown[k] < 3 {
				shown[k]++
				t.Logf("%-12s %q", k, f.s)
			}
		}
	}
	if r := float64(kinds["non-number"]) / float64(len(phones)); r < .003 || r > .03 {
		t.Errorf("non-numbers: %.4f of phone fields, want 0.3%%-3%%", r)
	}
	if kinds["other"] > len(phones)/200 {
		t.Errorf("%d phone numbers in no known notation", kinds["other"])
	}
	families := 0
	for _, n := range notations {
		if kinds[n.name] > 0 {
			families++
		}
	}
	if families < 8 {
		t.Errorf("only %d notation families", families)
	}
	if kinds["ext-text"] == 0 {
		t.Error("no extensions written after a number")
	}

	byID := map[GUID]*Account{}
	perAccount := map[GUID]int{}
	for _, a := range p.accounts {
		byID[a.ID] = a
	}
	for _, c := range p.contacts {
		perAccount[c.Account]++
	}
	var withExt, bigContacts, shared, sameRange int
	for _, c := range p.contacts {
		if c.PhoneExtension != "" {
			withExt++
		}
		a := byID[c.Account]
		if perAccount[a.ID] < 3 {
			continue
		}
		bigContacts++
		_, an := nationalNumber(a.Phone, a.Country)
		_, cn := nationalNumber(c.Phone, a.Country)
		switch {
		case an == "" || cn == "":
		case an == cn:
			shared++
		case len(an) >= 8 && len(cn) >= 8 && an[:len(an)-2] == cn[:len(an)-2]:
			sameRange++
		}
	}
	if withExt == 0 {
		t.Error("no PhoneExtension set")
	}
	if r := float64(shared) / float64(bigContacts); r < .15 || r > .45 {
		t.Errorf("contacts of accounts with 3+ contacts sharing the switchboard: %.3f", r)
	}
	if sameRange == 0 {
		t.Error("no direct dial numbers in the switchboard's range")
	}
	t.Logf("%d extensions, %d of %d contacts share a switchboard, %d have a direct line in its range", withExt, shared, bigContacts, sameRange)

	mobiles, emails := 0, 0
	for _, c := range p.contacts {
		if c.Mobile != "" {
			mobiles++
		}
		if c.Email != "" {
			emails++
		}
	}
	if r := float64(mobiles) / float64(len(p.contacts)); r < .5 || r > .7 {
		t.Errorf("contacts with a mobile: %.3f", r)
	}
	if r := float64(emails) / float64(len(p.contacts)); r < .6 || r > .95 {
		t.Errorf("contacts with an e-mail address: %.3f", r)
	}
}

// TestNotationRoundTrip checks that every notation reads back as the same
// number: a change that rewrites a number must not turn it into another.
func TestNotationRoundTrip(t *testing.T) {
	g := NewGenerator(8, 8)
	cu := &culture{ext: []string{" x", " ext. ", " tst. ", " -", " Durchwahl "}}
	for _, c := range countries {
		for range 300 {
			ct := &c.cities[g.r.IntN(len(c.cities))]
			for _, n := range []number{g.geoNumber(c, ct), g.switchboard(c, ct), g.mobileNumber(c)} {
				for st := stCompact; st <= stIntlBracketUS; st++ {
					if st == stNoArea || st == stIntlBracketUS && c != us {
						continue
					}
					s := string(appendStyled(nil, &n, st, g.r.IntN(60)))
					if g.pct(30) {
						s = string(g.appendExtText([]byte(s), cu, g.extension()))
					}
					back, ok := parsePhone(s, c)
					if !ok || back.c != c || string(back.digits()) != string(n.digits()) || back.mobile != n.mobile {
						t.Fatalf("%s %q (style %d) reads back as %+v, %v; want %s", c.code, s, st, back, ok, n.digits())
					}
					if cc, nsn := nationalNumber(s, c.code); cc != c.cc || nsn != string(n.digits()) {
						t.Fatalf("test helper reads %q as +%s %s", s, cc, nsn)
					}
				}
			}
		}
	}
	for _, s := range []string{"n.v.t.", "+31", "12345", "0000000000", "123 4567", ""} {
		if _, ok := parsePhone(s, nl); ok {
			t.Errorf("%q parses as a number", s)
		}
	}
}

func TestNameVariety(t *testing.T) {
	g := NewGenerator(99, 2)
	names := map[string]bool{}
	diacritics := 0
	for range 20000 {
		a := g.NewAccount(testNow)
		names[a.Name] = true
		if strings.ContainsAny(a.Name, "äöüéèëïçß") {
			diacritics++
		}
	}
	if len(names) < 5000 {
		t.Errorf("%d distinct names in 20000 accounts", len(names))
	}
	if diacritics == 0 {
		t.Error("no names with diacritics")
	}
	t.Logf("%d distinct names, %d with diacritics", len(names), diacritics)
}

func TestDutchNames(t *testing.T) {
	p := populate(5, 5, 2000, 4000)
	byID := map[GUID]*Account{}
	for _, a := range p.accounts {
		byID[a.ID] = a
	}
	tussen := 0
	for _, c := range p.contacts {
		if c.MiddleName != "" {
			tussen++
			if !isTussen(strings.Fields(c.MiddleName)[0]) {
				t.Errorf("middle name %q", c.MiddleName)
			}
		}
		if strings.Contains(c.LastName, "van ") || strings.HasPrefix(c.LastName, "de ") {
			t.Errorf("tussenvoegsel left in last name %q", c.LastName)
		}
		if c.Email != "" && (!strings.Contains(c.Email, "@") || strings.ContainsAny(c.Email, " äöüéß")) {
			t.Errorf("bad e-mail %q", c.Email)
		}
	}
	if tussen < len(p.contacts)/20 {
		t.Errorf("only %d contacts with a tussenvoegsel", tussen)
	}
}

func TestChanges(t *testing.T) {
	p := populate(11, 1, 500, 1500)
	g := NewGenerator(12, 1)
	later := testNow.Add(time.Hour)
	changed := map[string]int{}
	for i := range 3000 {
		a := p.accounts[i%len(p.accounts)]
		before := *a
		g.ChangeAccount(a, later)
		if a.ID != before.ID || a.Code != before.Code || !a.Modified.Equal(later) {
			t.Fatalf("ChangeAccount changed the identity or not Modified: %+v", a)
		}
		for _, f := range diff(before, *a) {
			changed["account."+f]++
		}
		c := p.contacts[i%len(p.contacts)]
		cb := *c
		g.ChangeContact(c, later)
		if c.ID != cb.ID || c.HID != cb.HID || c.Account != cb.Account || !c.Modified.Equal(later) {
			t.Fatalf("ChangeContact changed the identity or not Modified: %+v", c)
		}
		for _, f := range diff(cb, *c) {
			changed["contact."+f]++
		}
	}
	for _, f := range []string{"account.Phone", "account.Name", "account.Email", "account.AddressLine1",
		"account.Fax", "contact.Phone", "contact.Mobile", "contact.Email", "contact.JobTitleDescription"} {
		if changed[f] == 0 {
			t.Errorf("no change ever touches %s", f)
		}
	}
	t.Logf("changed fields: %v", changed)
}

func diff[T any](a, b T) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		name := va.Type().Field(i).Name
		if name == "Modified" || name == "Modifier" || name == "ModifierFullName" {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, name)
		}
	}
	return out
}

// TestRetainedHeap measures what a kept record costs; the simulator holds
// every record of every division in memory.
func TestRetainedHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100,000 records")
	}
	const nA, nC = 20000, 80000
	accounts := make([]*Account, 0, nA)
	contacts := make([]*Contact, 0, nC)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	NewGenerator(1, 1).Populate(nA, nC, testNow,
		func(a *Account) { accounts = append(accounts, a) },
		func(c *Contact) { contacts = append(contacts, c) })
	runtime.GC()
	runtime.ReadMemStats(&after)
	structs := nA*int(reflect.TypeFor[Account]().Size()) + nC*int(reflect.TypeFor[Contact]().Size())
	perRecord := float64(after.HeapAlloc-before.HeapAlloc) / (nA + nC)
	strs := float64(int(after.HeapAlloc-before.HeapAlloc)-structs) / (nA + nC)
	t.Logf("%.0f bytes per retained record, of which %.0f beyond the structs (Account %d, Contact %d bytes)",
		perRecord, strs, reflect.TypeFor[Account]().Size(), reflect.TypeFor[Contact]().Size())
	if strs > 150 {
		t.Errorf("%.0f bytes of strings per record", strs)
	}
	runtime.KeepAlive(accounts)
	runtime.KeepAlive(contacts)
}

// TestSamples checks the records a demo shows first (seed 1, division 1):
// every phone field in a notation the tests know, numbers that read back
// valid, a variety of notations, and the first records complete enough to
// look real. With -v it lists them for a person to read.
func TestSamples(t *testing.T) {
	p := populate(1, 1, 40, 120)
	phones := phoneFields(p)
	kinds := map[string]int{}
	var lines []string
	for _, f := range phones {
		k := classify(f.s)
		kinds[k]++
		lines = append(lines, fmt.Sprintf("%-30q %s %s", f.s, f.country, k))
		if k == "other" {
			t.Errorf("%q is in no known notation", f.s)
		}
		if k == "non-number" || k == "no-area" {
			continue
		}
		if cc, nsn := nationalNumber(f.s, f.country); cc != "" {
			if re := validNSN[cc]; re == nil || !re.MatchString(nsn) {
				t.Errorf("%q (account country %q) is not a valid number: +%s %s", f.s, f.country, cc, nsn)
			}
		}
	}
	if len(phones) < 160 {
		t.Errorf("%d phone fields in 40 accounts and 120 contacts", len(phones))
	}
	if families := len(kinds) - 1; families < 6 {
		t.Errorf("the sample shows %d notations, want 6 or more: %v", families, kinds)
	}
	slices.Sort(lines)
	for _, l := range lines {
		t.Log(l)
	}
	accounts := map[GUID]bool{}
	for _, a := range p.accounts {
		accounts[a.ID] = true
	}
	for _, a := range p.accounts[:10] {
		t.Logf("%+v", *a)
		if a.Name == "" || a.Phone == "" && a.Email == "" {
			t.Errorf("account %s lacks a name or any way to reach it: %+v", a.Code, *a)
		}
	}
	for _, c := range p.contacts[:10] {
		t.Logf("%+v", *c)
		if c.FirstName == "" || c.LastName == "" || !accounts[c.Account] {
			t.Errorf("contact %d lacks a name or an account of the sample: %+v", c.HID, *c)
		}
		if c.Email != "" && !strings.Contains(c.Email, "@") {
			t.Errorf("contact %d has e-mail address %q", c.HID, c.Email)
		}
	}
}

func BenchmarkPopulate(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		NewGenerator(1, 1).Populate(1000, 4000, testNow, func(*Account) { n++ }, func(*Contact) { n++ })
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
