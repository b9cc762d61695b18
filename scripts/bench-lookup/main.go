// Command bench-lookup drives roger's lookup API at fixed request rates and
// reports latency percentiles, on a directory of a million numbers, with
// and without a full sync writing to the same database. scripts/
// bench-lookup.sh builds roger and runs it; see docs/PERFORMANCE.md.
//
// The load is an open model: vegeta sends at the set rate whatever the
// answers do, so a slow server shows as latency and errors, never as a
// politely lowered rate. vegeta paces and times the requests; a lean
// transport (transport.go) sends them, since the generator shares the
// machine's cores with the server.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

const (
	simApp    = "3c9d0e1f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
	simSecret = "benchsecret"
)

type options struct {
	roger        string
	pgAdmin      string
	numbers      int
	rates        []int
	duration     time.Duration
	syncContacts int
	addr         string
	simAddr      string
	perf         string
	index        string
	simLimit     int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "tenants" {
		runTenants(os.Args[2:])
		return
	}
	var o options
	var rates string
	flag.StringVar(&o.roger, "roger", "", "the roger binary to run (required)")
	flag.StringVar(&o.pgAdmin, "postgres", "", "a PostgreSQL admin URL: run on a fresh database there instead of SQLite")
	flag.IntVar(&o.numbers, "numbers", 1_000_000, "phone numbers in the directory (two per entry)")
	flag.StringVar(&rates, "rates", "1000,5000,10000", "request rates per second, comma-separated")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each rate is held")
	flag.IntVar(&o.syncContacts, "sync-contacts", 600_000, "contacts in the simulator for the sync that runs during the second series (0: no such series)")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:18380", "where roger listens")
	flag.StringVar(&o.simAddr, "sim-addr", "127.0.0.1:18390", "where the simulator listens")
	flag.StringVar(&o.perf, "perf", "", "record a CPU profile of the server with perf(1) into this file during the first rate (perf report -i FILE)")
	flag.IntVar(&o.simLimit, "sim-minutely-limit", -1, "calls a minute the simulator allows each division, as Exact's 60 does (-1: no limit, the sync runs flat out)")
	flag.StringVar(&o.index, "index", "memory", "where the server finds numbers: memory (its in-memory index) or database (ROGER_LOOKUP_INDEX)")
	flag.Parse()
	if o.index != "memory" && o.index != "database" {
		fatalf("-index: %q is neither memory nor database", o.index)
	}
	for _, r := range strings.Split(rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			fatalf("-rates: %q is not a rate", r)
		}
		o.rates = append(o.rates, n)
	}
	if o.roger == "" {
		fatalf("-roger: give the roger binary")
	}
	if err := run(o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-lookup: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(o options) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "roger-bench-lookup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// roger creates a SQLite file, not the directory it goes in.
	if err := os.MkdirAll(filepath.Join(work, "data"), 0o700); err != nil {
		return err
	}
	dbName, dsn := "sqlite", filepath.Join(work, "data", "roger.db")
	env := []string{"ROGER_DATA_DIR=" + filepath.Join(work, "data"), "ROGER_ADDR=" + o.addr, "ROGER_LOOKUP_INDEX=" + o.index}
	if o.pgAdmin != "" {
		dbName = "postgres"
		name := fmt.Sprintf("roger_bench_lookup_%d", os.Getpid())
		if dsn, err = freshPostgres(o.pgAdmin, name); err != nil {
			return err
		}
		defer dropPostgres(o.pgAdmin, name)
		env = append(env, "ROGER_DATABASE_URL="+dsn)
	}

	// Seed through the store, as syncs write it: entries of a paused
	// replicator, so the scheduler leaves them alone.
	key, err := seed(ctx, dsn, o.numbers)
	if err != nil {
		return err
	}

	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Signal(os.Interrupt)
			_ = p.Wait()
		}
	}()
	start := func(name string, args ...string) error {
		cmd := exec.Command(o.roger, args...)
		cmd.Env = append(os.Environ(), env...)
		logFile, err := os.Create(filepath.Join(work, name+".log"))
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			return err
		}
		procs = append(procs, cmd)
		return waitFor(filepath.Join(work, name+".log"), "listening", 10*time.Minute)
	}
	if o.syncContacts > 0 {
		logf("simulator: generating %d contacts for the sync", o.syncContacts)
		err := start("sim", "exactsim", "--addr", o.simAddr, "--records", strconv.Itoa(o.syncContacts*5/4), "--user", "bench:bench:123456",
			"--app", simApp+":"+simSecret+":http://"+o.addr+"/oauth/exact/2/callback", "--minutely-limit", strconv.Itoa(o.simLimit), "--daily-limit", "-1")
		if err != nil {
			return fmt.Errorf("simulator: %w", err)
		}
	}
	if err := start("serve", "serve"); err != nil {
		return fmt.Errorf("roger serve: %w", err)
	}
	server := procs[len(procs)-1].Process.Pid
	base := "http://" + o.addr
	if o.index == "memory" {
		// Until its index is loaded the server queries the database,
		// which is not what is measured here.
		begin := time.Now()
		if err := waitForIndex(base, 10*time.Minute); err != nil {
			return err
		}
		logf("the server's lookup index was loaded in %v", time.Since(begin).Round(100*time.Millisecond))
	}
	targets, err := targetsFor(o.numbers, base, key)
	if err != nil {
		return err
	}
	// Warm the connection pools and the page cache a little, as a server
	// that has been up a while would be.
	attack(targets, 500, 2*time.Second)

	fmt.Printf("lookups from: %s\n\n", o.index)
	fmt.Printf("| database | sync running | rate (req/s) | sent | p50 | p99 | p99.9 | max | errors | server CPU a request | CPU of other processes |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, rate := range o.rates {
		if i == 0 && o.perf != "" {
			stop, err := profile(server, o.perf)
			if err != nil {
				return err
			}
			fmt.Println(row(dbName, "no", rate, measure(server, targets, rate, o.duration)))
			stop()
			continue
		}
		fmt.Println(row(dbName, "no", rate, measure(server, targets, rate, o.duration)))
	}
	if o.syncContacts == 0 {
		return nil
	}

	logf("authorizing a replicator on the simulator; the server starts its full sync")
	if err := authorize(work, o, env); err != nil {
		return err
	}
	if err := waitForSync(ctx, dsn); err != nil {
		return err
	}
	for _, rate := range o.rates {
		res := measure(server, targets, rate, o.duration)
		running, read, err := syncState(ctx, dsn)
		if err != nil {
			return err
		}
		note := "yes"
		if !running {
			note = "ended during this rate"
		}
		fmt.Println(row(dbName, note, rate, res) + fmt.Sprintf(" <!-- %d records synced so far -->", read))
	}
	return nil
}

