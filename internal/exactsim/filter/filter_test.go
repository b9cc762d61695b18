package filter

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// rec is a Record backed by a map, so tests can add fields freely.
type rec map[string]Value

func (r rec) Field(name string) (Value, bool) {
	v, ok := r[name]
	return v, ok
}

func mustGUID(s string) [16]byte {
	g, ok := parseGUID(s)
	if !ok {
		panic("bad GUID " + s)
	}
	return g
}

const testID = "5b7f4515-b7a0-4839-ac69-574968677d96"

// sample has a field of every kind, including a null one.
func sample() rec {
	return rec{
		"Name":       StringValue("Acme Corp"),
		"Code":       StringValue("  25 "),
		"Quote":      StringValue("O'Brien"),
		"City":       StringValue("ÄRZTE"),
		"Empty":      StringValue(""),
		"Blocked":    BoolValue(false),
		"Active":     BoolValue(true),
		"Count":      IntValue(42),
		"Big":        IntValue(123456789012),
		"Amount":     FloatValue(1234.5),
		"Created":    TimeValue(time.Date(2022, 12, 12, 0, 0, 0, 0, time.UTC)),
		"Modified":   TimeValue(time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC)),
		"ID":         GUIDValue(mustGUID(testID)),
		"Notes":      NullValue(),
		"Timestamp":  IntValue(1000),
		"EntityType": IntValue(2),
	}
}

