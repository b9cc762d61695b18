// Package phone turns the phone numbers people type into CRM fields, and
// the caller numbers telephony systems send, into E.164, so that both ends
// of a lookup meet on the same string.
//
// libphonenumber (github.com/nyaruka/phonenumbers) is the authority on
// what a valid number is, and a valid reading of a text always wins. A
// number in no range the metadata lists (a new or unassigned range) is
// still read when it is possible for its country: a fixed-line or mobile
// length, a national number written with its trunk prefix. It is stored as
// E.164 with Unlisted set, because the CRM may hold exactly the number that
// calls and the lookup must meet it; it is the number as written, not a
// guess at another one, so it matches only callers from that number.
// Around libphonenumber, this package handles what CRM data really
// contains and libphonenumber misreads: Dutch and German extension words,
// "-0"/"-12" dash suffixes, remarks after the number, two numbers in one
// field, and placeholders such as "n.v.t." (no number, like an empty
// field). A number that does not parse is still returned, with a reason a
// person can act on, because roger keeps and lists such numbers instead of
// dropping them.
//
// The common notations (digits with spaces, dashes, dots, slashes and
// brackets, a leading + or 00 or trunk 0) are parsed without
// libphonenumber's parser, which costs 15 µs a number, against the same
// metadata; see metadata.go.
package phone

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/roger365io/roger"
)

// countryHelp is appended to every country error: it says what is accepted.
const countryHelp = "use a two-letter code such as NL or a calling code such as +31"

// ParseCountry reads a default country as an admin types it: an ISO 3166
// alpha-2 code in any case ("NL", "nl"), "UK" for GB, or a country calling
// code ("+31", "31", "0031"). It returns the alpha-2 code. A calling code
// shared by several regions gives the one libphonenumber calls main (+1 →
// US, +44 → GB, +7 → RU): the default country only decides how national
// numbers are read, and those regions share one national numbering plan.
// Non-geographic calling codes (+800, +882, …) are no country. The error is
// a *roger.Error with code EINVALID.
func ParseCountry(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", roger.Errorf(roger.EINVALID, "no country given: %s", countryHelp)
	}
	if len(t) == 2 && isLetter(t[0]) && isLetter(t[1]) {
		id := strings.ToUpper(t)
		if id == "UK" {
			id = "GB"
		}
		if lookupRegion(id) != nil {
			return id, nil
		}
		return "", notACountry(s)
	}
	digits := t
	switch {
	case strings.HasPrefix(digits, "+"):
		digits = strings.TrimLeft(digits[1:], " ")
	case strings.HasPrefix(digits, "00"):
		digits = digits[2:]
	}
	if digits == "" || len(digits) > 3 || digits[0] == '0' || countDigits(digits) != len(digits) {
		return "", notACountry(s)
	}
	cc, _ := strconv.Atoi(digits)
	r := mainRegion(cc)
	if r == nil || r.id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return "", notACountry(s)
	}
	return r.id, nil
}

func notACountry(s string) error {
	return roger.Errorf(roger.EINVALID, "%s is not a country: %s", quote(s), countryHelp)
}

// regionOf turns the country argument of ParseNumber and NormalizeLookup into
// a known region code, or "" when there is none. Callers are expected to
// pass what ParseCountry returned; anything else is read the same way, and
// an unusable value counts as no default country rather than an error,
// because one bad setting must not stop a replication.
func regionOf(country string) string {
	if len(country) == 2 && country[0] >= 'A' && country[0] <= 'Z' && lookupRegion(country) != nil {
		return country
	}
	if country == "" {
		return ""
	}
	id, err := ParseCountry(country)
	if err != nil {
		return ""
	}
	return id
}

