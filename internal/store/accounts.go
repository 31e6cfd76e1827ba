package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/access"
)

// Users lists an organisation's console accounts (without their password
// hashes), by name.
func (db *DB) Users(ctx context.Context, orgID int64) ([]access.User, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT id, org_id, username, role, COALESCE(scope_node_id, 0), COALESCE(scope_group_id, 0), created_at
		FROM users WHERE org_id = ? ORDER BY username`), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, u *access.User) error {
		var c int64
		if err := r.Scan(&u.ID, &u.OrgID, &u.Username, &u.Role, &u.ScopeNodeID, &u.ScopeGroupID, &c); err != nil {
			return err
		}
		u.CreatedAt = fromMS(c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// Tokens lists an organisation's API tokens, newest first.
func (db *DB) Tokens(ctx context.Context, orgID int64) ([]access.TokenInfo, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, org_id, name, scope, created_at, revoked_at FROM api_tokens WHERE org_id = ? ORDER BY id DESC"), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, t *access.TokenInfo) error {
		var c int64
		var revoked sql.NullInt64
		if err := r.Scan(&t.ID, &t.OrgID, &t.Name, &t.Scope, &c, &revoked); err != nil {
			return err
		}
		t.CreatedAt, t.Revoked = fromMS(c), revoked.Valid
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}
