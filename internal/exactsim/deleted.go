package exactsim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger/internal/exactsim/filter"
)

// serveDeleted serves sync/Deleted: the deletion log after a Timestamp,
// optionally of one EntityType, rows older than the retention left out.
func (s *Simulator) serveDeleted(w http.ResponseWriter, r *http.Request, req *apiRequest) {
	if r.Method != http.MethodGet {
		odataError(w, http.StatusMethodNotAllowed, "The method is not allowed for this resource.")
		return
	}
	q := r.URL.Query()
	if strings.TrimSpace(q.Get("$select")) == "" && q.Get("$top") != "1" {
		odataError(w, http.StatusBadRequest, msgSelect)
		return
	}
	fields := deletedFields
	if sel := selectSet(q.Get("$select")); sel != nil {
		fields = nil
		for _, f := range deletedFields {
			if sel[f] {
				fields = append(fields, f)
				delete(sel, f)
			}
		}
		for name := range sel {
			odataError(w, http.StatusBadRequest, "Could not find a property named '"+name+"' on type 'Exact.Web.Api.Models.Sync.Deleted'.")
			return
		}
	}
	// Without $filter the log is read from the start, as on the other
	// sync endpoints.
	raw := q.Get("$filter")
	if raw == "" {
		raw = "Timestamp gt 0L"
	}
	expr, err := filter.Parse(raw)
	if err != nil {
		odataError(w, http.StatusBadRequest, err.Error())
		return
	}
	if bad := fieldsOtherThan(expr.Fields(), "Timestamp", "EntityType"); len(bad) > 0 {
		odataError(w, http.StatusBadRequest, msgNotSupported+strings.Join(bad, ", "))
		return
	}
	after, ok := expr.TimestampGreaterThan()
	entityType := int64(-1)
	if !ok {
		ts, okTS := expr.Conjunct("Timestamp", "gt")
		et, okET := expr.Conjunct("EntityType", "eq")
		if !okTS || !okET || ts.Kind != filter.Int || et.Kind != filter.Int || len(expr.Fields()) != 2 {
			odataError(w, http.StatusBadRequest, msgFilterScope)
			return
		}
		after, entityType = ts.Int, et.Int
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		n, err := strconv.ParseInt(strings.TrimSuffix(tok, "L"), 10, 64)
		if err != nil {
			odataError(w, http.StatusBadRequest, msgSyntax)
			return
		}
		after = max(after, n)
	}
	limit := 1000
	if t, err := strconv.Atoi(q.Get("$top")); err == nil && t >= 0 {
		limit = min(limit, t)
	}
	d := req.division
	cutoff := s.now().Add(-s.opts.DeletedRetention)
	rows := make([]*deletedRow, 0, 64)
	more := false
	s.mu.Lock()
	// Exact drops log rows after the retention; so does the simulator,
	// lazily, when someone reads the log.
	for {
		oldest, ok := d.deleted.Min()
		if !ok || !oldest.DeletedDate.Before(cutoff) {
			break
		}
		d.deleted.DeleteMin()
	}
	d.deleted.AscendGreaterOrEqual(&deletedRow{Timestamp: after + 1}, func(row *deletedRow) bool {
		if entityType >= 0 && int64(row.EntityType) != entityType {
			return true
		}
		if len(rows) == limit {
			more = true
			return false
		}
		rows = append(rows, row)
		return true
	})
	s.mu.Unlock()
	b := []byte(`{"d":{"results":[`)
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"__metadata":{"uri":`...)
		b = appendJSONString(b, req.base+"/api/v1/"+strconv.Itoa(d.Code)+"/sync/Deleted("+strconv.FormatInt(row.Timestamp, 10)+"L)")
		b = append(b, `,"type":"Exact.Web.Api.Models.Sync.Deleted"}`...)
		for _, f := range fields {
			b = append(b, `,"`...)
			b = append(b, f...)
			b = append(b, `":`...)
			b = req.appendValue(b, deletedValue(d, row, f), f == "Timestamp" && !s.opts.TimestampAsNumber)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	next := ""
	if more && len(rows) > 0 {
		next = s.nextLink(r, req, q, strconv.FormatInt(rows[len(rows)-1].Timestamp, 10)+"L", -1, limit)
	}
	if req.fault != nil && req.fault.Kind == FaultLoopNext {
		next = req.base + "/api/v1/" + strconv.Itoa(d.Code) + "/" + req.path + "?" + r.URL.RawQuery
	}
	if next != "" {
		b = append(b, `,"__next":`...)
		b = appendJSONString(b, next)
	}
	writeRead(w, r, req.base+"/api/v1/"+strconv.Itoa(d.Code)+"/", "Deleted", s.now(), append(b, "}}"...))
}

var deletedFields = []string{"Timestamp", "DeletedBy", "DeletedDate", "Division", "EntityKey", "EntityType", "ID"}

func deletedValue(d *division, row *deletedRow, field string) filter.Value {
	switch field {
	case "Timestamp":
		return filter.IntValue(row.Timestamp)
	case "DeletedBy":
		return guid(row.DeletedBy)
	case "DeletedDate":
		return when(row.DeletedDate)
	case "Division":
		return filter.IntValue(int64(d.Code))
	case "EntityKey":
		return guid(row.EntityKey)
	case "EntityType":
		return filter.IntValue(int64(row.EntityType))
	case "ID":
		return guid(row.ID)
	}
	return filter.NullValue()
}
