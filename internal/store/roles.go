package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Staff roles in a group. A group has exactly one 群主: appointing one
// moves the role in the same transaction, and the owner cannot be made
// anything else except by appointing another. On PostgreSQL the group's
// row is locked for the change, so two managers appointing two owners at
// once are served one after the other (SQLite's write transactions are
// already serial).

// SetGroupRole changes a member's role in a group and, when c.Sync is set,
// queues the platform calls that make staff admins there or take it away
// (the current owner's too, when the role moves).
func (db *DB) SetGroupRole(ctx context.Context, c community.RoleChange) (community.RoleChanged, error) {
	if err := c.Validate(); err != nil {
		return community.RoleChanged{}, err
	}
	var out community.RoleChanged
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = setGroupRole(ctx, db, tx, c)
		return err
	})
	return out, err
}

// roleHolder is an open membership with the person's platform id on the
// group's connection ("" when unknown).
type roleHolder struct {
	person int64
	role   community.Role
	user   string
}

func setGroupRole(ctx context.Context, db *DB, tx *sql.Tx, c community.RoleChange) (community.RoleChanged, error) {
	var out community.RoleChanged
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	var conn, ext string
	err := tx.QueryRowContext(ctx, db.q("SELECT connection, external_id FROM chat_groups WHERE org_id = ? AND id = ?"+lock), c.OrgID, c.GroupID).Scan(&conn, &ext)
	if errors.Is(err, sql.ErrNoRows) {
		return out, errkind.Errorf(errkind.NotFound, "group %d not found", c.GroupID)
	}
	if err != nil {
		return out, fmt.Errorf("find group %d: %w", c.GroupID, err)
	}
	holders := func(where string, args ...any) ([]roleHolder, error) {
		rows, err := tx.QueryContext(ctx, db.q(`SELECT m.person_id, m.role, COALESCE((SELECT MIN(i.external_id) FROM identities i WHERE i.person_id = m.person_id AND i.connection = ?), '')
			FROM memberships m WHERE m.group_id = ? AND m.left_at IS NULL AND `+where+" ORDER BY m.id"), append([]any{conn, c.GroupID}, args...)...)
		return scanAll(rows, err, func(r *sql.Rows, h *roleHolder) error { return r.Scan(&h.person, &h.role, &h.user) })
	}
	who, err := holders("m.person_id = ?", c.PersonID)
	if err != nil {
		return out, fmt.Errorf("find membership: %w", err)
	}
	if len(who) == 0 {
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM people WHERE org_id = ? AND id = ?"), c.OrgID, c.PersonID).Scan(&n); err != nil {
			return out, fmt.Errorf("find person %d: %w", c.PersonID, err)
		}
		if n == 0 {
			return out, errkind.Errorf(errkind.NotFound, "person %d not found", c.PersonID)
		}
		return out, errkind.Errorf(errkind.NotFound, "person %d is not a member of group %d", c.PersonID, c.GroupID)
	}
	p := who[0]
	out.From = p.role
	switch {
	case p.role == c.Role:
		return out, nil
	case p.role == community.RoleOwner:
		return out, errkind.Errorf(errkind.Conflict, "person %d is the owner (群主) of group %d, and a group keeps exactly one: make another member the owner, and this one becomes a member or a secretary", c.PersonID, c.GroupID)
	}
	now := db.now()
	var acts []chat.Action
	sync := func(h roleHolder, to community.Role) {
		if text, needed := community.PlatformRole(h.role, to); c.Sync && needed && h.user != "" {
			acts = append(acts, chat.Action{Key: fmt.Sprintf("role:%d:%d:%s:%d", c.GroupID, h.person, text, now.UnixMilli()), Connection: conn, Kind: chat.ActSetRole,
				Group: ext, User: h.user, Text: text, Reason: "role " + string(to)})
		}
	}
	setRole := func(person int64, role community.Role) error {
		_, err := tx.ExecContext(ctx, db.q("UPDATE memberships SET role = ? WHERE group_id = ? AND person_id = ? AND left_at IS NULL"), string(role), c.GroupID, person)
		if err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		return nil
	}
	if c.Role == community.RoleOwner {
		// The owner moves. More than one is found only in data from before
		// a group kept exactly one: each becomes FormerOwner.
		owners, err := holders("m.role = ? AND m.person_id <> ?", string(community.RoleOwner), c.PersonID)
		if err != nil {
			return out, fmt.Errorf("find the owner: %w", err)
		}
		for _, o := range owners {
			if err := setRole(o.person, c.FormerOwner); err != nil {
				return out, err
			}
			sync(o, c.FormerOwner)
			if out.FormerOwner == 0 {
				out.FormerOwner = o.person
			}
		}
	}
	if err := setRole(c.PersonID, c.Role); err != nil {
		return out, err
	}
	sync(p, c.Role)
	if err := enqueue(ctx, db, tx, acts, now); err != nil {
		return out, err
	}
	out.Synced = len(acts)
	detail := map[string]any{"group": c.GroupID, "from": p.role, "to": c.Role, "synced": out.Synced}
	if out.FormerOwner != 0 {
		detail["former_owner"], detail["former_owner_role"] = out.FormerOwner, c.FormerOwner
	}
	return out, auditJSON(ctx, db, tx, c.OrgID, c.Actor, "member.role", fmt.Sprintf("person:%d", c.PersonID), detail)
}
