package exactsim

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/exactsim/filter"
)

// writeAtom answers a read without Accept: application/json with an Atom
// feed, as Exact does; clients that forget the header get XML, never
// silently JSON.
func writeAtom[T any](w http.ResponseWriter, req *apiRequest, def *entityDef[T], mode listMode, lq *listQuery, rows []*T, next string, tsNumber bool) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<feed xml:base="` + xmlEscape(req.base+"/api/v1/"+strconv.Itoa(req.division.Code)+"/") +
		`" xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">`)
	b.WriteString(`<title type="text">` + def.set + `</title><updated>` + time.Now().UTC().Format(time.RFC3339) + `</updated>`)
	for _, rec := range rows {
		uri := entityURI(req, def, rec)
		b.WriteString(`<entry><id>` + xmlEscape(uri) + `</id><category term="` + def.typeName +
			`" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" /><content type="application/xml"><m:properties>`)
		emit := func(f *fieldDef[T]) {
			v := f.get(req.division, rec)
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
