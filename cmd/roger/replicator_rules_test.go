package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roger365io/roger/internal/secret"
)

// TestCommandLineRefusesWhatThePortalRefuses gives replicator add, flag by
// flag, input the portal's forms refuse; each refusal is the portal's
// message under the flag's name. The command line used to accept every
// one of these.
func TestCommandLineRefusesWhatThePortalRefuses(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	with := addArgsWith
	tests := []struct {
		name string
		args []string
		// want is the portal's refusal of the same input (its form field
		// is the flag's name with _ for -).
		want string
	}{
		{"client id not a GUID", with("--client-id", "my-app"), "--client-id: A Client ID looks like 2b1f0c3e-5a4d-4c3b-9e8f-1a2b3c4d5e6f"},
		{"interval over a day", with("--interval", "1441m"), "--interval: Sync between once a minute and once a day (1 to 1440 minutes)."},
		{"interval not whole minutes", with("--interval", "90s"), "--interval: Enter the minutes between syncs as a whole number"},
		{"secret with a space", with("--client-secret", "s3cret 4f2a"), "--client-secret: A Client Secret has no spaces"},
		{"name too long", with("--name", strings.Repeat("n", 101)), "--name: Keep the name under 100 characters."},
		{"link to another Exact host", with("--contact-url", strings.Replace(goodContactURL, "exactonline.nl", "exactonline.be", 1)),
			"--contact-url: The link points to https://start.exactonline.be, but the replicator reads from https://start.exactonline.nl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, getenv, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v\n%s", tc.want, err, out)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
	if out, err := run(t, getenv, "replicator", "list"); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("refused input was stored: %v\n%s", err, out)
	}
}

// TestClientSecretFromFileOrStandardInput keeps the secret out of the
// process list: it is read from a file or from standard input.
func TestClientSecretFromFileOrStandardInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("fr0m-f1le\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	add := func(getenv func(string) string, stdin string, secretArgs ...string) (string, error) {
		args := append([]string{"replicator", "add", "--name", "contacts", "--entity", "contacts", "--client-id", "6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01",
			"--contact-url", goodContactURL, "--country", "NL"}, secretArgs...)
		var out bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &out, Getenv: getenv, Stdin: strings.NewReader(stdin)}
		err := m.Run(context.Background(), args)
		return out.String(), err
	}
	stored := func(t *testing.T, getenv func(string) string) string {
		keys, _, _, err := secret.LoadKeyring(getenv, getenv("ROGER_DATA_DIR"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := storedClientSecret(t, getenv, keys)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		want       string // the stored secret; "" when refused
		wantRefuse string
	}{
		{"file", "", []string{"--client-secret-file", file}, "fr0m-f1le", ""},
		{"standard input", "fr0m-st4nd4rd-1nput\r\n", []string{"--client-secret", "-"}, "fr0m-st4nd4rd-1nput", ""},
		{"both", "", []string{"--client-secret", "x", "--client-secret-file", file}, "", "give the Client Secret once"},
		{"missing file", "", []string{"--client-secret-file", file + ".nope"}, "", "--client-secret-file"},
		{"empty standard input", "", []string{"--client-secret", "-"}, "", "--client-secret: Paste the Client Secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := testEnv(t, "127.0.0.1:0")
			out, err := add(getenv, tc.stdin, tc.args...)
			if tc.wantRefuse != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantRefuse) {
					t.Fatalf("want a refusal with %q, got %v\n%s", tc.wantRefuse, err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("add: %v\n%s", err, out)
			}
			if got := stored(t, getenv); got != tc.want {
				t.Fatalf("stored secret %q, want %q", got, tc.want)
			}
			if strings.Contains(out, tc.want) {
				t.Fatalf("the output shows the secret: %s", out)
			}
		})
	}
	var out bytes.Buffer
	if err := (&Main{Stdout: &out, Stderr: &out}).Run(context.Background(), []string{"replicator", "add", "--help"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "-client-secret-file") || !strings.Contains(out.String(), "visible to other users in ps") {
		t.Fatalf("--help does not say to prefer the file or standard input:\n%s", out.String())
	}
}
