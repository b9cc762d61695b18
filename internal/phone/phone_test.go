package phone

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// parseCase is one real-world notation. reason "" means the number must
// parse to e164 (and ext); otherwise it must be invalid with that reason.
type parseCase struct {
	name    string
	raw     string
	country string
	extFld  string // the separate extension field
	e164    string
	ext     string
	reason  string
	// unlisted: e164 is possible for its country but in no range the
	// metadata lists.
	unlisted bool
}

var parseCases = []parseCase{
	// Dutch mobiles.
	{name: "NL mobile dash", raw: "06-12345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile grouped", raw: "06 1234 5678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile pairs", raw: "06 12 34 56 78", country: "NL", e164: "+31612345678"},
	{name: "NL mobile international", raw: "+31 6 12345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile 00", raw: "0031612345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile 00 spaced", raw: "00 31 6 12345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile trunk zero in brackets", raw: "+31 (0)6 12345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile bracketed 06", raw: "(06) 12345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile spaced dash", raw: "06 - 12 34 56 78", country: "NL", e164: "+31612345678"},
	{name: "NL mobile E.164", raw: "+31612345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile 00 without default country", raw: "0031 6 12345678", country: "", e164: "+31612345678"},
	{name: "NL mobile with remark", raw: "06 12345678 (privé)", country: "NL", e164: "+31612345678"},
	{name: "NL mobile with trailing word", raw: "06-12345678 Jan", country: "NL", e164: "+31612345678"},
	{name: "NL mobile with label", raw: "Mob: 06-12345678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile non-breaking spaces", raw: "06\u00a01234\u00a05678", country: "NL", e164: "+31612345678"},
	{name: "NL mobile full-width", raw: "\uff10\uff16\uff0d\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", country: "NL", e164: "+31612345678"},
	{name: "NL mobile en dash and zero-width space", raw: "06\u2013\u200b12345678", country: "NL", e164: "+31612345678"},
	{name: "NL M2M 097 mobile", raw: "+31 97 012345678", country: "NL", e164: "+3197012345678"},

	// Dutch landlines.
	{name: "Amsterdam dash", raw: "020-1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam grouped", raw: "020 123 4567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam brackets", raw: "(020) 123 4567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam dots", raw: "020.123.45.67", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam slash", raw: "020/1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam multiple spaces", raw: "  020   123  4567 ", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam international", raw: "+31 20 123 4567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam trunk zero", raw: "+31 (0)20 123 4567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam trunk zero glued", raw: "+31(0)20-1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam trunk zero no default", raw: "+31 (0)20 123 4567", country: "", e164: "+31201234567"},
	{name: "Amsterdam trunk zero after 00", raw: "0031 (0)20 1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam unbracketed trunk zero", raw: "+31 0 20 1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam bracketed country code", raw: "(+31) 20 1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam 00 pairs", raw: "00 31 20 123 45 67", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam with tel label", raw: "Tel. 020-1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam remark in brackets", raw: "020-1234567 (alleen ochtend)", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam unbracketed zero after code", raw: "+31 020 1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam country code without plus", raw: "3120 1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam trunk zero dashes", raw: "+31-(0)20-1234567", country: "NL", e164: "+31201234567"},
	{name: "Amsterdam fax label", raw: "FAX 020 1234567", country: "NL", e164: "+31201234567"},
	{name: "Rotterdam", raw: "010-4123456", country: "NL", e164: "+31104123456"},
	{name: "Rotterdam international", raw: "+31 10 412 3456", country: "NL", e164: "+31104123456"},
	{name: "Utrecht", raw: "030 123 4567", country: "NL", e164: "+31301234567"},
	{name: "Utrecht dashes", raw: "030-234 56 78", country: "NL", e164: "+31302345678"},
	{name: "The Hague", raw: "070 123 4567", country: "NL", e164: "+31701234567"},
	{name: "Zutphen four-digit area code", raw: "0575-123456", country: "NL", e164: "+31575123456"},
	{name: "NL company number 088", raw: "088 123 4567", country: "NL", e164: "+31881234567"},
	{name: "NL VoIP 085", raw: "085 123 4567", country: "NL", e164: "+31851234567"},
	{name: "NL national without trunk zero", raw: "201234567", country: "NL", e164: "+31201234567"},

	// Dutch service numbers: valid numbers, callers can present them.
	{name: "NL 0800 short", raw: "0800-0221", country: "NL", e164: "+318000221"},
	{name: "NL 0800 grouped", raw: "0800 1234", country: "NL", e164: "+318001234"},
	{name: "NL 0900 long", raw: "0900-1234567", country: "NL", e164: "+319001234567"},
	{name: "NL 0900 police", raw: "0900 8844", country: "NL", e164: "+319008844"},
	{name: "NL vanity dash", raw: "0800-ROGER", country: "NL", e164: "+3180076437"},
	{name: "NL vanity spaced", raw: "0800 ROGER", country: "NL", e164: "+3180076437"},

	// Extensions, in every notation.
	{name: "ext x", raw: "020 123 4567 x12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext x space", raw: "020 123 4567 x 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext x glued", raw: "0201234567x12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext ext.", raw: "020 123 4567 ext. 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext ext", raw: "020 123 4567 ext 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext extension", raw: "020 123 4567 extension 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext tst.", raw: "020 123 4567 tst. 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext Tst.glued", raw: "020-1234567 Tst.123", country: "NL", e164: "+31201234567", ext: "123"},
	{name: "ext toestel", raw: "020 123 4567 toestel 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext toestel colon", raw: "020 123 4567, toestel: 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext tst in brackets", raw: "020 123 4567 (tst 12)", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext hash", raw: "020 123 4567 #12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext dash", raw: "020 123 4567-12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext spaced dash", raw: "020 123 4567 -12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext dash both spaced", raw: "020 123 4567 - 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext on international", raw: "+31 20 123 4567 ext. 1234", country: "NL", e164: "+31201234567", ext: "1234"},
	{name: "ext on trunk zero form", raw: "+31 (0)20 123 4567 x 5", country: "NL", e164: "+31201234567", ext: "5"},
	{name: "ext on mobile", raw: "06-12345678 tst 9", country: "NL", e164: "+31612345678", ext: "9"},
	{name: "ext rfc3966 param", raw: "+31201234567;ext=12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "ext from field", raw: "020 123 4567", country: "NL", extFld: "34", e164: "+31201234567", ext: "34"},
	{name: "ext from field digits only", raw: "020 123 4567", country: "NL", extFld: " 0-34 ", e164: "+31201234567", ext: "034"},
	{name: "ext text beats field", raw: "020 123 4567 x12", country: "NL", extFld: "34", e164: "+31201234567", ext: "12"},
	{name: "ext Belgian dash", raw: "02/511.11.11 - 12", country: "BE", e164: "+3225111111", ext: "12"},
	{name: "ext German Apparat", raw: "030 1234567 App. 12", country: "DE", e164: "+49301234567", ext: "12"},
	{name: "ext UK", raw: "020 7946 0018 ext. 123", country: "GB", e164: "+442079460018", ext: "123"},
	{name: "ext US", raw: "+1 (415) 555-2671 x123", country: "NL", e164: "+14155552671", ext: "123"},
	{name: "ext before a remark", raw: "+31 20 1234567 x 205 / receptie", country: "NL", e164: "+31201234567", ext: "205"},
	{name: "ext in brackets with tst.", raw: "020 1234567 (tst. 205)", country: "NL", e164: "+31201234567", ext: "205"},
	{name: "ext long after ext word", raw: "020 1234567 ext 12345678", country: "NL", e164: "+31201234567", ext: "12345678"},
	{name: "ext dash on mobile", raw: "06-12345678-1", country: "NL", e164: "+31612345678", ext: "1"},
	{name: "ext dash zero on Dutch switchboard", raw: "0201234567-0", country: "NL", e164: "+31201234567", ext: "0"},
	{name: "ext French poste", raw: "01 23 45 67 89 poste 45", country: "FR", e164: "+33123456789", ext: "45"},

	// Belgium.
	{name: "BE Brussels slash dots", raw: "02/511.11.11", country: "BE", e164: "+3225111111"},
	{name: "BE Brussels spaced", raw: "02 511 11 11", country: "BE", e164: "+3225111111"},
	{name: "BE Brussels international", raw: "+32 2 511 11 11", country: "BE", e164: "+3225111111"},
	{name: "BE Brussels trunk zero", raw: "+32 (0)2 511 11 11", country: "NL", e164: "+3225111111"},
	{name: "BE Brussels 00 from NL", raw: "0032 2 511 11 11", country: "NL", e164: "+3225111111"},
	{name: "BE Antwerp", raw: "03 234 56 78", country: "BE", e164: "+3232345678"},
	{name: "BE Ghent slash dots", raw: "09/233.44.55", country: "BE", e164: "+3292334455"},
	{name: "BE mobile slash dots", raw: "0475/12.34.56", country: "BE", e164: "+32475123456"},
	{name: "BE mobile spaced", raw: "0475 12 34 56", country: "BE", e164: "+32475123456"},
	{name: "BE mobile international", raw: "+32 475 12 34 56", country: "NL", e164: "+32475123456"},
	{name: "BE mobile 00", raw: "0032 475 123456", country: "NL", e164: "+32475123456"},
	{name: "BE mobile trunk zero", raw: "+32 (0)475 12 34 56", country: "NL", e164: "+32475123456"},

	// Germany.
	{name: "DE Berlin slash", raw: "030/1234567", country: "DE", e164: "+49301234567"},
	{name: "DE Berlin international", raw: "+49 30 1234567", country: "NL", e164: "+49301234567"},
	{name: "DE Berlin trunk zero", raw: "+49 (0)30 1234567", country: "NL", e164: "+49301234567"},
	{name: "DE Berlin 00 trunk zero", raw: "0049 (0)30 1234567", country: "NL", e164: "+49301234567"},
	{name: "DE Munich switchboard -0", raw: "+49 (0) 89 123456-0", country: "DE", e164: "+49891234560"},
	{name: "DE Munich switchboard -0 from NL", raw: "+49 (0) 89 123456-0", country: "NL", e164: "+49891234560"},
	{name: "DE Munich national -0", raw: "089 123456-0", country: "DE", e164: "+49891234560"},
	{name: "DE Munich direct dial", raw: "+49 89 123456-78", country: "DE", e164: "+498912345678"},
	{name: "DE DIN 5008 old style", raw: "089/1234-56", country: "DE", e164: "+4989123456"},
	{name: "DE mobile", raw: "0171 1234567", country: "DE", e164: "+491711234567"},
	{name: "DE mobile slash", raw: "0171/1234567", country: "DE", e164: "+491711234567"},
	{name: "DE mobile 0151", raw: "0151-12345678", country: "DE", e164: "+4915112345678"},
	{name: "DE mobile international", raw: "+49 171 1234567", country: "NL", e164: "+491711234567"},
	{name: "DE Essen 0201", raw: "0201 234567", country: "DE", e164: "+49201234567"},

	// United Kingdom.
	{name: "UK London", raw: "020 7946 0018", country: "GB", e164: "+442079460018"},
	{name: "UK London international", raw: "+44 20 7946 0018", country: "NL", e164: "+442079460018"},
	{name: "UK London trunk zero", raw: "+44 (0)20 7946 0018", country: "NL", e164: "+442079460018"},
	{name: "UK Manchester trunk zero", raw: "+44 (0)161 496 0000", country: "GB", e164: "+441614960000"},
	{name: "UK Manchester national", raw: "0161 496 0000", country: "GB", e164: "+441614960000"},
	{name: "UK mobile trunk zero spaced", raw: "+44 (0) 7911 123456", country: "NL", e164: "+447911123456"},
	{name: "UK mobile", raw: "07911 123456", country: "GB", e164: "+447911123456"},
	{name: "UK mobile international", raw: "+44 7911 123456", country: "NL", e164: "+447911123456"},

	// France.
	{name: "FR Paris", raw: "01 23 45 67 89", country: "FR", e164: "+33123456789"},
	{name: "FR Paris international", raw: "+33 1 23 45 67 89", country: "NL", e164: "+33123456789"},
	{name: "FR Paris trunk zero", raw: "+33 (0)1 23 45 67 89", country: "NL", e164: "+33123456789"},
	{name: "FR mobile", raw: "06 12 34 56 78", country: "FR", e164: "+33612345678"},
	{name: "FR mobile 00 from NL", raw: "0033 6 12 34 56 78", country: "NL", e164: "+33612345678"},

	// United States.
	{name: "US national", raw: "(212) 555-0100", country: "US", e164: "+12125550100"},
	{name: "US international", raw: "+1 212 555 0100", country: "NL", e164: "+12125550100"},
	{name: "US dashes with ext", raw: "+1-212-555-0100 ext 7", country: "NL", e164: "+12125550100", ext: "7"},
	{name: "US vanity", raw: "1-800-FLOWERS", country: "US", e164: "+18003569377"},
	{name: "US 011 international prefix", raw: "011 31 20 123 4567", country: "US", e164: "+31201234567"},

	// Elsewhere, with the Dutch default.
	{name: "Switzerland", raw: "+41 44 668 18 00", country: "NL", e164: "+41446681800"},
	{name: "Austria", raw: "+43 1 5322 1234", country: "NL", e164: "+43153221234"},
	{name: "Italy keeps its zero", raw: "+39 02 1234 5678", country: "NL", e164: "+390212345678"},
	{name: "Italy Florence bracketed zero kept", raw: "+39 (0)55 1234 5678", country: "NL", e164: "+3905512345678"},
	{name: "Italy bracketed zero kept", raw: "+39 (0)2 12345678", country: "NL", e164: "+390212345678"},
	{name: "Spain", raw: "+34 912 34 56 78", country: "NL", e164: "+34912345678"},
	{name: "Luxembourg mobile", raw: "+352 621 123 456", country: "NL", e164: "+352621123456"},
	{name: "Denmark", raw: "+45 32 12 34 56", country: "NL", e164: "+4532123456"},
	{name: "Sweden", raw: "+46 8 123 456 78", country: "NL", e164: "+46812345678"},
	{name: "Poland", raw: "+48 22 123 45 67", country: "NL", e164: "+48221234567"},
	{name: "Ireland", raw: "+353 1 234 5678", country: "NL", e164: "+35312345678"},
	{name: "Japan", raw: "+81 3-1234-5678", country: "NL", e164: "+81312345678"},
	{name: "Australia", raw: "+61 2 9374 4000", country: "NL", e164: "+61293744000"},
	{name: "China", raw: "+86 10 1234 5678", country: "NL", e164: "+861012345678"},
	{name: "Russia", raw: "+7 495 123-45-67", country: "NL", e164: "+74951234567"},
	{name: "Turkey", raw: "+90 212 123 45 67", country: "NL", e164: "+902121234567"},
	{name: "South Africa", raw: "+27 21 123 4567", country: "NL", e164: "+27211234567"},
	{name: "Estonia with a wrong trunk zero", raw: "+372 (0) 5123 4567", country: "NL", e164: "+37251234567"},
	{name: "international toll free +800", raw: "+800 1234 5678", country: "NL", e164: "+80012345678"},

	// The default country decides what national numbers mean: with DE, a
	// Dutch national number is a valid German one (0201 is Essen, 06123
	// Eltville), so a wrong default silently yields a different number.
	{name: "Dutch national read as German is Essen", raw: "020 123 4567", country: "DE", e164: "+49201234567"},
	{name: "Dutch mobile read as German is a landline", raw: "06 12345678", country: "DE", e164: "+49612345678"},

	// As people paste them: non-breaking spaces, labels, remarks, the (0)
	// of the international form, 00 prefixes, and the invisible format
	// characters messengers and web pages put around a number.
	{name: "nbsp between groups", raw: "020\u00a0123\u00a04567", country: "NL", e164: "+31201234567"},
	{name: "narrow nbsp", raw: "+31\u202f6\u202f12345678", country: "NL", e164: "+31612345678"},
	{name: "label Tel:", raw: "Tel: 020 123 4567", country: "NL", e164: "+31201234567"},
	{name: "label mob.", raw: "mob. 06-12345678", country: "NL", e164: "+31612345678"},
	{name: "remark alleen 's ochtends", raw: "020 123 4567 (alleen 's ochtends)", country: "NL", e164: "+31201234567"},
	{name: "international trunk zero", raw: "+31 (0)20 123 4567", country: "NL", e164: "+31201234567"},
	{name: "0032 prefix", raw: "0032 3 870 23 00", country: "NL", e164: "+3238702300"},
	{name: "0031 prefix compact", raw: "0031201234567", country: "BE", e164: "+31201234567"},
	{name: "extension toestel", raw: "020 123 4567 toestel 215", country: "NL", e164: "+31201234567", ext: "215"},
	{name: "extension tst", raw: "020-1234567 tst. 12", country: "NL", e164: "+31201234567", ext: "12"},
	{name: "zero-width spaces", raw: "\u200b06\u200b12345678\u200b", country: "NL", e164: "+31612345678"},
	{name: "left-to-right marks", raw: "\u200e+31 6 12345678\u200e", country: "NL", e164: "+31612345678"},
	{name: "first strong isolate", raw: "\u2068+32 3 870 23 00\u2069", country: "NL", e164: "+3238702300"},
	{name: "left-to-right isolate", raw: "\u2066020 123 4567\u2069", country: "NL", e164: "+31201234567"},
	{name: "byte order mark", raw: "\ufeff06 12345678", country: "NL", e164: "+31612345678"},
	{name: "word joiner and soft hyphen", raw: "06\u2060-\u00ad12345678", country: "NL", e164: "+31612345678"},
	{name: "arabic letter mark", raw: "\u061c+31 20 123 4567", country: "NL", e164: "+31201234567"},
	{name: "Belgian contact national", raw: "03 870 23 00", country: "BE", e164: "+3238702300"},

	// Invalid: text that is no number but says something (placeholders
	// that only say "none" are in TestParseNumberPlaceholders).
	{name: "zie e-mail", raw: "zie e-mail", country: "NL", reason: "not a phone number"},
	{name: "via receptie", raw: "bellen via receptie", country: "NL", reason: "not a phone number"},
	{name: "only zeros", raw: "0000000000", country: "NL", reason: "not a phone number: only zeros"},
	{name: "only zeros short", raw: "00000", country: "NL", reason: "not a phone number: only zeros"},

	// Invalid: too short or too long.
	{name: "only country code", raw: "+31", country: "NL", reason: "too short: only a country code"},
	{name: "only country code 00", raw: "0031", country: "NL", reason: "too short: only a country code"},
	{name: "five digits", raw: "12345", country: "NL", reason: "too short: the area code may be missing"},
	{name: "local number without area code", raw: "123 4567", country: "NL", reason: "too short: the area code may be missing"},
	{name: "German local number without area code", raw: "1234567", country: "DE", reason: "too short: the area code may be missing"},
	{name: "international too short", raw: "+31 20 123", country: "NL", reason: "too short"},
	{name: "mobile one digit short", raw: "06-1234567", country: "NL", reason: "too short"},
	{name: "0800 too short", raw: "0800 12", country: "NL", reason: "too short"},
	{name: "far too long", raw: "+31 6 1234 5678 9012 3456", country: "NL", reason: "too long"},
	{name: "mobile one digit long", raw: "06123456789", country: "NL", reason: "invalid number for NL"},

	// Invalid: emergency numbers are nobody's number. libphonenumber
	// parses "112" as +31112 and calls it invalid only for its length;
	// the reason says what it is instead.
	{name: "112 NL", raw: "112", country: "NL", reason: "emergency number, not a subscriber number"},
	{name: "112 DE", raw: "112", country: "DE", reason: "emergency number, not a subscriber number"},
	{name: "911 US", raw: "911", country: "US", reason: "emergency number, not a subscriber number"},

	// Invalid: country trouble.
	{name: "national without default country", raw: "020 123 4567", country: "", reason: "no country code and no default country"},
	{name: "national with unknown default country", raw: "020 123 4567", country: "XX", reason: "no country code and no default country"},
	{name: "unknown country code", raw: "+999 1234567", country: "NL", reason: "unknown country code"},
	// Unlisted: possible for the country (a fixed-line or mobile length,
	// written with the trunk prefix) but in no range the metadata lists.
	// With BE, "020 123 4567" becomes +32 20 123 4567: 9 digits, a
	// Belgian mobile's length, in a range Belgium does not have. It is
	// indexed as written and flagged, so the wrong country shows in the
	// data-quality report instead of the number being lost.
	{name: "Dutch national read as Belgian", raw: "020 123 4567", country: "BE", e164: "+32201234567", unlisted: true},
	{name: "Dutch mobile read as Belgian", raw: "06 12345678", country: "BE", e164: "+32612345678", unlisted: true},
	{name: "NL unassigned mobile range", raw: "06 0000 0001", country: "NL", e164: "+31600000001", unlisted: true},
	{name: "NL unassigned mobile range international", raw: "+31 6 0000 0001", country: "BE", e164: "+31600000001", unlisted: true},
	// Brussels 02 1xx xx xx is not allocated; 07700 900xxx is Ofcom's
	// range for drama, never assigned (020 7946 0xxx and 0161 496 0xxx,
	// also drama ranges, are valid in the metadata).
	{name: "BE Brussels 02/123 range unassigned", raw: "02/123.45.67", country: "BE", e164: "+3221234567", unlisted: true},
	{name: "UK Ofcom drama mobile range", raw: "07700 900123", country: "GB", e164: "+447700900123", unlisted: true},
	{name: "non-geographic unassigned", raw: "+882 1234567890", country: "NL", e164: "+8821234567890", unlisted: true},
	{name: "unlisted with extension", raw: "06 0000 0001 x 12", country: "NL", e164: "+31600000001", ext: "12", unlisted: true},

	// Invalid: not even possible, or not written as a whole number.
	{name: "US number without +1 in NL", raw: "212-555-0100", country: "NL", reason: "invalid number for NL"},
	{name: "unassigned without trunk prefix", raw: "600000001", country: "NL", reason: "invalid number for NL"},
	{name: "NL ten digits", raw: "+31 6 0000 00012", country: "NL", reason: "invalid number for NL"},

	// Invalid: more than one number.
	{name: "two numbers slash", raw: "020 1234567 / 06 12345678", country: "NL", reason: "two numbers in one field"},
	{name: "two numbers comma", raw: "020 1234567, 06 12345678", country: "NL", reason: "two numbers in one field"},
	{name: "two numbers of", raw: "020 1234567 of 06 12345678", country: "NL", reason: "two numbers in one field"},
	{name: "two mobiles slash", raw: "06-12345678 / 06-87654321", country: "NL", reason: "two numbers in one field"},
	{name: "two numbers labelled", raw: "T: 020 1234567 F: 020 1234568", country: "NL", reason: "two numbers in one field"},
	{name: "two numbers spaced dash", raw: "06-12345678 - 020-1234567", country: "NL", reason: "two numbers in one field"},
}

func TestParseNumber(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			n, ok := ParseNumber(c.raw, "Phone", c.extFld, c.country)
			if !ok {
				t.Fatalf("ParseNumber(%q) returned ok=false", c.raw)
			}
			if n.Field != "Phone" || n.Raw != c.raw {
				t.Errorf("Field, Raw = %q, %q; want Phone, %q", n.Field, n.Raw, c.raw)
			}
			if c.reason == "" {
				if n.Status != roger.NumberOK || n.E164 != c.e164 || n.Extension != c.ext || n.Reason != "" || n.Unlisted != c.unlisted {
					t.Errorf("ParseNumber(%q, %q) = %s %q ext %q reason %q unlisted %v; want ok %q ext %q unlisted %v",
						c.raw, c.country, n.Status, n.E164, n.Extension, n.Reason, n.Unlisted, c.e164, c.ext, c.unlisted)
				}
				return
			}
			if n.Status != roger.NumberInvalid || n.Reason != c.reason || n.E164 != "" || n.Extension != "" {
				t.Errorf("ParseNumber(%q, %q) = %s %q ext %q reason %q; want invalid, %q",
					c.raw, c.country, n.Status, n.E164, n.Extension, n.Reason, c.reason)
			}
		})
	}
}

