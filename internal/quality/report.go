// Package quality is a replicator's data-quality report: the rows that
// show an admin which records to correct in the CRM (numbers that did not
// parse, in an unlisted range, read with a guessed country, or shared by
// several records), written as CSV or text, and the dry run of a Country
// Code change. The portal and the command line print the same rows from
// here.
package quality

import (
	"context"
	"fmt"
	"strings"

	"github.com/roger365io/roger"
)

// Store reads what the report lists; *sqlstore.Store has it.
type Store interface {
	FindQualityEntries(ctx context.Context, f roger.QualityFilter) ([]*roger.Entry, error)
	FindSharedNumbers(ctx context.Context, f roger.SharedFilter) ([]roger.SharedNumber, error)
}

// Row is one line of the report: one problem of one number of one record.
type Row struct {
	Problem roger.QualityProblem
	EntryID int64
	Kind    roger.Kind
	Name    string
	Company string
	// Replicator names the replicator of a record sharing a number, when
	// it is another one than the report's.
	Replicator string
	Field      string
	Raw        string
	E164       string
	// Reason says what is wrong with this number in particular.
	Reason string
	// Link opens the record's card in Exact; "" without a Contact URL.
	Link string
}

// Detail is Reason without what the problem's label says already, for a
// page that shows the label beside it: "too short: the area code may be
// missing" under "Too short" is "the area code may be missing", and a
// reason that only repeats the label is "".
func (r Row) Detail() string {
	label := strings.ToLower(r.Problem.Label())
	reason := strings.TrimSpace(r.Reason)
	switch lower := strings.ToLower(reason); {
	case lower == label:
		return ""
	case strings.HasPrefix(lower, label+": "):
		return reason[len(label)+2:]
	}
	return reason
}

// Linker renders the Contact URL of a replicator for its records.
type Linker struct {
	tmpl     *roger.ContactURL
	division int
}

// NewLinker makes the links of rep's records; without a usable Contact
// URL its links are "".
func NewLinker(contactURL string, division int) Linker {
	c, err := roger.ParseContactURL(contactURL)
	if err != nil {
		return Linker{}
	}
	return Linker{tmpl: c, division: division}
}

// Link is the link to e's card.
func (l Linker) Link(e *roger.Entry) string {
	if l.tmpl == nil {
		return ""
	}
	return l.tmpl.Render(e.SourceID, e.CompanyID, l.division)
}

// EntryRows returns the rows of e, one per problem of each number; only
// those of problem only when it is not "".
func EntryRows(e *roger.Entry, link string, only roger.QualityProblem) []Row {
	var out []Row
	for _, n := range e.Numbers {
		for _, p := range roger.NumberProblems(e, n) {
			if only != "" && p != only {
				continue
			}
			out = append(out, Row{Problem: p, EntryID: e.ID, Kind: e.Kind, Name: e.DisplayName, Company: e.CompanyName,
				Field: n.Field, Raw: n.Raw, E164: n.E164, Reason: reason(e, n, p), Link: link})
		}
	}
	return out
}

// reason is a row's reason: the parser's for a number that did not
// parse, else what the problem means for this number.
func reason(e *roger.Entry, n roger.Number, p roger.QualityProblem) string {
	switch p {
	case roger.ProblemUnlisted:
		return "possible for its country, but in no range the numbering plan lists"
	case roger.ProblemCountryGuessed:
		if e.Country != "" {
			return "no country code; read as " + e.Country + " (the replicator's Country Code)"
		}
		return "no country code; read with the replicator's Country Code"
	}
	return n.Reason
}

// SharedRows returns the rows of a shared number, one per record that
// holds it. rep is the report's replicator: records of others name theirs.
func SharedRows(sn roger.SharedNumber, rep *roger.Replicator) []Row {
	out := make([]Row, 0, len(sn.Entries))
	for _, h := range sn.Entries {
		e := &h.Entry
		r := Row{Problem: roger.ProblemShared, EntryID: e.ID, Kind: e.Kind, Name: e.DisplayName, Company: e.CompanyName,
			Field: h.Matched.Field, Raw: h.Matched.Raw, E164: sn.E164,
			Reason: fmt.Sprintf("held by %d records: a caller from it gets %d matches", len(sn.Entries), len(sn.Entries)),
			Link:   NewLinker(h.ContactURL, h.Division).Link(e)}
		if e.ReplicatorID != rep.ID {
			r.Replicator = h.ReplicatorName
		}
		out = append(out, r)
	}
	return out
}

// pageSize is how many records or numbers the whole report reads at once.
const pageSize = 500

// Each streams the whole report of rep to fn: the records with a problem
// in id order, then the numbers they share with other records in number
// order.
func Each(ctx context.Context, store Store, rep *roger.Replicator, fn func(Row) error) error {
	links := NewLinker(rep.ContactURL, rep.Division)
	var after int64
	for {
		page, err := store.FindQualityEntries(ctx, roger.QualityFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID, After: after, Limit: pageSize})
		if err != nil {
			return err
		}
		for _, e := range page {
			for _, r := range EntryRows(e, links.Link(e), "") {
				if err := fn(r); err != nil {
					return err
				}
			}
			after = e.ID
		}
		if len(page) < pageSize {
			break
		}
	}
	var afterNumber string
	for {
		page, err := store.FindSharedNumbers(ctx, roger.SharedFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID, After: afterNumber, Limit: pageSize})
		if err != nil {
			return err
		}
		for _, sn := range page {
			for _, r := range SharedRows(sn, rep) {
				if err := fn(r); err != nil {
					return err
				}
			}
			afterNumber = sn.E164
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// Header is the CSV's header row.
var Header = []string{"group", "name", "company", "kind", "replicator", "field", "as written", "E.164", "reason", "link"}

// Cells is the row as the CSV's cells, in Header's order, made safe for
// spreadsheets (see Cell).
func (r Row) Cells() []string {
	cells := []string{r.Problem.Label(), r.Name, r.Company, string(r.Kind), r.Replicator, r.Field, r.Raw, r.E164, r.Reason, r.Link}
	for i, c := range cells {
		cells[i] = Cell(c)
	}
	return cells
}

// Cell makes text from the CRM safe in a spreadsheet cell: text that
// starts like a formula (= + - @, or a tab or carriage return before one)
// is prefixed with a quote, so that a spreadsheet shows it rather than
// running it. Numbers written "+31 …" get the quote too: the cell then
// keeps the plus instead of becoming a number.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Text is the row as one line for a terminal.
func (r Row) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s", r.Problem.Label(), r.Name)
	if r.Company != "" && r.Company != r.Name {
		fmt.Fprintf(&b, " (%s)", r.Company)
	}
	if r.Replicator != "" {
		fmt.Fprintf(&b, " [%s]", r.Replicator)
	}
	fmt.Fprintf(&b, "\t%s: %q", r.Field, r.Raw)
	if r.E164 != "" {
		fmt.Fprintf(&b, " = %s", r.E164)
	}
	fmt.Fprintf(&b, "\t%s", r.Reason)
	if r.Link != "" {
		fmt.Fprintf(&b, "\t%s", r.Link)
	}
	return b.String()
}
