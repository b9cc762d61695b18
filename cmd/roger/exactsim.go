package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
)

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ", ") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

const defaultUser = "demo:demo:123456,234567"

func (m *Main) runExactsim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("roger exactsim", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var (
		apps, users repeated
		addr        = fs.String("addr", "127.0.0.1:8090", "`HOST:PORT` to listen on")
		records     = fs.Int("records", 2000, "records to generate in each division (a fifth accounts, the rest contacts); 0 for none")
		seed        = fs.Uint64("seed", 1, "seed of the generated data")
		state       = fs.String("state", "", "`FILE` to keep the state in across restarts (loaded at start, saved every 10s and at exit)")
		activity    = fs.Int("activity", 0, "random creates, updates and deletes per minute, as if people were working in Exact")
		publicURL   = fs.String("public-url", "", "absolute `URL` the simulator is reached at (default http://ADDR)")

		oldStatus      = fs.Int("old-refresh-token-status", 401, "HTTP status for a superseded refresh token (401 or 400)")
		grace          = fs.Bool("refresh-grace", false, "keep a superseded refresh token valid until its successor is used")
		keepAccess     = fs.Bool("keep-old-access-token", false, "keep the previous access token valid after a refresh")
		tsNumber       = fs.Bool("timestamp-number", false, "serve sync Timestamps as JSON numbers instead of strings")
		contactsFilter = fs.Bool("mandatory-filter-contacts", true, "apply mandatory filtering to crm/Contacts and bulk/CRM/Contacts too")
		skipDollar     = fs.Bool("encode-skiptoken-dollar", false, "write %24skiptoken instead of $skiptoken in __next links")
		encodeNext     = fs.Bool("encode-next-links", false, "percent-encode every name and value in __next links (%24select=ID%2CName&%24skiptoken=…)")
		escapeDates    = fs.Bool("escape-date-slashes", false, `write dates as "\/Date(ms)\/" instead of "/Date(ms)/"`)
		html401        = fs.Bool("unauthorized-html", false, `answer bad tokens with the HTML "Object moved" page instead of an empty 401`)
		requireHTTPS   = fs.Bool("require-https", false, "refuse http:// redirect and callback URIs even on loopback")
		createAction   = fs.String("webhook-create-action", "Create", `webhook Action for new records: "Create" or "Update"`)
		retryBase      = fs.Duration("webhook-retry-base", time.Minute, "first retry delay of a failed webhook delivery (doubles each attempt)")
		minutely       = fs.Int("minutely-limit", 60, "API calls per app per division per minute (negative: no limit)")
		daily          = fs.Int("daily-limit", 5000, "API calls per app per division per day (negative: no limit)")
		accountant     = fs.Int("accountant", 0, "add the user accountant/accountant, who can open every division and `N` more empty ones, as an accounting firm sees its clients' administrations (system/Divisions then pages, 60 at a time)")
	)
	fs.Var(&apps, "app", "pre-register an app: `CLIENT_ID:CLIENT_SECRET:REDIRECT_URI` (repeatable)")
	fs.Var(&users, "user", "a user: `NAME:PASSWORD:DIVISION[,DIVISION…]` (repeatable; default "+defaultUser+")")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: roger exactsim [flags]\n\nRuns a local Exact Online for trying and testing roger without an Exact account.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *oldStatus != 401 && *oldStatus != 400 {
		return fmt.Errorf("--old-refresh-token-status must be 401 or 400, not %d", *oldStatus)
	}
	if *createAction != "Create" && *createAction != "Update" {
		return fmt.Errorf(`--webhook-create-action must be "Create" or "Update", not %q`, *createAction)
	}
	if *records < 0 || *records > 5_000_000 {
		return fmt.Errorf("--records must be between 0 and 5000000, not %d", *records)
	}
	if *accountant < 0 || *accountant > 10_000 {
		return fmt.Errorf("--accountant must be between 0 and 10000, not %d", *accountant)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another address with --addr)", *addr, err)
	}
	defer ln.Close()
	base := *publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	base = strings.TrimSuffix(base, "/")

	clk := &clock.Offset{}
	sim := exactsim.New(exactsim.Options{
		Clock: clk, Seed: *seed, BaseURL: base,
		OldRefreshTokenStatus: *oldStatus, RefreshGrace: *grace, KeepOldAccessToken: *keepAccess,
		TimestampAsNumber: *tsNumber, MandatoryFilterContacts: contactsFilter, EncodeSkiptokenDollar: *skipDollar,
		EncodeNextLinks: *encodeNext, EscapeDateSlashes: *escapeDates,
		UnauthorizedHTML: *html401, RequireHTTPS: *requireHTTPS, WebhookCreateAction: *createAction, WebhookRetryBase: *retryBase,
		MinutelyLimit: *minutely, DailyLimit: *daily,
	})
	defer sim.Close()

	loaded := false
	if *state != "" {
		if _, err := os.Stat(*state); err == nil {
			if err := sim.Load(*state); err != nil {
				return err
			}
			loaded = true
		}
	}
	if !loaded {
		if len(users) == 0 {
			users = repeated{defaultUser}
		}
		if err := setUp(sim, users, *records); err != nil {
			return err
		}
		if *accountant > 0 {
			if err := addAccountant(sim, *accountant); err != nil {
				return err
			}
		}
	}
	for _, spec := range apps {
		if err := addApp(sim, spec); err != nil {
			return err
		}
	}
	// Generating a large data set leaves as much garbage as it keeps; hand
	// it back before serving, so the process holds what the data needs.
	runtime.GC()
	debug.FreeOSMemory()

	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	printBanner(m, sim, base, *state, loaded)
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go sim.RunActivity(runCtx, *activity)
	if *state != "" {
		go saveEvery(runCtx, sim, *state, 10*time.Second, m)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
	cancel()
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	_ = srv.Shutdown(shutdown)
	if *state != "" {
		if err := sim.Save(*state); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "State saved to", *state)
	}
	return nil
}