// TestParseCaseCounts keeps the table as broad as it was asked to be.
func TestParseCaseCounts(t *testing.T) {
	invalid := 0
	names := map[string]bool{}
	for _, c := range parseCases {
		if c.reason != "" {
			invalid++
		}
		if names[c.name] {
			t.Errorf("duplicate case name %q", c.name)
		}
		names[c.name] = true
	}
	if len(parseCases) < 100 || invalid < 25 {
		t.Errorf("%d cases, %d invalid; want at least 100 and 25", len(parseCases), invalid)
	}
}

// TestParseNumberPlaceholders: a field that says "no number" is treated
// as an empty one, not listed as a number that did not parse.
func TestParseNumberPlaceholders(t *testing.T) {
	for _, raw := range []string{"n.v.t.", "nvt", "N.V.T.", "onbekend", "Onbekend", "geen", "-", "--", ".", "?", "/",
		"n/a", "N/A", "TBD", "none", "k.A.", "keine", "néant", "n.c.", "\u200b-\u200b", "\u00a0n.v.t.\u00a0"} {
		if n, ok := ParseNumber(raw, "Phone", "", "NL"); ok {
			t.Errorf("ParseNumber(%q) = %+v, true; want ok=false", raw, n)
		}
	}
	// Text that is no number but says something stays visible to admins,
	// and a placeholder word never hides a number next to it.
	for _, raw := range []string{"zie e-mail", "bellen via receptie", "x", "geen 020 123 4567", "0000000000"} {
		if _, ok := ParseNumber(raw, "Phone", "", "NL"); !ok {
			t.Errorf("ParseNumber(%q) returned ok=false; want a number (valid or not)", raw)
		}
	}
}

