// Package replicate keeps a replicator's part of the directory equal to its
// Exact Online division: Syncer runs one synchronisation (a full load, an
// increment, or a full resync that ends with reconciliation) and Scheduler
// runs them on their intervals, one instance per replicator at a time.
package replicate

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/cpushare"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/phone"
)

// Store is what a sync needs of the database (*sqlstore.Store).
type Store interface {
	FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error)
	ClientSecret(ctx context.Context, id int64) (string, error)
	TokenStore(id int64) roger.TokenStore
	ApplyPages(ctx context.Context, pages []roger.Page) (roger.PageResult, error)
	StartFullSync(ctx context.Context, id int64, moveDate int64) (int64, error)
	FinishFullSync(ctx context.Context, id, pass int64) (int, error)
	SetDivisionChecked(ctx context.Context, id int64, at time.Time) error

	// A contacts replicator's accounts' countries (see countries.go).
	AccountCountriesCursor(ctx context.Context, id int64) (cursor int64, resumeURL string, err error)
	ApplyAccountCountries(ctx context.Context, p roger.AccountCountryPage, reread func(e *roger.Entry, accountCountry string) bool) (int, error)
	AccountCountries(ctx context.Context, replicatorID int64, accountIDs []string) (map[string]string, error)
}

// Exact's sync/Deleted keeps two months; a replicator idle for longer must
// reload everything. The margin covers clock differences.
const deletedLogKept = 55 * 24 * time.Hour

// divisionCheckEvery is how often a sync asks Exact whether the division
// moved. Every run would add a call to each increment; a move is rare and
// a few hours' delay in noticing it costs nothing but freshness.
const divisionCheckEvery = 6 * time.Hour

// Syncer runs synchronisations.
type Syncer struct {
	Store Store
	// Reports records the run's start, progress and end and moves the
	// replicator's state after it (the replicator service): a failure, a
	// lost authorization, a recovery. Required.
	Reports roger.SyncReporter
	Budgets *exact.BudgetRegistry
	// HTTPClient talks to Exact; nil means exact's default.
	HTTPClient *http.Client
	Clock      roger.Clock
	// Sleep is passed to the Exact client (tests use a fake-clock sleep).
	Sleep func(ctx context.Context, d time.Duration) error
	// RedirectURL is the replicator's OAuth Redirect URL; the token
	// endpoint wants it with every code exchange.
	RedirectURL func(id int64) string
	// PagesPerCommit is how many pages of records that queued up while
	// the database was busy are written in one transaction; 0 means 8.
	// 1 commits page by page, which makes the run's progress, and where
	// a stopped run stops, exact to the page.
	PagesPerCommit int
	// OnProgress, when set, sees the run after every commit.
	OnProgress func(*roger.SyncRun)
	// OnRunDone, when set, sees every run once it has ended and been
	// recorded, with the replicator it ran for (metrics).
	OnRunDone func(*roger.Replicator, *roger.SyncRun)

	// Events holds Exact's webhook events; nil: webhooks are not used.
	Events EventStore
	// OnEventApplied, when set, sees when each applied event was created
	// in Exact, once its change is committed (metrics).
	OnEventApplied func(eventAt time.Time)
	// OnCoalesced, when set, is told that waiting events were too many to
	// fetch one by one, so an increment read them instead (metrics).
	OnCoalesced func()

	// CPU, when set, bounds the cores this process's syncs spend decoding,
	// parsing and writing pages (see package cpushare); nil does not bound
	// them.
	CPU *cpushare.Share
	// Pace spreads each division's calls across the minute instead of
	// spending its budget in a burst (exact.Config.Pace).
	Pace bool
}

func (s *Syncer) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now().UTC()
}

// Sync runs one synchronisation of replicator id and returns its run. A
// failure is recorded in the run and in the replicator's state with a
// message a person can act on; the error is returned as well. Waits for
// Exact's minutely rate limit happen inside (see SyncUntilWait).
func (s *Syncer) Sync(ctx context.Context, id int64, trigger roger.SyncTrigger) (*roger.SyncRun, error) {
	return s.run(ctx, id, trigger, false)
}

