package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// notice writes what a notice of kind about alert a of replicator r
// says: which replicator, what happened in plain words, since when and
// what to do, with a link to the place to do it on publicURL. It holds
// nothing secret: the state message and run errors it quotes are written
// for admins to read.
func notice(kind roger.NoticeKind, org *roger.Organization, r *roger.Replicator, a *roger.Alert, publicURL string, now time.Time) roger.Notice {
	n := roger.Notice{Kind: kind, Condition: a.Condition, Organization: org.Name, ReplicatorID: r.ID, Replicator: r.Name,
		Since: a.Since.UTC(), At: now.UTC()}
	page := strings.TrimRight(publicURL, "/") + "/replicators/" + strconv.FormatInt(r.ID, 10)
	since := a.Since.UTC().Format("2 January 2006 15:04 MST")
	switch a.Condition {
	case roger.AlertReauthorization:
		n.Title = fmt.Sprintf("Replicator “%s” needs re-authorization", r.Name)
		n.Text = fmt.Sprintf("Since %s Exact Online no longer accepts roger's authorization for replicator “%s”, so its directory is no longer updated and callers are identified from what it held then.", since, r.Name)
		if a.Detail != "" {
			n.Text += " " + a.Detail
		}
		n.Action = "Open the replicator in roger and click Authorize application to sign in to Exact Online again."
		n.Link = page + "#authorize"
	case roger.AlertFailing:
		n.Title = fmt.Sprintf("Replicator “%s” keeps failing", r.Name)
		n.Text = fmt.Sprintf("Replicator “%s” has failed every sync since %s. %s", r.Name, since, a.Detail)
		n.Action = "Open the replicator in roger to see its runs and what Exact Online answered."
		n.Link = page
	case roger.AlertStale:
		n.Title = fmt.Sprintf("Replicator “%s” has not synced since %s", r.Name, since)
		n.Text = fmt.Sprintf("The directory of replicator “%s” is out of date: %s Callers are identified from what it held then.", r.Name, a.Detail)
		n.Action = "Open the replicator in roger to see its state and runs; start a sync with Sync now once it is fixed."
		n.Link = page
	case roger.AlertDailyCalls:
		n.Title = fmt.Sprintf("Replicator “%s” has used most of today's Exact API calls", r.Name)
		n.Text = fmt.Sprintf("%s When they run out, replicator “%s” stops syncing until 00:00 UTC and changes in Exact Online reach the directory only after that.", a.Detail, r.Name)
		n.Action = "Open the replicator in roger: its runs show what spends the calls (repeated full syncs, a short interval); a longer interval spends fewer."
		n.Link = page
	case roger.AlertUnparseable:
		n.Title = fmt.Sprintf("Replicator “%s”: many numbers did not parse", r.Name)
		n.Text = fmt.Sprintf("%s Callers from those numbers are not recognised.", a.Detail)
		n.Action = "Open the replicator's data-quality report in roger to see the records and correct them in Exact Online."
		n.Link = page + "/quality"
	default:
		n.Title = fmt.Sprintf("Replicator “%s”: %s", r.Name, a.Condition)
		n.Text = a.Detail
		n.Link = page
	}
	switch kind {
	case roger.NoticeReminder:
		n.Title = "Still: " + n.Title
	case roger.NoticeRecovery:
		n.Title = fmt.Sprintf("Resolved: replicator “%s” syncs again", r.Name)
		n.Text = fmt.Sprintf("Replicator “%s” is fine again since %s: %s.", r.Name, now.UTC().Format("2 January 2006 15:04 MST"), recoveryWords(a.Condition))
		n.Action = ""
		n.Link = page
	}
	return n
}

// recoveryWords says how a condition ended.
func recoveryWords(c roger.AlertCondition) string {
	switch c {
	case roger.AlertReauthorization:
		return "it was authorized again"
	case roger.AlertFailing:
		return "its syncs succeed again"
	case roger.AlertStale:
		return "a sync succeeded again"
	case roger.AlertDailyCalls:
		return "a new day's API calls began"
	case roger.AlertUnparseable:
		return "its latest sync read the numbers as usual again"
	}
	return "the condition is over"
}

// testNotice is what "Send a test" sends to a channel.
func testNotice(org *roger.Organization, ch *roger.Channel, publicURL string, now time.Time) roger.Notice {
	return roger.Notice{Kind: roger.NoticeTest, Organization: org.Name, At: now.UTC(),
		Title: fmt.Sprintf("roger test notice to “%s”", ch.Name),
		Text:  fmt.Sprintf("This channel receives roger's notices for %s: when a replicator needs re-authorization, keeps failing, goes stale, uses most of its daily Exact API calls or reads many numbers that do not parse, and when it recovers.", org.Name),
		Link:  strings.TrimRight(publicURL, "/") + "/replicators"}
}
