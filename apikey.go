package roger

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// APIKey is an organisation's key to the lookup API. Only a hash of the
// key is stored; Prefix, its first characters, lets a person tell keys
// apart without the key being kept anywhere.
type APIKey struct {
	ID     int64
	OrgID  int64
	Name   string
	Prefix string
	// Hash is HashAPIKey of the key.
	Hash     string
	Created  time.Time
	LastUsed time.Time // zero when never used
	Revoked  time.Time // zero while the key works
	// Kind is what the key opens: the lookup API, or the LDAP directory
	// for phones ("" is read as APIKeyLookup).
	Kind APIKeyKind
	// NationalForm asks, for an LDAP key, that numbers are returned in
	// the organisation's national form (020 123 4567) rather than E.164,
	// for phones that cannot dial the international form.
	NationalForm bool
}

// APIKeyKind is what a key opens. A key pasted into a phone's settings
// opens only the directory phones read, so one read out of a phone's
// configuration does not open the lookup API.
type APIKeyKind string

// The kinds of key.
const (
	APIKeyLookup APIKeyKind = "lookup"
	APIKeyLDAP   APIKeyKind = "ldap"
)

// APIKeyPrefix starts every key, so a key pasted into the wrong place (a
// log, a ticket, a repository) can be recognised as one.
const APIKeyPrefix = "rgr_"

// apiKeyPrefixLen is how much of a key is shown: "rgr_" and eight
// characters, 48 bits, enough to tell an organisation's keys apart.
const apiKeyPrefixLen = len(APIKeyPrefix) + 8

// NewAPIKey returns a new random key (256 bits) and its visible prefix.
func NewAPIKey() (key, prefix string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	key = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, key[:apiKeyPrefixLen], nil
}

// HashAPIKey returns the stored form of a key. A plain SHA-256 is enough:
// the key is 256 random bits, so there is nothing to guess, and a slow
// hash would cost every lookup.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// LooksLikeAPIKey reports whether s has the shape of a key.
func LooksLikeAPIKey(s string) bool {
	return strings.HasPrefix(s, APIKeyPrefix) && len(s) >= apiKeyPrefixLen
}

// apiKeyLen is the length of every key NewAPIKey makes: the prefix and 32
// bytes in unpadded base64url.
var apiKeyLen = len(APIKeyPrefix) + base64.RawURLEncoding.EncodedLen(32)

// WellFormedAPIKey reports whether s could be a key NewAPIKey made: the
// prefix, then 43 base64url characters. Anything else cannot be a key, so
// it is refused without asking the database.
func WellFormedAPIKey(s string) bool {
	if len(s) != apiKeyLen || !strings.HasPrefix(s, APIKeyPrefix) {
		return false
	}
	for i := len(APIKeyPrefix); i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
