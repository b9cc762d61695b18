package exact

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// unmarshalRows is decodeRows as encoding/json.Unmarshal reads the
// envelope in one call: the reference the streaming decoder must agree
// with.
func unmarshalRows[T any](body []byte) ([]T, string, error) {
	var p struct {
		D *struct {
			Results *[]T   `json:"results"`
			Next    string `json:"__next"`
		} `json:"d"`
	}
	err := json.Unmarshal(body, &p)
	if err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field == "d" {
			var arr struct {
				D []T `json:"d"`
			}
			if err2 := json.Unmarshal(body, &arr); err2 == nil && arr.D != nil {
				return arr.D, "", nil
			}
		}
		return nil, "", err
	}
	if p.D == nil {
		return nil, "", errors.New(`no "d" object`)
	}
	if p.D.Results == nil {
		return nil, "", errors.New(`no "results" list`)
	}
	return *p.D.Results, p.D.Next, nil
}

// TestDecodeRowsAgreesWithUnmarshal: the page decoder that yields between
// rows accepts and refuses what one call of json.Unmarshal does, with the
// same rows and next link.
func TestDecodeRowsAgreesWithUnmarshal(t *testing.T) {
	type row struct{ ID string }
	for _, body := range []string{
		`{"d":{"results":[{"ID":"a"},{"ID":"b"}],"__next":"https://x/next"}}`,
		`{"d":{"__next":"https://x/next","results":[{"ID":"a"}]}}`,
		`{"d":{"results":[]}}`,
		`{"d":[{"ID":"a"}]}`,
		`{"D":{"Results":[{"ID":"a"}],"__Next":"n"}}`,
		`{"other":1,"d":{"results":[{"ID":"a"}],"__count":"2","extra":{"x":[1,2]}}}`,
		`{"d":{"results":[{"ID":"a"}],"__next":null}}`,
		`{"d":{"results":null}}`,
		`{"d":null}`,
		`{"d":{}}`,
		`{}`,
		`{"d":"text"}`,
		`{"d":{"results":{"ID":"a"}}}`,
		`{"d":{"results":[{"ID":"a"}]}} trailing`,
		`{"d":{"results":[{"ID":"a"},`,
		`{"d":{"results":[{"ID":1}]}}`,
		`[]`,
		``,
		`{"error":{"code":"","message":{"lang":"","value":"Forbidden"}}}`,
	} {
		got, gotNext, gotErr := decodeRows[row]([]byte(body))
		want, wantNext, wantErr := unmarshalRows[row]([]byte(body))
		if (gotErr == nil) != (wantErr == nil) || gotNext != wantNext || !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Errorf("%s:\n got %v %q %v\nwant %v %q %v", body, got, gotNext, gotErr, want, wantNext, wantErr)
		}
	}
}

// FuzzDecodeRowsAgrees: on any bytes, the page decoder and json.Unmarshal
// agree on whether a page is one, and on its rows and next link.
func FuzzDecodeRowsAgrees(f *testing.F) {
	f.Add([]byte(`{"d":{"results":[{"ID":"a","Timestamp":"1"}],"__next":"https://x/n"}}`))
	f.Add([]byte(`{"d":[{"ID":"a"}]}`))
	f.Add([]byte(`{"D":{"Results":[],"__Next":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		type row struct {
			ID string
			N  int
		}
		got, gotNext, gotErr := decodeRows[row](body)
		want, wantNext, wantErr := unmarshalRows[row](body)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: decodeRows error %v, Unmarshal error %v", body, gotErr, wantErr)
		}
		if gotErr == nil && (gotNext != wantNext || len(got) != len(want) || !slices.Equal(got, want) && len(got) > 0) {
			t.Fatalf("%q: decodeRows %v %q, Unmarshal %v %q", body, got, gotNext, want, wantNext)
		}
	})
}
