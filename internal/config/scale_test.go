package config

import (
	"strings"
	"testing"

	"github.com/roger365io/roger/internal/dirindex"
)

// TestScale: the index share, the syncs' cores and their pace have
// defaults that change nothing for one instance, and refuse what they
// cannot mean.
func TestScale(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		want    Scale
		wantErr string
	}{
		{"defaults", nil, Scale{SyncPace: "even"}, ""},
		{"a share", map[string]string{"ROGER_INDEX_SHARD": "2/4"}, Scale{IndexShard: dirindex.Shard{K: 2, N: 4}, SyncPace: "even"}, ""},
		{"cores and burst", map[string]string{"ROGER_SYNC_CORES": "3", "ROGER_SYNC_PACE": "burst"}, Scale{SyncCores: 3, SyncPace: "burst"}, ""},
		{"share out of range", map[string]string{"ROGER_INDEX_SHARD": "5/4"}, Scale{}, "ROGER_INDEX_SHARD: \"5/4\" is not a share"},
		{"share without an index", map[string]string{"ROGER_INDEX_SHARD": "1/2", "ROGER_LOOKUP_INDEX": "database"}, Scale{}, "ROGER_LOOKUP_INDEX=database keeps none"},
		{"a fraction of a core", map[string]string{"ROGER_SYNC_CORES": "0.5"}, Scale{SyncCores: 0.5, SyncPace: "even"}, ""},
		{"no cores", map[string]string{"ROGER_SYNC_CORES": "0"}, Scale{}, "ROGER_SYNC_CORES \"0\" must be a number of cores from 0.1"},
		{"not a number", map[string]string{"ROGER_SYNC_CORES": "half"}, Scale{}, "such as 0.5 or 2"},
		{"unknown pace", map[string]string{"ROGER_SYNC_PACE": "fast"}, Scale{}, "ROGER_SYNC_PACE \"fast\" must be even or burst"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.vars))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Scale != tc.want {
				t.Fatalf("got %+v, want %+v", c.Scale, tc.want)
			}
		})
	}
}
