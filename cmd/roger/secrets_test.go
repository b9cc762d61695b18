package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

func TestSecretsRotateResealsEverything(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	out, err := run(t, getenv, "replicator", "add", "--name", "contacts", "--entity", "contacts", "--client-id", "6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01",
		"--client-secret", "s3cret-4f2a", "--contact-url", goodContactURL, "--country", "NL")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	keyFile := filepath.Join(getenv("ROGER_DATA_DIR"), "secret.key")
	before, _ := os.ReadFile(keyFile)

	out, err = run(t, getenv, "secrets", "rotate")
	if err != nil || !strings.Contains(out, "re-sealed 1 stored secrets") {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	after, _ := os.ReadFile(keyFile)
	if !strings.HasPrefix(string(after), strings.TrimSpace(string(before))) || len(after) <= len(before) {
		t.Fatal("rotate must keep the old key and add a new one")
	}
	// Only the new key is needed now: the secret opens with it alone.
	keys, _, _, err := secret.LoadKeyring(getenv, getenv("ROGER_DATA_DIR"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(after)), "\n")
	newest := lines[len(lines)-1]
	onlyNew, _, _, err := secret.LoadKeyring(func(k string) string {
		if k == secret.EnvKey {
			return newest
		}
		return ""
	}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := storedClientSecret(t, getenv, onlyNew)
	if err != nil || got != "s3cret-4f2a" {
		t.Fatalf("after rotation the newest key alone must open the secret: %q %v (current key %s)", got, err, keys.CurrentID())
	}
	if strings.Contains(out, "s3cret") {
		t.Fatalf("rotate printed the secret: %s", out)
	}
}

func TestSecretsGeneratePrintsAKeyLine(t *testing.T) {
	out, err := run(t, testEnv(t, "127.0.0.1:0"), "secrets", "generate")
	fields := strings.Fields(out)
	if err != nil || len(fields) != 2 || len(fields[1]) < 43 {
		t.Fatalf("generate: %v %q", err, out)
	}
}

// storedClientSecret opens the data directory's database with keys and
// returns the Client Secret of replicator 1 as they open it.
func storedClientSecret(t *testing.T, getenv func(string) string, keys *secret.Keyring) (string, error) {
	t.Helper()
	store, err := sqlstore.Open(context.Background(), filepath.Join(getenv("ROGER_DATA_DIR"), "roger.db"), sqlstore.Options{Sealer: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	return store.ClientSecret(context.Background(), 1)
}
