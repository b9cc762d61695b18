package roger

import (
	"strings"
	"testing"
)

func TestParseContactURL(t *testing.T) {
	tests := []struct {
		name     string
		tmpl     string
		division int
		err      string
	}{
		{"guide account card", "https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=123456", 123456, ""},
		{"guide contact card", "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=654321", 654321, ""},
		{"division placeholder", "https://start.exactonline.be/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_={Division}", 0, ""},
		{"simulator", "http://127.0.0.1:8090/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1", 1, ""},
		{"empty", "  ", 0, "enter the link"},
		{"unknown placeholder", "https://x.example.com/{CompanyID}", 0, "{CompanyID} is not a placeholder"},
		{"guide typo with spaces", "https://x.example.com/{Compa nyId}", 0, "is not a placeholder"},
		{"unbalanced", "https://x.example.com/{SourceId", 0, "no partner"},
		{"no scheme", "start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID={CompanyId}", 0, "must start with https://"},
		{"placeholder in the host", "https://{SourceId}.example.com/card", 0, "cannot be part of the host name"},
		{"placeholder in the user part", "https://{CompanyId}@crm.example.com/card", 0, "cannot be part of the host name"},
		{"division not a number", "https://start.exactonline.nl/docs/x.aspx?_Division_=<<your division>>", 0, "not a division number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseContactURL(tc.tmpl)
			if tc.err != "" {
				if ErrorCodeOf(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.err) {
					t.Fatalf("want EINVALID with %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil || c.Division != tc.division {
				t.Fatalf("got %+v, %v", c, err)
			}
		})
	}
}

func TestContactURLRenderEscapes(t *testing.T) {
	c, err := ParseContactURL("https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_={Division}&q={SourceId}")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Render("a b&c", "71b961de-b9f3-49fe-883d-0f46c7e0e89b", 42)
	want := "https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b71b961de-b9f3-49fe-883d-0f46c7e0e89b%7d&_Division_=42&q=a+b%26c"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseExactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://start.exactonline.nl", "https://start.exactonline.nl"},
		{"https://START.exactonline.co.uk/", "https://start.exactonline.co.uk"},
		{"http://127.0.0.1:8090", "http://127.0.0.1:8090"},
		{"http://localhost:8090/be/", "http://localhost:8090/be"},
		{"http://start.exactonline.nl", ""},
		{"https://start.exactonline.nl.evil.com", ""},
		{"https://exactonline.nl", ""},
		{"http://10.0.0.5:8090", ""},
		{"ftp://127.0.0.1", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, err := ParseExactURL(tc.in)
		if tc.want == "" {
			if ErrorCodeOf(err) != EINVALID || !strings.Contains(ErrorMessage(err), "start.exactonline.nl") {
				t.Errorf("%q: want EINVALID saying what to use, got %q %v", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}
