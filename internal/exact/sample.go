package exact

import (
	"context"
	"errors"
)

// errEnough stops a page walk once the first page is read.
var errEnough = errors.New("enough")

// noRecordFilter satisfies Exact's mandatory filtering on the regular CRM
// endpoints while excluding nothing: no record has the zero GUID.
const noRecordFilter = "$filter=ID+ne+guid'00000000-0000-0000-0000-000000000000'"

// The regular endpoints carry no Timestamp, so their rows are decoded
// without requiring one.

// FirstAccount reads one account of the division (nil when it has none),
// for showing an example: one call on the regular endpoint.
func (c *Client) FirstAccount(ctx context.Context, division int) (*Account, error) {
	var out *Account
	err := pages(c, ctx, "exact.FirstAccount", division, "crm/Accounts", "$select="+accountFields+"&"+noRecordFilter+"&$top=1", "",
		func(body []byte) ([]Account, string, error) {
			return decodePageAs(body, func(w *wireAccount) (Account, error) { return w.account(false) })
		},
		func(rows []Account, _ string) error {
			if len(rows) > 0 {
				out = &rows[0]
			}
			return errEnough
		})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}

// FirstContact reads one contact of the division (nil when it has none).
func (c *Client) FirstContact(ctx context.Context, division int) (*Contact, error) {
	var out *Contact
	err := pages(c, ctx, "exact.FirstContact", division, "crm/Contacts", "$select="+contactFields+"&"+noRecordFilter+"&$top=1", "",
		func(body []byte) ([]Contact, string, error) {
			return decodePageAs(body, func(w *wireContact) (Contact, error) { return w.contact(false) })
		},
		func(rows []Contact, _ string) error {
			if len(rows) > 0 {
				out = &rows[0]
			}
			return errEnough
		})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}
