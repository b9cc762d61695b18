package exactsim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/exactsim/filter"
)

// fieldDef is one property of an entity: how to read it (for $filter and
// output) and, when writable, how to set it from a JSON payload.
type fieldDef[T any] struct {
	name string
	kind filter.Kind
	// int64 marks Edm.Int64 properties, which verbose OData writes as
	// JSON strings.
	int64 bool
	get   func(d *division, r *T) filter.Value
	set   func(r *T, v any) error
	// width is the size of a fixed-width char column (Country char(3),
	// Language char(10)), which Exact sends padded with trailing spaces:
	// "NL " and "NL        " in exactonline/exactonline-api-dotnet-client
	// test/ExactOnline.Client.Sdk.UnitTests/Json/APIResponse_Json_Object.txt,
	// "FR " in NangoHQ/integration-templates
	// integrations/exact-online/tests/divisions.test.json. Filters compare
	// without the padding, as SQL Server compares char columns.
	width int
}

// output is the value as Exact writes it in an answer: fixed-width codes
// padded to their column.
func (f *fieldDef[T]) output(d *division, r *T) filter.Value {
	v := f.get(d, r)
	if f.width > 0 && v.Kind == filter.String && len(v.Str) < f.width {
		v.Str += strings.Repeat(" ", f.width-len(v.Str))
	}
	return v
}

// fixedWidth marks f as a char(width) column.
func fixedWidth[T any](f fieldDef[T], width int) fieldDef[T] {
	f.width = width
	return f
}

// exactMessage is why a record was refused, worded as Exact Online words
// it ("Name: Mandatory"); the client gets it as is, capitals included.
type exactMessage string

func (m exactMessage) Error() string { return string(m) }

// entityDef describes one CRM entity set.
type entityDef[T any] struct {
	set         string // Accounts, Contacts
	typeName    string // Exact.Web.Api.Models.Account
	fields      []fieldDef[T]
	index       map[string]int
	nav         []string // navigation properties, served as __deferred
	mandatory   []string // $filter fields accepted by mandatory filtering
	required    []string // fields a POST must carry
	deletedType int
	table       func(*division) *table[T]
	id          func(*T) crm.GUID
	ts          func(*T) int64
	// touch stamps a write: Modified and Modifier always, Created and
	// Creator (and a new ID and sequence number) on insert.
	touch    func(d *division, r *T, now time.Time, by *User, insert bool)
	validate func(d *division, r *T) error
}

func (e *entityDef[T]) field(name string) (*fieldDef[T], bool) {
	i, ok := e.index[name]
	if !ok {
		return nil, false
	}
	return &e.fields[i], true
}

// init sorts the properties alphabetically, ignoring case, which is the
// order Exact lists them in (exactonline/exactonline-api-dotnet-client
// test/ExactOnline.Client.Sdk.UnitTests/Json/APIResponse_Json_Object.txt:
// "Blocked", "BRIN", "BusinessType"), and indexes them by name.
func (e *entityDef[T]) init() *entityDef[T] {
	sort.SliceStable(e.fields, func(i, j int) bool {
		return strings.ToLower(e.fields[i].name) < strings.ToLower(e.fields[j].name)
	})
	e.index = make(map[string]int, len(e.fields))
	for i, f := range e.fields {
		e.index[f.name] = i
	}
	return e
}

// record adapts a record to filter.Record.
type record[T any] struct {
	def *entityDef[T]
	d   *division
	r   *T
}

func (rc record[T]) Field(name string) (filter.Value, bool) {
	f, ok := rc.def.field(name)
	if !ok {
		return filter.Value{}, false
	}
	return f.get(rc.d, rc.r), true
}

func str(s string) filter.Value {
	if s == "" {
		return filter.NullValue()
	}
	return filter.StringValue(s)
}

func guid(g crm.GUID) filter.Value {
	if g.IsZero() {
		return filter.NullValue()
	}
	return filter.GUIDValue(g)
}

func when(t time.Time) filter.Value {
	if t.IsZero() {
		return filter.NullValue()
	}
	return filter.TimeValue(t)
}

func strField[T any](name string, p func(*T) *string) fieldDef[T] {
	return fieldDef[T]{name: name, kind: filter.String,
		get: func(_ *division, r *T) filter.Value { return str(*p(r)) },
		set: func(r *T, v any) error {
			switch x := v.(type) {
			case nil:
				*p(r) = ""
			case string:
				*p(r) = x
			default:
				return fmt.Errorf("a string")
			}
			return nil
		}}
}

func boolField[T any](name string, p func(*T) *bool) fieldDef[T] {
	return fieldDef[T]{name: name, kind: filter.Bool,
		get: func(_ *division, r *T) filter.Value { return filter.BoolValue(*p(r)) },
		set: func(r *T, v any) error {
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("true or false")
			}
			*p(r) = b
			return nil
		}}
}

