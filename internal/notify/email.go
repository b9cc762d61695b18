package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/roger365io/roger"
	"github.com/wneessen/go-mail"
)

// SMTP are the operator's mail settings (ROGER_SMTP_*).
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	// TLS is "starttls" (required, the default), "tls" (implicit TLS,
	// usually port 465) or "none" (only to a server on loopback).
	TLS string
	// TLSConfig, when set, replaces the default (the system's roots,
	// verifying Host); tests trust their own server with it.
	TLSConfig *tls.Config
}

// Mailer sends notices by e-mail through the operator's SMTP server to
// the recipients of an e-mail channel.
type Mailer struct {
	SMTP SMTP
}

var _ Sender = (*Mailer)(nil)

// Send mails n to the channel's recipients.
func (m *Mailer) Send(ctx context.Context, ch *roger.Channel, n roger.Notice) error {
	if len(ch.Recipients) == 0 {
		return errors.New("the channel has no recipients: add an e-mail address")
	}
	opts := []mail.Option{mail.WithPort(m.SMTP.Port)}
	switch m.SMTP.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.SMTP.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(m.SMTP.TLSConfig))
	}
	if m.SMTP.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.SMTP.Username), mail.WithPassword(m.SMTP.Password))
	}
	client, err := mail.NewClient(m.SMTP.Host, opts...)
	if err != nil {
		return fmt.Errorf("set up the SMTP client for %s: %w", m.SMTP.Host, err)
	}
	msg := mail.NewMsg()
	if err := msg.From(m.SMTP.From); err != nil {
		return fmt.Errorf("ROGER_SMTP_FROM %q is not an e-mail address: %w", m.SMTP.From, err)
	}
	if err := msg.To(ch.Recipients...); err != nil {
		return fmt.Errorf("a recipient is not an e-mail address: %w", err)
	}
	msg.Subject(n.Title)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, plainText(n))
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return m.safe(fmt.Errorf("send through %s:%d: %w", m.SMTP.Host, m.SMTP.Port, err))
	}
	return nil
}

// safe keeps the SMTP password out of an error, should a server or a
// library ever repeat it.
func (m *Mailer) safe(err error) error {
	if m.SMTP.Password == "" || !strings.Contains(err.Error(), m.SMTP.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), m.SMTP.Password, "[password]"))
}

// plainText is a notice as the body of an e-mail.
func plainText(n roger.Notice) string {
	var b strings.Builder
	b.WriteString(n.Text)
	b.WriteString("\n\n")
	if n.Action != "" {
		b.WriteString(n.Action + "\n")
	}
	if n.Link != "" {
		b.WriteString(n.Link + "\n")
	}
	fmt.Fprintf(&b, "\n-- \nroger, for %s\n", n.Organization)
	return b.String()
}
