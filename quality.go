package roger

import (
	"strings"
	"time"
)

// SetAsideRecord is a record of Exact that the database refused to store
// (a value too long, a constraint). It is listed with its replicator
// rather than stopping the records after it, until a later version of it
// is stored, Exact deletes it, or a full pass no longer finds it.
type SetAsideRecord struct {
	ReplicatorID int64
	// SourceID is the record's Exact id, made storable when it was the
	// problem.
	SourceID    string
	Kind        Kind
	DisplayName string
	// Reason says why the database refused it, for the person who can
	// correct the record in Exact.
	Reason string
	At     time.Time
}

// QualityProblem is a kind of data-quality problem of a number in the
// directory: something an admin corrects in the CRM so that callers are
// recognised, or recognised once. The data-quality report groups its rows
// by it.
type QualityProblem string

// The problems, in the order the report lists them.
const (
	// ProblemTooShort: the number lacks digits, often an area code.
	ProblemTooShort QualityProblem = "too-short"
	// ProblemNotANumber: letters, or text that holds no phone number.
	ProblemNotANumber QualityProblem = "not-a-number"
	// ProblemInvalidForCountry: digits that are no number of the country
	// that read them, often a foreign number written without its
	// country code.
	ProblemInvalidForCountry QualityProblem = "invalid-for-country"
	// ProblemOtherParse: any other reason a number did not parse (too
	// long, two numbers in one field, an unknown country code, …).
	ProblemOtherParse QualityProblem = "did-not-parse"
	// ProblemUnlisted: the number parsed but lies in no range the
	// numbering plan lists (Number.Unlisted).
	ProblemUnlisted QualityProblem = "unlisted"
	// ProblemCountryGuessed: a number written without a country code in a
	// record whose country was neither its own nor its account's, so the
	// replicator's Country Code read it.
	ProblemCountryGuessed QualityProblem = "country-guessed"
	// ProblemShared: the same number is held by several records of the
	// organisation, so a caller from it gets several matches.
	ProblemShared QualityProblem = "shared"
)

// QualityProblems are all the problems, in the report's order.
var QualityProblems = []QualityProblem{ProblemTooShort, ProblemNotANumber, ProblemInvalidForCountry, ProblemOtherParse,
	ProblemUnlisted, ProblemCountryGuessed, ProblemShared}

// ParseQualityProblem reads a problem's name as a report's filter gives
// it; "" is no problem in particular.
func ParseQualityProblem(s string) (QualityProblem, error) {
	if s == "" {
		return "", nil
	}
	for _, p := range QualityProblems {
		if string(p) == s {
			return p, nil
		}
	}
	names := make([]string, len(QualityProblems))
	for i, p := range QualityProblems {
		names[i] = string(p)
	}
	return "", Errorf(EINVALID, "%q is not a data-quality group; use one of %s.", s, strings.Join(names, ", "))
}

// Label is how the report names the problem.
func (p QualityProblem) Label() string {
	switch p {
	case ProblemTooShort:
		return "Too short"
	case ProblemNotANumber:
		return "Letters or not a phone number"
	case ProblemInvalidForCountry:
		return "Invalid for the country"
	case ProblemOtherParse:
		return "Did not parse for another reason"
	case ProblemUnlisted:
		return "In a range the numbering plan does not list"
	case ProblemCountryGuessed:
		return "Country guessed"
	case ProblemShared:
		return "Shared by several records"
	}
	return string(p)
}

// Advice says what to correct in the CRM for the problem.
func (p QualityProblem) Advice() string {
	switch p {
	case ProblemTooShort:
		return "Add the missing digits, usually the area code, or write the number with its country code."
	case ProblemNotANumber:
		return "Put only the phone number in the field; a remark belongs in another field."
	case ProblemInvalidForCountry:
		return "Write the number with its country code (+32 …), or set the record's or its account's Country."
	case ProblemOtherParse:
		return "Correct the number as the reason says; one number per field."
	case ProblemUnlisted:
		return "The number is indexed and can be found; check it is not a typing error."
	case ProblemCountryGuessed:
		return "Set the record's or its account's Country, or write the number with its country code."
	case ProblemShared:
		return "Callers from these numbers get several matches; keep a company's main number on the account only, if that is what you mean."
	}
	return ""
}

// bit is the problem's place in a QualitySet.
func (p QualityProblem) bit() QualitySet {
	for i, q := range QualityProblems {
		if q == p {
			return 1 << i
		}
	}
	return 0
}

// QualitySet is a set of problems, stored with each entry so that the
// report finds the few entries with a problem without reading every
// entry's numbers. ProblemShared is never in it: whether a number is
// shared depends on the other entries, and is found when the report is
// read.
type QualitySet uint8

// Has reports whether p is in the set.
func (s QualitySet) Has(p QualityProblem) bool { return p.bit() != 0 && s&p.bit() != 0 }

// Bit is the set holding only p, for stores that filter on the stored
// set.
func (p QualityProblem) Bit() QualitySet { return p.bit() }

// NumberProblems returns the problems of number n of entry e: why it did
// not parse, or that it parsed in an unlisted range or with a guessed
// country. ProblemShared is not among them (see QualitySet).
func NumberProblems(e *Entry, n Number) []QualityProblem {
	if n.Status != NumberOK {
		return []QualityProblem{parseProblem(n.Reason)}
	}
	var out []QualityProblem
	if n.Unlisted {
		out = append(out, ProblemUnlisted)
	}
	if n.National && CountryGuessed(e.CountryFrom) {
		out = append(out, ProblemCountryGuessed)
	}
	return out
}

// CountryGuessed reports whether an entry's country came from the
// replicator's Country Code. Entries written before the source was
// recorded have none, and were read with that Country Code too.
func CountryGuessed(from CountrySource) bool {
	return from == CountryFromReplicator || from == ""
}

// parseProblem groups the reason a number did not parse. The reasons are
// the phone parser's, which starts each with its kind ("too short: the
// area code may be missing").
func parseProblem(reason string) QualityProblem {
	switch {
	case strings.HasPrefix(reason, "too short"):
		return ProblemTooShort
	case strings.HasPrefix(reason, "not a phone number"):
		return ProblemNotANumber
	case strings.HasPrefix(reason, "invalid number for "):
		return ProblemInvalidForCountry
	}
	return ProblemOtherParse
}

// EntryQuality is the set of problems of e's numbers.
func EntryQuality(e *Entry) QualitySet {
	var s QualitySet
	for _, n := range e.Numbers {
		for _, p := range NumberProblems(e, n) {
			s |= p.bit()
		}
	}
	return s
}

// QualityFilter selects a page of a replicator's entries with a problem,
// in id order: those after After, or else the last before Before.
type QualityFilter struct {
	OrgID        int64
	ReplicatorID int64
	// Problem narrows to one problem; "" is every problem but
	// ProblemShared.
	Problem QualityProblem
	After   int64
	Before  int64
	Limit   int
}

// SharedNumber is a number held by several entries of an organisation,
// with those entries (of any replicator).
type SharedNumber struct {
	E164    string
	Entries []DirectoryHit
}

// SharedFilter selects a page of the numbers a replicator's entries share
// with other entries, in number order: those after After, or else the last
// before Before.
type SharedFilter struct {
	OrgID        int64
	ReplicatorID int64
	After        string
	Before       string
	Limit        int
}