func TestEval(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		want   bool
	}{
		{"string eq same case", "Name eq 'Acme Corp'", true},
		{"string eq lower case", "Name eq 'acme corp'", true},
		{"string eq upper case", "Name eq 'ACME CORP'", true},
		{"string eq other", "Name eq 'Acme'", false},
		{"string ne same ignoring case", "Name ne 'acme corp'", false},
		{"string ne other", "Name ne 'Other'", true},
		{"string gt", "Name gt 'Acme'", true},
		{"string lt", "Name lt 'B'", true},
		{"string ge equal ignoring case", "Name ge 'ACME CORP'", true},
		{"string le equal ignoring case", "Name le 'acme corp'", true},
		{"string le shorter", "Name le 'acme'", false},
		{"string ordering ignores case", "Name lt 'b'", true},
		{"literal first eq", "'Acme Corp' eq Name", true},
		{"literal first gt flips", "'B' gt Name", true},
		{"literal first lt flips", "'B' lt Name", false},
		{"escaped quote", "Quote eq 'O''Brien'", true},
		{"escaped quote missing", "Quote eq 'OBrien'", false},
		{"non-ASCII case folding", "City eq 'ärzte'", true},
		{"empty string", "Empty eq ''", true},
		{"int eq", "Count eq 42", true},
		{"int ne", "Count ne 42", false},
		{"int gt", "Count gt 41", true},
		{"int ge", "Count ge 42", true},
		{"int lt", "Count lt 42", false},
		{"int le", "Count le 42", true},
		{"negative literal", "Count gt -5", true},
		{"leading zeros", "Count eq 0042", true},
		{"Int64 literal against Int32 field", "Count eq 42L", true},
		{"lower-case l suffix", "Count eq 42l", true},
		{"Int32 literal against Int64 field", "Big eq 123456789012", true},
		{"Int64 literal against Int64 field", "Big gt 123456789011L", true},
		{"int field against decimal", "Count lt 42.5", true},
		{"int field against whole decimal", "Count eq 42.0", true},
		{"decimal M suffix", "Amount eq 1234.5M", true},
		{"decimal m suffix", "Amount eq 1234.5m", true},
		{"double d suffix", "Amount gt 1234d", true},
		{"single f suffix", "Amount eq 1234.5f", true},
		{"float field against int", "Amount gt 1234", true},
		{"float field lt int", "Amount lt 1234", false},
		{"exponent", "Amount lt 1.3e3", true},
		{"bool eq false", "Blocked eq false", true},
		{"bool eq true", "Blocked eq true", false},
		{"bool ne", "Active ne false", true},
		{"bool literal first", "true eq Active", true},
		{"datetime winter", "Created eq datetime'2022-12-12T01:00:00'", true},
		{"datetime winter without seconds", "Created eq datetime'2022-12-12T01:00'", true},
		{"datetime winter is not UTC", "Created eq datetime'2022-12-12T00:00:00'", false},
		{"datetime summer", "Modified eq datetime'2022-07-01T02:00:00'", true},
		{"datetime summer is not winter offset", "Modified eq datetime'2022-07-01T01:00:00'", false},
		{"date only is Amsterdam midnight", "Created gt datetime'2022-12-12'", true},
		{"datetime fraction after", "Created lt datetime'2022-12-12T01:00:00.001'", true},
		{"datetime fraction zero", "Created ge datetime'2022-12-12T01:00:00.000'", true},
		{"datetime prefix any case", "Created eq DateTime'2022-12-12T01:00:00'", true},
		{"guid eq", "ID eq guid'" + testID + "'", true},
		{"guid upper-case hex", "ID eq guid'" + strings.ToUpper(testID) + "'", true},
		{"guid in braces", "ID eq guid'{" + testID + "}'", true},
		{"guid prefix any case", "ID eq GUID'" + testID + "'", true},
		{"guid ne", "ID ne guid'00000000-0000-0000-0000-000000000000'", true},
		{"guid gt bytewise", "ID gt guid'00000000-0000-0000-0000-000000000000'", true},
		{"guid lt bytewise", "ID lt guid'5b7f4515-b7a0-4839-ac69-574968677d95'", false},
		{"null field eq null", "Notes eq null", true},
		{"null field ne null", "Notes ne null", false},
		{"null first", "null eq Notes", true},
		{"value eq null", "Name eq null", false},
		{"value ne null", "Name ne null", true},
		{"null field eq value", "Notes eq 'x'", false},
		{"null field ne value", "Notes ne 'x'", true},
		{"null field gt", "Notes gt 'a'", false},
		{"null field lt", "Notes lt 'a'", false},
		{"null field ge null", "Notes ge null", false},
		{"gt null literal", "Count gt null", false},
		{"and true", "Name eq 'acme corp' and Blocked eq false", true},
		{"and false", "Name eq 'acme corp' and Blocked eq true", false},
		{"or true", "Count eq 1 or Count eq 42", true},
		{"or false", "Count eq 1 or Count eq 2", false},
		{"not", "not Blocked eq true", true},
		{"double not", "not not Count eq 42", true},
		{"and before or (left)", "Count eq 1 and Count eq 2 or Count eq 42", true},
		{"and before or (right)", "Count eq 42 or Count eq 1 and Count eq 2", true},
		{"parentheses override", "(Count eq 42 or Count eq 1) and Count eq 2", false},
		{"not before and", "not Count eq 1 and Count eq 42", true},
		{"not before or", "not Count eq 42 or Count eq 42", true},
		{"not of parentheses", "not (Count eq 42 and Blocked eq false)", false},
		{"redundant parentheses", "((Count eq 42))", true},
		{"extra white space", "  Count   eq   42   and(Name eq 'acme corp')  ", true},
		{"tabs and newlines", "Count\teq\n42", true},
		{"substringof", "substringof('corp', Name)", true},
		{"substringof ignores case", "substringof('CORP', Name)", true},
		{"substringof absent", "substringof('xyz', Name)", false},
		{"substringof eq true", "substringof('acme', Name) eq true", true},
		{"substringof eq false", "substringof('xyz', Name) eq false", true},
		{"substringof field first", "substringof(Name, 'The ACME CORP Ltd')", true},
		{"substringof empty needle", "substringof('', Empty)", true},
		{"startswith", "startswith(Name, 'ac')", true},
		{"startswith too long", "startswith(Name, 'Acme Corp Ltd')", false},
		{"endswith", "endswith(Name, 'CORP')", true},
		{"endswith absent", "endswith(Name, 'acme')", false},
		{"endswith non-ASCII", "endswith(City, 'zTE')", true},
		{"not substringof", "not substringof('x', Name)", true},
		{"trim", "trim(Code) eq '25'", true},
		{"untrimmed", "Code eq '25'", false},
		{"tolower", "tolower(Name) eq 'acme corp'", true},
		{"toupper", "toupper(Name) eq 'ACME CORP'", true},
		{"toupper of tolower", "toupper(tolower(Name)) ne 'x'", true},
		{"function in function", "startswith(trim(Code), '2')", true},
		{"function of null is null", "trim(Notes) eq null", true},
		{"substringof null is false", "substringof('x', Notes)", false},
		{"not substringof null", "not substringof('x', Notes)", true},
		{"sync filter", "Timestamp gt 5L and EntityType eq 2", true},
		{"or short-circuits unknown field", "Count eq 42 or Foo eq 1", true},
		{"and short-circuits unknown field", "Count eq 1 and Foo eq 1", false},
	}
	r := sample()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.filter, err)
			}
			got, err := e.Eval(r)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tt.filter, err)
			}
			if got != tt.want {
				t.Errorf("Eval(%q) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name   string
		filter string
	}{
		{"empty", ""},
		{"blank", "   "},
		{"missing right operand", "Name eq"},
		{"missing left operand", "eq 'x'"},
		{"field against field", "Name eq Code"},
		{"field against function", "Name eq trim(Code)"},
		{"literal against literal", "'a' eq 'a'"},
		{"bare field", "Name"},
		{"bare boolean field", "Blocked"},
		{"bare literal", "true"},
		{"bare string function", "trim(Name)"},
		{"upper-case operator", "Name EQ 'x'"},
		{"upper-case and", "Count eq 1 AND Count eq 2"},
		{"arithmetic add", "Count add 1 eq 2"},
		{"arithmetic on literal side", "Count eq 1 add 1"},
		{"navigation path", "Account/Name eq 'x'"},
		{"any", "Lines/any(l: l/Amount gt 1)"},
		{"unclosed parenthesis", "(Count eq 1"},
		{"extra closing parenthesis", "Count eq 1)"},
		{"empty parentheses", "Name eq 'x' or ()"},
		{"parenthesised operand", "(Name) eq 'x'"},
		{"trailing comparison", "Count eq 1 Count eq 2"},
		{"chained comparison", "Count eq 1 eq 2"},
		{"trailing and", "Count eq 1 and"},
		{"trailing comma", "Count eq 1,"},
		{"lone not", "not"},
		{"unknown function", "length(Name) eq 3"},
		{"function name case", "Substringof('a', Name)"},
		{"unterminated string", "Name eq 'unterminated"},
		{"double-quoted string", `Name eq "x"`},
		{"dot without digits", "Count eq 1."},
		{"number runs into keyword", "Count eq 1and Count eq 2"},
		{"spaced minus", "Count eq - 5"},
		{"plus sign", "Count eq +5"},
		{"L suffix on decimal", "Count eq 1.5L"},
		{"int64 overflow", "Count eq 99999999999999999999"},
		{"double overflow", "Amount eq 1e999"},
		{"bad guid", "ID eq guid'not-a-guid'"},
		{"guid without dashes", "ID eq guid'5b7f4515b7a04839ac69574968677d96'"},
		{"datetime with zone", "Created eq datetime'2022-12-12T01:00:00Z'"},
		{"datetime with offset", "Created eq datetime'2022-12-12T01:00:00+01:00'"},
		{"datetime with space", "Created eq datetime'2022-12-12 01:00:00'"},
		{"datetime single-digit hour", "Created eq datetime'2022-12-12T1:00:00'"},
		{"datetime impossible day", "Created eq datetime'2022-02-30T00:00:00'"},
		{"datetimeoffset", "Created eq datetimeoffset'2022-12-12T01:00:00Z'"},
		{"binary literal", "Name eq X'00'"},
		{"substringof two fields", "substringof(Name, Code)"},
		{"substringof two literals", "substringof('a', 'b')"},
		{"substringof number needle", "substringof(1, Name)"},
		{"startswith one argument", "startswith(Name)"},
		{"trim of literal", "trim('x') eq 'x'"},
		{"trim two arguments", "trim(Name, 'x') eq 'x'"},
		{"function against function", "substringof('a', Name) eq startswith(Name, 'a')"},
		{"reserved word as field", "and eq 1"},
		{"too deep", strings.Repeat("(", maxDepth+1) + "Count eq 1" + strings.Repeat(")", maxDepth+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tt.filter, e)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Message != "Error in query syntax." {
				t.Fatalf("Parse(%q) error = %#v, want *Error %q", tt.filter, err, "Error in query syntax.")
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		want   string
	}{
		{"guid against string", "ID eq 'abc'",
			"Operator 'eq' incompatible with operand types 'Edm.Guid' and 'Edm.String' at position 3."},
		{"string against guid, literal first", "'abc' eq ID",
			"Operator 'eq' incompatible with operand types 'Edm.String' and 'Edm.Guid' at position 6."},
		{"int against string", "Count eq '42'",
			"Operator 'eq' incompatible with operand types 'Edm.Int32' and 'Edm.String' at position 6."},
		{"string against Int64", "Name gt 5L",
			"Operator 'gt' incompatible with operand types 'Edm.String' and 'Edm.Int64' at position 5."},
		{"ordering booleans", "Blocked gt false",
			"Operator 'gt' incompatible with operand types 'Edm.Boolean' and 'Edm.Boolean' at position 8."},
		{"datetime against string", "Created eq '2022-12-12'",
			"Operator 'eq' incompatible with operand types 'Edm.DateTime' and 'Edm.String' at position 8."},
		{"double against boolean", "Amount eq true",
			"Operator 'eq' incompatible with operand types 'Edm.Double' and 'Edm.Boolean' at position 7."},
		{"decimal against string", "Name le 1.5M",
			"Operator 'le' incompatible with operand types 'Edm.String' and 'Edm.Decimal' at position 5."},
		{"position counts leading spaces", "  Active  ne  1",
			"Operator 'ne' incompatible with operand types 'Edm.Boolean' and 'Edm.Int32' at position 10."},
		{"null function result keeps its type", "trim(Notes) eq 5",
			"Operator 'eq' incompatible with operand types 'Edm.String' and 'Edm.Int32' at position 12."},
		{"boolean function against string", "substringof('a', Name) eq 'x'",
			"Operator 'eq' incompatible with operand types 'Edm.Boolean' and 'Edm.String' at position 23."},
		{"unknown field", "Foo eq 1", "No property 'Foo' exists at position 0."},
		{"unknown field later", "Count eq 42 and  Foo eq 1", "No property 'Foo' exists at position 17."},
		{"unknown field in function", "startswith(Nam, 'a')", "No property 'Nam' exists at position 11."},
		{"field names are case-sensitive", "name eq 'x'", "No property 'name' exists at position 0."},
		{"trim of int", "trim(Count) eq '1'",
			"No applicable function found for 'trim' at position 0 with the specified arguments. The functions considered are: trim(Edm.String)."},
		{"substringof of int", "Count eq 42 and substringof('4', Count)",
			"No applicable function found for 'substringof' at position 16 with the specified arguments. The functions considered are: substringof(Edm.String, Edm.String)."},
	}
	r := sample()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.filter, err)
			}
			got, err := e.Eval(r)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Eval(%q) = %v, %v; want *Error", tt.filter, got, err)
			}
			if fe.Message != tt.want {
				t.Errorf("Eval(%q) error\n got %q\nwant %q", tt.filter, fe.Message, tt.want)
			}
			if got {
				t.Errorf("Eval(%q) = true alongside an error", tt.filter)
			}
		})
	}
}

