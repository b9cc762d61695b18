package exactsim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/exactsim/filter"
)

// divisionsPageSize is the page size of system/Divisions, as of every
// regular endpoint: an accountant sees hundreds of divisions in pages of 60.
const divisionsPageSize = 60

// divisionRow is a division as one user sees it in system/Divisions.
type divisionRow struct {
	d   *division
	hid int64
	// current is the division the user last opened (Me.CurrentDivision).
	current bool
	// main marks the user's first division. What Exact means by
	// IsMainDivision is not known (the one recorded row, the only
	// division of its customer, says false), so the simulator gives the
	// flag to one division a user can open.
	main bool
}

// divisionProp is one property of a Division row.
type divisionProp struct {
	name  string
	kind  filter.Kind
	int64 bool // Edm.Int64, written as a JSON string
	width int  // char(width) column, padded with trailing spaces
	get   func(r *divisionRow) filter.Value
}

// divisionProps are the properties of Exact.Web.Api.Models.System.Division
// roger or a person may look at, alphabetically as Exact lists them. The
// shapes follow the recorded row in NangoHQ/integration-templates
// integrations/exact-online/tests/divisions.test.json: Code an Int32,
// Hid an Int64 (so a string), BlockingStatus and Status numbers, Country
// and Legislation padded to three, CustomerCode padded to eighteen,
// DivisionMoveDate null until the division moves.
var divisionProps = func() []divisionProp {
	props := []divisionProp{
		{name: "AddressLine1", kind: filter.String, get: func(*divisionRow) filter.Value { return filter.NullValue() }},
		{name: "BlockingStatus", kind: filter.Int, get: func(*divisionRow) filter.Value { return filter.IntValue(0) }},
		{name: "City", kind: filter.String, get: func(*divisionRow) filter.Value { return filter.NullValue() }},
		{name: "Code", kind: filter.Int, get: func(r *divisionRow) filter.Value { return filter.IntValue(int64(r.d.Code)) }},
		{name: "Country", kind: filter.String, width: 3, get: func(*divisionRow) filter.Value { return filter.StringValue("NL") }},
		{name: "Currency", kind: filter.String, get: func(*divisionRow) filter.Value { return filter.StringValue("EUR") }},
		{name: "Current", kind: filter.Bool, get: func(r *divisionRow) filter.Value { return filter.BoolValue(r.current) }},
		{name: "Customer", kind: filter.GUID, get: func(r *divisionRow) filter.Value { return guid(divisionCustomer(r.d.Code)) }},
		{name: "CustomerCode", kind: filter.String, get: func(r *divisionRow) filter.Value { return str(padCode(strconv.Itoa(r.d.Code))) }},
		{name: "CustomerName", kind: filter.String, get: func(r *divisionRow) filter.Value { return str(r.d.Name) }},
		{name: "Description", kind: filter.String, get: func(r *divisionRow) filter.Value { return str(r.d.Name) }},
		{name: "DivisionMoveDate", kind: filter.DateTime, get: func(r *divisionRow) filter.Value { return when(r.d.MoveDate) }},
		{name: "Hid", kind: filter.Int, int64: true, get: func(r *divisionRow) filter.Value { return filter.IntValue(r.hid) }},
		{name: "IsMainDivision", kind: filter.Bool, get: func(r *divisionRow) filter.Value { return filter.BoolValue(r.main) }},
		{name: "Legislation", kind: filter.String, width: 3, get: func(*divisionRow) filter.Value { return filter.StringValue("NL") }},
		{name: "Status", kind: filter.Int, get: func(*divisionRow) filter.Value { return filter.IntValue(1) }},
		{name: "VATNumber", kind: filter.String, get: func(*divisionRow) filter.Value { return filter.NullValue() }},
	}
	sort.Slice(props, func(i, j int) bool { return strings.ToLower(props[i].name) < strings.ToLower(props[j].name) })
	return props
}()

// divisionCustomer is the GUID of the customer (licence holder) that owns
// a division; the simulator has one customer per division.
func divisionCustomer(code int) crm.GUID {
	return crm.GUID{byte(code >> 24), byte(code >> 16), byte(code >> 8), byte(code), 0xcc}
}

func (r *divisionRow) Field(name string) (filter.Value, bool) {
	if p, ok := divisionPropNamed(name); ok {
		return p.get(r), true
	}
	return filter.Value{}, false
}

func divisionPropNamed(name string) (*divisionProp, bool) {
	for i := range divisionProps {
		if divisionProps[i].name == name {
			return &divisionProps[i], true
		}
	}
	return nil, false
}

