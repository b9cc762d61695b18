package main

// The multi-tenant benchmark (scripts/bench-tenants.sh): one roger serve
// with many organisations, one contacts replicator each on a division and
// app of its own, against simulators at Exact's real limits; most
// replicators follow their division's changes, a few do their first load
// at the same time; lookups across all organisations at a fixed rate
// meanwhile. See docs/PERFORMANCE.md, "Many organisations on one
// instance".

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

type tenantOptions struct {
	roger         string
	pgAdmin       string
	orgs          int
	loads         int
	loadContacts  int
	smallContacts int
	activity      int
	interval      time.Duration
	rate          int
	slice         time.Duration
	maxLoad       time.Duration
	workers       int
	addr          string
}

func tenantFlags(fs *flag.FlagSet) *tenantOptions {
	o := &tenantOptions{}
	fs.StringVar(&o.roger, "roger", "", "the roger binary to run (required)")
	fs.StringVar(&o.pgAdmin, "postgres", "", "a PostgreSQL admin URL: run on a fresh database there instead of SQLite")
	fs.IntVar(&o.orgs, "orgs", 200, "organisations, one contacts replicator each")
	fs.IntVar(&o.loads, "loads", 20, "of them, how many do their first load together while lookups are measured")
	fs.IntVar(&o.loadContacts, "load-contacts", 50_000, "contacts in each division that is loaded")
	fs.IntVar(&o.smallContacts, "contacts", 1_000, "contacts in each other division")
	fs.IntVar(&o.activity, "activity", 1_800, "random changes a minute across the other divisions (the simulator's --activity)")
	fs.DurationVar(&o.interval, "interval", time.Minute, "the other replicators' sync interval")
	fs.IntVar(&o.rate, "rate", 5_000, "lookups a second, across all organisations")
	fs.DurationVar(&o.slice, "slice", 10*time.Second, "lookups are measured in slices this long")
	fs.DurationVar(&o.maxLoad, "max-load", 10*time.Minute, "give up waiting for the first loads after this long")
	fs.IntVar(&o.workers, "workers", 64, "ROGER_WORKERS of the server: the first loads hold one each, the followers need the rest")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:18480", "where roger listens")
	return o
}

// runTenants is main for "bench-lookup tenants …".
func runTenants(args []string) {
	fs := flag.NewFlagSet("bench-lookup tenants", flag.ExitOnError)
	o := tenantFlags(fs)
	_ = fs.Parse(args)
	if o.roger == "" {
		fatalf("-roger: give the roger binary")
	}
	if o.loads > o.orgs {
		fatalf("-loads %d is more than -orgs %d", o.loads, o.orgs)
	}
	if err := o.run(); err != nil {
		fatalf("%v", err)
	}
}

// appID is replicator i's app in the simulators.
func appID(i int) string { return fmt.Sprintf("6f2d8a6e-1c0b-4c39-9a55-%012d", i) }

