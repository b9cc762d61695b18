package phone

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// This file is a fast validity check over libphonenumber's own metadata.
// phonenumbers.IsValidNumber rebuilds every pattern string and hashes it
// into a global regexp cache on each call, which alone costs about 4.5 µs
// and 31 allocations per number; ingest needs the whole parse well under
// 10 µs. The rules below are exactly getNumberTypeHelper and
// getRegionCodeForNumberFromRegionList of phonenumbers v1.8.1, with the
// patterns compiled once per region; TestValidatorMatchesLibrary holds the
// two to the same answer for every example number of every region.

// desc is one compiled number description (fixed line, mobile, …).
type desc struct {
	lengths []int32        // nil: any length the general description allows
	re      *regexp.Regexp // nil: no number is of this type
}

func (d *desc) match(nsn string) bool {
	if d.re == nil {
		return false
	}
	if d.lengths != nil {
		ok := false
		for _, l := range d.lengths {
			if int(l) == len(nsn) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

// region is what roger needs of one libphonenumber territory.
type region struct {
	id string // "NL", or "001" for a non-geographic calling code
	cc int
	md *phonenumbers.PhoneMetadata

	// simpleNational: national numbers are written with a single trunk 0
	// that is simply dropped, so the fast path may strip it itself.
	simpleNational bool
	// simpleIDD: the international prefix is exactly 00.
	simpleIDD bool
	// nationalPrefix is the trunk prefix as dialled ("0", "8", "1", "").
	nationalPrefix string

	// Lengths for reasons only: the shortest fixed-line or mobile number,
	// the longest fixed-line number and the longest number of any type.
	minSubscriber, maxFixed, maxAny int
	// subscriberLengths has bit n set when a fixed-line or mobile number
	// (or, where the metadata has neither, any number) may be n digits
	// long: what makes an unlisted number possible.
	subscriberLengths uint64

	once    sync.Once
	leading *regexp.Regexp
	general desc
	// types holds every typed description; a number is valid when it
	// matches the general one and at least one of these.
	types []desc
}

// tables maps regions and calling codes to their metadata. It is built on
// first use because most processes (the portal, the simulator) never parse
// a number.
type tables struct {
	byRegion map[string]*region
	byCode   map[int][]*region // in libphonenumber's order: main region first
}

var (
	tablesOnce sync.Once
	tbl        tables
)

func metadata() *tables {
	tablesOnce.Do(func() {
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			// The metadata is embedded in the library and already
			// parsed by its init; failing here means a broken build.
			panic("phone: libphonenumber metadata: " + err.Error())
		}
		tbl.byRegion = make(map[string]*region)
		tbl.byCode = make(map[int][]*region)
		nonGeo := make(map[int]*region)
		for _, md := range coll.GetMetadata() {
			r := newRegion(md)
			if r.id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
				nonGeo[r.cc] = r
			} else {
				tbl.byRegion[r.id] = r
			}
		}
		for cc := range phonenumbers.GetSupportedCallingCodes() {
			for _, id := range phonenumbers.GetRegionCodesForCountryCode(cc) {
				r := tbl.byRegion[id]
				if id == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
					r = nonGeo[cc]
				}
				if r != nil {
					tbl.byCode[cc] = append(tbl.byCode[cc], r)
				}
			}
		}
	})
	return &tbl
}

func newRegion(md *phonenumbers.PhoneMetadata) *region {
	r := &region{
		id:             md.GetId(),
		cc:             int(md.GetCountryCode()),
		md:             md,
		nationalPrefix: md.GetNationalPrefix(),
		simpleIDD:      md.GetInternationalPrefix() == "00",
	}
	npfp := md.GetNationalPrefixForParsing()
	r.simpleNational = r.nationalPrefix == "0" && md.GetNationalPrefixTransformRule() == "" &&
		(npfp == "" || npfp == "0" || (len(npfp) > 2 && npfp[:2] == "0|"))

	general := md.GetGeneralDesc().GetPossibleLength()
	for _, l := range general {
		r.maxAny = max(r.maxAny, int(l))
	}
	lengthsOf := func(d *phonenumbers.PhoneNumberDesc) []int32 {
		if d == nil {
			return nil
		}
		if ls := d.GetPossibleLength(); len(ls) > 0 {
			if ls[0] == -1 {
				return nil
			}
			return ls
		}
		// An empty list means "as the general description".
		if d.GetNationalNumberPattern() == "" {
			return nil
		}
		return general
	}
	r.minSubscriber = 1 << 30
	for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetFixedLine(), md.GetMobile()} {
		for _, l := range lengthsOf(d) {
			r.minSubscriber = min(r.minSubscriber, int(l))
			r.subscriberLengths |= lengthBit(l)
		}
	}
	if r.subscriberLengths == 0 {
		for _, l := range general {
			r.subscriberLengths |= lengthBit(l)
		}
	}
	for _, l := range lengthsOf(md.GetFixedLine()) {
		r.maxFixed = max(r.maxFixed, int(l))
	}
	if r.minSubscriber == 1<<30 {
		// Non-geographic codes have neither; fall back to the general lengths.
		for _, l := range general {
			r.minSubscriber = min(r.minSubscriber, int(l))
		}
		if r.minSubscriber == 1<<30 {
			r.minSubscriber = phonenumbers.MIN_LENGTH_FOR_NSN
		}
	}
	if r.maxFixed == 0 {
		r.maxFixed = r.maxAny
	}
	if r.maxAny == 0 {
		r.maxAny = phonenumbers.MAX_LENGTH_FOR_NSN
	}
	return r
}

