package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clientaddr"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/replicate"
	"github.com/roger365io/roger/internal/web"
)

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("roger serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: roger serve\n\nServes the OAuth callback and keeps every active replicator in sync. Configuration comes from ROGER_* variables (see roger --help).\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	log := slog.New(slog.NewTextHandler(m.Stderr, nil))
	return m.serve(ctx, a, log, m.portal(a, log), nil)
}

// serve runs the web server and the scheduler until ctx ends. started,
// when set, is called once the server accepts connections.
func (m *Main) serve(ctx context.Context, a *app, log *slog.Logger, portal *web.Server, started func(addr string)) error {
	log.Info("roger starting", "version", version, "config", a.cfg.Describe(), "secret keys", a.keySource)

	// One rate budget per (app, division) in the process: the portal's
	// calls to Exact and the syncs spend the same one.
	svc := m.replicatorService(a, log)
	syncer := &replicate.Syncer{Store: a.store, Reports: svc, Budgets: svc.Budgets, RedirectURL: a.cfg.RedirectURL, PagesPerCommit: a.cfg.PagesPerCommit}
	sched := &replicate.Scheduler{Store: a.store, Syncer: syncer, Owner: a.cfg.Instance, Workers: a.cfg.Workers, Log: log}
	useWebhooks(a, svc, sched)
	scaleSyncs(syncer, a.cfg.Scale, log)
	if a.cfg.Workers > 0 {
		svc.Wake = sched.Wake
	}
	portal.Replicators, portal.Exact = svc, svc
	// A nil *dirindex.Index must not become a non-nil NumberFinder.
	var numbers lookup.NumberFinder
	var index *dirindex.Index
	if a.cfg.LookupIndex == "memory" {
		index = dirindex.New(a.store, dirindex.Options{Log: log, Shard: a.cfg.IndexShard, CPU: syncer.CPU})
		// Pages this process commits go into the index as they are
		// committed; the refresh reads only what others wrote.
		a.store.OnPagesCommitted(func(ch roger.DirectoryChange) { index.Apply(ctx, ch) })
		a.store.OnDirectoryChange(index.Wake)
		numbers = index
		// The directory page searches names in the index too.
		portal.Directory = lookup.New(a.store, lookup.Options{Names: index})
	}
	// The client behind a trusted proxy is who sign-in limits count.
	portal.Proxies = clientaddr.New(a.cfg.TrustedProxies)
	mux := http.NewServeMux()
	mux.Handle("/", portal.Handler())
	if err := m.mountExtra(mux, a, sched, portal, numbers, log); err != nil {
		return err
	}
	ldapSrv, err := m.startLDAP(a, index, a.lookups, a.metrics, log)
	if err != nil {
		return err
	}
	if ldapSrv != nil {
		defer ldapSrv.Close()
		portal.LDAPURL = ldapURL(a)
	}

	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set ROGER_ADDR to another address)", a.cfg.Addr, err)
	}
	// Port 0 picks a free port; the public URL (and so every Redirect
	// URL) must name the one picked.
	if strings.HasSuffix(a.cfg.PublicURL, ":0") {
		a.cfg.PublicURL = strings.TrimSuffix(a.cfg.PublicURL, ":0") + ":" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	portal.PublicURL = a.cfg.PublicURL
	notifier := m.notifier(a, log)
	portal.Notifications = portalNotifications{store: a.store, notifier: notifier}
	if !strings.HasPrefix(a.cfg.PublicURL, "https://") && !loopbackURL(a.cfg.PublicURL) {
		log.Warn("ROGER_PUBLIC_URL is plain http on a non-loopback host: sign-in cookies cannot be Secure there; serve roger over https")
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(m.Stdout, "roger is listening on %s (public URL %s)\n", ln.Addr(), a.cfg.PublicURL)
	if started != nil {
		started(ln.Addr().String())
	}
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}
	schedDone := make(chan error, 1)
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	if a.cfg.Workers > 0 {
		go func() { schedDone <- sched.Run(schedCtx) }()
	} else {
		// Replicators made due here ("Sync now") are claimed by the
		// instances that sync.
		log.Info("this instance does not sync (ROGER_WORKERS=0); it serves the portal and lookups")
		schedDone <- nil
	}
	go portal.SweepSessions(schedCtx, time.Hour)
	go pruneRemovals(schedCtx, a.store, log)
	// Alerts are evaluated by one instance at a time (a lease in the
	// database); without any channel a round is one small query.
	notifyDone := make(chan error, 1)
	go func() { notifyDone <- notifier.Run(schedCtx) }()
	if index != nil {
		go index.Run(schedCtx)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		stopSched()
		<-schedDone
		<-notifyDone
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down: finishing the pages in flight")
	stopSched()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	<-schedDone
	<-notifyDone
	return nil
}

// removalsKept is how long the record of a removed entry is kept for the
// lookup indexes of other instances to read. An instance that has not
// caught up for longer reads the replicator afresh.
const removalsKept = 24 * time.Hour

// pruneRemovals forgets old removals every hour until ctx ends.
func pruneRemovals(ctx context.Context, store interface {
	PruneRemovals(context.Context, time.Time) (int, error)
}, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if _, err := store.PruneRemovals(ctx, time.Now().Add(-removalsKept)); err != nil && ctx.Err() == nil {
			log.Warn("cannot prune the record of removed entries; it is tried again in an hour", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// loopbackURL reports whether a URL names this machine.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && roger.IsLoopbackHost(u.Hostname())
}

func (m *Main) runMigrate(ctx context.Context, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(m.Stdout, "Usage: roger migrate\n\nCreates or upgrades the database named by ROGER_DATABASE_URL, then exits.")
		return nil
	}
	a, err := m.openOrCreateApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(m.Stdout, "The %s database is up to date.\n", a.store.Dialect())
	return nil
}
