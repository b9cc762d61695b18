package replicate

import (
	"context"
	"runtime"

	"golang.org/x/sync/semaphore"
)

// CPUShare bounds how many pages all the syncs of a process parse and
// write at the same moment, so that the syncs of many organisations never
// take every core from the lookups the same process answers. A sync waits
// for a share before it turns a page of records into entries and before it
// writes pages; fetching from Exact, which waits on the network, holds none.
// One CPUShare is shared by every Syncer of the process.
type CPUShare struct {
	sem   *semaphore.Weighted
	cores int
}

// NewCPUShare lets syncs keep at most cores cores busy with pages; below 1
// means 1.
func NewCPUShare(cores int) *CPUShare {
	cores = max(cores, 1)
	return &CPUShare{sem: semaphore.NewWeighted(int64(cores)), cores: cores}
}

// DefaultSyncCores is the share of the cores Go may use (GOMAXPROCS,
// which follows a container's CPU limit) that syncs get unless configured:
// half, at least one, so the other half is left to lookups and the portal.
func DefaultSyncCores() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// Cores is how many cores the share allows.
func (c *CPUShare) Cores() int {
	if c == nil {
		return 0
	}
	return c.cores
}

// do runs fn holding one core of the share; a nil share does not bound.
// fn must not wait for another holder of the share (such as a full
// pipeline queue), or the syncs could wait for each other forever.
func (c *CPUShare) do(ctx context.Context, fn func() error) error {
	if c == nil {
		return fn()
	}
	if err := c.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer c.sem.Release(1)
	return fn()
}
