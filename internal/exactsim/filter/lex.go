package filter

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Exact's datetime literals are Amsterdam time; hosts may lack zoneinfo.
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tLit
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	pos  int // byte offset in the original text, for error messages
	text string
	lit  *literal
}

// literal is a decoded constant. Everything Eval needs is computed here once,
// so that comparing it with a field value costs no allocation.
type literal struct {
	v Value
	// typ is the EDM type named in Exact's error messages.
	typ string
	// suffix is the canonical type suffix to re-render ("L", "M", "d", "f").
	suffix string
	// folded is the case-folded string value, so case-insensitive
	// comparisons only fold the record's side.
	folded string
}

// amsterdam is where Exact's servers interpret zone-less datetime literals.
var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // cannot happen: time/tzdata is linked in
	}
	return loc
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

// lex splits s into tokens, decoding literals on the way. It reports false on
// any character or literal outside the grammar.
func lex(s string) ([]token, bool) {
	var toks []token
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return append(toks, token{kind: tEOF, pos: i}), true
		}
		start := i
		c := s[i]
		switch {
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, pos: i})
			i++
		case c == '\'':
			str, end, ok := scanQuoted(s, i)
			if !ok {
				return nil, false
			}
			toks = append(toks, token{kind: tLit, pos: start, lit: stringLit(str)})
			i = end
		case isDigit(c) || c == '-' && i+1 < len(s) && isDigit(s[i+1]):
			lit, end, ok := scanNumber(s, i)
			if !ok {
				return nil, false
			}
			toks = append(toks, token{kind: tLit, pos: start, lit: lit})
			i = end
		case isIdentStart(c):
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			word := s[start:i]
			if i < len(s) && s[i] == '\'' {
				body, end, ok := scanQuoted(s, i)
				if !ok {
					return nil, false
				}
				lit, ok := typedLit(word, body)
				if !ok {
					return nil, false
				}
				toks = append(toks, token{kind: tLit, pos: start, lit: lit})
				i = end
				continue
			}
			toks = append(toks, token{kind: tIdent, pos: start, text: word})
		default:
			return nil, false
		}
	}
}

// scanQuoted reads a quoted literal starting at the quote s[i], where a
// doubled quote stands for one quote. It returns the unescaped body and the
// offset just past the closing quote.
func scanQuoted(s string, i int) (body string, end int, ok bool) {
	i++ // opening quote
	start := i
	var b strings.Builder
	escaped := false
	for {
		j := strings.IndexByte(s[i:], '\'')
		if j < 0 {
			return "", 0, false
		}
		j += i
		if j+1 < len(s) && s[j+1] == '\'' {
			b.WriteString(s[i : j+1])
			escaped = true
			i = j + 2
			continue
		}
		if !escaped {
			return s[start:j], j + 1, true
		}
		b.WriteString(s[i:j])
		return b.String(), j + 1, true
	}
}

func stringLit(s string) *literal {
	return &literal{v: StringValue(s), typ: "Edm.String", folded: foldString(s)}
}

// scanNumber reads an integer or decimal literal with its optional type
// suffix. The literal must not run straight into a letter, digit or dot, so
// that `1and` or `1.2.3` are refused rather than split.
func scanNumber(s string, i int) (*literal, int, bool) {
	start := i
	if s[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i > j
	}
	digits()
	isFloat := false
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return nil, 0, false
		}
		isFloat = true
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return nil, 0, false
		}
		isFloat = true
	}
	text := s[start:i]
	suffix := byte(0)
	if i < len(s) {
		switch s[i] {
		case 'L', 'l', 'M', 'm', 'D', 'd', 'F', 'f':
			suffix = s[i]
			i++
		}
	}
	if i < len(s) && (isIdentChar(s[i]) || s[i] == '.') {
		return nil, 0, false
	}
	lit := &literal{}
	switch suffix {
	case 0:
		if isFloat {
			lit.typ = "Edm.Double"
			break
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, 0, false
		}
		lit.v, lit.typ = IntValue(n), "Edm.Int32"
		if n < math.MinInt32 || n > math.MaxInt32 {
			// Exact would insist on the L suffix here; accepting it is
			// harmless and spares clients that send big timestamps bare.
			lit.typ = "Edm.Int64"
		}
		return lit, i, true
	case 'L', 'l':
		if isFloat {
			return nil, 0, false
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, 0, false
		}
		lit.v, lit.typ, lit.suffix = IntValue(n), "Edm.Int64", "L"
		return lit, i, true
	case 'M', 'm':
		lit.typ, lit.suffix = "Edm.Decimal", "M"
	case 'D', 'd':
		lit.typ, lit.suffix = "Edm.Double", "d"
	case 'F', 'f':
		lit.typ, lit.suffix = "Edm.Single", "f"
	}
	bits := 64
	if lit.suffix == "f" {
		bits = 32
	}
	f, err := strconv.ParseFloat(text, bits)
	if err != nil { // out of range
		return nil, 0, false
	}
	lit.v = FloatValue(f)
	return lit, i, true
}

// typedLit decodes guid'…' and datetime'…'. The prefixes are matched
// case-insensitively as the OData ABNF specifies.
func typedLit(prefix, body string) (*literal, bool) {
	switch {
	case strings.EqualFold(prefix, "guid"):
		g, ok := parseGUID(body)
		if !ok {
			return nil, false
		}
		return &literal{v: GUIDValue(g), typ: "Edm.Guid"}, true
	case strings.EqualFold(prefix, "datetime"):
		t, ok := parseDateTime(body)
		if !ok {
			return nil, false
		}
		return &literal{v: TimeValue(t), typ: "Edm.DateTime"}, true
	}
	return nil, false
}

// parseGUID accepts the 8-4-4-4-12 form in either case, optionally wrapped
// in braces as .NET's Guid.Parse allows.
func parseGUID(s string) ([16]byte, bool) {
	var g [16]byte
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	hexDigits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(g[:], []byte(hexDigits)); err != nil {
		return g, false
	}
	return g, true
}

// dateTimeLayouts are the forms Exact accepts; the seconds layout also takes
// a fractional part because time.Parse allows one after the seconds field.
var dateTimeLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

// parseDateTime reads a zone-less literal as Amsterdam wall-clock time, which
// is how Exact's servers interpret it, and converts it to UTC.
func parseDateTime(s string) (time.Time, bool) {
	if !dateTimeShape(s) {
		return time.Time{}, false
	}
	for _, layout := range dateTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, amsterdam); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// dateTimeShape checks the literal's layout exactly, because time.Parse is
// lenient where Exact is not (single-digit hours, comma decimal separators).
func dateTimeShape(s string) bool {
	const date, hm, sec = "0000-00-00", "T00:00", ":00"
	match := func(pattern string) bool {
		if len(s) < len(pattern) {
			return false
		}
		for i := range len(pattern) {
			if pattern[i] == '0' && !isDigit(s[i]) || pattern[i] != '0' && s[i] != pattern[i] {
				return false
			}
		}
		s = s[len(pattern):]
		return true
	}
	for _, part := range []string{date, hm, sec} {
		if !match(part) {
			return false
		}
		if s == "" {
			return true
		}
	}
	if s[0] != '.' || len(s) < 2 || len(s) > 10 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