func TestDateTimeLiteral(t *testing.T) {
	tests := []struct {
		name    string
		literal string
		want    time.Time
	}{
		{"winter is UTC+1", "2022-12-12T01:00:00", time.Date(2022, 12, 12, 0, 0, 0, 0, time.UTC)},
		{"summer is UTC+2", "2022-07-01T02:00:00", time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"minutes only", "2022-12-12T01:00", time.Date(2022, 12, 12, 0, 0, 0, 0, time.UTC)},
		{"milliseconds", "2022-12-12T01:00:00.123", time.Date(2022, 12, 12, 0, 0, 0, 123e6, time.UTC)},
		{"date only", "2022-12-12", time.Date(2022, 12, 11, 23, 0, 0, 0, time.UTC)},
		{"day after spring forward", "2022-03-28T00:00:00", time.Date(2022, 3, 27, 22, 0, 0, 0, time.UTC)},
		{"day before spring forward", "2022-03-27T01:00:00", time.Date(2022, 3, 27, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse("Created eq datetime'" + tt.literal + "'")
			if err != nil {
				t.Fatal(err)
			}
			v, ok := e.Conjunct("Created", "eq")
			if !ok || v.Kind != DateTime {
				t.Fatalf("Conjunct = %v, %v", v, ok)
			}
			if !v.Time.Equal(tt.want) || v.Time.Location() != time.UTC {
				t.Errorf("datetime'%s' = %v, want %v", tt.literal, v.Time, tt.want)
			}
		})
	}
}

