package web

import (
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// webhookText is the replicator page's line on Exact's webhooks: on, with
// the age of the last event and the gaps the safety sync found, or why
// they are off.
func webhookText(rep *roger.Replicator, now time.Time) string {
	w := rep.Webhook
	if !w.On() {
		switch {
		case w.Message != "":
			return w.Message
		case !w.SecretSet:
			return "Webhooks are off: paste the app's webhook secret in step 2 to have changes within seconds."
		}
		return "Webhooks: not subscribed yet; roger subscribes after the next sync."
	}
	text := "Webhooks: on — no event yet"
	if !w.LastEvent.IsZero() {
		text = "Webhooks: on — last event " + age(now.Sub(w.LastEvent)) + " ago"
	}
	switch {
	case w.Gaps == 1:
		text += "; once, the safety sync found a change no event had announced"
	case w.Gaps > 1:
		text += fmt.Sprintf("; %d times, the safety sync found changes no event had announced", w.Gaps)
	}
	if w.Message != "" {
		text += ". " + w.Message
	}
	return text
}

// age writes a duration the way the page speaks of the past: 12 s, 5 min,
// 3 h, 2 days.
func age(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}
