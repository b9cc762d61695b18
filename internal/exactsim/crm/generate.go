package crm

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Generator produces deterministic random CRM data: the same seed and
// division give the same records, so a failing roger test can be replayed.
// A Generator is not safe for concurrent use.
type Generator struct {
	r *rand.Rand
	// mess draws the messy additions of messy.go, apart from r.
	mess  *rand.Rand
	code  int
	hid   int32
	users []user

	// All variable strings of one record are appended to buf and turned
	// into a single string at the end: one allocation per record instead of
	// one per field, and no size-class rounding per field.
	buf  []byte
	refs []ref
	dom  []byte // the current account's e-mail domain

	cur   acct
	batch []*Contact
}

type user struct {
	id   GUID
	name string
}

type ref struct {
	dst  *string
	i, j int
}

// acct is what contacts borrow from their account: its country, city,
// switchboard number and e-mail domain.
type acct struct {
	a       *Account
	id      GUID
	phone   string
	c       *country
	cu      *culture
	ct      *city
	sw      number
	hasSw   bool
	family  string // the family name a company is named after, if any
	planned int    // contacts the account gets in Populate; -1 when unknown
	how     certainty
}

// certainty says how well the country of an existing record is known,
// which decides how its numbers may be written without changing them.
type certainty uint8

const (
	homeKnown   certainty = iota // from its country, city or e-mail domain
	numberKnown                  // only from an international number on it
	guessed                      // from a nationally written number, or not at all
)

// NewGenerator returns a generator for one division. The division is mixed
// into the random stream so that divisions of one simulator differ.
func NewGenerator(seed uint64, division int) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, uint64(division)*0x9e3779b97f4a7c15^0x5851f42d4c957f2d)), mess: newMess(seed, division)}
	for _, n := range userNames {
		g.users = append(g.users, user{id: RandomGUID(g.r), name: n})
	}
	g.cur.planned = -1
	return g
}

// ---- per-record string arena ----

func (g *Generator) begin() {
	g.buf = g.buf[:0]
	g.refs = g.refs[:0]
}

func (g *Generator) mark() int { return len(g.buf) }

// set makes *dst the text appended since start once the record is committed.
func (g *Generator) set(dst *string, start int) {
	if len(g.buf) == start {
		*dst = ""
		return
	}
	g.refs = append(g.refs, ref{dst, start, len(g.buf)})
}

func (g *Generator) commit() {
	if len(g.refs) > 0 {
		s := string(g.buf)
		for i, rf := range g.refs {
			*rf.dst = s[rf.i:rf.j]
			g.refs[i] = ref{} // drop the pointer so the record is not kept alive
		}
	}
	g.begin()
}

// ---- random helpers ----

func (g *Generator) pct(p int) bool { return g.r.IntN(100) < p }

