package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testKey makes a recognisable key: every byte is fill.
func testKey(id string, fill byte) Key {
	return Key{ID: id, Bytes: bytes.Repeat([]byte{fill}, keySize)}
}

func mustKeyring(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSeal(t testing.TB, k *Keyring, plain, binding string) string {
	t.Helper()
	s, err := k.Seal([]byte(plain), binding)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustKeyring(t, testKey("a", 1))
	for _, tc := range []struct {
		name  string
		plain []byte
	}{
		{"empty", nil},
		{"client secret", []byte("s3cr3t-Client-Secret")},
		{"token json", []byte(`{"access_token":"` + strings.Repeat("x", 300) + `","refresh_token":"r"}`)},
		{"binary", []byte{0, 1, 2, 0xff, '.', 0}},
		{"unicode", []byte("geheim wachtwoord é ü ✓")},
		{"large", bytes.Repeat([]byte("0123456789"), 10000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			binding := "replicator/42/client_secret"
			sealed, err := k.Seal(tc.plain, binding)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1.a.") {
				t.Errorf("sealed = %q, want prefix v1.a.", sealed)
			}
			if len(tc.plain) > 4 && strings.Contains(sealed, string(tc.plain)) {
				t.Error("sealed value contains the plaintext")
			}
			got, err := k.Open(sealed, binding)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.plain) {
				t.Errorf("Open = %q, want %q", got, tc.plain)
			}
		})
	}
}

// TestKnownAnswer pins the format: values already in databases must keep
// opening, so the layout, the encoding and what goes into the additional data
// must not change. The vector was computed outside this package.
func TestKnownAnswer(t *testing.T) {
	key := make([]byte, keySize)
	for i := range key {
		key[i] = byte(i)
	}
	k := mustKeyring(t, Key{ID: "kat", Bytes: key})
	const sealed = "v1.kat.oKGio6SlpqeoqaqrhXQVSCu_L8wHBvW2c1fx7EOYDKGskGegk8tWirn012Me"
	got, err := k.Open(sealed, "replicator/42/client_secret")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "client-secret-123" {
		t.Errorf("Open = %q, want client-secret-123", got)
	}
}

