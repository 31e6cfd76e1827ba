package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// MemberSeats lists the open memberships of members (not staff, not bots) in
// the organisation's active groups, of the people who hold two or more:
// each with its group's family (the template step that made it) and the
// member's messages there over the 30 days before now — what
// analytics.FindDuplicates reads (docs/metrics.md, "One member, several
// groups").
func (db *DB) MemberSeats(ctx context.Context, orgID int64, now time.Time) ([]analytics.Seat, error) {
	return memberSeats(ctx, db, db.sql, orgID, now)
}

func memberSeats(ctx context.Context, db *DB, q queryer, orgID int64, now time.Time) ([]analytics.Seat, error) {
	member, active := string(community.RoleMember), string(community.Active)
	rows, err := q.QueryContext(ctx, db.q(`SELECT m.person_id, p.name, m.group_id, g.name, COALESCE(t.family_id, 0), m.joined_at,
			(SELECT COUNT(*) FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id AND x.sent_at >= ?)
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		LEFT JOIN group_tasks t ON t.group_id = m.group_id
		WHERE g.org_id = ? AND g.lifecycle = ? AND m.left_at IS NULL AND m.role = ?
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = m.person_id AND i.bot = TRUE)
		  AND m.person_id IN (SELECT m2.person_id FROM memberships m2 JOIN chat_groups g2 ON g2.id = m2.group_id
			WHERE g2.org_id = ? AND g2.lifecycle = ? AND m2.left_at IS NULL AND m2.role = ? GROUP BY m2.person_id HAVING COUNT(*) > 1)
		ORDER BY m.person_id, m.joined_at, m.group_id`),
		ms(now.Add(-30*24*time.Hour)), orgID, active, member, orgID, active, member)
	out, err := scanAll(rows, err, func(r *sql.Rows, s *analytics.Seat) error {
		var joined int64
		if err := r.Scan(&s.Person, &s.Name, &s.Group, &s.GroupName, &s.Family, &joined, &s.Messages); err != nil {
			return err
		}
		s.JoinedAt = fromMS(joined)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seats: %w", err)
	}
	return out, nil
}

// DuplicateNotice proposes removing the members who sit in two or more
// groups of a family (group_families) from all of them but the one the
// rule keeps: in each group they would leave, a purge of kind duplicate
// whose advance notice names them and the group each stays in
// (community.DuplicateNoticeText, in the group's bot language). They are
// removed when staff carry the purge out after days (PurgeExecute), but
// for those who by then left the group they stay in. within, when not
// nil, are the groups the caller may touch: a notice that would name a
// member in, or keep them in, another group is refused. It returns the
// purges posted, by group.
func (db *DB) DuplicateNotice(ctx context.Context, orgID, family int64, rule analytics.KeepRule, days int, within []int64, actor string) ([]community.Purge, error) {
	if days < community.MinPurgeDays || days > community.MaxPurgeDays {
		return nil, errkind.Errorf(errkind.Invalid, "days: want %d to %d, got %d", community.MinPurgeDays, community.MaxPurgeDays, days)
	}
	if !rule.Valid() {
		return nil, errkind.Errorf(errkind.Invalid, "keep rule %q: want earliest or active", rule)
	}
	var out []community.Purge
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM group_families WHERE id = ? AND org_id = ?"), family, orgID).Scan(&n); err != nil {
			return fmt.Errorf("find family %d: %w", family, err)
		}
		if n == 0 {
			return errkind.Errorf(errkind.NotFound, "family %d not found", family)
		}
		now := db.now()
		seats, err := memberSeats(ctx, db, tx, orgID, now)
		if err != nil {
			return err
		}
		// Per group to leave, the members named there and where they stay.
		leave := map[int64][]community.PurgeMember{}
		names := map[int64]string{}
		for _, d := range analytics.FindDuplicates(seats, 0, rule) {
			for _, f := range d.Families {
				if f.Family != family {
					continue
				}
				for _, s := range f.Seats {
					names[s.Group] = s.GroupName
				}
				for _, s := range f.Seats {
					if s.Group != f.Keep {
						leave[s.Group] = append(leave[s.Group], community.PurgeMember{PersonID: d.Person, Name: d.Name, KeepGroup: f.Keep, KeepName: names[f.Keep]})
					}
				}
			}
		}
		if len(leave) == 0 {
			return errkind.New(errkind.Conflict, "这个系列里没有同时在两个群的成员。No member sits in two groups of this series.")
		}
		if within != nil {
			for g, ms := range leave {
				for _, m := range ms {
					if !slices.Contains(within, g) || !slices.Contains(within, m.KeepGroup) {
						return errkind.New(errkind.Forbidden, "这个系列有群不在你负责的范围内。A group of this series is outside your part of the organisation.")
					}
				}
			}
		}
		groups := slices.Sorted(maps.Keys(leave))
		for _, g := range groups {
			if p, ok, err := pendingPurge(ctx, db, tx, g); err != nil {
				return err
			} else if ok {
				return errkind.Errorf(errkind.Conflict, "「%s」已有一次待执行的清理（%s 公告）：先执行或撤回它。A purge notice is pending in %s already: carry it out or withdraw it first.", p.Group, p.NoticedAt.Format(time.DateOnly), p.Group)
			}
		}
		for _, g := range groups {
			conn, ext, err := groupTarget(ctx, db, tx, orgID, g)
			if err != nil {
				return err
			}
			p := community.Purge{GroupID: g, Group: names[g], Kind: community.PurgeDuplicate, Days: days, NoticedAt: now, RemoveAfter: now.AddDate(0, 0, days), NoticedBy: actor, Members: leave[g]}
			if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO purges (org_id, group_id, kind, days, noticed_at, remove_after, noticed_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				orgID, g, p.Kind, days, ms(now), ms(p.RemoveAfter), actor).Scan(&p.ID); err != nil {
				return fmt.Errorf("duplicate notice: %w", err)
			}
			stays := make([]community.Stay, len(p.Members))
			for i, m := range p.Members {
				p.Members[i].Status = community.PurgeNamed
				stays[i] = community.Stay{Name: m.Name, Group: m.KeepName}
				if _, err := tx.ExecContext(ctx, db.q("INSERT INTO purge_members (purge_id, person_id, status, keep_group_id) VALUES (?, ?, ?, ?)"), p.ID, m.PersonID, community.PurgeNamed, m.KeepGroup); err != nil {
					return fmt.Errorf("duplicate notice: %w", err)
				}
			}
			lang, err := groupBotLang(ctx, db, tx, g)
			if err != nil {
				return err
			}
			a := chat.Action{Key: fmt.Sprintf("purge:%d:notice", p.ID), Connection: conn, Kind: chat.ActSend, Group: ext, Text: community.DuplicateNoticeText(lang, stays, days), Reason: "duplicate purge notice"}
			if err := enqueue(ctx, db, tx, []chat.Action{a}, now); err != nil {
				return err
			}
			detail, _ := json.Marshal(map[string]any{"purge": p.ID, "kind": p.Kind, "family": family, "keep": string(rule), "days": days, "named": len(p.Members)})
			if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "purge.notice", Subject: fmt.Sprintf("group:%d", g), Detail: string(detail)}); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}
