package filter

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func (n *node) eval(r Record) (bool, error) {
	switch n.kind {
	case nAnd:
		for _, k := range n.kids {
			if ok, err := k.eval(r); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case nOr:
		for _, k := range n.kids {
			if ok, err := k.eval(r); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case nNot:
		ok, err := n.kids[0].eval(r)
		return !ok && err == nil, err
	case nCall:
		v, err := n.call.eval(r)
		return v.v.Bool, err
	}
	return n.evalCmp(r)
}

func (n *node) evalCmp(r Record) (bool, error) {
	if n.sub.kind == oField {
		// Fields, the common case, are read directly rather than through
		// operand.eval: copying Values between frames was most of the
		// per-record cost.
		v, ok := r.Field(n.sub.name)
		if !ok {
			return false, n.sub.unknown()
		}
		return n.compare(&v, caseNone, v.Kind)
	}
	s, err := n.sub.call.eval(r)
	if err != nil {
		return false, err
	}
	// A function's type is fixed, so a mismatch is reported even when this
	// record's value happens to be null.
	return n.compare(&s.v, s.cm, n.sub.call.fn.result())
}

// compare applies the comparison to the subject's value v, whose declared
// kind is sk (Null when unknown).
func (n *node) compare(v *Value, cm caseMap, sk Kind) (bool, error) {
	lk := n.lit.v.Kind
	if sk != Null && lk != Null && !compatible(sk, lk, n.op) {
		return false, n.incompatible(sk)
	}
	if v.Kind == Null || lk == Null {
		both := v.Kind == lk
		switch n.sop {
		case opEq:
			return both, nil
		case opNe:
			return !both, nil
		}
		return false, nil // ordering against null is unknown, so false
	}
	return compareValues(v, cm, n.lit, n.sop), nil
}

func compatible(a, b Kind, o op) bool {
	numeric := func(k Kind) bool { return k == Int || k == Float }
	switch {
	case numeric(a) && numeric(b):
		return true
	case a != b:
		return false
	case a == Bool:
		return o == opEq || o == opNe
	}
	return true
}

func (n *node) incompatible(sk Kind) error {
	left, right := edmName(sk), n.lit.typ
	if n.litFirst {
		left, right = right, left
	}
	return &Error{Message: "Operator '" + n.op.String() + "' incompatible with operand types '" +
		left + "' and '" + right + "' at position " + strconv.Itoa(n.opPos) + "."}
}

// sval is an evaluated operand. For strings, cm is a pending case mapping:
// tolower/toupper are applied rune by rune during the comparison instead of
// building a new string per record.
type sval struct {
	v  Value
	cm caseMap
}

func (o *operand) eval(r Record) (sval, error) {
	if o.kind == oCall {
		return o.call.eval(r)
	}
	v, ok := r.Field(o.name)
	if !ok {
		return sval{}, o.unknown()
	}
	return sval{v: v}, nil
}

func (o *operand) unknown() error {
	return &Error{Message: "No property '" + o.name + "' exists at position " + strconv.Itoa(o.pos) + "."}
}

func (c *call) noApplicable() error {
	return &Error{Message: "No applicable function found for '" + c.fn.String() + "' at position " +
		strconv.Itoa(c.pos) + " with the specified arguments. The functions considered are: " +
		c.fn.signature() + "."}
}

func (c *call) eval(r Record) (sval, error) {
	if c.fn.unary() {
		a, err := c.args[0].eval(r)
		switch {
		case err != nil:
			return sval{}, err
		case a.v.Kind == Null:
			return sval{}, nil
		case a.v.Kind != String:
			return sval{}, c.noApplicable()
		}
		switch c.fn {
		case fnTrim:
			// No letter has white space as its case mapping, so trimming
			// before a pending case mapping is applied gives the same result.
			a.v.Str = strings.TrimSpace(a.v.Str)
		case fnToLower:
			a = a.recase(caseLower)
		case fnToUpper:
			a = a.recase(caseUpper)
		}
		return a, nil
	}
	x, xnull, err := c.strArg(0, r)
	if err != nil {
		return sval{}, err
	}
	y, ynull, err := c.strArg(1, r)
	if err != nil {
		return sval{}, err
	}
	// A null string contains, starts and ends with nothing; answering false
	// keeps `not substringof(...)` the complement of `substringof(...)`.
	res := false
	if !xnull && !ynull {
		switch c.fn {
		case fnSubstringOf:
			res = containsFold(y, x)
		case fnStartsWith:
			res = hasPrefixFold(x, y)
		case fnEndsWith:
			res = hasSuffixFold(x, y)
		}
	}
	return sval{v: Value{Kind: Bool, Bool: res}}, nil
}

func (c *call) strArg(i int, r Record) (fs fstr, null bool, err error) {
	a := &c.args[i]
	if a.kind == oLit {
		return fstr{s: a.lit.folded, folded: true}, false, nil
	}
	v, err := a.eval(r)
	switch {
	case err != nil:
		return fstr{}, false, err
	case v.v.Kind == Null:
		return fstr{}, true, nil
	case v.v.Kind != String:
		return fstr{}, false, c.noApplicable()
	}
	return fstr{s: v.v.Str, cm: v.cm}, false, nil
}

type caseMap uint8

const (
	caseNone caseMap = iota
	caseLower
	caseUpper
)

func (m caseMap) apply(r rune) rune {
	switch m {
	case caseLower:
		return unicode.ToLower(r)
	case caseUpper:
		return unicode.ToUpper(r)
	}
	return r
}

// recase sets m as the pending case mapping. Mappings do not compose into one
// rune function in general, so a second one materializes the first; nested
// tolower(toupper(x)) is rare enough to pay for an allocation.
func (s sval) recase(m caseMap) sval {
	if s.cm != caseNone {
		s.v.Str = strings.Map(s.cm.apply, s.v.Str)
	}
	s.cm = m
	return s
}

func compareValues(v *Value, cm caseMap, l *literal, o op) bool {
	switch v.Kind {
	case String:
		return opCmp(cmpFold(fstr{s: v.Str, cm: cm}, fstr{s: l.folded, folded: true}), o)
	case Int, Float:
		return cmpNum(v, &l.v, o)
	case Bool:
		if o == opEq {
			return v.Bool == l.v.Bool
		}
		return v.Bool != l.v.Bool
	case DateTime:
		return opCmp(v.Time.Compare(l.v.Time), o)
	case GUID:
		return opCmp(cmpGUID(v.GUID, l.v.GUID), o)
	}
	return false
}

func opCmp(c int, o op) bool {
	switch o {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	}
	return c <= 0
}

// cmpNum compares exactly, without rounding int64 to float64, and lets NaN
// be unequal to everything as SQL's float comparisons do.
func cmpNum(a, b *Value, o op) bool {
	switch {
	case a.Kind == Int && b.Kind == Int:
		return opCmp(cmpInt(a.Int, b.Int), o)
	case a.Kind == Float && b.Kind == Float:
		if math.IsNaN(a.Float) || math.IsNaN(b.Float) {
			return o == opNe
		}
		return opCmp(cmpFloat(a.Float, b.Float), o)
	case a.Kind == Int:
		if math.IsNaN(b.Float) {
			return o == opNe
		}
		return opCmp(cmpIntFloat(a.Int, b.Float), o)
	default:
		if math.IsNaN(a.Float) {
			return o == opNe
		}
		return opCmp(-cmpIntFloat(b.Int, a.Float), o)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpIntFloat(i int64, f float64) int {
	switch {
	case f >= 0x1p63:
		return -1
	case f < -0x1p63:
		return 1
	}
	t := math.Trunc(f)
	if c := cmpInt(i, int64(t)); c != 0 {
		return c
	}
	return cmpFloat(t, f)
}

func cmpGUID(a, b [16]byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// fold maps r to a canonical member of its Unicode simple case-folding orbit,
// so that two runes fold alike exactly when strings.EqualFold treats them as
// equal. ASCII letters fold to lower case so that punctuation such as '_'
// orders before letters, as in SQL Server's collations.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if 'A' <= m && m <= 'Z' {
		m += 'a' - 'A'
	}
	return m
}

func foldString(s string) string { return strings.Map(fold, s) }

// fstr is a string seen through a pending case mapping and case folding.
// Literals are folded at parse time (folded is true), so only the record's
// side is folded during evaluation.
type fstr struct {
	s      string
	cm     caseMap
	folded bool
}

// at returns the folded rune starting at byte i and its width.
func (f fstr) at(i int) (rune, int) {
	if c := f.s[i]; c < utf8.RuneSelf {
		// Case mappings keep ASCII within ASCII, so fold alone decides.
		return fold(rune(c)), 1
	}
	r, n := utf8.DecodeRuneInString(f.s[i:])
	if !f.folded {
		r = fold(f.cm.apply(r))
	}
	return r, n
}

// before returns the folded rune ending at byte end and its width.
func (f fstr) before(end int) (rune, int) {
	if c := f.s[end-1]; c < utf8.RuneSelf {
		return fold(rune(c)), 1
	}
	r, n := utf8.DecodeLastRuneInString(f.s[:end])
	if !f.folded {
		r = fold(f.cm.apply(r))
	}
	return r, n
}

func cmpFold(a, b fstr) int {
	i, j := 0, 0
	for i < len(a.s) && j < len(b.s) {
		ra, na := a.at(i)
		rb, nb := b.at(j)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		i += na
		j += nb
	}
	switch {
	case i < len(a.s):
		return 1
	case j < len(b.s):
		return -1
	}
	return 0
}

func hasPrefixFold(s, prefix fstr) bool {
	i, j := 0, 0
	for j < len(prefix.s) {
		if i >= len(s.s) {
			return false
		}
		rs, ns := s.at(i)
		rp, np := prefix.at(j)
		if rs != rp {
			return false
		}
		i += ns
		j += np
	}
	return true
}

func hasSuffixFold(s, suffix fstr) bool {
	i, j := len(s.s), len(suffix.s)
	for j > 0 {
		if i <= 0 {
			return false
		}
		rs, ns := s.before(i)
		rp, np := suffix.before(j)
		if rs != rp {
			return false
		}
		i -= ns
		j -= np
	}
	return true
}

func containsFold(s, sub fstr) bool {
	for i := 0; ; {
		if hasPrefixFold(fstr{s: s.s[i:], cm: s.cm, folded: s.folded}, sub) {
			return true
		}
		if i >= len(s.s) {
			return false
		}
		_, n := s.at(i)
		i += n
	}
}