func (g *Generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

// skewed favours low indexes: the word lists put big cities first.
func (g *Generator) skewed(n int) int { return g.r.IntN(g.r.IntN(n) + 1) }

func (g *Generator) digit() byte { return byte('0' + g.r.IntN(10)) }

func (g *Generator) appendDigits(b []byte, n int) []byte {
	for range n {
		b = append(b, g.digit())
	}
	return b
}

func (g *Generator) user() user { return g.users[g.r.IntN(len(g.users))] }

// history makes a record's audit fields: created between from and now,
// changed since in modifiedPct percent of records, by the same user when
// it never changed and by a (possibly other) user when it did.
func (g *Generator) history(from, now time.Time, modifiedPct int) (created, modified time.Time, creator GUID, creatorName string, modifier GUID, modifierName string) {
	created = g.past(from, now)
	modified = created
	if g.pct(modifiedPct) {
		modified = g.past(created, now)
	}
	u := g.user()
	creator, creatorName = u.id, u.name
	if !modified.Equal(created) {
		u = g.user()
	}
	return created, modified, creator, creatorName, u.id, u.name
}

// past returns a moment between from and to, cut to milliseconds because
// Exact stores no more.
func (g *Generator) past(from, to time.Time) time.Time {
	d := to.Sub(from)
	if d <= 0 {
		return to.Truncate(time.Millisecond)
	}
	return from.Add(time.Duration(g.r.Int64N(int64(d)))).Truncate(time.Millisecond)
}

const fiveYears = 5 * 365 * 24 * time.Hour

// ---- countries ----

// culture is the language side of a country: names, trades and words.
// Belgium has two.
type culture struct {
	lang                    string
	male, female, families  []string
	tussen                  bool // Dutch: split "van der" off into MiddleName
	trades, legal           []string
	tradeFirst              bool   // "Bakkerij de Vries" rather than "Thompson Logistics"
	sons, holding, org      string // "& Zn.", "Holding", "Stichting"
	streets                 []string
	numberFirst             bool // "12 High Street"
	jobs, notes             []string
	mailPrefix, privateMail []string
	tlds                    []string
	ext                     []string // how people write an extension after a number
	umlautE                 bool     // ü becomes ue in e-mail addresses
	aside                   string   // "Privé", "Mobile" in a note with a number
	junk                    []string // what people type in a phone field instead of a number
}

type mobile struct {
	area  string
	pre   string
	first string // allowed first subscriber digits; empty means any
	sub   [2]int // subscriber length range after area (and pre)
}

type country struct {
	code, cc, trunk string
	share           int    // per mille of accounts
	nsn             [2]int // length range of geographic national significant numbers
	cities          []city
	mobiles         []mobile
	geo, mob        []styleW
	cultures        map[string]*culture
	main            *culture
	areas           []string // all area codes, longest first, for parsing
}

func (c *country) culture(ct *city) *culture {
	if ct != nil && ct.lang != "" {
		if cu, ok := c.cultures[ct.lang]; ok {
			return cu
		}
	}
	return c.main
}

var (
	nlCulture = &culture{
		lang: "NL", male: nlMale, female: nlFemale, families: nlFamilies, tussen: true,
		trades: nlTrades, legal: nlLegal, tradeFirst: true, sons: "& Zn.", holding: "Holding", org: "Stichting",
		streets: nlStreets, jobs: nlJobs, notes: nlNotes, mailPrefix: mailPrefixNL, privateMail: privateMailNL,
		tlds: []string{".nl", ".nl", ".nl", ".nl", ".nl", ".nl", ".nl", ".nl", ".com", ".eu"},
		ext:  []string{" tst. ", " tst. ", " tst ", " toestel ", " -", " x", " ext. "}, aside: "Privé: ", junk: nonNumbersNL,
	}
	beNLCulture = &culture{
		lang: "NL", male: beMaleNL, female: beFemaleNL, families: beFamiliesNL,
		trades: beTradesNL, legal: beLegalNL, tradeFirst: true, sons: "& Zonen", holding: "Holding", org: "vzw",
		streets: beStreetsNL, jobs: nlJobs, notes: nlNotes, mailPrefix: mailPrefixNL, privateMail: privateMailBE,
		tlds: []string{".be", ".be", ".be", ".be", ".be", ".be", ".com", ".eu"},
		ext:  []string{" tst. ", " toestel ", " ext. ", " x"}, aside: "Privé: ", junk: nonNumbersNL,
	}
	beFRCulture = &culture{
		lang: "FR", male: maleFR, female: femaleFR, families: beFamiliesFR,
		trades: beTradesFR, legal: beLegalFR, tradeFirst: true, sons: "& Fils", holding: "Holding", org: "ASBL",
		streets: beStreetsFR, jobs: frJobs, notes: frNotes, mailPrefix: mailPrefixFR, privateMail: privateMailBE,
		tlds: []string{".be", ".be", ".be", ".be", ".be", ".com", ".eu"},
		ext:  []string{" poste ", " p. ", " ext. ", " x"}, aside: "Privé : ", junk: nonNumbersFR,
	}
	deCulture = &culture{
		lang: "DE", male: deMale, female: deFemale, families: deFamilies,
		trades: deTrades, legal: deLegal, sons: "& Söhne", holding: "Holding", org: "",
		streets: deStreets, jobs: deJobs, notes: deNotes, mailPrefix: mailPrefixDE, privateMail: privateMailDE,
		tlds: []string{".de", ".de", ".de", ".de", ".de", ".de", ".de", ".com", ".eu"},
		ext:  []string{" Durchwahl ", " Dw. ", " -", " x"}, umlautE: true, aside: "Privat: ", junk: nonNumbersDE,
	}
	gbCulture = &culture{
		lang: "EN", male: gbMale, female: gbFemale, families: gbFamilies,
		trades: gbTrades, legal: gbLegal, sons: "& Sons", holding: "Holdings", org: "",
		streets: gbStreets, numberFirst: true, jobs: enJobs, notes: enNotes, mailPrefix: mailPrefixEN, privateMail: privateMailGB,
		tlds: []string{".co.uk", ".co.uk", ".co.uk", ".co.uk", ".com", ".com", ".uk"},
		ext:  []string{" x", " x", " ext. ", " ext ", " Ext "}, aside: "Mobile: ", junk: nonNumbersEN,
	}
	frCulture = &culture{
		lang: "FR", male: maleFR, female: femaleFR, families: frFamilies,
		trades: frTrades, legal: frLegal, tradeFirst: true, sons: "& Fils", holding: "Holding", org: "",
		streets: frStreets, numberFirst: true, jobs: frJobs, notes: frNotes, mailPrefix: mailPrefixFR, privateMail: privateMailFR,
		tlds: []string{".fr", ".fr", ".fr", ".com"},
		ext:  []string{" poste ", " p. "}, aside: "Portable : ", junk: nonNumbersFR,
	}
	// East Belgium speaks German but has Belgian domains and legal forms.
	beDECulture = func() *culture {
		cu := *deCulture
		cu.tlds = []string{".be", ".be", ".com"}
		cu.legal = []string{"GmbH", "PGmbH", "AG", ""}
		return &cu
	}()
	usCulture = &culture{
		lang: "EN", male: usMale, female: usFemale, families: usFamilies,
		trades: usTrades, legal: usLegal, sons: "& Sons", holding: "Holdings", org: "",
		streets: usStreets, numberFirst: true, jobs: enJobs, notes: enNotes, mailPrefix: mailPrefixEN, privateMail: privateMailUS,
		tlds: []string{".com"},
		ext:  []string{" x", " ext. ", " ext "}, aside: "Cell: ", junk: nonNumbersEN,
	}
)

// Belgian mobiles: 0470-0499 except 0480-0482, which are not in service.
func beMobiles() []mobile {
	var m []mobile
	for a := 470; a <= 499; a++ {
		if a >= 480 && a <= 482 {
			continue
		}
		m = append(m, mobile{area: strconv.Itoa(a), sub: [2]int{6, 6}})
	}
	return m
}

var (
	nl = &country{code: "NL", cc: "31", trunk: "0", share: 700, nsn: [2]int{9, 9}, cities: nlCities,
		mobiles: []mobile{{area: "6", first: "12345", sub: [2]int{8, 8}}},
		geo: []styleW{{stSpaced, 18}, {stFlat, 12}, {stCompact, 14}, {stDash, 14}, {stSpacedDash, 4}, {stBracket, 4},
			{stIntl, 8}, {stIntlCompact, 4}, {stIntlTrunk, 5}, {stZZ, 3}, {stZZCompact, 2}, {stSlash, 1}},
		mob: []styleW{{stDash, 25}, {stCompact, 20}, {stSpaced, 25}, {stIntl, 12}, {stIntlCompact, 10},
			{stZZ, 4}, {stIntlTrunk, 3}, {stBracket, 1}},
		main: nlCulture}
	be = &country{code: "BE", cc: "32", trunk: "0", share: 120, nsn: [2]int{8, 8}, cities: beCities,
		mobiles: beMobiles(),
		geo: []styleW{{stSlashDots, 18}, {stSlash, 6}, {stSpaced, 28}, {stCompact, 10}, {stIntl, 15}, {stIntlCompact, 5},
			{stZZ, 5}, {stIntlTrunk, 4}, {stDots, 4}, {stDash, 3}},
		mob: []styleW{{stSlashDots, 14}, {stSlash, 8}, {stSpaced, 30}, {stCompact, 12}, {stIntl, 16}, {stIntlCompact, 8},
			{stZZ, 5}, {stDots, 4}, {stIntlTrunk, 3}},
		main: beNLCulture, cultures: map[string]*culture{"FR": beFRCulture, "DE": beDECulture}}
	de = &country{code: "DE", cc: "49", trunk: "0", share: 100, nsn: [2]int{9, 10}, cities: deCities,
		mobiles: []mobile{
			{area: "151", sub: [2]int{8, 8}}, {area: "152", sub: [2]int{8, 8}}, {area: "157", sub: [2]int{8, 8}},
			{area: "160", sub: [2]int{7, 7}}, {area: "162", sub: [2]int{7, 7}}, {area: "163", sub: [2]int{7, 7}},
			{area: "170", sub: [2]int{7, 7}}, {area: "171", sub: [2]int{7, 7}}, {area: "172", sub: [2]int{7, 8}},
			{area: "173", sub: [2]int{7, 8}}, {area: "174", sub: [2]int{7, 8}}, {area: "175", sub: [2]int{7, 7}},
			{area: "176", sub: [2]int{8, 8}}, {area: "177", sub: [2]int{8, 8}}, {area: "178", sub: [2]int{8, 8}},
			{area: "179", sub: [2]int{8, 8}},
		},
		geo: []styleW{{stFlat, 25}, {stSlash, 20}, {stIntl, 12}, {stIntlTrunk, 10}, {stDash, 8}, {stCompact, 8},
			{stZZ, 5}, {stBracket, 5}, {stSpaced, 3}},
		mob: []styleW{{stFlat, 35}, {stSlash, 15}, {stCompact, 12}, {stDash, 8}, {stIntl, 15}, {stIntlTrunk, 8},
			{stZZ, 4}, {stIntlCompact, 3}},
		main: deCulture}
	gb = &country{code: "GB", cc: "44", trunk: "0", share: 60, nsn: [2]int{10, 10}, cities: gbCities,
		// Ofcom's drama block 07700 900xxx is not valid to libphonenumber,
		// so mobiles come from the 07700 0/1 blocks next to it.
		mobiles: []mobile{{area: "7700", first: "01", sub: [2]int{6, 6}}},
		geo: []styleW{{stSpaced, 40}, {stIntl, 15}, {stIntlTrunk, 15}, {stCompact, 10}, {stZZ, 5}, {stIntlCompact, 5},
			{stBracket, 5}, {stDash, 2}},
		mob:  []styleW{{stSpaced, 45}, {stIntl, 20}, {stIntlTrunk, 10}, {stCompact, 15}, {stIntlCompact, 7}, {stZZ, 3}},
		main: gbCulture}
	fr = &country{code: "FR", cc: "33", trunk: "0", share: 10, nsn: [2]int{9, 9}, cities: frCities,
		mobiles: []mobile{{area: "6", first: "01245678", sub: [2]int{8, 8}}, {area: "7", first: "345678", sub: [2]int{8, 8}}},
		geo:     []styleW{{stIntl, 50}, {stSpaced, 30}, {stDots, 10}, {stZZ, 10}},
		mob:     []styleW{{stIntl, 50}, {stSpaced, 30}, {stDots, 10}, {stZZ, 10}},
		main:    frCulture}
	us = &country{code: "US", cc: "1", trunk: "", share: 10, nsn: [2]int{10, 10}, cities: usCities,
		mobiles: []mobile{{area: "917", pre: "324", sub: [2]int{4, 4}}, {area: "917", pre: "402", sub: [2]int{4, 4}},
			{area: "646", pre: "743", sub: [2]int{4, 4}}, {area: "646", pre: "856", sub: [2]int{4, 4}}},
		geo:  []styleW{{stIntl, 40}, {stIntlBracketUS, 25}, {stBracket, 15}, {stDash, 10}, {stCompact, 5}, {stDots, 5}},
		mob:  []styleW{{stIntl, 40}, {stIntlBracketUS, 25}, {stBracket, 15}, {stDash, 10}, {stCompact, 5}, {stDots, 5}},
		main: usCulture}

	countries = []*country{nl, be, de, gb, fr, us}
)

func init() {
	for _, c := range countries {
		for _, ct := range c.cities {
			c.areas = append(c.areas, ct.area)
		}
		for _, m := range c.mobiles {
			c.areas = append(c.areas, m.area)
		}
		slices.SortFunc(c.areas, func(a, b string) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return strings.Compare(a, b)
		})
		c.areas = slices.Compact(c.areas)
	}
}

func countryByCode(code string) *country {
	for _, c := range countries {
		if c.code == code {
			return c
		}
	}
	return nil
}

func (g *Generator) pickCountry() *country {
	n := g.r.IntN(1000)
	for _, c := range countries {
		if n < c.share {
			return c
		}
		n -= c.share
	}
	return nl
}

// ---- phone numbers ----

// number is a phone number as digits; formatting happens separately so
// that one number can be written in any notation.
type number struct {
	c      *country
	d      [16]byte // national significant number
	n      uint8    // its length
	area   uint8    // length of the area code (or mobile prefix) in d
	ddi    uint8    // German switchboards: where the "-0" extension part starts
	mobile bool
}

func (n *number) digits() []byte { return n.d[:n.n] }

func (n *number) add(b ...byte) {
	n.n += uint8(copy(n.d[n.n:], b))
}

func (n *number) addString(s string) {
	n.n += uint8(copy(n.d[n.n:], s))
}

// geoNumber draws a landline number in city ct.
func (g *Generator) geoNumber(c *country, ct *city) number {
	n := number{c: c, area: uint8(len(ct.area))}
	n.addString(ct.area)
	sub := c.nsn[0] + g.r.IntN(c.nsn[1]-c.nsn[0]+1) - len(ct.area)
	if len(ct.pre) > 0 {
		p := g.pick(ct.pre)
		n.addString(p)
		sub -= len(p)
	} else {
		// Subscriber numbers never start with 0 or 1: those are prefixes.
		n.add(byte('2' + g.r.IntN(8)))
		sub--
	}
	for ; sub > 0; sub-- {
		n.add(g.digit())
	}
	return n
}

