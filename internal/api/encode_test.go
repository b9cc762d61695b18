package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/lookup"
)

// fill sets every field of v, recursively, to a value that is not zero and
// needs escaping, so that a field the hand-written encoder does not know
// shows as a difference from encoding/json.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d <a href=\"x\">&\\</a>\t\u2028é\x01\xff", seed))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(seed*1_000_003 + 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), seed*10+i)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 10, 1, 8, 0, seed%60, 123456789, time.FixedZone("CEST", 2*3600))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed*10+i)
			}
		}
	default:
		panic("fill: no value for " + v.Type().String())
	}
}

func TestAppendResult(t *testing.T) {
	var full lookup.Result
	fill(reflect.ValueOf(&full).Elem(), 1)
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		res  lookup.Result
	}{
		{"every field set", full},
		{"no matches", lookup.Result{Number: lookup.Number{Input: "0201234567", E164: "+31201234567"}, Matches: []lookup.Match{}}},
		{"nil matches", lookup.Result{}},
		{"optional fields left out", lookup.Result{Matches: []lookup.Match{{Name: "Anna", Kind: "contact", Rule: lookup.RuleExact, Modified: at, SyncedAt: at}}}},
		{"zero times", lookup.Result{Matches: []lookup.Match{{Name: "Anna"}, {Name: "Bert"}}, Truncated: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(&tt.res)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendResult(nil, &tt.res)
			if !ok || string(got) != string(want)+"\n" {
				t.Errorf("appendResult = %q, %v;\nencoding/json: %q", got, ok, want)
			}
		})
	}
}

// A time encoding/json refuses is refused here too, so that the answer is
// the same internal error.
func TestAppendResultBadTime(t *testing.T) {
	res := lookup.Result{Matches: []lookup.Match{{Modified: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if _, err := json.Marshal(&res); err == nil {
		t.Fatal("encoding/json takes year 10000")
	}
	if _, ok := appendResult(nil, &res); ok {
		t.Error("appendResult takes year 10000")
	}
}
