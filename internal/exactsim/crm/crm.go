// Package crm holds the simulator's CRM records (Exact Online accounts and
// contacts) and the generator that fills a division with realistic ones.
package crm

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"time"
)

// GUID is an Exact Online identifier (Edm.Guid). The zero GUID stands for null.
type GUID [16]byte

// IsZero reports whether g is the zero (null) GUID.
func (g GUID) IsZero() bool { return g == GUID{} }

// String formats g the way Exact does: lower-case 8-4-4-4-12 hex.
func (g GUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], g[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], g[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], g[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], g[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], g[10:16])
	return string(b[:])
}

// MarshalText writes g as its String form, so GUIDs read as text in JSON.
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText reads a GUID written by MarshalText (or with braces).
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := ParseGUID(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// Compare orders GUIDs byte-wise; the simulator pages regular endpoints in
// this order so that a skiptoken of the last key continues the listing.
func (g GUID) Compare(o GUID) int {
	for i := range g {
		if g[i] != o[i] {
			if g[i] < o[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ErrBadGUID is returned by ParseGUID for text that is not a GUID.
var ErrBadGUID = errors.New("not a GUID")

// ParseGUID reads a GUID in 8-4-4-4-12 form, with or without braces, in
// either case.
func ParseGUID(s string) (GUID, error) {
	var g GUID
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, ErrBadGUID
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(g[:], []byte(h)); err != nil {
		return GUID{}, ErrBadGUID
	}
	return g, nil
}

// RandomGUID draws a version-4 GUID from r, so a seeded generator yields the
// same identifiers every run.
func RandomGUID(r *rand.Rand) GUID {
	var g GUID
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			g[i+j] = byte(v >> (8 * j))
		}
	}
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return g
}

// Account is a CRM account (Exact.Web.Api.Models.Account). Empty strings and
// zero GUIDs and times are served as null.
type Account struct {
	ID                GUID
	Code              string // unpadded; served left-padded to 18 characters
	Name              string
	Phone             string
	PhoneExtension    string
	Fax               string
	Email             string
	Website           string
	AddressLine1      string
	AddressLine2      string
	Postcode          string
	City              string
	State             string
	Country           string // ISO 3166 alpha-2
	Status            string // A none, S suspect, P prospect, C customer
	Blocked           bool
	IsSupplier        bool
	IsSales           bool
	IsPurchase        bool
	MainContact       GUID
	VATNumber         string
	ChamberOfCommerce string
	SearchCode        string
	Language          string
	Created           time.Time
	Modified          time.Time
	Creator           GUID
	Modifier          GUID
	CreatorFullName   string
	ModifierFullName  string

	// Timestamp is the division-wide rowversion of the last insert or update.
	Timestamp int64
}

// Contact is a CRM contact person (Exact.Web.Api.Models.Contact). Exact keeps
// Phone/BusinessPhone, PhoneExtension/BusinessPhoneExtension, Mobile/
// BusinessMobile and Email/BusinessEmail as one stored value each, so the
// struct has one field per pair and the simulator serves both names.
type Contact struct {
	ID                  GUID
	Account             GUID
	FirstName           string
	MiddleName          string
	LastName            string
	Initials            string
	Title               string // a code such as MR, MRS
	JobTitleDescription string
	Phone               string
	PhoneExtension      string
	Mobile              string
	BusinessFax         string
	Email               string
	IsMainContact       bool
	Gender              string // M, V (vrouw), O (unknown)
	Language            string
	HID                 int32
	City                string
	Country             string
	Postcode            string
	AddressStreet       string
	Notes               string
	Created             time.Time
	Modified            time.Time
	Creator             GUID
	Modifier            GUID
	CreatorFullName     string
	ModifierFullName    string

	// Timestamp is the division-wide rowversion of the last insert or update.
	Timestamp int64
}

// FullName is built the way Exact builds it: first, middle and last name.
func (c *Contact) FullName() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{c.FirstName, c.MiddleName, c.LastName} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}
