package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/ldapdir"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/metrics"
)

// startLDAP serves the directory over LDAP for phones when
// ROGER_LDAP_ADDR or ROGER_LDAPS_ADDR is set, from the in-memory index
// with the lookups' number matching; it returns nil when LDAP is off, and
// records the addresses served in a.ldapAddr and a.ldapsAddr.
func (m *Main) startLDAP(a *app, index *dirindex.Index, lookups *lookup.Service, met *metrics.Metrics, log *slog.Logger) (*ldapdir.Server, error) {
	cfg := a.cfg.LDAP
	if cfg.Addr == "" && cfg.TLSAddr == "" {
		return nil, nil
	}
	if index == nil || lookups == nil {
		return nil, errors.New("the LDAP directory answers from the in-memory index: unset ROGER_LOOKUP_INDEX (or set it to memory), or unset ROGER_LDAP_ADDR")
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("ROGER_LDAP_TLS_CERT/ROGER_LDAP_TLS_KEY: %w (give PEM files of a certificate and its key)", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	opts := ldapdir.Options{Keys: a.store, Directory: index, Numbers: lookups, Orgs: a.store, Throttle: ldapdir.NewThrottle(a.store),
		Log: log, TLS: tlsConfig, AllowPlain: cfg.AllowPlain, MaxSize: cfg.MaxResults}
	if met != nil {
		opts.Observer = metrics.NewLDAP(met)
	}
	srv := ldapdir.New(opts)
	var err error
	if cfg.Addr != "" {
		a.ldapAddr, err = srv.Listen(cfg.Addr, false)
		if err != nil && a.ldapAnyPort {
			host, _, _ := net.SplitHostPort(cfg.Addr)
			a.ldapAddr, err = srv.Listen(net.JoinHostPort(host, "0"), false)
		}
		if err != nil {
			srv.Close()
			return nil, fmt.Errorf("%w (set ROGER_LDAP_ADDR to another address)", err)
		}
		fmt.Fprintf(m.Stdout, "roger serves LDAP for phones on %s (base DN ou=directory,o=<organisation ID>)\n", a.ldapAddr)
	}
	if cfg.TLSAddr != "" {
		if a.ldapsAddr, err = srv.Listen(cfg.TLSAddr, true); err != nil {
			srv.Close()
			return nil, fmt.Errorf("%w (set ROGER_LDAPS_ADDR to another address)", err)
		}
		fmt.Fprintf(m.Stdout, "roger serves LDAPS for phones on %s\n", a.ldapsAddr)
	}
	return srv, nil
}

// ldapURL is the address phones are given for the LDAP directory: the
// public host name with the LDAP port (LDAPS when only that is served).
func ldapURL(a *app) string {
	scheme, addr := "ldap", a.ldapAddr
	if addr == "" {
		scheme, addr = "ldaps", a.ldapsAddr
	}
	if addr == "" {
		return ""
	}
	_, port, _ := net.SplitHostPort(addr)
	host := a.cfg.PublicURL
	if u, err := url.Parse(a.cfg.PublicURL); err == nil {
		host = u.Hostname()
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
