package phone

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// The reasons a number does not parse. They are shown to admins next to
// the raw text, so they say what to fix, in plain words.
const (
	reasonNotANumber   = "not a phone number"
	reasonOnlyZeros    = "not a phone number: only zeros"
	reasonOnlyCC       = "too short: only a country code"
	reasonAreaCode     = "too short: the area code may be missing"
	reasonTooShort     = "too short"
	reasonTooLong      = "too long"
	reasonNoCountry    = "no country code and no default country"
	reasonUnknownCC    = "unknown country code"
	reasonEmergency    = "emergency number, not a subscriber number"
	reasonTwoNumbers   = "two numbers in one field"
	reasonInvalidForCC = "invalid number for " // + region or calling code
)

// maxInput is libphonenumber's own limit; a longer text is no phone number
// and would only cost time.
const maxInput = phonenumbers.MAX_INPUT_STRING_LENGTH

// maxExtension is the longest extension taken from behind a marker such as
// "tst." or "x": PBX extensions are at most a few digits, and a longer run
// after such a word is more likely a second number.
const maxExtension = 7

// result is the outcome of parsing one text.
type result struct {
	cc     int
	nsn    string
	ext    string
	reason string // "" when the number is valid or unlisted
	// unlisted: possible for its country but in no range the metadata
	// lists; a valid reading is always preferred to an unlisted one.
	unlisted bool
	// national: written without a country code, so the default country
	// decided how it was read.
	national bool
}

func (r result) ok() bool { return r.reason == "" }

// valid reports whether r is a number the metadata lists.
func (r result) valid() bool { return r.ok() && !r.unlisted }

func (r result) e164() string {
	if !r.ok() {
		return ""
	}
	var buf [24]byte
	b := append(buf[:0], '+')
	b = strconv.AppendInt(b, int64(r.cc), 10)
	b = append(b, r.nsn...)
	return string(b)
}

// parse reads one phone number written by a person or sent by a telephony
// system. reg is a region libphonenumber knows (ISO 3166 alpha-2) or "".
//
// Most texts are digits with spaces, dashes, dots, slashes and brackets,
// and a leading + or trunk 0; those are handled here without
// libphonenumber's parser (see metadata.go for why). Everything else, and
// everything the fast path finds invalid, goes through libphonenumber, which
// stays the authority on what a number is.
func parse(text, reg string) result {
	s := cleanText(strings.TrimSpace(text))
	if s == "" {
		return result{reason: reasonNotANumber}
	}
	if len(s) > maxInput {
		return result{reason: reasonTooLong}
	}
	body, ext := splitExtension(s)
	if r, ok := fastParse(body, reg); ok {
		r.ext = ext
		return r
	}
	r := slowParse(body, reg, ext == "")
	if ext != "" && r.ok() {
		r.ext = ext
	}
	return r
}

// cleanText maps what copy and paste leaves in CRM fields (non-breaking and
// other Unicode spaces, Unicode dashes, full-width and other-script digits,
// invisible format characters) to the ASCII libphonenumber and the fast
// path expect.
func cleanText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < ' ' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && r >= ' ':
			b.WriteRune(r)
		case r == utf8.RuneError:
			// Invalid UTF-8 is dropped rather than kept as U+FFFD, so a
			// broken byte next to a digit cannot make a number unreadable.
		case unicode.Is(unicode.Cf, r):
			// Format characters are invisible: zero-width spaces and
			// joiners, direction marks, embeddings and isolates, BOM, soft
			// hyphen. Messengers and web pages wrap numbers in them, and a
			// person reading the field never sees them.
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case r == '\uff0b':
			b.WriteByte('+')
		case unicode.Is(unicode.Pd, r) || r == '\u2212':
			b.WriteByte('-')
		case unicode.IsDigit(r):
			d := phonenumbers.NormalizeDigitsOnly(string(r))
			if len(d) == 1 {
				b.WriteString(d)
			} else {
				b.WriteRune(r)
			}
		case r < ' ':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// extensionWords are the words that introduce an extension, lower case:
// English, Dutch (toestel, tst), German (Apparat, App., Durchwahl, DW) and
// French (poste). libphonenumber knows only some of them and turns the
// others into digits as if they were a vanity number ("tst" → 878).
var extensionWords = map[string]bool{
	"x": true, "ext": true, "extn": true, "extension": true,
	"tst": true, "toestel": true, "toest": true,
	"app": true, "apparat": true, "durchwahl": true, "dw": true,
	"poste": true,
}

// splitExtension takes an extension written after the number: "x12",
// "x 12", "ext. 12", "extension 12", "tst. 12", "toestel 12", "#12",
// ";ext=12", also in brackets. It returns s unchanged when there is none.
// A dash suffix ("-12") is not handled here: whether it is an extension
// depends on validity, which slowParse decides.
func splitExtension(s string) (body, ext string) {
	end := len(s)
	for end > 0 && (s[end-1] == ' ' || s[end-1] == ')' || s[end-1] == ']') {
		end--
	}
	start := end
	for start > 0 && isDigit(s[start-1]) {
		start--
	}
	if start == end || end-start > maxExtension {
		return s, ""
	}
	i := start
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '.' || s[i-1] == ':' || s[i-1] == '=') {
		i--
	}
	markerEnd := i
	if i > 0 && s[i-1] == '#' {
		i--
	} else {
		for i > 0 && isLetter(s[i-1]) {
			i--
		}
		if i == markerEnd || !extensionWords[strings.ToLower(s[i:markerEnd])] {
			return s, ""
		}
		// The word must stand alone ("fax 020…" is not "x 020…"); a digit
		// right before it is fine ("0201234567x12").
		if i > 0 && isLetter(s[i-1]) {
			return s, ""
		}
	}
	body = strings.TrimRight(s[:i], " ,;([")
	if countDigits(body) < 3 {
		return s, ""
	}
	return body, s[start:end]
}

// fastParse handles a number written with digits, spaces, - . / ( ) and a
// leading +, international or with the region's trunk 0. ok is false when
// the text needs libphonenumber, including every invalid result, so that
// reasons come from one place.
func fastParse(s, reg string) (result, bool) {
	var buf [32]byte
	digits := buf[:0]
	plus := false
	zeroAt := -1 // index in digits of a "(0)" trunk zero
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if len(digits) == len(buf) {
				return result{}, false
			}
			digits = append(digits, c)
		case c == '+':
			if plus || len(digits) > 0 {
				return result{}, false
			}
			plus = true
		case c == '(':
			if j := trunkZero(s, i); j > 0 && zeroAt < 0 {
				zeroAt = len(digits)
				digits = append(digits, '0')
				i = j
			}
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == ')':
		default:
			return result{}, false
		}
	}
	if len(digits) < 3 {
		return result{}, false
	}

	var r *region
	if reg != "" {
		if r = lookupRegion(reg); r == nil {
			return result{}, false
		}
	}
	international := plus
	intlStart := 0
	if !plus && len(digits) > 2 && digits[0] == '0' && digits[1] == '0' && digits[2] != '0' &&
		(r == nil || r.simpleIDD) {
		international, intlStart = true, 2
	}

	var res result
	if international {
		// "+31 (0)20 …": the bracketed zero is the trunk prefix, dialled
		// only inside the country; drop it when it follows the calling code.
		cc, rest, ok := splitCallingCode(string(digits[intlStart:]))
		if !ok {
			return result{}, false
		}
		if zeroAt >= 0 {
			// Only where 0 is the trunk prefix: in Italy the zero is part
			// of the number, and "+39 (0)55…" is Florence, +39 055….
			ccLen := len(digits) - intlStart - len(rest)
			if zeroAt != intlStart+ccLen {
				return result{}, false
			}
			if m := mainRegion(cc); m != nil && m.nationalPrefix == "0" {
				rest = rest[1:]
			}
		}
		res = result{cc: cc, nsn: rest}
	} else {
		if r == nil || !r.simpleNational || digits[0] != '0' || zeroAt > 0 {
			return result{}, false
		}
		res = result{cc: r.cc, nsn: string(digits[1:]), national: true}
	}
	if !valid(res.cc, res.nsn) {
		return result{}, false
	}
	return res, true
}

