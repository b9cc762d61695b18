package filter

import "slices"

type op uint8

const (
	opEq op = iota
	opNe
	opGt
	opGe
	opLt
	opLe
)

var opNames = [...]string{"eq", "ne", "gt", "ge", "lt", "le"}

func (o op) String() string { return opNames[o] }

func parseOp(s string) (op, bool) {
	i := slices.Index(opNames[:], s)
	return op(i), i >= 0
}

// flip turns `lit op x` into `x flip(op) lit`, so the evaluator only ever
// compares record value against literal.
func (o op) flip() op {
	switch o {
	case opGt:
		return opLt
	case opGe:
		return opLe
	case opLt:
		return opGt
	case opLe:
		return opGe
	}
	return o
}

type fn uint8

const (
	fnTrim fn = iota
	fnToLower
	fnToUpper
	fnSubstringOf
	fnStartsWith
	fnEndsWith
)

var fnNames = [...]string{"trim", "tolower", "toupper", "substringof", "startswith", "endswith"}

func (f fn) String() string { return fnNames[f] }

// unary reports whether f maps a string to a string; the others test two
// strings and yield a boolean.
func (f fn) unary() bool { return f <= fnToUpper }

func (f fn) result() Kind {
	if f.unary() {
		return String
	}
	return Bool
}

func (f fn) signature() string {
	if f.unary() {
		return f.String() + "(Edm.String)"
	}
	return f.String() + "(Edm.String, Edm.String)"
}

// reserved words cannot name fields: the operator keywords would make the
// grammar ambiguous, and true/false/null are literals.
var reserved = []string{"and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null"}

type operandKind uint8

const (
	oField operandKind = iota
	oLit
	oCall
)

type operand struct {
	kind operandKind
	pos  int
	name string   // oField
	lit  *literal // oLit
	call *call    // oCall
}

type call struct {
	fn   fn
	pos  int
	args []operand
}

type nodeKind uint8

const (
	nAnd nodeKind = iota
	nOr
	nNot
	nCmp  // comparison of sub with lit
	nCall // boolean function used as a condition
)

type node struct {
	kind nodeKind
	kids []*node // nAnd, nOr: two or more, never of the same kind; nNot: one

	// nCmp. sub is the field or call, lit the literal; litFirst records the
	// order as written, which the error messages and String keep.
	op       op // as written
	sop      op // oriented as `sub sop lit`
	opPos    int
	sub      operand
	lit      *literal
	litFirst bool

	call *call // nCall
}

func (n *node) isFieldCmp(field string, o op) bool {
	return n.kind == nCmp && !n.litFirst && n.sub.kind == oField && n.sub.name == field && n.op == o
}

// parser is a recursive-descent parser over the token slice. Every method
// reports false on a syntax error; the caller turns that into the one
// message Exact gives.
type parser struct {
	toks   []token
	i      int
	depth  int
	fields []string
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) keyword(k string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == k
}

func (p *parser) enter() bool {
	p.depth++
	return p.depth <= maxDepth
}

func (p *parser) leave() { p.depth-- }

// parseOr and parseAnd flatten chains into one n-ary node (also across
// redundant parentheses), so Eval loops instead of recursing and Conjunct sees
// every top-level term.
func (p *parser) parseOr() (*node, bool) {
	return p.parseChain(nOr, "or", p.parseAnd)
}

func (p *parser) parseAnd() (*node, bool) {
	return p.parseChain(nAnd, "and", p.parseNot)
}

func (p *parser) parseChain(kind nodeKind, word string, term func() (*node, bool)) (*node, bool) {
	first, ok := term()
	if !ok || !p.keyword(word) {
		return first, ok
	}
	n := &node{kind: kind}
	n.add(first)
	for p.keyword(word) {
		p.next()
		t, ok := term()
		if !ok {
			return nil, false
		}
		n.add(t)
	}
	return n, true
}

func (n *node) add(k *node) {
	if k.kind == n.kind {
		n.kids = append(n.kids, k.kids...)
		return
	}
	n.kids = append(n.kids, k)
}

