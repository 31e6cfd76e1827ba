package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// An inactive-member purge is only ever a proposal: the zombies of a group
// (in it 30 days or more, silent for 90 days or ever, with no other sign
// of life such as signing up for an event), gone through by staff who
// leave out whom they choose, an advance notice posted to the group naming
// the rest, and — only when staff ask for it after the notice period —
// their removal, sparing whoever spoke up meanwhile and whom staff keep.
// A pending purge can be withdrawn instead. The purges table keeps each
// notice and what became of every member of its proposal.

// PurgeProposal lists a group's zombies at now.
func (db *DB) PurgeProposal(ctx context.Context, orgID, groupID int64, now time.Time) ([]community.PurgeCandidate, error) {
	return purgeProposal(ctx, db, db.sql, orgID, groupID, now)
}

func purgeProposal(ctx context.Context, db *DB, q queryer, orgID, groupID int64, now time.Time) ([]community.PurgeCandidate, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT m.person_id, COALESCE(NULLIF(m.nickname, ''), p.name), COALESCE(i.external_id, ''), m.joined_at,
			(SELECT MAX(x.sent_at) FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id),
			EXISTS (SELECT 1 FROM signups s JOIN signup_lists l ON l.id = s.list_id WHERE s.person_id = m.person_id AND s.created_at >= ?
				AND (l.group_id = m.group_id OR EXISTS (SELECT 1 FROM event_groups eg WHERE eg.list_id = l.id AND eg.group_id = m.group_id)))
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

// groupTarget is where the outbox reaches a group.
func groupTarget(ctx context.Context, db *DB, q queryer, orgID, groupID int64) (conn, ext string, err error) {
	err = q.QueryRowContext(ctx, db.q("SELECT connection, external_id FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&conn, &ext)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
	}
	if err != nil {
		return "", "", fmt.Errorf("find group %d: %w", groupID, err)
	}
	return conn, ext, nil
}

// PurgeNotice posts the advance notice naming the proposal's members but
// those excluded: they will be removed after days unless they speak up.
// It returns the members named. Every excluded person must be in the
// proposal; a group has one notice pending at a time.
func (db *DB) PurgeNotice(ctx context.Context, orgID, groupID int64, days int, exclude []int64, actor string) ([]community.PurgeCandidate, error) {
	if days < community.MinPurgeDays || days > community.MaxPurgeDays {
		return nil, errkind.Errorf(errkind.Invalid, "days: want %d to %d, got %d", community.MinPurgeDays, community.MaxPurgeDays, days)
	}
	var named []community.PurgeCandidate
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		conn, ext, err := groupTarget(ctx, db, tx, orgID, groupID)
		if err != nil {
			return err
		}
		if p, ok, err := pendingPurge(ctx, db, tx, groupID); err != nil {
			return err
		} else if ok {
			return errkind.Errorf(errkind.Conflict, "这个群已有一次待执行的清理（%s 公告）：先执行或撤回它。A purge notice is pending in this group already: carry it out or withdraw it first.", p.NoticedAt.Format(time.DateOnly))
		}
		now := db.now()
		list, err := purgeProposal(ctx, db, tx, orgID, groupID, now)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return errkind.New(errkind.Conflict, "群里没有长期不发言的成员可清理。Nobody in the group is inactive enough to propose.")
		}
		for _, id := range exclude {
			if !slices.ContainsFunc(list, func(c community.PurgeCandidate) bool { return c.PersonID == id }) {
				return errkind.Errorf(errkind.Invalid, "exclude: person %d is not in the group's proposal", id)
			}
		}
		var names []string
		for _, c := range list {
			if !slices.Contains(exclude, c.PersonID) {
				named = append(named, c)
				names = append(names, c.Name)
			}
		}
		if len(named) == 0 {
			return errkind.New(errkind.Invalid, "名单上的成员都被排除了，没有可公告的人。Everyone in the proposal is excluded: nobody is left to name.")
		}
		var id int64
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO purges (org_id, group_id, days, noticed_at, remove_after, noticed_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			orgID, groupID, days, ms(now), ms(now.AddDate(0, 0, days)), actor).Scan(&id); err != nil {
			return fmt.Errorf("purge notice: %w", err)
		}
		for _, c := range list {
			status := community.PurgeNamed
			if slices.Contains(exclude, c.PersonID) {
				status = community.PurgeExcluded
			}
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO purge_members (purge_id, person_id, status) VALUES (?, ?, ?)"), id, c.PersonID, status); err != nil {
				return fmt.Errorf("purge notice: %w", err)
			}
		}
		lang, err := groupBotLang(ctx, db, tx, groupID)
		if err != nil {
			return err
		}
		a := chat.Action{Key: fmt.Sprintf("purge:%d:notice", id), Connection: conn, Kind: chat.ActSend, Group: ext, Text: community.PurgeNoticeText(lang, names, days), Reason: "purge notice"}
		if err := enqueue(ctx, db, tx, []chat.Action{a}, now); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"purge": id, "days": days, "named": len(named), "excluded": len(list) - len(named)})
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "purge.notice", Subject: fmt.Sprintf("group:%d", groupID), Detail: string(detail)})
	})
	return named, err
}