// SyncUntilWait is Sync for a scheduler: when a call to Exact must wait
// for the rate limit (the minute's or the day's), the sync stops before
// it with everything read so far committed, records its run as waiting,
// and returns the run and the *exact.BudgetWait. The caller frees the
// worker and calls again from the wait's Until (from any instance): the
// same run goes on from the committed position, so nothing is read twice
// and nothing is lost.
func (s *Syncer) SyncUntilWait(ctx context.Context, id int64, trigger roger.SyncTrigger) (*roger.SyncRun, error) {
	return s.run(ctx, id, trigger, true)
}

func (s *Syncer) run(ctx context.Context, id int64, trigger roger.SyncTrigger, yield bool) (*roger.SyncRun, error) {
	r, err := s.Store.FindReplicatorByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if trigger == roger.TriggerWebhook && s.Events != nil && !r.WaitingForRateLimit(s.now()) {
		// Events whose change is in the directory already need no run.
		if waiting, err := s.settleStored(ctx, r); err != nil || waiting == 0 {
			return nil, err
		}
	}
	run := &roger.SyncRun{ReplicatorID: r.ID, Trigger: trigger, Started: s.now()}
	if err := s.Reports.RunStarted(ctx, r, run); err != nil {
		return nil, err
	}
	// A run taken up after a wait has the calls of its earlier parts.
	callsBefore := run.APICalls
	var client *exact.Client
	seen := s.newSeen(r)
	err = s.sync(ctx, r, run, &client, yield, seen)
	if err == nil && s.Events != nil {
		if cerr := s.settleEvents(ctx, r, run, seen); cerr != nil {
			err = cerr
		}
	}
	if client != nil {
		run.APICalls = callsBefore + int(client.Calls())
	}
	// The outcome is recorded even when ctx was cancelled mid-run.
	save := context.WithoutCancel(ctx)
	var wait *exact.BudgetWait
	if yield && errors.As(err, &wait) {
		run.Outcome, run.Waits, run.WaitStarted = roger.OutcomeWaiting, run.Waits+1, s.now()
		if rerr := s.Reports.RunWaiting(save, r, run); rerr != nil {
			return run, errors.Join(err, rerr)
		}
		return run, err
	}
	run.Ended = s.now()
	if err != nil {
		run.Outcome, run.Error = roger.OutcomeFailed, roger.ErrorMessage(err)
		if errors.Is(err, context.Canceled) {
			run.Error = "The sync was stopped before it finished; it goes on from the last saved page next time."
		}
	} else {
		run.Outcome = roger.OutcomeOK
	}
	if rerr := s.Reports.RunEnded(save, r, run, err); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if s.OnRunDone != nil {
		s.OnRunDone(r, run)
	}
	return run, err
}

