package exact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "time/tzdata" // Exact's dates are Amsterdam wall-clock time; the zone must exist on every machine.

	"github.com/roger365io/roger/internal/cpushare"
)

// amsterdam is the zone Exact Online writes its dates in.
var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic("exact: no Europe/Amsterdam zone: " + err.Error())
	}
	return loc
}()

// nstring is an OData string field. Exact writes missing values as null;
// a number or boolean where a string was expected is kept as its text
// rather than failing a page of a thousand records over one odd field.
type nstring string

func (s *nstring) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == 'n':
		*s = ""
		return nil
	case b[0] == '"':
		// Most values have no escapes; skipping the second decode for them
		// matters on a million records.
		if bytes.IndexByte(b, '\\') < 0 && len(b) >= 2 && b[len(b)-1] == '"' {
			v := b[1 : len(b)-1]
			if !utf8.Valid(v) {
				*s = nstring(strings.ToValidUTF8(string(v), "\uFFFD"))
				return nil
			}
			*s = nstring(v)
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = nstring(v)
		return nil
	case b[0] == '{' || b[0] == '[':
		return errors.New("an object where text was expected")
	default: // number, true, false
		*s = nstring(b)
		return nil
	}
}

// flexInt is an Edm.Int32 or Edm.Int64. Verbose OData writes Int64 values
// (Timestamp) as JSON strings, and some clients saw numbers: both are
// read. Valid is false for null.
type flexInt struct {
	V     int64
	Valid bool
}

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty value")
	}
	if b[0] == 'n' {
		*n = flexInt{}
		return nil
	}
	text := string(b)
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		text = strings.TrimSpace(s)
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return fmt.Errorf("%.40q is not an integer", text)
	}
	*n = flexInt{V: v, Valid: true}
	return nil
}

// exactDate is an Edm.DateTime as Exact writes it: "/Date(ms)/", where ms
// is Amsterdam wall-clock time counted as if it were UTC. Null is the zero
// time.
type exactDate struct{ T time.Time }

func (d *exactDate) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == 'n' {
		d.T = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a date must be a string or null")
	}
	t, err := parseExactDate(s)
	if err != nil {
		return err
	}
	d.T = t
	return nil
}

// minDotNetMillis is DateTime.MinValue (0001-01-01), which .NET services
// write where they mean "no date".
const minDotNetMillis = -62135596800000

// parseExactDate reads "/Date(ms)/", "/Date(ms+0200)/" or an ISO local
// time without offset, all as Amsterdam wall-clock time, and returns the
// true instant in UTC.
//
// An offset suffix is read past and ignored: the reference documents the
// digits as Amsterdam wall time whether or not a suffix follows, and the
// clients that cope with the suffix (emeq, mcnijman) take the first run of
// digits too.
func parseExactDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if rest, ok := strings.CutPrefix(s, "/Date("); ok {
		body, ok := strings.CutSuffix(rest, ")/")
		if !ok {
			return time.Time{}, fmt.Errorf("%.40q is not a /Date(…)/ value", s)
		}
		end := 0
		if end < len(body) && (body[end] == '-' || body[end] == '+') {
			end++
		}
		for end < len(body) && body[end] >= '0' && body[end] <= '9' {
			end++
		}
		digits, suffix := body[:end], body[end:]
		if suffix != "" && !validOffsetSuffix(suffix) {
			return time.Time{}, fmt.Errorf("%.40q is not a /Date(…)/ value", s)
		}
		ms, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%.40q is not a /Date(…)/ value", s)
		}
		if ms <= minDotNetMillis {
			return time.Time{}, nil
		}
		// Beyond year 9999 no real date lies; refusing keeps time
		// arithmetic away from overflow.
		if ms > 253402300799999 {
			return time.Time{}, fmt.Errorf("%.40q is out of range", s)
		}
		return amsterdamWallToUTC(time.UnixMilli(ms).UTC()), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return amsterdamWallToUTC(t), nil
		}
	}
	return time.Time{}, fmt.Errorf("%.40q is not a date Exact Online writes", s)
}