func TestTimestampAndConjunct(t *testing.T) {
	type conj struct {
		field, op string
		want      Value
		ok        bool
	}
	tests := []struct {
		name   string
		filter string
		ts     int64
		tsOK   bool
		conj   []conj
	}{
		{"plain", "Timestamp gt 1", 1, true,
			[]conj{{"Timestamp", "gt", IntValue(1), true}}},
		{"Int64 literal", "Timestamp gt 123456789L", 123456789, true, nil},
		{"big literal without suffix", "Timestamp gt 12345678901", 12345678901, true, nil},
		{"parenthesised", "(Timestamp gt 7)", 7, true, nil},
		{"with entity type", "Timestamp gt 5L and EntityType eq 2", 0, false,
			[]conj{
				{"Timestamp", "gt", IntValue(5), true},
				{"EntityType", "eq", IntValue(2), true},
				{"EntityType", "ne", Value{}, false},
				{"Timestamp", "GT", Value{}, false},
			}},
		{"nested and is still top level", "EntityType eq 2 and (Timestamp gt 9L and Name eq 'x')", 0, false,
			[]conj{{"Timestamp", "gt", IntValue(9), true}, {"Name", "eq", StringValue("x"), true}}},
		{"ge is not gt", "Timestamp ge 5", 0, false,
			[]conj{{"Timestamp", "ge", IntValue(5), true}, {"Timestamp", "gt", Value{}, false}}},
		{"or", "Timestamp gt 5 or ID eq guid'" + testID + "'", 0, false,
			[]conj{{"Timestamp", "gt", Value{}, false}, {"ID", "eq", Value{}, false}}},
		{"negated", "not Timestamp gt 5", 0, false,
			[]conj{{"Timestamp", "gt", Value{}, false}}},
		{"literal first", "5 lt Timestamp", 0, false,
			[]conj{{"Timestamp", "gt", Value{}, false}, {"Timestamp", "lt", Value{}, false}}},
		{"decimal", "Timestamp gt 1.5", 0, false,
			[]conj{{"Timestamp", "gt", FloatValue(1.5), true}}},
		{"string", "Timestamp gt '5'", 0, false, nil},
		{"function", "trim(Timestamp) eq '5'", 0, false,
			[]conj{{"Timestamp", "eq", Value{}, false}}},
		{"other field", "Modified gt 5", 0, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			ts, ok := e.TimestampGreaterThan()
			if ts != tt.ts || ok != tt.tsOK {
				t.Errorf("TimestampGreaterThan() = %d, %v; want %d, %v", ts, ok, tt.ts, tt.tsOK)
			}
			for _, c := range tt.conj {
				v, ok := e.Conjunct(c.field, c.op)
				if v != c.want || ok != c.ok {
					t.Errorf("Conjunct(%q, %q) = %+v, %v; want %+v, %v", c.field, c.op, v, ok, c.want, c.ok)
				}
			}
		})
	}
}