// seed fills the directory with n numbers and returns an API key of its
// organisation.
func seed(ctx context.Context, dsn string, n int) (string, error) {
	k, err := secret.GenerateKey()
	if err != nil {
		return "", err
	}
	ring, err := secret.NewKeyring(k)
	if err != nil {
		return "", err
	}
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Sealer: ring})
	if err != nil {
		return "", err
	}
	defer s.Close()
	org := &roger.Organization{Name: "default", DefaultCountry: "NL"}
	if err := s.CreateOrganization(ctx, org); err != nil {
		return "", err
	}
	r := &roger.Replicator{OrgID: org.ID, Name: "seeded", Source: roger.SourceExactOnline, Entity: roger.Contacts, ExactURL: "https://start.exactonline.nl",
		Division: 123456, ContactURL: "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456",
		Interval: 24 * time.Hour, State: roger.StatePaused}
	if err := s.CreateReplicator(ctx, r); err != nil {
		return "", err
	}
	logf("seeding %d numbers (%d entries)", n, n/2)
	started := time.Now()
	page := make([]roger.Entry, 1000)
	for at := 0; at < n/2; at += len(page) {
		size := min(len(page), n/2-at)
		for i := range size {
			id := at + i
			page[i] = roger.Entry{Kind: roger.KindContact, SourceID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", id), CompanyID: "c",
				DisplayName: "Anna van Dijk", CompanyName: "Voorbeeld B.V.", SourceTimestamp: int64(id + 1), SourceModified: time.Unix(int64(id), 0),
				Numbers: []roger.Number{
					{Field: "Phone", Raw: "020", E164: landline(id), Status: roger.NumberOK},
					{Field: "Mobile", Raw: "06", E164: mobile(id), Status: roger.NumberOK},
				}}
		}
		if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: org.ID, Upserts: page[:size], Cursor: int64(at + size)}); err != nil {
			return "", err
		}
	}
	logf("seeded in %.0f s", time.Since(started).Seconds())
	_, key, err := s.CreateAPIKey(ctx, org.ID, "bench")
	return key, err
}

