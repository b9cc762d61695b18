package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPIKeyRateLimitAndMetricsToken: the per-key rate limit has a
// generous default and can be turned off; the metrics token comes from
// the variable or a file, and is never described.
func TestAPIKeyRateLimitAndMetricsToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(file, []byte("m3trics-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		vars      map[string]string
		wantRate  int
		wantToken string
		wantErr   string
	}{
		{"defaults", nil, 20_000, "", ""},
		{"no limit", map[string]string{"ROGER_API_KEY_RATE_LIMIT": "0"}, 0, "", ""},
		{"a limit", map[string]string{"ROGER_API_KEY_RATE_LIMIT": "50"}, 50, "", ""},
		{"not a number", map[string]string{"ROGER_API_KEY_RATE_LIMIT": "lots"}, 0, "", `ROGER_API_KEY_RATE_LIMIT "lots" must be a number from 0 (no limit) to 1000000`},
		{"negative", map[string]string{"ROGER_API_KEY_RATE_LIMIT": "-5"}, 0, "", "ROGER_API_KEY_RATE_LIMIT"},
		{"token", map[string]string{"ROGER_METRICS_TOKEN": "m3trics-s3cret"}, 20_000, "m3trics-s3cret", ""},
		{"token from a file", map[string]string{"ROGER_METRICS_TOKEN_FILE": file}, 20_000, "m3trics-s3cret", ""},
		{"token twice", map[string]string{"ROGER_METRICS_TOKEN": "a", "ROGER_METRICS_TOKEN_FILE": file}, 0, "", "both ROGER_METRICS_TOKEN and ROGER_METRICS_TOKEN_FILE are set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.vars))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.APIKeyRateLimit != tc.wantRate || c.MetricsToken != tc.wantToken {
				t.Errorf("rate %d, token %q; want %d, %q", c.APIKeyRateLimit, c.MetricsToken, tc.wantRate, tc.wantToken)
			}
			if c.MetricsToken != "" && strings.Contains(c.Describe(), c.MetricsToken) {
				t.Errorf("Describe shows the metrics token: %s", c.Describe())
			}
		})
	}
}
