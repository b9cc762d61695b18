package filter

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

func (n *node) appendTo(b []byte) []byte {
	switch n.kind {
	case nAnd, nOr:
		sep := " and "
		if n.kind == nOr {
			sep = " or "
		}
		for i, k := range n.kids {
			if i > 0 {
				b = append(b, sep...)
			}
			// Same-kind children were flattened away, so the only child that
			// needs parentheses is an or inside an and.
			b = k.appendParen(b, n.kind == nAnd && k.kind == nOr)
		}
	case nNot:
		k := n.kids[0]
		b = append(b, "not "...)
		b = k.appendParen(b, k.kind == nAnd || k.kind == nOr)
	case nCall:
		b = n.call.appendTo(b)
	case nCmp:
		first, second := n.sub.appendTo, n.lit.appendTo
		if n.litFirst {
			first, second = second, first
		}
		b = first(b)
		b = append(b, ' ')
		b = append(b, n.op.String()...)
		b = append(b, ' ')
		b = second(b)
	}
	return b
}

func (n *node) appendParen(b []byte, paren bool) []byte {
	if !paren {
		return n.appendTo(b)
	}
	b = append(b, '(')
	b = n.appendTo(b)
	return append(b, ')')
}

func (o *operand) appendTo(b []byte) []byte {
	switch o.kind {
	case oLit:
		return o.lit.appendTo(b)
	case oCall:
		return o.call.appendTo(b)
	}
	return append(b, o.name...)
}

func (c *call) appendTo(b []byte) []byte {
	b = append(b, c.fn.String()...)
	b = append(b, '(')
	for i := range c.args {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = c.args[i].appendTo(b)
	}
	return append(b, ')')
}

// dateTimeOut renders Amsterdam wall-clock time, the form Exact reads, with
// as many fractional digits as the value needs.
const dateTimeOut = "2006-01-02T15:04:05.999999999"

func (l *literal) appendTo(b []byte) []byte {
	v := l.v
	switch v.Kind {
	case Null:
		return append(b, "null"...)
	case Bool:
		return strconv.AppendBool(b, v.Bool)
	case String:
		b = append(b, '\'')
		b = append(b, strings.ReplaceAll(v.Str, "'", "''")...)
		return append(b, '\'')
	case Int:
		b = strconv.AppendInt(b, v.Int, 10)
		return append(b, l.suffix...)
	case Float:
		bits := 64
		if l.suffix == "f" {
			bits = 32
		}
		// Plain notation where it stays short, as people write it; exponents
		// only for very large or small magnitudes.
		format := byte('f')
		if a := math.Abs(v.Float); a != 0 && (a < 1e-6 || a >= 1e21) {
			format = 'g'
		}
		start := len(b)
		b = strconv.AppendFloat(b, v.Float, format, -1, bits)
		if l.suffix == "" && !strings.ContainsAny(string(b[start:]), ".e") {
			// Without a suffix, only a dot or exponent keeps it a Double.
			b = append(b, ".0"...)
		}
		return append(b, l.suffix...)
	case DateTime:
		b = append(b, "datetime'"...)
		b = v.Time.In(amsterdam).AppendFormat(b, dateTimeOut)
		return append(b, '\'')
	case GUID:
		g := v.GUID
		b = append(b, "guid'"...)
		for i, part := range [][]byte{g[0:4], g[4:6], g[6:8], g[8:10], g[10:16]} {
			if i > 0 {
				b = append(b, '-')
			}
			b = hex.AppendEncode(b, part)
		}
		return append(b, '\'')
	}
	return b
}
