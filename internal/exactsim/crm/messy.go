package crm

import (
	"math/rand/v2"
	"strings"
)

// Phone fields as people really fill them: typed in front of a label, with
// a remark behind, pasted from a web page with non-breaking spaces, or from
// a messenger with invisible direction marks and isolates around the
// number. The extensions, (0), 00 prefixes and placeholders are drawn by
// the notations in generate.go; what is here is added on top.
//
// These draws come from a stream of their own (Generator.mess), so the
// rest of the generated data is what it was for the same seed: counts,
// names and IDs that tests and saved states rely on do not move.

// messPerMille is how many phone fields in a thousand get something added.
const messPerMille = 90

// phoneLabels are what people type before a number, by language; mobile
// labels are used for mobile numbers only.
var phoneLabels = map[string]struct{ phone, mobile []string }{
	"NL": {[]string{"Tel: ", "tel. ", "T: ", "Tel.nr.: "}, []string{"mob. ", "Mob: ", "M: ", "GSM: "}},
	"EN": {[]string{"Tel: ", "T: ", "Phone: ", "Office: "}, []string{"Mob: ", "M: ", "Mobile: ", "Cell: "}},
	"DE": {[]string{"Tel.: ", "Tel: ", "T: "}, []string{"Mobil: ", "Handy: ", "M: "}},
	"FR": {[]string{"Tél. : ", "Tél: ", "T: "}, []string{"Port. : ", "GSM: ", "Mob: "}},
}

// phoneRemarks are what people type after a number, by language.
var phoneRemarks = map[string][]string{
	"NL": {" (alleen 's ochtends)", " (privé)", " (na 17u)", " (receptie)", " (niet op vrijdag)", " - voicemail"},
	"EN": {" (mornings only)", " (reception)", " (private)", " (after 5pm)"},
	"DE": {" (nur vormittags)", " (privat)", " (Zentrale)"},
	"FR": {" (le matin)", " (privé)", " (accueil)"},
}

// invisibleWraps are the invisible format characters copy and paste leaves
// around a number: first-strong and left-to-right isolates (messengers),
// left-to-right marks and embeddings (web pages), a byte order mark, and a
// zero-width space.
var invisibleWraps = [][2]string{
	{"\u2068", "\u2069"},
	{"\u2066", "\u2069"},
	{"\u200e", "\u200e"},
	{"\u202a", "\u202c"},
	{"\ufeff", ""},
	{"\u200b", "\u200b"},
}

// newMess returns the stream the messy additions draw from.
func newMess(seed uint64, division int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x6d657373, uint64(division)*0x2545f4914f6cdd1d))
}

// messUp rewrites the phone text appended to g.buf since start, now and
// then, the way a person filling the field in would have left it. lang
// picks the words, mobile the labels.
func (g *Generator) messUp(start int, lang string, mobile bool) {
	if len(g.buf) == start || g.mess.IntN(1000) >= messPerMille {
		return
	}
	s := string(g.buf[start:])
	if strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
		return // a placeholder stays as it was typed
	}
	if _, ok := phoneLabels[lang]; !ok {
		lang = "EN"
	}
	m := g.mess
	switch p := m.IntN(100); {
	case p < 25: // pasted from a web page or a Word document
		space := "\u00a0"
		if m.IntN(4) == 0 {
			space = "\u202f"
		}
		s = strings.ReplaceAll(s, " ", space)
	case p < 45:
		labels := phoneLabels[lang].phone
		if mobile {
			labels = phoneLabels[lang].mobile
		}
		s = labels[m.IntN(len(labels))] + s
	case p < 60:
		remarks := phoneRemarks[lang]
		s += remarks[m.IntN(len(remarks))]
	case p < 85: // copied from a messenger or a web page
		w := invisibleWraps[m.IntN(len(invisibleWraps))]
		s = w[0] + s + w[1]
	default: // a zero-width space or word joiner between the groups
		joiner := "\u200b"
		if m.IntN(2) == 0 {
			joiner = "\u2060"
		}
		s = strings.Replace(s, " ", joiner+" ", 1)
	}
	g.buf = append(g.buf[:start], s...)
}

// ownCountry gives a contact of an account in country c, now and then, a
// country of their own, with a mobile number of that country written the
// way people there write it: a Dutch company's sales rep who lives in
// Belgium and gives only "0475 12 34 56". Such a number reads as another
// (or no) number in the account's country, so only the contact's own
// Country tells what it is.
func (g *Generator) ownCountry(k *Contact, c *country) {
	if g.mess.IntN(1000) >= 25 {
		return
	}
	// The number is drawn with the main helpers on the mess stream, so the
	// main stream stays where it was.
	g.r, g.mess = g.mess, g.r
	defer func() { g.r, g.mess = g.mess, g.r }()
	own := g.neighbour(c)
	if len(own.mobiles) == 0 {
		return
	}
	k.Country = own.code
	n := g.mobileNumber(own)
	m := g.mark()
	g.buf = appendStyled(g.buf, &n, g.pickStyle(own.mob), g.r.IntN(60))
	g.set(&k.Mobile, m)
	// Only the mobile: an office number on the contact would be written for
	// the account's country, not the contact's. An empty ref, applied after
	// the ones contactPhones made, clears the fields at commit.
	g.refs = append(g.refs, ref{&k.Phone, m, m}, ref{&k.PhoneExtension, m, m}, ref{&k.BusinessFax, m, m})
}
