package quality

import (
	"context"
	"errors"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
)

// EntryReader streams a replicator's entries; *sqlstore.Store has it.
type EntryReader interface {
	ForEachEntry(ctx context.Context, f roger.EntryFilter, fn func(*roger.Entry) error) error
}

// MaxExamples bounds the examples a CountryPreview shows.
const MaxExamples = 5

// CountryPreview is what a new Country Code would change in a
// replicator's directory, read again from the stored numbers as written.
type CountryPreview struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Numbers counts the numbers read again: those of records whose
	// country came from the replicator's Country Code.
	Numbers int `json:"numbers"`
	// ParseNow and ParseThen count those that parse with the current
	// Country Code and with the new one.
	ParseNow  int `json:"parseNow"`
	ParseThen int `json:"parseThen"`
	// Changed counts numbers that parse with both but to another E.164,
	// NewlyParse those that parse only with the new one, NoLongerParse
	// those that parse only with the current one.
	Changed       int `json:"changed"`
	NewlyParse    int `json:"newlyParse"`
	NoLongerParse int `json:"noLongerParse"`
	// Examples are a few of the numbers that would change.
	Examples []Example `json:"examples"`
	// Partial is true when time ran out before every number was read
	// again: the counts are of those read. A number that does not parse
	// takes the parser a while to say why, so a large replicator with
	// many of them may not be read in full.
	Partial bool `json:"partial"`
}

// Different counts the numbers that would be read differently.
func (p *CountryPreview) Different() int { return p.Changed + p.NewlyParse + p.NoLongerParse }

// Example is one number as it is read now and as it would be.
type Example struct {
	Name   string `json:"name"`
	Field  string `json:"field"`
	Raw    string `json:"raw"`
	Before string `json:"before"` // the E.164, or why it does not parse
	After  string `json:"after"`
}

// PreviewCountry reads again, with country instead of the replicator's
// current Country Code, the numbers of rep's records whose country came
// from that Country Code (records with their own or their account's
// country keep it). Nothing is written and Exact is not asked; the work is
// one pass over the replicator's entries.
func PreviewCountry(ctx context.Context, entries EntryReader, rep *roger.Replicator, country string) (*CountryPreview, error) {
	p := &CountryPreview{From: rep.DefaultCountry, To: country}
	err := entries.ForEachEntry(ctx, roger.EntryFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID}, func(e *roger.Entry) error {
		if !roger.CountryGuessed(e.CountryFrom) {
			return nil
		}
		for _, n := range e.Numbers {
			// A number written with its country code reads the same
			// with any Country Code; entries that record their
			// country's source also flag their national numbers.
			if e.CountryFrom != "" && n.Status == roger.NumberOK && !n.National {
				continue
			}
			p.add(e, n)
		}
		return ctx.Err()
	})
	if errors.Is(err, context.DeadlineExceeded) {
		p.Partial = true
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (p *CountryPreview) add(e *roger.Entry, n roger.Number) {
	before, _ := phone.ParseNumber(n.Raw, n.Field, n.Extension, p.From)
	after, _ := phone.ParseNumber(n.Raw, n.Field, n.Extension, p.To)
	p.Numbers++
	okBefore, okAfter := before.Status == roger.NumberOK, after.Status == roger.NumberOK
	if okBefore {
		p.ParseNow++
	}
	if okAfter {
		p.ParseThen++
	}
	switch {
	case okBefore && okAfter && before.E164 != after.E164:
		p.Changed++
	case !okBefore && okAfter:
		p.NewlyParse++
	case okBefore && !okAfter:
		p.NoLongerParse++
	default:
		return
	}
	if len(p.Examples) < MaxExamples {
		p.Examples = append(p.Examples, Example{Name: e.DisplayName, Field: n.Field, Raw: n.Raw, Before: readAs(before), After: readAs(after)})
	}
}

// readAs is how an example shows a reading: the E.164, or why it did
// not parse.
func readAs(n roger.Number) string {
	if n.Status == roger.NumberOK {
		return n.E164
	}
	return n.Reason
}
