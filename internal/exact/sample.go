package exact

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errEnough stops a page walk once the first page is read.
var errEnough = errors.New("enough")

// noRecordFilter satisfies Exact's mandatory filtering on the regular CRM
// endpoints while excluding nothing: no record has the zero GUID.
const noRecordFilter = "$filter=ID+ne+guid'00000000-0000-0000-0000-000000000000'"

// FirstAccount reads one account of the division (nil when it has none),
// for showing an example: one call on the regular endpoint.
func (c *Client) FirstAccount(ctx context.Context, division int) (*Account, error) {
	return first(c, ctx, "exact.FirstAccount", division, "crm/Accounts", accountFields, (*wireAccount).account)
}

// FirstContact reads one contact of the division (nil when it has none).
func (c *Client) FirstContact(ctx context.Context, division int) (*Contact, error) {
	return first(c, ctx, "exact.FirstContact", division, "crm/Contacts", contactFields, (*wireContact).contact)
}

// first reads the first row of a regular endpoint. Its rows carry no
// Timestamp, so they are decoded without requiring one.
func first[W, T any](c *Client, ctx context.Context, op string, division int, endpoint, fields string, convert func(*W, bool) (T, error)) (*T, error) {
	var out *T
	decode := func(body []byte) ([]T, string, error) {
		return decodePageAs(body, func(w *W) (T, error) { return convert(w, false) })
	}
	err := pages(c, ctx, op, division, endpoint, "$select="+fields+"&"+noRecordFilter+"&$top=1", "", decode,
		func(rows []T, _ string) error {
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

// Count asks Exact how many records endpoint ("crm/Accounts",
// "crm/Contacts") of the division holds: one call to its $count, which
// answers with a bare number. The filter that excludes nothing satisfies
// Exact's mandatory filtering.
func (c *Client) Count(ctx context.Context, division int, endpoint string) (int, error) {
	var n int
	r := request{op: "exact.Count", url: c.divisionURL(division, endpoint+"/$count") + "?" + noRecordFilter, endpoint: endpoint + "/$count", division: division}
	err := c.get(ctx, r, func(body []byte) error {
		v, err := strconv.Atoi(strings.TrimSpace(string(body)))
		if err != nil || v < 0 {
			return fmt.Errorf("not a count: %q", clip(string(body), 40))
		}
		n = v
		return nil
	})
	return n, err
}
