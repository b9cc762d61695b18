package config

import (
	"fmt"
	"net"
	"strconv"
)

// LDAP is the read-only LDAP directory for phones (ROGER_LDAP_*); Addr
// is empty when it is off.
type LDAP struct {
	// Addr serves LDAP, with StartTLS when a certificate is set.
	Addr string
	// TLSAddr, when set, serves LDAPS (TLS from the first byte).
	TLSAddr string
	// TLSCert and TLSKey are the PEM files of the certificate.
	TLSCert, TLSKey string
	// AllowPlain lets phones bind without TLS off loopback.
	AllowPlain bool
	// MaxResults bounds the entries of one search or page.
	MaxResults int
}

// loadLDAP reads the ROGER_LDAP_* variables; every error names the
// variable and says what it accepts.
func loadLDAP(getenv func(string) string) (LDAP, error) {
	l := LDAP{Addr: getenv("ROGER_LDAP_ADDR"), TLSAddr: getenv("ROGER_LDAPS_ADDR"), TLSCert: getenv("ROGER_LDAP_TLS_CERT"), TLSKey: getenv("ROGER_LDAP_TLS_KEY")}
	var err error
	if v := getenv("ROGER_LDAP_ALLOW_PLAIN"); v != "" {
		if l.AllowPlain, err = strconv.ParseBool(v); err != nil {
			return LDAP{}, fmt.Errorf("ROGER_LDAP_ALLOW_PLAIN %q must be true or false", v)
		}
	}
	if l.MaxResults, err = intVar(getenv, "ROGER_LDAP_MAX_RESULTS", 1000, 1, "1", 100_000); err != nil {
		return LDAP{}, err
	}
	if (l.TLSCert == "") != (l.TLSKey == "") {
		return LDAP{}, fmt.Errorf("set both ROGER_LDAP_TLS_CERT and ROGER_LDAP_TLS_KEY, or neither")
	}
	for _, a := range []struct{ name, addr string }{{"ROGER_LDAP_ADDR", l.Addr}, {"ROGER_LDAPS_ADDR", l.TLSAddr}} {
		if a.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return LDAP{}, fmt.Errorf("%s %q is not HOST:PORT (for example 127.0.0.1:389)", a.name, a.addr)
		}
	}
	if l.TLSAddr != "" && l.TLSCert == "" {
		return LDAP{}, fmt.Errorf("ROGER_LDAPS_ADDR needs a certificate: set ROGER_LDAP_TLS_CERT and ROGER_LDAP_TLS_KEY")
	}
	if l.Addr == "" && l.TLSAddr == "" && (l.TLSCert != "" || l.AllowPlain) {
		return LDAP{}, fmt.Errorf("ROGER_LDAP_TLS_CERT or ROGER_LDAP_ALLOW_PLAIN is set but no LDAP address: set ROGER_LDAP_ADDR or ROGER_LDAPS_ADDR too")
	}
	if l.Addr != "" && l.TLSCert == "" && !l.AllowPlain && !loopbackAddr(l.Addr) {
		return LDAP{}, fmt.Errorf("ROGER_LDAP_ADDR %s is not on loopback and there is no certificate: phones would send their key in clear; set ROGER_LDAP_TLS_CERT and ROGER_LDAP_TLS_KEY (StartTLS), or ROGER_LDAP_ALLOW_PLAIN=true for a network nobody else can read", l.Addr)
	}
	return l, nil
}

func loopbackAddr(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
