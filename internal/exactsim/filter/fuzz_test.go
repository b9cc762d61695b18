package filter

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse checks that Parse never panics, fails only with the syntax
// message, and that String is a fixed point: what it renders parses back to
// an expression that renders, references and evaluates the same.
func FuzzParse(f *testing.F) {
	f.Add("Name eq 'x' and Blocked eq false")
	r := sample()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Message != syntaxMessage {
				t.Fatalf("Parse(%q) error = %#v, want the syntax message", s, err)
			}
			return
		}
		out := e.String()
		e2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", s, out, err)
		}
		if out2 := e2.String(); out2 != out {
			t.Fatalf("String() is not stable for %q:\n first %q\nsecond %q", s, out, out2)
		}
		if f1, f2 := e.Fields(), e2.Fields(); !slices.Equal(f1, f2) {
			t.Fatalf("Fields() changed across String() for %q: %q then %q", s, f1, f2)
		}
		ts1, ok1 := e.TimestampGreaterThan()
		ts2, ok2 := e2.TimestampGreaterThan()
		if ts1 != ts2 || ok1 != ok2 {
			t.Fatalf("TimestampGreaterThan() changed across String() for %q", s)
		}
		// Error positions refer to each text, so only their presence must match.
		b1, err1 := e.Eval(r)
		b2, err2 := e2.Eval(r)
		if b1 != b2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Eval changed across String() for %q: %v, %v then %v, %v", s, b1, err1, b2, err2)
		}
	})
}