// The seeded numbers are spread over their ranges, so lookups do not read
// the index in order.
func landline(id int) string { return fmt.Sprintf("+3120%07d", 1_000_000+(id*7919)%9_000_000) }
func mobile(id int) string   { return fmt.Sprintf("+3161%07d", (id*104_729)%10_000_000) }

// targetsFor returns lookups as telephony sends them: nine in ten for a
// seeded number (national, E.164 and tel: notations), one in ten for an
// unknown one, which also tries the company main-number candidates.
func targetsFor(n int, base, key string) ([]vegeta.Target, error) {
	h := http.Header{"Authorization": {"Bearer " + key}}
	out := make([]vegeta.Target, 0, 65536)
	for i := range cap(out) {
		id := (i * 2_654_435_761) % (n / 2)
		var number string
		switch i % 10 {
		case 0:
			number = fmt.Sprintf("+31102%06d", i)
		case 1, 2, 3:
			number = "0" + landline(id)[3:]
		case 4, 5, 6:
			number = mobile(id)
		default:
			number = "tel:" + landline(id)
		}
		out = append(out, vegeta.Target{Method: "GET", URL: base + "/api/v1/lookup?number=" + url.QueryEscape(number), Header: h})
	}
	return out, nil
}

type result struct {
	cpu       time.Duration // the server's CPU time during the attack
	others    float64       // cores used meanwhile by processes other than the server and this one
	sent      int
	latencies []time.Duration
	errors    int
	firstErr  string
}

// attack sends rate requests a second for d and returns what came back.
func attack(targets []vegeta.Target, rate int, d time.Duration) result {
	var next atomic.Uint64
	targeter := vegeta.Targeter(func(t *vegeta.Target) error {
		*t = targets[next.Add(1)%uint64(len(targets))]
		return nil
	})
	// The generator shares the two cores with the server, so it spends as
	// little as it can a request: a transport without hand-offs between
	// goroutines (see leanTransport), which also enforces the 5 s
	// timeout, no attack name header, and bodies not kept (nothing here
	// looks at them).
	u, err := url.Parse(targets[0].URL)
	if err != nil {
		return result{errors: 1, firstErr: err.Error()}
	}
	tr := &leanTransport{addr: u.Host, timeout: 5 * time.Second}
	defer tr.closeIdle()
	a := vegeta.NewAttacker(vegeta.Client(&http.Client{Transport: tr}), vegeta.Workers(64), vegeta.MaxWorkers(2000), vegeta.MaxBody(0))
	var res result
	for r := range a.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, d, "") {
		res.sent++
		res.latencies = append(res.latencies, r.Latency)
		if r.Error != "" || r.Code != http.StatusOK {
			res.errors++
			if res.firstErr == "" {
				res.firstErr = fmt.Sprintf("%d %s", r.Code, r.Error)
			}
		}
	}
	slices.Sort(res.latencies)
	return res
}

// profile starts perf(1) sampling the server's stacks into file; the
// server has no profiling endpoint of its own, and perf also sees the
// time spent in the kernel for the server.
func profile(server int, file string) (stop func(), err error) {
	cmd := exec.Command("perf", "record", "-F", "999", "-g", "-p", strconv.Itoa(server), "-o", file)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("perf: %w", err)
	}
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		logf("server profile in %s: perf report -i %s --no-children", file, file)
	}, nil
}

// measure attacks and adds the CPU time the server process spent meanwhile.
func measure(server int, targets []vegeta.Target, rate int, d time.Duration) result {
	before, self, busy, started := cpuTime(server), cpuTime(os.Getpid()), machineBusy(), time.Now()
	res := attack(targets, rate, d)
	res.cpu = cpuTime(server) - before
	generator := cpuTime(os.Getpid()) - self
	others := machineBusy() - busy - res.cpu - generator
	if res.sent > 0 {
		logf("%d requests/s: the load generator used %.0f µs of CPU a request", rate, float64(generator)/float64(res.sent)/1e3)
	}
	res.others = max(0, float64(others)/float64(time.Since(started)))
	return res
}

