package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/replicate"
)

const replicatorUsage = `Usage:
  roger replicator add --name NAME --entity accounts|contacts --exact-url URL --client-id ID --client-secret-file FILE
                       --contact-url TEMPLATE --country CC [--division N] [--interval 5m] [--org ORG]
                       (--client-secret - reads the secret from standard input; prefer either to
                       --client-secret SECRET, which other users of the machine can see in ps)
  roger replicator set --id ID [--contact-url TEMPLATE] [--country CC] [--interval 5m]
                       [--webhook-secret-file FILE | --webhook-secret -]
                       change a replicator's settings, checked as the portal checks them; the app's
                       webhook secret (from a file or standard input only) turns Exact's webhooks on
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
	case "set":
		return m.replicatorSet(ctx, args[1:])
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
		clientSecret = fs.String("client-secret", "", "the app's Client Secret; - reads it from standard input. Prefer - or --client-secret-file: a secret on the command line is visible to other users in ps")
		secretFile   = fs.String("client-secret-file", "", "a file holding the app's Client Secret (the preferred way to pass it)")
		contactURL   = fs.String("contact-url", "", "link template to the CRM card with {SourceId}, {CompanyId}, {Division}")
		country      = fs.String("country", "", "default country for numbers without a country code: NL or +31")
		division     = fs.Int("division", 0, "the Exact division (default: _Division_ of --contact-url, else the one Exact reports at authorization)")
		interval     = fs.Duration("interval", 5*time.Minute, "time between syncs, in whole minutes from 1m to 24h")
		orgName      = fs.String("org", "default", "the organisation")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	secret, err := m.readSecret(*clientSecret, *secretFile)
	if err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	// The organisation is found (or, for the first replicator, created)
	// only for input the service accepts.
	svc := m.replicatorService(a, nil)
	in := roger.ReplicatorInput{Name: *name, Entity: roger.Entity(*entity), ExactURL: *exactURL,
		Credentials: &roger.CredentialsInput{ClientID: *clientID, ClientSecret: secret},
		Settings:    &roger.SettingsInput{ContactURL: *contactURL, Country: *country, Interval: *interval, Division: *division}}
	if err := svc.Validate(ctx, in); err != nil {
		return refusedFlags("the replicator was not added", err)
	}
	org, err := a.findOrg(ctx, *orgName, true)
	if err != nil {
		return err
	}
	in.OrgID = org.ID
	r, err := svc.Create(roger.NewContextWithActor(ctx, "command line"), in)
	if err != nil {
		return refusedFlags("the replicator was not added", err)
	}
	fmt.Fprintf(m.Stdout, "Added replicator %d %q.\nRedirect URL (register it with the app in the Exact App Center): %s\nNext: roger replicator authorize %d\n",
		r.ID, r.Name, a.cfg.RedirectURL(r.ID), r.ID)
	return nil
}

// replicatorSet changes a replicator's Contact URL, country or interval
// through the replicator service, so they are checked as on the portal's
// Save (the link's division against the authorized user's, too); what is
// not given stays as it is.
func (m *Main) replicatorSet(ctx context.Context, args []string) error {
	fs := m.flags("roger replicator set")
	var (
		id         = fs.Int64("id", 0, "the replicator (see roger replicator list)")
		contactURL = fs.String("contact-url", "", "link template to the CRM card with {SourceId}, {CompanyId}, {Division}")
		country    = fs.String("country", "", "default country for numbers without a country code: NL or +31")
		interval   = fs.Duration("interval", 0, "time between syncs, in whole minutes from 1m to 24h")
		hookSecret = fs.String("webhook-secret", "", "- reads the app's webhook secret from standard input (no other value: a secret on the command line is visible in ps)")
		hookFile   = fs.String("webhook-secret-file", "", "a file holding the app's webhook secret, from its page in the Exact App Center")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if *id <= 0 {
		return errors.New("roger replicator set: give the replicator with --id (see roger replicator list)")
	}
	webhook := given["webhook-secret"] || given["webhook-secret-file"]
	if !given["contact-url"] && !given["country"] && !given["interval"] && !webhook {
		return errors.New("roger replicator set: nothing to change; give --contact-url, --country, --interval or --webhook-secret-file")
	}
	if given["webhook-secret"] && *hookSecret != "-" {
		return errors.New("roger replicator set: --webhook-secret takes only - (standard input): a secret on the command line is visible to other users in ps; or use --webhook-secret-file")
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.store.FindReplicatorByID(ctx, *id)
	if err != nil {
		return err
	}
	if webhook {
		if err := m.setWebhookSecret(ctx, a, r, *hookSecret, *hookFile); err != nil {
			return err
		}
		if !given["contact-url"] && !given["country"] && !given["interval"] {
			return nil
		}
	}
	in := roger.SettingsInput{ContactURL: r.ContactURL, Country: r.DefaultCountry, Interval: r.Interval}
	if given["contact-url"] {
		in.ContactURL = *contactURL
	}
	if given["country"] {
		in.Country = *country
	}
	if given["interval"] {
		in.Interval = *interval
	}
	r, activated, err := m.replicatorService(a, nil).SaveSettings(roger.NewContextWithActor(ctx, "command line"), 0, *id, in)
	if err != nil {
		return refusedFlags("the settings were not saved", err)
	}
	fmt.Fprintf(m.Stdout, "Saved replicator %d %q: division %d, country %s, every %d min.\n", r.ID, r.Name, r.Division, r.DefaultCountry, int(r.Interval/time.Minute))
	if activated {
		fmt.Fprintln(m.Stdout, "It is active now; the running server starts its first sync.")
	}
	return nil
}

// refusedFlags writes the service's refusals as the flags they concern:
// the portal's field client_id is the flag --client-id.
func refusedFlags(what string, err error) error {
	var fields roger.Invalid
	if !errors.As(err, &fields) {
		return fmt.Errorf("%s: %s", what, roger.ErrorMessage(err))
	}
	problems := make([]string, len(fields))
	for i, f := range fields {
		problems[i] = "--" + strings.ReplaceAll(f.Field, "_", "-") + ": " + f.Message
	}
	return fmt.Errorf("%s:\n  %s", what, strings.Join(problems, "\n  "))
}

// readSecret returns the Client Secret from --client-secret-file, from
// standard input (--client-secret -), or from the flag itself.
func (m *Main) readSecret(flagValue, file string) (string, error) {
	var raw []byte
	var err error
	switch {
	case file != "" && flagValue != "":
		return "", errors.New("give the Client Secret once: --client-secret or --client-secret-file")
	case file != "":
		if raw, err = os.ReadFile(file); err != nil {
			return "", fmt.Errorf("--client-secret-file: %w", err)
		}
	case flagValue == "-":
		in := m.Stdin
		if in == nil {
			in = os.Stdin
		}
		if raw, err = io.ReadAll(io.LimitReader(in, 64<<10)); err != nil {
			return "", fmt.Errorf("--client-secret -: read standard input: %w", err)
		}
	default:
		return flagValue, nil
	}
	// A file or a pipe ends in a newline that is not part of the secret.
	return strings.TrimRight(string(raw), "\r\n"), nil
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
		// The portal's story: the same message, and the last
		// authorization's problem, as the replicator's page shows.
		tok, terr := a.store.TokenStore(r.ID).LoadToken(ctx)
		story := r.Story(terr == nil && tok != nil)
		message := strings.TrimSpace(story.Message + " " + story.AuthProblem)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", r.ID, r.Name, r.Entity, r.Division, r.State, entries, bad, last, message)
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
	url, err := m.replicatorService(a, nil).StartAuthorization(roger.NewContextWithActor(ctx, "command line"), 0, id, "", 30*time.Minute)
	if err != nil {
		return err
	}
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
	svc := m.replicatorService(a, nil)
	if !*wait {
		if _, err := svc.SyncNow(roger.NewContextWithActor(ctx, "command line"), 0, id); err != nil {
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
	if _, err := a.store.FindReplicatorByID(ctx, id); err != nil {
		return err
	}
	syncer := &replicate.Syncer{Store: a.store, Reports: svc, Budgets: svc.Budgets, RedirectURL: a.cfg.RedirectURL, PagesPerCommit: a.cfg.PagesPerCommit,
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
