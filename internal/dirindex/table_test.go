package dirindex

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// holders lists who holds a number in org, as "name ext", sorted.
func (t *table) holders(org int64, e164 string) []string {
	o := t.orgs[org]
	key, _ := parseE164(e164)
	if o == nil {
		return nil
	}
	first, ok := o.first[key]
	if !ok {
		return nil
	}
	var out []string
	for _, slot := range append([]uint32{first}, o.shared[key]...) {
		r := t.rec(slot)
		name := string(t.textOf(r)[r.ends[1]:r.ends[2]])
		for _, n := range t.numsOf(r) {
			if n.e164 == key {
				out = append(out, strings.TrimSpace(name+" "+t.extension(r, &n)))
			}
		}
	}
	slices.Sort(out)
	return out
}

func tableEntry(id int64, name string, numbers ...string) *roger.Entry {
	e := &roger.Entry{ID: id, ReplicatorID: 1, Kind: roger.KindContact, SourceID: fmt.Sprintf("guid-%d", id), DisplayName: name}
	for _, n := range numbers {
		e164, ext, _ := strings.Cut(n, " x")
		e.Numbers = append(e.Numbers, roger.Number{Field: "Phone", E164: e164, Extension: ext, Status: roger.NumberOK})
	}
	return e
}

// TestTableCompacts rewrites every entry many times, as full resyncs do,
// and checks that the dead space is reclaimed and nothing is lost.
func TestTableCompacts(t *testing.T) {
	tb := newTable()
	tb.compactAt = 1000
	for round := range 10 {
		for id := int64(1); id <= 50; id++ {
			tb.put(tableEntry(id, fmt.Sprintf("Person %d round %d", id, round), fmt.Sprintf("+312055500%02d x%d", id, round), "+31205559999"), 7)
		}
		if tb.wasteful() {
			tb.install(tb.compacted())
			if tb.dead != 0 {
				t.Fatalf("dead after compacting = %d", tb.dead)
			}
		}
	}
	if live := tb.text.size(); live > 2*50*len("guid-50Person 50 round 99") {
		t.Errorf("text arena of %d bytes for 50 entries: dead space was not reclaimed", live)
	}
	if got, want := tb.holders(7, "+31205550042"), []string{"Person 42 round 9 9"}; !slices.Equal(got, want) {
		t.Errorf("holders = %q; want %q", got, want)
	}
	if got := tb.holders(7, "+31205559999"); len(got) != 50 {
		t.Errorf("the shared number has %d holders; want 50", len(got))
	}
	if len(tb.slots) != 50 || tb.numbers != 100 {
		t.Errorf("%d entries, %d numbers", len(tb.slots), tb.numbers)
	}
}

func TestTableCutsOversizedText(t *testing.T) {
	tb := newTable()
	long := strings.Repeat("é", maxField) // two bytes a character
	e := tableEntry(1, long, "+31201234567 x"+strings.Repeat("1", 40))
	e.Email, e.JobTitle, e.CompanyName, e.CompanyID = long, long, long, long
	tb.put(e, 1)
	r := tb.rec(tb.slots[1])
	name := string(tb.textOf(r)[r.ends[1]:r.ends[2]])
	if len(name) != maxField || !strings.HasPrefix(long, name) {
		t.Errorf("name cut to %d bytes, not at a character boundary within %d", len(name), maxField)
	}
	if got := tb.holders(1, "+31201234567"); len(got) != 1 || len(got[0]) != len(name)+1+maxExtension {
		t.Errorf("holders = %d, %q", len(got), got)
	}
}
