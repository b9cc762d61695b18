package phone

import (
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var numberTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
	phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
	phonenumbers.UAN, phonenumbers.VOICEMAIL,
}

// exampleNumbers returns libphonenumber's example number of every type of
// every region and non-geographic calling code.
func exampleNumbers(t testing.TB) []*phonenumbers.PhoneNumber {
	t.Helper()
	examplesOnce.Do(func() { examples = loadExampleNumbers() })
	if len(examples) < 1000 {
		t.Fatalf("only %d example numbers", len(examples))
	}
	return examples
}

var (
	examplesOnce sync.Once
	examples     []*phonenumbers.PhoneNumber
)

func loadExampleNumbers() []*phonenumbers.PhoneNumber {
	var regions []string
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	var out []*phonenumbers.PhoneNumber
	for _, r := range regions {
		for _, typ := range numberTypes {
			if n := phonenumbers.GetExampleNumberForType(r, typ); n != nil {
				out = append(out, n)
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			out = append(out, n)
		}
	}
	return out
}

// variants returns the number and near misses of it: one digit changed,
// added or removed, so that invalid numbers are compared too.
func variants(n *phonenumbers.PhoneNumber) []string {
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	out := []string{nsn, nsn + "0", nsn + "9", nsn[:len(nsn)-1]}
	// The leading digits decide the type, the last ones little; change the
	// first two, one in the middle and the last.
	for _, i := range []int{0, 1, len(nsn) / 2, len(nsn) - 1} {
		if i >= len(nsn) {
			continue
		}
		b := []byte(nsn)
		b[i] = '0' + (b[i]-'0'+5)%10
		out = append(out, string(b))
	}
	return out
}

// TestValidatorMatchesLibrary holds the fast validator to
// phonenumbers.IsValidNumber on every example number and its near misses.
func TestValidatorMatchesLibrary(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, ex := range exampleNumbers(t) {
		cc := int(ex.GetCountryCode())
		for _, nsn := range variants(ex) {
			if len(nsn) < 2 {
				continue
			}
			pn, err := phonenumbers.Parse("+"+itoa(cc)+nsn, "")
			if err != nil || phonenumbers.GetNationalSignificantNumber(pn) != nsn || int(pn.GetCountryCode()) != cc {
				continue // libphonenumber reads it differently; compared in TestFastPathMatchesLibrary
			}
			want := phonenumbers.IsValidNumber(pn)
			if got := valid(cc, nsn); got != want {
				t.Errorf("valid(+%d %s) = %v, libphonenumber says %v", cc, nsn, got, want)
			}
			checked++
		}
	}
	t.Logf("%d numbers compared", checked)
}

// TestFastPathMatchesLibrary checks that whenever the fast path accepts a
// notation of an example number, libphonenumber reads the same number.
func TestFastPathMatchesLibrary(t *testing.T) {
	t.Parallel()
	fast, differ := 0, 0
	for _, ex := range exampleNumbers(t) {
		reg := phonenumbers.GetRegionCodeForNumber(ex)
		if reg == "" || reg == "001" {
			reg = "NL"
		}
		for _, f := range []phonenumbers.PhoneNumberFormat{phonenumbers.E164, phonenumbers.INTERNATIONAL, phonenumbers.NATIONAL} {
			text := phonenumbers.Format(ex, f)
			for _, home := range []string{reg, "NL", ""} {
				r, ok := fastParse(text, home)
				if !ok {
					continue
				}
				fast++
				pn, err := phonenumbers.Parse(text, home)
				if err != nil || !phonenumbers.IsValidNumber(pn) {
					t.Errorf("fastParse(%q, %q) = %s, libphonenumber finds no valid number (%v)", text, home, r.e164(), err)
					continue
				}
				if want := phonenumbers.Format(pn, phonenumbers.E164); want != r.e164() {
					// libphonenumber strips a national prefix from some
					// international numbers that are valid as written.
					differ++
					t.Logf("fastParse(%q, %q) = %s, libphonenumber %s", text, home, r.e164(), want)
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d fast parses differ from libphonenumber", differ, fast)
	}
	t.Logf("%d fast parses compared", fast)
}

func itoa(n int) string {
	return strconv.Itoa(n)
}

// TestParseNumberMatchesLibrary parses every example number in E.164,
// international, national and RFC 3966 notation with its own region as
// default, through whichever path ParseNumber takes, and requires
// libphonenumber's answer.
func TestParseNumberMatchesLibrary(t *testing.T) {
	t.Parallel()
	compared := 0
	for _, ex := range exampleNumbers(t) {
		reg := phonenumbers.GetRegionCodeForNumber(ex)
		if reg == "" || reg == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			continue
		}
		for _, f := range []phonenumbers.PhoneNumberFormat{phonenumbers.E164, phonenumbers.INTERNATIONAL, phonenumbers.NATIONAL, phonenumbers.RFC3966} {
			text := phonenumbers.Format(ex, f)
			want := ""
			if pn, err := phonenumbers.Parse(text, reg); err == nil && phonenumbers.IsValidNumber(pn) {
				want = phonenumbers.Format(pn, phonenumbers.E164)
			}
			n, _ := ParseNumber(text, "Phone", "", reg)
			if n.Unlisted && want == "" {
				// Not valid by the metadata, but libphonenumber must
				// call the stored form possible.
				if pn, err := phonenumbers.Parse(n.E164, ""); err != nil || !phonenumbers.IsPossibleNumber(pn) {
					t.Errorf("ParseNumber(%q, %q) = unlisted %q, which libphonenumber finds impossible (%v)", text, reg, n.E164, err)
				}
			} else if n.E164 != want || n.Unlisted {
				t.Errorf("ParseNumber(%q, %q) = %q (%s, unlisted %v), libphonenumber %q", text, reg, n.E164, n.Reason, n.Unlisted, want)
			}
			compared++
		}
	}
	t.Logf("%d notations compared", compared)
}
