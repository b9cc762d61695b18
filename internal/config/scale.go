package config

import (
	"fmt"

	"github.com/roger365io/roger/internal/dirindex"
)

// Scale is how an instance shares its machine between syncs and lookups,
// and which organisations its lookup index holds.
type Scale struct {
	// IndexShard is the share of the organisations the in-memory lookup
	// index holds (ROGER_INDEX_SHARD); the zero Shard holds all.
	IndexShard dirindex.Shard
	// SyncCores bounds the cores syncs keep busy with pages
	// (ROGER_SYNC_CORES); 0 means half of GOMAXPROCS, at least 1.
	SyncCores int
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
	if s.SyncCores, err = intVar(getenv, "ROGER_SYNC_CORES", 0, 1, "1", 1024); err != nil {
		return s, err
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
