package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/ldapdir"
	"github.com/roger365io/roger/internal/password"
	"github.com/roger365io/roger/internal/web"
)

// runDemo runs roger with everything embedded: SQLite in a data
// directory, the Exact Online simulator on a second port with seeded
// companies and people at work in them, an organisation and its admin.
func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs := m.flags("roger demo")
	var (
		addr     = fs.String("addr", "127.0.0.1:8080", "`HOST:PORT` of the portal")
		simAddr  = fs.String("exactsim-addr", "127.0.0.1:8090", "`HOST:PORT` of the Exact Online simulator")
		dataDir  = fs.String("data-dir", "roger-demo", "`DIR` for the database, the secret key and the simulator's state")
		records  = fs.Int("records", 3000, "records to generate in each Exact division (a fifth accounts, the rest contacts)")
		activity = fs.Int("activity", 6, "changes a minute made in Exact, as if people were at work there (0: none)")
		admin    = fs.String("admin", "admin@example.com", "e-mail address of the demo admin")
		logLevel = fs.String("log", "warn", "log level: debug, info, warn or error")
	)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: roger demo [flags]\n\nRuns roger with SQLite and the built-in Exact Online simulator, so the whole setup guide can be walked\nwithout an Exact account. It prints where to go and how to sign in.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log %q: use debug, info, warn or error", *logLevel)
	}
	if *records < 0 || *records > 1_000_000 {
		return fmt.Errorf("--records must be between 0 and 1000000, not %d", *records)
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("create the data directory %s: %w", *dataDir, err)
	}

	// The simulator first: its address is offered as an Exact host.
	simLn, err := net.Listen("tcp", *simAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another address with --exactsim-addr)", *simAddr, err)
	}
	defer simLn.Close()
	simURL := "http://" + simLn.Addr().String()
	sim := exactsim.New(exactsim.Options{Clock: &clock.Offset{}, Seed: 1, BaseURL: simURL})
	defer sim.Close()
	statePath := filepath.Join(*dataDir, "exactsim.state")
	if _, err := os.Stat(statePath); err == nil {
		if err := sim.Load(statePath); err != nil {
			return fmt.Errorf("%w (delete %s to start the simulator afresh)", err, statePath)
		}
	} else if err := setUp(sim, []string{defaultUser}, *records); err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	simSrv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = simSrv.Serve(simLn) }()
	defer simSrv.Close()
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	go sim.RunActivity(simCtx, *activity)
	go saveEvery(simCtx, sim, statePath, 10*time.Second, m)
	defer func() {
		if err := sim.Save(statePath); err != nil {
			fmt.Fprintln(m.Stderr, "roger demo: save the simulator's state:", err)
		}
	}()

	// roger itself, on SQLite in the data directory.
	env := m.getenv()
	dm := *m
	dm.Getenv = func(k string) string {
		switch k {
		case "ROGER_DATA_DIR":
			return *dataDir
		case "ROGER_DATABASE_URL", "ROGER_DATABASE_URL_FILE":
			return ""
		case "ROGER_ADDR":
			return *addr
		case "ROGER_PUBLIC_URL":
			return "http://" + *addr
		case "ROGER_LDAP_ADDR":
			if v := env(k); v != "" {
				return v
			}
			return demoLDAPAddr
		}
		return env(k)
	}
	a, err := dm.openOrCreateApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	email, pw, orgID, err := demoAdmin(ctx, a, *admin)
	if err != nil {
		return err
	}
	key, err := demoAPIKey(ctx, a, orgID)
	if err != nil {
		return err
	}
	a.ldapAnyPort = a.cfg.LDAP.Addr == demoLDAPAddr
	ldapDN, ldapKeyFile, err := demoLDAPKey(ctx, a, orgID, *dataDir)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	portal := m.portal(a, log, web.ExactHost{URL: simURL, Label: "Exact Online simulator (" + simURL + ")"})
	return m.serve(ctx, a, log, portal, func(string) {
		w := m.Stdout
		fmt.Fprintf(w, "\nroger demo is running. Open %s\n", a.cfg.PublicURL)
		fmt.Fprintf(w, "  Sign in:        %s / %s  (a new password at every start of the demo)\n", email, pw)
		fmt.Fprintf(w, "  Exact Online:   %s  (the simulator; sign in there as demo / demo)\n", simURL)
		fmt.Fprintf(w, "  App Center:     %s/appcenter  (register an app with the replicator's Redirect URL)\n", simURL)
		fmt.Fprintf(w, "  Relations:      %s/docs/MenuPortal.aspx  (a relation's link shows _Division_=)\n", simURL)
		fmt.Fprintf(w, "  Webhooks:       on once the app's webhook secret (its App Center page) is pasted in step 2: changes arrive within seconds\n")
		number, found := demoLookupNumber(ctx, a, orgID)
		fmt.Fprintf(w, "  Lookup API:     curl -H 'Authorization: Bearer %s' '%s/api/v1/lookup?number=%s'\n", key, a.cfg.PublicURL, number)
		if !found {
			fmt.Fprintln(w, "                  (finds nothing until a replicator's first sync; then use a number of a relation in Exact)")
		}
		if a.ldapAddr != "" {
			fmt.Fprintf(w, "  LDAP (phones):  ldapsearch -x -H ldap://%s -D '%s' -y %s -b '%s' -z 3 '(&(description=contact)(telephoneNumber=*))' cn telephoneNumber mobile  (after the first sync of contacts)\n",
				a.ldapAddr, ldapDN, ldapKeyFile, ldapdir.BaseDN(orgID))
		}
		fmt.Fprintf(w, "  Alerts:         %s/notifications  (channels told when a replicator breaks; %s/_sim/chains/supersede breaks one's authorization)\n", a.cfg.PublicURL, simURL)
		fmt.Fprintf(w, "  Data:           %s (delete it to start over)\n", *dataDir)
		fmt.Fprintf(w, "  Command line:   ROGER_DATA_DIR=%s roger replicator list  (any roger command on the demo's data)\n", shellQuote(*dataDir))
		fmt.Fprintln(w, "Follow the setup guide: create a replicator, register its Redirect URL in the App Center, paste the")
		fmt.Fprintln(w, "Client ID and Secret, Authorize application, then fill in the Contact URL and Country Code. Ctrl-C stops.")
	})
}