// parseNot lets not apply to a whole comparison (`not Name eq 'x'`), which is
// the reading people intend; strict OData would bind it to the field and then
// reject the expression.
func (p *parser) parseNot() (*node, bool) {
	if !p.keyword("not") {
		return p.parsePrimary()
	}
	p.next()
	if !p.enter() {
		return nil, false
	}
	defer p.leave()
	k, ok := p.parseNot()
	if !ok {
		return nil, false
	}
	return &node{kind: nNot, kids: []*node{k}}, true
}

func (p *parser) parsePrimary() (*node, bool) {
	if p.peek().kind == tLParen {
		p.next()
		if !p.enter() {
			return nil, false
		}
		defer p.leave()
		n, ok := p.parseOr()
		if !ok || p.next().kind != tRParen {
			return nil, false
		}
		return n, true
	}
	lhs, ok := p.parseOperand()
	if !ok {
		return nil, false
	}
	t := p.peek()
	o, isOp := parseOp(t.text)
	if t.kind != tIdent || !isOp {
		// Only a boolean function can stand alone as a condition.
		if lhs.kind == oCall && !lhs.call.fn.unary() {
			return &node{kind: nCall, call: lhs.call}, true
		}
		return nil, false
	}
	p.next()
	rhs, ok := p.parseOperand()
	if !ok {
		return nil, false
	}
	n := &node{kind: nCmp, op: o, sop: o, opPos: t.pos}
	switch {
	case lhs.kind != oLit && rhs.kind == oLit:
		n.sub, n.lit = lhs, rhs.lit
	case lhs.kind == oLit && rhs.kind != oLit:
		n.sub, n.lit, n.litFirst, n.sop = rhs, lhs.lit, true, o.flip()
	default:
		// Field against field (or call), and literal against literal, are
		// not something Exact accepts.
		return nil, false
	}
	return n, true
}

func (p *parser) parseOperand() (operand, bool) {
	t := p.next()
	switch t.kind {
	case tLit:
		return operand{kind: oLit, pos: t.pos, lit: t.lit}, true
	case tIdent:
	default:
		return operand{}, false
	}
	switch t.text {
	case "true", "false":
		return operand{kind: oLit, pos: t.pos, lit: &literal{v: BoolValue(t.text == "true"), typ: "Edm.Boolean"}}, true
	case "null":
		return operand{kind: oLit, pos: t.pos, lit: &literal{typ: "null"}}, true
	}
	if p.peek().kind == tLParen {
		c, ok := p.parseCall(t)
		return operand{kind: oCall, pos: t.pos, call: c}, ok
	}
	if slices.Contains(reserved, t.text) {
		return operand{}, false
	}
	if !slices.Contains(p.fields, t.text) {
		p.fields = append(p.fields, t.text)
	}
	return operand{kind: oField, pos: t.pos, name: t.text}, true
}

// parseCall parses the arguments of a function whose name is t. Each call
// works on exactly one field: the string functions take a field or another
// string function, the boolean ones a string literal and such a subject in
// either order.
func (p *parser) parseCall(t token) (*call, bool) {
	i := slices.Index(fnNames[:], t.text)
	if i < 0 {
		return nil, false
	}
	p.next() // (
	if !p.enter() {
		return nil, false
	}
	defer p.leave()
	c := &call{fn: fn(i), pos: t.pos}
	for {
		a, ok := p.parseOperand()
		if !ok {
			return nil, false
		}
		c.args = append(c.args, a)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	if p.next().kind != tRParen {
		return nil, false
	}
	subject := func(a operand) bool {
		return a.kind == oField || a.kind == oCall && a.call.fn.unary()
	}
	needle := func(a operand) bool {
		return a.kind == oLit && a.lit.v.Kind == String
	}
	if c.fn.unary() {
		return c, len(c.args) == 1 && subject(c.args[0])
	}
	if len(c.args) != 2 {
		return nil, false
	}
	a, b := c.args[0], c.args[1]
	return c, subject(a) && needle(b) || needle(a) && subject(b)
}