// switchboard draws a company's main number. Half end in 00, so direct
// lines can share all but the last two digits, as real PABX ranges do;
// German ones are written with the "-0" of the operator.
func (g *Generator) switchboard(c *country, ct *city) number {
	if c == de && g.pct(60) {
		n := number{c: c, area: uint8(len(ct.area))}
		n.addString(ct.area)
		n.add(byte('2' + g.r.IntN(8)))
		for range 8 - len(ct.area) - 1 {
			n.add(g.digit())
		}
		n.ddi = n.n
		n.add('0')
		return n
	}
	n := g.geoNumber(c, ct)
	if g.pct(55) {
		n.d[n.n-2], n.d[n.n-1] = '0', '0'
	}
	return n
}

// directDial is a direct line behind switchboard sw.
func (g *Generator) directDial(sw number) number {
	n := sw
	if n.ddi > 0 {
		n.n = n.ddi
		n.add(byte('1'+g.r.IntN(9)), g.digit())
		return n
	}
	a, b := byte('0'), byte('0')
	for a == '0' && b == '0' {
		a, b = g.digit(), g.digit()
	}
	n.d[n.n-2], n.d[n.n-1] = a, b
	return n
}

// faxOf is the fax next to switchboard sw.
func (g *Generator) faxOf(sw number) number {
	n := sw
	if n.ddi > 0 {
		n.n = n.ddi
		n.add('9', '9')
		return n
	}
	tails := [...]string{"99", "01", "10", "50", "90"}
	t := tails[g.r.IntN(len(tails))]
	n.d[n.n-2], n.d[n.n-1] = t[0], t[1]
	return n
}

func (g *Generator) mobileNumber(c *country) number {
	m := &c.mobiles[g.r.IntN(len(c.mobiles))]
	n := number{c: c, area: uint8(len(m.area)), mobile: true}
	n.addString(m.area)
	n.addString(m.pre)
	sub := m.sub[0] + g.r.IntN(m.sub[1]-m.sub[0]+1)
	if m.first != "" {
		n.add(m.first[g.r.IntN(len(m.first))])
	} else {
		n.add(byte('1' + g.r.IntN(9)))
	}
	sub--
	for ; sub > 0; sub-- {
		n.add(g.digit())
	}
	return n
}

// neighbour picks the country a foreign number on a record most likely
// comes from: the neighbours of the Netherlands, then the rest.
func (g *Generator) neighbour(home *country) *country {
	for {
		var c *country
		switch p := g.r.IntN(100); {
		case p < 35:
			c = be
		case p < 70:
			c = de
		case p < 85:
			c = gb
		case p < 90:
			c = nl
		case p < 95:
			c = fr
		default:
			c = us
		}
		if c != home {
			return c
		}
	}
}

type style uint8

const (
	stCompact       style = iota // 0201234567
	stSpaced                     // 020 123 4567
	stFlat                       // 020 1234567
	stSpacedDash                 // 020 - 123 45 67
	stDash                       // 020-1234567
	stBracket                    // (020) 123 4567
	stIntl                       // +31 20 123 4567
	stIntlCompact                // +31201234567
	stIntlTrunk                  // +31 (0)20 123 4567
	stZZ                         // 0031 20 1234567
	stZZCompact                  // 0031201234567
	stSlash                      // 030/1234567
	stSlashDots                  // 02/123.45.67
	stDots                       // 02.123.45.67
	stNoArea                     // 123 4567
	stDDI                        // 089 123456-0
	stIntlDDI                    // +49 (0) 89 123456-0
	stIntlBracketUS              // +1 (212) 736-1234
)

type styleW struct {
	s style
	w int
}

// Numbers of another country than the record's are written the way a Dutch
// office clerk would: internationally.
var foreignStyles = []styleW{{stIntl, 55}, {stIntlCompact, 15}, {stZZ, 15}, {stIntlTrunk, 10}, {stZZCompact, 5}}

func (g *Generator) pickStyle(t []styleW) style {
	total := 0
	for _, s := range t {
		total += s.w
	}
	n := g.r.IntN(total)
	for _, s := range t {
		if n < s.w {
			return s.s
		}
		n -= s.w
	}
	return t[0].s
}

// grp lists digit group sizes of a subscriber number; zero ends the list
// and the last group takes what is left.
type grp [6]uint8

// groupsFor gives the grouping people of n's country use, varied by v.
func groupsFor(n *number, v int) grp {
	sub := int(n.n - n.area)
	switch n.c.code {
	case "NL":
		if n.mobile {
			switch v % 4 {
			case 0, 1:
				return grp{8}
			case 2:
				return grp{4, 4}
			default:
				return grp{2, 2, 2, 2}
			}
		}
		if sub == 7 {
			return [3]grp{{3, 4}, {3, 2, 2}, {7}}[v%3]
		}
		return [3]grp{{6}, {2, 2, 2}, {3, 3}}[v%3]
	case "BE":
		if n.mobile && v%4 == 0 {
			return grp{3, 3}
		}
		if sub == 7 {
			return grp{3, 2, 2}
		}
		return grp{2, 2, 2}
	case "DE":
		if v%6 == 0 {
			switch sub {
			case 8:
				return grp{2, 2, 2, 2}
			case 7:
				return grp{3, 2, 2}
			case 6:
				return grp{2, 2, 2}
			}
		}
	case "GB":
		switch sub {
		case 8:
			return grp{4, 4}
		case 7:
			return grp{3, 4}
		}
	case "FR":
		return grp{2, 2, 2, 2}
	case "US":
		return grp{3, 4}
	}
	return grp{uint8(sub)}
}

func appendGroups(b, sub []byte, gp grp, sep byte) []byte {
	i := 0
	for k, size := range gp {
		if size == 0 || i >= len(sub) {
			break
		}
		end := i + int(size)
		if k == len(gp)-1 || gp[k+1] == 0 || end > len(sub) {
			end = len(sub)
		}
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, sub[i:end]...)
		i = end
	}
	return b
}

// appendStyled writes n in notation st; v varies digit grouping.
func appendStyled(b []byte, n *number, st style, v int) []byte {
	c := n.c
	d := n.digits()
	area, sub := d[:n.area], d[n.area:]
	gp := groupsFor(n, v)
	us := c == us
	if (st == stDDI || st == stIntlDDI) && n.ddi == 0 {
		st = stFlat
	}
	if st == stNoArea && n.mobile {
		st = stSpaced
	}
	if st == stIntlTrunk && c.trunk == "" {
		st = stIntl
	}
	switch st {
	case stCompact:
		b = append(b, c.trunk...)
		b = append(b, d...)
	case stSpaced:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, ' ')
		b = appendGroups(b, sub, gp, ' ')
	case stFlat:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, ' ')
		b = append(b, sub...)
	case stSpacedDash:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, " - "...)
		b = appendGroups(b, sub, gp, ' ')
	case stDash:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, '-')
		if us {
			b = appendGroups(b, sub, gp, '-')
		} else if v%5 == 0 && !n.mobile {
			b = appendGroups(b, sub, gp, ' ')
		} else {
			b = append(b, sub...)
		}
	case stBracket:
		b = append(b, '(')
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, ") "...)
		if us {
			b = appendGroups(b, sub, gp, '-')
		} else {
			b = appendGroups(b, sub, gp, ' ')
		}
	case stIntl:
		b = append(b, '+')
		b = append(b, c.cc...)
		b = append(b, ' ')
		b = append(b, area...)
		b = append(b, ' ')
		b = appendGroups(b, sub, gp, ' ')
	case stIntlCompact:
		b = append(b, '+')
		b = append(b, c.cc...)
		b = append(b, d...)
	case stIntlTrunk:
		b = append(b, '+')
		b = append(b, c.cc...)
		b = append(b, " (0)"...)
		if c == de && v%2 == 1 {
			b = append(b, ' ')
		}
		b = append(b, area...)
		b = append(b, ' ')
		b = appendGroups(b, sub, gp, ' ')
	case stZZ:
		b = append(b, "00"...)
		b = append(b, c.cc...)
		b = append(b, ' ')
		b = append(b, area...)
		b = append(b, ' ')
		if v%2 == 0 {
			b = append(b, sub...)
		} else {
			b = appendGroups(b, sub, gp, ' ')
		}
	case stZZCompact:
		b = append(b, "00"...)
		b = append(b, c.cc...)
		b = append(b, d...)
	case stSlash:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, '/')
		if c == be && v%3 == 0 {
			b = appendGroups(b, sub, gp, ' ')
		} else {
			b = append(b, sub...)
		}
	case stSlashDots:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, '/')
		b = appendGroups(b, sub, gp, '.')
	case stDots:
		b = append(b, c.trunk...)
		b = append(b, area...)
		b = append(b, '.')
		b = appendGroups(b, sub, gp, '.')
	case stNoArea:
		b = appendGroups(b, sub, gp, ' ')
	case stDDI:
		b = append(b, c.trunk...)
		b = append(b, area...)
		if v%3 == 0 {
			b = append(b, " / "...)
		} else {
			b = append(b, ' ')
		}
		b = append(b, d[n.area:n.ddi]...)
		b = append(b, '-')
		b = append(b, d[n.ddi:]...)
	case stIntlDDI:
		b = append(b, '+')
		b = append(b, c.cc...)
		if v%2 == 0 {
			b = append(b, " (0) "...)
		} else {
			b = append(b, ' ')
		}
		b = append(b, area...)
		b = append(b, ' ')
		b = append(b, d[n.area:n.ddi]...)
		b = append(b, '-')
		b = append(b, d[n.ddi:]...)
	case stIntlBracketUS:
		b = append(b, "+1 ("...)
		b = append(b, area...)
		b = append(b, ") "...)
		b = appendGroups(b, sub, gp, '-')
	}
	return b
}