func TestParseNumberBlank(t *testing.T) {
	for _, raw := range []string{"", " ", "\t", " \u00a0 "} {
		if n, ok := ParseNumber(raw, "Phone", "12", "NL"); ok {
			t.Errorf("ParseNumber(%q) = %+v, true; want ok=false", raw, n)
		}
	}
}

// TestParseNumberCountryForms: ParseNumber reads the country the way
// ParseCountry does, so a caller passing "+31" or "nl" is not punished.
func TestParseNumberCountryForms(t *testing.T) {
	for _, country := range []string{"NL", "nl", "+31", "0031", "31"} {
		n, _ := ParseNumber("020 123 4567", "Phone", "", country)
		if n.E164 != "+31201234567" {
			t.Errorf("country %q: E164 = %q, reason %q", country, n.E164, n.Reason)
		}
	}
}

func TestParseCountry(t *testing.T) {
	const help = ": use a two-letter code such as NL or a calling code such as +31"
	tests := []struct {
		name, in, want, err string
	}{
		{name: "alpha-2", in: "NL", want: "NL"},
		{name: "lower case", in: "nl", want: "NL"},
		{name: "mixed case and spaces", in: " Be ", want: "BE"},
		{name: "plus calling code", in: "+31", want: "NL"},
		{name: "plus space", in: "+ 32", want: "BE"},
		{name: "bare calling code", in: "31", want: "NL"},
		{name: "00 calling code", in: "0031", want: "NL"},
		{name: "three-digit calling code", in: "+352", want: "LU"},
		{name: "NANP main region", in: "+1", want: "US"},
		{name: "UK calling code", in: "+44", want: "GB"},
		{name: "Russia main region", in: "+7", want: "RU"},
		{name: "UK alias", in: "uk", want: "GB"},
		{name: "Guernsey is its own region", in: "GG", want: "GG"},
		{name: "unknown alpha-2", in: "XX", err: `"XX" is not a country` + help},
		{name: "alpha-3", in: "NLD", err: `"NLD" is not a country` + help},
		{name: "country name", in: "Nederland", err: `"Nederland" is not a country` + help},
		{name: "unknown calling code", in: "+999", err: `"+999" is not a country` + help},
		{name: "non-geographic calling code", in: "+800", err: `"+800" is not a country` + help},
		{name: "too many digits", in: "+3120", err: `"+3120" is not a country` + help},
		{name: "plus only", in: "+", err: `"+" is not a country` + help},
		{name: "zero", in: "0", err: `"0" is not a country` + help},
		{name: "empty", in: "", err: "no country given" + help},
		{name: "blank", in: "  ", err: "no country given" + help},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCountry(tt.in)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseCountry(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			var e *roger.Error
			if !errors.As(err, &e) || e.Code != roger.EINVALID || e.Message != tt.err || got != "" {
				t.Errorf("ParseCountry(%q) = %q, %#v; want EINVALID %q", tt.in, got, err, tt.err)
			}
		})
	}
}

