package config

import (
	"fmt"
	"strconv"

	"github.com/roger365io/roger/internal/dirindex"
)

// Scale is how an instance shares its machine between syncs and lookups,
// and which organisations its lookup index holds.
type Scale struct {
	// IndexShard is the share of the organisations the in-memory lookup
	// index holds (ROGER_INDEX_SHARD); the zero Shard holds all.
	IndexShard dirindex.Shard
	// SyncCores bounds the cores syncs, and the lookup index following
	// them, keep busy on average (ROGER_SYNC_CORES, a decimal such as
	// 0.5); 0 means 40 % of GOMAXPROCS (cpushare.Default).
	SyncCores float64
	// SyncPace is "even" or "burst" (ROGER_SYNC_PACE).
	SyncPace string
}

func loadScale(getenv func(string) string, lookupIndex string) (Scale, error) {
	var s Scale
	var err error
	if s.IndexShard, err = dirindex.ParseShard(getenv("ROGER_INDEX_SHARD")); err != nil {
		return s, fmt.Errorf("ROGER_INDEX_SHARD: %w", err)
	}
	if !s.IndexShard.All() && lookupIndex != "memory" {
		return s, fmt.Errorf("ROGER_INDEX_SHARD=%s shares the in-memory lookup index, but ROGER_LOOKUP_INDEX=%s keeps none: unset one of them", s.IndexShard, lookupIndex)
	}
	if v := getenv("ROGER_SYNC_CORES"); v != "" {
		s.SyncCores, err = strconv.ParseFloat(v, 64)
		if err != nil || s.SyncCores < 0.1 || s.SyncCores > 1024 {
			return s, fmt.Errorf("ROGER_SYNC_CORES %q must be a number of cores from 0.1 to 1024, such as 0.5 or 2", v)
		}
	}
	switch s.SyncPace = getenv("ROGER_SYNC_PACE"); s.SyncPace {
	case "":
		s.SyncPace = "even"
	case "even", "burst":
	default:
		return s, fmt.Errorf("ROGER_SYNC_PACE %q must be even or burst", s.SyncPace)
	}
	return s, nil
}
