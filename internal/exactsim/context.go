package exactsim

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
)

type ctxKey int

const hostKey ctxKey = 0

// hostInfo is the simulated host a request arrived on.
type hostInfo struct {
	region string // nl, be, …
	prefix string // the path prefix the request used: "", "/nl", "/be", …
}

func withHost(ctx context.Context, h hostInfo) context.Context {
	return context.WithValue(ctx, hostKey, h)
}

func host(ctx context.Context) hostInfo {
	h, ok := ctx.Value(hostKey).(hostInfo)
	if !ok {
		return hostInfo{region: "nl"}
	}
	return h
}

func region(ctx context.Context) string { return host(ctx).region }

// baseURL is the absolute URL of the simulated host the request came to,
// so links the simulator writes (__next, __metadata) lead back to it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host + host(r.Context()).prefix
}

// isLoopbackURL reports whether raw points at this machine, where plain
// http is allowed so a local portal can be registered.
func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