const purgeCols = "p.id, p.group_id, g.name, p.kind, p.days, p.noticed_at, p.remove_after, p.noticed_by, p.ended_at, p.outcome, p.ended_by"

func scanPurge(sc interface{ Scan(...any) error }, p *community.Purge) error {
	var noticed, after int64
	var ended sql.NullInt64
	if err := sc.Scan(&p.ID, &p.GroupID, &p.Group, &p.Kind, &p.Days, &noticed, &after, &p.NoticedBy, &ended, &p.Outcome, &p.EndedBy); err != nil {
		return err
	}
	p.NoticedAt, p.RemoveAfter, p.EndedAt = fromMS(noticed), fromMS(after), fromNullMS(ended)
	return nil
}

// pendingPurge finds the group's pending purge, without its members.
func pendingPurge(ctx context.Context, db *DB, q queryer, groupID int64) (community.Purge, bool, error) {
	var p community.Purge
	err := scanPurge(q.QueryRowContext(ctx, db.q("SELECT "+purgeCols+" FROM purges p JOIN chat_groups g ON g.id = p.group_id WHERE p.group_id = ? AND p.ended_at IS NULL"), groupID), &p)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("find pending purge: %w", err)
	}
	return p, true, nil
}

// thePendingPurge finds the group's pending purge (a conflict when there
// is none) and where the outbox reaches the group.
func thePendingPurge(ctx context.Context, db *DB, q queryer, orgID, groupID int64) (conn, ext string, p community.Purge, err error) {
	if conn, ext, err = groupTarget(ctx, db, q, orgID, groupID); err != nil {
		return
	}
	var ok bool
	if p, ok, err = pendingPurge(ctx, db, q, groupID); err == nil && !ok {
		err = errkind.New(errkind.Conflict, "这个群没有待执行的清理公告：先发公告。No purge notice is pending in this group: post one first.")
	}
	return
}

