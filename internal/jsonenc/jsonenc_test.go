package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendString checks both modes against encoding/json byte for byte.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "Anna van Dijk", "a\"b\\c", "<script>&amp;</script>", "\x00\x07\b\f\n\r\t\x1f\x7f", "\u2028\u2029é€😀", "\xff\xfe\xc3", "https://x/?a=1&b=%7b2%7d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s, true); string(got) != string(want) {
			t.Errorf("AppendString(%q, html-safe) = %s, encoding/json %s", s, got, want)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got, want := AppendString(nil, s, false), bytes.TrimSuffix(buf.Bytes(), []byte("\n")); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}
