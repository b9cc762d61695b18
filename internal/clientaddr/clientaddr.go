// Package clientaddr finds the address of the client behind an HTTP
// request: the connection's peer, or, when the peer is a reverse proxy
// roger was told to trust, the address that proxy names in
// X-Forwarded-For. Anyone can send those headers, so they are believed
// only from a trusted peer, and only the hops that trusted proxies added.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Parse reads a comma-separated list of CIDRs (10.0.0.0/8, fd00::/8) or
// single addresses (192.0.2.7, ::1); an empty list trusts no proxy.
func Parse(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a CIDR such as 10.0.0.0/8", f)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Resolver finds requests' client addresses. The zero value and a nil
// *Resolver trust no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes the forwarding headers of peers
// within trusted.
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: trusted}
}

// Trusted reports whether a is a trusted proxy.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Peer returns the address of the connection's other end, the zero Addr
// when RemoteAddr is not an address (a test's or a pipe's).
func Peer(req *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(req.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	return parseHop(req.RemoteAddr)
}

// Addr returns the request's client address: the peer, unless the peer is
// a trusted proxy; then X-Forwarded-For is read from the right (each proxy
// appends the address it received the request from) and the first hop
// that is not a trusted proxy is the client. What lies to the left of it
// was written by the client and proves nothing. A hop that is not an
// address ends the walk at the last trusted one.
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	addr := Peer(req)
	if !r.Trusted(addr) {
		return addr
	}
	hops := forwardedFor(req)
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseHop(hops[i])
		if !hop.IsValid() {
			return addr
		}
		addr = hop
		if !r.Trusted(hop) {
			return hop
		}
	}
	return addr
}

// HTTPS reports whether the client reached roger over https: the
// connection is TLS, or a trusted proxy says so in X-Forwarded-Proto (its
// last value, the one the proxy that connected to roger set).
func (r *Resolver) HTTPS(req *http.Request) bool {
	if req.TLS != nil {
		return true
	}
	if !r.Trusted(Peer(req)) {
		return false
	}
	values := req.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	list := strings.Split(values[len(values)-1], ",")
	return strings.EqualFold(strings.TrimSpace(list[len(list)-1]), "https")
}

// Key is what a per-address limit counts: an IPv4 address, or the /64
// network of an IPv6 address, since one subscriber is usually given a
// whole /64 and could otherwise change address at every attempt.
func Key(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	default:
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
}

// forwardedFor returns the hops of every X-Forwarded-For line, in order.
func forwardedFor(req *http.Request) []string {
	var hops []string
	for _, line := range req.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

// parseHop reads an address as proxies write it: bare, with a port, or
// in brackets; the zero Addr when it is none of these.
func parseHop(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}
