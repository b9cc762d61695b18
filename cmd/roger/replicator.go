package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/phone"
	"github.com/roger365io/roger/internal/replicate"
)

const replicatorUsage = `Usage:
  roger replicator add --name NAME --entity accounts|contacts --exact-url URL --client-id ID --client-secret SECRET
                       --contact-url TEMPLATE --country CC [--division N] [--interval 5m] [--org ORG]
  roger replicator list [--org ORG]
  roger replicator authorize ID      print the URL to open; the running "roger serve" receives the callback
  roger replicator sync ID --wait    sync now and print the run's counts
`

func (m *Main) runReplicator(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(m.Stderr, replicatorUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "add":
		return m.replicatorAdd(ctx, args[1:])
	case "list":
		return m.replicatorList(ctx, args[1:])
	case "authorize":
		return m.replicatorAuthorize(ctx, args[1:])
	case "sync":
		return m.replicatorSync(ctx, args[1:])
	default:
		fmt.Fprintf(m.Stderr, "roger replicator: unknown command %q\n\n%s", args[0], replicatorUsage)
		return errUsage
	}
}

func (m *Main) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return fs
}

// parse reads a command's flags. After --help it returns flag.ErrHelp,
// which Run treats as success: the help text has been printed.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return errUsage
	}
	return nil
}

// findOrg returns the named organisation. With the default name and no
// organisation at all yet, it creates it: the first replicator of a new
// installation needs no separate step.
func (a *app) findOrg(ctx context.Context, name string, create bool) (*roger.Organization, error) {
	org, err := a.store.FindOrganizationByName(ctx, name)
	if err == nil || roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		return org, err
	}
	all, lerr := a.store.ListOrganizations(ctx)
	if lerr != nil {
		return nil, lerr
	}
	if len(all) == 0 && create {
		org = &roger.Organization{Name: name}
		return org, a.store.CreateOrganization(ctx, org)
	}
	names := make([]string, len(all))
	for i, o := range all {
		names[i] = o.Name
	}
	return nil, roger.Errorf(roger.ENOTFOUND, "There is no organisation %q; choose one of: %s.", name, strings.Join(names, ", "))
}