func TestOpenFails(t *testing.T) {
	const binding = "replicator/42/client_secret"
	const plain = "the-client-secret"
	a := testKey("a", 1)
	k := mustKeyring(t, a, testKey("b", 2))
	ka := mustKeyring(t, a)
	sealed := mustSeal(t, k, plain, binding)
	payload := strings.TrimPrefix(sealed, "v1.b.")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		c := bytes.Clone(raw)
		c[i] ^= 0x01
		return "v1.b." + base64.RawURLEncoding.EncodeToString(c)
	}
	for _, tc := range []struct {
		name, sealed, binding string
		keyring               *Keyring
		want                  string
	}{
		{"other binding", sealed, "replicator/43/client_secret", k, `key "b", binding "replicator/43/client_secret": it was sealed for another row, or it was altered`},
		{"other column", sealed, "replicator/42/token", k, `it was sealed for another row`},
		{"empty binding", sealed, "", k, `it was sealed for another row`},
		{"nonce altered", flip(0), binding, k, `it was altered`},
		{"ciphertext altered", flip(nonceSize + 1), binding, k, `it was altered`},
		{"tag altered", flip(len(raw) - 1), binding, k, `it was altered`},
		{"relabelled to another key", "v1.a." + payload, binding, k, `key "a", binding`},
		{"unknown key id", sealed, binding, ka, `unknown key id "b" (the keyring has a)`},
		{"unknown key id, not in ring", "v1.gone." + payload, binding, k, `unknown key id "gone" (the keyring has a, b)`},
		{"truncated", sealed[:len(sealed)-4], binding, k, `it was altered`},
		{"too short", "v1.b.AAAA", binding, k, `key "b": the value is damaged`},
		{"padding added", sealed + "=", binding, k, `the value is damaged`},
		{"not base64url", "v1.b." + payload[:10] + "/" + payload[11:], binding, k, `the value is damaged`},
		{"empty", "", binding, k, `not a sealed value (it does not start with "v1.")`},
		{"plaintext in column", plain, binding, k, `not a sealed value (it does not start with "v1.")`},
		{"other version", "v2.b." + payload, binding, k, `it does not start with "v1."`},
		{"no payload", "v1.b.", binding, k, `not a sealed value (not "v1.<key-id>.<data>")`},
		{"no key id", "v1.." + payload, binding, k, `not "v1.<key-id>.<data>"`},
		{"key id with a space", "v1.b c." + payload, binding, k, `not "v1.<key-id>.<data>"`},
		{"extra dot", sealed + ".x", binding, k, `the value is damaged`},
		{"empty keyring", sealed, binding, &Keyring{}, `key "b": the keyring has no keys`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.keyring.Open(tc.sealed, tc.binding)
			if err == nil {
				t.Fatalf("Open succeeded with %q", got)
			}
			if !errors.Is(err, ErrCannotOpen) {
				t.Errorf("error %v is not ErrCannotOpen", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
			if tc.name != "plaintext in column" && strings.Contains(err.Error(), plain) {
				t.Errorf("error %q contains the plaintext", err)
			}
			if tc.name == "plaintext in column" && strings.Contains(err.Error(), plain) {
				t.Errorf("error %q echoes the column", err)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
		})
	}
}

// TestOpenFailsOnEveryChangedCharacter alters each character of a sealed
// value in turn: none of the variants may open. This is what canonical
// (strict) base64 buys: a change in the last character's unused bits counts.
func TestOpenFailsOnEveryChangedCharacter(t *testing.T) {
	k := mustKeyring(t, testKey("a", 1), testKey("b", 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	// Three plaintext lengths: the last base64 character then carries 0, 2
	// and 4 unused bits.
	for _, plain := range []string{"tok", "toke", "token"} {
		t.Run(plain, func(t *testing.T) {
			sealed := mustSeal(t, k, plain, "replicator/1/token")
			for i := range len(sealed) {
				for _, c := range []byte(alphabet) {
					if c == sealed[i] {
						continue
					}
					altered := sealed[:i] + string(c) + sealed[i+1:]
					if got, err := k.Open(altered, "replicator/1/token"); err == nil {
						t.Fatalf("%q (char %d changed to %q) opened to %q", altered, i, c, got)
					}
				}
			}
		})
	}
}

func TestSealTwiceDiffers(t *testing.T) {
	k := mustKeyring(t, testKey("a", 1))
	seen := map[string]bool{}
	for range 100 {
		s := mustSeal(t, k, "same plaintext", "replicator/1/client_secret")
		if seen[s] {
			t.Fatalf("sealed the same value twice: %s", s)
		}
		seen[s] = true
	}
}

func TestSealErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keyring *Keyring
		binding string
		want    string
	}{
		{"no binding", mustKeyring(t, testKey("a", 1)), "", "secret: seal needs a binding (the identity of the row the value goes into)"},
		{"nil keyring", nil, "r/1", "secret: the keyring has no keys; generate one with: roger secrets generate"},
		{"zero keyring", &Keyring{}, "r/1", "secret: the keyring has no keys; generate one with: roger secrets generate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.keyring.Seal([]byte("x"), tc.binding)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Seal error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	const binding = "replicator/7/token"
	a, b := testKey("a", 1), testKey("b", 2)
	onlyA := mustKeyring(t, a)
	both := mustKeyring(t, a, b)
	onlyB := mustKeyring(t, b)

	old := mustSeal(t, onlyA, "refresh-token", binding)
	if !onlyA.IsCurrent(old) {
		t.Error("IsCurrent under [a] = false, want true")
	}
	if got, err := both.Open(old, binding); err != nil || string(got) != "refresh-token" {
		t.Fatalf("[a b].Open(old) = %q, %v", got, err)
	}
	if both.IsCurrent(old) {
		t.Error("IsCurrent under [a b] = true, want false")
	}
	if both.CurrentID() != "b" {
		t.Errorf("CurrentID = %q, want b", both.CurrentID())
	}
	if _, err := onlyB.Open(old, binding); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("[b].Open(old) error = %v, want ErrCannotOpen before rotation", err)
	}

	resealed, changed, err := both.Reseal(old, binding)
	if err != nil || !changed {
		t.Fatalf("Reseal = %q, %v, %v; want a new value, true", resealed, changed, err)
	}
	if !both.IsCurrent(resealed) || !strings.HasPrefix(resealed, "v1.b.") {
		t.Errorf("resealed %q is not under b", resealed)
	}
	if got, err := onlyB.Open(resealed, binding); err != nil || string(got) != "refresh-token" {
		t.Errorf("[b].Open(resealed) = %q, %v", got, err)
	}

	again, changed, err := both.Reseal(resealed, binding)
	if err != nil || changed || again != resealed {
		t.Errorf("Reseal(current) = %q, %v, %v; want it unchanged, false", again, changed, err)
	}
	if _, _, err := both.Reseal(resealed, "replicator/8/token"); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("Reseal with the wrong binding: error = %v, want ErrCannotOpen", err)
	}
	if both.IsCurrent("not sealed") || (*Keyring)(nil).IsCurrent(resealed) {
		t.Error("IsCurrent true for a non-value or a nil keyring")
	}
}

func TestNewKeyringErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []Key
		want string
	}{
		{"none", nil, "secret: the keyring has no keys; generate one with: roger secrets generate"},
		{"empty id", []Key{testKey("", 1)}, "secret: key 1: a key id is 1 to 64 letters, digits, '-' or '_'"},
		{"dot in id", []Key{testKey("a", 1), testKey("b.c", 2)}, "secret: key 2: a key id is 1 to 64 letters, digits, '-' or '_'"},
		{"long id", []Key{testKey(strings.Repeat("k", 65), 1)}, "secret: key 1: a key id is 1 to 64 letters, digits, '-' or '_'"},
		{"duplicate id", []Key{testKey("a", 1), testKey("a", 2)}, `secret: key id "a" is used twice; every key needs its own id`},
		{"short key", []Key{{ID: "a", Bytes: make([]byte, 16)}}, `secret: key "a": a key must be 32 bytes (44 base64 characters), not 16; generate one with: roger secrets generate`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewKeyring(tc.keys...)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	k1, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(k1.Bytes) != keySize || bytes.Equal(k1.Bytes, k2.Bytes) || k1.ID == k2.ID {
		t.Errorf("two generated keys: %d bytes, equal %v, ids %s %s", len(k1.Bytes), bytes.Equal(k1.Bytes, k2.Bytes), k1.ID, k2.ID)
	}
	if k1.ID != deriveID(k1.Bytes) || len(k1.ID) != 8 {
		t.Errorf("id %q is not the 8-hex-character derived id %q", k1.ID, deriveID(k1.Bytes))
	}
	if _, err := NewKeyring(k1, k2); err != nil {
		t.Errorf("generated keys do not make a keyring: %v", err)
	}
}

// TestFormatNeverRevealsKey prints keys and keyrings every way a careless log
// line could, including through reflection as an unexported field, and looks
// for the key in every encoding.
func TestFormatNeverRevealsKey(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring := mustKeyring(t, testKey("old", 9), key)
	forms := []string{
		string(key.Bytes),
		hex.EncodeToString(key.Bytes),
		strings.ToUpper(hex.EncodeToString(key.Bytes)),
		base64.StdEncoding.EncodeToString(key.Bytes),
		base64.RawStdEncoding.EncodeToString(key.Bytes),
		base64.RawURLEncoding.EncodeToString(key.Bytes),
		fmt.Sprint(key.Bytes),
		fmt.Sprintf("%v", key.Bytes[:4]), // "[a b c d": any run of the bytes as numbers
		fmt.Sprintf("%#v", key.Bytes[:4]),
	}
	forms[7] = strings.TrimSuffix(forms[7], "]")
	forms[8] = strings.TrimSuffix(forms[8], "}")
	type holder struct {
		ring *Keyring
		val  Keyring
	}
	type exported struct {
		Key  Key
		Ring *Keyring
	}
	values := map[string]any{
		"key":                    key,
		"*key":                   &key,
		"keyring":                ring,
		"keyring value":          *ring,
		"slice of keys":          []Key{key},
		"map of keys":            map[string]Key{"k": key},
		"exported fields":        exported{key, ring},
		"unexported ring fields": holder{ring: ring, val: *ring},
		"error wrapping a key":   fmt.Errorf("load %v: %w", key, errors.New("x")),
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, verb := range verbs {
				out := fmt.Sprintf(verb, v)
				for _, form := range forms {
					if strings.Contains(out, form) {
						t.Errorf("fmt.Sprintf(%q) = %q reveals the key (%q)", verb, out, form)
					}
				}
			}
		})
	}
	if got := fmt.Sprintf("%v %+v %#v %s", key, ring, key, ring); !strings.Contains(got, key.ID) {
		t.Errorf("formatting drops the key id: %s", got)
	}
	if got := fmt.Sprintf("%#v", key); got != fmt.Sprintf(`secret.Key{ID: %q, Bytes: <32 bytes hidden>}`, key.ID) {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprint(ring); got != "secret.Keyring(current "+key.ID+"; keys old, "+key.ID+")" {
		t.Errorf("%%v = %s", got)
	}
}