// demoLDAPAddr is the demo's LDAP address: the port an LDAP server on
// loopback is usually given (3890, as 389 needs privileges); when another
// program has it, the demo takes any free port.
const demoLDAPAddr = "127.0.0.1:3890"

// demoLDAPKeyName names the LDAP key the demo makes at every start.
const demoLDAPKeyName = "roger demo phones"

// demoLDAPKey replaces the demo's LDAP key and writes it to a file in the
// data directory (readable by its owner only), which ldapsearch reads with
// -y: a key on the command line would show in the process list. It
// returns the bind DN and the file.
func demoLDAPKey(ctx context.Context, a *app, orgID int64, dataDir string) (dn, file string, err error) {
	keys, err := a.store.ListAPIKeys(ctx, orgID)
	if err != nil {
		return "", "", err
	}
	for _, k := range keys {
		if k.Name == demoLDAPKeyName && k.Revoked.IsZero() {
			if err := a.store.RevokeAPIKey(ctx, orgID, k.ID); err != nil {
				return "", "", err
			}
		}
	}
	k, key, err := a.store.CreateKey(ctx, orgID, demoLDAPKeyName, roger.APIKeyLDAP, false)
	if err != nil {
		return "", "", err
	}
	file = filepath.Join(dataDir, "ldap-demo.key")
	if err := os.WriteFile(file, []byte(key), 0o600); err != nil {
		return "", "", fmt.Errorf("write the demo's LDAP key: %w", err)
	}
	return ldapdir.BindDN(k), file, nil
}

// demoKeyName names the API key the demo makes at every start.
const demoKeyName = "roger demo"

// demoAPIKey replaces the demo's API key: the key is shown only when it
// is made, so each start revokes the previous one and prints a new one.
func demoAPIKey(ctx context.Context, a *app, orgID int64) (string, error) {
	keys, err := a.store.ListAPIKeys(ctx, orgID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.Name == demoKeyName && k.Revoked.IsZero() {
			if err := a.store.RevokeAPIKey(ctx, orgID, k.ID); err != nil {
				return "", err
			}
		}
	}
	_, key, err := a.store.CreateAPIKey(ctx, orgID, demoKeyName)
	return key, err
}

// demoAdmin makes sure the demo organisation has its admin and gives the
// admin a fresh password, returned to be printed with the organisation.
func demoAdmin(ctx context.Context, a *app, email string) (string, string, int64, error) {
	org, err := a.store.FindOrganizationByName(ctx, "Demo")
	if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
		org = &roger.Organization{Name: "Demo", DefaultCountry: "NL"}
		err = a.store.CreateOrganization(ctx, org)
	}
	if err != nil {
		return "", "", 0, err
	}
	pw := password.Generate()
	hash, err := password.Hash(pw, password.Default)
	if err != nil {
		return "", "", 0, err
	}
	u, err := a.store.FindUserByEmail(ctx, email)
	switch {
	case roger.ErrorCodeOf(err) == roger.ENOTFOUND:
		u = &roger.User{OrgID: org.ID, Email: email, PasswordHash: hash}
		if err := a.store.CreateUser(ctx, u); err != nil {
			return "", "", 0, err
		}
	case err != nil:
		return "", "", 0, err
	default:
		if err := a.store.SetPassword(ctx, u.ID, hash); err != nil {
			return "", "", 0, err
		}
	}
	return u.Email, pw, org.ID, nil
}
