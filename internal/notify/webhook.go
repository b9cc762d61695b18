package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/roger365io/roger"
)

// SignatureHeader carries a webhook's signature: "sha256=" and the hex
// HMAC-SHA256 of the request body under the channel's secret.
const SignatureHeader = "X-Roger-Signature"

// Webhook posts notices as JSON to a channel's URL: a generic webhook
// signed with its secret, or a Microsoft Teams Workflows URL as an
// Adaptive Card.
type Webhook struct {
	// Client is the HTTP client; nil means one with no redirects followed
	// (a redirect could carry the notice elsewhere).
	Client *http.Client
}

var _ Sender = (*Webhook)(nil)

// Send posts n to the channel's URL.
func (w *Webhook) Send(ctx context.Context, ch *roger.Channel, n roger.Notice) error {
	var body []byte
	var err error
	if ch.Kind == roger.ChannelTeams {
		body, err = json.Marshal(teamsMessage(n))
	} else {
		body, err = json.Marshal(n)
	}
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("the channel's URL is not a valid URL: add the channel again with the URL copied whole")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "roger")
	if ch.Kind == roger.ChannelWebhook && ch.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(ch.Secret, body))
	}
	client := w.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error repeats the URL, and the URL is the channel's
		// credential: keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post to %s: %w", ch.Hint, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", ch.Hint, resp.Status)
	}
	return nil
}

// Sign is the value of SignatureHeader for body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// teamsMessage is n as the message a Teams Workflows "post to a channel
// when a webhook request is received" flow takes: one Adaptive Card.
func teamsMessage(n roger.Notice) map[string]any {
	body := []map[string]any{
		{"type": "TextBlock", "text": n.Title, "weight": "Bolder", "size": "Medium", "wrap": true},
		{"type": "TextBlock", "text": n.Text, "wrap": true},
	}
	if n.Action != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": n.Action, "wrap": true})
	}
	facts := []map[string]string{{"title": "Organisation", "value": n.Organization}}
	if n.Replicator != "" {
		facts = append(facts, map[string]string{"title": "Replicator", "value": n.Replicator + " (" + strconv.FormatInt(n.ReplicatorID, 10) + ")"})
	}
	if !n.Since.IsZero() {
		facts = append(facts, map[string]string{"title": "Since", "value": n.Since.Format("2006-01-02 15:04 MST")})
	}
	body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	if n.Link != "" {
		title := "Open in roger"
		if n.Condition == roger.AlertReauthorization && n.Kind != roger.NoticeRecovery {
			title = "Authorize application"
		}
		card["actions"] = []map[string]any{{"type": "Action.OpenUrl", "title": title, "url": n.Link}}
	}
	return map[string]any{
		"type":        "message",
		"attachments": []map[string]any{{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card}},
	}
}