// machineBusy is the CPU time all processes have used so far, from the
// first line of /proc/stat (clock ticks of 10 ms).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	var busy int64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

// cpuTime is the user and system CPU time of process pid so far, from
// /proc (clock ticks of 10 ms); 0 where there is no /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func (r result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func row(db, sync string, rate int, r result) string {
	errs := strconv.Itoa(r.errors)
	if r.firstErr != "" {
		errs += " (" + r.firstErr + ")"
	}
	perRequest := "?"
	if r.sent > 0 && r.cpu > 0 {
		perRequest = fmt.Sprintf("%.0f µs", float64(r.cpu)/float64(r.sent)/1e3)
	}
	return fmt.Sprintf("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |", db, sync, rate, r.sent,
		ms(r.quantile(0.50)), ms(r.quantile(0.99)), ms(r.quantile(0.999)), ms(r.quantile(1)), errs, perRequest, fmt.Sprintf("%.2f cores", r.others))
}

// authorize adds a contacts replicator for the simulator's division and
// walks its authorization as a person would; the server then syncs it.
func authorize(work string, o options, env []string) error {
	cli := func(args ...string) (string, error) {
		cmd := exec.Command(o.roger, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("roger %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := cli("replicator", "add", "--name", "sync under load", "--entity", "contacts", "--exact-url", "http://"+o.simAddr,
		"--client-id", simApp, "--client-secret", simSecret, "--country", "NL", "--interval", "24h",
		"--contact-url", "http://"+o.simAddr+"/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"); err != nil {
		return err
	}
	out, err := cli("replicator", "authorize", "2")
	if err != nil {
		return err
	}
	authURL, err := authorizeURL(out)
	if err != nil {
		return err
	}
	loc, err := exactsim.Consent(context.Background(), nil, authURL, "bench", "bench")
	if err != nil {
		return err
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("authorization callback: %d %s", resp.StatusCode, body)
	}
	return nil
}

// waitForIndex waits until the server's metrics say its lookup index is
// loaded.
func waitForIndex(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "\nroger_lookup_index_ready 1\n") {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the server's lookup index did not load within %v", limit)
}

// waitForSync waits until the server's sync of replicator 2 has written
// its first records.
func waitForSync(ctx context.Context, dsn string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		running, read, err := syncState(ctx, dsn)
		if err != nil {
			return err
		}
		if running && read > 0 {
			logf("sync running (%d records so far)", read)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the sync did not start within 2 minutes")
}

// syncState reads the latest run of replicator 2 straight from the
// database: whether it runs and how many records it has read.
func syncState(ctx context.Context, dsn string) (running bool, read int64, err error) {
	driver, source := "sqlite", "file:"+dsn+"?mode=ro&_pragma=busy_timeout(5000)"
	if strings.HasPrefix(dsn, "postgres") {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return false, 0, err
	}
	defer db.Close()
	var outcome string
	err = db.QueryRowContext(ctx, `SELECT outcome, records_read FROM sync_runs WHERE replicator_id = 2 ORDER BY id DESC LIMIT 1`).Scan(&outcome, &read)
	if err == sql.ErrNoRows {
		return false, 0, nil
	}
	return outcome == string(roger.OutcomeRunning), read, err
}

func waitFor(path, text string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		f, err := os.Open(path)
		if err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.Contains(sc.Text(), text) {
					f.Close()
					return nil
				}
			}
			f.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	return fmt.Errorf("%q did not appear in %s within %s:\n%s", text, path, limit, b)
}

func freshPostgres(admin, name string) (string, error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropPostgres(admin, name string) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
}

// authorizeURL is the URL "roger replicator authorize" printed: the line
// after its request to open it. The command may say more around it (which
// data directory it uses), so the URL is found, not counted to.
func authorizeURL(printed string) (string, error) {
	lines := strings.Split(printed, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Open this URL") && i+1 < len(lines) {
			return strings.TrimSpace(lines[i+1]), nil
		}
	}
	return "", fmt.Errorf("roger replicator authorize printed no URL to open: %q", printed)
}
