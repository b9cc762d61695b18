// Package lookup answers "who is calling from this number?" from the
// directory: it normalises what telephony sends, applies the match rules
// of the product (exact number, number without its extension, company main
// number) and ranks every hit, for the JSON API and the screen-pop page.
// It also searches the directory by name or company.
package lookup

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/phone"
)

// Store is what lookups need of the database (*sqlstore.Store).
type Store interface {
	FindOrganizationByID(ctx context.Context, id int64) (*roger.Organization, error)
	// FindByNumbers returns the organisation's entries holding the first
	// of up to five E.164 numbers or, when none does, one of the others;
	// a hit per matching stored number.
	FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error)
	SearchEntries(ctx context.Context, orgID int64, q string, after int64, limit int) ([]roger.DirectoryHit, error)
}

// NumberFinder finds the entries holding a number: the store, or an
// in-memory index of it (internal/dirindex).
type NumberFinder interface {
	FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error)
}

// Rule names the match rule that found an entry, best first.
type Rule string

// The match rules, in the order they rank.
const (
	// RuleExact: the stored number is the caller's number, extension
	// included (or neither has one).
	RuleExact Rule = "exact"
	// RuleWithoutExtension: the numbers are the same once extensions are
	// left out: the caller dialled in through a switchboard, or came
	// from it while the entry has a direct extension behind it.
	RuleWithoutExtension Rule = "without-extension"
	// RuleCompanyMain: nobody has the caller's number, but it is a direct
	// dial under a stored company number (the caller's number minus its
	// last 1–4 digits). Only tried when nothing matches the number itself.
	RuleCompanyMain Rule = "company-main"
)

func (r Rule) rank() int {
	switch r {
	case RuleExact:
		return 0
	case RuleWithoutExtension:
		return 1
	}
	return 2
}

// Number is a caller number as given and as understood.
type Number struct {
	Input     string `json:"input"`
	E164      string `json:"e164"`
	Extension string `json:"extension"`
}

// ReplicatorRef names the replicator an entry came from.
type ReplicatorRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Match is one directory entry that matched a caller number.
type Match struct {
	EntryID   int64      `json:"-"`
	Name      string     `json:"name"`
	Company   string     `json:"company"`
	Kind      roger.Kind `json:"kind"`
	SourceID  string     `json:"sourceId"`
	CompanyID string     `json:"companyId"`
	Email     string     `json:"email,omitempty"`
	JobTitle  string     `json:"jobTitle,omitempty"`
	// MatchedNumber is the stored number that matched, in E.164, and
	// MatchedExtension its extension.
	MatchedNumber    string `json:"matchedNumber"`
	MatchedExtension string `json:"matchedExtension,omitempty"`
	// Field is the CRM field the number is in (Phone, Mobile, …).
	Field string `json:"field"`
	Rule  Rule   `json:"rule"`
	// URL opens the record in the CRM; "" when the replicator has no
	// usable Contact URL template.
	URL string `json:"url"`
	// Modified is when the record last changed in the CRM; SyncedAt is
	// when roger last wrote it: together they give the age of the data.
	Modified   time.Time     `json:"modified"`
	SyncedAt   time.Time     `json:"syncedAt"`
	Replicator ReplicatorRef `json:"replicator"`
}

// Result is the answer to a lookup: the number as understood and every
// match, ranked (rule, then contact before account, then most recently
// modified). No match is an empty list, not an error.
type Result struct {
	Number  Number  `json:"number"`
	Matches []Match `json:"matches"`
	// Truncated says that more entries matched than MaxMatches.
	Truncated bool `json:"truncated,omitempty"`
}

// MaxMatches bounds the matches of one lookup. A switchboard number shared
// by hundreds of contacts would otherwise make one answer megabytes long.
const MaxMatches = 100

// Outcome classifies a lookup for metrics.
type Outcome string

// The outcomes.
const (
	OutcomeMatch   Outcome = "match"
	OutcomeNoMatch Outcome = "no_match"
	OutcomeInvalid Outcome = "invalid"
	OutcomeError   Outcome = "error"
)

// countryTTL is how long an organisation's default country is kept. It is
// read before every lookup and changes perhaps once in a tenant's life; a
// change shows within this time.
const countryTTL = 30 * time.Second

// Service runs lookups and searches. Create it with New; it is safe for
// concurrent use.
type Service struct {
	store   Store
	numbers NumberFinder
	names   NameIndex
	clock   roger.Clock
	// observe, when set, sees every lookup's outcome and duration.
	observe func(Outcome, time.Duration)

	mu        sync.Mutex
	countries map[int64]cachedCountry
	templates map[string]*roger.ContactURL // parsed Contact URL templates by text
}

