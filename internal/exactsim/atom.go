package exactsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/exactsim/filter"
)

// writeAtom answers a read without Accept: application/json with an Atom
// feed, as Exact does; clients that forget the header get XML, never
// silently JSON.
func writeAtom[T any](w http.ResponseWriter, req *apiRequest, def *entityDef[T], mode listMode, lq *listQuery, rows []*T, next string, now time.Time) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<feed xml:base="` + xmlEscape(req.base+"/api/v1/"+strconv.Itoa(req.division.Code)+"/") +
		`" xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">`)
	b.WriteString(`<title type="text">` + def.set + `</title><updated>` + now.UTC().Format(time.RFC3339) + `</updated>`)
	for _, rec := range rows {
		uri := entityURI(req, def, rec)
		b.WriteString(`<entry><id>` + xmlEscape(uri) + `</id><category term="` + def.typeName +
			`" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" /><content type="application/xml"><m:properties>`)
		emit := func(f *fieldDef[T]) {
			v := f.output(req.division, rec)
			if v.Kind == filter.Null {
				b.WriteString(`<d:` + f.name + ` m:null="true" />`)
				return
			}
			text := string(appendValue(nil, v, false))
			if v.Kind == filter.String || v.Kind == filter.GUID {
				text = strings.Trim(text, `"`)
			}
			if v.Kind == filter.DateTime {
				text = v.Time.In(amsterdam).Format("2006-01-02T15:04:05")
			}
			b.WriteString(`<d:` + f.name + `>` + xmlEscape(text) + `</d:` + f.name + `>`)
		}
		if lq == nil || lq.selected == nil {
			for i := range def.fields {
				if f := &def.fields[i]; visible(f, mode) {
					emit(f)
				}
			}
		} else {
			for _, i := range lq.selected {
				emit(&def.fields[i])
			}
		}
		b.WriteString(`</m:properties></content></entry>`)
	}
	if next != "" {
		b.WriteString(`<link rel="next" href="` + xmlEscape(next) + `" />`)
	}
	b.WriteString(`</feed>`)
	w.Header().Set("Content-Type", "application/atom+xml;type=feed;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// writeRead answers a read built as a verbose JSON envelope: as it is for a
// client that accepts JSON, otherwise as the same rows in an Atom feed, so
// that no endpoint silently answers JSON to a client without the header.
func writeRead(w http.ResponseWriter, r *http.Request, base, title string, now time.Time, b []byte) {
	if acceptsJSON(r) {
		writeJSON(w, http.StatusOK, b)
		return
	}
	var env struct {
		D struct {
			Results []json.RawMessage `json:"results"`
			Next    string            `json:"__next"`
		} `json:"d"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		odataError(w, http.StatusInternalServerError, "Internal error: "+err.Error())
		return
	}
	var x strings.Builder
	x.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	x.WriteString(`<feed xml:base="` + xmlEscape(base) +
		`" xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">`)
	x.WriteString(`<title type="text">` + xmlEscape(title) + `</title><updated>` + now.UTC().Format(time.RFC3339) + `</updated>`)
	for _, row := range env.D.Results {
		atomEntryFromJSON(&x, row)
	}
	if env.D.Next != "" {
		x.WriteString(`<link rel="next" href="` + xmlEscape(env.D.Next) + `" />`)
	}
	x.WriteString(`</feed>`)
	w.Header().Set("Content-Type", "application/atom+xml;type=feed;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(x.String()))
}

// atomEntryFromJSON writes one verbose JSON row as an Atom entry, keeping
// the order of its properties. Navigation properties are left out.
func atomEntryFromJSON(x *strings.Builder, row json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(row))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return
	}
	var id, typ string
	var props strings.Builder
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		name, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		switch val := v.(type) {
		case map[string]any:
			if name == "__metadata" {
				id, _ = val["uri"].(string)
				typ, _ = val["type"].(string)
			}
			continue
		case nil:
			props.WriteString(`<d:` + name + ` m:null="true" />`)
			continue
		case string:
			// /Date(ms)/ holds wall-clock time as if UTC; Atom writes it
			// as the same wall-clock time without an offset.
			if ms, ok := strings.CutPrefix(val, "/Date("); ok && strings.HasSuffix(ms, ")/") {
				if n, err := strconv.ParseInt(strings.TrimSuffix(ms, ")/"), 10, 64); err == nil {
					v = time.UnixMilli(n).UTC().Format("2006-01-02T15:04:05")
				}
			}
		}
		props.WriteString(`<d:` + name + `>` + xmlEscape(fmt.Sprint(v)) + `</d:` + name + `>`)
	}
	x.WriteString(`<entry><id>` + xmlEscape(id) + `</id><category term="` + xmlEscape(typ) +
		`" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" /><content type="application/xml"><m:properties>`)
	x.WriteString(props.String())
	x.WriteString(`</m:properties></content></entry>`)
}
