package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger"
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

// setWebhookSecret stores replicator r's webhook secret, read from file
// or from standard input (flagValue "-").
func (m *Main) setWebhookSecret(ctx context.Context, a *app, r *roger.Replicator, flagValue, file string) error {
	secret, err := m.readSecret(flagValue, file)
	if err != nil {
		return fmt.Errorf("roger replicator set: %s", strings.ReplaceAll(strings.ReplaceAll(err.Error(), "client-secret", "webhook-secret"), "Client Secret", "webhook secret"))
	}
	if strings.TrimSpace(secret) == "" {
		return errors.New("roger replicator set: the webhook secret is empty: copy it from the app's page in the Exact App Center")
	}
	svc := m.replicatorService(a, nil)
	svc.WebhookURL = func(id int64) string {
		return strings.TrimSuffix(a.cfg.PublicURL, "/") + webhookPath + strconv.FormatInt(id, 10)
	}
	cur, err := svc.SetCredentials(roger.NewContextWithActor(ctx, "command line"), 0, r.ID,
		roger.CredentialsInput{ExactURL: r.ExactURL, ClientID: r.ClientID, WebhookSecret: secret})
	if err != nil {
		return refusedFlags("the webhook secret was not saved", err)
	}
	fmt.Fprintf(m.Stdout, "Saved the webhook secret of replicator %d %q.\n", cur.ID, cur.Name)
	switch {
	case cur.Webhook.On():
		fmt.Fprintln(m.Stdout, "Webhooks: on.")
	case cur.Webhook.Message != "":
		fmt.Fprintln(m.Stdout, cur.Webhook.Message)
	default:
		fmt.Fprintln(m.Stdout, "roger subscribes to Exact's webhooks after the replicator's next sync.")
	}
	return nil
}
