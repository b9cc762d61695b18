package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/notify"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/web"
)

const notifyUsage = `Usage:
  roger notify add [--org ORG] --name NAME --email a@example.com,b@example.com
  roger notify add [--org ORG] --name NAME --teams URL|-
  roger notify add [--org ORG] --name NAME --webhook URL|- --secret SECRET|-
                                       add a channel that receives alerts when a replicator
                                       needs re-authorization, keeps failing, goes stale, uses most
                                       of its daily Exact calls or reads many unparseable numbers
  roger notify list [--org ORG]        the organisation's channels
  roger notify test [--org ORG] ID     send a test notice to channel ID now and show the result
  roger notify remove [--org ORG] ID   remove channel ID: it is told nothing more
  roger notify log [--org ORG]         the newest delivery attempts

E-mail goes through the operator's SMTP server (ROGER_SMTP_*). A Teams URL
is that of the workflow "Post to a channel when a webhook request is
received". A webhook receives the notice as JSON, signed in the
X-Roger-Signature header (sha256=HMAC-SHA256 of the body under SECRET).
A URL or a secret given as "-" is read from standard input (one of them).
`

func (m *Main) runNotify(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(m.Stdout, notifyUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "add":
		return m.notifyAdd(ctx, args[1:])
	case "list":
		return m.notifyList(ctx, args[1:])
	case "test":
		return m.notifyTest(ctx, args[1:])
	case "log":
		return m.notifyLog(ctx, args[1:])
	case "remove":
		return m.notifyRemove(ctx, args[1:])
	}
	fmt.Fprintf(m.Stderr, "roger notify: unknown command %q\n\n%s", args[0], notifyUsage)
	return errUsage
}

