package ldapdir_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/ldapdir"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// benchEntries × 2 numbers each is the 1,000,000-number directory of the
// LDAP targets; ROGER_BENCH_LDAP_ENTRIES sets another size.
var benchEntries = 500_000

// Names are made of syllables, so that a prefix typed on a phone finds
// a realistic share of a big directory: 2 letters about 1 in 20 names,
// 3 letters 1 in 150 or so.
var syllables = []string{"an", "be", "co", "de", "el", "fa", "gi", "ho", "in", "ja", "ke", "lo", "ma", "ni", "op", "pe", "ri", "sa", "tu", "vo"}

func benchName(n int) (given, sur string) {
	s := func(i int) string { return syllables[i%len(syllables)] }
	given = s(n) + s(n/7) + s(n/131)
	sur = s(n/3) + s(n/53) + s(n/997) + "s"
	return string(given[0]-32) + given[1:], string(sur[0]-32) + sur[1:]
}

func benchLandline(n int) string { return fmt.Sprintf("+3120%07d", 1_000_000+(n*7919)%9_000_000) }
func benchMobile(n int) string   { return fmt.Sprintf("+3161%07d", (n*104_729)%10_000_000) }

// BenchmarkLDAP measures LDAP searches over loopback against a
// 1,000,000-number directory (500,000 contacts with a landline and a
// mobile), at fixed rates, as phones send them: a Yealink's number filter
// with the caller's number in national notation (target p99 under 5 ms at
// 2,000 searches/s), and its name filter with a 2 or 3 letter prefix and a
// size limit of 50 (target p99 under 20 ms). The latency of each search is
// counted from when it was due, so a server that falls behind shows it.
// Run it with -benchtime 1x; seeding takes a minute or two.
func BenchmarkLDAP(b *testing.B) {
	if v, err := strconv.Atoi(os.Getenv("ROGER_BENCH_LDAP_ENTRIES")); err == nil && v >= 1000 {
		benchEntries = v / 1000 * 1000
	}
	s, _ := storetest.Open(b, filepath.Join(b.TempDir(), "roger.db"), clock.System{})
	o := newOrg(b, s, "Bench")
	page := make([]roger.Entry, 1000)
	ctx := context.Background()
	for start := 0; start < benchEntries; start += len(page) {
		for i := range page {
			n := start + i
			given, sur := benchName(n)
			page[i] = roger.Entry{Kind: roger.KindContact, SourceID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", n), CompanyID: "c",
				DisplayName: given + " " + sur, CompanyName: sur + " B.V.", SourceTimestamp: int64(n + 1), SourceModified: time.Unix(int64(n), 0),
				Numbers: []roger.Number{
					{Field: "Phone", Raw: "020", E164: benchLandline(n), Status: roger.NumberOK},
					{Field: "Mobile", Raw: "06", E164: benchMobile(n), Status: roger.NumberOK},
				}}
		}
		if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: o.rep.ID, OrgID: o.org.ID, Upserts: page, Cursor: int64(start + len(page))}); err != nil {
			b.Fatal(err)
		}
	}
	dn, pw, _ := o.key(false)
	start := time.Now()
	_, addr, idx := server(b, s, ldapdir.Options{})
	st := idx.Stats()
	b.Logf("index of %d entries, %d numbers loaded in %v", st.Entries, st.Numbers, time.Since(start).Round(time.Millisecond))
	base := ldapdir.BaseDN(o.org.ID)

	number := func(i int) *ldap.SearchRequest {
		n := "0" + benchLandline((i * 131) % benchEntries)[3:]
		return ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 5, 0, false,
			fmt.Sprintf("(|(telephoneNumber=%s)(mobile=%s)(ipPhone=%s))", n, n, n), []string{"cn", "telephoneNumber", "mobile"}, nil)
	}
	name := func(i int) *ldap.SearchRequest {
		given, _ := benchName(i * 17)
		p := given[:2+i%2]
		return ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 50, 0, false,
			fmt.Sprintf("(|(cn=%s*)(sn=%s*))", p, p), []string{"cn", "telephoneNumber", "mobile"}, nil)
	}
	// One search at a time over one connection: what a search costs,
	// client included.
	c := bound(b, addr, dn, pw)
	b.Run("number-sequential", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if res, err := c.Search(number(i)); err != nil || len(res.Entries) == 0 {
				b.Fatalf("search %d: %v", i, err)
			}
			i++
		}
	})
	b.Run("name-sequential", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if res, err := c.Search(name(i)); (err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded)) || len(res.Entries) == 0 {
				b.Fatalf("search %d: %v", i, err)
			}
			i++
		}
	})
	for _, tc := range []struct {
		name    string
		rate    int
		seconds int
		req     func(int) *ldap.SearchRequest
		min     int // entries each search must find
	}{
		{"number-500/s", 500, 10, number, 1},
		{"number-2000/s", 2000, 10, number, 1},
		{"name-prefix-20/s", 20, 10, name, 1},
		{"name-prefix-50/s", 50, 10, name, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				cpu0, wall0 := cpuTime(), time.Now()
				lat, err := fixedRate(b, addr, dn, pw, tc.rate, time.Duration(tc.seconds)*time.Second, 16, func(c *ldap.Conn, i int) error {
					res, err := c.Search(tc.req(i))
					if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
						return err
					}
					if len(res.Entries) < tc.min {
						return fmt.Errorf("search %d found %d entries", i, len(res.Entries))
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				// The cores this process (server and client) used: what
				// the rest of the machine left it shows whether the
				// figures are the server's or the machine's.
				cores := (cpuTime() - cpu0).Seconds() / time.Since(wall0).Seconds()
				load, _ := os.ReadFile("/proc/loadavg")
				slices.Sort(lat)
				q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
				b.ReportMetric(cores, "cores")
				b.ReportMetric(float64(q(0.5).Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(q(0.99).Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
				b.Logf("%s: %d searches at %d/s: p50 %v, p99 %v, p99.9 %v, max %v; this process used %.2f cores; load average %s", tc.name, len(lat), tc.rate,
					q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(0.999).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond),
					cores, strings.Join(strings.Fields(string(load))[:3], " "))
			}
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fixedRate sends rate searches a second for d over conns bound
// connections and returns each one's latency from when it was due.
func fixedRate(b *testing.B, addr, dn, pw string, rate int, d time.Duration, conns int, fn func(*ldap.Conn, int) error) ([]time.Duration, error) {
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, rate*int(d/time.Second)+1)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for range conns {
		c := bound(b, addr, dn, pw)
		wg.Go(func() {
			for j := range jobs {
				err := fn(c, j.i)
				took := time.Since(j.due)
				mu.Lock()
				lat = append(lat, took)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	total := rate * int(d/time.Second)
	interval := time.Second / time.Duration(rate)
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		jobs <- job{i: i, due: due}
	}
	close(jobs)
	wg.Wait()
	return lat, firstErr
}
