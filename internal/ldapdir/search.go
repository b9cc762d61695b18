package ldapdir

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/jimlambrt/gldap"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
)

// maxCandidates bounds the entries a name prefix may narrow a search to;
// beyond it ("a*" in a big directory) the search reads the directory in
// order instead, which its size and time limits bound.
const maxCandidates = 200_000

// batch is how many entries are read from the index at once: its lock is
// held for one batch, never while a client reads.
const batch = 256

// search answers a search request from the index.
func (l *listener) search(w *gldap.ResponseWriter, r *gldap.Request) {
	start := time.Now()
	done := r.NewSearchDoneResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	outcome, sent := "ok", 0
	defer func() {
		_ = w.Write(done)
		if o := l.srv.opts.Observer; o != nil {
			o.ObserveSearch(outcome, sent, time.Since(start))
		}
	}()
	fail := func(code int, out, msg string) {
		done.SetResultCode(code)
		done.SetDiagnosticMessage(msg)
		outcome = out
	}
	msg, err := r.GetSearchMessage()
	if err != nil {
		fail(gldap.ResultProtocolError, "error", "The search request cannot be read.")
		return
	}
	timeLimit := l.srv.opts.MaxTime
	if msg.TimeLimit > 0 && time.Duration(msg.TimeLimit)*time.Second < timeLimit {
		timeLimit = time.Duration(msg.TimeLimit) * time.Second
	}
	ctx, cancel := context.WithTimeout(l.srv.ctx, timeLimit)
	defer cancel()
	if msg.BaseDN == "" && msg.Scope == gldap.BaseObject {
		key, _ := l.boundKey(ctx, r.ConnectionID())
		_ = w.Write(l.rootDSE(r, key))
		sent = 1
		return
	}
	key, err := l.boundKey(ctx, r.ConnectionID())
	if err != nil || key == nil {
		fail(gldap.ResultInsufficientAccessRights, "unauthenticated",
			"Bind first, with the DN and key shown in roger's portal (API keys, for phones).")
		return
	}
	f, err := parseFilter(msg.Filter)
	if err != nil {
		fail(gldap.ResultProtocolError, "invalid_filter", err.Error())
		return
	}
	base, ok := parseBase(msg.BaseDN, key.OrgID)
	if !ok {
		// The same answer for another organisation's base and a base
		// that does not exist: nothing tells one from the other.
		fail(gldap.ResultNoSuchObject, "no_such_object", "There is no such entry: search under "+BaseDN(key.OrgID)+".")
		return
	}
	form := e164Form
	if key.NationalForm {
		country, err := l.srv.country(ctx, key.OrgID)
		if err != nil {
			fail(gldap.ResultUnavailable, "error", "The directory cannot be read just now; try again.")
			return
		}
		form = nationalForm(country)
	}
	want := wanted(msg.Attributes)
	q := &query{srv: l.srv, ctx: ctx, orgID: key.OrgID, filter: f, form: form,
		write: func(e *entry) error { return w.Write(entryResponse(r, e, want, msg.TypesOnly)) }}

	var paging *gldap.ControlPaging
	for _, c := range msg.Controls {
		if p, ok := c.(*gldap.ControlPaging); ok {
			paging = p
		}
	}
	limit := l.srv.opts.MaxSize
	if msg.SizeLimit > 0 && int(msg.SizeLimit) < limit {
		limit = int(msg.SizeLimit)
	}
	var after int64
	if paging != nil {
		if paging.PagingSize == 0 { // the client abandons the paged search
			done.SetControls(pagingControl(nil))
			return
		}
		limit = min(limit, int(paging.PagingSize))
		if len(paging.Cookie) > 0 {
			after, err = strconv.ParseInt(string(paging.Cookie), 10, 64)
			if err != nil || after < 0 {
				fail(gldap.ResultUnwillingToPerform, "error", "The paged results cookie is not one this server gave.")
				return
			}
		}
	}
	if after == 0 {
		// The containers come first, and only on the first page.
		for _, c := range base.containers(msg.Scope, key.OrgID) {
			if matches(f, c, q.numbers) {
				if err := q.write(c); err != nil {
					outcome = "error"
					return
				}
				sent++
			}
		}
	}
	if !base.holdsEntries(msg.Scope) {
		return
	}
	if !l.srv.opts.Directory.Ready() {
		fail(gldap.ResultBusy, "busy", "The directory is loading; try again in a moment.")
		return
	}
	if !l.srv.opts.Directory.Holds(q.orgID) {
		// Listing and name searches read only the in-memory index; an
		// empty answer here would look like an empty directory.
		fail(gldap.ResultUnwillingToPerform, "other_share", "This server holds another share of the organisations' directories: point the phone at the server that holds this organisation's share (roger directory shards).")
		return
	}
	res := q.run(base.entryID, after, limit, paging != nil)
	sent += res.sent
	switch {
	case res.err != nil && ctx.Err() != nil && l.srv.ctx.Err() == nil:
		fail(gldap.ResultTimeLimitExceeded, "time_limit", "The search took longer than its time limit; narrow the filter.")
	case res.err != nil:
		fail(gldap.ResultUnavailable, "error", "The directory cannot be read just now; try again.")
		l.srv.opts.Log.Warn("LDAP search", "err", res.err)
	case paging != nil:
		var cookie []byte
		if res.more {
			cookie = []byte(strconv.FormatInt(res.last, 10))
		}
		done.SetControls(pagingControl(cookie))
	case res.more:
		fail(gldap.ResultSizeLimitExceeded, "size_limit", "More entries match than the size limit; narrow the filter or page the results.")
	}
}

