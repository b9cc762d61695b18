package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/roger365io/roger"
)

// FindAudit returns the audit events f selects, newest first.
func (s *Store) FindAudit(ctx context.Context, f roger.AuditFilter) ([]roger.AuditEvent, error) {
	where := []string{"org_id = ?"}
	args := []any{f.OrgID}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Target != "" {
		// A replicator's target carries its name as it was then:
		// "replicator/7 (Exact – contacts)".
		where, args = append(where, "(target = ? OR substr(target, 1, ?) = ?)"), append(args, f.Target, len(f.Target)+1, f.Target+" ")
	}
	if f.From > 0 {
		where, args = append(where, "at >= ?"), append(args, f.From)
	}
	if f.To > 0 {
		where, args = append(where, "at < ?"), append(args, f.To)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, org_id, at, actor, action, target, detail FROM audit_log WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("find audit events: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.AuditEvent
	for rows.Next() {
		var e roger.AuditEvent
		if err := rows.Scan(&e.ID, &e.OrgID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("find audit events: %w", dbError(err))
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditActors returns who appears in an organisation's audit log, for
// the log's filter.
func (s *Store) AuditActors(ctx context.Context, orgID int64) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT DISTINCT actor FROM audit_log WHERE org_id = ? ORDER BY actor`), orgID)
	if err != nil {
		return nil, fmt.Errorf("list audit actors: %w", dbError(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("list audit actors: %w", dbError(err))
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
