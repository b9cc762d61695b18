package exact

import (
	"context"
	"errors"
	"strings"
)

// AccountCountry is an account's ID and Country, which a contacts
// replicator reads to know the country of a contact that names none.
type AccountCountry struct {
	ID string
	// Country comes without the padding Exact may add; "" when the
	// account names none.
	Country   string
	Timestamp int64
}

// accountCountryFields is the least sync/CRM/Accounts can be asked for:
// $select is mandatory there, and Timestamp is what the cursor follows.
const accountCountryFields = "ID,Country,Timestamp"

type wireAccountCountry struct {
	ID, Country nstring
	Timestamp   flexInt
}

func (w *wireAccountCountry) accountCountry() (AccountCountry, error) {
	if strings.TrimSpace(string(w.ID)) == "" {
		return AccountCountry{}, errors.New("an account without ID")
	}
	if !w.Timestamp.Valid || w.Timestamp.V <= 0 {
		return AccountCountry{}, errors.New("an account without Timestamp")
	}
	return AccountCountry{ID: strings.TrimSpace(string(w.ID)), Country: strings.TrimSpace(string(w.Country)), Timestamp: w.Timestamp.V}, nil
}

func decodeAccountCountriesPage(body []byte) ([]AccountCountry, string, error) {
	return decodePageAs(body, (*wireAccountCountry).accountCountry)
}

// SyncAccountCountries reads the ID and Country of the accounts changed
// after the Timestamp after from sync/CRM/Accounts, as SyncAccounts reads
// whole accounts: 1000 a call, and one call when nothing changed.
func (c *Client) SyncAccountCountries(ctx context.Context, division int, after int64, resumeURL string, fn func(rows []AccountCountry, next string) error) error {
	return pages(c, ctx, "exact.SyncAccountCountries", division, "sync/CRM/Accounts", syncQuery(accountCountryFields, after, 0), resumeURL, decodeAccountCountriesPage, fn)
}
