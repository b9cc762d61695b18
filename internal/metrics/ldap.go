package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LDAP counts what the LDAP directory does: binds, searches with their
// entries and duration, and refused operations. It fits
// ldapdir.Options.Observer.
type LDAP struct {
	binds         *prometheus.CounterVec
	searches      *prometheus.CounterVec
	entries       prometheus.Counter
	searchSeconds prometheus.Histogram
	refusals      *prometheus.CounterVec
}

// NewLDAP registers the LDAP directory's metrics in m's registry.
func NewLDAP(m *Metrics) *LDAP {
	l := &LDAP{
		binds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_ldap_binds_total",
			Help: "LDAP binds by outcome: ok, invalid (unknown, revoked or mismatched key), throttled, anonymous, insecure (no TLS off loopback), unsupported, error.",
		}, []string{"outcome"}),
		searches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_ldap_searches_total",
			Help: "LDAP searches by outcome: ok, size_limit, time_limit, no_such_object, unauthenticated, invalid_filter, busy (index loading), error.",
		}, []string{"outcome"}),
		entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roger_ldap_search_entries_total",
			Help: "Entries returned by LDAP searches.",
		}),
		searchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "roger_ldap_search_duration_seconds",
			Help:    "Time to answer an LDAP search, entries written included.",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1, 5},
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_ldap_refusals_total",
			Help: "LDAP operations refused because the directory is read-only or does not offer them, by operation (add, modify, delete, other).",
		}, []string{"operation"}),
	}
	m.registry.MustRegister(l.binds, l.searches, l.entries, l.searchSeconds, l.refusals)
	return l
}

// ObserveBind counts a bind.
func (l *LDAP) ObserveBind(outcome string) { l.binds.WithLabelValues(outcome).Inc() }

// ObserveSearch counts a search, its entries and its duration.
func (l *LDAP) ObserveSearch(outcome string, entries int, d time.Duration) {
	l.searches.WithLabelValues(outcome).Inc()
	l.entries.Add(float64(entries))
	l.searchSeconds.Observe(d.Seconds())
}

// ObserveRefusal counts a refused operation.
func (l *LDAP) ObserveRefusal(operation string) { l.refusals.WithLabelValues(operation).Inc() }
