package exact

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/cpushare"
)

// Account is an Exact Online CRM account with the fields roger keeps.
// Code and Country come without the padding Exact adds; missing values
// are "".
type Account struct {
	ID, Code, Name, Phone, PhoneExtension, Fax, Email, Country, City string
	// Modified is the true instant of the last change, in UTC.
	Modified time.Time
	// Timestamp is Exact's rowversion of this version of the record. It
	// is 0 on records read with Account, since only the sync endpoints
	// have it.
	Timestamp int64
}

// Contact is an Exact Online CRM contact person with the fields roger
// keeps. Exact stores Phone/BusinessPhone, Mobile/BusinessMobile and
// Email/BusinessEmail as one value each, so the pairs usually agree.
type Contact struct {
	ID, Account, AccountName, FullName, FirstName, MiddleName, LastName, JobTitleDescription          string
	Phone, PhoneExtension, Mobile, BusinessPhone, BusinessPhoneExtension, BusinessMobile, BusinessFax string
	Email, Country                                                                                    string
	// Modified is the true instant of the last change, in UTC.
	Modified time.Time
	// Timestamp is Exact's rowversion; 0 on records read with Contact.
	Timestamp int64
}

// Deleted is an entry of Exact's deletion log (sync/Deleted).
type Deleted struct {
	// EntityKey is the ID of the deleted record.
	EntityKey string
	// EntityType is 2 for accounts and 5 for contacts.
	EntityType  int
	Timestamp   int64
	DeletedDate time.Time
}

// The EntityType codes of sync/Deleted that roger reads.
const (
	EntityTypeAccount = 2
	EntityTypeContact = 5
)

// Me is the user a token belongs to.
type Me struct {
	// CurrentDivision is the division the user last opened in Exact's web
	// interface; it changes when they switch company, so record it when
	// connecting rather than reading it on every run.
	CurrentDivision                   int
	UserID, UserName, FullName, Email string
}

// Division is an Exact Online administration the user can open.
type Division struct {
	Code        int
	Description string
	// DivisionMoveDate is when the division last moved to another
	// database, which resets every sync Timestamp; zero when it never did.
	DivisionMoveDate time.Time
}

const (
	accountFields = "ID,Code,Name,Phone,PhoneExtension,Fax,Email,Country,City,Modified"
	contactFields = "ID,Account,AccountName,FullName,FirstName,MiddleName,LastName,JobTitleDescription," +
		"Phone,PhoneExtension,Mobile,BusinessPhone,BusinessPhoneExtension,BusinessMobile,BusinessFax,Email,Country,Modified"
	deletedFields  = "EntityKey,EntityType,Timestamp,DeletedDate"
	divisionFields = "Code,Description,DivisionMoveDate"
	meFields       = "CurrentDivision,UserID,UserName,FullName,Email"
)

// The wire forms: what Exact sends, decoded leniently.

type wireAccount struct {
	ID, Code, Name, Phone, PhoneExtension, Fax, Email, Country, City nstring
	Modified                                                         exactDate
	Timestamp                                                        flexInt
}

type wireContact struct {
	ID, Account, AccountName, FullName, FirstName, MiddleName, LastName, JobTitleDescription nstring
	Phone, PhoneExtension, Mobile, BusinessPhone, BusinessPhoneExtension, BusinessMobile     nstring
	BusinessFax, Email, Country                                                              nstring
	Modified                                                                                 exactDate
	Timestamp                                                                                flexInt
}

type wireDeleted struct {
	EntityKey   nstring
	EntityType  flexInt
	Timestamp   flexInt
	DeletedDate exactDate
}

type wireMe struct {
	CurrentDivision                   flexInt
	UserID, UserName, FullName, Email nstring
}

type wireDivision struct {
	Code             flexInt
	Description      nstring
	DivisionMoveDate exactDate
}

func (w *wireAccount) account(needTimestamp bool) (Account, error) {
	if strings.TrimSpace(string(w.ID)) == "" {
		return Account{}, errors.New("an account without ID")
	}
	if needTimestamp && (!w.Timestamp.Valid || w.Timestamp.V <= 0) {
		return Account{}, errors.New("an account without Timestamp")
	}
	return Account{
		ID: strings.TrimSpace(string(w.ID)), Code: strings.TrimSpace(string(w.Code)), Name: string(w.Name),
		Phone: string(w.Phone), PhoneExtension: string(w.PhoneExtension), Fax: string(w.Fax), Email: string(w.Email),
		Country: strings.TrimSpace(string(w.Country)), City: string(w.City), Modified: w.Modified.T, Timestamp: w.Timestamp.V,
	}, nil
}

