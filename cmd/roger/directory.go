package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/quality"
)

// exportEntry is one line of "roger directory export".
type exportEntry struct {
	Replicator  int64                `json:"replicator"`
	Kind        roger.Kind           `json:"kind"`
	SourceID    string               `json:"sourceId"`
	CompanyID   string               `json:"companyId"`
	Name        string               `json:"name"`
	Company     string               `json:"company"`
	Email       string               `json:"email,omitempty"`
	JobTitle    string               `json:"jobTitle,omitempty"`
	Modified    time.Time            `json:"modified"`
	Timestamp   int64                `json:"timestamp"`
	SyncedAt    time.Time            `json:"syncedAt"`
	URL         string               `json:"url,omitempty"`
	PhoneNumber []lookup.EntryNumber `json:"numbers"`
}

func (m *Main) runDirectory(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "quality" {
		return m.runDirectoryQuality(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "shards" {
		return m.runDirectoryShards(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprint(m.Stderr, "Usage: roger directory export [--replicator ID] [--org ORG]\n       roger directory quality --replicator ID [--format csv|text]\n       roger directory shards --of N\n\n"+
			"export writes the directory as JSON lines, one entry with its numbers per line.\n"+
			"quality writes a replicator's data-quality report, one line per record, number and problem.\n"+
			"shards lists which share of N (ROGER_INDEX_SHARD=K/N) each organisation's numbers belong to.\n")
		return errUsage
	}
	fs := m.flags("roger directory export")
	replicator := fs.Int64("replicator", 0, "only this replicator's entries")
	orgName := fs.String("org", "default", "the organisation")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var orgID int64
	if *replicator != 0 {
		r, err := a.store.FindReplicatorByID(ctx, *replicator)
		if err != nil {
			return err
		}
		orgID = r.OrgID
	} else {
		org, err := a.findOrg(ctx, *orgName, false)
		if err != nil {
			return err
		}
		orgID = org.ID
	}
	templates := map[int64]*roger.ContactURL{}
	divisions := map[int64]int{}
	reps, err := a.store.ListReplicators(ctx, orgID)
	if err != nil {
		return err
	}
	for _, r := range reps {
		if c, err := roger.ParseContactURL(r.ContactURL); err == nil {
			templates[r.ID], divisions[r.ID] = c, r.Division
		}
	}
	w := bufio.NewWriter(m.Stdout)
	enc := json.NewEncoder(w)
	err = a.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: orgID, ReplicatorID: *replicator}, func(e *roger.Entry) error {
		out := exportEntry{Replicator: e.ReplicatorID, Kind: e.Kind, SourceID: e.SourceID, CompanyID: e.CompanyID, Name: e.DisplayName,
			Company: e.CompanyName, Email: e.Email, JobTitle: e.JobTitle, Modified: e.SourceModified, Timestamp: e.SourceTimestamp,
			SyncedAt: e.SyncedAt, PhoneNumber: []lookup.EntryNumber{}}
		if c := templates[e.ReplicatorID]; c != nil {
			out.URL = c.Render(e.SourceID, e.CompanyID, divisions[e.ReplicatorID])
		}
		for _, n := range e.Numbers {
			out.PhoneNumber = append(out.PhoneNumber, lookup.NewEntryNumber(n))
		}
		return enc.Encode(out)
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// runDirectoryQuality writes a replicator's data-quality report: the same
// rows as the portal's CSV download.
func (m *Main) runDirectoryQuality(ctx context.Context, args []string) error {
	fs := m.flags("roger directory quality")
	replicator := fs.Int64("replicator", 0, "the replicator whose report to write (required; \"roger replicator list\" shows the ids)")
	format := fs.String("format", "text", "csv (a header row, then one row per record, number and problem) or text")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *replicator <= 0 {
		return roger.Errorf(roger.EINVALID, "--replicator: give the id of the replicator whose report to write; \"roger replicator list\" shows the ids.")
	}
	if !slices.Contains(quality.Formats, *format) {
		return roger.Errorf(roger.EINVALID, "--format %q: use csv or text.", *format)
	}
	a, err := m.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.store.FindReplicatorByID(ctx, *replicator)
	if err != nil {
		return err
	}
	return quality.Write(ctx, m.Stdout, a.store, r, *format)
}
