package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/roger365io/roger"
)

// PopLinkGeneration returns the generation an organisation's screen-pop
// links must carry.
func (s *Store) PopLinkGeneration(ctx context.Context, orgID int64) (int64, error) {
	var gen int64
	err := s.read.QueryRowContext(ctx, s.q(`SELECT pop_link_generation FROM organizations WHERE id = ?`), orgID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, roger.Errorf(roger.ENOTFOUND, "There is no organisation %d.", orgID)
	}
	if err != nil {
		return 0, fmt.Errorf("pop link generation: %w", dbError(err))
	}
	return gen, nil
}

// RenewPopLinks starts a new generation of an organisation's screen-pop
// links, so every link handed out before stops working, and returns it.
func (s *Store) RenewPopLinks(ctx context.Context, orgID int64) (int64, error) {
	var gen int64
	err := s.write.QueryRowContext(ctx, s.q(`UPDATE organizations SET pop_link_generation = pop_link_generation + 1 WHERE id = ? RETURNING pop_link_generation`), orgID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, roger.Errorf(roger.ENOTFOUND, "There is no organisation %d.", orgID)
	}
	if err != nil {
		return 0, fmt.Errorf("renew pop links: %w", dbError(err))
	}
	return gen, nil
}