func (m *Main) replicatorAdd(ctx context.Context, args []string) error {
	fs := m.flags("roger replicator add")
	var (
		name         = fs.String("name", "", "a name for the replicator, e.g. \"Exact – contacts\"")
		entity       = fs.String("entity", "", "accounts or contacts")
		exactURL     = fs.String("exact-url", "https://start.exactonline.nl", "the Exact Online host (or the simulator's URL)")
		clientID     = fs.String("client-id", "", "the app's Client ID from the Exact App Center")
		clientSecret = fs.String("client-secret", "", "the app's Client Secret from the Exact App Center")
		contactURL   = fs.String("contact-url", "", "link template to the CRM card with {SourceId}, {CompanyId}, {Division}")
		country      = fs.String("country", "", "default country for numbers without a country code: NL or +31")
		division     = fs.Int("division", 0, "the Exact division (default: _Division_ of --contact-url, else the one Exact reports at authorization)")
		interval     = fs.Duration("interval", 5*time.Minute, "time between syncs")
		orgName      = fs.String("org", "default", "the organisation")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	r := &roger.Replicator{Name: strings.TrimSpace(*name), Source: roger.SourceExactOnline, Entity: roger.Entity(*entity),
		ClientID: roger.NormalizeClientID(*clientID), Interval: *interval, Division: *division, State: roger.StateAwaitingAuthorization}
	var problems []string
	if r.Name == "" {
		problems = append(problems, "--name: give the replicator a name")
	}
	if !r.Entity.Valid() {
		problems = append(problems, fmt.Sprintf("--entity %q: use accounts or contacts", *entity))
	}
	var err error
	if r.ExactURL, err = roger.ParseExactURL(*exactURL); err != nil {
		problems = append(problems, "--exact-url: "+roger.ErrorMessage(err))
	}
	if r.ClientID == "" {
		problems = append(problems, "--client-id: paste the Client ID of the app you registered in the Exact App Center")
	}
	if *clientSecret == "" {
		problems = append(problems, "--client-secret: paste the Client Secret of that app")
	}
	if c, err := roger.ParseContactURL(*contactURL); err != nil {
		problems = append(problems, "--contact-url: "+strings.TrimPrefix(roger.ErrorMessage(err), "Contact URL: "))
	} else {
		r.ContactURL = c.Template
		if r.Division == 0 {
			r.Division = c.Division
		} else if c.Division != 0 && c.Division != r.Division {
			problems = append(problems, fmt.Sprintf("--division %d differs from _Division_=%d in --contact-url: make them the same", r.Division, c.Division))
		}
	}
	if r.DefaultCountry, err = phone.ParseCountry(*country); err != nil {
		problems = append(problems, "--country: "+roger.ErrorMessage(err))
	}
	if *interval < time.Minute {
		problems = append(problems, "--interval: sync at most once a minute (Exact allows 60 calls a minute per app and division)")
	}
	if len(problems) > 0 {
		return fmt.Errorf("the replicator was not added:\n  %s", strings.Join(problems, "\n  "))
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	org, err := a.findOrg(ctx, *orgName, true)
	if err != nil {
		return err
	}
	r.OrgID = org.ID
	if err := a.store.CreateReplicator(ctx, r); err != nil {
		return fmt.Errorf("the replicator was not added: %s", roger.ErrorMessage(err))
	}
	if err := a.store.SaveClientSecret(ctx, r.ID, *clientSecret); err != nil {
		_ = a.store.DeleteReplicator(ctx, org.ID, r.ID)
		return err
	}
	_ = a.store.AppendAudit(ctx, org.ID, "command line", "replicator.create", "replicator/"+strconv.FormatInt(r.ID, 10), "name "+r.Name)
	fmt.Fprintf(m.Stdout, "Added replicator %d %q.\nRedirect URL (register it with the app in the Exact App Center): %s\nNext: roger replicator authorize %d\n",
		r.ID, r.Name, a.cfg.RedirectURL(r.ID), r.ID)
	return nil
}

func (m *Main) replicatorList(ctx context.Context, args []string) error {
	fs := m.flags("roger replicator list")
	orgName := fs.String("org", "", "only this organisation")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var orgID int64
	if *orgName != "" {
		org, err := a.findOrg(ctx, *orgName, false)
		if err != nil {
			return err
		}
		orgID = org.ID
	}
	list, err := a.store.ListReplicators(ctx, orgID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tENTITY\tDIVISION\tSTATE\tENTRIES\tUNPARSEABLE\tLAST SYNC\tMESSAGE")
	for _, r := range list {
		entries, bad, _ := a.store.CountEntries(ctx, r.ID)
		last := "never"
		if !r.LastSyncAt.IsZero() {
			last = r.LastSyncAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", r.ID, r.Name, r.Entity, r.Division, r.State, entries, bad, last, r.StateMessage)
	}
	return tw.Flush()
}

func (m *Main) replicatorID(args []string, usage string) (int64, []string, error) {
	if len(args) == 0 {
		return 0, nil, fmt.Errorf("missing replicator id: %s", usage)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, fmt.Errorf("%q is not a replicator id (see roger replicator list)", args[0])
	}
	return id, args[1:], nil
}

func (m *Main) replicatorAuthorize(ctx context.Context, args []string) error {
	id, _, err := m.replicatorID(args, "roger replicator authorize ID")
	if err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.store.FindReplicatorByID(ctx, id)
	if err != nil {
		return err
	}
	state, err := a.store.CreateOAuthState(ctx, r.ID, "", 30*time.Minute)
	if err != nil {
		return err
	}
	url := exact.AuthCodeURL(exact.Config{BaseURL: r.ExactURL, ClientID: r.ClientID, RedirectURL: a.cfg.RedirectURL(r.ID)}, state, false)
	fmt.Fprintf(m.Stdout, "Open this URL in a browser, sign in to Exact Online and allow access (within 30 minutes):\n%s\n"+
		"\"roger serve\" must be running at %s to receive the answer.\n", url, a.cfg.PublicURL)
	return nil
}

func (m *Main) replicatorSync(ctx context.Context, args []string) error {
	id, rest, err := m.replicatorID(args, "roger replicator sync ID --wait")
	if err != nil {
		return err
	}
	fs := m.flags("roger replicator sync")
	wait := fs.Bool("wait", false, "sync in this process and wait for the result (without it, ask the running server to sync now)")
	if err := parse(fs, rest); err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.store.FindReplicatorByID(ctx, id); err != nil {
		return err
	}
	if !*wait {
		if err := a.store.RequestSync(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Replicator %d is due now; the running server syncs it within seconds.\n", id)
		return nil
	}
	// The lease keeps a running server from syncing the same replicator
	// while this command does.
	owner := "cli/" + a.cfg.Instance
	claimed, err := a.store.ClaimOne(ctx, id, owner, 10*time.Minute)
	if err != nil {
		return err
	}
	if !claimed {
		return fmt.Errorf("replicator %d is being synced by another instance right now; try again when it is done", id)
	}
	syncer := &replicate.Syncer{Store: a.store, Budgets: exact.NewBudgetRegistry(nil), RedirectURL: a.cfg.RedirectURL, PagesPerCommit: a.cfg.PagesPerCommit,
		OnProgress: func(run *roger.SyncRun) {
			fmt.Fprintf(m.Stderr, "\r%d records read, %d API calls", run.Read, run.APICalls)
		}}
	run, serr := syncer.Sync(ctx, id, roger.TriggerManual)
	r, _ := a.store.FindReplicatorByID(context.WithoutCancel(ctx), id)
	next := time.Now().Add(5 * time.Minute)
	if r != nil {
		next = time.Now().Add(r.Interval)
	}
	_ = a.store.ReleaseLease(context.WithoutCancel(ctx), id, owner, next)
	fmt.Fprintln(m.Stderr)
	if run != nil {
		kind := "increment"
		if run.Full {
			kind = "full sync"
		}
		fmt.Fprintf(m.Stdout, "%s %s: read %d, created %d, updated %d, deleted %d, unparseable numbers %d, API calls %d, %s\n",
			kind, run.Outcome, run.Read, run.Created, run.Updated, run.Deleted, run.Unparseable, run.APICalls, run.Ended.Sub(run.Started).Round(time.Millisecond))
	}
	if serr != nil {
		return fmt.Errorf("sync failed: %s", roger.ErrorMessage(serr))
	}
	return nil
}
