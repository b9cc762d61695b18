package phone

import (
	"strings"
	"unicode"
)

// placeholderWords are what people type in a phone field to say there is
// no number, lower case with dots, slashes and spaces removed: Dutch
// ("n.v.t.", "onbekend", "geen"), English ("n/a", "none", "TBD"), German
// ("k.A.", "keine") and French ("néant", "n.c."). They say the same as an
// empty field, so they are kept out of the directory like one instead of
// being listed as numbers that did not parse.
var placeholderWords = map[string]bool{
	"nvt": true, "onbekend": true, "geen": true, "nb": true, "volgt": true, "nog niet": true,
	"na": true, "none": true, "tbd": true, "tbc": true, "unknown": true, "nil": true,
	"ka": true, "keine": true, "unbekannt": true,
	"néant": true, "nc": true, "inconnu": true,
}

// isPlaceholder reports whether text, after cleanText, says "no number":
// nothing but punctuation ("-", "--", ".", "?", "/"), or one of
// placeholderWords. Text with a digit in it is never a placeholder, and
// neither is free text that says where the number is ("zie e-mail",
// "bellen via receptie"): that is something an admin may want to act on.
func isPlaceholder(text string) bool {
	var b strings.Builder
	for _, r := range text {
		switch {
		case unicode.IsDigit(r):
			return false
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
		case r == ' ' && b.Len() > 0:
			b.WriteByte(' ')
		}
	}
	word := strings.TrimSpace(b.String())
	return word == "" || placeholderWords[word]
}
