package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLookup sends arbitrary number and country parameters and an arbitrary
// Authorization header: the answer is always 200, 400 or 401 with JSON,
// never a 500, and never echoes the key.
func FuzzLookup(f *testing.F) {
	f.Add("+31201234567", "", true)
	f.Add("020 123 4567 x12", "NL", true)
	f.Add("tel:+31-20-123-4567;ext=12", "+31", true)
	f.Add("sip:%2B31201234567@host;user=phone", "be", true)
	f.Add("anonymous", "", true)
	f.Add("", "ZZ", false)
	f.Add("\x00\xff", "\u00a0", true)
	f.Add(strings.Repeat("9", 500), "0031", true)
	e := newEnv(f, filepath.Join(f.TempDir(), "roger.db"), 0)
	f.Fuzz(func(t *testing.T, number, country string, withKey bool) {
		q := url.Values{"number": {number}}
		if country != "" {
			q.Set("country", country)
		}
		req := httptest.NewRequest("GET", "/api/v1/lookup?"+q.Encode(), nil)
		if withKey {
			req.Header.Set("Authorization", "Bearer "+e.keyA)
		}
		rec := httptest.NewRecorder()
		e.srv.Config.Handler.ServeHTTP(rec, req)
		resp := rec.Result()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("status %d, not JSON: %v", resp.StatusCode, err)
		}
		switch resp.StatusCode {
		case 200:
			if _, ok := body["matches"].([]any); !ok {
				t.Fatalf("200 without matches: %v", body)
			}
		case 400, 401:
			if _, ok := body["error"].(map[string]any); !ok {
				t.Fatalf("%d without an error envelope: %v", resp.StatusCode, body)
			}
		default:
			t.Fatalf("status %d for number %q country %q: %v", resp.StatusCode, number, country, body)
		}
		if b, _ := json.Marshal(body); strings.Contains(string(b), e.keyA) {
			t.Fatal("the answer echoes the API key")
		}
	})
}
