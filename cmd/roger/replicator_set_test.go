package main

import (
	"strings"
	"testing"
)

// TestCommandLineRefusesTheContactURLMistakes gives replicator add and
// replicator set each Contact URL that sends callers to the wrong card
// or to "Not found": each is refused with the check's message under
// --contact-url, the command fails (a non-zero exit), and nothing is
// stored. The division a user cannot open is in TestCommandLineJourney,
// which authorizes against the simulator.
func TestCommandLineRefusesTheContactURLMistakes(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	const nl = "https://start.exactonline.nl"
	mistakes := []struct {
		name, entity, exactURL, link, want string
	}{
		{"one relation's link as copied", "contacts", nl, nl + "/docs/CRMAccountCard.aspx?AccountID=%7bb8c2f1e0-3a4d-4c5b-9e8f-1a2b3c4d5e6f%7d&_Division_=123456",
			"--contact-url: The link names one record (AccountID=%7bb8c2f1e0…%7d), so every caller would open that card: put {CompanyId} in place of its id, AccountID=%7b{CompanyId}%7d."},
		{"the list of relations", "contacts", nl, nl + "/docs/CRMAccounts.aspx?_Division_=123456", "--contact-url: This is a list (CRMAccounts.aspx)"},
		{"a contact card on an accounts replicator", "accounts", nl, goodContactURL, "--contact-url: This is a contact card, but this replicator reads accounts"},
		{"the guide's stray space", "contacts", nl, strings.Replace(goodContactURL, "&_Division_", " &_Division_", 1), "--contact-url: Remove the space before &_Division_="},
		{"an Exact Online link on the simulator's replicator", "contacts", "http://127.0.0.1:8090", goodContactURL,
			"--contact-url: The link points to https://start.exactonline.nl, but the replicator reads from http://127.0.0.1:8090"},
		{"a misspelled placeholder", "contacts", nl, strings.Replace(goodContactURL, "{SourceId}", "{SourceID}", 1), "--contact-url: {SourceID} is not a placeholder roger knows: did you mean {SourceId}?"},
	}
	for _, tc := range mistakes {
		t.Run("add/"+tc.name, func(t *testing.T) {
			args := addArgsWith("--entity", tc.entity)
			args = append(args, "--exact-url", tc.exactURL, "--contact-url", tc.link)
			out, err := run(t, getenv, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v\n%s", tc.want, err, out)
			}
		})
	}
	if out, err := run(t, getenv, "replicator", "list"); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("a refused replicator was stored: %v\n%s", err, out)
	}

	// One replicator of each entity on each host, with links that pass.
	ids := map[string]string{}
	for i, rep := range []struct{ key, entity, exactURL, link string }{
		{"contacts " + nl, "contacts", nl, goodContactURL},
		{"accounts " + nl, "accounts", nl, nl + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456"},
		{"contacts http://127.0.0.1:8090", "contacts", "http://127.0.0.1:8090", "http://127.0.0.1:8090/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"},
	} {
		args := addArgsWith("--entity", rep.entity)
		args = append(args, "--name", rep.key, "--exact-url", rep.exactURL, "--contact-url", rep.link,
			"--client-id", strings.Replace("6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e0N", "N", string(rune('a'+i)), 1))
		if out, err := run(t, getenv, args...); err != nil {
			t.Fatalf("add %s: %v\n%s", rep.key, err, out)
		}
		ids[rep.key] = string(rune('1' + i))
	}
	listed := func() string {
		out, err := run(t, getenv, "replicator", "list")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := listed()
	for _, tc := range mistakes {
		t.Run("set/"+tc.name, func(t *testing.T) {
			out, err := run(t, getenv, "replicator", "set", "--id", ids[tc.entity+" "+tc.exactURL], "--contact-url", tc.link)
			want := strings.Replace(tc.want, "--contact-url:", "the settings were not saved:\n  --contact-url:", 1)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("want an error with %q, got %v\n%s", want, err, out)
			}
		})
	}
	if after := listed(); after != before {
		t.Fatalf("a refused setting was stored:\n%s\nwas\n%s", after, before)
	}

	out, err := run(t, getenv, "replicator", "set", "--id", "1", "--country", "BE", "--interval", "15m")
	if err != nil || !strings.Contains(out, "Saved replicator 1") || !strings.Contains(out, "country BE, every 15 min") {
		t.Fatalf("set country and interval: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--id", "1"}, {"--country", "NL"}, {"--id", "99", "--country", "NL"}} {
		if out, err := run(t, getenv, append([]string{"replicator", "set"}, args...)...); err == nil {
			t.Errorf("set %v succeeded:\n%s", args, out)
		}
	}
}
