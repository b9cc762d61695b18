package clientaddr

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{"empty", "", nil, false},
		{"CIDRs and addresses", " 10.0.0.0/8, 192.0.2.7 ,fd00::/8,::1", []string{"10.0.0.0/8", "192.0.2.7/32", "fd00::/8", "::1/128"}, false},
		{"host bits dropped", "10.1.2.3/8", []string{"10.0.0.0/8"}, false},
		{"mapped IPv4", "::ffff:192.0.2.7", []string{"192.0.2.7/32"}, false},
		{"trailing comma", "10.0.0.0/8,", []string{"10.0.0.0/8"}, false},
		{"a name", "proxy.internal", nil, true},
		{"a bad prefix length", "10.0.0.0/33", nil, true},
		{"a port", "10.0.0.1:443", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
			for i := range got {
				if got[i].String() != tc.want[i] {
					t.Errorf("Parse(%q)[%d] = %s, want %s", tc.in, i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestAddr(t *testing.T) {
	trusted, err := Parse("10.0.0.0/8, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	r := New(trusted)
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"spoofed header from an untrusted peer", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted proxy", "10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own header left of the proxy's hop", "10.0.0.2:443", []string{"127.0.0.1, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.0.0.2:443", []string{"198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"hops on several lines", "10.0.0.2:443", []string{"192.0.2.50", "198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"untrusted hop between proxies", "10.0.0.2:443", []string{"198.51.100.1, 203.0.113.7, 10.0.0.3"}, "203.0.113.7"},
		{"every hop trusted", "10.0.0.2:443", []string{"10.0.0.9, 10.0.0.3"}, "10.0.0.9"},
		{"trusted proxy without the header", "10.0.0.2:443", nil, "10.0.0.2"},
		{"garbage hop ends the walk", "10.0.0.2:443", []string{"198.51.100.1, garbage, 10.0.0.3"}, "10.0.0.3"},
		{"hop with a port", "10.0.0.2:443", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 hop in brackets", "10.0.0.2:443", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"IPv6 proxy", "[fd00::2]:443", []string{"2001:db8::1"}, "2001:db8::1"},
		{"mapped IPv4 peer", "[::ffff:10.0.0.2]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"untrusted IPv6 peer", "[2001:db8::5]:443", []string{"198.51.100.1"}, "2001:db8::5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Addr(req); got.String() != tc.want {
				t.Fatalf("Addr = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("nil resolver trusts nobody", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "10.0.0.2:443"
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		var none *Resolver
		if got := none.Addr(req); got.String() != "10.0.0.2" {
			t.Fatalf("Addr = %s, want the peer", got)
		}
	})
}

func TestHTTPS(t *testing.T) {
	r := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	for _, tc := range []struct {
		name   string
		remote string
		tls    bool
		proto  []string
		want   bool
	}{
		{"plain", "203.0.113.9:5000", false, nil, false},
		{"TLS", "203.0.113.9:5000", true, nil, true},
		{"spoofed by an untrusted peer", "203.0.113.9:5000", false, []string{"https"}, false},
		{"trusted proxy says https", "10.0.0.2:80", false, []string{"https"}, true},
		{"trusted proxy says http", "10.0.0.2:80", false, []string{"http"}, false},
		{"the proxy's own value counts", "10.0.0.2:80", false, []string{"https, http"}, false},
		{"upper case", "10.0.0.2:80", false, []string{"HTTPS"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for _, v := range tc.proto {
				req.Header.Add("X-Forwarded-Proto", v)
			}
			if got := r.HTTPS(req); got != tc.want {
				t.Fatalf("HTTPS = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"IPv4", "198.51.100.1", "198.51.100.1"},
		{"IPv6 counts its /64", "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"another address in the same /64", "2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Key(netip.MustParseAddr(tc.in)); got != tc.want {
				t.Fatalf("Key(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
	if got := Key(netip.Addr{}); got != "unknown" {
		t.Fatalf("Key(zero) = %s", got)
	}
}
