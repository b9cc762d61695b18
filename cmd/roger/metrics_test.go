package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsToken: with ROGER_METRICS_TOKEN set, /metrics answers only
// "Authorization: Bearer" with that token, and the token is not logged;
// without it, /metrics stays open.
func TestMetricsToken(t *testing.T) {
	const token = "m3trics-t0ken-of-this-test"
	env := testEnv(t, "127.0.0.1:0")
	base, out, stop := serveInstance(t, func(k string) string {
		if k == "ROGER_METRICS_TOKEN" {
			return token
		}
		return env(k)
	})
	get := func(authorization string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
	}
	for _, tc := range []struct {
		name, authorization string
		want                int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "Bearer not-the-token", http.StatusUnauthorized},
		{"a prefix of the token", "Bearer " + token[:10], http.StatusUnauthorized},
		{"the token and more", "Bearer " + token + "x", http.StatusUnauthorized},
		{"basic", "Basic " + token, http.StatusUnauthorized},
		{"the token", "Bearer " + token, http.StatusOK},
		{"the token, scheme in lower case", "bearer " + token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge, body := get(tc.authorization)
			if status != tc.want {
				t.Fatalf("%d %s", status, body)
			}
			if status == http.StatusOK && !strings.Contains(body, "roger_lookup_index_ready") {
				t.Errorf("metrics without roger's metrics:\n%s", body)
			}
			if status == http.StatusUnauthorized && (!strings.HasPrefix(challenge, "Bearer") || strings.Contains(body, "roger_")) {
				t.Errorf("refusal: WWW-Authenticate %q\n%s", challenge, body)
			}
		})
	}
	stop()
	if strings.Contains(out.String(), token) {
		t.Errorf("the metrics token is in the log:\n%s", out)
	}

	base, _, _ = serveInstance(t, env)
	if status, _, body := get(""); status != http.StatusOK || !strings.Contains(body, "roger_") {
		t.Errorf("without ROGER_METRICS_TOKEN: %d\n%s", status, body)
	}
}
