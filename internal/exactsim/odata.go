package exactsim

import (
	"net/http"
	"strconv"
	"time"
	_ "time/tzdata" // Exact's dates are Amsterdam wall-clock time; the zone must exist on every machine.

	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/exactsim/filter"
	"github.com/roger365io/roger/internal/jsonenc"
)

var amsterdam = mustLoadLocation("Europe/Amsterdam")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// exactMillis encodes t as Exact does in /Date(ms)/: Amsterdam wall-clock
// time read as if it were UTC.
func exactMillis(t time.Time) int64 {
	_, off := t.In(amsterdam).Zone()
	return t.UnixMilli() + int64(off)*1000
}

// localISO formats t as Amsterdam wall-clock time without an offset, as
// Me.ServerTime and webhook EventCreatedOn are.
func localISO(t time.Time) string {
	return t.In(amsterdam).Format("2006-01-02T15:04:05.000")
}

// appendJSONString appends s as a JSON string; like Exact, it leaves <, >
// and & alone.
func appendJSONString(b []byte, s string) []byte { return jsonenc.AppendString(b, s, false) }

// appendValue appends v as verbose OData JSON. Edm.Int64 values are
// strings unless asNumber says otherwise.
func appendValue(b []byte, v filter.Value, int64AsString bool) []byte {
	switch v.Kind {
	case filter.String:
		return appendJSONString(b, v.Str)
	case filter.Bool:
		return strconv.AppendBool(b, v.Bool)
	case filter.Int:
		if int64AsString {
			b = append(b, '"')
			b = strconv.AppendInt(b, v.Int, 10)
			return append(b, '"')
		}
		return strconv.AppendInt(b, v.Int, 10)
	case filter.Float:
		return strconv.AppendFloat(b, v.Float, 'f', -1, 64)
	case filter.DateTime:
		b = append(b, `"/Date(`...)
		b = strconv.AppendInt(b, exactMillis(v.Time), 10)
		return append(b, `)/"`...)
	case filter.GUID:
		return appendJSONString(b, crm.GUID(v.GUID).String())
	default:
		return append(b, "null"...)
	}
}

// odataError writes Exact's OData error envelope.
func odataError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b := make([]byte, 0, 80+len(msg))
	b = append(b, `{"error":{"code":"","message":{"lang":"","value":`...)
	b = appendJSONString(b, msg)
	b = append(b, "}}}"...)
	_, _ = w.Write(b)
}
