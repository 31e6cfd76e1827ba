package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Join links (群活码): an invite code printed on a poster or shared by a
// member stays the same while the groups behind it fill up. /join/{code}
// routes the newcomer by capacity to the group with room (RouteJoiner) and
// sends them to that group's own invite link — or to the QR code of the
// code's join way where the platform keeps one (joinways.go).

// SetInviteURL records a group's own invite link or QR-code image URL
// ("" removes it).
func (db *DB) SetInviteURL(ctx context.Context, orgID, groupID int64, raw, actor string) error {
	raw = strings.TrimSpace(raw)
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errkind.Errorf(errkind.Invalid, "url: want an http(s) invite link or QR-code image, got %q", raw)
		}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&n); err != nil || n == 0 {
			return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
		}
		var err error
		if raw == "" {
			_, err = tx.ExecContext(ctx, db.q("DELETE FROM group_links WHERE group_id = ?"), groupID)
		} else {
			_, err = tx.ExecContext(ctx, db.q(`INSERT INTO group_links (group_id, invite_url, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (group_id) DO UPDATE SET invite_url = excluded.invite_url, updated_at = excluded.updated_at`), groupID, raw, ms(db.now()))
		}
		if err != nil {
			return fmt.Errorf("set invite link: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "group.invite_link", Subject: fmt.Sprintf("group:%d", groupID), Detail: community.Detail("url", raw)})
	})
}

// InviteURL returns a group's own invite link ("" when none is set).
func (db *DB) InviteURL(ctx context.Context, groupID int64) (string, error) {
	var u string
	err := db.sql.QueryRowContext(ctx, db.q("SELECT invite_url FROM group_links WHERE group_id = ?"), groupID).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read invite link: %w", err)
	}
	return u, nil
}

// JoinLink resolves an invite code to the group a newcomer should join:
// the code's group while it has room, else the next of its family with
// room (群活码); when the whole family is full, the group to be created.
func (db *DB) JoinLink(ctx context.Context, code string) (community.JoinTarget, error) {
	t := community.JoinTarget{Code: strings.ToUpper(strings.TrimSpace(code))}
	var orgID int64
	var groupID sql.NullInt64
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT c.org_id, c.group_id FROM invite_codes c LEFT JOIN campaigns p ON p.id = c.campaign_id
		WHERE c.code = ? AND c.archived_at IS NULL AND p.archived_at IS NULL`), t.Code).Scan(&orgID, &groupID)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errkind.Errorf(errkind.NotFound, "no active invite code %q", t.Code)
	}
	if err != nil {
		return t, fmt.Errorf("find invite code: %w", err)
	}
	if !groupID.Valid {
		return t, errkind.Errorf(errkind.NotFound, "invite code %q is not for a group", t.Code)
	}
	r, _, err := db.RouteJoiner(ctx, orgID, groupID.Int64, "join-link")
	if err != nil && errkind.Of(err) != errkind.Conflict {
		return t, err
	}
	switch {
	case err != nil:
		// Full, and no family to go on to: the group itself, for staff to
		// make room.
		g := r.From
		t.Group = &g
	case r.Group != nil:
		t.Group = r.Group
	case r.Task != nil:
		t.Creating = r.Task.Name
	}
	// A join way the platform keeps (WeCom's 群活码) routes by capacity
	// itself and creates the next group: its QR code is the way in.
	if t.InviteURL, err = joinWayQR(ctx, db, t.Code); err != nil || t.InviteURL != "" {
		return t, err
	}
	if t.Group != nil {
		if t.InviteURL, err = db.InviteURL(ctx, t.Group.ID); err != nil {
			return t, err
		}
	}
	return t, nil
}