func guidField[T any](name string, p func(*T) *crm.GUID) fieldDef[T] {
	return fieldDef[T]{name: name, kind: filter.GUID,
		get: func(_ *division, r *T) filter.Value { return guid(*p(r)) },
		set: func(r *T, v any) error {
			if v == nil {
				*p(r) = crm.GUID{}
				return nil
			}
			s, ok := v.(string)
			g, err := crm.ParseGUID(s)
			if !ok || err != nil {
				return fmt.Errorf("a GUID")
			}
			*p(r) = g
			return nil
		}}
}

func readOnly[T any](name string, kind filter.Kind, get func(d *division, r *T) filter.Value) fieldDef[T] {
	return fieldDef[T]{name: name, kind: kind, get: get}
}

func nullField[T any](name string, kind filter.Kind) fieldDef[T] {
	return readOnly(name, kind, func(*division, *T) filter.Value { return filter.NullValue() })
}

func divisionField[T any]() fieldDef[T] {
	return readOnly("Division", filter.Int, func(d *division, _ *T) filter.Value { return filter.IntValue(int64(d.Code)) })
}

// padCode left-pads an account code to Exact's 18 characters.
func padCode(code string) string {
	if code == "" || len(code) >= 18 {
		return code
	}
	return strings.Repeat(" ", 18-len(code)) + code
}

var countryNames = map[string]string{
	"NL": "Nederland", "BE": "België", "DE": "Duitsland", "GB": "Verenigd Koninkrijk", "FR": "Frankrijk",
	"US": "Verenigde Staten", "ES": "Spanje", "LU": "Luxemburg", "IT": "Italië", "AT": "Oostenrijk", "CH": "Zwitserland",
}

var titleDescriptions = map[string]string{"MR": "De heer", "MRS": "Mevrouw", "MS": "Mevrouw", "DR": "Dr.", "ING": "Ing.", "MEVR": "Mevrouw", "DHR": "De heer"}

var accountDef = (&entityDef[crm.Account]{
	set:         "Accounts",
	typeName:    "Exact.Web.Api.Models.Account",
	nav:         []string{"BankAccounts"},
	deletedType: deletedTypeAccount,
	required:    []string{"Name"},
	mandatory: []string{"ID", "Code", "Name", "Modified", "Created", "Email", "Phone", "Status", "Blocked", "IsSales",
		"IsSupplier", "IsPurchase", "Type", "VATNumber", "ChamberOfCommerce", "Postcode", "City", "Country", "SearchCode"},
	table: func(d *division) *table[crm.Account] { return &d.accounts },
	id:    func(a *crm.Account) crm.GUID { return a.ID },
	ts:    func(a *crm.Account) int64 { return a.Timestamp },
	touch: func(d *division, a *crm.Account, now time.Time, by *User, insert bool) {
		if insert {
			a.ID, a.Created = crm.RandomGUID(d.rnd), now
			if a.Code == "" {
				d.lastCode++
				a.Code = strconv.Itoa(d.lastCode)
			}
			if by != nil {
				a.Creator, a.CreatorFullName = by.ID, by.FullName
			}
		}
		a.Modified = now
		if by != nil {
			a.Modifier, a.ModifierFullName = by.ID, by.FullName
		}
	},
	validate: func(_ *division, a *crm.Account) error {
		if strings.TrimSpace(a.Name) == "" {
			return exactMessage("Name: Mandatory")
		}
		return nil
	},
	fields: []fieldDef[crm.Account]{
		readOnly("ID", filter.GUID, func(_ *division, a *crm.Account) filter.Value { return guid(a.ID) }),
		{name: "Code", kind: filter.String,
			get: func(_ *division, a *crm.Account) filter.Value { return str(padCode(a.Code)) },
			set: func(a *crm.Account, v any) error {
				s, ok := v.(string)
				if !ok && v != nil {
					return fmt.Errorf("a string")
				}
				a.Code = strings.TrimSpace(s)
				return nil
			}},
		strField("Name", func(a *crm.Account) *string { return &a.Name }),
		strField("Phone", func(a *crm.Account) *string { return &a.Phone }),
		strField("PhoneExtension", func(a *crm.Account) *string { return &a.PhoneExtension }),
		strField("Fax", func(a *crm.Account) *string { return &a.Fax }),
		strField("Email", func(a *crm.Account) *string { return &a.Email }),
		strField("Website", func(a *crm.Account) *string { return &a.Website }),
		strField("AddressLine1", func(a *crm.Account) *string { return &a.AddressLine1 }),
		strField("AddressLine2", func(a *crm.Account) *string { return &a.AddressLine2 }),
		nullField[crm.Account]("AddressLine3", filter.String),
		strField("Postcode", func(a *crm.Account) *string { return &a.Postcode }),
		strField("City", func(a *crm.Account) *string { return &a.City }),
		fixedWidth(strField("State", func(a *crm.Account) *string { return &a.State }), 3),
		fixedWidth(strField("Country", func(a *crm.Account) *string { return &a.Country }), 3),
		readOnly("CountryName", filter.String, func(_ *division, a *crm.Account) filter.Value { return str(countryNames[a.Country]) }),
		strField("Status", func(a *crm.Account) *string { return &a.Status }),
		boolField("Blocked", func(a *crm.Account) *bool { return &a.Blocked }),
		boolField("IsSupplier", func(a *crm.Account) *bool { return &a.IsSupplier }),
		boolField("IsSales", func(a *crm.Account) *bool { return &a.IsSales }),
		boolField("IsPurchase", func(a *crm.Account) *bool { return &a.IsPurchase }),
		readOnly("Type", filter.String, func(*division, *crm.Account) filter.Value { return filter.StringValue("A") }),
		guidField("MainContact", func(a *crm.Account) *crm.GUID { return &a.MainContact }),
		nullField[crm.Account]("Parent", filter.GUID),
		strField("VATNumber", func(a *crm.Account) *string { return &a.VATNumber }),
		strField("ChamberOfCommerce", func(a *crm.Account) *string { return &a.ChamberOfCommerce }),
		strField("SearchCode", func(a *crm.Account) *string { return &a.SearchCode }),
		fixedWidth(strField("Language", func(a *crm.Account) *string { return &a.Language }), 10),
		divisionField[crm.Account](),
		readOnly("Created", filter.DateTime, func(_ *division, a *crm.Account) filter.Value { return when(a.Created) }),
		readOnly("Modified", filter.DateTime, func(_ *division, a *crm.Account) filter.Value { return when(a.Modified) }),
		readOnly("Creator", filter.GUID, func(_ *division, a *crm.Account) filter.Value { return guid(a.Creator) }),
		readOnly("Modifier", filter.GUID, func(_ *division, a *crm.Account) filter.Value { return guid(a.Modifier) }),
		readOnly("CreatorFullName", filter.String, func(_ *division, a *crm.Account) filter.Value { return str(a.CreatorFullName) }),
		readOnly("ModifierFullName", filter.String, func(_ *division, a *crm.Account) filter.Value { return str(a.ModifierFullName) }),
		nullField[crm.Account]("StartDate", filter.DateTime),
		nullField[crm.Account]("EndDate", filter.DateTime),
		{name: "Timestamp", kind: filter.Int, int64: true, get: func(_ *division, a *crm.Account) filter.Value { return filter.IntValue(a.Timestamp) }},
	},
}).init()