func TestFields(t *testing.T) {
	e, err := Parse("Name eq 'x' and (Count gt 1 or substringof('a', Name)) and startswith(trim(Code), 'b') or 'y' eq City")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Name", "Count", "Code", "City"}
	got := e.Fields()
	if !slices.Equal(got, want) {
		t.Fatalf("Fields() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if e.Fields()[0] != "Name" {
		t.Error("Fields() exposes the Expr's own slice")
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"spacing", "  Name   eq  'O''Brien' ", "Name eq 'O''Brien'"},
		{"or inside and keeps parentheses", "(A eq 1 or B eq 2) and C eq 3", "(A eq 1 or B eq 2) and C eq 3"},
		{"and inside or drops them", "A eq 1 or (B eq 2 and C eq 3)", "A eq 1 or B eq 2 and C eq 3"},
		{"nested and flattens", "((A eq 1 and B eq 2)) and (C eq 3)", "A eq 1 and B eq 2 and C eq 3"},
		{"nested or flattens", "A eq 1 or (B eq 2 or C eq 3)", "A eq 1 or B eq 2 or C eq 3"},
		{"not of group", "not (A eq 1 or B eq 2)", "not (A eq 1 or B eq 2)"},
		{"not of comparison", "not(A eq 1)", "not A eq 1"},
		{"literal first kept", "5 lt Count", "5 lt Count"},
		{"guid canonical", "ID eq GUID'{5B7F4515-B7A0-4839-AC69-574968677D96}'", "ID eq guid'" + testID + "'"},
		{"datetime canonical", "Created eq datetime'2022-07-01T02:00'", "Created eq datetime'2022-07-01T02:00:00'"},
		{"datetime fraction", "Created eq datetime'2022-07-01T02:00:00.1230'", "Created eq datetime'2022-07-01T02:00:00.123'"},
		{"date only", "Created eq datetime'2022-12-12'", "Created eq datetime'2022-12-12T00:00:00'"},
		{"double", "A eq 1.50", "A eq 1.5"},
		{"whole double", "A eq 5.0", "A eq 5.0"},
		{"big double", "A eq 1e21", "A eq 1e+21"},
		{"small double", "A eq 1e-5", "A eq 0.00001"},
		{"double suffix", "A eq 5D", "A eq 5d"},
		{"decimal suffix", "A eq 1.50m", "A eq 1.5M"},
		{"single suffix", "A eq 0.1F", "A eq 0.1f"},
		{"long suffix", "A eq 012l", "A eq 12L"},
		{"negative", "A gt -0", "A gt 0"},
		{"functions", "substringof('x',Name) eq true and startswith( tolower(Name) ,'y')",
			"substringof('x', Name) eq true and startswith(tolower(Name), 'y')"},
		{"null and booleans", "A eq null or B ne false", "A eq null or B ne false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	// fold must agree with strings.EqualFold, which the SQL-like equality
	// is documented to follow, including for runes outside ASCII.
	pairs := [][2]string{
		{"K", "\u212a"}, // Kelvin sign
		{"s", "\u017f"}, // long s
		{"ß", "ẞ"},
		{"Σ", "ς"},
		{"_", "_"},
		{"İ", "i"},
	}
	for _, p := range pairs {
		want := strings.EqualFold(p[0], p[1])
		got := cmpFold(fstr{s: p[0]}, fstr{s: foldString(p[1]), folded: true}) == 0
		if got != want {
			t.Errorf("fold equality of %q and %q = %v, want %v", p[0], p[1], got, want)
		}
	}
	if cmpFold(fstr{s: "_"}, fstr{s: "a", folded: true}) >= 0 {
		t.Error("'_' should order before letters")
	}
}

func TestConcurrentEval(t *testing.T) {
	e, err := Parse("tolower(Name) eq 'acme corp' and substringof('CO', Name) and Created lt datetime'2023-01-01'")
	if err != nil {
		t.Fatal(err)
	}
	r := sample()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if ok, err := e.Eval(r); !ok || err != nil {
					t.Errorf("Eval = %v, %v", ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestEvalDoesNotAllocate(t *testing.T) {
	r := sample()
	for _, f := range []string{
		"Name eq 'x' and Blocked eq false",
		"Name eq 'ACME CORP' and Blocked eq false",
		"tolower(Name) gt 'a' or Count le 5L",
		"substringof('corp', Name) and endswith(trim(Code), '5')",
		"ID eq guid'" + testID + "' or Created ge datetime'2022-01-01'",
		"Notes eq null and not City ne 'ärzte'",
	} {
		e, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = e.Eval(r) }); n != 0 {
			t.Errorf("Eval(%q) allocates %v times per record", f, n)
		}
	}
}

// structRec is how the simulator's entities are likely to expose fields: a
// switch rather than a map.
type structRec struct {
	name    string
	blocked bool
}

func (s *structRec) Field(name string) (Value, bool) {
	switch name {
	case "Name":
		return StringValue(s.name), true
	case "Blocked":
		return BoolValue(s.blocked), true
	}
	return Value{}, false
}

func BenchmarkEval(b *testing.B) {
	e, err := Parse("Name eq 'x' and Blocked eq false")
	if err != nil {
		b.Fatal(err)
	}
	r := &structRec{name: "X", blocked: false}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := e.Eval(r); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