// purgeMembers fills in a purge's members, in the order they joined. While
// the purge is pending, a named member who left shows as left; in a purge
// of inactive members one who posted after the notice shows as spoke, in
// one of duplicates one no longer in the group they were to stay in as
// single.
func purgeMembers(ctx context.Context, db *DB, q queryer, p *community.Purge) error {
	rows, err := q.QueryContext(ctx, db.q(`SELECT pm.person_id, COALESCE(NULLIF(m.nickname, ''), pe.name), pm.status, m.joined_at,
			(SELECT MAX(x.sent_at) FROM messages x WHERE x.person_id = pm.person_id AND x.group_id = ?),
			COALESCE(pm.keep_group_id, 0), COALESCE(kg.name, ''),
			EXISTS (SELECT 1 FROM memberships k WHERE k.person_id = pm.person_id AND k.group_id = pm.keep_group_id AND k.left_at IS NULL)
		FROM purge_members pm JOIN people pe ON pe.id = pm.person_id
		LEFT JOIN memberships m ON m.person_id = pm.person_id AND m.group_id = ? AND m.left_at IS NULL
		LEFT JOIN chat_groups kg ON kg.id = pm.keep_group_id
		WHERE pm.purge_id = ? ORDER BY COALESCE(m.joined_at, 0), pm.person_id`), p.GroupID, p.GroupID, p.ID)
	list, err := scanAll(rows, err, func(r *sql.Rows, m *community.PurgeMember) error {
		var joined, last sql.NullInt64
		var kept bool
		if err := r.Scan(&m.PersonID, &m.Name, &m.Status, &joined, &last, &m.KeepGroup, &m.KeepName, &kept); err != nil {
			return err
		}
		m.LastMessage = fromNullMS(last)
		if joined.Valid {
			m.JoinedAt = fromMS(joined.Int64)
		}
		if p.Pending() && m.Status == community.PurgeNamed {
			switch {
			case !joined.Valid:
				m.Status = community.PurgeLeft
			case p.Kind == community.PurgeDuplicate:
				if !kept {
					m.Status = community.PurgeSingle
				}
			case m.LastMessage != nil && !m.LastMessage.Before(p.NoticedAt):
				m.Status = community.PurgeSpoke
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("purge members: %w", err)
	}
	p.Members = list
	return nil
}

// PendingPurge returns the group's pending purge with its members; ok is
// false when there is none.
func (db *DB) PendingPurge(ctx context.Context, orgID, groupID int64) (community.Purge, bool, error) {
	if _, _, err := groupTarget(ctx, db, db.sql, orgID, groupID); err != nil {
		return community.Purge{}, false, err
	}
	p, ok, err := pendingPurge(ctx, db, db.sql, groupID)
	if err != nil || !ok {
		return p, ok, err
	}
	return p, true, purgeMembers(ctx, db, db.sql, &p)
}

// Purges lists the organisation's purges, newest first: the pending ones,
// or all; with their members.
func (db *DB) Purges(ctx context.Context, orgID int64, pendingOnly bool, limit int) ([]community.Purge, error) {
	cond := ""
	if pendingOnly {
		cond = " AND p.ended_at IS NULL"
	}
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+purgeCols+" FROM purges p JOIN chat_groups g ON g.id = p.group_id WHERE p.org_id = ?"+cond+" ORDER BY p.id DESC LIMIT ?"), orgID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *community.Purge) error { return scanPurge(r, p) })
	if err != nil {
		return nil, fmt.Errorf("purges: %w", err)
	}
	for i := range out {
		if err := purgeMembers(ctx, db, db.sql, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PurgeExecute removes, after the pending notice's period, the members it
// named who are still in the group and have not posted since, but those
// staff keep. It returns how many were removed.
func (db *DB) PurgeExecute(ctx context.Context, orgID, groupID int64, keep []int64, actor string) (int, error) {
	removed := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		conn, ext, p, err := thePendingPurge(ctx, db, tx, orgID, groupID)
		if err != nil {
			return err
		}
		now := db.now()
		if !p.Due(now) {
			return errkind.Errorf(errkind.Conflict, "公告期到 %s 才结束。The notice period ends %s.", p.RemoveAfter.Format("2006-01-02 15:04"), p.RemoveAfter.Format(time.RFC3339))
		}
		if err := purgeMembers(ctx, db, tx, &p); err != nil {
			return err
		}
		for _, id := range keep {
			if !slices.ContainsFunc(p.Members, func(m community.PurgeMember) bool { return m.PersonID == id && m.Status != community.PurgeExcluded }) {
				return errkind.Errorf(errkind.Invalid, "keep: person %d was not named in the notice", id)
			}
		}
		for _, m := range p.Members {
			status := m.Status
			if status == community.PurgeNamed {
				status = community.PurgeRemoved
				if slices.Contains(keep, m.PersonID) {
					status = community.PurgeKept
				}
			}
			var user string
			if status == community.PurgeRemoved {
				err := tx.QueryRowContext(ctx, db.q("SELECT external_id FROM identities WHERE person_id = ? AND connection = ?"), m.PersonID, conn).Scan(&user)
				if errors.Is(err, sql.ErrNoRows) {
					status = community.PurgeLeft // no identity on the group's platform: nobody to remove
				} else if err != nil {
					return fmt.Errorf("purge: %w", err)
				}
			}
			if status == community.PurgeRemoved {
				reason, why := "inactive (purge)", "长期未发言 inactive"
				if p.Kind == community.PurgeDuplicate {
					reason, why = "duplicate (purge)", "重复入群，留在「"+m.KeepName+"」 in another group of the series"
				}
				a := chat.Action{Key: fmt.Sprintf("purge:%d:%d", p.ID, m.PersonID), Connection: conn, Kind: chat.ActKick, Group: ext, User: user, Reason: reason}
				if err := enqueue(ctx, db, tx, []chat.Action{a}, now); err != nil {
					return err
				}
				if err := recordModeration(ctx, db, tx, community.ModerationAction{OrgID: orgID, GroupID: groupID, PersonID: m.PersonID, Action: chat.ActKick, Rule: "purge", Category: "purge", Reason: why, Actor: actor}); err != nil {
					return err
				}
				removed++
			}
			if m.Status != community.PurgeExcluded {
				if _, err := tx.ExecContext(ctx, db.q("UPDATE purge_members SET status = ? WHERE purge_id = ? AND person_id = ?"), status, p.ID, m.PersonID); err != nil {
					return fmt.Errorf("purge: %w", err)
				}
			}
		}
		if err := endPurge(ctx, db, tx, p.ID, community.PurgeExecuted, actor, now); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "purge.execute", Subject: fmt.Sprintf("group:%d", groupID),
			Detail: fmt.Sprintf(`{"purge":%d,"removed":%d,"kept":%d}`, p.ID, removed, len(keep))})
	})
	return removed, err
}

