package replicate

import (
	"strings"
	"unicode/utf8"

	"github.com/roger365io/roger/internal/exact"
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
	if plainASCII(s) {
		return s, ""
	}
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

// plainASCII reports whether s is ASCII without NUL bytes: nearly all of
// Exact's text, checked in one pass over its bytes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// field is one text field of a record, named as Exact names it.
type field struct {
	name string
	text *string
}

// accountFields and contactFields list every text field of the records
// (a test checks that none is missing). Listed rather than found by
// reflection, and as arrays, which stay on the stack: the check costs
// next to nothing on the records that need no cleaning, nearly all.
func accountFields(a *exact.Account) [9]field {
	return [...]field{{"ID", &a.ID}, {"Code", &a.Code}, {"Name", &a.Name}, {"Phone", &a.Phone}, {"PhoneExtension", &a.PhoneExtension},
		{"Fax", &a.Fax}, {"Email", &a.Email}, {"Country", &a.Country}, {"City", &a.City}}
}

func contactFields(c *exact.Contact) [17]field {
	return [...]field{{"ID", &c.ID}, {"Account", &c.Account}, {"AccountName", &c.AccountName}, {"FullName", &c.FullName},
		{"FirstName", &c.FirstName}, {"MiddleName", &c.MiddleName}, {"LastName", &c.LastName}, {"JobTitleDescription", &c.JobTitleDescription},
		{"Phone", &c.Phone}, {"PhoneExtension", &c.PhoneExtension}, {"Mobile", &c.Mobile}, {"BusinessPhone", &c.BusinessPhone},
		{"BusinessPhoneExtension", &c.BusinessPhoneExtension}, {"BusinessMobile", &c.BusinessMobile}, {"BusinessFax", &c.BusinessFax},
		{"Email", &c.Email}, {"Country", &c.Country}}
}

// cleanFields makes every field storable and returns a note for each it
// changed: "FirstName: a NUL byte, replaced by �".
func cleanFields(fields []field) []string {
	var notes []string
	for _, f := range fields {
		text, problem := cleanText(*f.text)
		if problem == "" {
			continue
		}
		*f.text = text
		notes = append(notes, f.name+": "+problem+", replaced by "+replacement)
	}
	return notes
}