func TestNormalizeLookup(t *testing.T) {
	tests := []struct {
		name, in, country, e164, ext, err string
	}{
		{name: "E.164", in: "+31201234567", country: "NL", e164: "+31201234567"},
		{name: "spaced international", in: "+31 20 123 4567", country: "NL", e164: "+31201234567"},
		{name: "national", in: "0201234567", country: "NL", e164: "+31201234567"},
		{name: "00 international", in: "0031201234567", country: "NL", e164: "+31201234567"},
		{name: "international from another default", in: "+31201234567", country: "DE", e164: "+31201234567"},
		{name: "national with other default", in: "0301234567", country: "DE", e164: "+49301234567"},
		{name: "tel URI with ext", in: "tel:+31-20-123-4567;ext=12", country: "NL", e164: "+31201234567", ext: "12"},
		{name: "tel URI upper case", in: "TEL:+31201234567", country: "NL", e164: "+31201234567"},
		{name: "tel URI phone-context", in: "tel:1234567;phone-context=+3120", country: "DE", e164: "+31201234567"},
		{name: "sip URI", in: "sip:+31201234567@host;user=phone", country: "NL", e164: "+31201234567"},
		{name: "sips URI", in: "sips:+31612345678@sbc.example.com:5061;transport=tls", country: "NL", e164: "+31612345678"},
		{name: "sip national user", in: "sip:0201234567@pbx.local", country: "NL", e164: "+31201234567"},
		{name: "sip user params", in: "sip:+31201234567;ext=7@pbx.local", country: "NL", e164: "+31201234567", ext: "7"},
		{name: "sip percent-encoded plus", in: "sip:%2B31201234567@host", country: "NL", e164: "+31201234567"},
		{name: "bare ext parameter", in: "+31201234567;ext=12", country: "NL", e164: "+31201234567", ext: "12"},
		{name: "text extension", in: "020 123 4567 x12", country: "NL", e164: "+31201234567", ext: "12"},
		{name: "E.164 without plus", in: "4989123456", country: "NL", e164: "+4989123456"},
		{name: "own country code without plus", in: "31201234567", country: "NL", e164: "+31201234567"},
		{name: "plus lost to URL decoding", in: " 31201234567", country: "DE", e164: "+31201234567"},
		{name: "no default country, international", in: "+32475123456", country: "", e164: "+32475123456"},
		{name: "unlisted range", in: "+31 6 0000 0001", country: "NL", e164: "+31600000001"},
		{name: "unlisted range national", in: "06 0000 0001", country: "NL", e164: "+31600000001"},
		{name: "unlisted range URL-encoded", in: "%2B31600000001", country: "NL", e164: "+31600000001"},
		{name: "unlisted range without plus", in: "31600000001", country: "NL", e164: "+31600000001"},
		{name: "digits without plus, no trunk prefix", in: "3222123456", country: "BE", e164: "+3222123456"},
		{name: "empty", in: "", country: "NL", err: "no number given"},
		{name: "impossible length", in: "+31 6 0000 00012", country: "NL", err: `"+31 6 0000 00012" is not a valid phone number: invalid number for NL`},
		{name: "anonymous", in: "anonymous", country: "NL", err: `"anonymous" is not a phone number`},
		{name: "restricted", in: "sip:restricted@host", country: "NL", err: `"sip:restricted@host" is not a phone number`},
		{name: "garbage", in: "<script>", country: "NL", err: `"<script>" is not a phone number`},
		{name: "too short", in: "12345", country: "NL", err: `"12345" is not a valid phone number: too short: the area code may be missing`},
		{name: "emergency", in: "112", country: "NL", err: `"112" is not a valid phone number: emergency number, not a subscriber number`},
		{name: "national without default", in: "0201234567", country: "", err: `"0201234567" is not a valid phone number: no country code and no default country`},
		{name: "unknown country code", in: "+999123456", country: "NL", err: `"+999123456" is not a valid phone number: unknown country code`},
		{name: "long input is shortened", in: strings.Repeat("a", 60), country: "NL", err: `"` + strings.Repeat("a", 40) + `…" is not a phone number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e164, ext, err := NormalizeLookup(tt.in, tt.country)
			if tt.err == "" {
				if err != nil || e164 != tt.e164 || ext != tt.ext {
					t.Errorf("NormalizeLookup(%q, %q) = %q, %q, %v; want %q, %q", tt.in, tt.country, e164, ext, err, tt.e164, tt.ext)
				}
				return
			}
			var e *roger.Error
			if !errors.As(err, &e) || e.Code != roger.EINVALID || e.Message != tt.err || e164 != "" || ext != "" {
				t.Errorf("NormalizeLookup(%q, %q) = %q, %q, %#v; want EINVALID %q", tt.in, tt.country, e164, ext, err, tt.err)
			}
		})
	}
}

// TestNationalFlag: National says whether the default country decided
// how the number was read.
func TestNationalFlag(t *testing.T) {
	for _, c := range []struct {
		raw      string
		national bool
	}{
		{"020 123 4567", true},
		{"(020) 123 45 67 tst. 12", true},
		{"06 0000 0001", true},
		{"+31 20 123 4567", false},
		{"0031 20 123 4567", false},
		{"+31 6 0000 0001", false},
		{"+31 (0)20 123 4567 (receptie)", false},
	} {
		n, _ := ParseNumber(c.raw, "Phone", "", "NL")
		if n.Status != roger.NumberOK || n.National != c.national {
			t.Errorf("ParseNumber(%q) = %+v; want National %v", c.raw, n, c.national)
		}
	}
}

func TestRegionOf(t *testing.T) {
	for in, want := range map[string]string{
		"+3238702300":    "BE",
		"+31600000001":   "NL",
		"+14165550123":   "CA",
		"+12125550100":   "US",
		"+447700900123":  "GB",
		"+8821234567890": "",
		"0201234567":     "",
		"+999123":        "",
		"":               "",
	} {
		if got := RegionOf(in); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMainNumberCandidates(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		// 9-digit NSN: 8, 7 and 6 digits remain; 5 ("20123") is too loose.
		{name: "Amsterdam direct dial", in: "+31201234567", want: []string{"+3120123456", "+312012345", "+31201234"}},
		{name: "Munich direct dial", in: "+498912345678", want: []string{"+49891234567", "+4989123456", "+498912345", "+49891234"}},
		{name: "German long direct dial", in: "+4930123456789", want: []string{"+493012345678", "+49301234567", "+4930123456", "+493012345"}},
		{name: "7-digit NSN", in: "+318001234", want: []string{"+31800123"}},
		{name: "6-digit NSN", in: "+31800123", want: nil},
		{name: "short number", in: "+3190088", want: nil},
		{name: "not E.164", in: "0201234567", want: nil},
		{name: "unknown calling code", in: "+999123456789", want: nil},
		{name: "letters", in: "+31abc", want: nil},
		{name: "empty", in: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MainNumberCandidates(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("MainNumberCandidates(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestConcurrentParse runs the lazily built metadata from many goroutines
// at once; with -race it proves the first use is safe.
func TestConcurrentParse(t *testing.T) {
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, c := range parseCases[i*10 : i*10+40] {
				ParseNumber(c.raw, "Phone", c.extFld, c.country)
			}
		}()
	}
	for range 8 {
		<-done
	}
}
