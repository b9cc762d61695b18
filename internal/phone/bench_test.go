package phone

import "testing"

// benchNumbers is a mix of what CRM phone fields hold: mostly plain
// national and international numbers, some with extensions, brackets,
// remarks and garbage, in the proportions of a Dutch-Belgian-German
// customer base.
var benchNumbers = []struct{ raw, country string }{
	{"06-12345678", "NL"},
	{"020 123 4567", "NL"},
	{"+31 6 12345678", "NL"},
	{"+31 (0)20 123 4567", "NL"},
	{"0031 10 123 4567", "NL"},
	{"(030) 123 45 67", "NL"},
	{"020-1234567 tst. 12", "NL"},
	{"+31201234567", "NL"},
	{"0475/12.34.56", "BE"},
	{"02/511.11.11", "BE"},
	{"+32 475 12 34 56", "NL"},
	{"030/1234567", "DE"},
	{"+49 (0) 89 123456-0", "DE"},
	{"0171 1234567", "DE"},
	{"+44 20 7946 0018", "NL"},
	{"+1 (415) 555-2671 x123", "NL"},
	{"020 123 4567-12", "NL"},
	{"06 12345678 (privé)", "NL"},
	{"n.v.t.", "NL"},
	{"123 4567", "NL"},
}

func BenchmarkParseNumber(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := benchNumbers[i%len(benchNumbers)]
		ParseNumber(n.raw, "Phone", "", n.country)
	}
}

// BenchmarkParseNumberCommon is the fast path alone: plain national and
// international notations.
func BenchmarkParseNumberCommon(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := benchNumbers[i%8]
		ParseNumber(n.raw, "Phone", "", n.country)
	}
}

func BenchmarkNormalizeLookup(b *testing.B) {
	b.ReportAllocs()
	inputs := []string{"+31201234567", "0201234567", "tel:+31-20-123-4567;ext=12", "sip:+31612345678@sbc.example;user=phone"}
	for i := 0; b.Loop(); i++ {
		NormalizeLookup(inputs[i%len(inputs)], "NL")
	}
}