func (o *tenantOptions) run() error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "roger-bench-tenants-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dataDir := filepath.Join(work, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	dbName, dsn := "sqlite", filepath.Join(dataDir, "roger.db")
	env := []string{"ROGER_DATA_DIR=" + dataDir, "ROGER_ADDR=" + o.addr, "ROGER_WORKERS=" + strconv.Itoa(o.workers)}
	if o.pgAdmin != "" {
		dbName = "postgres"
		name := fmt.Sprintf("roger_bench_tenants_%d", os.Getpid())
		if dsn, err = freshPostgres(o.pgAdmin, name); err != nil {
			return err
		}
		defer dropPostgres(o.pgAdmin, name)
		env = append(env, "ROGER_DATABASE_URL="+dsn)
	}
	cli := func(args ...string) (string, error) {
		cmd := exec.Command(o.roger, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("roger %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := cli("migrate"); err != nil {
		return err
	}

	// Replicators 1…small follow small divisions on one simulator; the
	// rest load big divisions on another, so each simulator generates
	// one size.
	small := o.orgs - o.loads
	base := "http://" + o.addr
	simSmall, simLoads := "127.0.0.1:18491", "127.0.0.1:18492"
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Signal(os.Interrupt)
			_ = p.Wait()
		}
	}()
	start := func(name string, args ...string) (int, error) {
		cmd := exec.Command(o.roger, args...)
		cmd.Env = append(os.Environ(), env...)
		logFile, err := os.Create(filepath.Join(work, name+".log"))
		if err != nil {
			return 0, err
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		procs = append(procs, cmd)
		return cmd.Process.Pid, waitFor(filepath.Join(work, name+".log"), "listening", 15*time.Minute)
	}
	simArgs := func(addr string, from, to, contacts int) []string {
		var divisions []string
		args := []string{"exactsim", "--addr", addr, "--records", strconv.Itoa(contacts * 5 / 4), "--minutely-limit", "60", "--daily-limit", "5000"}
		for i := from; i <= to; i++ {
			divisions = append(divisions, strconv.Itoa(100000+i))
			args = append(args, "--app", fmt.Sprintf("%s:secret%d:%s/oauth/exact/%d/callback", appID(i), i, base, i))
		}
		return append(args, "--user", "bench:bench:"+strings.Join(divisions, ","))
	}
	logf("simulators: %d divisions of %d contacts (%d changes a minute), %d of %d", small, o.smallContacts, o.activity, o.loads, o.loadContacts)
	smallPid, err := start("sim-small", append(simArgs(simSmall, 1, small, o.smallContacts), "--activity", strconv.Itoa(o.activity))...)
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	loadsPid, err := start("sim-loads", simArgs(simLoads, small+1, o.orgs, o.loadContacts)...)
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}

	keys, err := o.seedTenants(ctx, env, dataDir, dsn, small, simSmall, simLoads)
	if err != nil {
		return err
	}
	server, err := start("serve", "serve")
	if err != nil {
		return fmt.Errorf("roger serve: %w", err)
	}
	if err := waitForIndex(base, 5*time.Minute); err != nil {
		return err
	}

	logf("authorizing the %d replicators that follow small divisions", small)
	callbacks, err := consents(cli, 1, small)
	if err != nil {
		return err
	}
	if err := deliver(callbacks); err != nil {
		return err
	}
	db, err := openDB(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(time.Second) {
		n, err := countInt(db, fmt.Sprintf(`SELECT COUNT(DISTINCT replicator_id) FROM sync_runs WHERE outcome = 'ok' AND replicator_id <= %d`, small))
		if err != nil {
			return err
		}
		if n >= int64(small) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d first loads of small divisions ended within 10 minutes", n, small)
		}
	}
	logf("the small divisions are loaded; their replicators now follow them every %v", o.interval)
	targets, err := tenantTargets(db, base, keys, o.orgs)
	if err != nil {
		return err
	}
	attack(targets, 500, 2*time.Second)

	fmt.Printf("%d organisations on %s, %d first loads of %d contacts, lookups at %d/s, ROGER_WORKERS=%d, ROGER_SYNC_PACE=%s, ROGER_SYNC_CORES=%s\n\n",
		o.orgs, dbName, o.loads, o.loadContacts, o.rate, o.workers, envOr("ROGER_SYNC_PACE", "even"), envOr("ROGER_SYNC_CORES", "default"))
	fmt.Printf("| database | while | lookups sent | p50 | p99 | p99.9 | max | errors | server CPU | simulators' CPU | load generator's CPU | other CPU |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	quietFrom := o.serverHistograms()
	quiet := measureTenants(server, []int{smallPid, loadsPid}, targets, o.rate, o.slice)
	fmt.Println(quiet.row(dbName, fmt.Sprintf("%d replicators follow their divisions", small)))
	quietTo := o.serverHistograms()

	logf("authorizing the %d first loads; their callbacks go together", o.loads)
	callbacks, err = consents(cli, small+1, o.orgs)
	if err != nil {
		return err
	}
	loadsFrom := o.serverHistograms()
	t0 := time.Now()
	if err := deliver(callbacks); err != nil {
		return err
	}
	var during tenantResult
	var slices99 []time.Duration
	for time.Since(t0) < o.maxLoad {
		r := measureTenants(server, []int{smallPid, loadsPid}, targets, o.rate, o.slice)
		during.add(r)
		slices99 = append(slices99, r.quantile(0.99))
		n, err := countInt(db, fmt.Sprintf(`SELECT COUNT(DISTINCT replicator_id) FROM sync_runs WHERE outcome = 'ok' AND replicator_id > %d`, small))
		if err != nil {
			return err
		}
		logf("%d of %d first loads done; lookups p99 %s this slice", n, o.loads, ms(r.quantile(0.99)))
		if n >= int64(o.loads) {
			break
		}
	}
	elapsed := time.Since(t0)
	slices.Sort(during.latencies)
	fmt.Println(during.row(dbName, fmt.Sprintf("%d first loads and %d replicators following", o.loads, small)))
	fmt.Printf("\nlookup p99 of each %v slice during the loads: %s\n", o.slice, joinMS(slices99))
	loadsTo := o.serverHistograms()
	// Where a lookup's time went, by the server's own account: waiting
	// for a core (the scheduler's latencies, every goroutine's) or in
	// the lookup itself.
	for _, h := range serverHistogramNames {
		fmt.Printf("server %s: followers alone %s; during the loads %s\n", h,
			quietTo[h].since(quietFrom[h]).describe(), loadsTo[h].since(loadsFrom[h]).describe())
	}
	return o.report(db, t0, elapsed, small, server)
}

