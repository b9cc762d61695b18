package config

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
)

// SMTP is the operator's mail server for e-mail notices (ROGER_SMTP_*).
// Host is empty when e-mail is not configured.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	// TLS is starttls, tls or none.
	TLS string
}

// loadSMTP reads the ROGER_SMTP_* variables; every error names the
// variable and says what it accepts.
func loadSMTP(getenv func(string) string) (SMTP, error) {
	s := SMTP{Host: getenv("ROGER_SMTP_HOST"), Username: getenv("ROGER_SMTP_USERNAME"), From: getenv("ROGER_SMTP_FROM"), TLS: getenv("ROGER_SMTP_TLS")}
	var err error
	if s.Password, err = valueOrFile(getenv, "ROGER_SMTP_PASSWORD"); err != nil {
		return SMTP{}, err
	}
	if s.Host == "" {
		for _, name := range []string{"ROGER_SMTP_PORT", "ROGER_SMTP_USERNAME", "ROGER_SMTP_FROM", "ROGER_SMTP_TLS"} {
			if getenv(name) != "" {
				return SMTP{}, fmt.Errorf("%s is set but ROGER_SMTP_HOST is not: set the SMTP server's host name too", name)
			}
		}
		if s.Password != "" {
			return SMTP{}, fmt.Errorf("ROGER_SMTP_PASSWORD is set but ROGER_SMTP_HOST is not: set the SMTP server's host name too")
		}
		return s, nil
	}
	switch s.TLS {
	case "":
		s.TLS = "starttls"
	case "starttls", "tls":
	case "none":
		if ip := net.ParseIP(s.Host); s.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return SMTP{}, fmt.Errorf("ROGER_SMTP_TLS=none sends the password and the notices in plain text: it is allowed only to a server on loopback (127.0.0.1, ::1, localhost), not to %s; use starttls or tls", s.Host)
		}
	default:
		return SMTP{}, fmt.Errorf("ROGER_SMTP_TLS %q must be starttls, tls or none", s.TLS)
	}
	def := 587
	if s.TLS == "tls" {
		def = 465
	}
	if s.Port, err = intVar(getenv, "ROGER_SMTP_PORT", def, 1, "1", 65535); err != nil {
		return SMTP{}, err
	}
	if s.From == "" {
		return SMTP{}, fmt.Errorf("ROGER_SMTP_FROM is required with ROGER_SMTP_HOST: the address notices come from, such as roger@example.com")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return SMTP{}, fmt.Errorf("ROGER_SMTP_FROM %q is not an e-mail address such as roger@example.com", s.From)
	}
	if (s.Username == "") != (s.Password == "") {
		return SMTP{}, fmt.Errorf("set both ROGER_SMTP_USERNAME and ROGER_SMTP_PASSWORD (or ROGER_SMTP_PASSWORD_FILE), or neither")
	}
	return s, nil
}

// Addr is the server's host:port, for messages.
func (s SMTP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }
