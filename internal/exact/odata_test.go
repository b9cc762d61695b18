package exact

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// wallMillis is what Exact writes for an Amsterdam wall-clock reading.
func wallMillis(y int, mo time.Month, d, h, mi, s, ms int) string {
	return strconv.FormatInt(time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC).UnixMilli(), 10)
}

func TestExactDates(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ms int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC)
	}
	tests := []struct {
		name string
		json string
		want time.Time
		bad  bool
	}{
		{"winter (CET, +1)", `"/Date(` + wallMillis(2026, 1, 15, 12, 0, 0, 0) + `)/"`, utc(2026, 1, 15, 11, 0, 0, 0), false},
		{"summer (CEST, +2)", `"/Date(` + wallMillis(2026, 6, 25, 16, 13, 0, 0) + `)/"`, utc(2026, 6, 25, 14, 13, 0, 0), false},
		{"summer with +0200 suffix", `"/Date(` + wallMillis(2026, 6, 25, 16, 13, 0, 0) + `+0200)/"`, utc(2026, 6, 25, 14, 13, 0, 0), false},
		{"winter with -0100 suffix", `"/Date(` + wallMillis(2026, 1, 15, 12, 0, 0, 0) + `-0100)/"`, utc(2026, 1, 15, 11, 0, 0, 0), false},
		{"escaped slashes", `"\/Date(` + wallMillis(2026, 1, 15, 12, 0, 0, 0) + `)\/"`, utc(2026, 1, 15, 11, 0, 0, 0), false},
		{"airbyte's test value", `"/Date(1640995200000)/"`, utc(2021, 12, 31, 23, 0, 0, 0), false},
		{"eol-dotnet fixture, milliseconds kept", `"/Date(1382667872203)/"`, utc(2013, 10, 25, 0, 24, 32, 203), false},
		{"before 1970", `"/Date(-86400000)/"`, utc(1969, 12, 30, 23, 0, 0, 0), false},
		{"spring gap: 02:30 never happened", `"/Date(` + wallMillis(2026, 3, 29, 2, 30, 0, 0) + `)/"`, utc(2026, 3, 29, 1, 30, 0, 0), false},
		{"just before the gap", `"/Date(` + wallMillis(2026, 3, 29, 1, 59, 59, 0) + `)/"`, utc(2026, 3, 29, 0, 59, 59, 0), false},
		{"just after the gap", `"/Date(` + wallMillis(2026, 3, 29, 3, 0, 0, 0) + `)/"`, utc(2026, 3, 29, 1, 0, 0, 0), false},
		{"autumn fold: 02:30 twice, the earlier wins", `"/Date(` + wallMillis(2026, 10, 25, 2, 30, 0, 0) + `)/"`, utc(2026, 10, 25, 0, 30, 0, 0), false},
		{"after the fold", `"/Date(` + wallMillis(2026, 10, 25, 3, 0, 0, 0) + `)/"`, utc(2026, 10, 25, 2, 0, 0, 0), false},
		{"ISO local time", `"2026-06-25T16:13:00"`, utc(2026, 6, 25, 14, 13, 0, 0), false},
		{"ISO local time with milliseconds", `"2023-01-17T22:56:23.087"`, utc(2023, 1, 17, 21, 56, 23, 87), false},
		{"null", `null`, time.Time{}, false},
		{"empty string", `""`, time.Time{}, false},
		{"DateTime.MinValue", `"/Date(-62135596800000)/"`, time.Time{}, false},
		{"not digits", `"/Date(abc)/"`, time.Time{}, true},
		{"unterminated", `"/Date(1640995200000"`, time.Time{}, true},
		{"short offset", `"/Date(1640995200000+02)/"`, time.Time{}, true},
		{"beyond year 9999", `"/Date(999999999999999999)/"`, time.Time{}, true},
		{"a number", `1640995200000`, time.Time{}, true},
		{"prose", `"yesterday"`, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d exactDate
			err := d.UnmarshalJSON([]byte(tc.json))
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if tc.bad {
				return
			}
			if !d.T.Equal(tc.want) {
				t.Fatalf("got %v, want %v", d.T, tc.want)
			}
			if !d.T.IsZero() && d.T.Location() != time.UTC {
				t.Fatalf("not in UTC: %v", d.T.Location())
			}
		})
	}
}

// TestExactDatesRoundTrip encodes every quarter hour of a year the way
// the simulator (and Exact) does and decodes it back; only the repeated
// hour of the autumn fold may come back an hour early.
func TestExactDatesRoundTrip(t *testing.T) {
	for at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() == 2026; at = at.Add(15 * time.Minute) {
		_, off := at.In(amsterdam).Zone()
		ms := at.UnixMilli() + int64(off)*1000
		got, err := parseExactDate("/Date(" + strconv.FormatInt(ms, 10) + ")/")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) && !(got.Equal(at.Add(-time.Hour)) && at.Month() == time.October) {
			t.Fatalf("%v came back as %v", at, got)
		}
	}
}