type cachedCountry struct {
	country string
	until   time.Time
	// refreshing is set while a read in the background brings a newer
	// country, so that only one lookup starts it.
	refreshing bool
}

// Options configure New.
type Options struct {
	// Clock tells the time for the caches; nil means the system clock.
	Clock roger.Clock
	// Observe, when set, is called after every lookup with its outcome
	// and how long it took (metrics).
	Observe func(Outcome, time.Duration)
	// Numbers, when set, finds numbers instead of the store: an
	// in-memory index, which answers without a query.
	Numbers NumberFinder
	// Names, when set, finds the entries of a search by the start of
	// the words of their names and companies (names.go).
	Names NameIndex
}

// New returns a Service reading store.
func New(store Store, opts Options) *Service {
	clk := opts.Clock
	if clk == nil {
		clk = clock.System{}
	}
	numbers := opts.Numbers
	if numbers == nil {
		numbers = store
	}
	return &Service{store: store, numbers: numbers, names: opts.Names, clock: clk, observe: opts.Observe,
		countries: map[int64]cachedCountry{}, templates: map[string]*roger.ContactURL{}}
}

// Lookup finds who is calling from input in organisation orgID. input is
// any notation telephony sends (+31 20 123 4567, 0201234567, tel: and sip:
// URIs, with extensions); country is the ISO code or calling code assumed
// for national numbers, "" for the organisation's default country. Input
// that is not a phone number, or a country that is not one, is an
// EINVALID error whose message says what to send.
func (s *Service) Lookup(ctx context.Context, orgID int64, input, country string) (*Result, error) {
	start := time.Now()
	res, err := s.lookup(ctx, orgID, input, country)
	if s.observe != nil {
		outcome := OutcomeMatch
		switch {
		case roger.ErrorCodeOf(err) == roger.EINVALID:
			outcome = OutcomeInvalid
		case err != nil:
			outcome = OutcomeError
		case len(res.Matches) == 0:
			outcome = OutcomeNoMatch
		}
		s.observe(outcome, time.Since(start))
	}
	return res, err
}

func (s *Service) lookup(ctx context.Context, orgID int64, input, country string) (*Result, error) {
	if country != "" {
		c, err := phone.ParseCountry(country)
		if err != nil {
			return nil, &roger.Error{Code: roger.EINVALID, Op: "lookup",
				Message: "country: " + roger.ErrorMessage(err) + ".", Err: err}
		}
		country = c
	} else {
		c, err := s.defaultCountry(ctx, orgID)
		if err != nil {
			return nil, err
		}
		country = c
	}
	e164, ext, err := phone.NormalizeLookup(input, country)
	if err != nil {
		return nil, &roger.Error{Code: roger.EINVALID, Op: "lookup",
			Message: roger.ErrorMessage(err) + "; send the caller's number in any usual notation, such as +31201234567, 020 123 4567 or tel:+31-20-123-4567;ext=12.", Err: err}
	}
	res := &Result{Number: Number{Input: input, E164: e164, Extension: ext}, Matches: []Match{}}
	numbers := append([]string{e164}, phone.MainNumberCandidates(e164)...)
	hits, err := s.numbers.FindByNumbers(ctx, orgID, numbers)
	if err != nil {
		return nil, &roger.Error{Code: roger.EUNAVAILABLE, Op: "lookup", Message: "The directory cannot be read just now; try again.", Err: err}
	}
	res.Matches, res.Truncated = s.rank(hits, numbers, ext)
	return res, nil
}

// rank applies the match rules to the stored numbers found for the
// caller's number (numbers[0]) and its main-number candidates
// (numbers[1:], longest first), keeping each entry once, under its best
// rule.
func (s *Service) rank(hits []roger.DirectoryHit, numbers []string, ext string) ([]Match, bool) {
	direct := false
	for i := range hits {
		if hits[i].Matched.E164 == numbers[0] {
			direct = true
			break
		}
	}
	// Without a hit on the number itself, the company main number is the
	// longest candidate anyone has: the nearest switchboard, not every
	// shorter prefix as well.
	main := ""
	if !direct {
		for _, c := range numbers[1:] {
			for i := range hits {
				if hits[i].Matched.E164 == c {
					main = c
					break
				}
			}
			if main != "" {
				break
			}
		}
	}
	best := map[int64]int{} // entry ID → index in out
	out := make([]Match, 0, len(hits))
	for i := range hits {
		h := &hits[i]
		var rule Rule
		switch {
		case direct && h.Matched.E164 == numbers[0] && h.Matched.Extension == ext:
			rule = RuleExact
		case direct && h.Matched.E164 == numbers[0]:
			rule = RuleWithoutExtension
		case !direct && main != "" && h.Matched.E164 == main:
			rule = RuleCompanyMain
		default:
			continue
		}
		m := s.match(h, rule)
		if j, ok := best[h.Entry.ID]; ok {
			if rule.rank() < out[j].Rule.rank() {
				out[j] = m
			}
			continue
		}
		best[h.Entry.ID] = len(out)
		out = append(out, m)
	}
	slices.SortFunc(out, compareMatches)
	if len(out) > MaxMatches {
		return out[:MaxMatches], true
	}
	return out, false
}