// TestConcurrentUse checks, under -race, that one keyring serves many
// goroutines: the server seals and opens from every request.
func TestConcurrentUse(t *testing.T) {
	k := mustKeyring(t, testKey("a", 1), testKey("b", 2))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			binding := fmt.Sprintf("replicator/%d/token", g)
			for i := range 50 {
				plain := fmt.Sprintf("token-%d-%d", g, i)
				s, err := k.Seal([]byte(plain), binding)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := k.Open(s, binding)
				if err != nil || string(got) != plain {
					t.Errorf("Open = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzOpen feeds arbitrary text to Open. Whatever comes out of a database
// column must not panic, and must not open: the seeds in
// testdata/fuzz/FuzzOpen include well-formed values sealed with the fuzz key
// for other rows, so the fuzzer starts from near misses.
func FuzzOpen(f *testing.F) {
	key := make([]byte, keySize)
	old := make([]byte, keySize)
	for i := range key {
		key[i] = byte(i)
		old[i] = byte(100 + i)
	}
	k := mustKeyring(f, Key{ID: "old", Bytes: old}, Key{ID: "fuzz", Bytes: key})
	const binding = "replicator/1/client_secret"
	f.Fuzz(func(t *testing.T, sealed string) {
		got, err := k.Open(sealed, binding)
		if err == nil {
			t.Fatalf("Open(%q) opened to %q", sealed, got)
		}
		if !errors.Is(err, ErrCannotOpen) {
			t.Fatalf("Open(%q) error %v is not ErrCannotOpen", sealed, err)
		}
		if got != nil {
			t.Fatalf("Open(%q) returned %q with an error", sealed, got)
		}
		if _, changed, err := k.Reseal(sealed, binding); err == nil || changed {
			t.Fatalf("Reseal(%q) = %v, %v", sealed, changed, err)
		}
		_ = k.IsCurrent(sealed)
	})
}

// BenchmarkSealOpen measures the cost per stored secret: sealing and opening a
// 300-byte OAuth token, which roger does at every token refresh and use.
func BenchmarkSealOpen(b *testing.B) {
	k := mustKeyring(b, testKey("a", 1))
	token := bytes.Repeat([]byte("t"), 300)
	const binding = "replicator/42/token"
	b.SetBytes(int64(len(token)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := k.Seal(token, binding)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Open(s, binding); err != nil {
			b.Fatal(err)
		}
	}
}