// appendNumber writes n in a notation typical for its country, or an
// international one when it is foreign to the record's country home.
func (g *Generator) appendNumber(b []byte, n *number, home *country) []byte {
	var st style
	switch {
	case home != nil && n.c != home:
		st = g.pickStyle(foreignStyles)
		if home == us && (st == stZZ || st == stZZCompact) {
			st = stIntl // 00 is no international prefix in America
		}
	case n.ddi > 0 && g.pct(45):
		st = stDDI
		if g.pct(30) {
			st = stIntlDDI
		}
	case n.mobile:
		st = g.pickStyle(n.c.mob)
	default:
		st = g.pickStyle(n.c.geo)
	}
	return appendStyled(b, n, st, g.r.IntN(60))
}

// appendJunk writes something a user typed into a phone field that is no
// phone number at all.
func (g *Generator) appendJunk(b []byte, c *country, cu *culture) []byte {
	switch g.r.IntN(10) {
	case 0:
		b = append(b, '+')
		return append(b, c.cc...)
	case 1, 2, 3, 4:
		return append(b, g.pick(nonNumbers)...)
	}
	return append(b, g.pick(cu.junk)...)
}

func (g *Generator) appendExtText(b []byte, cu *culture, ext int) []byte {
	b = append(b, g.pick(cu.ext)...)
	return strconv.AppendInt(b, int64(ext), 10)
}

// extension draws an internal extension number: two or three digits.
func (g *Generator) extension() int {
	if g.pct(70) {
		return 10 + g.r.IntN(90)
	}
	return 100 + g.r.IntN(900)
}

// parsePhone reads back a number written by the generator (or by a user
// in the same notations), so that a change can rewrite it in another one.
func parsePhone(s string, def *country) (number, bool) {
	var n number
	// A label ("Tel: ", "mob. ") goes before the number starts.
	if i := strings.IndexAny(s, "+(0123456789"); i > 0 {
		s = s[i:]
	}
	s = cutExtension(s)
	var buf [24]byte
	d := buf[:0]
	plus := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '+' && len(d) == 0:
			plus = true
		case ch >= '0' && ch <= '9':
			if len(d) == len(buf) {
				return n, false
			}
			d = append(d, ch)
		}
	}
	c := def
	intl := plus
	if !plus && len(d) > 2 && d[0] == '0' && d[1] == '0' {
		d, intl = d[2:], true
	}
	if intl {
		c = nil
		for _, k := range countries {
			if len(d) > len(k.cc) && string(d[:len(k.cc)]) == k.cc {
				c, d = k, d[len(k.cc):]
				break
			}
		}
		if c == nil {
			return n, false
		}
		if c.trunk != "" && len(d) > 0 && d[0] == '0' { // the "(0)"
			d = d[1:]
		}
	} else {
		if c == nil {
			return n, false
		}
		if c.trunk != "" {
			if len(d) == 0 || d[0] != c.trunk[0] {
				return n, false // no area code: cannot be completed
			}
			d = d[1:]
		}
	}
	if len(d) > len(n.d) {
		return n, false
	}
	n.c = c
	n.add(d...)
	for _, a := range c.areas {
		if strings.HasPrefix(string(d), a) {
			n.area = uint8(len(a))
			break
		}
	}
	if n.area == 0 {
		return n, false
	}
	// Only lengths the generator itself uses count, so that a number of
	// another country is not taken for a mangled one of this country.
	for _, m := range c.mobiles {
		if m.area == string(d[:n.area]) {
			n.mobile = true
			fixed := len(m.area) + len(m.pre)
			return n, len(d) >= fixed+m.sub[0] && len(d) <= fixed+m.sub[1]
		}
	}
	return n, len(d) >= c.nsn[0] && len(d) <= c.nsn[1]
}

// countryOf guesses where a record is from: its country code, else its
// city, an international number or its e-mail domain. Failing those it
// guesses from a nationally written number, which is ambiguous (0475 is
// Roermond and a Belgian mobile). how tells which; ct is nil when the city
// is unknown.
func countryOf(code, cityName, email string, phones ...string) (c *country, ct *city, how certainty) {
	c = countryByCode(code)
	for _, k := range countries {
		if c != nil && k != c {
			continue
		}
		for i := range k.cities {
			if strings.EqualFold(k.cities[i].name, cityName) {
				return k, &k.cities[i], homeKnown
			}
		}
	}
	if c != nil {
		return c, nil, homeKnown
	}
	for _, t := range [...]struct {
		tld string
		c   *country
	}{{".nl", nl}, {".be", be}, {".de", de}, {".uk", gb}, {".fr", fr}} {
		if strings.HasSuffix(email, t.tld) {
			return t.c, nil, homeKnown
		}
	}
	for _, p := range phones {
		if n, ok := parsePhone(p, nil); ok {
			return n.c, nil, numberKnown
		}
	}
	for _, p := range phones {
		for _, k := range countries {
			if _, ok := parsePhone(p, k); ok {
				return k, nil, guessed
			}
		}
	}
	return nl, nil, guessed
}

var nationalStyles = [...]style{stCompact, stSpaced, stFlat, stDash}

// appendFor writes n on a record of country c known as how says. Unless
// the record's country is known, a national notation could change what
// number it is, so numbers are then written the safe way.
func (g *Generator) appendFor(b []byte, n *number, c *country, how certainty) []byte {
	switch {
	case how == homeKnown:
		return g.appendNumber(b, n, c)
	case how == guessed && n.c == c:
		return appendStyled(b, n, nationalStyles[g.r.IntN(len(nationalStyles))], g.r.IntN(60))
	}
	return appendStyled(b, n, g.pickStyle(foreignStyles), g.r.IntN(60))
}

// cutExtension drops an extension written after a number: letters start
// one ("x12", "tst. 12") and so does " -12" at the end.
func cutExtension(s string) string {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' {
			return strings.TrimSpace(s[:i])
		}
	}
	if i := strings.LastIndex(s, " -"); i >= 0 && i+2 < len(s) && s[i+2] >= '0' && s[i+2] <= '9' {
		return s[:i]
	}
	return s
}

// ---- text helpers ----

// appendFold appends r lower-cased and without diacritics, as people write
// names in e-mail addresses and domains; other characters are dropped.
func appendFold(b []byte, r rune, umlautE bool) []byte {
	r = unicode.ToLower(r)
	switch r {
	case 'à', 'á', 'â', 'ã', 'å', 'ā':
		return append(b, 'a')
	case 'ä':
		if umlautE {
			return append(b, 'a', 'e')
		}
		return append(b, 'a')
	case 'ç':
		return append(b, 'c')
	case 'è', 'é', 'ê', 'ë':
		return append(b, 'e')
	case 'ì', 'í', 'î', 'ï', 'ı':
		return append(b, 'i')
	case 'ñ':
		return append(b, 'n')
	case 'ò', 'ó', 'ô', 'õ', 'ø':
		return append(b, 'o')
	case 'ö':
		if umlautE {
			return append(b, 'o', 'e')
		}
		return append(b, 'o')
	case 'ù', 'ú', 'û':
		return append(b, 'u')
	case 'ü':
		if umlautE {
			return append(b, 'u', 'e')
		}
		return append(b, 'u')
	case 'ß':
		return append(b, 's', 's')
	case 'ş':
		return append(b, 's')
	case 'ğ':
		return append(b, 'g')
	case 'ý', 'ÿ':
		return append(b, 'y')
	case 'œ':
		return append(b, 'o', 'e')
	case 'æ':
		return append(b, 'a', 'e')
	}
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return append(b, byte(r))
	}
	return b
}

// appendSlug appends s folded to lower-case ASCII letters and digits, with
// sep (if not 0) between words.
func appendSlug(b []byte, s string, umlautE bool, sep byte) []byte {
	start := len(b)
	space := false
	for _, r := range s {
		if r == ' ' || r == '-' || r == '&' {
			space = true
			continue
		}
		n := len(b)
		b = appendFold(b, r, umlautE)
		if len(b) > n && space && sep != 0 && n > start {
			b = append(b[:n], sep)
			b = appendFold(b, r, umlautE)
		}
		if len(b) > n {
			space = false
		}
	}
	return b
}

// appendCap appends s with its first letter upper-case, as a Dutch
// surname with a tussenvoegsel is written when it starts a name.
func appendCap(b []byte, s string) []byte {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		b = append(b, s[0]-'a'+'A')
		return append(b, s[1:]...)
	}
	return append(b, s...)
}

func isTussen(w string) bool {
	switch w {
	case "van", "de", "der", "den", "ter", "ten", "'t", "in", "het", "te", "op", "'s":
		return true
	}
	return false
}

// splitTussen splits "van der Meer" into "van der" and "Meer".
func splitTussen(s string) (middle, last string) {
	i := 0
	for {
		j := strings.IndexByte(s[i:], ' ')
		if j < 0 || !isTussen(s[i:i+j]) {
			break
		}
		i += j + 1
	}
	if i == 0 {
		return "", s
	}
	return s[:i-1], s[i:]
}

// ---- accounts ----