// compareMatches orders matches: better rule first, then contacts before
// accounts (a contact names the person, the account only the company), then
// the most recently modified, then by name and ID so the order is stable.
func compareMatches(a, b Match) int {
	if c := cmp.Compare(a.Rule.rank(), b.Rule.rank()); c != 0 {
		return c
	}
	if a.Kind != b.Kind {
		if a.Kind == roger.KindContact {
			return -1
		}
		if b.Kind == roger.KindContact {
			return 1
		}
	}
	if c := b.Modified.Compare(a.Modified); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.EntryID, b.EntryID)
}

func (s *Service) match(h *roger.DirectoryHit, rule Rule) Match {
	e := &h.Entry
	return Match{
		EntryID: e.ID, Name: e.DisplayName, Company: e.CompanyName, Kind: e.Kind, SourceID: e.SourceID, CompanyID: e.CompanyID,
		Email: e.Email, JobTitle: e.JobTitle, MatchedNumber: h.Matched.E164, MatchedExtension: h.Matched.Extension,
		Field: h.Matched.Field, Rule: rule, URL: s.url(h), Modified: e.SourceModified, SyncedAt: e.SyncedAt,
		Replicator: ReplicatorRef{ID: e.ReplicatorID, Name: h.ReplicatorName},
	}
}

// maxTemplates bounds the parsed-template cache. Templates are few (one
// per replicator); the bound only matters if they keep changing.
const maxTemplates = 1024

// url renders the entry's CRM link. Templates are cached by their text, so
// a changed template is simply a new key and shows in the next lookup.
func (s *Service) url(h *roger.DirectoryHit) string {
	if h.ContactURL == "" {
		return ""
	}
	s.mu.Lock()
	t, ok := s.templates[h.ContactURL]
	s.mu.Unlock()
	if !ok {
		parsed, err := roger.ParseContactURL(h.ContactURL)
		if err != nil {
			parsed = nil // remembered too: a bad template is not parsed again on every call
		}
		s.mu.Lock()
		if len(s.templates) >= maxTemplates {
			clear(s.templates)
		}
		s.templates[h.ContactURL] = parsed
		s.mu.Unlock()
		t = parsed
	}
	if t == nil {
		return ""
	}
	return t.Render(h.Entry.SourceID, h.Entry.CompanyID, h.Division)
}

func (s *Service) defaultCountry(ctx context.Context, orgID int64) (string, error) {
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.countries[orgID]
	refresh := ok && !now.Before(c.until) && !c.refreshing
	if refresh {
		// The lookup goes on with the country it has; one read in the
		// background brings the next one. A lookup never waits for the
		// database for a value that changes once in a tenant's life,
		// however busy the database is with a first load.
		c.refreshing = true
		s.countries[orgID] = c
	}
	s.mu.Unlock()
	if ok {
		if refresh {
			go s.readCountry(context.WithoutCancel(ctx), orgID)
		}
		return c.country, nil
	}
	return s.readCountry(ctx, orgID)
}

// readCountry reads the organisation's default country into the cache.
func (s *Service) readCountry(ctx context.Context, orgID int64) (string, error) {
	org, err := s.store.FindOrganizationByID(ctx, orgID)
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.countries[orgID]
	if err != nil {
		if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
			delete(s.countries, orgID)
			return "", err
		}
		if ok {
			// The database is away, but the index can still answer:
			// the country last read is as good as it was a moment ago.
			// It is asked again after another countryTTL.
			s.countries[orgID] = cachedCountry{country: c.country, until: now.Add(countryTTL)}
			return c.country, nil
		}
		return "", &roger.Error{Code: roger.EUNAVAILABLE, Op: "lookup", Message: "The directory cannot be read just now; try again.", Err: err}
	}
	s.countries[orgID] = cachedCountry{country: org.DefaultCountry, until: now.Add(countryTTL)}
	return org.DefaultCountry, nil
}

