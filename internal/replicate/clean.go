package replicate

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// Exact's text is made storable here, on its way to the directory, and
// nowhere else. PostgreSQL refuses a NUL byte and bytes that are not
// UTF-8 in text, and one such record used to fail its page on every run,
// so no record after it arrived. Such characters are replaced with
// U+FFFD, the record is kept, and what was changed is noted on the entry
// for the replicator's data-quality list, so the record can be corrected
// in Exact.

// replacement stands in for what could not be stored.
const replacement = "\uFFFD"

// cleanText returns s made storable, and what was wrong with it ("" when
// nothing was). The Exact client has already replaced bytes that are not
// UTF-8 with U+FFFD while decoding; a U+FFFD is therefore reported as
// such bytes too.
func cleanText(s string) (string, string) {
	nul := strings.IndexByte(s, 0) >= 0
	notUTF8 := !utf8.ValidString(s) || strings.Contains(s, replacement)
	if !nul && !notUTF8 {
		return s, ""
	}
	var problems []string
	if nul {
		s = strings.ReplaceAll(s, "\x00", replacement)
		problems = append(problems, "a NUL byte")
	}
	if notUTF8 {
		s = strings.ToValidUTF8(s, replacement)
		problems = append(problems, "bytes that are not UTF-8 text")
	}
	return s, strings.Join(problems, " and ")
}

// cleanRecord makes every text field of the record rec points to (an
// exact.Account or exact.Contact) storable, and returns a note for each
// field it changed, named as Exact names it: "FirstName: a NUL byte,
// replaced by �". Every text field is cleaned, so a field added to the
// records later is too.
func cleanRecord[T any](rec *T) []string {
	v := reflect.ValueOf(rec).Elem()
	t := v.Type()
	var notes []string
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.String || !f.CanSet() {
			continue
		}
		text, problem := cleanText(f.String())
		if problem == "" {
			continue
		}
		f.SetString(text)
		notes = append(notes, t.Field(i).Name+": "+problem+", replaced by "+replacement)
	}
	return notes
}