// NewAccount returns a new random account. Its Code is the next sequential
// account code ("1", "2", ... unpadded), Created and Modified lie between
// now-5 years and now. Timestamp stays 0 (the simulator assigns it).
func (g *Generator) NewAccount(now time.Time) *Account {
	a := new(Account)
	g.code++
	c := g.pickCountry()
	ct := &c.cities[g.skewed(len(c.cities))]
	cu := c.culture(ct)
	g.cur = acct{a: a, c: c, cu: cu, ct: ct, planned: -1}
	g.begin()

	a.ID = RandomGUID(g.r)
	m := g.mark()
	g.buf = strconv.AppendInt(g.buf, int64(g.code), 10)
	g.set(&a.Code, m)

	m = g.mark()
	g.buf = g.appendCompanyName(g.buf, c, cu, ct)
	g.set(&a.Name, m)

	if g.pct(85) || c == fr || c == us {
		a.Country = c.code
	}
	a.Language = cu.lang
	if g.pct(5) {
		a.Language = ""
	}

	g.accountPhones(a)
	g.accountMail(a)
	g.accountAddress(a)

	a.Status = [...]string{"C", "C", "C", "C", "C", "C", "C", "C", "C", "C", "C", "P", "P", "P", "P", "S", "S", "A", "A", "A"}[g.r.IntN(20)]
	a.Blocked = g.pct(2)
	a.IsSupplier = g.pct(25)
	a.IsPurchase = a.IsSupplier && g.pct(90)
	a.IsSales = !a.IsSupplier || g.pct(40)
	g.accountRegistration(a)
	if g.pct(40) {
		m = g.mark()
		g.appendSearchCode(a.Name, cu)
		g.set(&a.SearchCode, m)
	}

	a.Created, a.Modified, a.Creator, a.CreatorFullName, a.Modifier, a.ModifierFullName = g.history(now.Add(-fiveYears), now, 70)

	g.commit()
	g.cur.id, g.cur.phone = a.ID, a.Phone
	return a
}

// appendCompanyName writes a company name and leaves a matching e-mail
// domain in g.dom.
func (g *Generator) appendCompanyName(b []byte, c *country, cu *culture, ct *city) []byte {
	fam := g.pick(cu.families)
	trade := g.pick(cu.trades)
	legal := g.pick(cu.legal)
	ue := cu.umlautE
	dom := g.dom[:0]
	g.cur.family = ""
	var brand [2]string
	brand[0], brand[1] = g.pick(brandHeads), g.pick(brandTails)
	switch p := g.r.IntN(100); {
	case p < 24: // "Bakkerij de Vries", "Thompson Logistics"
		g.cur.family = fam
		if cu.tradeFirst {
			b = append(b, trade...)
			b = append(b, ' ')
			b = append(b, fam...)
		} else {
			b = appendCap(b, fam)
			b = append(b, ' ')
			b = append(b, trade...)
		}
		switch g.r.IntN(3) {
		case 0:
			dom = appendSlug(dom, fam, ue, 0)
		case 1:
			dom = appendSlug(dom, trade, ue, 0)
			dom = appendSlug(dom, fam, ue, 0)
		default:
			dom = appendSlug(dom, fam, ue, 0)
			dom = append(dom, '-')
			dom = appendSlug(dom, trade, ue, '-')
		}
	case p < 46: // "Van der Meer Installatietechniek"
		g.cur.family = fam
		b = appendCap(b, fam)
		b = append(b, ' ')
		b = append(b, trade...)
		dom = appendSlug(dom, fam, ue, 0)
		if g.pct(50) {
			dom = appendSlug(dom, trade, ue, 0)
		}
	case p < 55: // "Jansen & Zn."
		g.cur.family = fam
		b = appendCap(b, fam)
		b = append(b, ' ')
		b = append(b, cu.sons...)
		dom = appendSlug(dom, fam, ue, 0)
	case p < 62: // "Bakker & Visser Advocaten"
		fam2 := g.pick(cu.families)
		b = appendCap(b, fam)
		b = append(b, " & "...)
		b = appendCap(b, fam2)
		if g.pct(50) {
			b = append(b, ' ')
			b = append(b, trade...)
		}
		dom = appendSlug(dom, fam, ue, 0)
		if g.pct(50) {
			dom = append(dom, '-')
		}
		dom = appendSlug(dom, fam2, ue, 0)
	case p < 76: // "Technoplast", "Euroline Logistiek"
		b = append(b, brand[0]...)
		b = append(b, brand[1]...)
		dom = appendSlug(dom, brand[0], ue, 0)
		dom = appendSlug(dom, brand[1], ue, 0)
		if g.pct(40) {
			b = append(b, ' ')
			b = append(b, trade...)
		}
	case p < 85: // "Autobedrijf Zwolle", "Leeds Precision Engineering"
		if cu.tradeFirst {
			b = append(b, trade...)
			b = append(b, ' ')
			b = append(b, ct.name...)
		} else {
			b = append(b, ct.name...)
			b = append(b, ' ')
			b = append(b, trade...)
		}
		dom = appendSlug(dom, trade, ue, 0)
		if g.pct(50) {
			dom = append(dom, '-')
		}
		dom = appendSlug(dom, ct.name, ue, 0)
	case p < 92: // "J. de Vries Transport"
		g.cur.family = fam
		first := g.pick(cu.male)
		r, size := utf8.DecodeRuneInString(first)
		b = utf8.AppendRune(b, r)
		b = append(b, ". "...)
		b = append(b, fam...)
		b = append(b, ' ')
		b = append(b, trade...)
		dom = appendSlug(dom, first[:size], ue, 0)
		dom = appendSlug(dom, fam, ue, 0)
	case p < 97: // "De Vries Holding"
		g.cur.family = fam
		b = appendCap(b, fam)
		b = append(b, ' ')
		b = append(b, cu.holding...)
		dom = appendSlug(dom, fam, ue, 0)
		dom = append(dom, "holding"...)
	default: // "Stichting Noordline"
		if cu.org != "" && cu.org[0] >= 'A' && cu.org[0] <= 'Z' {
			b = append(b, cu.org...)
			b = append(b, ' ')
			b = append(b, brand[0]...)
			b = append(b, brand[1]...)
			legal = ""
		} else {
			b = append(b, brand[0]...)
			b = append(b, brand[1]...)
			if cu.org != "" {
				legal = cu.org
			}
		}
		dom = appendSlug(dom, brand[0], ue, 0)
		dom = appendSlug(dom, brand[1], ue, 0)
	}
	if legal != "" {
		b = append(b, ' ')
		b = append(b, legal...)
	}
	dom = append(dom, g.pick(cu.tlds)...)
	g.dom = dom
	return b
}

func (g *Generator) accountPhones(a *Account) {
	cur := &g.cur
	c, cu := cur.c, cur.cu
	home := c
	m := g.mark()
	switch p := g.r.IntN(1000); {
	case p < 70: // no phone
	case p < 80:
		g.buf = g.appendJunk(g.buf, c, cu)
	default:
		sc := c
		if c == nl && p < 100 {
			// A Dutch account with its office across the border.
			sc = g.neighbour(nl)
		}
		if sc == c && g.pct(8) && len(c.mobiles) > 0 {
			// One-man businesses give their mobile as the company number.
			cur.sw = g.mobileNumber(c)
		} else {
			ct := cur.ct
			if sc != c {
				ct = &sc.cities[g.skewed(len(sc.cities))]
			}
			cur.sw = g.switchboard(sc, ct)
		}
		cur.hasSw = true
		if !cur.sw.mobile && sc == c && g.r.IntN(1000) < 15 {
			g.buf = appendStyled(g.buf, &cur.sw, stNoArea, g.r.IntN(60))
		} else {
			g.buf = g.appendNumber(g.buf, &cur.sw, home)
		}
	}
	g.messUp(m, cu.lang, cur.hasSw && cur.sw.mobile)
	g.set(&a.Phone, m)
	if cur.hasSw && g.pct(2) {
		m = g.mark()
		g.buf = strconv.AppendInt(g.buf, int64([...]int{0, 1, 100, 200, 9}[g.r.IntN(5)]), 10)
		g.set(&a.PhoneExtension, m)
	}
	if g.pct(20) {
		m = g.mark()
		switch {
		case g.pct(3):
			g.buf = g.appendJunk(g.buf, c, cu)
		case cur.hasSw && !cur.sw.mobile:
			f := g.faxOf(cur.sw)
			g.buf = g.appendNumber(g.buf, &f, home)
		default:
			f := g.geoNumber(c, cur.ct)
			g.buf = g.appendNumber(g.buf, &f, home)
		}
		g.messUp(m, cu.lang, false)
		g.set(&a.Fax, m)
	}
}

func (g *Generator) accountMail(a *Account) {
	cu := g.cur.cu
	if g.pct(75) {
		m := g.mark()
		g.buf = append(g.buf, g.pick(cu.mailPrefix)...)
		g.buf = append(g.buf, '@')
		g.buf = append(g.buf, g.dom...)
		g.set(&a.Email, m)
	}
	if g.pct(65) {
		m := g.mark()
		switch p := g.r.IntN(100); {
		case p < 40:
			g.buf = append(g.buf, "www."...)
		case p < 65:
			g.buf = append(g.buf, "https://www."...)
		case p < 75:
			g.buf = append(g.buf, "http://www."...)
		case p < 85:
			g.buf = append(g.buf, "https://"...)
		}
		g.buf = append(g.buf, g.dom...)
		if g.pct(10) {
			g.buf = append(g.buf, '/')
		}
		g.set(&a.Website, m)
	}
}

