package quality

import (
	"fmt"
	"testing"

	"github.com/roger365io/roger"
)

// BenchmarkPreviewCountry measures the Country Code dry run on 100,000
// records with two national numbers each, their country guessed, read
// from memory: the parsing, not the store.
func BenchmarkPreviewCountry(b *testing.B) {
	store := &fakeStore{}
	for i := range 100_000 {
		store.entries = append(store.entries, &roger.Entry{ID: int64(i + 1), CountryFrom: roger.CountryFromReplicator, Numbers: []roger.Number{
			{Field: "Phone", Raw: fmt.Sprintf("020 %03d %04d", i%1000, i%10000), E164: "+31201234567", Status: roger.NumberOK, National: true},
			{Field: "Mobile", Raw: fmt.Sprintf("06-%08d", i), E164: "+31612345678", Status: roger.NumberOK, National: true},
		}})
	}
	rep := &roger.Replicator{ID: 1, OrgID: 1, DefaultCountry: "NL"}
	for b.Loop() {
		if _, err := PreviewCountry(b.Context(), store, rep, "BE"); err != nil {
			b.Fatal(err)
		}
	}
}
