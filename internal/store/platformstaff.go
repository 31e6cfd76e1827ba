package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// What a platform says about its groups beyond chat events (WeCom's
// customer groups): who the staff are — kept as qunzhu's roles and as
// staff identities, which the platform can message directly — and that a
// group was dismissed.

// SyncPlatformStaff brings a platform group's roles in step with its staff
// there (community.PlatformStaff): its owner becomes the 群主 (the one
// before becomes a member), its admins who are members become 店小二, and
// former admins who are 店小二 become members again; roles given in
// qunzhu to others are left alone. Every staff account's identity is
// marked as one. Each role change is audited (member.role, actor
// platform:<connection>). It reports how many roles changed; a group qunzhu
// does not know, and staff who are not its members, are passed over.
func (db *DB) SyncPlatformStaff(ctx context.Context, connection, externalID string, s community.PlatformStaff) (int, error) {
	changed := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		changed = 0
		var orgID, groupID int64
		err := tx.QueryRowContext(ctx, db.q("SELECT org_id, id FROM chat_groups WHERE connection = ? AND external_id = ?"), connection, externalID).Scan(&orgID, &groupID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find group %s/%s: %w", connection, externalID, err)
		}
		var users []string
		for _, u := range append(append(append([]string{s.Owner}, s.Admins...), s.Staff...), s.FormerAdmins...) {
			if u != "" && !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		if len(users) == 0 {
			return nil
		}
		staff := func(u string) bool {
			return u == s.Owner || slices.Contains(s.Admins, u) || slices.Contains(s.Staff, u)
		}
		var accounts []any
		for _, u := range users {
			if staff(u) {
				accounts = append(accounts, u)
			}
		}
		if len(accounts) > 0 {
			_, err := tx.ExecContext(ctx, db.q("UPDATE identities SET staff = TRUE WHERE connection = ? AND staff = FALSE AND external_id IN ("+placeholders(len(accounts))+")"),
				append([]any{connection}, accounts...)...)
			if err != nil {
				return fmt.Errorf("mark staff accounts: %w", err)
			}
		}
		args := []any{groupID, connection}
		for _, u := range users {
			args = append(args, u)
		}
		type holder struct {
			user   string
			person int64
			role   community.Role
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT i.external_id, m.person_id, m.role FROM identities i
			JOIN memberships m ON m.person_id = i.person_id AND m.group_id = ? AND m.left_at IS NULL
			WHERE i.connection = ? AND i.external_id IN (`+placeholders(len(users))+`) ORDER BY m.id`), args...)
		holders, err := scanAll(rows, err, func(r *sql.Rows, h *holder) error { return r.Scan(&h.user, &h.person, &h.role) })
		if err != nil {
			return fmt.Errorf("find the staff's memberships: %w", err)
		}
		set := func(h holder, role community.Role) error {
			c := community.RoleChange{OrgID: orgID, GroupID: groupID, PersonID: h.person, Role: role, Actor: "platform:" + connection}
			if err := c.Validate(); err != nil {
				return err
			}
			if _, err := setGroupRole(ctx, db, tx, c); err != nil {
				return fmt.Errorf("role of %s in %s/%s: %w", h.user, connection, externalID, err)
			}
			changed++
			return nil
		}
		// The owner first: a former owner who is an admin now becomes a
		// member on the way, then 店小二.
		for _, h := range holders {
			if h.user == s.Owner && h.role != community.RoleOwner {
				if err := set(h, community.RoleOwner); err != nil {
					return err
				}
			}
		}
		for _, h := range holders {
			if h.user == s.Owner {
				continue
			}
			var role community.Role
			if err := tx.QueryRowContext(ctx, db.q("SELECT role FROM memberships WHERE group_id = ? AND person_id = ? AND left_at IS NULL"), groupID, h.person).Scan(&role); err != nil {
				return fmt.Errorf("role of %s: %w", h.user, err)
			}
			switch admin := slices.Contains(s.Admins, h.user); {
			case admin && role == community.RoleMember:
				err = set(h, community.RoleAssistant)
			case !admin && role == community.RoleAssistant && slices.Contains(s.FormerAdmins, h.user):
				err = set(h, community.RoleMember)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

// ArchivePlatformGroup archives a group its platform dismissed: it stays,
// with its history, and rules and pushes stop. Audited as group.archive
// with the reason. It reports false when the group is unknown or archived
// already.
func (db *DB) ArchivePlatformGroup(ctx context.Context, connection, externalID, reason string) (bool, error) {
	archived := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var orgID, groupID int64
		err := tx.QueryRowContext(ctx, db.q("SELECT org_id, id FROM chat_groups WHERE connection = ? AND external_id = ? AND lifecycle = ?"),
			connection, externalID, string(community.Active)).Scan(&orgID, &groupID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find group %s/%s: %w", connection, externalID, err)
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET lifecycle = ? WHERE id = ?"), string(community.Archived), groupID); err != nil {
			return fmt.Errorf("archive group %d: %w", groupID, err)
		}
		archived = true
		return auditJSON(ctx, db, tx, orgID, "platform:"+connection, "group.archive", fmt.Sprintf("group:%d", groupID), map[string]any{"reason": reason})
	})
	return archived, err
}

// StaffAccount returns where the platform messages a person directly: a
// staff identity of theirs (platform user id on a connection), preferring
// the connection given; ok is false when they have none.
func (db *DB) StaffAccount(ctx context.Context, personID int64, prefer string) (connection, user string, ok bool, err error) {
	return staffAccount(ctx, db, db.sql, personID, prefer)
}

func staffAccount(ctx context.Context, db *DB, q queryer, personID int64, prefer string) (connection, user string, ok bool, err error) {
	err = q.QueryRowContext(ctx, db.q(`SELECT connection, external_id FROM identities WHERE person_id = ? AND staff = TRUE
		ORDER BY CASE WHEN connection = ? THEN 0 ELSE 1 END, id LIMIT 1`), personID, prefer).Scan(&connection, &user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("staff account of person %d: %w", personID, err)
	}
	return connection, user, true, nil
}

// staffMessage is the action that sends text to a person's staff account
// (chat.StaffPrefix), keyed key; ok is false when they have none.
func staffMessage(ctx context.Context, db *DB, q queryer, personID int64, prefer, key, reason, text string) (chat.Action, bool, error) {
	conn, user, ok, err := staffAccount(ctx, db, q, personID, prefer)
	if err != nil || !ok {
		return chat.Action{}, false, err
	}
	return chat.Action{Key: key, Connection: conn, Kind: chat.ActSend, Group: chat.StaffPrefix + user, Text: text, Reason: reason}, true, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
