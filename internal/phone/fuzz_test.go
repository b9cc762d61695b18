package phone

import (
	"errors"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/roger365io/roger"
)

// checkE164 fails unless s is "+" and digits that libphonenumber itself
// parses back to the same number, valid, or possible when unlisted: the
// fast path must never store anything libphonenumber would not.
func checkE164(t *testing.T, what, s string, unlisted bool) {
	t.Helper()
	if len(s) < 3 || s[0] != '+' || countDigits(s[1:]) != len(s)-1 || s[1] == '0' {
		t.Fatalf("%s: %q is not E.164", what, s)
	}
	pn, err := phonenumbers.Parse(s, "")
	if err != nil {
		t.Fatalf("%s: libphonenumber cannot read %q (%v)", what, s, err)
	}
	if valid := phonenumbers.IsValidNumber(pn); valid == unlisted {
		t.Fatalf("%s: %q is valid %v for libphonenumber, unlisted %v", what, s, valid, unlisted)
	}
	if unlisted && !phonenumbers.IsPossibleNumber(pn) {
		t.Fatalf("%s: unlisted %q is not possible for libphonenumber", what, s)
	}
	if got := phonenumbers.Format(pn, phonenumbers.E164); got != s {
		t.Fatalf("%s: libphonenumber formats %q as %q", what, s, got)
	}
}

func FuzzParseNumber(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw, extension, country string) {
		n, ok := ParseNumber(raw, "Phone", extension, country)
		if strings.TrimSpace(raw) == "" || isPlaceholder(cleanText(raw)) {
			if ok {
				t.Fatalf("blank or placeholder %q gave ok=true", raw)
			}
			return
		}
		if !ok {
			t.Fatalf("ParseNumber(%q) gave ok=false", raw)
		}
		if n.Raw != raw || n.Field != "Phone" {
			t.Fatalf("Raw, Field = %q, %q", n.Raw, n.Field)
		}
		switch n.Status {
		case roger.NumberInvalid:
			if n.Reason == "" || n.E164 != "" || n.Extension != "" {
				t.Fatalf("invalid %q: %+v", raw, n)
			}
			return
		case roger.NumberOK:
		default:
			t.Fatalf("status %q", n.Status)
		}
		if n.Reason != "" {
			t.Fatalf("ok %q with reason %q", raw, n.Reason)
		}
		if countDigits(n.Extension) != len(n.Extension) {
			t.Fatalf("extension %q is not digits", n.Extension)
		}
		checkE164(t, "ParseNumber("+raw+")", n.E164, n.Unlisted)
		// Round trip: the stored form reads back as itself, with and
		// without a default country.
		for _, c := range []string{country, ""} {
			again, _ := ParseNumber(n.E164, "Phone", "", c)
			if again.Status != roger.NumberOK || again.E164 != n.E164 || again.Extension != "" || again.Unlisted != n.Unlisted || again.National {
				t.Fatalf("ParseNumber(%q, country %q) = %+v, want %s", n.E164, c, again, n.E164)
			}
		}
	})
}

func FuzzNormalizeLookup(f *testing.F) {
	f.Fuzz(func(t *testing.T, input, country string) {
		e164, ext, err := NormalizeLookup(input, country)
		if err != nil {
			var e *roger.Error
			if !errors.As(err, &e) || e.Code != roger.EINVALID || e164 != "" || ext != "" {
				t.Fatalf("NormalizeLookup(%q) = %q, %q, %#v", input, e164, ext, err)
			}
			checkMessage(t, input, e.Message)
			return
		}
		if countDigits(ext) != len(ext) {
			t.Fatalf("extension %q is not digits", ext)
		}
		n, _ := ParseNumber(e164, "Phone", "", country)
		checkE164(t, "NormalizeLookup("+input+")", e164, n.Unlisted)
		for _, c := range []string{country, ""} {
			again, againExt, err := NormalizeLookup(e164, c)
			if err != nil || again != e164 || againExt != "" {
				t.Fatalf("NormalizeLookup(%q, %q) = %q, %q, %v", e164, c, again, againExt, err)
			}
		}
		// The lookup and the directory must agree on what a number is.
		if n.E164 != e164 {
			t.Fatalf("ParseNumber(%q) = %+v", e164, n)
		}
	})
}

// checkMessage fails unless msg is one of the lookup error templates with
// the quoted input and nothing else in it.
func checkMessage(t *testing.T, input, msg string) {
	t.Helper()
	if msg == "no number given" && strings.TrimSpace(input) == "" {
		return
	}
	q := quote(input)
	if msg == q+" is not a phone number" {
		return
	}
	reason, ok := strings.CutPrefix(msg, q+" is not a valid phone number: ")
	if !ok {
		t.Fatalf("message %q for %q", msg, input)
	}
	switch reason {
	case reasonOnlyZeros, reasonOnlyCC, reasonAreaCode, reasonTooShort, reasonTooLong, reasonNoCountry,
		reasonUnknownCC, reasonEmergency, reasonTwoNumbers:
		return
	}
	if !strings.HasPrefix(reason, reasonInvalidForCC) {
		t.Fatalf("unknown reason %q for %q", reason, input)
	}
}