// seedTenants creates the organisations, their replicators with their
// client secrets, sealed with the server's key, and an API key each.
func (o *tenantOptions) seedTenants(ctx context.Context, env []string, dataDir, dsn string, small int, simSmall, simLoads string) ([]string, error) {
	vars := map[string]string{}
	for _, kv := range append(os.Environ(), env...) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	ring, _, _, err := secret.LoadKeyring(func(k string) string { return vars[k] }, dataDir)
	if err != nil {
		return nil, err
	}
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Sealer: ring})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	keys := make([]string, o.orgs+1)
	for i := 1; i <= o.orgs; i++ {
		org := &roger.Organization{Name: fmt.Sprintf("org%03d", i), DefaultCountry: "NL"}
		if err := s.CreateOrganization(ctx, org); err != nil {
			return nil, err
		}
		sim, interval := simSmall, o.interval
		if i > small {
			sim, interval = simLoads, 24*time.Hour
		}
		r := &roger.Replicator{OrgID: org.ID, Name: "contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
			ExactURL: "http://" + sim, Division: 100000 + i, ClientID: appID(i), DefaultCountry: "NL", Interval: interval,
			ContactURL: fmt.Sprintf("http://%s/docs/CRMContactCard.aspx?_ID=%%7b{SourceId}%%7d&_Division_=%d", sim, 100000+i),
			State:      roger.StateAwaitingAuthorization}
		if err := s.CreateReplicatorWithSecret(ctx, r, fmt.Sprintf("secret%d", i)); err != nil {
			return nil, err
		}
		if r.ID != int64(i) {
			return nil, fmt.Errorf("replicator %d got id %d; the simulators' Redirect URLs expect %d", i, r.ID, i)
		}
		if _, keys[i], err = s.CreateAPIKey(ctx, org.ID, "bench"); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// consents walks sign-in and consent for replicators from…to and returns
// the callbacks, which make them active and due when delivered.
func consents(cli func(...string) (string, error), from, to int) ([]string, error) {
	out := make([]string, to-from+1)
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				text, err := cli("replicator", "authorize", strconv.Itoa(i))
				if err != nil {
					errs[i-from] = err
					continue
				}
				authURL, err := authorizeURL(text)
				if err != nil {
					errs[i-from] = err
					continue
				}
				loc, err := exactsim.Consent(context.Background(), nil, authURL, "bench", "bench")
				if err != nil {
					errs[i-from] = err
					continue
				}
				out[i-from] = loc.String()
			}
		})
	}
	for i := from; i <= to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deliver sends the callbacks at once.