func (g *Generator) accountAddress(a *Account) {
	c, cu, ct := g.cur.c, g.cur.cu, g.cur.ct
	if g.pct(93) {
		m := g.mark()
		g.buf = g.appendStreet(g.buf, c, cu)
		g.set(&a.AddressLine1, m)
	}
	if g.pct(5) {
		m := g.mark()
		g.buf = g.appendAddressLine2(g.buf, c)
		g.set(&a.AddressLine2, m)
	}
	if g.pct(95) {
		m := g.mark()
		g.buf = g.appendPostcode(g.buf, c, ct)
		g.set(&a.Postcode, m)
	}
	switch p := g.r.IntN(100); {
	case p < 2:
		m := g.mark()
		g.buf = append(g.buf, strings.ToUpper(ct.name)...)
		g.set(&a.City, m)
	case p < 97:
		a.City = ct.name
	}
	if c == us {
		a.State = "NY"
	}
}

func (g *Generator) appendHouseNumber(b []byte, c *country) []byte {
	b = strconv.AppendInt(b, int64(1+g.skewed(250)), 10)
	switch p := g.r.IntN(100); {
	case p < 6:
		b = append(b, byte('a'+g.r.IntN(4)))
	case p < 9:
		b = append(b, byte('A'+g.r.IntN(4)))
	case p < 12 && c == be:
		b = append(b, " bus "...)
		b = strconv.AppendInt(b, int64(1+g.r.IntN(20)), 10)
	case p < 13 && c == nl:
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(1+g.r.IntN(9)), 10)
	}
	return b
}

func (g *Generator) appendStreet(b []byte, c *country, cu *culture) []byte {
	if g.pct(4) {
		switch c {
		case nl:
			b = append(b, "Postbus "...)
			return strconv.AppendInt(b, int64(1+g.r.IntN(9999)), 10)
		case de:
			b = append(b, "Postfach "...)
			return strconv.AppendInt(b, int64(100+g.r.IntN(9900)), 10)
		case gb, us:
			b = append(b, "PO Box "...)
			return strconv.AppendInt(b, int64(1+g.r.IntN(999)), 10)
		}
	}
	st := g.pick(cu.streets)
	if cu.numberFirst {
		if c == gb && g.pct(20) {
			b = append(b, "Unit "...)
			b = strconv.AppendInt(b, int64(1+g.r.IntN(30)), 10)
			b = append(b, ", "...)
			return append(b, st...)
		}
		b = strconv.AppendInt(b, int64(1+g.skewed(400)), 10)
		b = append(b, ' ')
		return append(b, st...)
	}
	b = append(b, st...)
	b = append(b, ' ')
	return g.appendHouseNumber(b, c)
}

func (g *Generator) appendAddressLine2(b []byte, c *country) []byte {
	switch c {
	case nl:
		return append(b, g.pick([]string{"2e verdieping", "Unit 4", "Bedrijventerrein De Hoek", "t.a.v. administratie"})...)
	case be:
		return append(b, g.pick([]string{"Industriezone Noord", "Zoning Nord", "bus 3"})...)
	case de:
		return append(b, g.pick([]string{"Gebäude B", "2. OG", "Gewerbepark Süd"})...)
	case us:
		return append(b, g.pick([]string{"Suite 400", "Floor 12", "Suite 1200"})...)
	}
	return append(b, g.pick([]string{"Riverside Business Park", "Second Floor", "Suite 3"})...)
}

const gbPostcodeLetters = "ABDEFGHJLNPQRSTUWXYZ"
const nlPostcodeLetters = "ABCDEGHJKLMNPRTVWXZ"

