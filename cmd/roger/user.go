package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/password"
)

const userUsage = `Usage:
  roger user add --email ADDRESS [--role ROLE] [--org ORG] [--create-org] [--password-file FILE]
  roger user list [--org ORG]
  roger user password --email ADDRESS [--password-file FILE]

add adds an admin who signs in to the portal. Without --password-file a
password is generated and printed once. --create-org creates the
organisation when it does not exist yet (the first admin of a new tenant).
--role is owner (the default: manages the admins too), admin (manages
replicators, API keys and notifications) or read-only (sees everything,
changes nothing).

list shows an organisation's admins with their roles and last sign-in.

password gives an admin a new password (generated and printed once, or
read from --password-file) and ends their sessions: the way back in for
an owner who forgot theirs. In the portal an owner makes a one-time reset
link for another admin instead.
`

func (m *Main) runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(m.Stdout, userUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "add":
	case "list":
		return m.userList(ctx, args[1:])
	case "password":
		return m.userPassword(ctx, args[1:])
	default:
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
	pw, err := newPassword(*pwFile)
	if err != nil {
		return err
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

// newPassword reads the password in file, or generates one when file is
// "".
func newPassword(file string) (string, error) {
	if file == "" {
		return password.Generate(), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if len(pw) < 12 {
		return "", fmt.Errorf("--password-file: the password must have at least 12 characters")
	}
	return pw, nil
}

func (m *Main) userList(ctx context.Context, args []string) error {
	fs := m.flags("roger user list")
	orgName := fs.String("org", "default", "the organisation whose admins to list")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	org, err := a.findOrg(ctx, *orgName, false)
	if err != nil {
		return fmt.Errorf("%s", roger.ErrorMessage(err))
	}
	users, err := a.store.ListUsers(ctx, org.ID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "E-MAIL\tROLE\tLAST SIGN-IN\tSINCE")
	for _, u := range users {
		last := "never"
		if !u.LastSignIn.IsZero() {
			last = u.LastSignIn.Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Email, u.Role, last, u.Created.Format("2006-01-02"))
	}
	return w.Flush()
}

func (m *Main) userPassword(ctx context.Context, args []string) error {
	fs := m.flags("roger user password")
	var (
		email  = fs.String("email", "", "the admin's e-mail address")
		pwFile = fs.String("password-file", "", "read the password from `FILE` instead of generating one")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	pw, err := newPassword(*pwFile)
	if err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.store.FindUserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("--email: %s", roger.ErrorMessage(err))
	}
	hash, err := password.Hash(pw, password.Default)
	if err != nil {
		return err
	}
	if err := a.store.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	_ = a.store.AppendAudit(ctx, u.OrgID, "command line", "admin.password-cli", "admin/"+u.Email, "")
	fmt.Fprintf(m.Stdout, "New password for %s; their sessions have ended.\n", u.Email)
	if *pwFile == "" {
		fmt.Fprintf(m.Stdout, "Password (shown only now): %s\n", pw)
	}
	return nil
}