// trunkZero reports whether s[i:] starts with "(0)" (spaces allowed inside)
// and returns the index of its ")".
func trunkZero(s string, i int) int {
	j := i + 1
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j >= len(s) || s[j] != '0' {
		return -1
	}
	j++
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j >= len(s) || s[j] != ')' {
		return -1
	}
	return j
}

// attempt is one reading of a text by libphonenumber.
type attempt struct {
	text string
	pn   *phonenumbers.PhoneNumber
	err  error
	cc   int
	nsn  string
	ok   bool
}

func try(text, reg string) attempt {
	a := attempt{text: text, pn: &phonenumbers.PhoneNumber{}}
	a.err = phonenumbers.ParseAndKeepRawInputToNumber(text, reg, a.pn)
	if a.err != nil {
		return a
	}
	a.cc = int(a.pn.GetCountryCode())
	a.nsn = phonenumbers.GetNationalSignificantNumber(a.pn)
	a.ok = valid(a.cc, a.nsn)
	return a
}

func (a attempt) result(reg string) result {
	r := result{cc: a.cc, nsn: a.nsn, national: !isInternational(a, reg)}
	if a.pn.GetExtension() != "" {
		r.ext = digitsOnly(a.pn.GetExtension())
	}
	return r
}

// slowParse reads what the fast path could not, trying the readings a
// person most likely meant, in order, and stops at the first valid one.
// When none is valid, the first reading is taken as an unlisted number if
// it is possible for its country (see unlistedReading). findExt is false
// when splitExtension already found an extension.
func slowParse(s, reg string, findExt bool) result {
	if countDigits(s) == 0 {
		return result{reason: reasonNotANumber}
	}
	if reg == "" {
		// Without a default country, "0031 …" can only be international:
		// 00 is the international prefix of almost every country, and no
		// national number starts with it.
		s = plusForDoubleZero(s)
	}

	// A remark after the number ("(alleen ochtend)", "privé") is cut off
	// first: libphonenumber would read three or more letters as a vanity
	// number and turn the remark into digits.
	primary, ext := s, ""
	if cut, tail := cutRemark(s); cut != s {
		if hasNumber(tail, reg) && hasNumber(cut, reg) {
			return result{reason: reasonTwoNumbers}
		}
		primary = cut
		if findExt {
			// The remark hid an extension at the end ("… x 205 / receptie").
			if body, e := splitExtension(primary); e != "" {
				primary, ext, findExt = body, e, false
			}
		}
	}
	done := func(a attempt) result {
		r := a.result(reg)
		if ext != "" {
			r.ext = ext
		}
		return r
	}
	first := try(primary, reg)
	if first.ok {
		return done(first)
	}
	if primary != s && ext == "" {
		// Perhaps it was a vanity number after all ("0800 ROGER").
		if a := try(s, reg); a.ok {
			return done(a)
		}
	}
	if findExt {
		// "089 123456-0", "020 123 4567-12": only when the digits joined
		// are no valid number but the number before the dash is. In
		// Germany the joined form is usually valid (direct dial-in), and
		// then it is kept as one number.
		if head, e, ok := cutDashSuffix(primary); ok {
			if a := try(head, reg); a.ok {
				ext = e
				return done(a)
			}
		}
	}
	if strings.Contains(primary, "(") {
		// libphonenumber drops a bracketed trunk zero after the calling
		// code only in countries whose trunk prefix is 0; elsewhere (or
		// when the writer got it wrong) try without it.
		if t := removeTrunkZero(primary); t != primary {
			if a := try(t, reg); a.ok {
				return done(a)
			}
		}
	}
	if twoNumbers(primary, reg) {
		return result{reason: reasonTwoNumbers}
	}
	reason := reasonFor(first, reg)
	if strings.HasPrefix(reason, reasonInvalidForCC) && unlistedReading(first, reg) {
		r := done(first)
		r.unlisted = true
		return r
	}
	return result{reason: reason}
}

