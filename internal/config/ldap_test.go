package config

import (
	"strings"
	"testing"
)

func TestLDAPConfig(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	c, err := Load(env(nil))
	if err != nil || c.LDAP.Addr != "" || c.LDAP.MaxResults != 1000 {
		t.Fatalf("default: %+v, %v", c.LDAP, err)
	}
	c, err = Load(env(map[string]string{"ROGER_LDAP_ADDR": "127.0.0.1:3890"}))
	if err != nil || c.LDAP.Addr != "127.0.0.1:3890" || c.LDAP.AllowPlain {
		t.Fatalf("loopback: %+v, %v", c.LDAP, err)
	}
	c, err = Load(env(map[string]string{"ROGER_LDAP_ADDR": "0.0.0.0:389", "ROGER_LDAP_TLS_CERT": "c.pem", "ROGER_LDAP_TLS_KEY": "k.pem", "ROGER_LDAPS_ADDR": ":636"}))
	if err != nil || c.LDAP.TLSAddr != ":636" {
		t.Fatalf("with a certificate: %+v, %v", c.LDAP, err)
	}
	if c, err = Load(env(map[string]string{"ROGER_LDAP_ADDR": "10.0.0.5:389", "ROGER_LDAP_ALLOW_PLAIN": "true"})); err != nil || !c.LDAP.AllowPlain {
		t.Fatalf("plain by choice: %+v, %v", c.LDAP, err)
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"plain off loopback", map[string]string{"ROGER_LDAP_ADDR": "0.0.0.0:389"}, "not on loopback and there is no certificate"},
		{"not host:port", map[string]string{"ROGER_LDAP_ADDR": "389"}, "ROGER_LDAP_ADDR \"389\" is not HOST:PORT"},
		{"cert without key", map[string]string{"ROGER_LDAP_ADDR": "127.0.0.1:389", "ROGER_LDAP_TLS_CERT": "c.pem"}, "set both ROGER_LDAP_TLS_CERT and ROGER_LDAP_TLS_KEY"},
		{"ldaps without cert", map[string]string{"ROGER_LDAPS_ADDR": ":636"}, "ROGER_LDAPS_ADDR needs a certificate"},
		{"cert without address", map[string]string{"ROGER_LDAP_TLS_CERT": "c.pem", "ROGER_LDAP_TLS_KEY": "k.pem"}, "no LDAP address"},
		{"allow plain not a bool", map[string]string{"ROGER_LDAP_ADDR": "127.0.0.1:389", "ROGER_LDAP_ALLOW_PLAIN": "yes please"}, "must be true or false"},
		{"max results", map[string]string{"ROGER_LDAP_MAX_RESULTS": "0"}, "ROGER_LDAP_MAX_RESULTS \"0\" must be a number from 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(env(tc.vars)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
