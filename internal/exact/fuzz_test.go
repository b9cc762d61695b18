package exact

import "testing"

// FuzzDecodePage feeds arbitrary bytes to every decoder of Exact's
// answers: none may panic, and a decoder either returns complete rows or
// an error with none.
func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"d":{"results":[{"ID":"a","Timestamp":"1"}],"__next":"https://x/n"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if rows, _, err := decodeContactsPage(body); err != nil {
			if rows != nil {
				t.Fatal("contacts returned with an error")
			}
		} else {
			for _, r := range rows {
				if r.ID == "" || r.Timestamp <= 0 {
					t.Fatalf("incomplete contact accepted: %+v", r)
				}
			}
		}
		if rows, _, err := decodeAccountsPage(body); err != nil {
			if rows != nil {
				t.Fatal("accounts returned with an error")
			}
		} else {
			for _, r := range rows {
				if r.ID == "" || r.Timestamp <= 0 {
					t.Fatalf("incomplete account accepted: %+v", r)
				}
			}
		}
		if rows, _, err := decodeDeletedPage(body); err == nil {
			for _, r := range rows {
				if r.EntityKey == "" || r.Timestamp <= 0 {
					t.Fatalf("incomplete deletion accepted: %+v", r)
				}
			}
		}
		_, _, _ = decodeDivisionsPage(body)
		_, _ = decodeEntity[wireMe](body)
		_, _ = decodeEntity[wireAccount](body)
		_ = odataMessage(body)
		_, _ = parseTokenResponse(body, testStart, testStart)
		_ = classifyTokenError(400, body, "")
	})
}
