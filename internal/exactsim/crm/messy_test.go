package crm

import (
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
)

// TestMessyNumbersReadAsTidyOnes: roger's phone parser reads a number with
// what people leave around it as the same number without, and the share of
// phone fields it cannot read stays a few percent.
func TestMessyNumbersReadAsTidyOnes(t *testing.T) {
	p := populate(2025, 7, 3000, 9000)
	fields := phoneFields(p)
	byID := map[GUID]*Account{}
	for _, a := range p.accounts {
		byID[a.ID] = a
	}
	messy, invalid, total := 0, 0, 0
	reasons := map[string]int{}
	check := func(raw, country string) {
		if raw == "" {
			return
		}
		if country == "" {
			country = "NL" // the replicator's default country
		}
		n, ok := phone.ParseNumber(raw, "Phone", "", country)
		if !ok {
			return // a placeholder: no number
		}
		total++
		if n.Status != roger.NumberOK {
			invalid++
			reasons[n.Reason]++
		}
		if tidy(raw) == raw {
			return
		}
		messy++
		want, _ := phone.ParseNumber(tidy(raw), "Phone", "", country)
		if n.E164 != want.E164 || n.Status != want.Status {
			t.Errorf("%q reads as %s %q, but %q as %s %q", raw, n.Status, n.E164, tidy(raw), want.Status, want.E164)
		}
	}
	for _, a := range p.accounts {
		check(a.Phone, a.Country)
		check(a.Fax, a.Country)
	}
	for _, c := range p.contacts {
		country := byID[c.Account].Country
		check(c.Phone, country)
		check(c.BusinessFax, country)
		if c.Country != "" && country != "" {
			country = c.Country
		}
		check(c.Mobile, country)
	}
	share := float64(invalid) / float64(total)
	t.Logf("%d phone fields (%d of them messy), %d (%.1f%%) do not read as a valid number: %v", total, messy, invalid, 100*share, reasons)
	if messy == 0 || len(fields) == 0 {
		t.Fatal("no messy numbers generated")
	}
	if share < .005 || share > .08 {
		t.Errorf("%.1f%% of phone fields do not parse, want a few percent", 100*share)
	}
}
