package ldapdir

import (
	"fmt"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/roger365io/roger/internal/dirindex"
)

// filter is a search filter as the server evaluates it; attribute names
// are in lower case.
type filter struct {
	op      filterOp
	attr    string
	value   string
	initial string
	any     []string
	final   string
	kids    []*filter
}

type filterOp int

const (
	opAnd filterOp = iota
	opOr
	opNot
	opEqual
	opSubstrings
	opGreaterOrEqual
	opLessOrEqual
	opPresent
	opApprox
	opUnsupported // extensible match: matches nothing
)

// maxFilterDepth bounds nesting, so a hostile filter cannot make the
// evaluation recurse without end.
const maxFilterDepth = 32

// parseFilter reads the filter of a search request in its string form
// (RFC 4515), which the server library gives.
func parseFilter(s string) (*filter, error) {
	p, err := ldap.CompileFilter(s)
	if err != nil {
		return nil, fmt.Errorf("the search filter %q is not valid: %w", s, err)
	}
	return fromPacket(p, 0)
}

func fromPacket(p *ber.Packet, depth int) (*filter, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("the search filter nests deeper than %d levels", maxFilterDepth)
	}
	f := &filter{}
	switch p.Tag {
	case ldap.FilterAnd, ldap.FilterOr, ldap.FilterNot:
		f.op = map[ber.Tag]filterOp{ldap.FilterAnd: opAnd, ldap.FilterOr: opOr, ldap.FilterNot: opNot}[p.Tag]
		for _, c := range p.Children {
			k, err := fromPacket(c, depth+1)
			if err != nil {
				return nil, err
			}
			f.kids = append(f.kids, k)
		}
	case ldap.FilterEqualityMatch, ldap.FilterGreaterOrEqual, ldap.FilterLessOrEqual, ldap.FilterApproxMatch:
		f.op = map[ber.Tag]filterOp{ldap.FilterEqualityMatch: opEqual, ldap.FilterGreaterOrEqual: opGreaterOrEqual,
			ldap.FilterLessOrEqual: opLessOrEqual, ldap.FilterApproxMatch: opApprox}[p.Tag]
		if len(p.Children) != 2 {
			return nil, fmt.Errorf("a comparison in the filter lacks its attribute or value")
		}
		f.attr, f.value = strings.ToLower(packetString(p.Children[0])), packetString(p.Children[1])
	case ldap.FilterSubstrings:
		f.op = opSubstrings
		if len(p.Children) != 2 {
			return nil, fmt.Errorf("a substring filter lacks its attribute or parts")
		}
		f.attr = strings.ToLower(packetString(p.Children[0]))
		for _, part := range p.Children[1].Children {
			v := packetString(part)
			switch part.Tag {
			case ldap.FilterSubstringsInitial:
				f.initial = v
			case ldap.FilterSubstringsAny:
				f.any = append(f.any, v)
			case ldap.FilterSubstringsFinal:
				f.final = v
			}
		}
	case ldap.FilterPresent:
		f.op, f.attr = opPresent, strings.ToLower(packetString(p))
	default:
		f.op = opUnsupported
	}
	return f, nil
}

func packetString(p *ber.Packet) string {
	if s, ok := p.Value.(string); ok {
		return s
	}
	if p.Data != nil {
		return p.Data.String()
	}
	return ""
}

// matches evaluates f on e; numbers finds the entries a number in a
// filter matches, the way the lookup API does.
func matches(f *filter, e *entry, numbers func(string) map[int64]bool) bool {
	switch f.op {
	case opAnd:
		for _, k := range f.kids {
			if !matches(k, e, numbers) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range f.kids {
			if matches(k, e, numbers) {
				return true
			}
		}
		return false
	case opNot:
		return len(f.kids) == 1 && !matches(f.kids[0], e, numbers)
	case opPresent:
		return f.attr == "objectclass" || len(e.values(f.attr)) > 0
	case opEqual, opApprox:
		if phoneAttrs[f.attr] {
			// Whichever of its number fields holds it: a phone asking
			// for a caller by telephoneNumber alone still finds a
			// contact known only by a mobile.
			return e.id != 0 && numbers(f.value)[e.id]
		}
		want := dirindex.FoldName(strings.TrimSpace(f.value))
		for _, v := range e.values(f.attr) {
			if dirindex.FoldName(v) == want {
				return true
			}
		}
		return false
	case opGreaterOrEqual, opLessOrEqual:
		want := dirindex.FoldName(f.value)
		for _, v := range e.values(f.attr) {
			c := strings.Compare(dirindex.FoldName(v), want)
			if f.op == opGreaterOrEqual && c >= 0 || f.op == opLessOrEqual && c <= 0 {
				return true
			}
		}
		return false
	case opSubstrings:
		fold := dirindex.FoldName
		if phoneAttrs[f.attr] {
			fold = digits
		}
		for _, v := range e.values(f.attr) {
			if substringMatch(fold(v), fold(f.initial), mapStrings(f.any, fold), fold(f.final)) {
				return true
			}
		}
		return false
	}
	return false
}

// digits keeps the digits of a number, so that "*1234 5678" finds
// "+31612345678".
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func mapStrings(in []string, fn func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fn(s)
	}
	return out
}

func substringMatch(v, initial string, any []string, final string) bool {
	if !strings.HasPrefix(v, initial) {
		return false
	}
	v = v[len(initial):]
	for _, a := range any {
		i := strings.Index(v, a)
		if i < 0 {
			return false
		}
		v = v[i+len(a):]
	}
	return strings.HasSuffix(v, final)
}
