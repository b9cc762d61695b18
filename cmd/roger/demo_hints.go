package main

import (
	"context"
	"net/url"
	"strings"

	"github.com/roger365io/roger"
)

// demoLookupNumber is a number the lookup API finds, escaped for a URL's
// query: one of the directory when a replicator has synced (a demo
// started again), else a number of the form callers have, which finds
// nothing yet.
func demoLookupNumber(ctx context.Context, a *app, orgID int64) (string, bool) {
	number := ""
	_ = a.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: orgID, Limit: 50}, func(e *roger.Entry) error {
		for _, n := range e.Numbers {
			if number == "" && n.Status == roger.NumberOK && n.Extension == "" {
				number = n.E164
			}
		}
		return nil
	})
	if number == "" {
		return url.QueryEscape("+31201234567"), false
	}
	return url.QueryEscape(number), true
}

// shellQuote writes a path so that a shell reads it back unchanged.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
