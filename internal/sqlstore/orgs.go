package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/roger365io/roger"
)

// CreateOrganization stores a new organisation and sets its ID.
func (s *Store) CreateOrganization(ctx context.Context, o *roger.Organization) error {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return roger.Errorf(roger.EINVALID, "An organisation needs a name.")
	}
	if o.DefaultCountry == "" {
		o.DefaultCountry = "NL"
	}
	now := s.now()
	err := s.write.QueryRowContext(ctx, s.q(`INSERT INTO organizations (name, default_country, created) VALUES (?, ?, ?) RETURNING id`),
		o.Name, o.DefaultCountry, now).Scan(&o.ID)
	if isUniqueViolation(err) {
		return roger.Errorf(roger.ECONFLICT, "An organisation named %q exists already.", o.Name)
	}
	if err != nil {
		return fmt.Errorf("create organisation: %w", dbError(err))
	}
	o.Created = fromMS(now)
	return nil
}

// FindOrganizationByID returns an organisation.
func (s *Store) FindOrganizationByID(ctx context.Context, id int64) (*roger.Organization, error) {
	return s.findOrganization(ctx, `id = ?`, id, fmt.Sprintf("id %d", id))
}

// FindOrganizationByName returns the organisation with this name.
func (s *Store) FindOrganizationByName(ctx context.Context, name string) (*roger.Organization, error) {
	return s.findOrganization(ctx, `name = ?`, strings.TrimSpace(name), fmt.Sprintf("name %q", name))
}

func (s *Store) findOrganization(ctx context.Context, where string, arg any, what string) (*roger.Organization, error) {
	var o roger.Organization
	var created int64
	err := s.read.QueryRowContext(ctx, s.q(`SELECT id, name, default_country, created FROM organizations WHERE `+where), arg).
		Scan(&o.ID, &o.Name, &o.DefaultCountry, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roger.Errorf(roger.ENOTFOUND, "There is no organisation with %s.", what)
	}
	if err != nil {
		return nil, fmt.Errorf("find organisation: %w", dbError(err))
	}
	o.Created = fromMS(created)
	return &o, nil
}

// ListOrganizations returns every organisation by name.
func (s *Store) ListOrganizations(ctx context.Context) ([]*roger.Organization, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, default_country, created FROM organizations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", dbError(err))
	}
	defer rows.Close()
	var out []*roger.Organization
	for rows.Next() {
		var o roger.Organization
		var created int64
		if err := rows.Scan(&o.ID, &o.Name, &o.DefaultCountry, &created); err != nil {
			return nil, fmt.Errorf("list organisations: %w", dbError(err))
		}
		o.Created = fromMS(created)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// AppendAudit records an admin action or authorization. Callers pass no
// secrets; the log is shown to admins as it is.
func (s *Store) AppendAudit(ctx context.Context, orgID int64, actor, action, target, detail string) error {
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO audit_log (org_id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		orgID, s.now(), actor, action, target, detail)
	if err != nil {
		return fmt.Errorf("append audit log: %w", dbError(err))
	}
	return nil
}

// ListAudit returns an organisation's newest audit events first.
func (s *Store) ListAudit(ctx context.Context, orgID int64, limit int) ([]roger.AuditEvent, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, org_id, at, actor, action, target, detail FROM audit_log WHERE org_id = ? ORDER BY id DESC LIMIT ?`), orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.AuditEvent
	for rows.Next() {
		var e roger.AuditEvent
		if err := rows.Scan(&e.ID, &e.OrgID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit log: %w", dbError(err))
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