func pagingControl(cookie []byte) gldap.Control {
	c, _ := gldap.NewControlPaging(0)
	c.SetCookie(cookie)
	return c
}

// base is a parsed search base of the bound organisation.
type base struct {
	level   int   // 0: o=<org>, 1: ou=directory, 2: an entry
	entryID int64 // for level 2
}

func parseBase(dn string, orgID int64) (base, bool) {
	parsed, err := ldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 || len(parsed.RDNs) > 3 {
		return base{}, false
	}
	rdn := func(i int) (string, string) {
		r := parsed.RDNs[len(parsed.RDNs)-1-i]
		if len(r.Attributes) != 1 {
			return "", ""
		}
		return strings.ToLower(r.Attributes[0].Type), r.Attributes[0].Value
	}
	if t, v := rdn(0); t != "o" || v != strconv.FormatInt(orgID, 10) {
		return base{}, false
	}
	b := base{level: len(parsed.RDNs) - 1}
	if b.level >= 1 {
		if t, v := rdn(1); t != "ou" || !strings.EqualFold(v, "directory") {
			return base{}, false
		}
	}
	if b.level == 2 {
		t, v := rdn(2)
		id, err := strconv.ParseInt(v, 10, 64)
		if t != "uid" || err != nil || id <= 0 {
			return base{}, false
		}
		b.entryID = id
	}
	return b, true
}

// containers are the entries above the directory's entries that the
// search covers.
func (b base) containers(scope gldap.Scope, orgID int64) []*entry {
	org := &entry{dn: orgDN(orgID)}
	org.add("objectClass", "top", "organization")
	org.add("o", strconv.FormatInt(orgID, 10))
	ou := &entry{dn: directoryDN(orgID)}
	ou.add("objectClass", "top", "organizationalUnit")
	ou.add("ou", "directory")
	switch {
	case b.level == 0 && scope == gldap.BaseObject:
		return []*entry{org}
	case b.level == 0 && scope == gldap.SingleLevel:
		return []*entry{ou}
	case b.level == 0:
		return []*entry{org, ou}
	case b.level == 1 && scope == gldap.BaseObject:
		return []*entry{ou}
	}
	return nil
}

// holdsEntries says the scope reaches directory entries.
func (b base) holdsEntries(scope gldap.Scope) bool {
	switch b.level {
	case 0:
		return scope == gldap.WholeSubtree
	case 1:
		return scope != gldap.BaseObject
	}
	return scope != gldap.SingleLevel
}

// query is one search's evaluation.
type query struct {
	srv    *Server
	ctx    context.Context
	orgID  int64
	filter *filter
	form   numberForm
	write  func(*entry) error

	found map[string]map[int64]bool // number in a filter → entries it finds
	err   error
}

