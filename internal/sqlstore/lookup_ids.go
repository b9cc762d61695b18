package sqlstore

import (
	"context"
	"fmt"

	"github.com/roger365io/roger"
)

// maxEntriesByIDs bounds the IDs of one EntriesByIDs: a page of a search.
const maxEntriesByIDs = 1000

// EntriesByIDs returns the organisation's entries with the given IDs, as
// SearchEntries returns them, in ID order: the page of a search whose
// entries an in-memory index found. IDs of another organisation, or of
// entries gone, are left out.
func (s *Store) EntriesByIDs(ctx context.Context, orgID int64, ids []int64) ([]roger.DirectoryHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > maxEntriesByIDs {
		return nil, fmt.Errorf("entries by IDs: %d IDs, at most %d", len(ids), maxEntriesByIDs)
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, orgID)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.read.QueryContext(ctx, s.q(searchSelect+`WHERE e.org_id = ? AND e.id IN (`+placeholders(len(ids))+`) ORDER BY e.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("entries by IDs: %w", dbError(err))
	}
	defer rows.Close()
	out, err := scanSearchHits(rows, orgID)
	if err != nil {
		return nil, fmt.Errorf("entries by IDs: %w", err)
	}
	return out, nil
}
