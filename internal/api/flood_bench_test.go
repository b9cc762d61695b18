package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// countedKeys counts the key checks that reach the database.
type countedKeys struct {
	*sqlstore.Store
	checks atomic.Int64
}

func (k *countedKeys) AuthenticateAPIKey(ctx context.Context, key string) (*roger.APIKey, error) {
	k.checks.Add(1)
	return k.Store.AuthenticateAPIKey(ctx, key)
}

// floodRate is the rate of random keys of the report that led to the
// limits: 1,500 requests a second.
const floodRate = 1500

// BenchmarkLookupUnderKeyFlood times valid lookups over loopback HTTP,
// one after another, on a real store with the in-memory index, while
// nobody else calls, and while floodRate requests a second with random
// well-formed keys arrive from one address, or each from an address of
// its own. It reports the valid lookups' p50 and p99, the key checks that
// reached the database a second, and the flood's requests answered a
// second.
func BenchmarkLookupUnderKeyFlood(b *testing.B) {
	for _, db := range sqltest.BenchDatabases(b) {
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			s, _ := storetest.Open(b, db.DSN(), nil)
			org := &roger.Organization{Name: "Bench", DefaultCountry: "NL"}
			if err := s.CreateOrganization(ctx, org); err != nil {
				b.Fatal(err)
			}
			rep := &roger.Replicator{OrgID: org.ID, Name: "seeded", Source: roger.SourceExactOnline, Entity: roger.Contacts,
				ExactURL: "https://start.exactonline.nl", Division: 1, Interval: time.Hour, State: roger.StatePaused}
			if err := s.CreateReplicator(ctx, rep); err != nil {
				b.Fatal(err)
			}
			entries := make([]roger.Entry, 1000)
			for i := range entries {
				entries[i] = roger.Entry{Kind: roger.KindContact, SourceID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), CompanyID: "c",
					DisplayName: "Anna van Dijk", CompanyName: "Voorbeeld B.V.", SourceTimestamp: int64(i + 1),
					Numbers: []roger.Number{{Field: "Phone", Raw: "020", E164: fmt.Sprintf("+312012%05d", i), Status: roger.NumberOK}}}
			}
			if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: rep.ID, OrgID: org.ID, Upserts: entries, Cursor: 1}); err != nil {
				b.Fatal(err)
			}
			_, key, err := s.CreateAPIKey(ctx, org.ID, "bench")
			if err != nil {
				b.Fatal(err)
			}
			idx := dirindex.New(s, dirindex.Options{})
			if err := idx.Refresh(ctx); err != nil {
				b.Fatal(err)
			}
			for _, flood := range []string{"quiet", "one address", "many addresses"} {
				b.Run(flood, func(b *testing.B) {
					keys := &countedKeys{Store: s}
					srv := httptest.NewServer((&api.Server{Lookup: lookup.New(s, lookup.Options{Numbers: idx}), Keys: keys,
						ClientAddr: func(r *http.Request) netip.Addr {
							// The flood says where it comes from: over
							// loopback every request is from 127.0.0.1.
							if a, err := netip.ParseAddr(r.Header.Get("X-Bench-Client")); err == nil {
								return a
							}
							return netip.MustParseAddr("127.0.0.1")
						}}).Handler())
					defer srv.Close()
					stop := make(chan struct{})
					var wg sync.WaitGroup
					var sent atomic.Int64
					if flood != "quiet" {
						wg.Go(func() { sendFlood(b, srv.URL, flood == "many addresses", stop, &sent) })
						time.Sleep(time.Second) // past the address's first failures
					}
					client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
					get := func(number string) {
						req, _ := http.NewRequest("GET", srv.URL+"/api/v1/lookup?number="+number, nil)
						req.Header.Set("Authorization", "Bearer "+key)
						resp, err := client.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Fatalf("valid lookup: %s", resp.Status)
						}
					}
					get("0201200001")
					var lat []time.Duration
					checks, floodStart := keys.checks.Load(), sent.Load()
					start := time.Now()
					i := 0
					for b.Loop() {
						i++
						t0 := time.Now()
						get(fmt.Sprintf("02012%05d", i%1000))
						lat = append(lat, time.Since(t0))
					}
					elapsed := time.Since(start)
					close(stop)
					wg.Wait()
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
					b.ReportMetric(float64(keys.checks.Load()-checks)/elapsed.Seconds(), "key-queries/s")
					b.ReportMetric(float64(sent.Load()-floodStart)/elapsed.Seconds(), "flood-req/s")
				})
			}
		})
	}
}

// sendFlood sends floodRate requests a second with random well-formed
// keys until stop is closed, from one address or each from its own, and
// counts the answers in sent. A request is dropped rather than queued
// while 64 are waiting for their answer.
func sendFlood(b *testing.B, base string, manyAddresses bool, stop <-chan struct{}, sent *atomic.Int64) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	tick := time.NewTicker(time.Second / floodRate)
	defer tick.Stop()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	for n := uint32(0); ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		k, _, err := roger.NewAPIKey()
		if err != nil {
			b.Error(err)
			return
		}
		from := "203.0.113.9"
		if manyAddresses {
			from = netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}).String()
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // the server is behind: drop rather than queue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			req, _ := http.NewRequest("GET", base+"/api/v1/lookup?number=0201234567", nil)
			req.Header.Set("Authorization", "Bearer "+k)
			req.Header.Set("X-Bench-Client", from)
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			sent.Add(1)
		})
	}
}
