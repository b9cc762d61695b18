package main

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger/internal/exactwebhook"
	"github.com/roger365io/roger/internal/metrics"
	"github.com/roger365io/roger/internal/replicate"
	"github.com/roger365io/roger/internal/replicators"
)

// webhookPath is where Exact posts a replicator's webhook events.
const webhookPath = "/webhooks/exact/"

// useWebhooks lets the replicator service subscribe to Exact's webhooks
// with a callback on roger's public URL (read when a subscription is
// made: a port picked at start is known by then), and the syncer apply
// their events, with the safety interval between increments.
func useWebhooks(a *app, svc *replicators.Service, sched *replicate.Scheduler) {
	svc.WebhookURL = func(id int64) string {
		return strings.TrimSuffix(a.cfg.PublicURL, "/") + webhookPath + strconv.FormatInt(id, 10)
	}
	sched.Syncer.Events = a.store
	sched.WebhookInterval = a.cfg.WebhookSafetyInterval
}

// mountWebhooks serves Exact's webhook posts and counts them. Any
// instance may receive one: it stores the event, and the instance that
// holds the replicator's lease applies it (this one, woken at once, when
// it syncs).
func mountWebhooks(mux *http.ServeMux, a *app, sched *replicate.Scheduler, met *metrics.Metrics, log *slog.Logger) {
	wm := metrics.NewWebhooks(met.Registry())
	rc := &exactwebhook.Receiver{Store: a.store, Log: log, OnReceived: wm.Received, OnRefused: wm.Refused}
	if a.cfg.Workers > 0 {
		rc.Wake = sched.Wake
	}
	sched.Syncer.OnEventApplied = wm.Applied
	sched.Syncer.OnCoalesced = wm.Coalesced
	mux.Handle("POST "+webhookPath+"{id}", rc)
}