// unlistedReading reports whether a, a reading whose only fault is that
// the metadata lists no range for it, may stand as an unlisted number:
// new and unassigned ranges are real numbers that call, and a CRM may
// hold exactly the number that calls. Guards against a guess:
//   - the national significant number has a length a fixed-line or mobile
//     number of the country has (see region.possible);
//   - a national number was written with the country's trunk prefix
//     ("0600000001", not "600000001"), which shows it was meant as a
//     whole national number, not a fragment;
//   - the E.164 form reads back as the same number, so that storing it and
//     looking it up meet on the same string.
func unlistedReading(a attempt, reg string) bool {
	if a.err != nil || !possible(a.cc, a.nsn) {
		return false
	}
	if !isInternational(a, reg) {
		r := lookupRegion(reg)
		if r == nil || (r.nationalPrefix != "" && !strings.HasPrefix(digitsOnly(a.text), r.nationalPrefix)) {
			return false
		}
	}
	back := &phonenumbers.PhoneNumber{}
	if err := phonenumbers.ParseToNumber("+"+strconv.Itoa(a.cc)+a.nsn, "", back); err != nil {
		return false
	}
	return int(back.GetCountryCode()) == a.cc && phonenumbers.GetNationalSignificantNumber(back) == a.nsn
}

// plusForDoubleZero turns a leading 00 into +.
func plusForDoubleZero(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' {
			return s
		}
		if isDigit(c) {
			if c == '0' && i+2 < len(s) && s[i+1] == '0' && s[i+2] != '0' {
				return s[:i] + "+" + s[i+2:]
			}
			return s
		}
	}
	return s
}

// cutRemark cuts s where a word starts after the number has started: at a
// letter that follows a space, a bracket or a comma. Letters glued to the
// digits or after a dash ("1-800-FLOWERS", "0800-ROGER") are kept as a
// possible vanity number.
func cutRemark(s string) (head, tail string) {
	seenDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			seenDigit = true
			continue
		}
		if !seenDigit || i == 0 {
			continue
		}
		if !isLetterStart(s[i:]) {
			continue
		}
		if w := leadingWord(s[i:]); extensionWords[strings.ToLower(w)] {
			// An extension libphonenumber can still read ("x 12345678",
			// longer than splitExtension takes) is no remark.
			i += len(w) - 1
			continue
		}
		p := s[i-1]
		if p == ' ' || p == '(' || p == ',' || p == ';' || p == '[' {
			j := i
			for j > 0 && strings.IndexByte(" (,;[/-:|&", s[j-1]) >= 0 {
				j--
			}
			return s[:j], s[i:]
		}
	}
	return s, ""
}

// leadingWord returns the ASCII letters s starts with.
func leadingWord(s string) string {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	return s[:i]
}

// cutDashSuffix splits "089 123456-0" into "089 123456" and "0".
func cutDashSuffix(s string) (head, ext string, ok bool) {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		end--
	}
	start := end
	for start > 0 && isDigit(s[start-1]) {
		start--
	}
	if start == end || end-start > 4 {
		return "", "", false
	}
	i := start
	for i > 0 && s[i-1] == ' ' {
		i--
	}
	if i == 0 || s[i-1] != '-' {
		return "", "", false
	}
	i--
	for i > 0 && s[i-1] == ' ' {
		i--
	}
	if i == 0 || !(isDigit(s[i-1]) || s[i-1] == ')') {
		return "", "", false
	}
	return s[:i], s[start:end], true
}

// removeTrunkZero removes a "(0)" or "( 0 )" from s.
func removeTrunkZero(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '(' {
			if j := trunkZero(s, i); j > 0 {
				return s[:i] + " " + s[j+1:]
			}
		}
	}
	return s
}

