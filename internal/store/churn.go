package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The churn log (docs/metrics.md, "One member, several groups; churn"):
// the memberships of the organisation that ended, who left or was
// removed, their tenure, their last message there and the days they
// posted in the 30 days before (the rollups' member_days), from which
// analytics.Leave tells a formerly active member; and a group's staff who
// could take over from a staff member who left.

// maxLeaves bounds the leaves one read returns.
const maxLeaves = 5000

// Leaves lists the memberships of the organisation's groups that ended
// from..to (not merges), newest first, at most maxLeaves.
func (db *DB) Leaves(ctx context.Context, orgID int64, from, to time.Time, loc *time.Location) ([]analytics.Leave, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, p.name, m.group_id, g.name, m.role, m.left_reason, m.joined_at, m.left_at,
			(SELECT MAX(x.sent_at) FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id)
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE g.org_id = ? AND m.left_at >= ? AND m.left_at < ? AND m.left_reason <> 'merged'
		ORDER BY m.left_at DESC, m.id DESC LIMIT ?`), orgID, ms(from), ms(to), maxLeaves)
	out, err := scanAll(rows, err, func(r *sql.Rows, l *analytics.Leave) error {
		var role, reason string
		var joined, left int64
		var last sql.NullInt64
		if err := r.Scan(&l.PersonID, &l.Name, &l.GroupID, &l.Group, &role, &reason, &joined, &left, &last); err != nil {
			return err
		}
		l.Role, l.Removed = community.Role(role), reason == string(chat.LeftRemoved)
		l.JoinedAt, l.LeftAt = fromMS(joined), fromMS(left)
		if last.Valid {
			t := fromMS(last.Int64)
			l.LastMessage = &t
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("leaves: %w", err)
	}
	for i := range out {
		l := &out[i]
		d := analytics.DayOf(l.LeftAt, loc)
		rows, err := db.sql.QueryContext(ctx, db.q(`SELECT day FROM member_days WHERE group_id = ? AND person_id = ? AND day > ? AND day <= ? ORDER BY day`),
			l.GroupID, l.PersonID, int64(d-30), int64(d))
		days, err := scanAll(rows, err, func(r *sql.Rows, v *analytics.Day) error { return r.Scan((*int)(v)) })
		if err != nil {
			return nil, fmt.Errorf("leaves: active days: %w", err)
		}
		l.ActiveDays = days
	}
	return out, nil
}

// Candidates lists a group's current secretaries and assistants with
// their messages there over the 30 days before now: who could take over
// from a staff member who left (analytics.Successor).
func (db *DB) Candidates(ctx context.Context, groupID int64, now time.Time) ([]analytics.Candidate, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, p.name, m.role,
			(SELECT COUNT(*) FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id AND x.sent_at >= ?)
		FROM memberships m JOIN people p ON p.id = m.person_id
		WHERE m.group_id = ? AND m.left_at IS NULL AND m.role IN (?, ?) ORDER BY m.person_id`),
		ms(now.Add(-30*24*time.Hour)), groupID, string(community.RoleSecretary), string(community.RoleAssistant))
	out, err := scanAll(rows, err, func(r *sql.Rows, c *analytics.Candidate) error {
		var role string
		if err := r.Scan(&c.PersonID, &c.Name, &role, &c.Messages); err != nil {
			return err
		}
		c.Role = community.Role(role)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("candidates: %w", err)
	}
	return out, nil
}
