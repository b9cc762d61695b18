package replicate

import (
	"context"
	"errors"
	"testing"
)

func TestPipelineGroupsWaitingPagesInOrder(t *testing.T) {
	const maxGroup = 4
	release := make(chan struct{})
	var groups [][]int64
	pipe := startPipeline(context.Background(), maxGroup, func(group []parsedPage) error {
		if len(groups) == 0 {
			<-release // the database is busy with the first page
		}
		var g []int64
		for _, p := range group {
			g = append(g, p.maxTS)
		}
		groups = append(groups, g)
		return nil
	})
	for ts := int64(1); ts <= 1+maxGroup+2; ts++ {
		if ts == 2+maxGroup {
			close(release) // the queue is full: let the first page finish
		}
		if err := pipe.add(parsedPage{maxTS: ts}); err != nil {
			t.Fatal(err)
		}
	}
	if err := pipe.finish(); err != nil {
		t.Fatal(err)
	}
	var order []int64
	for _, g := range groups {
		if len(g) > maxGroup {
			t.Fatalf("a group of %d pages; at most %d", len(g), maxGroup)
		}
		order = append(order, g...)
	}
	for i, ts := range order {
		if ts != int64(i+1) {
			t.Fatalf("pages applied in the order %v", order)
		}
	}
	if len(order) != 1+maxGroup+2 || len(groups[1]) < 2 {
		t.Fatalf("groups %v: the pages that waited behind the first should go together", groups)
	}
}

func TestPipelineStopsTheReaderWhenAPageFails(t *testing.T) {
	failed := errors.New("disk full")
	calls := 0
	pipe := startPipeline(context.Background(), 4, func([]parsedPage) error {
		calls++
		return failed
	})
	var addErr error
	for ts := int64(1); ts < 100 && addErr == nil; ts++ {
		addErr = pipe.add(parsedPage{maxTS: ts})
	}
	if addErr == nil {
		t.Fatal("the reader could go on adding pages after the database failed")
	}
	if err := pipe.finish(); !errors.Is(err, failed) {
		t.Fatalf("finish: %v; want the apply error", err)
	}
	if calls != 1 {
		t.Fatalf("apply called %d times after failing", calls)
	}
}
