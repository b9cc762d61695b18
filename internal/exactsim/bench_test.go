package exactsim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim/crm"
)

// benchSim builds a simulator holding n records (a fifth accounts) in one
// division, with rate limits off, and a valid access token.
func benchSim(b *testing.B, n int) (*Simulator, string) {
	b.Helper()
	clk := clock.NewFake(testStart)
	sim := New(Options{Clock: clk, Seed: 11, MinutelyLimit: -1, DailyLimit: -1})
	if _, err := sim.AddUser(testUser, testPassword, testDivision); err != nil {
		b.Fatal(err)
	}
	sim.Seed(testDivision, n/5, n-n/5)
	app, err := sim.RegisterApp("bench", testRedirect, "", "")
	if err != nil {
		b.Fatal(err)
	}
	sim.mu.Lock()
	key := chainKey{client: app.ClientID, user: testUser}
	c := &chain{region: "nl"}
	sim.chains[key] = c
	tok := sim.issue(key, c, clk.Now())
	sim.mu.Unlock()
	return sim, tok.AccessToken
}

// BenchmarkMillionRecords reports the heap a 1,000,000-record division
// takes and how long a 1000-row sync/CRM/Contacts page takes over loopback
// HTTP from the middle of it.
func BenchmarkMillionRecords(b *testing.B) {
	const n = 1_000_000
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sim, tok := benchSim(b, n)
	defer sim.Close()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc - before.HeapAlloc)

	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	var mid int64
	sim.mu.RLock()
	d := sim.divisions[testDivision]
	i := 0
	d.contacts.byTS.Ascend(func(c *crm.Contact) bool {
		i++
		mid = c.Timestamp
		return i < d.contacts.len()/2
	})
	sim.mu.RUnlock()
	target := srv.URL + "/api/v1/123456/sync/CRM/Contacts?$select=ID,Account,FullName,Phone,PhoneExtension,Mobile,BusinessPhone,Email,JobTitleDescription,Modified,Timestamp&$filter=Timestamp%20gt%20" + strconv.FormatInt(mid, 10) + "L"
	b.ResetTimer()
	var bytes int64
	for b.Loop() {
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		nb, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		bytes = nb
	}
	// Reported after the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(bytes), "B/page")
	b.ReportMetric(heap/(1<<20), "MB-heap")
	b.ReportMetric(heap/n, "B/record")
	b.ReportMetric(float64(after.Sys)/(1<<20), "MB-sys")
}

// BenchmarkRegularPageWithFilter measures a 60-row crm/Contacts page whose
// filter has to scan the whole 100,000-record table.
func BenchmarkRegularPageWithFilter(b *testing.B) {
	sim, tok := benchSim(b, 100_000)
	defer sim.Close()
	h := sim.Handler()
	target := "http://sim.test/api/v1/123456/crm/Contacts?$select=ID,FullName&$filter=substringof('zz',FullName)%20or%20HID%20gt%2090000"
	for b.Loop() {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}
