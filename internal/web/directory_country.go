package web

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/phone"
)

// countryNote says, next to an entry's numbers, which country read those
// written without a country code and why that one, so that an admin who
// sees a number read the wrong way knows which field in Exact to fix.
// Entries stored before the country was kept get no note.
func countryNote(e lookup.Entry) string {
	switch e.CountryFrom {
	case roger.CountryFromRecord:
		if e.Kind == roger.KindAccount {
			return "read as " + e.Country + " (the account's country)"
		}
		return "read as " + e.Country + " (the contact's country)"
	case roger.CountryFromAccount:
		return "read as " + e.Country + " (its account's country)"
	case roger.CountryFromReplicator:
		if e.Country == "" {
			return "no country: the record names none and the replicator has no Country Code, so only numbers with a country code were read"
		}
		return "read as " + e.Country + " (the replicator's default: the record names no country)"
	}
	return ""
}

// unlistedNote flags a number that is possible for its country but in no
// range its numbering plan lists: it is indexed as written, and may be a
// typo or a number read with the wrong country.
func unlistedNote(e164 string) string {
	return "not in " + countryName(phone.RegionOf(e164)) + " number plan ranges; indexed as written"
}

// countryName is the English name of a region in the possessive, for a
// sentence ("Belgium's"); "its country's" when there is none.
func countryName(id string) string {
	if id == "" {
		return "its country's"
	}
	r, err := language.ParseRegion(id)
	if err != nil {
		return id + "'s"
	}
	name := display.English.Regions().Name(r)
	if name == "" {
		name = id
	}
	if strings.HasSuffix(name, "s") {
		return name + "'" // the Netherlands' …
	}
	return name + "'s"
}
