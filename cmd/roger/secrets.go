package main

import (
	"context"
	"fmt"

	"github.com/roger365io/roger/internal/secret"
)

func (m *Main) runSecrets(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(m.Stderr, `Usage:
  roger secrets generate   print a new key line ("<id> <base64>") for ROGER_SECRET_KEY or a key file
  roger secrets rotate     add a new key to the key file and seal every stored secret under it
`)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "generate":
		k, err := secret.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, k.FileLine())
		return nil
	case "rotate":
		return m.rotateSecrets(ctx)
	default:
		return fmt.Errorf("unknown secrets command %q: use generate or rotate", args[0])
	}
}

// rotateSecrets appends a key to the key file, then re-seals every stored
// secret under it. A running server must be restarted afterwards: it keeps
// the keys it loaded.
func (m *Main) rotateSecrets(ctx context.Context) error {
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.keySource == secret.EnvKey {
		return fmt.Errorf("the keys come from ROGER_SECRET_KEY: add a line from \"roger secrets generate\" at its end, restart, then run rotate again to re-seal")
	}
	current := a.keys
	if current.CurrentID() == "" {
		return fmt.Errorf("no current key")
	}
	k, err := secret.AppendKeyFile(a.keySource)
	if err != nil {
		return err
	}
	keys, _, _, err := secret.LoadKeyring(m.getenv(), a.cfg.DataDir)
	if err != nil {
		return err
	}
	if keys.CurrentID() != k.ID {
		return fmt.Errorf("the new key %s is not the current one after reloading %s", k.ID, a.keySource)
	}
	n, err := a.store.ResealAll(ctx, keys.Reseal)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Added key %s to %s and re-sealed %d stored secrets under it. Restart running roger servers so they load the new key.\n", k.ID, a.keySource, n)
	return nil
}