func (g *Generator) appendPostcode(b []byte, c *country, ct *city) []byte {
	switch c {
	case gb:
		b = append(b, ct.pc...)
		b = strconv.AppendInt(b, int64(1+g.r.IntN(ct.span)), 10)
		b = append(b, ' ')
		b = append(b, g.digit())
		b = append(b, gbPostcodeLetters[g.r.IntN(len(gbPostcodeLetters))], gbPostcodeLetters[g.r.IntN(len(gbPostcodeLetters))])
		return b
	case nl:
		base, _ := strconv.Atoi(ct.pc)
		b = strconv.AppendInt(b, int64(base+g.r.IntN(ct.span)), 10)
		if g.pct(85) {
			b = append(b, ' ')
		}
		l1, l2 := nlPostcodeLetters[g.r.IntN(len(nlPostcodeLetters))], nlPostcodeLetters[g.r.IntN(len(nlPostcodeLetters))]
		if g.pct(2) {
			l1, l2 = l1-'A'+'a', l2-'A'+'a'
		}
		return append(b, l1, l2)
	case be:
		if g.pct(5) {
			b = append(b, "B-"...)
		}
	case de:
		if g.pct(3) {
			b = append(b, "D-"...)
		}
	}
	base, _ := strconv.Atoi(ct.pc)
	v := base + g.r.IntN(ct.span)
	for w := len(ct.pc) - 1; w > 0; w-- {
		if v < int(math.Pow10(w)) {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, int64(v), 10)
}

func (g *Generator) accountRegistration(a *Account) {
	c := g.cur.c
	if g.pct(50) && c != us {
		m := g.mark()
		switch c {
		case nl:
			g.buf = append(g.buf, "NL"...)
			g.buf = g.appendDigits(g.buf, 9)
			g.buf = append(g.buf, 'B', '0', byte('1'+g.r.IntN(3)))
		case be:
			if g.pct(20) {
				g.buf = append(g.buf, "BE 0"...)
				g.buf = g.appendDigits(g.buf, 3)
				g.buf = append(g.buf, '.')
				g.buf = g.appendDigits(g.buf, 3)
				g.buf = append(g.buf, '.')
				g.buf = g.appendDigits(g.buf, 3)
			} else {
				g.buf = append(g.buf, "BE0"...)
				g.buf = g.appendDigits(g.buf, 9)
			}
		case fr:
			g.buf = append(g.buf, "FR"...)
			g.buf = g.appendDigits(g.buf, 11)
		default:
			g.buf = append(g.buf, c.code...)
			g.buf = g.appendDigits(g.buf, 9)
		}
		g.set(&a.VATNumber, m)
	}
	if g.pct(50) {
		m := g.mark()
		switch c {
		case nl:
			g.buf = g.appendDigits(g.buf, 8)
		case be:
			g.buf = append(g.buf, '0')
			g.buf = g.appendDigits(g.buf, 3)
			g.buf = append(g.buf, '.')
			g.buf = g.appendDigits(g.buf, 3)
			g.buf = append(g.buf, '.')
			g.buf = g.appendDigits(g.buf, 3)
		case de:
			g.buf = append(g.buf, "HRB "...)
			g.buf = strconv.AppendInt(g.buf, int64(1000+g.r.IntN(200000)), 10)
		case gb:
			g.buf = append(g.buf, '0')
			g.buf = g.appendDigits(g.buf, 7)
		}
		g.set(&a.ChamberOfCommerce, m)
	}
}

// appendSearchCode abbreviates a name the way Exact users fill in the
// search code: the first letters, upper-case.
func (g *Generator) appendSearchCode(name string, cu *culture) {
	start := len(g.buf)
	g.buf = appendSlug(g.buf, name, cu.umlautE, 0)
	if len(g.buf)-start > 10 {
		g.buf = g.buf[:start+10]
	}
	for i := start; i < len(g.buf); i++ {
		if ch := g.buf[i]; ch >= 'a' && ch <= 'z' {
			g.buf[i] = ch - 'a' + 'A'
		}
	}
}

// ---- contacts ----

// NewContact returns a new random contact of account a (Account field =
// a.ID), with HID the next sequential number.
func (g *Generator) NewContact(a *Account, now time.Time) *Contact {
	g.loadAccount(a)
	return g.newContact(a, now)
}

// loadAccount makes a the current account, recovering what contacts need
// from its fields when it was not the last one generated.
func (g *Generator) loadAccount(a *Account) {
	cur := &g.cur
	if cur.a == a && cur.id == a.ID && cur.phone == a.Phone {
		return
	}
	c, ct, how := countryOf(a.Country, a.City, a.Email, a.Phone, a.Fax)
	if ct == nil {
		ct = &c.cities[g.skewed(len(c.cities))]
	}
	*cur = acct{a: a, id: a.ID, phone: a.Phone, c: c, cu: c.culture(ct), ct: ct, planned: -1, how: how}
	cur.sw, cur.hasSw = parsePhone(a.Phone, c)
	g.dom = g.dom[:0]
	if i := strings.IndexByte(a.Email, '@'); i >= 0 {
		g.dom = append(g.dom, a.Email[i+1:]...)
	} else if a.Website != "" {
		w := a.Website
		if i := strings.Index(w, "://"); i >= 0 {
			w = w[i+3:]
		}
		w = strings.TrimPrefix(w, "www.")
		g.dom = append(g.dom, strings.TrimSuffix(w, "/")...)
	}
	if len(g.dom) == 0 {
		// Without an address or site to copy, the company's domain is
		// what its name would give.
		base, _ := cutLegal(a.Name, cur.cu)
		g.dom = appendSlug(g.dom, base, cur.cu.umlautE, 0)
		if len(g.dom) > 24 {
			g.dom = g.dom[:24]
		}
		g.dom = append(g.dom, cur.cu.tlds[0]...)
	}
}

func (g *Generator) newContact(a *Account, now time.Time) *Contact {
	cur := &g.cur
	c, cu := cur.c, cur.cu
	k := new(Contact)
	g.hid++
	k.HID = g.hid
	k.ID = RandomGUID(g.r)
	k.Account = a.ID
	g.begin()

	switch p := g.r.IntN(100); {
	case p < 55:
		k.Gender = "M"
	case p < 95:
		k.Gender = "V"
	default:
		k.Gender = "O"
	}
	first := ""
	if k.Gender == "V" || k.Gender == "O" && g.pct(50) {
		first = g.pick(cu.female)
	} else {
		first = g.pick(cu.male)
	}
	fam := g.pick(cu.families)
	if cur.family != "" && cur.family != fam && g.pct(25) {
		fam = cur.family // the family business
	}
	if g.pct(97) {
		k.FirstName = first
	}
	if cu.tussen {
		k.MiddleName, k.LastName = splitTussen(fam)
	} else {
		k.LastName = fam
	}
	if g.pct(70) {
		m := g.mark()
		g.buf = g.appendInitials(g.buf, first, cu)
		g.set(&k.Initials, m)
	}
	switch t := g.r.IntN(100); {
	case t < 3:
		k.Title = "DR"
	case t < 75:
		switch k.Gender {
		case "M":
			k.Title = "MR"
		case "V":
			k.Title = "MRS"
			if g.pct(45) {
				k.Title = "MS"
			}
		}
	}
	if g.pct(80) {
		if cu.lang != "EN" && g.pct(8) {
			k.JobTitleDescription = g.pick(enJobs)
		} else {
			k.JobTitleDescription = g.pick(cu.jobs)
		}
	}
	switch p := g.r.IntN(100); {
	case p < 88:
		k.Language = cu.lang
	case p < 95:
		k.Language = "EN"
	}

	g.contactPhones(k)
	if g.pct(82) {
		m := g.mark()
		g.appendContactEmail(first, fam, cu, g.dom)
		g.set(&k.Email, m)
	}

	switch p := g.r.IntN(100); {
	case p < 88:
		k.Country = a.Country
	case p < 97:
	default:
		k.Country = c.code
	}
	g.ownCountry(k, c)
	if g.pct(40) {
		k.City = a.City
	}
	if g.pct(20) {
		k.Postcode = a.Postcode
	}
	if g.pct(10) {
		k.AddressStreet = a.AddressLine1
	}
	switch p := g.r.IntN(100); {
	case p < 4:
		k.Notes = g.pick(cu.notes)
	case p < 5:
		m := g.mark()
		g.buf = append(g.buf, cu.aside...)
		n := g.mobileNumber(c)
		g.buf = g.appendFor(g.buf, &n, c, cur.how)
		g.set(&k.Notes, m)
	}

	from := a.Created
	if from.IsZero() || !from.Before(now) {
		from = now.Add(-fiveYears)
	}
	k.Created, k.Modified, k.Creator, k.CreatorFullName, k.Modifier, k.ModifierFullName = g.history(from, now, 60)

	g.commit()
	return k
}

func (g *Generator) appendInitials(b []byte, first string, cu *culture) []byte {
	dot := cu != gbCulture && cu != usCulture || g.pct(30)
	r, _ := utf8.DecodeRuneInString(first)
	b = utf8.AppendRune(b, r)
	if dot {
		b = append(b, '.')
	}
	extra := 0
	if cu.tussen || g.pct(20) {
		extra = [...]int{0, 0, 1, 1, 2}[g.r.IntN(5)]
	}
	for range extra {
		b = append(b, "JPMAHCWGE"[g.r.IntN(9)])
		if dot {
			b = append(b, '.')
		}
	}
	return b
}

// contactPhones fills Phone, PhoneExtension, Mobile and BusinessFax. A
// contact of a company with a switchboard often shares it, or has a direct
// line in the same range, which is what makes caller-ID lookups ambiguous.
func (g *Generator) contactPhones(k *Contact) {
	cur := &g.cur
	c, cu := cur.c, cur.cu
	share, direct, own := 25, 15, 25
	switch {
	case cur.planned >= 3:
		share, direct, own = 35, 40, 10
	case cur.planned >= 1:
		share, direct, own = 40, 10, 20
	}
	if !cur.hasSw {
		share, direct, own = 0, 0, 50
	} else if cur.sw.mobile {
		// A one-man business's mobile: colleagues rarely share it and a
		// mobile has no extensions behind it.
		share, direct = 15, 0
	}
	m := g.mark()
	p := g.r.IntN(100)
	phoneSet := false
	switch {
	case g.r.IntN(1000) < 10:
		g.buf = g.appendJunk(g.buf, c, cu)
	case p < share:
		g.buf = g.appendFor(g.buf, &cur.sw, c, cur.how)
		q := g.r.IntN(100)
		if cur.sw.mobile {
			q = 100
		}
		switch {
		case q < 45:
			g.messUp(m, cu.lang, cur.sw.mobile)
			g.set(&k.Phone, m)
			phoneSet = true
			m = g.mark()
			g.buf = strconv.AppendInt(g.buf, int64(g.extension()), 10)
			g.set(&k.PhoneExtension, m)
		case q < 70:
			g.buf = g.appendExtText(g.buf, cu, g.extension())
		}
	case p < share+direct:
		n := g.directDial(cur.sw)
		g.buf = g.appendFor(g.buf, &n, c, cur.how)
	case p < share+direct+own:
		n := g.geoNumber(c, cur.ct)
		if cur.how == homeKnown && g.r.IntN(100) < 2 {
			g.buf = appendStyled(g.buf, &n, stNoArea, g.r.IntN(60))
		} else {
			g.buf = g.appendFor(g.buf, &n, c, cur.how)
		}
	}
	if !phoneSet {
		g.messUp(m, cu.lang, false)
		g.set(&k.Phone, m)
	}

	if g.pct(60) {
		m = g.mark()
		if g.r.IntN(1000) < 5 {
			g.buf = g.appendJunk(g.buf, c, cu)
		} else {
			mc := c
			if g.pct(4) {
				mc = g.neighbour(c)
			}
			n := g.mobileNumber(mc)
			g.buf = g.appendFor(g.buf, &n, c, cur.how)
		}
		g.messUp(m, cu.lang, true)
		g.set(&k.Mobile, m)
	}
	if g.pct(3) {
		m = g.mark()
		var n number
		if cur.hasSw && !cur.sw.mobile {
			n = g.faxOf(cur.sw)
		} else {
			n = g.geoNumber(c, cur.ct)
		}
		g.buf = g.appendFor(g.buf, &n, c, cur.how)
		g.messUp(m, cu.lang, false)
		g.set(&k.BusinessFax, m)
	}
}

// appendContactEmail writes an address made from the person's name and the
// company's domain dom, or a private one.
func (g *Generator) appendContactEmail(first, fam string, cu *culture, dom []byte) {
	ue := cu.umlautE
	b := g.buf
	r, _ := utf8.DecodeRuneInString(first)
	private := len(dom) == 0 || g.pct(6)
	switch p := g.r.IntN(100); {
	case p < 35 || private && p < 70:
		b = appendSlug(b, first, ue, 0)
		b = append(b, '.')
		b = appendSlug(b, fam, ue, 0)
	case p < 55:
		b = appendFold(b, r, ue)
		b = append(b, '.')
		b = appendSlug(b, fam, ue, 0)
	case p < 65:
		b = appendFold(b, r, ue)
		b = appendSlug(b, fam, ue, 0)
	case p < 78:
		b = appendSlug(b, first, ue, 0)
	case p < 83:
		b = appendSlug(b, first, ue, 0)
		b = append(b, '.')
		b = appendSlug(b, fam, ue, '.')
	case p < 88:
		b = appendSlug(b, fam, ue, 0)
	default:
		b = appendSlug(b, first, ue, 0)
		_, last := splitTussen(fam)
		lr, _ := utf8.DecodeRuneInString(last)
		b = appendFold(b, lr, ue)
	}
	if private {
		if g.pct(30) {
			// Free mail providers had the plain name taken long ago.
			b = strconv.AppendInt(b, int64(1955+g.r.IntN(50)), 10)
		}
		b = append(b, '@')
		b = append(b, g.pick(cu.privateMail)...)
	} else {
		b = append(b, '@')
		b = append(b, dom...)
	}
	g.buf = b
}

// ---- populate ----

// Populate generates nAccounts accounts and nContacts contacts, yielding
// each account and then its contacts. Contacts are spread unevenly over the
// accounts (many have none to two, some ten or more) and all nContacts are
// produced, the last account taking what is left. Exactly one contact of
// an account with contacts is its main contact. Memory use does not grow
// with the counts: only one account's contacts are held at a time. Without
// accounts no contacts are produced, as a contact needs an account.
func (g *Generator) Populate(nAccounts, nContacts int, now time.Time, yieldAccount func(*Account), yieldContact func(*Contact)) {
	left := nContacts
	for i := range nAccounts {
		k := left
		if i < nAccounts-1 {
			k = min(left, g.contactCount(float64(left)/float64(nAccounts-i)))
		}
		left -= k
		a := g.NewAccount(now)
		g.cur.planned = k
		batch := g.batch[:0]
		for range k {
			batch = append(batch, g.newContact(a, now))
		}
		if k > 0 {
			// The first contact entered is usually the main one.
			mi := 0
			if g.pct(40) {
				mi = g.r.IntN(k)
			}
			batch[mi].IsMainContact = true
			a.MainContact = batch[mi].ID
		}
		yieldAccount(a)
		for j, c := range batch {
			yieldContact(c)
			batch[j] = nil
		}
		g.batch = batch[:0]
	}
	g.cur = acct{planned: -1}
}

// contactCount draws how many contacts an account gets, from a log-normal
// distribution with the given mean: most accounts get few, a few get many.
func (g *Generator) contactCount(mean float64) int {
	const sigma = 1.2
	x := mean * math.Exp(sigma*g.r.NormFloat64()-sigma*sigma/2)
	return int(min(x+g.r.Float64(), 60*mean+20))
}

// ---- changes ----

// accountContext finds country, culture and city of an existing account.
func (g *Generator) accountContext(a *Account) (*country, *culture, *city) {
	g.loadAccount(a)
	return g.cur.c, g.cur.cu, g.cur.ct
}

// ChangeAccount applies one realistic edit in place (a new phone number in
// another notation, a moved office, a changed e-mail, a renamed company...)
// and sets Modified = now.
func (g *Generator) ChangeAccount(a *Account, now time.Time) {
	c, cu, ct := g.accountContext(a)
	how := g.cur.how
	g.begin()
	switch p := g.r.IntN(100); {
	case p < 22: // same number, written differently
		g.rewritePhone(&a.Phone, c, how)
	case p < 34: // new number
		m := g.mark()
		n := g.switchboard(c, ct)
		g.buf = g.appendFor(g.buf, &n, c, how)
		g.set(&a.Phone, m)
	case p < 46: // the office moved
		if g.pct(40) {
			ct = &c.cities[g.skewed(len(c.cities))]
			a.City = ct.name
			m := g.mark()
			n := g.switchboard(c, ct)
			g.buf = g.appendFor(g.buf, &n, c, how)
			g.set(&a.Phone, m)
		}
		m := g.mark()
		g.buf = g.appendStreet(g.buf, c, cu)
		g.set(&a.AddressLine1, m)
		m = g.mark()
		g.buf = g.appendPostcode(g.buf, c, ct)
		g.set(&a.Postcode, m)
	case p < 58: // e-mail
		m := g.mark()
		if a.Email != "" && g.pct(15) {
			a.Email = ""
		} else {
			g.buf = append(g.buf, g.pick(cu.mailPrefix)...)
			g.buf = append(g.buf, '@')
			g.buf = append(g.buf, g.dom...)
			g.set(&a.Email, m)
		}
	case p < 66: // renamed
		m := g.mark()
		if base, ok := cutLegal(a.Name, cu); ok && g.pct(60) {
			g.buf = append(g.buf, base...)
			if l := g.pick(cu.legal); l != "" {
				g.buf = append(g.buf, ' ')
				g.buf = append(g.buf, l...)
			}
		} else {
			g.buf = g.appendCompanyName(g.buf, c, cu, ct)
		}
		g.set(&a.Name, m)
	case p < 72: // website
		m := g.mark()
		switch w := a.Website; {
		case w == "":
			g.buf = append(g.buf, "https://www."...)
			g.buf = append(g.buf, g.dom...)
		case strings.HasPrefix(w, "http://"):
			g.buf = append(g.buf, "https://"...)
			g.buf = append(g.buf, w[len("http://"):]...)
		case strings.HasPrefix(w, "www."):
			g.buf = append(g.buf, "https://"...)
			g.buf = append(g.buf, w...)
		}
		// Anything else: the site went offline and the field is cleared.
		g.set(&a.Website, m)
	case p < 80: // fax
		if a.Fax != "" {
			a.Fax = ""
		} else {
			m := g.mark()
			n := g.geoNumber(c, ct)
			if sw, ok := parsePhone(a.Phone, c); ok && !sw.mobile {
				n = g.faxOf(sw)
			}
			g.buf = g.appendFor(g.buf, &n, c, how)
			g.set(&a.Fax, m)
		}
	case p < 86: // extension
		if a.PhoneExtension != "" {
			a.PhoneExtension = ""
		} else {
			m := g.mark()
			g.buf = strconv.AppendInt(g.buf, int64(g.extension()), 10)
			g.set(&a.PhoneExtension, m)
		}
	case p < 94: // commercial status
		switch {
		case a.Status == "P" || a.Status == "S":
			a.Status = "C"
		case g.pct(30):
			a.Blocked = !a.Blocked
		default:
			a.IsSupplier = !a.IsSupplier
			a.IsPurchase = a.IsSupplier
		}
	default: // someone wiped the number or typed a remark in it
		if g.pct(50) {
			a.Phone = ""
		} else {
			m := g.mark()
			g.buf = g.appendJunk(g.buf, c, cu)
			g.set(&a.Phone, m)
		}
	}
	a.Modified = now.Truncate(time.Millisecond)
	u := g.user()
	a.Modifier, a.ModifierFullName = u.id, u.name
	g.commit()
	if g.cur.a == a {
		g.cur.a = nil
	}
}

// cutLegal strips a legal form from the end of a company name.
func cutLegal(name string, cu *culture) (string, bool) {
	for _, l := range cu.legal {
		if l != "" && strings.HasSuffix(name, " "+l) {
			return name[:len(name)-len(l)-1], true
		}
	}
	return name, false
}

// rewritePhone writes the number in *dst again in another notation, keeping
// an extension typed after it, or a new number when it cannot be read.
func (g *Generator) rewritePhone(dst *string, c *country, how certainty) {
	m := g.mark()
	n, ok := parsePhone(*dst, c)
	ext := ""
	if ok {
		ext = (*dst)[len(cutExtension(*dst)):]
	} else {
		n = g.geoNumber(c, &c.cities[g.skewed(len(c.cities))])
	}
	for range 4 {
		g.buf = g.buf[:m]
		g.buf = g.appendFor(g.buf, &n, c, how)
		g.buf = append(g.buf, ext...)
		if string(g.buf[m:]) != *dst {
			break
		}
	}
	g.set(dst, m)
}

// ChangeContact applies one realistic edit in place (a new phone number in
// another notation, a changed e-mail, a new job title, a removed mobile
// number...) and sets Modified = now.
func (g *Generator) ChangeContact(k *Contact, now time.Time) {
	c, ct, how := countryOf(k.Country, k.City, k.Email, k.Phone, k.Mobile)
	if ct == nil {
		ct = &c.cities[g.skewed(len(c.cities))]
	}
	cu := c.culture(ct)
	g.begin()
	switch p := g.r.IntN(100); {
	case p < 20 && k.Phone != "":
		g.rewritePhone(&k.Phone, c, how)
	case p < 30: // new direct line
		m := g.mark()
		n := g.geoNumber(c, ct)
		if sw, ok := parsePhone(k.Phone, c); ok && !sw.mobile {
			n = g.directDial(sw)
		}
		g.buf = g.appendFor(g.buf, &n, c, how)
		g.set(&k.Phone, m)
		k.PhoneExtension = "" // a direct line needs none
	case p < 42: // new mobile
		m := g.mark()
		n := g.mobileNumber(c)
		g.buf = g.appendFor(g.buf, &n, c, how)
		g.set(&k.Mobile, m)
	case p < 50 && k.Mobile != "":
		k.Mobile = ""
	case p < 56 && k.Mobile != "":
		g.rewritePhone(&k.Mobile, c, how)
	case p < 68: // e-mail
		m := g.mark()
		if k.Email != "" && g.pct(10) {
			k.Email = ""
			break
		}
		fam := k.LastName
		if k.MiddleName != "" {
			fam = k.MiddleName + " " + k.LastName
		}
		var dom []byte
		if i := strings.IndexByte(k.Email, '@'); i >= 0 && g.pct(70) {
			dom = []byte(k.Email[i+1:])
		}
		first := k.FirstName
		if first == "" {
			first = g.pick(cu.male)
		}
		g.appendContactEmail(first, fam, cu, dom)
		g.set(&k.Email, m)
	case p < 80: // new job title
		k.JobTitleDescription = g.pick(cu.jobs)
	case p < 85: // extension
		if k.PhoneExtension != "" {
			k.PhoneExtension = ""
		} else {
			m := g.mark()
			g.buf = strconv.AppendInt(g.buf, int64(g.extension()), 10)
			g.set(&k.PhoneExtension, m)
		}
	case p < 89 && k.Gender == "V": // married or divorced
		if cu.tussen {
			k.MiddleName, k.LastName = splitTussen(g.pick(cu.families))
		} else {
			k.LastName = g.pick(cu.families)
		}
	case p < 94:
		k.Notes = g.pick(cu.notes)
	default: // left the switchboard, or the fax went
		if k.BusinessFax != "" {
			k.BusinessFax = ""
		} else {
			k.Phone, k.PhoneExtension = "", ""
		}
	}
	k.Modified = now.Truncate(time.Millisecond)
	u := g.user()
	k.Modifier, k.ModifierFullName = u.id, u.name
	g.commit()
}