// divisionTypeNames are the OData types of the three division lists.
var divisionTypeNames = map[string]string{
	"system/divisions":    "Exact.Web.Api.Models.System.Division",
	"hrm/divisions":       "Exact.Web.Api.Models.HRM.Division",
	"system/alldivisions": "Exact.Web.Api.Models.System.AllDivision",
}

// serveDivisions lists the divisions the user may open, by Code, 60 a
// page, honouring $select, $filter and $top.
func (s *Simulator) serveDivisions(w http.ResponseWriter, r *http.Request, req *apiRequest) {
	if r.Method != http.MethodGet {
		odataError(w, http.StatusMethodNotAllowed, "The method is not allowed for this resource.")
		return
	}
	typeName := divisionTypeNames[strings.ToLower(req.path)]
	q := r.URL.Query()
	props, msg := selectDivisionProps(q.Get("$select"), typeName)
	if msg != "" {
		odataError(w, http.StatusBadRequest, msg)
		return
	}
	var expr *filter.Expr
	if raw := q.Get("$filter"); raw != "" {
		e, err := filter.Parse(raw)
		if err != nil {
			odataError(w, http.StatusBadRequest, err.Error())
			return
		}
		for _, name := range e.Fields() {
			if _, ok := divisionPropNamed(name); !ok {
				odataError(w, http.StatusBadRequest, "No property '"+name+"' exists in type '"+typeName+"'.")
				return
			}
		}
		expr = e
	}
	limit, top := divisionsPageSize, -1
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			odataError(w, http.StatusBadRequest, msgSyntax)
			return
		}
		limit, top = min(limit, n), n
	}
	after := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(tok, "L"))
		if err != nil {
			odataError(w, http.StatusBadRequest, msgSyntax)
			return
		}
		after = n
	}

	s.mu.RLock()
	codes := make([]int, 0, len(s.divisions))
	for code := range s.divisions {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	// Hid numbers a customer's divisions from 1 in the order they were
	// made; the simulator's codes rise in that order.
	hid := make(map[int]int64, len(codes))
	for i, code := range codes {
		hid[code] = int64(i + 1)
	}
	mine := append([]int(nil), req.user.Divisions...)
	sort.Ints(mine)
	rows := make([]*divisionRow, 0, min(limit, len(mine)))
	more := false
	for _, code := range mine {
		d, ok := s.divisions[code]
		if !ok || code <= after {
			continue
		}
		row := &divisionRow{d: d, hid: hid[code], current: code == req.user.Current, main: code == req.user.Divisions[0]}
		if expr != nil {
			match, err := expr.Eval(row)
			if err != nil {
				s.mu.RUnlock()
				odataError(w, http.StatusBadRequest, err.Error())
				return
			}
			if !match {
				continue
			}
		}
		if len(rows) == limit {
			more = true
			break
		}
		rows = append(rows, row)
	}
	base := req.base + "/api/v1/" + strconv.Itoa(req.division.Code) + "/"
	b := []byte(`{"d":{"results":[`)
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"__metadata":{"uri":`...)
		b = appendJSONString(b, base+req.path+"("+strconv.Itoa(row.d.Code)+")")
		b = append(b, `,"type":`...)
		b = appendJSONString(b, typeName)
		b = append(b, '}')
		for _, p := range props {
			v := p.get(row)
			if p.width > 0 && v.Kind == filter.String && len(v.Str) < p.width {
				v.Str += strings.Repeat(" ", p.width-len(v.Str))
			}
			b = append(b, ',')
			b = appendJSONString(b, p.name)
			b = append(b, ':')
			b = req.appendValue(b, v, p.int64)
		}
		b = append(b, '}')
	}
	s.mu.RUnlock()
	b = append(b, ']')
	if more && (top < 0 || top > limit) {
		next := s.nextLink(r, req, q, strconv.Itoa(rows[len(rows)-1].d.Code), top, limit)
		b = append(b, `,"__next":`...)
		b = appendJSONString(b, next)
	}
	b = append(b, "}}"...)
	writeRead(w, r, base, "Divisions", s.now(), b)
}

// selectDivisionProps reads $select: every property when it is absent,
// otherwise the named ones, Code (the key) first and the rest
// alphabetically, as Exact orders a projection.
func selectDivisionProps(sel, typeName string) ([]divisionProp, string) {
	want := selectSet(sel)
	if want == nil {
		return divisionProps, ""
	}
	var out []divisionProp
	for _, p := range divisionProps {
		if want[p.name] {
			out = append(out, p)
			delete(want, p.name)
		}
	}
	for name := range want {
		return nil, "Could not find a property named '" + name + "' on type '" + typeName + "'."
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name == "Code" && out[j].name != "Code" })
	return out, ""
}
