// Package secret seals the secrets roger keeps in its database (Exact Online
// client secrets and OAuth tokens) with AES-256-GCM, so that a copy of the
// database (a backup, a support dump, a lost disk) does not hand out access to
// a customer's administration.
//
// A sealed value is text, "v1.<key-id>.<base64url(nonce||ciphertext)>", so it
// fits a text column in SQLite and PostgreSQL alike. It names the key that
// sealed it so keys can rotate: a [Keyring] seals with its newest key and opens
// with any of them, and `roger secrets rotate` re-seals old values with
// [Keyring.Reseal] before an old key is dropped. Each value is also bound to the
// row it belongs to (the binding, GCM's additional data), so a value copied
// into another row (another replicator's client secret, say) does not open
// there.
//
// Key bytes do not leave this package through fmt or errors: [Key] and
// [Keyring] print as key ids only, and errors name key ids and bindings, never
// plaintexts or keys.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// version prefixes every sealed value, so a later format can be told apart
	// from this one without guessing.
	version = "v1"
	// keySize makes AES-256: 32-byte keys.
	keySize = 32
	// nonceSize is GCM's standard nonce. Random 96-bit nonces stay safe for
	// about 2^32 seals per key, far beyond a few secrets per replicator
	// re-sealed at each token refresh, and rotation resets the count.
	nonceSize = 12
	// maxIDLen keeps ids short enough to read in a log line and in a column.
	maxIDLen = 64
)

// ErrCannotOpen is the error (wrapped, with the key id) of every value that
// does not open: sealed for another row, sealed under a key the keyring does
// not have, damaged, or not a sealed value at all. Callers check it with
// errors.Is to tell "ask the user for the secret again" from database trouble.
var ErrCannotOpen = errors.New("secret: cannot open sealed value")

var errNoKeys = errors.New("secret: the keyring has no keys; generate one with: roger secrets generate")

// Key is one sealing key. It prints as its id only (String, GoString and
// Format hide Bytes), so a Key that ends up in a log line or an error does not
// leak; [Key.FileLine] is the one deliberate way to get the bytes as text.
type Key struct {
	// ID names the key inside every value it seals: 1 to 64 letters, digits,
	// '-' or '_' (no '.', which separates the parts of a sealed value).
	ID string
	// Bytes is the 32-byte AES-256 key.
	Bytes []byte
}

// String returns the key's id, not its bytes.
func (k Key) String() string { return "secret.Key(" + k.ID + ")" }

// GoString returns a Go-like form that shows the id and hides the bytes, so
// %#v (which would otherwise dump the byte slice) is safe too.
func (k Key) GoString() string {
	return fmt.Sprintf("secret.Key{ID: %q, Bytes: <%d bytes hidden>}", k.ID, len(k.Bytes))
}

// Format makes every verb, including %x and %d that would otherwise print the
// bytes of the struct's fields, print the id only.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, k.String())
}

// FileLine returns the key as a line of a key file, "<key-id> <base64 key>",
// without a newline. It reveals the key: it exists for writing key files and
// for `roger secrets generate`, so the file format lives in one place.
func (k Key) FileLine() string {
	return k.ID + " " + base64.StdEncoding.EncodeToString(k.Bytes)
}

// GenerateKey returns a new random key. Its id is derived from the key the
// same way as a bare ROGER_SECRET_KEY's, so the key keeps its id whether it is
// given bare or as a key-file line.
func GenerateKey() (Key, error) {
	b := make([]byte, keySize)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("secret: generate key: %w", err)
	}
	return Key{ID: deriveID(b), Bytes: b}, nil
}

// deriveID names a key after its SHA-256. Eight hex characters reveal nothing
// useful about a 256-bit key and collide only by astronomical accident (which
// AppendKeyFile still checks for).
func deriveID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}

// checkID keeps ids to characters that survive the sealed format (no '.'),
// key-file lines (no spaces or '#') and the comma form of ROGER_SECRET_KEY.
func checkID(id string) error {
	ok := id != "" && len(id) <= maxIDLen
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			ok = false
			break
		}
	}
	if !ok {
		return fmt.Errorf("a key id is 1 to %d letters, digits, '-' or '_'", maxIDLen)
	}
	return nil
}

func keySizeError(n int) error {
	return fmt.Errorf("a key must be %d bytes (44 base64 characters), not %d; generate one with: roger secrets generate", keySize, n)
}

// Keyring holds the sealing keys: the newest seals, all of them open. It is
// immutable and safe for concurrent use. It keeps only the expanded AES-GCM
// ciphers, not the key bytes, so even printing it through reflection (as an
// unexported field of another struct) shows pointers, not keys.
type Keyring struct {
	current string
	ids     []string // in the order given, oldest first, for messages
	aeads   map[string]cipher.AEAD
}