func (m *Main) notifyAdd(ctx context.Context, args []string) error {
	fs := m.flags("roger notify add")
	orgName := fs.String("org", "default", "the organisation")
	name := fs.String("name", "", "what the channel is, such as \"support desk\"")
	email := fs.String("email", "", "comma-separated e-mail addresses")
	teams := fs.String("teams", "", "the Teams workflow URL, or - to read it from standard input")
	webhook := fs.String("webhook", "", "the webhook URL, or - to read it from standard input")
	secretFlag := fs.String("secret", "", "the webhook's signing secret (16 characters or more), or - to read it from standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	ch := &roger.Channel{Name: strings.TrimSpace(*name)}
	kinds := 0
	for _, v := range []string{*email, *teams, *webhook} {
		if v != "" {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("give one of --email, --teams or --webhook")
	}
	var err error
	switch {
	case *email != "":
		ch.Kind = roger.ChannelEmail
		for _, a := range strings.Split(*email, ",") {
			if a = strings.TrimSpace(a); a != "" {
				ch.Recipients = append(ch.Recipients, a)
			}
		}
	case *teams != "":
		ch.Kind = roger.ChannelTeams
		if ch.URL, err = m.readSecret(*teams, ""); err != nil {
			return err
		}
	default:
		ch.Kind = roger.ChannelWebhook
		if *webhook == "-" && *secretFlag == "-" {
			return errors.New("standard input holds one of --webhook and --secret: give the other in the command line")
		}
		if ch.URL, err = m.readSecret(*webhook, ""); err != nil {
			return err
		}
		if ch.Secret, err = m.readSecret(*secretFlag, ""); err != nil {
			return err
		}
	}
	if err := ch.Validate(); err != nil {
		// The URL is given as --teams or --webhook on the command line.
		var fields roger.Invalid
		if errors.As(err, &fields) {
			for i := range fields {
				if fields[i].Field == "url" {
					fields[i].Field = string(ch.Kind)
				}
			}
			err = fields
		}
		return refusedFlags("the channel was not added", err)
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	// Like a first replicator, a first channel may come before any
	// organisation exists.
	org, err := a.findOrg(ctx, *orgName, true)
	if err != nil {
		return err
	}
	ch.OrgID = org.ID
	if err := a.store.CreateChannel(ctx, ch); err != nil {
		return err
	}
	_ = a.store.AppendAudit(ctx, org.ID, "command line", "channel.create", "channel/"+strconv.FormatInt(ch.ID, 10), string(ch.Kind)+" "+ch.Name)
	fmt.Fprintf(m.Stdout, "Channel %d %q (%s) added for %s. Send a test: roger notify test --org %q %d\n", ch.ID, ch.Name, ch.Kind, org.Name, org.Name, ch.ID)
	if ch.Kind == roger.ChannelEmail && a.cfg.SMTP.Host == "" {
		fmt.Fprintln(m.Stderr, "E-mail is not configured yet: set ROGER_SMTP_HOST and ROGER_SMTP_FROM (see roger --help).")
	}
	return nil
}

func (m *Main) notifyList(ctx context.Context, args []string) error {
	fs := m.flags("roger notify list")
	orgName := fs.String("org", "default", "the organisation")
	if err := parse(fs, args); err != nil {
		return err
	}
	return m.inOrg(ctx, *orgName, func(a *app, org *roger.Organization) error {
		channels, err := a.store.ListChannels(ctx, org.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tNAME\tTO")
		for _, c := range channels {
			to := c.Hint
			if c.Kind == roger.ChannelEmail {
				to = strings.Join(c.Recipients, ", ")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.ID, c.Kind, c.Name, to)
		}
		return tw.Flush()
	})
}

// channelArgs reads the arguments of a command about one channel of an
// organisation: [--org ORG] ID.
func (m *Main) channelArgs(command string, args []string) (orgName string, id int64, err error) {
	fs := m.flags(command)
	org := fs.String("org", "default", "the organisation")
	if err := parse(fs, args); err != nil {
		return "", 0, err
	}
	id, err = strconv.ParseInt(fs.Arg(0), 10, 64)
	if fs.NArg() != 1 || err != nil {
		return "", 0, errors.New("give the ID of one channel, as roger notify list shows it")
	}
	return *org, id, nil
}

func (m *Main) notifyTest(ctx context.Context, args []string) error {
	orgName, id, err := m.channelArgs("roger notify test", args)
	if err != nil {
		return err
	}
	return m.inOrg(ctx, orgName, func(a *app, org *roger.Organization) error {
		n, err := m.notifier(a, nil).SendTest(ctx, org, id)
		if err != nil {
			return err
		}
		if n.Status != roger.DeliverySent {
			log, _ := a.store.ListDeliveries(ctx, org.ID, 1)
			why := "see roger notify log"
			if len(log) == 1 {
				why = log[0].Error
			}
			return fmt.Errorf("the test notice was not delivered: %s", why)
		}
		fmt.Fprintf(m.Stdout, "Test notice delivered to channel %d.\n", id)
		return nil
	})
}

func (m *Main) notifyRemove(ctx context.Context, args []string) error {
	orgName, id, err := m.channelArgs("roger notify remove", args)
	if err != nil {
		return err
	}
	return m.inOrg(ctx, orgName, func(a *app, org *roger.Organization) error {
		if err := a.store.DeleteChannel(ctx, org.ID, id); err != nil {
			return err
		}
		_ = a.store.AppendAudit(ctx, org.ID, "command line", "channel.delete", "channel/"+strconv.FormatInt(id, 10), "")
		fmt.Fprintf(m.Stdout, "Channel %d removed.\n", id)
		return nil
	})
}

func (m *Main) notifyLog(ctx context.Context, args []string) error {
	fs := m.flags("roger notify log")
	orgName := fs.String("org", "default", "the organisation")
	limit := fs.Int("n", 50, "how many attempts")
	if err := parse(fs, args); err != nil {
		return err
	}
	return m.inOrg(ctx, *orgName, func(a *app, org *roger.Organization) error {
		log, err := a.store.ListDeliveries(ctx, org.ID, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tCHANNEL\tOUTCOME\tNOTICE\tERROR")
		for _, d := range log {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.At.UTC().Format("2006-01-02 15:04:05"), d.Channel, d.Outcome, d.Title, d.Error)
		}
		return tw.Flush()
	})
}

// notifier is the evaluator of alerts with the channels this instance
// can deliver to: e-mail when ROGER_SMTP_HOST is set, Teams and
// webhooks always.
func (m *Main) notifier(a *app, log *slog.Logger) *notify.Evaluator {
	senders := map[roger.ChannelKind]notify.Sender{roger.ChannelTeams: &notify.Webhook{}, roger.ChannelWebhook: &notify.Webhook{}}
	if s := a.cfg.SMTP; s.Host != "" {
		senders[roger.ChannelEmail] = &notify.Mailer{SMTP: notify.SMTP{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From, TLS: s.TLS}}
	}
	return &notify.Evaluator{Store: a.store, Clock: clock.System{}, Owner: a.cfg.Instance, PublicURL: a.cfg.PublicURL, Senders: senders, Log: log}
}

// portalNotifications gives the portal's Notifications page the channels
// and log from the store and test sends from the evaluator.
type portalNotifications struct {
	store    *sqlstore.Store
	notifier *notify.Evaluator
}

func (p portalNotifications) ListChannels(ctx context.Context, orgID int64) ([]*roger.Channel, error) {
	return p.store.ListChannels(ctx, orgID)
}

func (p portalNotifications) CreateChannel(ctx context.Context, c *roger.Channel) error {
	return p.store.CreateChannel(ctx, c)
}

func (p portalNotifications) DeleteChannel(ctx context.Context, orgID, id int64) error {
	return p.store.DeleteChannel(ctx, orgID, id)
}

func (p portalNotifications) ListDeliveries(ctx context.Context, orgID int64, limit int) ([]roger.DeliveryAttempt, error) {
	return p.store.ListDeliveries(ctx, orgID, limit)
}

func (p portalNotifications) SendTest(ctx context.Context, org *roger.Organization, channelID int64) (*roger.Notification, error) {
	return p.notifier.SendTest(ctx, org, channelID)
}

var _ web.Notifications = portalNotifications{}
