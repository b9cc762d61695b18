package password

import (
	"errors"
	"strings"
	"testing"
)

var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	if err := Verify("correct horse", h); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := Verify("correct horse ", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v, want ErrMismatch", err)
	}
	h2, _ := Hash("correct horse", fast)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyDefaultParams(t *testing.T) {
	h, err := Hash("pw", Default)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, "m=19456,t=2,p=1") {
		t.Fatalf("hash %q does not carry the default costs", h)
	}
	if err := Verify("pw", h); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefusesBrokenHashes(t *testing.T) {
	good, _ := Hash("pw", fast)
	parts := strings.Split(good, "$")
	tests := map[string]string{
		"empty":         "",
		"bcrypt":        "$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz012345",
		"argon2i":       strings.Replace(good, "argon2id", "argon2i", 1),
		"version":       strings.Replace(good, "v=19", "v=16", 1),
		"params":        strings.Replace(good, parts[3], "m=x", 1),
		"zero time":     strings.Replace(good, "t=1", "t=0", 1),
		"salt":          strings.Replace(good, parts[4], "!!", 1),
		"empty key":     strings.TrimSuffix(good, parts[5]),
		"missing field": strings.Join(parts[:5], "$"),
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			err := Verify("pw", h)
			if err == nil || errors.Is(err, ErrMismatch) {
				t.Fatalf("Verify(%q) = %v, want an unreadable-hash error", h, err)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := Generate()
		if len(p) != 20 || strings.ContainsAny(p, "0O1lI") {
			t.Fatalf("Generate() = %q", p)
		}
		if seen[p] {
			t.Fatalf("Generate repeated %q", p)
		}
		seen[p] = true
	}
}
