package exactsim

import (
	"net/http"
	"strconv"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// limitKey is what Exact's call budgets are counted per: app and division.
type limitKey struct {
	client   crm.GUID
	division int
}

type limitCounter struct {
	minute      time.Time // start of the current minute window
	minuteCalls int
	day         time.Time // start of the current UTC day
	dayCalls    int
}

// Usage is one (app, division) call budget as the simulator counts it.
type Usage struct {
	ClientID          crm.GUID
	Division          int
	MinutelyRemaining int
	DailyRemaining    int
}

// takeCall spends one call of the (client, division) budget. It returns
// the headers to send and whether the call may proceed; a refused call
// carries only the headers of the limit it hit, as Exact's 429s do.
func (s *Simulator) takeCall(k limitKey, now time.Time, h http.Header) bool {
	c, ok := s.limits[k]
	if !ok {
		c = &limitCounter{}
		s.limits[k] = c
	}
	minute := now.Truncate(time.Minute)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !c.minute.Equal(minute) {
		c.minute, c.minuteCalls = minute, 0
	}
	if !c.day.Equal(day) {
		c.day, c.dayCalls = day, 0
	}
	minuteReset := strconv.FormatInt(minute.Add(time.Minute).UnixMilli(), 10)
	dayReset := strconv.FormatInt(day.AddDate(0, 0, 1).UnixMilli(), 10)
	dailyOn, minutelyOn := s.opts.DailyLimit > 0, s.opts.MinutelyLimit > 0
	setDaily := func(remaining int) {
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.DailyLimit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
		h.Set("X-RateLimit-Reset", dayReset)
	}
	setMinutely := func(remaining int) {
		h.Set("X-RateLimit-Minutely-Limit", strconv.Itoa(s.opts.MinutelyLimit))
		h.Set("X-RateLimit-Minutely-Remaining", strconv.Itoa(max(remaining, 0)))
		h.Set("X-RateLimit-Minutely-Reset", minuteReset)
	}
	if dailyOn && c.dayCalls >= s.opts.DailyLimit {
		setDaily(0)
		return false
	}
	if minutelyOn && c.minuteCalls >= s.opts.MinutelyLimit {
		setMinutely(0)
		return false
	}
	c.dayCalls++
	c.minuteCalls++
	if dailyOn {
		setDaily(s.opts.DailyLimit - c.dayCalls)
	}
	if minutelyOn {
		setMinutely(s.opts.MinutelyLimit - c.minuteCalls)
	}
	return true
}

// errorKey is what Exact's error budget is counted per.
type errorKey struct {
	client   crm.GUID
	user     string
	division int
	endpoint string
}

type errorCounter struct {
	errors       []time.Time // 4xx answers within the last hour
	blockedUntil time.Time
}

func (s *Simulator) endpointBlocked(k errorKey, now time.Time) bool {
	c, ok := s.errBudget[k]
	return ok && now.Before(c.blockedUntil)
}

// countError records a 4xx answer; the ErrorsPerHour-th within an hour
// blocks the endpoint for an hour.
func (s *Simulator) countError(k errorKey, status int, now time.Time) {
	if s.opts.ErrorsPerHour < 0 {
		return
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
	default:
		return
	}
	c, ok := s.errBudget[k]
	if !ok {
		c = &errorCounter{}
		s.errBudget[k] = c
	}
	cutoff := now.Add(-time.Hour)
	kept := c.errors[:0]
	for _, t := range c.errors {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	c.errors = append(kept, now)
	if len(c.errors) >= s.opts.ErrorsPerHour {
		c.blockedUntil = now.Add(time.Hour)
		c.errors = c.errors[:0]
	}
}

// Usage reports the call budgets in use.
func (s *Simulator) Usage() []Usage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.now()
	out := make([]Usage, 0, len(s.limits))
	for k, c := range s.limits {
		u := Usage{ClientID: k.client, Division: k.division, MinutelyRemaining: s.opts.MinutelyLimit, DailyRemaining: s.opts.DailyLimit}
		if c.minute.Equal(now.Truncate(time.Minute)) {
			u.MinutelyRemaining -= c.minuteCalls
		}
		if c.day.Equal(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
			u.DailyRemaining -= c.dayCalls
		}
		out = append(out, u)
	}
	return out
}