func saveEvery(ctx context.Context, sim *exactsim.Simulator, path string, every time.Duration, m *Main) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if sim.Dirty() {
				if err := sim.Save(path); err != nil {
					fmt.Fprintln(m.Stderr, "roger exactsim:", err)
				}
			}
		}
	}
}

// divisionNames gives the first divisions names a person recognises as
// companies in the web UI.
var divisionNames = []string{"Voorbeeld Installatietechniek B.V.", "Voorbeeld Holding B.V.", "Exemple Services SRL", "Beispiel GmbH"}

func setUp(sim *exactsim.Simulator, users []string, records int) error {
	seen := map[int]bool{}
	for _, spec := range users {
		parts := strings.SplitN(spec, ":", 3)
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return fmt.Errorf("--user %q: write it as NAME:PASSWORD:DIVISION[,DIVISION…], for example %s", spec, defaultUser)
		}
		var divs []int
		for _, d := range strings.Split(parts[2], ",") {
			code, err := strconv.Atoi(strings.TrimSpace(d))
			if err != nil || code <= 0 {
				return fmt.Errorf("--user %q: division %q is not a positive number", spec, d)
			}
			divs = append(divs, code)
		}
		for _, code := range divs {
			if !seen[code] {
				name := ""
				if len(seen) < len(divisionNames) {
					name = divisionNames[len(seen)]
				}
				sim.AddDivision(code, name)
				if records > 0 {
					accounts := max(records/5, 1)
					sim.Seed(code, accounts, records-accounts)
				}
				seen[code] = true
			}
		}
		if _, err := sim.AddUser(parts[0], parts[1], divs...); err != nil {
			return fmt.Errorf("--user %q: %w", spec, err)
		}
	}
	return nil
}

// addAccountant adds a user who can open every division there is and n
// more, empty ones, numbered after the highest.
func addAccountant(sim *exactsim.Simulator, n int) error {
	var codes []int
	top := 0
	for _, d := range sim.Summarize().Divisions {
		codes = append(codes, d.Code)
		top = max(top, d.Code)
	}
	for i := 1; i <= n; i++ {
		code := top + i
		sim.AddDivision(code, fmt.Sprintf("Klant %d B.V.", i))
		codes = append(codes, code)
	}
	if _, err := sim.AddUser("accountant", "accountant", codes...); err != nil {
		return fmt.Errorf("--accountant: %w", err)
	}
	return nil
}

func addApp(sim *exactsim.Simulator, spec string) error {
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return fmt.Errorf("--app: write it as CLIENT_ID:CLIENT_SECRET:REDIRECT_URI (the client id is a GUID)")
	}
	for _, a := range sim.Apps() {
		if strings.EqualFold(a.ClientID.String(), strings.Trim(parts[0], "{}")) {
			return nil // kept from --state
		}
	}
	if _, err := sim.RegisterApp("", parts[2], parts[0], parts[1]); err != nil {
		return fmt.Errorf("--app %s: %w", parts[0], err)
	}
	return nil
}

func printBanner(m *Main, sim *exactsim.Simulator, base, state string, loaded bool) {
	w := m.Stdout
	fmt.Fprintf(w, "Exact Online simulator listening on %s\n", base)
	fmt.Fprintf(w, "  App Center:  %s/appcenter  (register an app: name and redirect URI)\n", base)
	fmt.Fprintf(w, "  Companies:   %s/docs/MenuPortal.aspx  (relations; the division id is _Division_= in every link)\n", base)
	fmt.Fprintf(w, "  OAuth:       %s/api/oauth2/auth and %s/api/oauth2/token\n", base, base)
	fmt.Fprintf(w, "  REST:        %s/api/v1/current/Me, %s/api/v1/{division}/sync/CRM/Contacts, …\n", base, base)
	fmt.Fprintf(w, "  Other hosts: %s/be, /de, /fr, /es, /co.uk, /com stand for start.exactonline.be, .de, …\n", base)
	fmt.Fprintf(w, "  Admin API:   %s/_sim/  (faults, division moves, mutations, clock)\n", base)
	if state != "" {
		how := "new"
		if loaded {
			how = "loaded"
		}
		fmt.Fprintf(w, "  State file:  %s (%s)\n", state, how)
	}
	summary := sim.Summarize()
	divs := map[int]exactsim.DivisionSummary{}
	for _, d := range summary.Divisions {
		divs[d.Code] = d
	}
	fmt.Fprintln(w, "Users (sign in with these):")
	for _, u := range sim.Users() {
		var list []string
		for i, code := range u.Divisions {
			if i == 4 && len(u.Divisions) > 5 {
				list = append(list, fmt.Sprintf("and %d more", len(u.Divisions)-i))
				break
			}
			d := divs[code]
			list = append(list, fmt.Sprintf("%d %q (%d accounts, %d contacts)", code, d.Name, d.Accounts, d.Contacts))
		}
		fmt.Fprintf(w, "  %s / %s  divisions: %s\n", u.Name, u.Password, strings.Join(list, "; "))
	}
	if len(summary.Apps) == 0 {
		fmt.Fprintln(w, "Apps: none yet; register one in the App Center.")
		return
	}
	fmt.Fprintln(w, "Apps:")
	for _, a := range summary.Apps {
		fmt.Fprintf(w, "  %s  client id %s  redirect URI %s\n", a.Name, a.ClientID, a.RedirectURI)
	}
}
