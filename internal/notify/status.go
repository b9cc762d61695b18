package notify

import (
	"context"
	"time"

	"github.com/roger365io/roger"
)

// StatusStore is what Status reads: sqlstore.Store.
type StatusStore interface {
	ListReplicators(ctx context.Context, orgID int64) ([]*roger.Replicator, error)
	LastSuccessfulSyncs(ctx context.Context) (map[int64]time.Time, error)
	APICallsSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error)
	OpenAlerts(ctx context.Context) ([]*roger.Alert, error)
}

// Status tells monitoring systems how an organisation's replicators are
// doing, by the same staleness limit the alerts use.
type Status struct {
	Store  StatusStore
	Clock  roger.Clock
	Policy Policy
}

// Replicators returns the status of each replicator of organisation orgID.
func (s *Status) Replicators(ctx context.Context, orgID int64) ([]roger.ReplicatorStatus, error) {
	now := s.Clock.Now().UTC()
	reps, err := s.Store.ListReplicators(ctx, orgID)
	if err != nil {
		return nil, err
	}
	last, err := s.Store.LastSuccessfulSyncs(ctx)
	if err != nil {
		return nil, err
	}
	calls, err := s.Store.APICallsSince(ctx, orgID, now.Truncate(24*time.Hour))
	if err != nil {
		return nil, err
	}
	open, err := s.Store.OpenAlerts(ctx)
	if err != nil {
		return nil, err
	}
	alerts := map[int64][]roger.AlertCondition{}
	for _, a := range open {
		if a.OrgID == orgID {
			alerts[a.ReplicatorID] = append(alerts[a.ReplicatorID], a.Condition)
		}
	}
	out := make([]roger.ReplicatorStatus, 0, len(reps))
	for _, r := range reps {
		limit := s.Policy.StaleLimit(r)
		st := roger.ReplicatorStatus{ID: r.ID, Name: r.Name, Entity: r.Entity, State: r.State, StateMessage: r.StateMessage,
			StaleLimitSeconds: int64(limit / time.Second), CallsToday: calls[r.ID], Alerts: alerts[r.ID]}
		if st.Alerts == nil {
			st.Alerts = []roger.AlertCondition{}
		}
		since := r.Created
		if at, ok := last[r.ID]; ok {
			st.LastSuccess, since = at.UTC(), at
		}
		st.StaleSeconds = int64(max(now.Sub(since), 0) / time.Second)
		// Only a replicator that should sync can be stale: a paused one
		// or one waiting for its setup is not late.
		st.Stale = (r.State == roger.StateActive || r.State == roger.StateFailing || r.State == roger.StateNeedsReauthorization) && now.Sub(since) > limit
		out = append(out, st)
	}
	return out, nil
}
