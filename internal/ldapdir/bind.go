package ldapdir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/jimlambrt/gldap"

	"github.com/roger365io/roger"
)

// listener is one listening address: its connections' sessions, and
// whether they are encrypted from the start (LDAPS) or may bind in clear.
type listener struct {
	srv     *Server
	secure  bool
	plainOK bool

	mu       sync.Mutex
	sessions map[int]*session // by connection ID
}

// session is what a connection has established: TLS, and the key it
// bound with.
type session struct {
	tls     bool
	key     *roger.APIKey
	keyHash string
	checked time.Time
}

func (l *listener) routes() (*gldap.Mux, error) {
	mux, err := gldap.NewMux()
	if err != nil {
		return nil, err
	}
	for _, add := range []func() error{
		func() error { return mux.Bind(l.bind) },
		func() error { return mux.Search(l.search) },
		func() error { return mux.ExtendedOperation(l.startTLS, gldap.ExtendedOperationStartTLS) },
		func() error { return mux.Unbind(l.unbind) },
		func() error { return mux.Add(l.refuseWrite("add", gldap.ApplicationAddResponse)) },
		func() error { return mux.Modify(l.refuseWrite("modify", gldap.ApplicationModifyResponse)) },
		func() error { return mux.Delete(l.refuseWrite("delete", gldap.ApplicationDelResponse)) },
		func() error { return mux.DefaultRoute(l.refuseOther) },
	} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	return mux, nil
}

func (l *listener) session(connID int) *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sessions[connID]
	if s == nil {
		s = &session{tls: l.secure}
		l.sessions[connID] = s
	}
	return s
}

func (l *listener) closed(connID int) {
	l.mu.Lock()
	delete(l.sessions, connID)
	l.mu.Unlock()
}

func (l *listener) observeBind(outcome string) {
	if o := l.srv.opts.Observer; o != nil {
		o.ObserveBind(outcome)
	}
}

func (l *listener) observeRefusal(op string) {
	if o := l.srv.opts.Observer; o != nil {
		o.ObserveRefusal(op)
	}
}

// bind authenticates a phone: the DN names the key (BindDN), the password
// is the key. A failed bind forgets what the connection was bound as.
func (l *listener) bind(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewBindResponse(gldap.WithResponseCode(gldap.ResultInvalidCredentials))
	defer func() { _ = w.Write(resp) }()
	msg, err := r.GetSimpleBindMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultAuthMethodNotSupported)
		resp.SetDiagnosticMessage("Only simple bind is supported: bind with the DN and key shown in roger's portal.")
		l.observeBind("unsupported")
		return
	}
	sess := l.session(r.ConnectionID())
	l.mu.Lock()
	sess.key, sess.keyHash = nil, ""
	tlsOn := sess.tls
	l.mu.Unlock()
	password := string(msg.Password)
	switch {
	case msg.UserName == "" && password == "":
		resp.SetResultCode(gldap.ResultInappropriateAuthentication)
		resp.SetDiagnosticMessage("Anonymous bind is not allowed: bind with the DN and key shown in roger's portal (API keys, for phones).")
		l.observeBind("anonymous")
		return
	case password == "":
		resp.SetResultCode(gldap.ResultUnwillingToPerform)
		resp.SetDiagnosticMessage("A bind without a password is not allowed: the password is the key shown in roger's portal.")
		l.observeBind("anonymous")
		return
	case !tlsOn && !l.plainOK:
		resp.SetResultCode(gldap.ResultConfidentialityRequired)
		resp.SetDiagnosticMessage("Use LDAPS or StartTLS: this server does not take a key in clear over the network.")
		l.observeBind("insecure")
		return
	}
	ctx, cancel := context.WithTimeout(l.srv.ctx, 10*time.Second)
	defer cancel()
	dn := strings.ToLower(strings.Join(strings.Fields(msg.UserName), ""))
	hash := roger.HashAPIKey(password)
	key, known := l.srv.keyCache.get(hash)
	if !known {
		// Counted before it is checked, so that many guesses sent at
		// once cannot all be checked before the first failure counts.
		attempt, wait, err := l.srv.opts.Throttle.reserve(ctx, dn)
		if err != nil {
			resp.SetResultCode(gldap.ResultUnavailable)
			resp.SetDiagnosticMessage("The directory cannot check keys just now; try again.")
			l.srv.opts.Log.Error("LDAP bind: count the attempt", "err", err)
			l.observeBind("error")
			return
		}
		if wait > 0 {
			resp.SetResultCode(gldap.ResultUnwillingToPerform)
			resp.SetDiagnosticMessage(fmt.Sprintf("Too many failed binds as this DN; try again in %d seconds.", int(wait.Seconds()+0.5)))
			l.observeBind("throttled")
			return
		}
		key, err = l.srv.opts.Keys.AuthenticateKey(ctx, password, roger.APIKeyLDAP)
		if err != nil && roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
			_ = l.srv.opts.Throttle.refund(ctx, attempt, dn, false)
			resp.SetResultCode(gldap.ResultUnavailable)
			resp.SetDiagnosticMessage("The directory cannot check keys just now; try again.")
			l.srv.opts.Log.Error("LDAP bind: check the key", "err", err)
			l.observeBind("error")
			return
		}
		if err == nil && dnNamesKey(dn, key) {
			_ = l.srv.opts.Throttle.refund(ctx, attempt, dn, true)
			l.srv.keyCache.put(hash, key)
		} else {
			key = nil
		}
	}
	if key == nil || !dnNamesKey(dn, key) {
		resp.SetDiagnosticMessage("The DN or key is not valid: copy both from roger's portal (API keys, for phones); a revoked key no longer works.")
		l.observeBind("invalid")
		return
	}
	l.mu.Lock()
	sess.key, sess.keyHash, sess.checked = key, hash, time.Now()
	l.mu.Unlock()
	resp.SetResultCode(gldap.ResultSuccess)
	l.observeBind("ok")
}