func (s *Syncer) sync(ctx context.Context, r *roger.Replicator, run *roger.SyncRun, out **exact.Client, yield bool, seen *seenChanges) error {
	if r.ClientID == "" || r.Division == 0 {
		return roger.Errorf(roger.EINVALID, "Replicator %q is not configured yet: it needs a Client ID, a Client Secret and a division.", r.Name)
	}
	secret, err := s.Store.ClientSecret(ctx, r.ID)
	if err != nil {
		return err
	}
	cfg := exact.Config{BaseURL: r.ExactURL, ClientID: r.ClientID, ClientSecret: secret, HTTPClient: s.HTTPClient, Clock: s.Clock, Sleep: s.Sleep, Yield: yield, Pace: s.Pace, CPU: newRunCPU(s.CPU, r).share()}
	if s.RedirectURL != nil {
		cfg.RedirectURL = s.RedirectURL(r.ID)
	}
	client := exact.NewClient(cfg, exact.NewTokenSource(cfg, s.Store.TokenStore(r.ID)), s.Budgets.Get(r.ClientID, r.Division))
	*out = client

	full, moveDate, err := s.needsFullSync(ctx, client, r)
	if err != nil {
		return err
	}
	if !full && !r.FullSync && r.Entity == roger.Contacts {
		// Contacts read before their accounts' countries were kept are
		// read again, once, in a full pass.
		cursor, _, err := s.Store.AccountCountriesCursor(ctx, r.ID)
		if err != nil {
			return err
		}
		full = cursor < 0
	}
	if full {
		if r.Pass, err = s.Store.StartFullSync(ctx, r.ID, moveDate); err != nil {
			return err
		}
		r.Cursor, r.DeletedCursor, r.ResumeURL, r.Phase, r.FullSync = 0, 0, "", roger.PhaseRecords, true
		client.UseCPU(s.CPU)
	}
	run.Full = r.FullSync
	if r.FullSync && r.ResumeURL == "" && r.Phase != roger.PhaseDeletions && run.Expected == 0 {
		run.Expected = s.expected(ctx, client, r)
	}

	callsBefore := run.APICalls
	progress := func(res roger.PageResult, read int) error {
		run.Read += read
		run.Created += res.Created
		run.Updated += res.Updated
		run.Deleted += res.Deleted
		run.SetAside += res.SetAside
		run.APICalls = callsBefore + int(client.Calls())
		if s.OnProgress != nil {
			s.OnProgress(run)
		}
		return s.Reports.PageApplied(ctx, r, run)
	}

	if run.Trigger == roger.TriggerWebhook && !r.FullSync && r.Phase != roger.PhaseDeletions && r.ResumeURL == "" {
		events, err := s.pendingEvents(ctx, r.ID, maxEventsPerRun)
		if err != nil {
			return err
		}
		if fetches(events) <= s.oneByOne(r) {
			return s.applyEvents(ctx, client, r, events, progress, seen)
		}
		// Fetching them one by one would cost more than an increment,
		// which reads up to 1,000 changes a call: read them that way.
		if s.OnCoalesced != nil {
			s.OnCoalesced()
		}
	}

	if r.Entity == roger.Contacts {
		if err := s.readAccountCountries(ctx, client, r, progress); err != nil {
			return err
		}
	}

	// Records first, then deletions: an interrupted pass goes on in the
	// phase it stopped in. A saved link the client refuses (the
	// replicator's Exact URL was changed since it was saved) is dropped:
	// the phase goes on from the saved cursor instead of failing on every
	// run.
	if r.Phase != roger.PhaseDeletions {
		err := s.readRecords(ctx, client, r, run, progress, seen)
		if errors.Is(err, exact.ErrBadResumeURL) {
			r.ResumeURL = ""
			err = s.readRecords(ctx, client, r, run, progress, seen)
		}
		if err != nil {
			return err
		}
	}
	err = s.readDeletions(ctx, client, r, progress, seen)
	if errors.Is(err, exact.ErrBadResumeURL) {
		r.ResumeURL = ""
		err = s.readDeletions(ctx, client, r, progress, seen)
	}
	if err != nil {
		return err
	}
	if r.FullSync {
		n, err := s.Store.FinishFullSync(ctx, r.ID, r.Pass)
		if err != nil {
			return err
		}
		run.Deleted += n
	}
	return nil
}

// spareCalls is how many calls the app must have left, this minute and
// today, for a pass to spend one on counting what it will read: the
// count is for people to watch, the records come first.
const spareCalls = 10

// expected asks Exact once, as a full pass begins, how many records it
// will read, so the portal can show how far it is. It is asked only with
// calls to spare, and Exact not answering costs the pass nothing: it
// goes on without a total.
func (s *Syncer) expected(ctx context.Context, client *exact.Client, r *roger.Replicator) int {
	daily, minutely, _, _, known := s.Budgets.Get(r.ClientID, r.Division).Remaining()
	if !known || minutely < spareCalls || daily < spareCalls {
		return 0
	}
	endpoint := "crm/Accounts"
	if r.Entity == roger.Contacts {
		endpoint = "crm/Contacts"
	}
	n, err := client.Count(ctx, r.Division, endpoint)
	if err != nil {
		return 0
	}
	return n
}

