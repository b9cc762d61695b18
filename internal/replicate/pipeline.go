package replicate

import (
	"context"

	"github.com/roger365io/roger"
)

// defaultPagesPerCommit is how many waiting pages are written in one
// transaction unless the Syncer says otherwise. The reader may run this
// many pages ahead of the database: up to 8,000 entries, about 10 MB.
const defaultPagesPerCommit = 8

// parsedPage is a page of records turned into entries, with the position
// after it.
type parsedPage struct {
	entries []roger.Entry
	maxTS   int64
	next    string
}

// pipeline applies parsed pages in order on its own goroutine while the
// caller fetches and parses the next ones, so the database and Exact work
// at the same time. When the database falls behind, the pages that have
// queued up are applied together (Store.ApplyPages): one commit for all.
type pipeline struct {
	queue   chan parsedPage
	applied chan error
	// ctx ends when the pipeline stopped taking pages: the caller's
	// context ended or a page failed.
	ctx  context.Context
	stop context.CancelFunc
}

// startPipeline starts applying pages with apply, which gets from one to
// maxGroup consecutive pages, oldest first. After apply fails it is not
// called again and the pipeline's context is cancelled, which stops the
// reader.
func startPipeline(ctx context.Context, maxGroup int, apply func([]parsedPage) error) *pipeline {
	maxGroup = max(maxGroup, 1)
	p := &pipeline{queue: make(chan parsedPage, maxGroup), applied: make(chan error, 1)}
	p.ctx, p.stop = context.WithCancel(ctx)
	go func() {
		var err error
		for first := range p.queue {
			group := append(make([]parsedPage, 0, maxGroup), first)
		waiting:
			for len(group) < maxGroup {
				select {
				case next, ok := <-p.queue:
					if !ok {
						break waiting
					}
					group = append(group, next)
				default:
					break waiting
				}
			}
			// After a failure the rest is drained, not applied, so the
			// reader never blocks on a full queue.
			if err == nil {
				if err = apply(group); err != nil {
					p.stop()
				}
			}
		}
		p.applied <- err
	}()
	return p
}

// add queues a page; it fails once the pipeline has stopped.
func (p *pipeline) add(pg parsedPage) error {
	select {
	case p.queue <- pg:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// finish waits for the queued pages to be applied and returns the first
// error apply returned.
func (p *pipeline) finish() error {
	close(p.queue)
	err := <-p.applied
	p.stop()
	return err
}
