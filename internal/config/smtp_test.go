package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSMTP(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    SMTP
		wantErr string
	}{
		{"not configured", map[string]string{}, SMTP{}, ""},
		{"starttls by default", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_USERNAME": "roger", "ROGER_SMTP_PASSWORD_FILE": pwFile},
			SMTP{Host: "smtp.example.com", Port: 587, Username: "roger", Password: "s3cret-from-file", From: "roger@example.com", TLS: "starttls"}, ""},
		{"implicit tls on 465", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_TLS": "tls"},
			SMTP{Host: "smtp.example.com", Port: 465, From: "roger@example.com", TLS: "tls"}, ""},
		{"plain to loopback", map[string]string{"ROGER_SMTP_HOST": "127.0.0.1", "ROGER_SMTP_PORT": "2525", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_TLS": "none"},
			SMTP{Host: "127.0.0.1", Port: 2525, From: "roger@example.com", TLS: "none"}, ""},
		{"plain elsewhere", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_TLS": "none"}, SMTP{}, "only to a server on loopback"},
		{"unknown tls", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_TLS": "ssl"}, SMTP{}, "must be starttls, tls or none"},
		{"no sender", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com"}, SMTP{}, "ROGER_SMTP_FROM is required"},
		{"bad sender", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger"}, SMTP{}, "is not an e-mail address"},
		{"user without password", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_USERNAME": "roger"}, SMTP{}, "set both"},
		{"settings without host", map[string]string{"ROGER_SMTP_FROM": "roger@example.com"}, SMTP{}, "ROGER_SMTP_HOST is not"},
		{"bad port", map[string]string{"ROGER_SMTP_HOST": "smtp.example.com", "ROGER_SMTP_FROM": "roger@example.com", "ROGER_SMTP_PORT": "0"}, SMTP{}, "ROGER_SMTP_PORT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadSMTP(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Error("the error holds the password")
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	names := map[string]bool{}
	for _, v := range Vars {
		names[v.Name] = true
	}
	for _, n := range []string{"ROGER_SMTP_HOST", "ROGER_SMTP_PORT", "ROGER_SMTP_USERNAME", "ROGER_SMTP_PASSWORD", "ROGER_SMTP_FROM", "ROGER_SMTP_TLS"} {
		if !names[n] {
			t.Errorf("%s is missing from --help", n)
		}
	}
}