// accountOf finds a contact's account; contacts whose account is gone keep
// their fields but lose the derived ones.
func accountOf(d *division, c *crm.Contact) *crm.Account {
	a, _ := d.accounts.get(c.Account)
	return a
}

func fromAccount(get func(a *crm.Account) filter.Value) func(d *division, c *crm.Contact) filter.Value {
	return func(d *division, c *crm.Contact) filter.Value {
		if a := accountOf(d, c); a != nil {
			return get(a)
		}
		return filter.NullValue()
	}
}

var contactDef = (&entityDef[crm.Contact]{
	set:         "Contacts",
	typeName:    "Exact.Web.Api.Models.Contact",
	deletedType: deletedTypeContact,
	required:    []string{"Account"},
	mandatory: []string{"ID", "Account", "Code", "Email", "BusinessEmail", "FirstName", "LastName", "FullName", "Phone",
		"BusinessPhone", "Mobile", "Modified", "Created", "HID", "IsMainContact", "Person"},
	table: func(d *division) *table[crm.Contact] { return &d.contacts },
	id:    func(c *crm.Contact) crm.GUID { return c.ID },
	ts:    func(c *crm.Contact) int64 { return c.Timestamp },
	touch: func(d *division, c *crm.Contact, now time.Time, by *User, insert bool) {
		if insert {
			c.ID, c.Created = crm.RandomGUID(d.rnd), now
			d.lastHID++
			c.HID = d.lastHID
			if by != nil {
				c.Creator, c.CreatorFullName = by.ID, by.FullName
			}
		}
		c.Modified = now
		if by != nil {
			c.Modifier, c.ModifierFullName = by.ID, by.FullName
		}
	},
	validate: func(d *division, c *crm.Contact) error {
		if c.Account.IsZero() {
			return exactMessage("Account: Mandatory")
		}
		if accountOf(d, c) == nil {
			return exactMessage(fmt.Sprintf("Account: Reference not found (%s)", c.Account))
		}
		if strings.TrimSpace(c.LastName) == "" && strings.TrimSpace(c.FirstName) == "" {
			return exactMessage("LastName: Mandatory")
		}
		return nil
	},
	fields: []fieldDef[crm.Contact]{
		readOnly("ID", filter.GUID, func(_ *division, c *crm.Contact) filter.Value { return guid(c.ID) }),
		guidField("Account", func(c *crm.Contact) *crm.GUID { return &c.Account }),
		readOnly("AccountName", filter.String, fromAccount(func(a *crm.Account) filter.Value { return str(a.Name) })),
		readOnly("AccountIsCustomer", filter.Bool, fromAccount(func(a *crm.Account) filter.Value { return filter.BoolValue(a.Status == "C") })),
		readOnly("AccountIsSupplier", filter.Bool, fromAccount(func(a *crm.Account) filter.Value { return filter.BoolValue(a.IsSupplier) })),
		readOnly("AccountMainContact", filter.GUID, fromAccount(func(a *crm.Account) filter.Value { return guid(a.MainContact) })),
		strField("FirstName", func(c *crm.Contact) *string { return &c.FirstName }),
		strField("MiddleName", func(c *crm.Contact) *string { return &c.MiddleName }),
		strField("LastName", func(c *crm.Contact) *string { return &c.LastName }),
		readOnly("FullName", filter.String, func(_ *division, c *crm.Contact) filter.Value { return str(c.FullName()) }),
		strField("Initials", func(c *crm.Contact) *string { return &c.Initials }),
		strField("Title", func(c *crm.Contact) *string { return &c.Title }),
		readOnly("TitleDescription", filter.String, func(_ *division, c *crm.Contact) filter.Value { return str(titleDescriptions[c.Title]) }),
		strField("JobTitleDescription", func(c *crm.Contact) *string { return &c.JobTitleDescription }),
		strField("Phone", func(c *crm.Contact) *string { return &c.Phone }),
		strField("PhoneExtension", func(c *crm.Contact) *string { return &c.PhoneExtension }),
		strField("Mobile", func(c *crm.Contact) *string { return &c.Mobile }),
		strField("BusinessPhone", func(c *crm.Contact) *string { return &c.Phone }),
		strField("BusinessPhoneExtension", func(c *crm.Contact) *string { return &c.PhoneExtension }),
		strField("BusinessMobile", func(c *crm.Contact) *string { return &c.Mobile }),
		strField("BusinessFax", func(c *crm.Contact) *string { return &c.BusinessFax }),
		strField("Email", func(c *crm.Contact) *string { return &c.Email }),
		strField("BusinessEmail", func(c *crm.Contact) *string { return &c.Email }),
		boolField("IsMainContact", func(c *crm.Contact) *bool { return &c.IsMainContact }),
		strField("Gender", func(c *crm.Contact) *string { return &c.Gender }),
		fixedWidth(strField("Language", func(c *crm.Contact) *string { return &c.Language }), 10),
		readOnly("HID", filter.Int, func(_ *division, c *crm.Contact) filter.Value { return filter.IntValue(int64(c.HID)) }),
		readOnly("Code", filter.String, fromAccount(func(a *crm.Account) filter.Value { return str(padCode(a.Code)) })),
		nullField[crm.Contact]("Person", filter.GUID),
		strField("City", func(c *crm.Contact) *string { return &c.City }),
		fixedWidth(strField("Country", func(c *crm.Contact) *string { return &c.Country }), 3),
		strField("Postcode", func(c *crm.Contact) *string { return &c.Postcode }),
		strField("AddressStreet", func(c *crm.Contact) *string { return &c.AddressStreet }),
		strField("Notes", func(c *crm.Contact) *string { return &c.Notes }),
		divisionField[crm.Contact](),
		readOnly("Created", filter.DateTime, func(_ *division, c *crm.Contact) filter.Value { return when(c.Created) }),
		readOnly("Modified", filter.DateTime, func(_ *division, c *crm.Contact) filter.Value { return when(c.Modified) }),
		readOnly("Creator", filter.GUID, func(_ *division, c *crm.Contact) filter.Value { return guid(c.Creator) }),
		readOnly("Modifier", filter.GUID, func(_ *division, c *crm.Contact) filter.Value { return guid(c.Modifier) }),
		readOnly("CreatorFullName", filter.String, func(_ *division, c *crm.Contact) filter.Value { return str(c.CreatorFullName) }),
		readOnly("ModifierFullName", filter.String, func(_ *division, c *crm.Contact) filter.Value { return str(c.ModifierFullName) }),
		nullField[crm.Contact]("StartDate", filter.DateTime),
		nullField[crm.Contact]("EndDate", filter.DateTime),
		{name: "Timestamp", kind: filter.Int, int64: true, get: func(_ *division, c *crm.Contact) filter.Value { return filter.IntValue(c.Timestamp) }},
	},
}).init()