// ParseNumber parses one phone field of a CRM record.
//
// raw is the field as stored; field names it (Phone, Mobile, Fax, …).
// extension is the record's separate extension field (PhoneExtension), ""
// when there is none; its digits are used when raw itself carries no
// extension. country is the region assumed for numbers written without a
// country code: the caller decides which (an account's own Country when
// set, otherwise the replicator's default) and passes what ParseCountry
// returned; with "" only international numbers (+…, 00…) parse.
//
// An empty or blank raw returns ok=false: there is nothing to store. So
// does a placeholder that says there is no number ("n.v.t.", "-",
// "onbekend", "n/a"): it is no more a number that failed to parse than an
// empty field is.
// Otherwise the Number has Field and Raw (unchanged) and either
// Status=NumberOK with E164 and Extension (Unlisted when the number is in no
// range the metadata lists, National when it was written without a country
// code), or Status=NumberInvalid with a
// short Reason ("not a phone number", "too short: the area code may be
// missing", "too long", "no country code and no default country", "invalid
// number for NL", …).
//
// An extension is read from "x12", "x 12", "ext. 12", "extension 12",
// "tst. 12", "toestel 12", "#12" and ";ext=12". A dash suffix ("089
// 123456-0", "020 123 4567-12") is an extension only when the digits
// joined are not a valid number and the part before the dash is: in
// Germany the joined form usually is a valid direct-dial number, and then
// it is kept whole.
//
// A remark after the number ("(alleen ochtend)", "privé") is ignored, but
// two valid numbers in one field ("020 1234567 / 06 12345678") make it
// invalid rather than silently losing one. Emergency numbers (112, 911)
// are invalid: they are nobody's number, and a directory entry for them
// could only produce false matches.
func ParseNumber(raw, field, extension, country string) (n roger.Number, ok bool) {
	if strings.TrimSpace(raw) == "" || isPlaceholder(cleanText(raw)) {
		return roger.Number{}, false
	}
	n = roger.Number{Field: field, Raw: raw}
	r := parse(raw, regionOf(country))
	if !r.ok() {
		n.Status = roger.NumberInvalid
		n.Reason = r.reason
		return n, true
	}
	n.Status = roger.NumberOK
	n.E164 = r.e164()
	n.Extension = r.ext
	n.Unlisted, n.National = r.unlisted, r.national
	if n.Extension == "" && extension != "" {
		n.Extension = digitsOnly(extension)
	}
	return n, true
}

// NormalizeLookup normalises a caller number as telephony sends it: any
// notation ParseNumber reads ("+31 20 123 4567", "0201234567",
// "0031201234567", "020 123 4567 x12"), tel: URIs ("tel:+31-20-123-4567;
// ext=12", with phone-context), SIP URIs ("sip:+31201234567@host;
// user=phone") and bare parameters ("+31201234567;ext=12"). country is the
// organisation's default. Systems that send E.164 without its plus
// ("4989123456") are understood when the national reading is not a valid
// number, which also covers a "+" turned into a space by URL decoding.
// A number possible for its country but in no range the metadata lists
// ("+31 6 0000 0001") is normalised like any other, as ParseNumber indexes
// it; a valid reading wins over such an unlisted one.
//
// It returns E.164 and the extension, or a *roger.Error with code EINVALID
// whose message says why the input is not a phone number; the message
// quotes the input and nothing else.
func NormalizeLookup(input, country string) (e164, extension string, err error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", "", roger.Errorf(roger.EINVALID, "no number given")
	}
	if len(s) > maxInput {
		return "", "", lookupError(input, reasonTooLong)
	}
	s, uriExt := stripURI(s)
	reg := regionOf(country)
	r := parse(s, reg)
	if !r.valid() {
		if alt, ok := withoutPlus(s); ok {
			if r2 := parse(alt, reg); r2.valid() || (r2.ok() && !r.ok()) {
				r = r2
			}
		}
	}
	if !r.ok() {
		return "", "", lookupError(input, r.reason)
	}
	ext := r.ext
	if uriExt != "" {
		ext = uriExt
	}
	return r.e164(), ext, nil
}

func lookupError(input, reason string) error {
	if reason == reasonNotANumber {
		return roger.Errorf(roger.EINVALID, "%s is not a phone number", quote(input))
	}
	return roger.Errorf(roger.EINVALID, "%s is not a valid phone number: %s", quote(input), reason)
}