func TestFlexibleFields(t *testing.T) {
	ints := []struct {
		json  string
		want  int64
		valid bool
		bad   bool
	}{
		{`"8876510443"`, 8876510443, true, false},
		{`8876510443`, 8876510443, true, false},
		{`" 42 "`, 42, true, false},
		{`"9223372036854775807"`, 9223372036854775807, true, false},
		{`null`, 0, false, false},
		{`"12a"`, 0, false, true},
		{`1.5`, 0, false, true},
		{`"9223372036854775808"`, 0, false, true},
		{`true`, 0, false, true},
		{`{}`, 0, false, true},
	}
	for _, tc := range ints {
		var n flexInt
		err := n.UnmarshalJSON([]byte(tc.json))
		if (err != nil) != tc.bad || n.V != tc.want || n.Valid != tc.valid {
			t.Errorf("flexInt %s: %+v, err %v", tc.json, n, err)
		}
	}
	strs := []struct {
		json string
		want string
		bad  bool
	}{
		{`null`, "", false},
		{`"Voorbeeld B.V."`, "Voorbeeld B.V.", false},
		{`"O\u0027Brien \"jr\" \u00e9\n"`, "O'Brien \"jr\" é\n", false},
		{`"030 1234567"`, "030 1234567", false},
		{`128`, "128", false},
		{`true`, "true", false},
		{`{"__deferred":{}}`, "", true},
		{`[1]`, "", true},
	}
	for _, tc := range strs {
		var s nstring
		err := s.UnmarshalJSON([]byte(tc.json))
		if (err != nil) != tc.bad || string(s) != tc.want {
			t.Errorf("nstring %s: %q, err %v", tc.json, s, err)
		}
	}
}

func TestDecodePages(t *testing.T) {
	const row = `{"__metadata":{"uri":"https://x/api/v1/1/crm/Contacts(guid'5cb718a4-f1c8-4432-9d7f-daf2bc427889')","type":"Exact.Web.Api.Models.Sync.CRM.Contact"},` +
		`"ID":"5cb718a4-f1c8-4432-9d7f-daf2bc427889","Account":"11acd652-0000-0000-0000-000000000000","FullName":"Anna van Dijk","Phone":null,"Timestamp":"8876510443","Modified":"/Date(1782404007287)/"}`
	tests := []struct {
		name string
		body string
		rows int
		next string
		bad  bool
	}{
		{"page with next", `{"d":{"results":[` + row + `],"__next":"https://x/next"}}`, 1, "https://x/next", false},
		{"last page", `{"d":{"results":[` + row + `,` + row + `]}}`, 2, "", false},
		{"empty page", `{"d":{"results":[]}}`, 0, "", false},
		{"pretty-printed", "{\n  \"d\" : {\n    \"results\" : [ " + row + " ]\n  }\n}", 1, "", false},
		{"bare array in d", `{"d":[` + row + `]}`, 1, "", false},
		{"no results", `{"d":{}}`, 0, "", true},
		{"d null", `{"d":null}`, 0, "", true},
		{"no d", `{"results":[]}`, 0, "", true},
		{"truncated", (`{"d":{"results":[` + row + `]}}`)[:120], 0, "", true},
		{"trailing garbage", `{"d":{"results":[]}}x`, 0, "", true},
		{"row without ID", `{"d":{"results":[{"Timestamp":"5"}]}}`, 0, "", true},
		{"row without Timestamp", `{"d":{"results":[{"ID":"x","Timestamp":null}]}}`, 0, "", true},
		{"odata error", `{"error":{"code":"","message":{"lang":"","value":"Error in query syntax."}}}`, 0, "", true},
		{"atom", `<?xml version="1.0" encoding="utf-8"?><feed/>`, 0, "", true},
		{"html", `<html><head><title>Object moved</title></head></html>`, 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, next, err := decodeContactsPage([]byte(tc.body))
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if len(rows) != tc.rows || next != tc.next {
				t.Fatalf("%d rows, next %q", len(rows), next)
			}
			if tc.bad && rows != nil {
				t.Fatal("rows returned with an error")
			}
			for _, r := range rows {
				if r.Timestamp != 8876510443 || r.Phone != "" || r.Modified.IsZero() {
					t.Fatalf("row %+v", r)
				}
			}
		})
	}
}

func TestODataMessage(t *testing.T) {
	tests := map[string]string{
		`{"error":{"code":"","message":{"lang":"","value":"Filtering on these fields is not supported: Name"}}}`: "Filtering on these fields is not supported: Name",
		`{ "error" : { "code" : "", "message" : { "lang" : "", "value" : "Error in query syntax." } } }`:         "Error in query syntax.",
		`{"error":{"message":"plain"}}`: "plain",
		`<html>Object moved</html>`:     "",
		``:                              "",
		`{"error":"invalid_grant"}`:     "",
	}
	for body, want := range tests {
		if got := odataMessage([]byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
	long := `{"error":{"message":{"value":"` + strings.Repeat("é", 400) + `"}}}`
	if got := odataMessage([]byte(long)); len(got) > 504 || !strings.HasSuffix(got, "…") {
		t.Errorf("long message not clipped: %d bytes", len(got))
	}
}

func TestNormalizeGUID(t *testing.T) {
	tests := map[string]string{
		"5CB718A4-F1C8-4432-9D7F-DAF2BC427889":   "5cb718a4-f1c8-4432-9d7f-daf2bc427889",
		"{5cb718a4-f1c8-4432-9d7f-daf2bc427889}": "5cb718a4-f1c8-4432-9d7f-daf2bc427889",
		"5cb718a4f1c844329d7fdaf2bc427889":       "",
		"5cb718a4-f1c8-4432-9d7f-daf2bc42788'":   "",
		"":                                       "",
	}
	for in, want := range tests {
		got, ok := normalizeGUID(in)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
}
