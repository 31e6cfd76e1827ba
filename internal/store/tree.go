package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// UpdateNode renames and/or moves a node (a parent of 0 makes it a root)
// and records the change in the audit log. Moving a node under itself or
// one of its descendants is refused: the tree stays a tree.
func (db *DB) UpdateNode(ctx context.Context, orgID, id int64, name *string, parentID *int64, actor string) (community.Node, error) {
	var out community.Node
	detail := map[string]any{}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		parents, err := nodeParents(ctx, db, tx, orgID)
		if err != nil {
			return err
		}
		if _, ok := parents[id]; !ok {
			return errkind.Errorf(errkind.NotFound, "node %d not found", id)
		}
		if name != nil {
			n := strings.TrimSpace(*name)
			if n == "" || utf8.RuneCountInString(n) > maxNodeName {
				return errkind.Errorf(errkind.Invalid, "name: required, at most %d characters", maxNodeName)
			}
			if _, err := tx.ExecContext(ctx, db.q("UPDATE nodes SET name = ? WHERE id = ?"), n, id); err != nil {
				return fmt.Errorf("rename node: %w", err)
			}
			detail["name"] = n
		}
		if parentID != nil {
			p := *parentID
			if p != 0 {
				if _, ok := parents[p]; !ok {
					return errkind.Errorf(errkind.Invalid, "parent_id: node %d does not exist in this organisation", p)
				}
				for a, hops := p, 0; a != 0 && hops <= len(parents); a, hops = parents[a], hops+1 {
					switch {
					case a == id && p == id:
						return errkind.Errorf(errkind.Invalid, "parent_id: node %d cannot be its own parent", id)
					case a == id:
						return errkind.Errorf(errkind.Invalid, "parent_id: node %d is below node %d: a node cannot move under its own descendant", p, id)
					}
				}
			}
			if _, err := tx.ExecContext(ctx, db.q("UPDATE nodes SET parent_id = ? WHERE id = ?"), nullID(p), id); err != nil {
				return fmt.Errorf("move node: %w", err)
			}
			detail["parent"] = p
		}
		var parent sql.NullInt64
		var kind string
		var c int64
		err = tx.QueryRowContext(ctx, db.q("SELECT id, org_id, parent_id, name, kind, created_at FROM nodes WHERE id = ?"), id).Scan(&out.ID, &out.OrgID, &parent, &out.Name, &kind, &c)
		out.ParentID, out.Kind, out.CreatedAt = parent.Int64, community.NodeKind(kind), fromMS(c)
		if err != nil || len(detail) == 0 {
			return err
		}
		return auditJSON(ctx, db, tx, orgID, actor, "node.update", fmt.Sprintf("node:%d", id), detail)
	})
	return out, err
}

func nodeParents(ctx context.Context, db *DB, q queryer, orgID int64) (map[int64]int64, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT id, parent_id FROM nodes WHERE org_id = ?"), orgID)
	if err != nil {
		return nil, fmt.Errorf("read tree: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id int64
		var p sql.NullInt64
		if err := rows.Scan(&id, &p); err != nil {
			return nil, fmt.Errorf("read tree: %w", err)
		}
		out[id] = p.Int64
	}
	return out, rows.Err()
}

// UpdateGroup applies a patch, validating every field first, and records
// it in the audit log.
func (db *DB) UpdateGroup(ctx context.Context, orgID, id int64, p community.GroupPatch, actor string) (community.Group, error) {
	var sets []string
	var args []any
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" {
			return community.Group{}, errkind.New(errkind.Invalid, "name: must not be empty")
		}
		sets, args = append(sets, "name = ?"), append(args, strings.TrimSpace(*p.Name))
	}
	if p.Kind != nil {
		if !p.Kind.Valid() {
			return community.Group{}, errkind.Errorf(errkind.Invalid, "kind: unknown group kind %q", *p.Kind)
		}
		sets, args = append(sets, "kind = ?"), append(args, string(*p.Kind))
	}
	if p.Capacity != nil {
		if *p.Capacity < 2 || *p.Capacity > 100000 {
			return community.Group{}, errkind.Errorf(errkind.Invalid, "capacity: want 2 to 100000, got %d", *p.Capacity)
		}
		sets, args = append(sets, "capacity = ?"), append(args, *p.Capacity)
	}
	if p.Lifecycle != nil {
		if *p.Lifecycle != community.Active && *p.Lifecycle != community.Archived {
			return community.Group{}, errkind.Errorf(errkind.Invalid, "lifecycle: want active or archived, got %q", *p.Lifecycle)
		}
		sets, args = append(sets, "lifecycle = ?"), append(args, string(*p.Lifecycle))
	}
	if p.ExpiresAt != nil {
		sets, args = append(sets, "expires_at = ?"), append(args, nullMS(*p.ExpiresAt))
	}
	var g community.Group
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if p.NodeID != nil {
			if *p.NodeID != 0 {
				var org int64
				err := tx.QueryRowContext(ctx, db.q("SELECT org_id FROM nodes WHERE id = ?"), *p.NodeID).Scan(&org)
				if errors.Is(err, sql.ErrNoRows) || (err == nil && org != orgID) {
					return errkind.Errorf(errkind.Invalid, "node_id: node %d does not exist in this organisation", *p.NodeID)
				}
				if err != nil {
					return fmt.Errorf("find node: %w", err)
				}
			}
			sets, args = append(sets, "node_id = ?"), append(args, nullID(*p.NodeID))
		}
		if len(sets) > 0 {
			res, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET "+strings.Join(sets, ", ")+" WHERE org_id = ? AND id = ?"), append(args, orgID, id)...)
			if err != nil {
				return fmt.Errorf("update group: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errkind.Errorf(errkind.NotFound, "group %d not found", id)
			}
			if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "group.update", Subject: fmt.Sprintf("group:%d", id), Detail: community.Detail("fields", strings.Join(sets, ", "))}); err != nil {
				return err
			}
		}
		var members int
		var err error
		g, err = scanGroup(tx.QueryRowContext(ctx, db.q("SELECT "+groupCols+", "+memberCount+" FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, id), &members)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "group %d not found", id)
		}
		g.Members = members
		return err
	})
	return g, err
}