func endPurge(ctx context.Context, db *DB, q queryer, id int64, outcome, actor string, now time.Time) error {
	if _, err := q.ExecContext(ctx, db.q("UPDATE purges SET ended_at = ?, outcome = ?, ended_by = ? WHERE id = ?"), ms(now), outcome, actor, id); err != nil {
		return fmt.Errorf("end purge: %w", err)
	}
	return nil
}

// PurgeWithdraw withdraws the group's pending notice, telling the group
// nobody on it will be removed.
func (db *DB) PurgeWithdraw(ctx context.Context, orgID, groupID int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		conn, ext, p, err := thePendingPurge(ctx, db, tx, orgID, groupID)
		if err != nil {
			return err
		}
		now := db.now()
		lang, err := groupBotLang(ctx, db, tx, groupID)
		if err != nil {
			return err
		}
		text := community.PurgeWithdrawnText(lang)
		if p.Kind == community.PurgeDuplicate {
			text = community.DuplicateWithdrawnText(lang)
		}
		a := chat.Action{Key: fmt.Sprintf("purge:%d:withdrawn", p.ID), Connection: conn, Kind: chat.ActSend, Group: ext, Text: text, Reason: "purge withdrawn"}
		if err := enqueue(ctx, db, tx, []chat.Action{a}, now); err != nil {
			return err
		}
		if err := endPurge(ctx, db, tx, p.ID, community.PurgeWithdrawn, actor, now); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "purge.withdraw", Subject: fmt.Sprintf("group:%d", groupID), Detail: fmt.Sprintf(`{"purge":%d}`, p.ID)})
	})
}
