package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/password"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

func TestUserAdd(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no address", []string{"user", "add", "--email", "anna"}, "--email: give the admin's e-mail address"},
		{"unknown organisation", []string{"user", "add", "--email", "anna@example.nl", "--org", "Nope"}, "add --create-org"},
		{"short password", []string{"user", "add", "--email", "anna@example.nl", "--password-file", writeFile(t, "short\n")}, "at least 12 characters"},
		{"unknown subcommand", []string{"user", "remove"}, `unknown command "remove"`},
		{"unknown role", []string{"user", "add", "--email", "anna@example.nl", "--role", "boss"}, "--role: \"boss\" is not a role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, getenv, tc.args...)
			if err == nil || !strings.Contains(out+err.Error(), tc.want) {
				t.Fatalf("%v: %v\n%s", tc.args, err, out)
			}
		})
	}
	// The first organisation is made on request; the password is printed
	// once and works.
	out, err := run(t, getenv, "user", "add", "--email", "Anna@Example.nl", "--org", "Voorbeeld", "--create-org")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pw := regexp.MustCompile(`Password \(shown only now\): (\S+)`).FindStringSubmatch(out)
	if pw == nil || !strings.Contains(out, `Added admin anna@example.nl (Owner) to organisation "Voorbeeld"`) {
		t.Fatalf("output:\n%s", out)
	}
	if out, err := run(t, getenv, "user", "add", "--email", "anna@example.nl", "--org", "Voorbeeld"); err == nil || !strings.Contains(err.Error(), "anna@example.nl is already an admin of this organisation") {
		t.Fatalf("duplicate: %v\n%s", err, out)
	}
	// In another organisation the answer does not say where the address
	// is in use, or that it is.
	out, err = run(t, getenv, "user", "add", "--email", "anna@example.nl", "--org", "Ander", "--create-org")
	if err == nil || !strings.Contains(err.Error(), "anna@example.nl cannot be added as an admin; use another e-mail address") ||
		strings.Contains(err.Error(), "already") || strings.Contains(err.Error()+out, "Voorbeeld") {
		t.Fatalf("an admin of another organisation: %v\n%s", err, out)
	}
	out, err = run(t, getenv, "user", "add", "--email", "bert@example.nl", "--org", "Voorbeeld", "--role", "read-only", "--password-file", writeFile(t, "a long enough password\n"))
	if err != nil || strings.Contains(out, "Password") || !strings.Contains(out, "(Read-only)") {
		t.Fatalf("with a password file: %v\n%s", err, out)
	}

	out, err = run(t, getenv, "user", "list", "--org", "Voorbeeld")
	if err != nil || !strings.Contains(out, "anna@example.nl  owner") || !strings.Contains(out, "bert@example.nl  read-only  never") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	// The way back in for an owner who forgot their password.
	out, err = run(t, getenv, "user", "password", "--email", "anna@example.nl")
	newPw := regexp.MustCompile(`Password \(shown only now\): (\S+)`).FindStringSubmatch(out)
	if err != nil || newPw == nil || newPw[1] == pw[1] {
		t.Fatalf("password: %v\n%s", err, out)
	}
	pw = newPw
	if out, err := run(t, getenv, "user", "password", "--email", "nobody@example.nl"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Fatalf("password of nobody: %v\n%s", err, out)
	}

	ctx := context.Background()
	dataDir := getenv("ROGER_DATA_DIR")
	keys, _, _, err := secret.LoadKeyring(getenv, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, filepath.Join(dataDir, "roger.db"), sqlstore.Options{Sealer: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for email, pwd := range map[string]string{"anna@example.nl": pw[1], "bert@example.nl": "a long enough password"} {
		u, err := store.FindUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := password.Verify(pwd, u.PasswordHash); err != nil {
			t.Fatalf("%s cannot sign in with the password: %v", email, err)
		}
		if want := map[string]roger.Role{"anna@example.nl": roger.RoleOwner, "bert@example.nl": roger.RoleReadOnly}[email]; u.Role != want {
			t.Errorf("%s is %s, want %s", email, u.Role, want)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
