package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roger365io/roger/internal/config"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/replicate"
)

// scaleSyncs gives the syncs of this process their share of the cores and
// their pace, so that lookups served beside them keep their time.
func scaleSyncs(syncer *replicate.Syncer, sc config.Scale, log *slog.Logger) {
	cores := sc.SyncCores
	if cores == 0 {
		cores = replicate.DefaultSyncCores()
	}
	syncer.CPU = replicate.NewCPUShare(cores)
	syncer.Pace = sc.SyncPace != "burst"
	log.Info("syncs share the machine with lookups", "sync cores", cores, "pace", sc.SyncPace, "lookup index share", sc.IndexShard.String())
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
func registerScaleMetrics(reg prometheus.Registerer, sc config.Scale, cpu *replicate.CPUShare) {
	k, n := sc.IndexShard.K, sc.IndexShard.N
	if sc.IndexShard.All() {
		k, n = 1, 1
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roger_lookup_index_shard",
		Help:        "The share of the organisations this instance's lookup index holds (ROGER_INDEX_SHARD); 1 of 1 is all.",
		ConstLabels: prometheus.Labels{"k": strconv.Itoa(k), "n": strconv.Itoa(n)}}, func() float64 { return 1 }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roger_sync_cores",
		Help: "Cores this instance's syncs may keep busy parsing and writing pages at once (ROGER_SYNC_CORES)."}, func() float64 { return float64(cpu.Cores()) }))
}