// dnNamesKey says the bind DN (lower case, without spaces) is the key's:
// its cn is the key's prefix and its o the key's organisation.
func dnNamesKey(dn string, k *roger.APIKey) bool {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 {
		return false
	}
	var cn, o string
	for _, rdn := range parsed.RDNs {
		for _, a := range rdn.Attributes {
			switch strings.ToLower(a.Type) {
			case "cn":
				if cn == "" {
					cn = a.Value
				}
			case "o":
				o = a.Value
			}
		}
	}
	return strings.EqualFold(cn, k.Prefix) && o == strconv.FormatInt(k.OrgID, 10)
}

// boundKey is the key the connection bound with, checked again against
// the database when Options.KeyRecheck has passed, so that a revoked key stops
// working on connections that stay open.
func (l *listener) boundKey(ctx context.Context, connID int) (*roger.APIKey, error) {
	l.mu.Lock()
	sess := l.sessions[connID]
	if sess == nil || sess.key == nil {
		l.mu.Unlock()
		return nil, nil
	}
	key, hash, checked := sess.key, sess.keyHash, sess.checked
	l.mu.Unlock()
	if time.Since(checked) < l.srv.opts.KeyRecheck {
		return key, nil
	}
	revoked, err := l.srv.opts.Keys.APIKeysRevokedSince(ctx, checked.Add(-clockSkew))
	if err != nil {
		return key, nil // the database is away: the key checked before stays good
	}
	if slices.Contains(revoked, key.ID) {
		l.srv.keyCache.drop(hash)
		l.mu.Lock()
		sess.key, sess.keyHash = nil, ""
		l.mu.Unlock()
		return nil, nil
	}
	l.mu.Lock()
	sess.checked = time.Now()
	l.mu.Unlock()
	return key, nil
}

// clockSkew is how far another instance's clock, which stamped a
// revocation, may be behind this one's.
const clockSkew = 5 * time.Minute

// keyCache holds keys checked recently, by hash, so that phones that bind
// for every search cost no database query (and no write for counting
// the attempt).
type keyCache struct {
	mu  sync.Mutex
	m   map[string]cachedKey
	ttl time.Duration
}

type cachedKey struct {
	key   *roger.APIKey
	until time.Time
}

const maxCachedKeys = 10_000

func (c *keyCache) get(hash string) (*roger.APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[hash]
	if !ok || time.Now().After(k.until) {
		delete(c.m, hash)
		return nil, false
	}
	return k.key, true
}

func (c *keyCache) drop(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}

func (c *keyCache) put(hash string, k *roger.APIKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedKeys {
		clear(c.m)
	}
	c.m[hash] = cachedKey{key: k, until: time.Now().Add(c.ttl)}
}

func (l *listener) unbind(_ *gldap.ResponseWriter, r *gldap.Request) { l.closed(r.ConnectionID()) }

// startTLS upgrades a plain connection when a certificate is configured.
func (l *listener) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	resp.SetResponseName(gldap.ExtendedOperationStartTLS)
	sess := l.session(r.ConnectionID())
	l.mu.Lock()
	already := sess.tls
	l.mu.Unlock()
	switch {
	case l.srv.opts.TLS == nil:
		resp.SetResultCode(gldap.ResultProtocolError)
		resp.SetDiagnosticMessage("StartTLS is not configured on this server.")
	case already:
		resp.SetResultCode(gldap.ResultOperationsError)
		resp.SetDiagnosticMessage("The connection is already encrypted.")
	}
	if err := w.Write(resp); err != nil || resp == nil {
		return
	}
	if l.srv.opts.TLS == nil || already {
		return
	}
	if err := r.StartTLS(l.srv.opts.TLS); err != nil {
		l.srv.opts.Log.Info("LDAP StartTLS failed", "err", err)
		return
	}
	l.mu.Lock()
	sess.tls = true
	l.mu.Unlock()
}

// refuseWrite answers a write: the directory is read-only, its truth is
// the CRM.
func (l *listener) refuseWrite(op string, app int) gldap.HandlerFunc {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		l.observeRefusal(op)
		_ = w.Write(r.NewResponse(gldap.WithApplicationCode(app), gldap.WithResponseCode(gldap.ResultUnwillingToPerform),
			gldap.WithDiagnosticMessage("This directory is read-only: change the record in the CRM, and roger copies it here.")))
	}
}

func (l *listener) refuseOther(w *gldap.ResponseWriter, r *gldap.Request) {
	l.observeRefusal("other")
	_ = w.Write(r.NewResponse(gldap.WithResponseCode(gldap.ResultUnwillingToPerform),
		gldap.WithDiagnosticMessage("This directory answers bind and search only.")))
}

// hashDN is the throttle's key of a bind DN, so that the table of
// attempts does not list the DNs tried.
func hashDN(dn string) string {
	sum := sha256.Sum256([]byte(dn))
	return "l:" + hex.EncodeToString(sum[:16])
}