// NewKeyring builds a keyring from keys, oldest first: the last one seals.
// Ids must be unique and keys 32 bytes long.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errNoKeys
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, key := range keys {
		if err := checkID(key.ID); err != nil {
			return nil, fmt.Errorf("secret: key %d: %w", i+1, err)
		}
		if _, dup := k.aeads[key.ID]; dup {
			return nil, fmt.Errorf("secret: key id %q is used twice; every key needs its own id", key.ID)
		}
		if len(key.Bytes) != keySize {
			return nil, fmt.Errorf("secret: key %q: %w", key.ID, keySizeError(len(key.Bytes)))
		}
		block, err := aes.NewCipher(key.Bytes)
		if err != nil {
			return nil, fmt.Errorf("secret: key %q: %w", key.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret: key %q: %w", key.ID, err)
		}
		k.aeads[key.ID] = aead
		k.ids = append(k.ids, key.ID)
	}
	k.current = keys[len(keys)-1].ID
	return k, nil
}

// CurrentID returns the id of the key that seals, for log lines and for
// reporting what `roger secrets rotate` re-sealed to.
func (k *Keyring) CurrentID() string {
	if k == nil {
		return ""
	}
	return k.current
}

// String lists the key ids, never the keys.
func (k Keyring) String() string {
	return fmt.Sprintf("secret.Keyring(current %s; keys %s)", k.current, strings.Join(k.ids, ", "))
}

// GoString is String in Go-like form, so %#v does not dump the fields.
func (k Keyring) GoString() string {
	return fmt.Sprintf("secret.Keyring{current: %q, keys: %q}", k.current, k.ids)
}

// Format makes every verb print the key ids only. It has a value receiver so
// that a dereferenced Keyring is covered as well as a *Keyring.
func (k Keyring) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, k.String())
}

// Seal encrypts plaintext under the current key, bound to binding: the
// identity of the row that will hold it, e.g. "replicator/42/client_secret".
// The binding is required because a value without one could be moved between
// rows unnoticed. Sealing the same plaintext twice gives different values
// (fresh random nonce each time).
func (k *Keyring) Seal(plaintext []byte, binding string) (string, error) {
	if k == nil || k.current == "" {
		return "", errNoKeys
	}
	if binding == "" {
		return "", errors.New("secret: seal needs a binding (the identity of the row the value goes into)")
	}
	aead := k.aeads[k.current]
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("secret: seal: %w", err)
	}
	buf = aead.Seal(buf, buf[:nonceSize], plaintext, []byte(binding))
	return version + "." + k.current + "." + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open decrypts a value made by Seal with the same binding. Every failure
// wraps [ErrCannotOpen]; the message names the key id (so an operator can tell
// a missing key from a damaged value) but never the plaintext.
func (k *Keyring) Open(sealed string, binding string) ([]byte, error) {
	id, payload, err := splitSealed(sealed)
	if err != nil {
		return nil, err
	}
	if k == nil || len(k.ids) == 0 {
		return nil, fmt.Errorf("%w: key %q: the keyring has no keys", ErrCannotOpen, id)
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id %q (the keyring has %s); it was sealed with a key that has since been removed or not configured here",
			ErrCannotOpen, id, strings.Join(k.ids, ", "))
	}
	// Strict decoding makes the encoding canonical: without it, changing the
	// last character can flip only unused bits and still open, which would
	// make "this text was altered" undetectable.
	data, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil || len(data) < nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("%w: key %q: the value is damaged (truncated or not base64url)", ErrCannotOpen, id)
	}
	plain, err := aead.Open(nil, data[:nonceSize], data[nonceSize:], []byte(binding))
	if err != nil {
		// GCM cannot tell a wrong binding from altered bytes; both mean the
		// value does not belong here as it is.
		return nil, fmt.Errorf("%w: key %q, binding %q: it was sealed for another row, or it was altered", ErrCannotOpen, id, binding)
	}
	return plain, nil
}

// splitSealed takes a sealed value apart without echoing any of it unless it
// is a valid key id: a column holding a plaintext secret by mistake must not
// end up in an error message.
func splitSealed(sealed string) (id, payload string, err error) {
	rest, ok := strings.CutPrefix(sealed, version+".")
	if !ok {
		return "", "", fmt.Errorf("%w: not a sealed value (it does not start with %q)", ErrCannotOpen, version+".")
	}
	id, payload, ok = strings.Cut(rest, ".")
	if !ok || payload == "" || checkID(id) != nil {
		return "", "", fmt.Errorf(`%w: not a sealed value (not "%s.<key-id>.<data>")`, ErrCannotOpen, version)
	}
	return id, payload, nil
}

// IsCurrent reports whether sealed names the current key, so `roger secrets
// rotate` can count what is left to do. It does not check that the value
// opens.
func (k *Keyring) IsCurrent(sealed string) bool {
	id, _, err := splitSealed(sealed)
	return err == nil && k != nil && id == k.current
}

// Reseal opens sealed and seals it again under the current key, returning
// false (and sealed unchanged) when it was current already. It opens current
// values too, so a rotation run also finds values that no longer open.
func (k *Keyring) Reseal(sealed, binding string) (string, bool, error) {
	plain, err := k.Open(sealed, binding)
	if err != nil {
		return "", false, err
	}
	// Best effort only (Go may have copied it), but there is no reason to
	// leave the plaintext lying in the heap until the next GC.
	defer clear(plain)
	if k.IsCurrent(sealed) {
		return sealed, false, nil
	}
	resealed, err := k.Seal(plain, binding)
	if err != nil {
		return "", false, err
	}
	return resealed, true, nil
}