func validOffsetSuffix(s string) bool {
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// amsterdamWallToUTC turns wall, whose UTC fields hold an Amsterdam
// wall-clock reading, into the instant that reading names. In the autumn
// fold the reading happens twice and the earlier instant wins, so a
// record never seems modified later than it was. In the spring gap it
// never happens; it is read with the offset in force before the gap, as a
// clock nobody moved forward yet would show it.
func amsterdamWallToUTC(wall time.Time) time.Time {
	offsetAt := func(t time.Time) time.Duration {
		_, off := t.In(amsterdam).Zone()
		return time.Duration(off) * time.Second
	}
	// A transition happens at most once in any 24 hours, so the offsets
	// half a day either side are the only candidates.
	before, after := offsetAt(wall.Add(-12*time.Hour)), offsetAt(wall.Add(12*time.Hour))
	var best time.Time
	for _, off := range []time.Duration{before, after} {
		t := wall.Add(-off)
		if t.Add(offsetAt(t)).Equal(wall) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if best.IsZero() {
		best = wall.Add(-before)
	}
	return best.UTC()
}

// decodeRows decodes a collection page. Some Exact endpoints answer with a
// bare array in d, which is accepted too; anything else, including a
// truncated body, is an error and yields no rows at all. Keys are matched
// without regard to case, as encoding/json matches them.
//
// The rows are decoded one by one, with a turn for the scheduler every 64
// of them (cpushare.Turn): a page of a thousand records is some
// milliseconds of work, which lookups served beside many syncs must not
// wait behind.
func decodeRows[T any](body []byte) ([]T, string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	var rows []T
	var next string
	sawD, sawResults := false, false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return nil, "", err
		}
		if !strings.EqualFold(key, "d") {
			if err := skipValue(dec); err != nil {
				return nil, "", err
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, "", err
		}
		switch tok {
		case nil:
			sawD = false
		case json.Delim('['):
			if rows, err = decodeArray[T](dec); err != nil {
				return nil, "", err
			}
			sawD, sawResults, next = true, true, ""
		case json.Delim('{'):
			sawD = true
			for dec.More() {
				k, err := objectKey(dec)
				if err != nil {
					return nil, "", err
				}
				switch {
				case strings.EqualFold(k, "results"):
					tok, err := dec.Token()
					if err != nil {
						return nil, "", err
					}
					switch tok {
					case nil:
						rows, sawResults = nil, false
					case json.Delim('['):
						if rows, err = decodeArray[T](dec); err != nil {
							return nil, "", err
						}
						sawResults = true
					default:
						return nil, "", fmt.Errorf(`"results" is %v, not a list`, tok)
					}
				case strings.EqualFold(k, "__next"):
					var n *string
					if err := dec.Decode(&n); err != nil {
						return nil, "", fmt.Errorf(`"__next": %w`, err)
					}
					next = ""
					if n != nil {
						next = *n
					}
				default:
					if err := skipValue(dec); err != nil {
						return nil, "", err
					}
				}
			}
			if err := expectDelim(dec, '}'); err != nil {
				return nil, "", err
			}
		default:
			return nil, "", fmt.Errorf(`"d" is %v, not an object`, tok)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, "", err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, "", errors.New("more after the page's JSON object")
	}
	if !sawD {
		return nil, "", errors.New(`no "d" object`)
	}
	if !sawResults {
		return nil, "", errors.New(`no "results" list`)
	}
	return rows, next, nil
}

// decodeArray decodes the elements of a list whose '[' has been read, and
// its ']'.
func decodeArray[T any](dec *json.Decoder) ([]T, error) {
	rows := []T{}
	for i := 0; dec.More(); i++ {
		cpushare.Turn(i)
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		rows = append(rows, v)
	}
	return rows, expectDelim(dec, ']')
}

// objectKey reads the next key of an object.
func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%v where a key was expected", tok)
	}
	return key, nil
}

// expectDelim reads the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if tok != d {
		return fmt.Errorf("%v where %v was expected", tok, d)
	}
	return nil
}

// skipValue reads past the next value.
func skipValue(dec *json.Decoder) error {
	var skip json.RawMessage
	return dec.Decode(&skip)
}

// decodeEntity decodes a single-record answer, {"d":{…}}, also accepting
// a collection of one.
func decodeEntity[T any](body []byte) (*T, error) {
	var env struct {
		D json.RawMessage `json:"d"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	d := bytes.TrimSpace(env.D)
	if len(d) == 0 || d[0] != '{' && d[0] != '[' {
		return nil, errors.New(`no "d" object`)
	}
	if d[0] == '{' {
		var probe struct {
			Results json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(d, &probe); err != nil {
			return nil, err
		}
		if probe.Results == nil {
			v := new(T)
			if err := json.Unmarshal(d, v); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	rows, _, err := decodeRows[T](body)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("an empty result")
	}
	return &rows[0], nil
}

// odataMessage extracts the message of an OData error body,
// {"error":{"code":"","message":{"lang":"","value":"…"}}}; some services
// write message as a plain string. It returns "" for anything else, such as
// an HTML page, which is never shown to a person.
func odataMessage(body []byte) string {
	var e struct {
		Error *struct {
			Message json.RawMessage `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return ""
	}
	var m struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(e.Error.Message, &m) == nil && m.Value != "" {
		return clip(m.Value, 500)
	}
	var s string
	if json.Unmarshal(e.Error.Message, &s) == nil {
		return clip(s, 500)
	}
	return ""
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// queryEscape escapes an OData query option value. Spaces become %20
// rather than +, and the characters OData literals are made of stay
// readable in logs: both forms mean the same to Exact.
func queryEscape(s string) string {
	return strings.NewReplacer("+", "%20", "%27", "'", "%24", "$", "%2C", ",").Replace(url.QueryEscape(s))
}