func deliver(callbacks []string) error {
	errs := make([]error, len(callbacks))
	var wg sync.WaitGroup
	for i, c := range callbacks {
		wg.Go(func() {
			resp, err := http.Get(c)
			if err != nil {
				errs[i] = err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("callback: %d %s", resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func openDB(dsn string) (*sql.DB, error) {
	if strings.HasPrefix(dsn, "postgres") {
		return sql.Open("pgx", dsn)
	}
	return sql.Open("sqlite", "file:"+dsn+"?mode=ro&_pragma=busy_timeout(5000)")
}

func countInt(db *sql.DB, query string) (int64, error) {
	var n sql.NullInt64
	err := db.QueryRow(query).Scan(&n)
	return n.Int64, err
}

// tenantTargets are lookups spread over every organisation: nine in ten a
// number it holds (read from the database), in the notations telephony
// sends, one in ten a number nobody has. Organisations still loading
// have none yet: their lookups are of unknown numbers until then.
func tenantTargets(db *sql.DB, base string, keys []string, orgs int) ([]vegeta.Target, error) {
	rows, err := db.Query(`SELECT n.org_id, n.e164 FROM entry_numbers n WHERE n.extension = '' ORDER BY n.entry_id LIMIT 400000`)
	if err != nil {
		return nil, err
	}
	byOrg := map[int][]string{}
	for rows.Next() {
		var org int
		var e164 string
		if err := rows.Scan(&org, &e164); err != nil {
			rows.Close()
			return nil, err
		}
		if len(byOrg[org]) < 50 {
			byOrg[org] = append(byOrg[org], e164)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	out := make([]vegeta.Target, 0, 65536)
	for i := range cap(out) {
		org := 1 + rnd.IntN(orgs)
		number := fmt.Sprintf("+31102%06d", i)
		if held := byOrg[org]; i%10 != 0 && len(held) > 0 {
			number = held[rnd.IntN(len(held))]
			switch i % 3 {
			case 0:
				if strings.HasPrefix(number, "+31") {
					number = "0" + number[3:]
				}
			case 1:
				number = "tel:" + number
			}
		}
		out = append(out, vegeta.Target{Method: "GET", URL: base + "/api/v1/lookup?number=" + url.QueryEscape(number),
			Header: http.Header{"Authorization": {"Bearer " + keys[org]}}})
	}
	return out, nil
}

type tenantResult struct {
	result
	elapsed time.Duration
	sims    time.Duration // the simulators' CPU time
	self    time.Duration // the load generator's CPU time
}

func (r *tenantResult) add(s tenantResult) {
	r.sent += s.sent
	r.errors += s.errors
	if r.firstErr == "" {
		r.firstErr = s.firstErr
	}
	r.latencies = append(r.latencies, s.latencies...)
	r.cpu += s.cpu
	r.sims += s.sims
	r.self += s.self
	r.others = (r.others*float64(r.elapsed) + s.others*float64(s.elapsed)) / float64(r.elapsed+s.elapsed)
	r.elapsed += s.elapsed
}

// measureTenants attacks for d and adds the CPU the server, the
// simulators and everything else used meanwhile.
func measureTenants(server int, sims []int, targets []vegeta.Target, rate int, d time.Duration) tenantResult {
	simCPU := func() (t time.Duration) {
		for _, p := range sims {
			t += cpuTime(p)
		}
		return t
	}
	before, simsBefore, self, busy, started := cpuTime(server), simCPU(), cpuTime(os.Getpid()), machineBusy(), time.Now()
	res := tenantResult{result: attack(targets, rate, d)}
	res.elapsed = time.Since(started)
	res.cpu = cpuTime(server) - before
	res.sims = simCPU() - simsBefore
	res.self = cpuTime(os.Getpid()) - self
	others := machineBusy() - busy - res.cpu - res.sims - res.self
	res.others = max(0, float64(others)/float64(res.elapsed))
	return res
}

func (r tenantResult) row(db, while string) string {
	errs := strconv.Itoa(r.errors)
	if r.firstErr != "" {
		errs += " (" + r.firstErr + ")"
	}
	cores := func(d time.Duration) string { return fmt.Sprintf("%.2f cores", float64(d)/float64(r.elapsed)) }
	return fmt.Sprintf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %.2f cores |", db, while, r.sent,
		ms(r.quantile(0.50)), ms(r.quantile(0.99)), ms(r.quantile(0.999)), ms(r.quantile(1)), errs, cores(r.cpu), cores(r.sims), cores(r.self), r.others)
}

func joinMS(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, ms(d))
	}
	return strings.Join(parts, ", ")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// report prints what the syncs did from t0: records a second across all
// replicators, how long each first load took against the least Exact's
// pace allows for its calls, how far behind its interval any follower
// fell, and the server's peak memory.
func (o *tenantOptions) report(db *sql.DB, t0 time.Time, elapsed time.Duration, small, server int) error {
	from := t0.UnixMilli()
	records, err := countInt(db, fmt.Sprintf(`SELECT SUM(records_read) FROM sync_runs WHERE started >= %d`, from))
	if err != nil {
		return err
	}
	calls, err := countInt(db, fmt.Sprintf(`SELECT SUM(api_calls) FROM sync_runs WHERE started >= %d`, from))
	if err != nil {
		return err
	}
	fmt.Printf("\nsyncs from the first loads' callbacks on (%.0f s): %d records, %.0f records/s across all replicators, %d API calls (%.1f a second)\n",
		elapsed.Seconds(), records, float64(records)/elapsed.Seconds(), calls, float64(calls)/elapsed.Seconds())

	rows, err := db.Query(fmt.Sprintf(`SELECT replicator_id, MIN(ended), SUM(api_calls), SUM(records_read) FROM sync_runs
		WHERE outcome = 'ok' AND replicator_id > %d AND started >= %d GROUP BY replicator_id ORDER BY 2`, small, from))
	if err != nil {
		return err
	}
	var worst float64
	var durations []float64
	behind := 0
	for rows.Next() {
		var id, ended, apiCalls, read int64
		if err := rows.Scan(&id, &ended, &apiCalls, &read); err != nil {
			rows.Close()
			return err
		}
		took := float64(ended-from) / 1000
		durations = append(durations, took)
		// At 60 calls a minute a load of n calls needs at least n-1
		// seconds paced; a burst spends a minute's 60 at once and then
		// waits for the next whole minute.
		least := float64(apiCalls) - 1
		if over := took - least; over > worst {
			worst = over
		}
		if took > least+60 {
			behind++
		}
	}
	rows.Close()
	if len(durations) > 0 {
		fmt.Printf("first loads: %d done, after %.1f–%.1f s; the slowest took %.1f s more than its calls at 60 a minute; %d more than a minute behind that pace\n",
			len(durations), durations[0], durations[len(durations)-1], worst, behind)
	}
	if missing := o.loads - len(durations); missing > 0 {
		fmt.Printf("first loads: %d not done after %.0f s\n", missing, elapsed.Seconds())
	}

	now := time.Now().UnixMilli()
	lagRows, err := db.Query(fmt.Sprintf(`SELECT replicator_id, MAX(ended) FROM sync_runs WHERE outcome = 'ok' AND replicator_id <= %d GROUP BY replicator_id`, small))
	if err != nil {
		return err
	}
	var lags []float64
	for lagRows.Next() {
		var id, ended int64
		if err := lagRows.Scan(&id, &ended); err != nil {
			lagRows.Close()
			return err
		}
		lags = append(lags, float64(now-ended)/1000)
	}
	lagRows.Close()
	slices.Sort(lags)
	late := 0
	for _, l := range lags {
		if l > o.interval.Seconds()+30 {
			late++
		}
	}
	failed, err := countInt(db, fmt.Sprintf(`SELECT COUNT(*) FROM sync_runs WHERE started >= %d AND outcome NOT IN ('ok', 'running', 'waiting')`, from))
	if err != nil {
		return err
	}
	increments, err := countInt(db, fmt.Sprintf(`SELECT COUNT(*) FROM sync_runs WHERE started >= %d AND outcome = 'ok' AND replicator_id <= %d`, from, small))
	if err != nil {
		return err
	}
	if len(lags) > 0 {
		fmt.Printf("followers: %d increments ended ok meanwhile (%d replicators, interval %v); since its last increment ended, median %.0f s, most %.0f s; %d more than the interval + 30 s behind; %d runs failed\n",
			increments, len(lags), o.interval, lags[len(lags)/2], lags[len(lags)-1], late, failed)
	}
	fmt.Printf("server: peak resident memory %s\n", peakRSS(server))
	entries, _ := countInt(db, `SELECT COUNT(*) FROM entries`)
	numbers, _ := countInt(db, `SELECT COUNT(*) FROM entry_numbers`)
	fmt.Printf("database: %d entries, %d numbers, %s\n", entries, numbers, databaseSize(db, o.pgAdmin != ""))
	if resp, err := http.Get("http://" + o.addr + "/metrics"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, l := range strings.Split(string(body), "\n") {
			for _, name := range []string{"roger_lookup_index_numbers ", "roger_lookup_index_entries ", "roger_lookup_index_commits_taken_total ",
				"roger_sync_cpu_seconds_total ", "roger_sync_cpu_wait_seconds_total ", "go_memstats_heap_inuse_bytes "} {
				if strings.HasPrefix(l, name) {
					fmt.Println("server: " + l)
				}
			}
		}
	}
	return nil
}

// serverHistogramNames are the server's histograms the tenants run
// reports for each phase.
var serverHistogramNames = []string{"roger_runnable_wait_seconds", "roger_lookup_duration_seconds", "roger_gc_pause_seconds"}

// serverHistograms scrapes them; a failed scrape reports none.
func (o *tenantOptions) serverHistograms() map[string]histogram {
	hs, err := scrapeHistograms(o.addr, serverHistogramNames...)
	if err != nil {
		logf("server histograms: %v", err)
	}
	return hs
}

// peakRSS is the process's peak resident memory (VmHWM), from /proc.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return fmt.Sprintf("%d MB", kb/1024)
		}
	}
	return "?"
}

// databaseSize is the size of the database on disk: PostgreSQL's own
// figure, or SQLite's page count times its page size (the WAL aside).
func databaseSize(db *sql.DB, postgres bool) string {
	query := `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
	if postgres {
		query = `SELECT pg_database_size(current_database())`
	}
	n, err := countInt(db, query)
	if err != nil {
		return "size unknown: " + err.Error()
	}
	return fmt.Sprintf("%d MB on disk", n/1_000_000)
}