// twoNumbers reports whether s is two valid numbers joined by a separator
// ("020 1234567 / 06 12345678", "…, …", "… of …"). Such a field is kept as
// invalid rather than silently reduced to its first number.
func twoNumbers(s, reg string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', ',', ';', '|', '&':
		case '-':
			// Only a spaced dash separates numbers; "020-1234567" is one.
			if i == 0 || i+1 >= len(s) || s[i-1] != ' ' || s[i+1] != ' ' {
				continue
			}
		default:
			continue
		}
		if hasNumber(s[:i], reg) && hasNumber(s[i+1:], reg) {
			return true
		}
	}
	return false
}

// hasNumber reports whether s on its own is a valid number.
func hasNumber(s, reg string) bool {
	if countDigits(s) < 6 {
		return false
	}
	s = strings.TrimSpace(s)
	if r, ok := fastParse(s, reg); ok {
		return r.valid()
	}
	return try(s, reg).ok
}

// reasonFor says why the primary reading a is not a valid number.
func reasonFor(a attempt, reg string) string {
	digits := digitsOnly(a.text)
	if digits == "" {
		return reasonNotANumber
	}
	if strings.Trim(digits, "0") == "" {
		return reasonOnlyZeros
	}
	intl := isInternational(a, reg)
	if reg == "" && !intl {
		return reasonNoCountry
	}
	if a.err != nil {
		if intl && onlyCallingCode(digits) {
			return reasonOnlyCC
		}
		switch a.err {
		case phonenumbers.ErrInvalidCountryCode:
			return reasonUnknownCC
		case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
			return reasonTooShort
		case phonenumbers.ErrNumTooLong:
			return reasonTooLong
		}
		if intl && len(digits) <= 3 {
			return reasonUnknownCC
		}
		return reasonNotANumber
	}
	if !intl && phonenumbers.IsEmergencyNumber(digits, reg) {
		return reasonEmergency
	}
	r := mainRegion(a.cc)
	if r == nil {
		return reasonUnknownCC
	}
	// A national number without the trunk prefix, shorter than a full
	// landline number, is almost always a local number whose area code
	// was left out ("123 4567" in Amsterdam).
	local := !intl && r.nationalPrefix != "" && !strings.HasPrefix(digits, r.nationalPrefix)
	switch {
	case len(a.nsn) > r.maxAny:
		return reasonTooLong
	case len(a.nsn) < r.minSubscriber:
		if local {
			return reasonAreaCode
		}
		return reasonTooShort
	case local && len(a.nsn) < r.maxFixed:
		return reasonAreaCode
	}
	if r.id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return reasonInvalidForCC + "+" + strconv.Itoa(a.cc)
	}
	return reasonInvalidForCC + r.id
}

// onlyCallingCode reports whether digits ("31", "0031") are a calling code
// and nothing more.
func onlyCallingCode(digits string) bool {
	digits = strings.TrimPrefix(digits, "00")
	if len(digits) == 0 || len(digits) > 3 || digits[0] == '0' {
		return false
	}
	n, _ := strconv.Atoi(digits)
	_, ok := metadata().byCode[n]
	return ok
}

// isInternational reports whether the text carried its own country code.
func isInternational(a attempt, reg string) bool {
	if a.pn != nil && a.err == nil {
		switch a.pn.GetCountryCodeSource() {
		case phonenumbers.PhoneNumber_FROM_NUMBER_WITH_PLUS_SIGN, phonenumbers.PhoneNumber_FROM_NUMBER_WITH_IDD,
			phonenumbers.PhoneNumber_FROM_NUMBER_WITHOUT_PLUS_SIGN:
			return true
		}
		return false
	}
	for i := 0; i < len(a.text); i++ {
		c := a.text[i]
		if c == '+' {
			return true
		}
		if isDigit(c) {
			if reg != "" {
				if r := lookupRegion(reg); r != nil && !r.simpleIDD {
					return false
				}
			}
			return strings.HasPrefix(a.text[i:], "00")
		}
	}
	return false
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isLetterStart reports whether s starts with a letter in any script.
func isLetterStart(s string) bool {
	if isLetter(s[0]) {
		return true
	}
	if s[0] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func digitsOnly(s string) string {
	n := countDigits(s)
	if n == len(s) {
		return s
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}
