package filter

import (
	"strconv"
	"time"
)

// Kind is the EDM type of a value.
type Kind int

const (
	// Null is the kind of the zero Value. It carries no type, because a NULL
	// read from a record says nothing about the column's declared type.
	Null Kind = iota
	// String is Edm.String.
	String
	// Bool is Edm.Boolean.
	Bool
	// Int is Edm.Int32 or Edm.Int64; the evaluator treats both as one kind
	// because Exact compares them freely (`5` against an Int64 column).
	Int
	// Float is Edm.Double; decimal and single literals are held as Float too.
	Float
	// DateTime is Edm.DateTime.
	DateTime
	// GUID is Edm.Guid.
	GUID
)

var kindNames = [...]string{"Null", "String", "Bool", "Int", "Float", "DateTime", "GUID"}

// String returns the Go-side name of k, for test failures and debugging.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// edmName names a record value's kind the way Exact's error messages do.
// Columns of kind Int are reported as Edm.Int32 because most Exact integer
// properties are; the width is not knowable from a Value.
func edmName(k Kind) string {
	switch k {
	case String:
		return "Edm.String"
	case Bool:
		return "Edm.Boolean"
	case Int:
		return "Edm.Int32"
	case Float:
		return "Edm.Double"
	case DateTime:
		return "Edm.DateTime"
	case GUID:
		return "Edm.Guid"
	case Null:
		return "null"
	}
	return "Edm.Unknown"
}

// Value is a typed literal or field value. Only the field selected by Kind
// is meaningful; the zero Value is Null.
type Value struct {
	Kind  Kind
	Str   string    // String
	Bool  bool      // Bool
	Int   int64     // Int
	Float float64   // Float
	Time  time.Time // DateTime, always in UTC
	GUID  [16]byte  // GUID
}

// StringValue returns an Edm.String value.
func StringValue(s string) Value { return Value{Kind: String, Str: s} }

// BoolValue returns an Edm.Boolean value.
func BoolValue(b bool) Value { return Value{Kind: Bool, Bool: b} }

// IntValue returns an Edm.Int32/Edm.Int64 value.
func IntValue(i int64) Value { return Value{Kind: Int, Int: i} }

// FloatValue returns an Edm.Double value.
func FloatValue(f float64) Value { return Value{Kind: Float, Float: f} }

// TimeValue returns an Edm.DateTime value. t is converted to UTC so that
// values built from different locations render and compare alike.
func TimeValue(t time.Time) Value { return Value{Kind: DateTime, Time: t.UTC()} }

// GUIDValue returns an Edm.Guid value.
func GUIDValue(g [16]byte) Value { return Value{Kind: GUID, GUID: g} }

// NullValue returns the null value, for fields that are present but empty.
func NullValue() Value { return Value{} }