// compile builds the region's regular expressions on first use: compiling
// all 250-odd territories up front would cost tens of milliseconds at
// start-up for the handful an organisation ever sees.
func (r *region) compile() {
	r.once.Do(func() {
		md := r.md
		if ld := md.GetLeadingDigits(); ld != "" {
			r.leading = regexp.MustCompile("^(?:" + ld + ")")
		}
		r.general = compileDesc(md.GetGeneralDesc())
		// Fixed line and mobile first: they are what CRM data is made of,
		// and the order does not change whether some type matches.
		typed := []*phonenumbers.PhoneNumberDesc{md.GetFixedLine()}
		if !md.GetSameMobileAndFixedLinePattern() {
			typed = append(typed, md.GetMobile())
		}
		typed = append(typed, md.GetTollFree(), md.GetPremiumRate(), md.GetSharedCost(),
			md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail())
		for _, d := range typed {
			if c := compileDesc(d); c.re != nil {
				r.types = append(r.types, c)
			}
		}
	})
}

func compileDesc(d *phonenumbers.PhoneNumberDesc) desc {
	if d == nil || d.GetNationalNumberPattern() == "" {
		return desc{}
	}
	var c desc
	if ls := d.GetPossibleLength(); len(ls) > 0 {
		c.lengths = ls
	}
	c.re = regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")
	return c
}

// hasType reports whether nsn is a number of some type in this region,
// i.e. getNumberTypeHelper(nsn) != UNKNOWN.
func (r *region) hasType(nsn string) bool {
	r.compile()
	if !r.general.match(nsn) {
		return false
	}
	for i := range r.types {
		if r.types[i].match(nsn) {
			return true
		}
	}
	return false
}

// valid reports whether +cc nsn is a valid number, as
// phonenumbers.IsValidNumber would.
func valid(cc int, nsn string) bool {
	if len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return false
	}
	regions := metadata().byCode[cc]
	switch len(regions) {
	case 0:
		return false
	case 1:
		return regions[0].hasType(nsn)
	}
	// Calling codes shared by several regions (+1, +44, +7, …): the number
	// belongs to the first region whose leading digits match, or else to the
	// first it is valid in, and must be valid there.
	for _, r := range regions {
		r.compile()
		if r.leading != nil {
			if r.leading.MatchString(nsn) {
				return r.hasType(nsn)
			}
		} else if r.hasType(nsn) {
			return true
		}
	}
	return false
}

func lengthBit(l int32) uint64 {
	if l < 0 || l > 63 {
		return 0
	}
	return 1 << uint(l)
}

// possible reports whether +cc nsn has the length of a fixed-line or
// mobile number of its country (of the main region of a shared calling
// code, whose regions share one numbering plan), whatever its digits.
// Stricter than phonenumbers.IsPossibleNumber, which allows the lengths
// of every number type: a Dutch number of 10 digits is possible there
// only as a rare service number, and in CRM data it is a typo.
func possible(cc int, nsn string) bool {
	if len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return false
	}
	r := mainRegion(cc)
	return r != nil && r.subscriberLengths&(1<<uint(len(nsn))) != 0
}

// splitCallingCode splits international digits (after + or 00) into a
// known calling code and the rest. Calling codes are prefix-free, so the
// first known one of length 1 to 3 is the only one.
func splitCallingCode(digits string) (cc int, rest string, ok bool) {
	t := metadata()
	if len(digits) == 0 || digits[0] == '0' {
		return 0, "", false
	}
	for l := 1; l <= 3 && l < len(digits); l++ {
		n, err := strconv.Atoi(digits[:l])
		if err != nil {
			return 0, "", false
		}
		if _, known := t.byCode[n]; known {
			return n, digits[l:], true
		}
	}
	return 0, "", false
}

// mainRegion returns the region libphonenumber names first for a calling
// code, nil when the code is unknown.
func mainRegion(cc int) *region {
	rs := metadata().byCode[cc]
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}

// lookupRegion returns the metadata of an ISO 3166 alpha-2 region, nil when
// libphonenumber does not know it.
func lookupRegion(id string) *region {
	return metadata().byRegion[id]
}
