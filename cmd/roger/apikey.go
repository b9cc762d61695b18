package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/ldapdir"
)

const apikeyUsage = `Usage:
  roger apikey create [--org ORG] [--name NAME]   make a key for the lookup API; it is printed once
        [--ldap [--national]]                     … or for phones reading the LDAP directory (numbers in the national form)
  roger apikey list [--org ORG]                   an organisation's keys, with prefix and last use
  roger apikey revoke [--org ORG] ID              stop a key from working (within seconds)

The telephony sends the key as "Authorization: Bearer <key>" with every
GET /api/v1/lookup?number=…; see /api/v1/openapi.json.
`

func (m *Main) runAPIKey(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(m.Stdout, apikeyUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "create":
		return m.apikeyCreate(ctx, args[1:])
	case "list":
		return m.apikeyList(ctx, args[1:])
	case "revoke":
		return m.apikeyRevoke(ctx, args[1:])
	}
	fmt.Fprintf(m.Stderr, "roger apikey: unknown command %q\n\n%s", args[0], apikeyUsage)
	return errUsage
}

func (m *Main) apikeyCreate(ctx context.Context, args []string) error {
	fs := m.flags("roger apikey create")
	orgName := fs.String("org", "default", "the organisation whose directory the key reads")
	name := fs.String("name", "", "what the key is for, such as \"Teams contact centre\" (default: made on this date)")
	forLDAP := fs.Bool("ldap", false, "a key for phones and PBXs reading the LDAP directory, not for the lookup API")
	national := fs.Bool("national", false, "with --ldap: phones get numbers in the national form (0201234567), not E.164")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *national && !*forLDAP {
		return fmt.Errorf("--national is an option of phone keys: add --ldap")
	}
	kind := roger.APIKeyLookup
	if *forLDAP {
		kind = roger.APIKeyLDAP
	}
	if *name == "" {
		*name = "made on the command line " + time.Now().Format("2006-01-02")
	}
	return m.inOrg(ctx, *orgName, func(a *app, org *roger.Organization) error {
		k, key, err := a.store.CreateKey(ctx, org.ID, *name, kind, *national)
		if err != nil {
			return err
		}
		if kind == roger.APIKeyLDAP {
			_ = a.store.AppendAudit(ctx, org.ID, "command line", "apikey.create", "apikey/"+strconv.FormatInt(k.ID, 10), "name "+k.Name+", prefix "+k.Prefix+", for ldap")
			fmt.Fprintln(m.Stdout, key)
			fmt.Fprintf(m.Stderr, "Phone key %d %q for %s. It is shown only this once: store it now. In the phone's LDAP settings: bind DN %s, password the key, base DN %s.\n",
				k.ID, k.Name, org.Name, ldapdir.BindDN(k), ldapdir.BaseDN(org.ID))
			return nil
		}
		_ = a.store.AppendAudit(ctx, org.ID, "command line", "apikey.create", "apikey/"+strconv.FormatInt(k.ID, 10), "name "+k.Name+", prefix "+k.Prefix)
		fmt.Fprintln(m.Stdout, key)
		fmt.Fprintf(m.Stderr, "API key %d %q for %s. It is shown only this once: store it now. Send it as \"Authorization: Bearer <key>\".\n", k.ID, k.Name, org.Name)
		return nil
	})
}

// inOrg opens the database and runs fn with the named organisation.
func (m *Main) inOrg(ctx context.Context, orgName string, fn func(a *app, org *roger.Organization) error) error {
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	org, err := a.findOrg(ctx, orgName, false)
	if err != nil {
		return err
	}
	return fn(a, org)
}

func (m *Main) apikeyList(ctx context.Context, args []string) error {
	fs := m.flags("roger apikey list")
	orgName := fs.String("org", "default", "the organisation")
	if err := parse(fs, args); err != nil {
		return err
	}
	return m.inOrg(ctx, *orgName, func(a *app, org *roger.Organization) error {
		keys, err := a.store.ListAPIKeys(ctx, org.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tCREATED\tLAST USED\tSTATE")
		for _, k := range keys {
			state := "active"
			if !k.Revoked.IsZero() {
				state = "revoked " + keyTime(k.Revoked)
			}
			fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, keyTime(k.Created), keyTime(k.LastUsed), state)
		}
		return tw.Flush()
	})
}

// keyTime formats a time for the key list.
func keyTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func (m *Main) apikeyRevoke(ctx context.Context, args []string) error {
	fs := m.flags("roger apikey revoke")
	orgName := fs.String("org", "default", "the organisation the key belongs to")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("give the id of one key to revoke (see roger apikey list)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a key id (see roger apikey list)", fs.Arg(0))
	}
	return m.inOrg(ctx, *orgName, func(a *app, org *roger.Organization) error {
		if err := a.store.RevokeAPIKey(ctx, org.ID, id); err != nil {
			return err
		}
		_ = a.store.AppendAudit(ctx, org.ID, "command line", "apikey.revoke", "apikey/"+strconv.FormatInt(id, 10), "")
		fmt.Fprintf(m.Stdout, "API key %d is revoked; running servers refuse it within seconds.\n", id)
		return nil
	})
}