// stripURI reduces tel:, sip:, sips: and callto: URIs to the number they
// carry and returns the ext parameter separately. A tel: number with a
// phone-context that is a global number prefix ("tel:1234567;
// phone-context=+3120") is joined to it, as RFC 3966 says.
func stripURI(s string) (number, ext string) {
	lower := strings.ToLower(s[:min(len(s), 7)])
	isSIP := false
	switch {
	case strings.HasPrefix(lower, "tel:"):
		s = s[4:]
	case strings.HasPrefix(lower, "sip:"):
		s, isSIP = s[4:], true
	case strings.HasPrefix(lower, "sips:"):
		s, isSIP = s[5:], true
	case strings.HasPrefix(lower, "callto:"):
		s = s[7:]
	}
	s = strings.TrimPrefix(s, "//") // callto://…
	if isSIP {
		// The user part is the number; host and URI parameters follow the @.
		if at := strings.IndexByte(s, '@'); at >= 0 {
			s = s[:at]
		}
	}
	if strings.IndexByte(s, '%') >= 0 {
		s = percentDecode(s)
	}
	semi := strings.IndexByte(s, ';')
	if semi < 0 {
		return strings.TrimSpace(s), ""
	}
	number = s[:semi]
	context := ""
	for _, p := range strings.Split(s[semi+1:], ";") {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "ext":
			ext = digitsOnly(v)
		case "phone-context":
			context = strings.TrimSpace(v)
		}
	}
	number = strings.TrimSpace(number)
	if strings.HasPrefix(context, "+") && !strings.HasPrefix(number, "+") {
		number = context + number
	}
	return number, ext
}

// percentDecode decodes %XX escapes and leaves malformed ones as they are;
// a caller number is never worth an error for its escaping.
func percentDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// withoutPlus returns "+digits" for a caller number made of digits only
// that does not start with 0 (so it cannot be a national number with a
// trunk prefix or an international one with 00).
func withoutPlus(s string) (string, bool) {
	d := strings.TrimSpace(s)
	if d == "" || d[0] == '0' || d[0] == '+' || countDigits(d) != len(d) {
		return "", false
	}
	return "+" + d, true
}

// minMainNumberDigits is the shortest national significant number
// MainNumberCandidates offers. A shorter prefix would make the "main
// number" rule a loose suffix match: +31 20 12 would claim every caller
// from 020 12x xxxx.
const minMainNumberDigits = 6

// MainNumberCandidates returns the company switchboard numbers a direct-dial
// caller may belong to: the E.164 number minus its last 1, 2, 3 and 4
// digits, longest first, as they are written in Germany and elsewhere
// (switchboard 089 123456-0, direct dial 089 123456-78). A candidate whose
// national significant number (the digits after the calling code) would be
// shorter than 6 digits is left out, so a Dutch 020 number (9 digits) gives
// three candidates and a 7-digit number one. The candidates are not checked
// for validity: they are looked up as stored numbers, and a prefix nobody
// has simply matches nothing. Input that is not E.164 gives nil.
func MainNumberCandidates(e164 string) []string {
	if len(e164) < 2 || e164[0] != '+' || countDigits(e164[1:]) != len(e164)-1 {
		return nil
	}
	_, nsn, ok := splitCallingCode(e164[1:])
	if !ok {
		return nil
	}
	prefixLen := len(e164) - len(nsn)
	var out []string
	for k := 1; k <= 4 && len(nsn)-k >= minMainNumberDigits; k++ {
		out = append(out, e164[:prefixLen+len(nsn)-k])
	}
	return out
}

// RegionOf returns the region (ISO 3166 alpha-2) whose numbering plan an
// E.164 number belongs to, for saying so to a person: of a calling code
// shared by several regions, the one its leading digits or its validity
// pick, else the main one. It returns "" for input that is not E.164 and
// for non-geographic calling codes (+800, +882, …).
func RegionOf(e164 string) string {
	if len(e164) < 2 || e164[0] != '+' || countDigits(e164[1:]) != len(e164)-1 {
		return ""
	}
	cc, nsn, ok := splitCallingCode(e164[1:])
	if !ok {
		return ""
	}
	regions := metadata().byCode[cc]
	id := regions[0].id
	if len(regions) > 1 {
		for _, r := range regions {
			r.compile()
			if (r.leading != nil && r.leading.MatchString(nsn)) || r.hasType(nsn) {
				id = r.id
				break
			}
		}
	}
	if id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return ""
	}
	return id
}

// quote quotes user input for a message, shortened so that a pasted
// paragraph does not become the message.
func quote(s string) string {
	const maxRunes = 40
	if utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		s = string(r[:maxRunes]) + "…"
	}
	return strconv.Quote(s)
}
