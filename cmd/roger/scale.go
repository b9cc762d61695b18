package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"text/tabwriter"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roger365io/roger/internal/config"
	"github.com/roger365io/roger/internal/cpushare"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/replicate"
)

// scaleSyncs gives the syncs of this process their share of the cores and
// their pace, so that lookups served beside them keep their time.
func scaleSyncs(syncer *replicate.Syncer, sc config.Scale, log *slog.Logger) {
	cores := sc.SyncCores
	if cores == 0 {
		cores = cpushare.Default()
	}
	syncer.CPU = cpushare.New(cores)
	syncer.Pace = sc.SyncPace != "burst"
	log.Info("syncs share the machine with lookups", "sync cores", strconv.FormatFloat(syncer.CPU.Cores(), 'f', -1, 64),
		"pace", sc.SyncPace, "lookup index share", sc.IndexShard.String())
}

// withIndexShard tells, on /readyz, which share of the organisations the
// instance's lookup index holds: in a header a load balancer's check can
// match, and in the text a person reads.
func withIndexShard(shard dirindex.Shard, h http.Handler) http.Handler {
	if shard.All() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Roger-Index-Shard", shard.String())
		h.ServeHTTP(w, r)
		_, _ = fmt.Fprintf(w, "lookup index: share %s of the organisations in memory; the others' lookups query the database\n", shard)
	})
}

// registerScaleMetrics exports the index share and the syncs' cores.
func registerScaleMetrics(reg prometheus.Registerer, sc config.Scale, cpu *cpushare.Share) {
	k, n := sc.IndexShard.K, sc.IndexShard.N
	if sc.IndexShard.All() {
		k, n = 1, 1
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roger_lookup_index_shard",
		Help:        "The share of the organisations this instance's lookup index holds (ROGER_INDEX_SHARD); 1 of 1 is all.",
		ConstLabels: prometheus.Labels{"k": strconv.Itoa(k), "n": strconv.Itoa(n)}}, func() float64 { return 1 }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roger_sync_cores",
		Help: "Cores this instance's syncs, and the lookup index following them, may keep busy on average (ROGER_SYNC_CORES)."}, func() float64 { return cpu.Cores() }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roger_sync_cpu_seconds_total",
		Help: "Time syncs and the lookup index spent decoding, parsing and writing within their share of the cores."},
		func() float64 { used, _ := cpu.Stats(); return used.Seconds() }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roger_sync_cpu_wait_seconds_total",
		Help: "Time syncs and the lookup index waited because they had used their share of the cores (ROGER_SYNC_CORES): rising fast means the share, not Exact, sets the syncs' speed."},
		func() float64 { _, waited := cpu.Stats(); return waited.Seconds() }))
}

// runDirectoryShards prints, for a split of the lookup index into N
// shares, the share of every organisation, so that an operator can route
// each organisation's telephony to the instances that hold it in memory.
func (m *Main) runDirectoryShards(ctx context.Context, args []string) error {
	fs := m.flags("roger directory shards")
	n := fs.Int("of", 0, "the number of shares, N of ROGER_INDEX_SHARD=K/N")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 1024 {
		fmt.Fprintln(m.Stderr, "roger directory shards: give --of N, the number of shares (1 to 1024), as in ROGER_INDEX_SHARD=K/N")
		return errUsage
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	orgs, err := a.store.ListOrganizations(ctx)
	if err != nil {
		return err
	}
	counts := make([]int, *n+1)
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SHARE\tORG ID\tORGANISATION")
	for _, o := range orgs {
		k := dirindex.ShareOf(o.ID, *n)
		counts[k]++
		fmt.Fprintf(w, "%d/%d\t%d\t%s\n", k, *n, o.ID, o.Name)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for k := 1; k <= *n; k++ {
		fmt.Fprintf(m.Stdout, "share %d/%d: %d organisations\n", k, *n, counts[k])
	}
	return nil
}
