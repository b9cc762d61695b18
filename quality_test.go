package roger_test

import (
	"slices"
	"testing"

	"github.com/roger365io/roger"
)

func TestNumberProblems(t *testing.T) {
	national := roger.Number{Field: "Phone", Raw: "020 123 4567", E164: "+31201234567", Status: roger.NumberOK, National: true}
	unlistedNational := roger.Number{Field: "Mobile", Raw: "06 0000 0001", E164: "+31600000001", Status: roger.NumberOK, National: true, Unlisted: true}
	international := roger.Number{Field: "Phone", Raw: "+31 20 123 4567", E164: "+31201234567", Status: roger.NumberOK}
	for _, tc := range []struct {
		name string
		from roger.CountrySource
		n    roger.Number
		want []roger.QualityProblem
	}{
		{"too short", roger.CountryFromRecord, roger.Number{Status: roger.NumberInvalid, Reason: "too short: only a country code"}, []roger.QualityProblem{roger.ProblemTooShort}},
		{"letters", roger.CountryFromRecord, roger.Number{Status: roger.NumberInvalid, Reason: "not a phone number: only zeros"}, []roger.QualityProblem{roger.ProblemNotANumber}},
		{"foreign", roger.CountryFromRecord, roger.Number{Status: roger.NumberInvalid, Reason: "invalid number for NL"}, []roger.QualityProblem{roger.ProblemInvalidForCountry}},
		{"other", roger.CountryFromRecord, roger.Number{Status: roger.NumberInvalid, Reason: "two numbers in one field"}, []roger.QualityProblem{roger.ProblemOtherParse}},
		{"guessed", roger.CountryFromReplicator, national, []roger.QualityProblem{roger.ProblemCountryGuessed}},
		{"guessed before the source was kept", "", national, []roger.QualityProblem{roger.ProblemCountryGuessed}},
		{"the account's country", roger.CountryFromAccount, national, nil},
		{"with its country code", roger.CountryFromReplicator, international, nil},
		{"unlisted and guessed", roger.CountryFromReplicator, unlistedNational, []roger.QualityProblem{roger.ProblemUnlisted, roger.ProblemCountryGuessed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &roger.Entry{CountryFrom: tc.from, Numbers: []roger.Number{tc.n}}
			got := roger.NumberProblems(e, tc.n)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
			set := roger.EntryQuality(e)
			for _, p := range roger.QualityProblems {
				if set.Has(p) != slices.Contains(tc.want, p) {
					t.Errorf("the entry's set %b has %s: %v", set, p, set.Has(p))
				}
			}
		})
	}
}

func TestParseQualityProblem(t *testing.T) {
	for _, p := range roger.QualityProblems {
		if got, err := roger.ParseQualityProblem(string(p)); got != p || err != nil {
			t.Errorf("%s: %s %v", p, got, err)
		}
		if p.Label() == string(p) || p.Advice() == "" {
			t.Errorf("%s has no label or advice", p)
		}
	}
	if _, err := roger.ParseQualityProblem("typo"); roger.ErrorCodeOf(err) != roger.EINVALID ||
		roger.ErrorMessage(err) != `"typo" is not a data-quality group; use one of too-short, not-a-number, invalid-for-country, did-not-parse, unlisted, country-guessed, shared.` {
		t.Errorf("a typo: %v", err)
	}
}
