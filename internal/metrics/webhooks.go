package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Webhooks counts Exact Online's webhook events: received, refused (by
// reason), coalesced into an increment, and the time from the change in
// Exact (the event's EventCreatedOn) to its commit in the directory,
// which the lookup index of every instance follows within its poll.
type Webhooks struct {
	received  prometheus.Counter
	refused   *prometheus.CounterVec
	coalesced prometheus.Counter
	latency   prometheus.Histogram
}

// NewWebhooks registers the webhook metrics in reg.
func NewWebhooks(reg prometheus.Registerer) *Webhooks {
	w := &Webhooks{
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roger_webhook_events_received_total",
			Help: "Signed Exact Online webhook events stored (redeliveries not counted).",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_webhook_requests_refused_total",
			Help: "Webhook requests refused, by reason: signature (a forged or altered HashCode), malformed, too_large, busy.",
		}, []string{"reason"}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roger_webhook_coalesced_total",
			Help: "Webhook runs that read their waiting events with one increment, since fetching them one by one would cost more calls.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "roger_webhook_latency_seconds",
			Help:    "Time from a change in Exact Online (the event's EventCreatedOn) to the change committed in the directory.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600},
		}),
	}
	reg.MustRegister(w.received, w.refused, w.coalesced, w.latency)
	return w
}

// Received counts n stored events.
func (w *Webhooks) Received(n int) { w.received.Add(float64(n)) }

// Refused counts one refused request.
func (w *Webhooks) Refused(reason string) { w.refused.WithLabelValues(reason).Inc() }

// Coalesced counts one run that read its events with an increment.
func (w *Webhooks) Coalesced() { w.coalesced.Inc() }

// Applied observes the latency of an event created in Exact at at.
func (w *Webhooks) Applied(at time.Time) { w.latency.Observe(max(time.Since(at), 0).Seconds()) }
