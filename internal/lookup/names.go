package lookup

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
)

// NameIndex finds entries by the start of the words of their names and
// companies (*dirindex.Index): searches as you type, on phones and in the
// portal, without reading the whole directory.
type NameIndex interface {
	Ready() bool
	// Holds is false for an organisation another instance's share holds.
	Holds(orgID int64) bool
	NameCandidates(orgID int64, prefix string, limit int) ([]int64, bool)
	Records(orgID int64, ids []int64) []dirindex.Record
}

// EntryReader reads the entries a name index found (*sqlstore.Store).
type EntryReader interface {
	EntriesByIDs(ctx context.Context, orgID int64, ids []int64) ([]roger.DirectoryHit, error)
}

// maxNameCandidates bounds the entries one word may narrow a search to;
// beyond it the store searches instead.
const maxNameCandidates = 200_000

// searchNames answers a search from the name index: the entries with,
// for every word of q, a word of their name or company that starts with
// it, in ID order after after, up to limit. indexed is false when the
// index cannot answer (none, not loaded, no word in q, too common a word):
// the store searches then.
func (s *Service) searchNames(ctx context.Context, orgID int64, q string, after int64, limit int) (hits []roger.DirectoryHit, indexed bool, err error) {
	reader, ok := s.store.(EntryReader)
	if s.names == nil || !ok || !s.names.Ready() || !s.names.Holds(orgID) {
		return nil, false, nil
	}
	words := strings.FieldsFunc(dirindex.FoldName(q), notWordRune)
	if len(words) == 0 {
		return nil, false, nil
	}
	// The longest word narrows the most.
	longest := slices.MaxFunc(words, func(a, b string) int { return len(a) - len(b) })
	ids, complete := s.names.NameCandidates(orgID, longest, maxNameCandidates)
	if !complete {
		return nil, false, nil
	}
	i, _ := slices.BinarySearch(ids, after+1)
	ids = ids[i:]
	var page []int64
	for len(ids) > 0 && len(page) < limit {
		n := min(256, len(ids))
		for _, r := range s.names.Records(orgID, ids[:n]) {
			if len(page) < limit && hasWordPrefixes(r.DisplayName+" "+r.CompanyName, words) {
				page = append(page, r.ID)
			}
		}
		ids = ids[n:]
	}
	hits, err = reader.EntriesByIDs(ctx, orgID, page)
	return hits, true, err
}

// hasWordPrefixes says every one of words starts a word of text.
func hasWordPrefixes(text string, words []string) bool {
	have := strings.FieldsFunc(dirindex.FoldName(text), notWordRune)
	for _, w := range words {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
