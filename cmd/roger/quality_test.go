package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

func TestDirectoryQuality(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	if out, err := run(t, getenv, addArgsWith("--country", "NL")...); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: getenv}
	a, err := m.openApp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reps, err := a.store.ListReplicators(context.Background(), 0)
	if err != nil || len(reps) != 1 {
		t.Fatalf("replicators: %v %v", reps, err)
	}
	rep := reps[0]
	_, err = a.store.ApplyPage(context.Background(), roger.Page{ReplicatorID: rep.ID, OrgID: rep.OrgID, Upserts: []roger.Entry{
		{Kind: roger.KindContact, SourceID: "a1", CompanyID: "c1", DisplayName: "-Jan", SourceTimestamp: 1,
			Numbers: []roger.Number{{Field: "Phone", Raw: "12", Status: roger.NumberInvalid, Reason: "too short"}}},
		{Kind: roger.KindContact, SourceID: "a2", CompanyID: "c2", DisplayName: "Fine", SourceTimestamp: 2,
			Numbers: []roger.Number{{Field: "Phone", Raw: "+31201234567", E164: "+31201234567", Status: roger.NumberOK}}},
	}})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, err := run(t, getenv, "directory", "quality", "--replicator", strconv.FormatInt(rep.ID, 10), "--format", "csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("CSV: %v\n%s", err, out)
	}
	if row := records[1]; row[0] != "Too short" || row[1] != "'-Jan" || row[6] != "12" || row[8] != "too short" || !strings.Contains(row[9], "_ID=%7ba1%7d") {
		t.Errorf("row: %q", row)
	}
	text, err := run(t, getenv, "directory", "quality", "--replicator", strconv.FormatInt(rep.ID, 10))
	if err != nil || strings.Count(text, "\n") != 1 || !strings.HasPrefix(text, "Too short\t-Jan\tPhone: \"12\"\ttoo short") {
		t.Errorf("text: %v\n%s", err, text)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"directory", "quality"}, "--replicator: give the id"},
		{[]string{"directory", "quality", "--replicator", strconv.FormatInt(rep.ID, 10), "--format", "xlsx"}, `--format "xlsx": use csv or text`},
		{[]string{"directory", "quality", "--replicator", "999"}, "999"},
	} {
		var errs bytes.Buffer
		err := (&Main{Stdout: io.Discard, Stderr: &errs, Getenv: getenv}).Run(context.Background(), tc.args)
		if err == nil || !strings.Contains(roger.ErrorMessage(err)+errs.String(), tc.want) {
			t.Errorf("%v: %v %s, want %q", tc.args, err, errs.String(), tc.want)
		}
	}
}