// needsFullSync decides between an increment and a full pass: the first
// load, an unfinished full pass (goes on as one), a division moved to
// another database (its Timestamps start over), or a replicator idle
// longer than Exact keeps its deletion log.
func (s *Syncer) needsFullSync(ctx context.Context, client *exact.Client, r *roger.Replicator) (full bool, moveDate int64, err error) {
	now := s.now()
	moveDate = r.DivisionMoveDate.UnixMilli()
	if r.DivisionMoveDate.IsZero() {
		moveDate = 0
	}
	if r.Pass == 0 || r.DivisionCheckedAt.IsZero() || now.Sub(r.DivisionCheckedAt) >= divisionCheckEvery {
		d, found, err := client.Division(ctx, r.Division)
		if err != nil {
			return false, 0, err
		}
		if found {
			moveDate = 0
			if !d.DivisionMoveDate.IsZero() {
				moveDate = d.DivisionMoveDate.UnixMilli()
			}
		}
		if !found {
			return false, 0, roger.Errorf(roger.EFORBIDDEN, "The Exact Online user who authorized replicator %q has no access to division %d: check the division in the Contact URL, or authorize with a user who can open it.", r.Name, r.Division)
		}
		if err := s.Store.SetDivisionChecked(ctx, r.ID, now); err != nil {
			return false, 0, err
		}
		if r.Pass != 0 && moveDate != ms(r.DivisionMoveDate) {
			return true, moveDate, nil
		}
	}
	// An unfinished full pass goes on, unless the division moved since it
	// began (checked above when due): its saved link would continue after
	// a Timestamp that no longer means anything.
	if r.FullSync {
		return false, 0, nil
	}
	// Pass counts full passes begun: none yet is the first load. (The
	// cursor cannot tell: it stays 0 for a division with no records.)
	if r.Pass == 0 {
		return true, moveDate, nil
	}
	if !r.LastSyncAt.IsZero() && now.Sub(r.LastSyncAt) > deletedLogKept {
		return true, moveDate, nil
	}
	return false, moveDate, nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (s *Syncer) readRecords(ctx context.Context, client *exact.Client, r *roger.Replicator, run *roger.SyncRun, progress func(roger.PageResult, int) error, seen *seenChanges) error {
	// The reader and the writer each count their own pages, since they
	// run on goroutines of their own.
	readCPU, writeCPU := newRunCPU(s.CPU, r), newRunCPU(s.CPU, r)
	client.UseCPU(readCPU.share())
	// The deletions that follow are as urgent as the run.
	defer client.UseCPU(newRunCPU(s.CPU, r).share())
	apply := func(group []parsedPage) error {
		pages := make([]roger.Page, len(group))
		read := 0
		for i, pg := range group {
			for _, e := range pg.entries {
				seen.record(e.SourceID, e.SourceModified)
				for _, n := range e.Numbers {
					if n.Status != roger.NumberOK {
						run.Unparseable++
					}
				}
			}
			r.Cursor = max(r.Cursor, pg.maxTS)
			pages[i] = roger.Page{ReplicatorID: r.ID, OrgID: r.OrgID, Upserts: pg.entries,
				Cursor: r.Cursor, DeletedCursor: r.DeletedCursor, ResumeURL: pg.next, Phase: roger.PhaseRecords, FullSync: r.FullSync}
			read += len(pg.entries)
		}
		var res roger.PageResult
		err := writeCPU.next(len(group)).Do(ctx, func() (err error) {
			res, err = s.Store.ApplyPages(ctx, pages)
			return err
		})
		if err != nil {
			return err
		}
		r.ResumeURL = group[len(group)-1].next
		return progress(res, read)
	}
	pipe := startPipeline(ctx, cmp.Or(s.PagesPerCommit, defaultPagesPerCommit), apply)
	var err error
	switch r.Entity {
	case roger.Accounts:
		err = client.SyncAccounts(pipe.ctx, r.Division, r.Cursor, r.ResumeURL, func(rows []exact.Account, next string) error {
			var entries []roger.Entry
			var maxTS int64
			cpu := readCPU.next(1)
			client.UseCPU(readCPU.share())
			if err := cpu.Do(pipe.ctx, func() error {
				entries, maxTS = accountEntries(rows, r.DefaultCountry)
				return nil
			}); err != nil {
				return err
			}
			// Queued without the share: the queue waits for the writer,
			// which needs one.
			return pipe.add(parsedPage{entries, maxTS, next})
		})
	case roger.Contacts:
		err = client.SyncContacts(pipe.ctx, r.Division, r.Cursor, r.ResumeURL, func(rows []exact.Contact, next string) error {
			accounts, err := s.accountCountries(pipe.ctx, r, rows)
			if err != nil {
				return err
			}
			var entries []roger.Entry
			var maxTS int64
			cpu := readCPU.next(1)
			client.UseCPU(readCPU.share())
			if err := cpu.Do(pipe.ctx, func() error {
				entries, maxTS = contactEntries(rows, accounts, r.DefaultCountry)
				return nil
			}); err != nil {
				return err
			}
			return pipe.add(parsedPage{entries, maxTS, next})
		})
	default:
		err = roger.Errorf(roger.EINVALID, "Replicator %q copies %q, which is neither accounts nor contacts.", r.Name, r.Entity)
	}
	// A failed apply stopped the fetch; its error is the one that counts.
	if aerr := pipe.finish(); aerr != nil {
		return aerr
	}
	return err
}

// urgentPages is how many pages of an increment go through the share as
// urgent work (cpushare.Share.Urgent): an increment reads one page of a few
// dozen changes; one that finds more than this many pages of them is bulk
// work, like a first load, and waits its turn from then on.
const urgentPages = 2

// runCPU chooses the share a run's pages go through: a full pass is bulk
// work; an increment is urgent for its first urgentPages pages. Each
// goroutine of a run keeps its own.
type runCPU struct {
	bulk   *cpushare.Share
	urgent bool
	pages  int
}

func newRunCPU(share *cpushare.Share, r *roger.Replicator) *runCPU {
	return &runCPU{bulk: share, urgent: !r.FullSync}
}

// next counts n more pages and returns the share they go through.
func (c *runCPU) next(n int) *cpushare.Share {
	c.pages += n
	return c.shareAt(c.pages)
}

// share is the share of the page after those counted.
func (c *runCPU) share() *cpushare.Share { return c.shareAt(c.pages + 1) }

func (c *runCPU) shareAt(page int) *cpushare.Share {
	if c.urgent && page <= urgentPages {
		return c.bulk.Urgent()
	}
	return c.bulk
}

func (s *Syncer) readDeletions(ctx context.Context, client *exact.Client, r *roger.Replicator, progress func(roger.PageResult, int) error, seen *seenChanges) error {
	entityType := 2
	if r.Entity == roger.Contacts {
		entityType = 5
	}
	resume := ""
	if r.Phase == roger.PhaseDeletions {
		resume = r.ResumeURL
	}
	return client.SyncDeleted(ctx, r.Division, entityType, r.DeletedCursor, resume, func(rows []exact.Deleted, next string) error {
		deletes := make([]roger.Deletion, 0, len(rows))
		for _, d := range rows {
			deletes = append(deletes, roger.Deletion{SourceID: normalizeID(d.EntityKey), Timestamp: d.Timestamp})
			seen.deleted(normalizeID(d.EntityKey))
			r.DeletedCursor = max(r.DeletedCursor, d.Timestamp)
		}
		// The pass ends with the last page of deletions: with no link to
		// go on with, the next one begins with records.
		phase := roger.PhaseDeletions
		if next == "" {
			phase = roger.PhaseRecords
		}
		res, err := s.Store.ApplyPages(ctx, []roger.Page{{ReplicatorID: r.ID, OrgID: r.OrgID, Deletes: deletes,
			Cursor: r.Cursor, DeletedCursor: r.DeletedCursor, ResumeURL: next, Phase: phase, FullSync: r.FullSync}})
		if err != nil {
			return err
		}
		r.ResumeURL, r.Phase = next, phase
		return progress(res, 0)
	})
}

// normalizeID writes Exact GUIDs one way (lower case, no braces), so that
// a deletion finds the record whatever case the two answers used.
func normalizeID(id string) string {
	id, _ = cleanText(id)
	return strings.ToLower(strings.Trim(id, "{}"))
}

// number parses one field into n when it has text.
func addNumber(list []roger.Number, raw, field, extension, country string) []roger.Number {
	if n, ok := phone.ParseNumber(raw, field, extension, country); ok {
		return append(list, n)
	}
	return list
}

func accountEntries(rows []exact.Account, defaultCountry string) ([]roger.Entry, int64) {
	out := make([]roger.Entry, 0, len(rows))
	var maxTS int64
	for i, a := range rows {
		cpushare.Turn(i)
		fields := accountFields(&a)
		cleaned := cleanFields(fields[:])
		country, from := entryCountry(a.Country, "", defaultCountry)
		var nums []roger.Number
		nums = addNumber(nums, a.Phone, "Phone", a.PhoneExtension, country)
		nums = addNumber(nums, a.Fax, "Fax", "", country)
		id := normalizeID(a.ID)
		out = append(out, roger.Entry{Kind: roger.KindAccount, SourceID: id, CompanyID: id, DisplayName: a.Name, CompanyName: a.Name,
			Email: a.Email, SourceModified: a.Modified, SourceTimestamp: a.Timestamp, Numbers: nums, Cleaned: cleaned, Country: country, CountryFrom: from})
		maxTS = max(maxTS, a.Timestamp)
	}
	return out, maxTS
}

// contactEntries builds the entries of a page of contacts; accounts holds
// the countries of their accounts, by account ID (normalizeID).
func contactEntries(rows []exact.Contact, accounts map[string]string, defaultCountry string) ([]roger.Entry, int64) {
	out := make([]roger.Entry, 0, len(rows))
	var maxTS int64
	for i, c := range rows {
		cpushare.Turn(i)
		fields := contactFields(&c)
		cleaned := cleanFields(fields[:])
		country, from := entryCountry(c.Country, accounts[normalizeID(c.Account)], defaultCountry)
		var nums []roger.Number
		nums = addNumber(nums, c.Phone, "Phone", c.PhoneExtension, country)
		nums = addNumber(nums, c.Mobile, "Mobile", "", country)
		// Exact keeps Phone/BusinessPhone and Mobile/BusinessMobile as one
		// value each; a second copy would only double the index.
		if c.BusinessPhone != c.Phone || c.BusinessPhoneExtension != c.PhoneExtension {
			nums = addNumber(nums, c.BusinessPhone, "BusinessPhone", c.BusinessPhoneExtension, country)
		}
		if c.BusinessMobile != c.Mobile {
			nums = addNumber(nums, c.BusinessMobile, "BusinessMobile", "", country)
		}
		nums = addNumber(nums, c.BusinessFax, "BusinessFax", "", country)
		name := c.FullName
		if name == "" {
			name = strings.Join(strings.Fields(c.FirstName+" "+c.MiddleName+" "+c.LastName), " ")
		}
		out = append(out, roger.Entry{Kind: roger.KindContact, SourceID: normalizeID(c.ID), CompanyID: normalizeID(c.Account), DisplayName: name,
			CompanyName: c.AccountName, Email: c.Email, JobTitle: c.JobTitleDescription, SourceModified: c.Modified, SourceTimestamp: c.Timestamp, Numbers: nums, Cleaned: cleaned,
			Country: country, CountryFrom: from})
		maxTS = max(maxTS, c.Timestamp)
	}
	return out, maxTS
}
