package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/password"
)

const userUsage = `Usage:
  roger user add --email ADDRESS [--role ROLE] [--org ORG] [--create-org] [--password-file FILE]

Adds an admin who signs in to the portal. Without --password-file a
password is generated and printed once. --create-org creates the
organisation when it does not exist yet (the first admin of a new tenant).
--role is owner (the default: manages the admins too), admin (manages
replicators, API keys and notifications) or read-only (sees everything,
changes nothing).
`

func (m *Main) runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(m.Stdout, userUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	if args[0] != "add" {
		fmt.Fprintf(m.Stderr, "roger user: unknown command %q\n\n%s", args[0], userUsage)
		return errUsage
	}
	fs := m.flags("roger user add")
	var (
		email     = fs.String("email", "", "the admin's e-mail address (the sign-in name)")
		orgName   = fs.String("org", "default", "the organisation the admin manages")
		createOrg = fs.Bool("create-org", false, "create the organisation if it does not exist")
		pwFile    = fs.String("password-file", "", "read the password from `FILE` instead of generating one")
		roleName  = fs.String("role", string(roger.RoleOwner), "the admin's `ROLE`: owner, admin or read-only")
	)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	addr := strings.ToLower(strings.TrimSpace(*email))
	if !strings.Contains(addr, "@") {
		return fmt.Errorf("--email: give the admin's e-mail address, such as anna@example.nl")
	}
	role, err := roger.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("--role: %s", roger.ErrorMessage(err))
	}
	pw := password.Generate()
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
		if len(pw) < 12 {
			return fmt.Errorf("--password-file: the password must have at least 12 characters")
		}
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	org, err := a.store.FindOrganizationByName(ctx, *orgName)
	if roger.ErrorCodeOf(err) == roger.ENOTFOUND && *createOrg {
		org = &roger.Organization{Name: *orgName}
		err = a.store.CreateOrganization(ctx, org)
	} else if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
		// Only the default organisation of a new installation is made
		// without asking: a mistyped name must not start a new tenant.
		org, err = a.findOrg(ctx, *orgName, *orgName == "default")
		if err != nil {
			return fmt.Errorf("%s (add --create-org to create it)", roger.ErrorMessage(err))
		}
	}
	if err != nil {
		return err
	}
	hash, err := password.Hash(pw, password.Default)
	if err != nil {
		return err
	}
	u := &roger.User{OrgID: org.ID, Email: addr, PasswordHash: hash, Role: role}
	if err := a.store.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("the admin was not added: %s", roger.ErrorMessage(err))
	}
	_ = a.store.AppendAudit(ctx, org.ID, "command line", "admin.create", "admin/"+u.Email, "role "+string(u.Role))
	fmt.Fprintf(m.Stdout, "Added admin %s (%s) to organisation %q.\n", u.Email, u.Role.Label(), org.Name)
	if *pwFile == "" {
		fmt.Fprintf(m.Stdout, "Password (shown only now): %s\n", pw)
	}
	return nil
}
