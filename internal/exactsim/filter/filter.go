// Package filter parses the OData v2 $filter expressions that Exact Online's
// REST API accepts and evaluates them against in-memory records, so that the
// simulator answers (and refuses) the same queries the real API does.
//
// Only the subset Exact supports is accepted: comparisons between one field
// (or a string function of one field) and one literal, combined with and, or,
// not and parentheses. Everything else is refused with Exact's generic
// "Error in query syntax." so that clients relying on unsupported syntax fail
// against the simulator just as they would in production.
//
// String comparisons ignore case, for ordering as well as equality, because
// SQL Server's default collation behind Exact does; tolower and toupper are
// therefore only observable for the few runes whose case mapping differs from
// case folding. A null value equals only null, is unequal to everything else
// and is neither greater nor less than anything.
//
// Parsing does all the work that does not depend on a record (literal
// decoding, case folding, time-zone conversion), so that Eval can be run
// against a million records without allocating.
package filter

import "slices"

// syntaxMessage is the body Exact returns for every $filter it cannot parse;
// it deliberately carries no position.
const syntaxMessage = "Error in query syntax."

// maxDepth bounds nesting (parentheses, not, function calls) so that a
// hostile request cannot make the parser or evaluator recurse without limit.
const maxDepth = 100

// Error is a filter error with the message Exact would put in its OData
// error body.
type Error struct {
	Message string
}

// Error returns the message unchanged, so it can be copied into the OData
// error body as is.
func (e *Error) Error() string { return e.Message }

func syntaxError() *Error { return &Error{Message: syntaxMessage} }

// Record gives the evaluator a record's fields. ok is false for a field the
// entity does not have; a field that exists but is empty is a Null Value.
type Record interface {
	Field(name string) (v Value, ok bool)
}

// Expr is a parsed $filter expression. It is immutable, so one Expr may be
// evaluated from many goroutines at once.
type Expr struct {
	root   *node
	fields []string
}

// Parse parses a $filter value that has already been URL-decoded. Any input
// outside the supported grammar yields an *Error whose Message is
// "Error in query syntax.".
func Parse(s string) (*Expr, error) {
	toks, ok := lex(s)
	if !ok {
		return nil, syntaxError()
	}
	p := &parser{toks: toks}
	root, ok := p.parseOr()
	if !ok || p.peek().kind != tEOF {
		return nil, syntaxError()
	}
	return &Expr{root: root, fields: p.fields}, nil
}

// Eval reports whether r satisfies the expression. Evaluation short-circuits
// like Exact's SQL does, so a type or unknown-field *Error is returned only
// when the offending comparison is actually reached for r.
func (e *Expr) Eval(r Record) (bool, error) {
	ok, err := e.root.eval(r)
	if err != nil {
		return false, err
	}
	return ok, nil
}

// Fields returns the distinct field names the expression references, in order
// of first appearance, so a caller can check them against an entity's schema
// even when there are no records to evaluate.
func (e *Expr) Fields() []string { return slices.Clone(e.fields) }

// TimestampGreaterThan returns N when the whole expression is exactly
// `Timestamp gt N` with an integer N (with or without the L suffix), written
// field first. Exact's sync endpoints accept only that form.
func (e *Expr) TimestampGreaterThan() (int64, bool) {
	n := e.root
	if !n.isFieldCmp("Timestamp", opGt) || n.lit.v.Kind != Int {
		return 0, false
	}
	return n.lit.v.Int, true
}

// Conjunct finds a comparison `field op literal` (written field first, op one
// of eq ne gt ge lt le) that is the whole expression or one of its top-level
// and-ed terms, and returns the literal. It lets an endpoint such as
// sync/Deleted pick `Timestamp gt 5L` and `EntityType eq 2` out of one filter;
// use Fields to make sure nothing else is being asked for. The first match
// wins.
func (e *Expr) Conjunct(field, op string) (Value, bool) {
	o, ok := parseOp(op)
	if !ok {
		return Value{}, false
	}
	terms := []*node{e.root}
	if e.root.kind == nAnd {
		terms = e.root.kids
	}
	for _, t := range terms {
		if t.isFieldCmp(field, o) {
			return t.lit.v, true
		}
	}
	return Value{}, false
}

// String renders the expression canonically: single spaces, lower-case GUIDs,
// date-times as Amsterdam wall-clock time, and only the parentheses the
// precedence rules need. Parsing the result yields the same expression.
func (e *Expr) String() string {
	var b []byte
	b = e.root.appendTo(b)
	return string(b)
}
