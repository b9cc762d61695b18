package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/roger365io/roger/internal/jsonenc"
	"github.com/roger365io/roger/internal/lookup"
)

// The lookup answer is written by hand rather than by encoding/json: the
// telephony asks for it on every call, and reflection, the time
// formatting through MarshalJSON and the copy that validates its output
// were about half of what the API spent on a request. The bytes are
// the same as encoding/json's (TestAppendResult checks every field), so
// clients see no difference.

// bufPool holds answer buffers; one lookup answer is a few hundred bytes.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuf keeps the odd large answer (a switchboard number shared by
// a hundred contacts) from staying in the pool.
const maxPooledBuf = 64 << 10

// appendResult appends res as encoding/json would, and a newline. ok is
// false when a value cannot be encoded (a time outside RFC 3339), where
// encoding/json would fail.
func appendResult(b []byte, res *lookup.Result) (_ []byte, ok bool) {
	b = append(b, `{"number":{"input":`...)
	b = appendString(b, res.Number.Input)
	b = append(b, `,"e164":`...)
	b = appendString(b, res.Number.E164)
	b = append(b, `,"extension":`...)
	b = appendString(b, res.Number.Extension)
	b = append(b, `},"matches":`...)
	if res.Matches == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range res.Matches {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendMatch(b, &res.Matches[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	if res.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	return append(b, "}\n"...), true
}

func appendMatch(b []byte, m *lookup.Match) (_ []byte, ok bool) {
	b = append(b, `{"name":`...)
	b = appendString(b, m.Name)
	b = append(b, `,"company":`...)
	b = appendString(b, m.Company)
	b = append(b, `,"kind":`...)
	b = appendString(b, string(m.Kind))
	b = append(b, `,"sourceId":`...)
	b = appendString(b, m.SourceID)
	b = append(b, `,"companyId":`...)
	b = appendString(b, m.CompanyID)
	if m.Email != "" {
		b = append(b, `,"email":`...)
		b = appendString(b, m.Email)
	}
	if m.JobTitle != "" {
		b = append(b, `,"jobTitle":`...)
		b = appendString(b, m.JobTitle)
	}
	b = append(b, `,"matchedNumber":`...)
	b = appendString(b, m.MatchedNumber)
	if m.MatchedExtension != "" {
		b = append(b, `,"matchedExtension":`...)
		b = appendString(b, m.MatchedExtension)
	}
	b = append(b, `,"field":`...)
	b = appendString(b, m.Field)
	b = append(b, `,"rule":`...)
	b = appendString(b, string(m.Rule))
	b = append(b, `,"url":`...)
	b = appendString(b, m.URL)
	b = append(b, `,"modified":`...)
	if b, ok = appendTime(b, m.Modified); !ok {
		return b, false
	}
	b = append(b, `,"syncedAt":`...)
	if b, ok = appendTime(b, m.SyncedAt); !ok {
		return b, false
	}
	b = append(b, `,"replicator":{"id":`...)
	b = strconv.AppendInt(b, m.Replicator.ID, 10)
	b = append(b, `,"name":`...)
	b = appendString(b, m.Replicator.Name)
	return append(b, "}}"...), true
}

// appendTime appends t as time.Time.MarshalJSON does, which refuses the
// same times.
func appendTime(b []byte, t time.Time) (_ []byte, ok bool) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, false
	}
	return append(b, '"'), true
}

// writeResult writes a lookup answer with status 200.
func writeResult(w http.ResponseWriter, res *lookup.Result) {
	bp := bufPool.Get().(*[]byte)
	b, ok := appendResult((*bp)[:0], res)
	if !ok {
		// encoding/json fails on the same value and so answers with the
		// same internal error.
		writeJSON(w, http.StatusOK, res)
		return
	}
	writeBody(w, http.StatusOK, b)
	if cap(b) <= maxPooledBuf {
		*bp = b
		bufPool.Put(bp)
	}
}

// appendString appends s quoted as json.Marshal does (HTML-safe).
func appendString(b []byte, s string) []byte { return jsonenc.AppendString(b, s, true) }