func (w *wireContact) contact(needTimestamp bool) (Contact, error) {
	if strings.TrimSpace(string(w.ID)) == "" {
		return Contact{}, errors.New("a contact without ID")
	}
	if needTimestamp && (!w.Timestamp.Valid || w.Timestamp.V <= 0) {
		return Contact{}, errors.New("a contact without Timestamp")
	}
	return Contact{
		ID: strings.TrimSpace(string(w.ID)), Account: strings.TrimSpace(string(w.Account)), AccountName: string(w.AccountName),
		FullName: string(w.FullName), FirstName: string(w.FirstName), MiddleName: string(w.MiddleName), LastName: string(w.LastName),
		JobTitleDescription: string(w.JobTitleDescription), Phone: string(w.Phone), PhoneExtension: string(w.PhoneExtension),
		Mobile: string(w.Mobile), BusinessPhone: string(w.BusinessPhone), BusinessPhoneExtension: string(w.BusinessPhoneExtension),
		BusinessMobile: string(w.BusinessMobile), BusinessFax: string(w.BusinessFax), Email: string(w.Email),
		Country: strings.TrimSpace(string(w.Country)), Modified: w.Modified.T, Timestamp: w.Timestamp.V,
	}, nil
}

func (w *wireDeleted) deleted() (Deleted, error) {
	if strings.TrimSpace(string(w.EntityKey)) == "" {
		return Deleted{}, errors.New("a deletion without EntityKey")
	}
	if !w.Timestamp.Valid || w.Timestamp.V <= 0 {
		return Deleted{}, errors.New("a deletion without Timestamp")
	}
	if w.EntityType.V < 0 || w.EntityType.V > 1<<20 {
		return Deleted{}, errors.New("a deletion with an impossible EntityType")
	}
	return Deleted{EntityKey: strings.TrimSpace(string(w.EntityKey)), EntityType: int(w.EntityType.V), Timestamp: w.Timestamp.V, DeletedDate: w.DeletedDate.T}, nil
}

func (w *wireDivision) division() (Division, error) {
	if !w.Code.Valid || w.Code.V <= 0 || w.Code.V > 1<<31-1 {
		return Division{}, errors.New("a division without Code")
	}
	return Division{Code: int(w.Code.V), Description: string(w.Description), DivisionMoveDate: w.DivisionMoveDate.T}, nil
}

// decodeAccountsPage, decodeContactsPage and decodeDeletedPage decode a
// whole sync page or fail: a page is handed on complete or not at all.
func decodeAccountsPage(body []byte) ([]Account, string, error) {
	return decodePageAs(body, func(w *wireAccount) (Account, error) { return w.account(true) })
}

func decodeContactsPage(body []byte) ([]Contact, string, error) {
	return decodePageAs(body, func(w *wireContact) (Contact, error) { return w.contact(true) })
}

func decodeDeletedPage(body []byte) ([]Deleted, string, error) {
	return decodePageAs(body, (*wireDeleted).deleted)
}

func decodeDivisionsPage(body []byte) ([]Division, string, error) {
	return decodePageAs(body, (*wireDivision).division)
}