// numbers returns the entries a number finds by the lookup API's rules:
// normalised with the organisation's country, without its extension, or
// under the company's main number for a direct dial.
func (q *query) numbers(value string) map[int64]bool {
	if ids, ok := q.found[value]; ok {
		return ids
	}
	if q.found == nil {
		q.found = map[string]map[int64]bool{}
	}
	ids := map[int64]bool{}
	res, err := q.srv.opts.Numbers.Lookup(q.ctx, q.orgID, value, "")
	switch {
	case err == nil:
		for _, m := range res.Matches {
			ids[m.EntryID] = true
		}
	case roger.ErrorCodeOf(err) != roger.EINVALID:
		q.err = err // not a number is no match; anything else fails the search
	}
	q.found[value] = ids
	return ids
}

// plan is the entries a search has to read: every entry (all), the
// sorted list ids, or the entries with a word starting with one of
// prefixes (read from the name index).
type plan struct {
	all      bool
	ids      []int64
	prefixes []string
}

var readAll = plan{all: true}

// plan narrows the search to entries that hold every match, when the
// filter allows.
func (q *query) plan(f *filter) plan {
	switch f.op {
	case opAnd:
		best := readAll
		for _, k := range f.kids {
			p := q.plan(k)
			switch {
			case p.all:
			case best.all, p.prefixes == nil && (best.prefixes != nil || len(p.ids) < len(best.ids)):
				best = p
			}
		}
		return best
	case opOr:
		var out plan
		for _, k := range f.kids {
			p := q.plan(k)
			if p.all {
				return readAll
			}
			out.ids = append(out.ids, p.ids...)
			for _, w := range p.prefixes {
				if !slices.Contains(out.prefixes, w) {
					out.prefixes = append(out.prefixes, w)
				}
			}
		}
		if len(f.kids) == 0 {
			return readAll
		}
		if out.prefixes != nil {
			// Numbers and names at once: the names' entries become a
			// list too.
			if out.ids != nil {
				for _, w := range out.prefixes {
					ids, complete := q.srv.opts.Directory.NameCandidates(q.orgID, w, maxCandidates)
					if !complete {
						return readAll
					}
					out.ids = append(out.ids, ids...)
				}
				out.prefixes = nil
			}
		}
		if out.prefixes == nil {
			slices.Sort(out.ids)
			out.ids = slices.Compact(out.ids)
			if out.ids == nil {
				out.ids = []int64{}
			}
		}
		return out
	case opEqual, opApprox:
		if phoneAttrs[f.attr] {
			ids := []int64{}
			for id := range q.numbers(f.value) {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			return plan{ids: ids}
		}
		if f.attr == "uid" {
			id, err := strconv.ParseInt(f.value, 10, 64)
			if err != nil {
				return plan{ids: []int64{}}
			}
			return plan{ids: []int64{id}}
		}
		if nameAttrs[f.attr] {
			return q.byName(strings.TrimSpace(f.value))
		}
	case opSubstrings:
		if nameAttrs[f.attr] && f.initial != "" {
			return q.byName(f.initial)
		}
	}
	return readAll
}

func (q *query) byName(prefix string) plan {
	w, ok := dirindex.FirstWord(dirindex.FoldName(prefix))
	if !ok {
		return readAll
	}
	return plan{prefixes: []string{w}}
}

// walkNames reads the entries of the name index's words that start with
// any of prefixes, each entry once, a batch at a time: a phone's search
// as you type stops at its size limit after reading about as many.
func (q *query) walkNames(prefixes []string, size int) func() []int64 {
	seen := map[int64]bool{}
	var cursor dirindex.NameCursor
	return func() []int64 {
		for len(prefixes) > 0 {
			ids, next, done := q.srv.opts.Directory.NameWalk(q.orgID, prefixes[0], cursor, size)
			cursor = next
			if done {
				prefixes, cursor = prefixes[1:], dirindex.NameCursor{}
			}
			out := ids[:0]
			for _, id := range ids {
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
		return nil
	}
}

// result is how a run ended: entries sent, the last entry ID read, and
// whether more may match.
type result struct {
	sent int
	last int64
	more bool
	err  error
}

// run sends the matching entries with an ID above after, in ID order, up
// to limit; only is an entry ID when the base is one entry.
func (q *query) run(only, after int64, limit int, paged bool) result {
	// A search that needs few entries reads few: most of a phone's
	// searches stop at its size limit.
	size := min(batch, limit+1)
	var next func() []int64
	p := q.plan(q.filter)
	if p.prefixes != nil && paged {
		// Pages follow entry IDs: the names' entries are listed first.
		for _, w := range p.prefixes {
			ids, complete := q.srv.opts.Directory.NameCandidates(q.orgID, w, maxCandidates)
			if !complete {
				p = readAll
				break
			}
			p.ids = append(p.ids, ids...)
		}
		if !p.all {
			slices.Sort(p.ids)
			p = plan{ids: slices.Compact(p.ids)}
		}
	}
	switch {
	case only != 0:
		ids := []int64{only}
		next = func() []int64 { out := ids; ids = nil; return out }
	case p.prefixes != nil:
		next = q.walkNames(p.prefixes, size)
	case !p.all:
		ids := p.ids
		i, _ := slices.BinarySearch(ids, after+1)
		ids = ids[i:]
		next = func() []int64 {
			n := min(size, len(ids))
			out := ids[:n]
			ids = ids[n:]
			return out
		}
	default:
		cursor := after
		next = func() []int64 {
			out := q.srv.opts.Directory.EntryIDs(q.orgID, cursor, size)
			if len(out) > 0 {
				cursor = out[len(out)-1]
			}
			return out
		}
	}
	if q.err != nil {
		return result{err: q.err}
	}
	res := result{last: after}
	for {
		ids := next()
		if len(ids) == 0 {
			return res
		}
		if err := q.ctx.Err(); err != nil {
			res.err = err
			return res
		}
		for _, rec := range q.srv.opts.Directory.Records(q.orgID, ids) {
			e := recordEntry(q.orgID, &rec, q.srv.crmLink(&rec), q.form)
			if !matches(q.filter, e, q.numbers) {
				continue
			}
			if q.err != nil {
				res.err = q.err
				return res
			}
			if res.sent == limit {
				res.more = true
				return res
			}
			if err := q.write(e); err != nil {
				res.err = err
				return res
			}
			res.sent++
			res.last = rec.ID
		}
	}
}

// wanted is the set of attributes asked for, in lower case; nil means
// all of them.
func wanted(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(n)
		if n == "*" {
			return nil
		}
		out[n] = true
	}
	return out
}

func entryResponse(r *gldap.Request, e *entry, want map[string]bool, typesOnly bool) *gldap.SearchResponseEntry {
	attrs := make(map[string][]string, len(e.attrs))
	for _, a := range e.attrs {
		if want != nil && !want[strings.ToLower(a.name)] {
			continue
		}
		if typesOnly {
			attrs[a.name] = []string{}
		} else {
			attrs[a.name] = a.values
		}
	}
	return r.NewSearchResponseEntry(e.dn, gldap.WithAttributes(attrs))
}

// rootDSE tells clients what the server supports and, once bound, where
// the organisation's directory is.
func (l *listener) rootDSE(r *gldap.Request, key *roger.APIKey) *gldap.SearchResponseEntry {
	attrs := map[string][]string{
		"objectClass":          {"top"},
		"supportedLDAPVersion": {"3"},
		"supportedControl":     {gldap.ControlTypePaging},
		"vendorName":           {"roger"},
	}
	if l.srv.opts.TLS != nil {
		attrs["supportedExtension"] = []string{string(gldap.ExtendedOperationStartTLS)}
	}
	if key != nil {
		attrs["namingContexts"] = []string{orgDN(key.OrgID)}
	}
	return r.NewSearchResponseEntry("", gldap.WithAttributes(attrs))
}

// crmLink renders the record's link to the CRM from its replicator's
// Contact URL template; templates are parsed once.
func (s *Server) crmLink(r *dirindex.Record) string {
	if r.ContactURL == "" {
		return ""
	}
	s.templates.mu.Lock()
	t, ok := s.templates.m[r.ContactURL]
	s.templates.mu.Unlock()
	if !ok {
		parsed, err := roger.ParseContactURL(r.ContactURL)
		if err != nil {
			parsed = nil
		}
		s.templates.mu.Lock()
		if len(s.templates.m) >= 1024 {
			clear(s.templates.m)
		}
		s.templates.m[r.ContactURL] = parsed
		s.templates.mu.Unlock()
		t = parsed
	}
	if t == nil {
		return ""
	}
	return t.Render(r.SourceID, r.CompanyID, r.Division)
}

type templateCache struct {
	mu sync.Mutex
	m  map[string]*roger.ContactURL
}