// Entry is a directory entry as searches return it.
type Entry struct {
	ID         int64         `json:"id"`
	Name       string        `json:"name"`
	Company    string        `json:"company"`
	Kind       roger.Kind    `json:"kind"`
	SourceID   string        `json:"sourceId"`
	CompanyID  string        `json:"companyId"`
	Email      string        `json:"email,omitempty"`
	JobTitle   string        `json:"jobTitle,omitempty"`
	Numbers    []EntryNumber `json:"numbers"`
	URL        string        `json:"url"`
	Modified   time.Time     `json:"modified"`
	SyncedAt   time.Time     `json:"syncedAt"`
	Replicator ReplicatorRef `json:"replicator"`
	// Country read the entry's numbers written without a country code;
	// CountryFrom says whose it was: the record's, its account's, or the
	// replicator's default when the record named none.
	Country     string              `json:"country,omitempty"`
	CountryFrom roger.CountrySource `json:"countryFrom,omitempty"`
}

// EntryNumber is one phone number of an entry.
type EntryNumber struct {
	Field     string `json:"field"`
	Raw       string `json:"raw"`
	E164      string `json:"e164,omitempty"`
	Extension string `json:"extension,omitempty"`
	// Status is "ok" or "invalid"; Reason says why a number did not
	// parse.
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Unlisted: the number is possible for its country but in no range
	// its numbering plan lists; it is indexed as written.
	Unlisted bool `json:"unlisted,omitempty"`
	// National: written without a country code, read with the entry's
	// Country.
	National bool `json:"national,omitempty"`
}

// NewEntryNumber is the JSON form of a stored number.
func NewEntryNumber(n roger.Number) EntryNumber {
	return EntryNumber{Field: n.Field, Raw: n.Raw, E164: n.E164, Extension: n.Extension, Status: string(n.Status), Reason: n.Reason,
		Unlisted: n.Unlisted, National: n.National}
}

// Page is one page of a search.
type Page struct {
	Entries []Entry `json:"entries"`
	// Next is the After of the following page, 0 on the last page.
	Next int64 `json:"next,omitempty"`
}

// MaxPageSize is the largest page Search returns.
const MaxPageSize = 200

// Search returns the organisation's entries whose name or company contains
// q (any case; every entry when q is empty), limit at a time; with a name
// index, those with a word starting with each word of q (1 to
// MaxPageSize, 0 for 50), after the entry with ID after (0 for the first
// page).
func (s *Service) Search(ctx context.Context, orgID int64, q string, after int64, limit int) (*Page, error) {
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > MaxPageSize:
		return nil, roger.Errorf(roger.EINVALID, "limit must be between 1 and %d.", MaxPageSize)
	}
	if after < 0 {
		return nil, roger.Errorf(roger.EINVALID, "after must be the next value of a previous page, or 0.")
	}
	if len(q) > 200 {
		return nil, roger.Errorf(roger.EINVALID, "The search text can be at most 200 characters long.")
	}
	// One more than asked tells whether another page follows.
	hits, indexed, err := s.searchNames(ctx, orgID, q, after, limit+1)
	if !indexed {
		hits, err = s.store.SearchEntries(ctx, orgID, q, after, limit+1)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, &roger.Error{Code: roger.EUNAVAILABLE, Op: "search", Message: "The directory cannot be read just now; try again.", Err: err}
	}
	p := &Page{Entries: make([]Entry, 0, min(len(hits), limit))}
	for i := range hits {
		if i == limit {
			p.Next = hits[i-1].Entry.ID
			break
		}
		h := &hits[i]
		e := &h.Entry
		out := Entry{ID: e.ID, Name: e.DisplayName, Company: e.CompanyName, Kind: e.Kind, SourceID: e.SourceID, CompanyID: e.CompanyID,
			Email: e.Email, JobTitle: e.JobTitle, Numbers: make([]EntryNumber, len(e.Numbers)), URL: s.url(h),
			Modified: e.SourceModified, SyncedAt: e.SyncedAt, Replicator: ReplicatorRef{ID: e.ReplicatorID, Name: h.ReplicatorName},
			Country: e.Country, CountryFrom: e.CountryFrom}
		for j, n := range e.Numbers {
			out.Numbers[j] = NewEntryNumber(n)
		}
		p.Entries = append(p.Entries, out)
	}
	return p, nil
}