func decodePageAs[W, T any](body []byte, convert func(*W) (T, error)) ([]T, string, error) {
	ws, next, err := decodeRows[W](body)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(ws))
	for i := range ws {
		cpushare.Turn(i)
		if out[i], err = convert(&ws[i]); err != nil {
			return nil, "", fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	return out, next, nil
}

// Me returns the user the token belongs to (current/Me, which takes no
// division).
func (c *Client) Me(ctx context.Context) (*Me, error) {
	const op = "exact.Me"
	var me *Me
	err := c.get(ctx, request{op: op, url: c.cfg.BaseURL + "/api/v1/current/Me?$select=" + meFields, endpoint: "current/Me"}, func(body []byte) error {
		w, err := decodeEntity[wireMe](body)
		if err != nil {
			return err
		}
		if !w.CurrentDivision.Valid || w.CurrentDivision.V <= 0 || w.CurrentDivision.V > 1<<31-1 {
			return errors.New("no CurrentDivision")
		}
		me = &Me{CurrentDivision: int(w.CurrentDivision.V), UserID: string(w.UserID), UserName: string(w.UserName), FullName: string(w.FullName), Email: string(w.Email)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return me, nil
}

// Divisions lists the divisions the user can open, asked through
// division. Some licences answer 404 on system/Divisions, so hrm/Divisions
// is asked then.
func (c *Client) Divisions(ctx context.Context, division int) ([]Division, error) {
	const op = "exact.Divisions"
	var out []Division
	collect := func(rows []Division, _ string) error { out = append(out, rows...); return nil }
	err := pages(c, ctx, op, division, "system/Divisions", "$select="+divisionFields, "", decodeDivisionsPage, collect)
	if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
		out = nil
		err = pages(c, ctx, op, division, "hrm/Divisions", "$select="+divisionFields, "", decodeDivisionsPage, collect)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Division reads one division the user can open, by its code, with a
// $filter on Code, so that checking a division costs one call even for an
// accountant whose hundreds of divisions system/Divisions hands out 60 a
// page. found is false when Exact does not list it; a division the user
// cannot open at all is refused with 403 NoDivisionAccess. Some licences
// answer 404 on system/Divisions, so hrm/Divisions is asked then.
func (c *Client) Division(ctx context.Context, division int) (d Division, found bool, err error) {
	const op = "exact.Division"
	collect := func(rows []Division, _ string) error {
		for _, r := range rows {
			if r.Code == division {
				d, found = r, true
			}
		}
		return nil
	}
	query := "$select=" + divisionFields + "&$filter=" + queryEscape("Code eq "+strconv.Itoa(division))
	err = pages(c, ctx, op, division, "system/Divisions", query, "", decodeDivisionsPage, collect)
	if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
		err = pages(c, ctx, op, division, "hrm/Divisions", query, "", decodeDivisionsPage, collect)
	}
	if err != nil {
		return Division{}, false, err
	}
	return d, found, nil
}

// SyncAccounts reads sync/CRM/Accounts for the records changed after the
// Timestamp after and calls fn for each page with its rows and the page's
// __next link ("" on the last page), which is where an interrupted pass
// resumes: a non-empty resumeURL starts there instead. fn is never called
// with a partly decoded page; an error from fn ends the pass with it.
func (c *Client) SyncAccounts(ctx context.Context, division int, after int64, resumeURL string, fn func(rows []Account, next string) error) error {
	return pages(c, ctx, "exact.SyncAccounts", division, "sync/CRM/Accounts", syncQuery(accountFields+",Timestamp", after, 0), resumeURL, decodeAccountsPage, fn)
}

// SyncContacts reads sync/CRM/Contacts as SyncAccounts reads accounts.
func (c *Client) SyncContacts(ctx context.Context, division int, after int64, resumeURL string, fn func(rows []Contact, next string) error) error {
	return pages(c, ctx, "exact.SyncContacts", division, "sync/CRM/Contacts", syncQuery(contactFields+",Timestamp", after, 0), resumeURL, decodeContactsPage, fn)
}

// SyncDeleted reads the deletion log of one entity type
// (EntityTypeAccount or EntityTypeContact) after the Timestamp after, as
// SyncAccounts reads accounts.
func (c *Client) SyncDeleted(ctx context.Context, division int, entityType int, after int64, resumeURL string, fn func(rows []Deleted, next string) error) error {
	return pages(c, ctx, "exact.SyncDeleted", division, "sync/Deleted", syncQuery(deletedFields, after, entityType), resumeURL, decodeDeletedPage, fn)
}

// syncQuery is the query of a sync endpoint: only Timestamp may be
// filtered there (and EntityType on sync/Deleted), and $select is
// mandatory.
func syncQuery(fields string, after int64, entityType int) string {
	f := "Timestamp gt " + strconv.FormatInt(after, 10) + "L"
	if entityType > 0 {
		f += " and EntityType eq " + strconv.Itoa(entityType)
	}
	return "$select=" + fields + "&$filter=" + queryEscape(f)
}

// pages reads a collection page by page, following __next exactly as
// given. It refuses a link to another host or endpoint, and a link back to
// a page it read already, rather than send the token elsewhere or read in
// circles.
func pages[T any](c *Client, ctx context.Context, op string, division int, endpoint, query, resumeURL string,
	decode func([]byte) ([]T, string, error), fn func(rows []T, next string) error) error {
	if err := c.checkBase(op); err != nil {
		return err
	}
	if division <= 0 {
		return &roger.Error{Code: roger.EINVALID, Op: op, Message: "The Exact Online division " + strconv.Itoa(division) + " is not valid: choose a division."}
	}
	link := c.divisionURL(division, endpoint) + "?" + query
	if resumeURL != "" {
		if err := c.checkLink(resumeURL, division, endpoint); err != nil {
			return &roger.Error{Code: roger.EINVALID, Op: op, Err: errors.Join(ErrBadResumeURL, err),
				Message: "The saved position of the interrupted pass does not belong to " + endpoint + " of division " + strconv.Itoa(division) + " on this Exact Online host: the pass must start over."}
		}
		link = resumeURL
	}
	visited := map[string]bool{}
	for {
		visited[linkKey(link)] = true
		var rows []T
		var next string
		err := c.get(ctx, request{op: op, url: link, endpoint: endpoint, division: division}, func(body []byte) error {
			return c.cfg.CPU.Do(ctx, func() error {
				r, n, err := decode(body)
				if err != nil {
					return err
				}
				rows, next = r, n
				return nil
			})
		})
		if err != nil {
			return err
		}
		if next != "" {
			if err := c.checkLink(next, division, endpoint); err != nil {
				return &roger.Error{Code: roger.EINTERNAL, Op: op, Err: err,
					Message: "Exact Online sent a next-page link for " + endpoint + " that roger does not follow (" + strings.TrimPrefix(err.Error(), errBadLink.Error()+": ") + "): the pass stopped; report the problem if it persists."}
			}
			if visited[linkKey(next)] {
				return &roger.Error{Code: roger.EINTERNAL, Op: op, Err: errors.New("__next repeats a page already read"),
					Message: "Exact Online sent a next-page link for " + endpoint + " that leads back to a page already read: the pass stopped instead of reading in circles, and the next run goes on from the last saved page."}
			}
		}
		if err := fn(rows, next); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		link = next
	}
}

// Account reads one account (crm/Accounts(guid'…')); ENOTFOUND when Exact
// no longer has it.
func (c *Client) Account(ctx context.Context, division int, id string) (*Account, error) {
	var out *Account
	err := c.one(ctx, "exact.Account", division, "crm/Accounts", "account", id, accountFields, func(body []byte) error {
		w, err := decodeEntity[wireAccount](body)
		if err != nil {
			return err
		}
		a, err := w.account(false)
		if err != nil {
			return err
		}
		out = &a
		return nil
	})
	return out, err
}

// Contact reads one contact (crm/Contacts(guid'…')); ENOTFOUND when Exact
// no longer has it.
func (c *Client) Contact(ctx context.Context, division int, id string) (*Contact, error) {
	var out *Contact
	err := c.one(ctx, "exact.Contact", division, "crm/Contacts", "contact", id, contactFields, func(body []byte) error {
		w, err := decodeEntity[wireContact](body)
		if err != nil {
			return err
		}
		ct, err := w.contact(false)
		if err != nil {
			return err
		}
		out = &ct
		return nil
	})
	return out, err
}

func (c *Client) one(ctx context.Context, op string, division int, set, noun, id, fields string, decode func([]byte) error) error {
	g, ok := normalizeGUID(id)
	if !ok {
		return &roger.Error{Code: roger.EINVALID, Op: op, Message: fmt.Sprintf("%.60q is not an Exact Online %s ID.", id, noun)}
	}
	if division <= 0 {
		return &roger.Error{Code: roger.EINVALID, Op: op, Message: "The Exact Online division " + strconv.Itoa(division) + " is not valid: choose a division."}
	}
	u := c.divisionURL(division, set+"(guid'"+g+"')") + "?$select=" + fields
	err := c.get(ctx, request{op: op, url: u, endpoint: set, division: division}, decode)
	var re *roger.Error
	if errors.As(err, &re) && re.Code == roger.ENOTFOUND {
		cp := *re
		cp.Message = "The " + noun + " " + g + " no longer exists in Exact Online division " + strconv.Itoa(division) + "."
		return &cp
	}
	return err
}

// normalizeGUID accepts a GUID with or without braces and returns it in
// Exact's lower-case 8-4-4-4-12 form. Checking it keeps anything but a
// GUID out of the request path.
func normalizeGUID(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return "", false
		}
	}
	return strings.ToLower(s), true
}
