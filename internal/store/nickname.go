package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// NicknamesToCheck lists the ordinary members of a group who joined
// between since and before and were not acted on for their nickname.
func (db *DB) NicknamesToCheck(ctx context.Context, groupID int64, since, before time.Time) ([]community.Newcomer, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.id, m.person_id, i.external_id, CASE WHEN m.nickname <> '' THEN m.nickname ELSE i.name END, m.joined_at
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		JOIN identities i ON i.person_id = m.person_id AND i.connection = g.connection
		WHERE m.group_id = ? AND m.left_at IS NULL AND m.role = 'member' AND m.joined_at >= ? AND m.joined_at < ?
		AND NOT EXISTS (SELECT 1 FROM moderation_actions a WHERE a.group_id = m.group_id AND a.person_id = m.person_id AND a.rule LIKE '%/nickname-grace' AND a.created_at >= m.joined_at)`),
		groupID, ms(since), ms(before))
	out, err := scanAll(rows, err, func(r *sql.Rows, n *community.Newcomer) error {
		var joined int64
		if err := r.Scan(&n.MembershipID, &n.PersonID, &n.UserID, &n.Nickname, &joined); err != nil {
			return err
		}
		n.JoinedAt = fromMS(joined)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("members to check: %w", err)
	}
	return out, nil
}

// EnforceNickname records and queues the action for a member whose
// nickname still breaks the format after the grace period.
func (db *DB) EnforceNickname(ctx context.Context, g community.Group, n community.Newcomer, kind chat.ActionKind, rule, reason string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		acts := []chat.Action{{Key: fmt.Sprintf("nick:%d:%s", n.MembershipID, kind), Connection: g.Connection, Kind: kind, Group: g.ExternalID, User: n.UserID, Reason: reason}}
		if kind != chat.ActSend {
			acts = append(acts, chat.Action{Key: fmt.Sprintf("nick:%d:notice", n.MembershipID), Connection: g.Connection, Kind: chat.ActSend, Group: g.ExternalID, Text: reason})
		} else {
			acts[0].Text, acts[0].User = reason, ""
		}
		if err := enqueue(ctx, db, tx, acts, db.now()); err != nil {
			return err
		}
		if err := recordModeration(ctx, db, tx, community.ModerationAction{OrgID: g.OrgID, GroupID: g.ID, PersonID: n.PersonID, Action: kind, Rule: rule, Category: "nickname", Reason: reason, Actor: "rules"}); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: g.OrgID, Actor: "rules", Action: "moderation." + string(kind), Subject: fmt.Sprintf("person:%d", n.PersonID),
			Detail: community.Detail("rule", rule, "nickname", n.Nickname, "group", g.ID)})
	})
}
