package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// An inactive-member purge is only ever a proposal: the zombies of a group
// (in it 30 days or more, silent for 90 days or ever, with no other sign
// of life such as signing up for an event), an advance notice posted to
// the group naming them, and — only when staff ask for it after the
// notice period — their removal, sparing whoever spoke up meanwhile.

// PurgeProposal lists a group's zombies at now.
func (db *DB) PurgeProposal(ctx context.Context, orgID, groupID int64, now time.Time) ([]community.PurgeCandidate, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, COALESCE(NULLIF(m.nickname, ''), p.name), COALESCE(i.external_id, ''), m.joined_at,
			(SELECT MAX(x.sent_at) FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id),
			EXISTS (SELECT 1 FROM signups s JOIN signup_lists l ON l.id = s.list_id WHERE l.group_id = m.group_id AND s.person_id = m.person_id AND s.created_at >= ?)
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		LEFT JOIN identities i ON i.person_id = m.person_id AND i.connection = g.connection
		WHERE g.org_id = ? AND m.group_id = ? AND m.left_at IS NULL AND m.role = 'member'
		  AND NOT EXISTS (SELECT 1 FROM identities b WHERE b.person_id = m.person_id AND b.bot = TRUE)
		ORDER BY m.joined_at, m.person_id`), ms(now.AddDate(0, 0, -90)), orgID, groupID)
	if err != nil {
		return nil, fmt.Errorf("purge proposal: %w", err)
	}
	defer rows.Close()
	var out []community.PurgeCandidate
	for rows.Next() {
		var c community.PurgeCandidate
		var joined int64
		var last sql.NullInt64
		var signal bool
		if err := rows.Scan(&c.PersonID, &c.Name, &c.UserID, &joined, &last, &signal); err != nil {
			return nil, fmt.Errorf("purge proposal: %w", err)
		}
		c.JoinedAt, c.LastMessage = fromMS(joined), fromNullMS(last)
		st, _ := analytics.Classify(analytics.Member{JoinedAt: c.JoinedAt, LastMessage: c.LastMessage, OtherSignal: signal}, now, time.UTC)
		if st == analytics.StatusZombie {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

type purgeNotice struct {
	People      []int64 `json:"people"`
	Days        int     `json:"days"`
	RemoveAfter int64   `json:"remove_after"` // unix ms
}

// PurgeNotice posts the advance notice naming the proposal's members: they
// will be removed after days unless they speak up. It returns them.
func (db *DB) PurgeNotice(ctx context.Context, orgID, groupID int64, days int, actor string) ([]community.PurgeCandidate, error) {
	if days < 1 || days > 60 {
		return nil, errkind.Errorf(errkind.Invalid, "days: want 1 to 60, got %d", days)
	}
	now := db.now()
	list, err := db.PurgeProposal(ctx, orgID, groupID, now)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errkind.New(errkind.Conflict, "nobody in the group is inactive enough to propose")
	}
	var conn, ext string
	if err := db.sql.QueryRowContext(ctx, db.q("SELECT connection, external_id FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&conn, &ext); err != nil {
		return nil, errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
	}
	names := make([]string, len(list))
	notice := purgeNotice{Days: days, RemoveAfter: ms(now.AddDate(0, 0, days))}
	for i, c := range list {
		names[i] = "@" + c.Name
		notice.People = append(notice.People, c.PersonID)
	}
	text := fmt.Sprintf("为保持群内活跃，以下成员长期未发言，将在 %d 天后移出本群；想留下的话，在群里说一句话就好：\n%s\nThese members have been silent for a long time and will be removed in %d days; to stay, just say something in the group.",
		days, strings.Join(names, " "), days)
	detail, _ := json.Marshal(notice)
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		a := chat.Action{Key: fmt.Sprintf("purge:%d:%d", groupID, now.UnixMilli()), Connection: conn, Kind: chat.ActSend, Group: ext, Text: text, Reason: "purge notice"}
		if err := enqueue(ctx, db, tx, []chat.Action{a}, now); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "purge.notice", Subject: fmt.Sprintf("group:%d", groupID), Detail: string(detail)})
	})
	return list, err
}

// PurgeExecute removes, after the latest notice's period, the members it
// named who are still in the group and have not posted since. It returns
// how many.
func (db *DB) PurgeExecute(ctx context.Context, orgID, groupID int64, actor string) (int, error) {
	var at int64
	var detail string
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT at, detail FROM audit_log WHERE org_id = ? AND action = 'purge.notice' AND subject = ? ORDER BY id DESC LIMIT 1`),
		orgID, fmt.Sprintf("group:%d", groupID)).Scan(&at, &detail)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errkind.New(errkind.Conflict, "no purge notice was posted in this group: post one first")
	}
	if err != nil {
		return 0, fmt.Errorf("find purge notice: %w", err)
	}
	var n purgeNotice
	if err := json.Unmarshal([]byte(detail), &n); err != nil {
		return 0, fmt.Errorf("read purge notice: %w", err)
	}
	now := db.now()
	if ms(now) < n.RemoveAfter {
		return 0, errkind.Errorf(errkind.Conflict, "the notice period ends %s", fromMS(n.RemoveAfter).Format(time.RFC3339))
	}
	removed := 0
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var conn, ext string
		if err := tx.QueryRowContext(ctx, db.q("SELECT connection, external_id FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&conn, &ext); err != nil {
			return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
		}
		for _, p := range n.People {
			var user string
			err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(i.external_id, '') FROM memberships m LEFT JOIN identities i ON i.person_id = m.person_id AND i.connection = ?
				WHERE m.group_id = ? AND m.person_id = ? AND m.left_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.group_id = m.group_id AND x.person_id = m.person_id AND x.sent_at >= ?)`), conn, groupID, p, at).Scan(&user)
			if errors.Is(err, sql.ErrNoRows) || user == "" {
				continue // left, or spoke up: spared
			}
			if err != nil {
				return fmt.Errorf("purge: %w", err)
			}
			a := chat.Action{Key: fmt.Sprintf("purge:%d:%d:%d", groupID, at, p), Connection: conn, Kind: chat.ActKick, Group: ext, User: user, Reason: "inactive (purge)"}
			if err := enqueue(ctx, db, tx, []chat.Action{a}, now); err != nil {
				return err
			}
			if err := recordModeration(ctx, db, tx, community.ModerationAction{OrgID: orgID, GroupID: groupID, PersonID: p, Action: chat.ActKick, Rule: "purge", Category: "purge", Reason: "长期未发言 inactive", Actor: actor}); err != nil {
				return err
			}
			removed++
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "purge.execute", Subject: fmt.Sprintf("group:%d", groupID), Detail: fmt.Sprintf(`{"removed":%d}`, removed)})
	})
	return removed, err
}
