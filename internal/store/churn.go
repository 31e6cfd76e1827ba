package store

import (
	"context"
	"database/sql"
	"errors"
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

// churnMark names the churn alerts' mark in insight_marks: the leaves
// before it were seen.
const churnMark = "churn"

// churnTexts say a leave worth an alert: a formerly active member's (the
// group, the member, their tenure in days, their last message's day) and
// a staff member's (the group, who, their role, the suggested successor
// or what to do).
const (
	churnActiveText = "退群提醒：「%s」的活跃成员%s退群了（在群 %d 天，最后发言 %s），去联系一下？\nLeave: %[2]s, an active member of %[1]s, left after %[3]d days (last message %[4]s)."
	churnStaffText  = "群管理退群：「%s」的%s（%s）退群了。%s\nStaff left: %[2]s left %[1]s."
)

// ChurnAlerts sends the leaves since its last run that are worth it —
// a formerly active member's, a staff member's with the suggested
// successor — once each, to the group's assistant on duty and the staff
// group. Its first run only marks where it starts. It returns how many it
// sent.
func (db *DB) ChurnAlerts(ctx context.Context, orgID int64, now time.Time, loc *time.Location) (int, error) {
	var mark int64
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT value FROM insight_marks WHERE org_id = ? AND name = ?`), orgID, churnMark).Scan(&mark)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("churn alerts: %w", err)
	}
	var leaves []analytics.Leave
	if mark != 0 {
		if leaves, err = db.Leaves(ctx, orgID, fromMS(mark), now, loc); err != nil {
			return 0, err
		}
	}
	// Who could take over from each staff member who left, read before the
	// transaction.
	next := map[int]string{}
	for i, l := range leaves {
		if !l.StaffLeft() {
			continue
		}
		cands, err := db.Candidates(ctx, l.GroupID, now)
		if err != nil {
			return 0, err
		}
		next[i] = "群里没有其他秘书长或店小二，请指派新的群管理。No other secretary or assistant: appoint one."
		if c, ok := analytics.Successor(cands, l.PersonID); ok {
			next[i] = fmt.Sprintf("建议由%s接手。Suggested successor: %s.", c.Name, c.Name)
		}
	}
	sent := 0
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		sent = 0
		for i, l := range leaves {
			var text string
			switch {
			case l.StaffLeft():
				text = fmt.Sprintf(churnStaffText, l.Group, l.Name, roleNames[l.Role], next[i])
			case l.FormerlyActive(loc):
				last := "—"
				if l.LastMessage != nil {
					last = l.LastMessage.In(loc).Format("01-02")
				}
				text = fmt.Sprintf(churnActiveText, l.Group, l.Name, int(l.Tenure()/(24*time.Hour)), last)
			default:
				continue
			}
			duty, err := dutyFor(ctx, db, tx, l.GroupID, 0)
			if err != nil {
				return err
			}
			if err := notifyDuty(ctx, db, tx, l.GroupID, duty, fmt.Sprintf("churn:%d:%d:%d", l.GroupID, l.PersonID, ms(l.LeftAt)), text, now); err != nil {
				return err
			}
			sent++
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO insight_marks (org_id, name, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`), orgID, churnMark, ms(now), ms(now))
		if err != nil {
			return fmt.Errorf("churn alerts: mark: %w", err)
		}
		return nil
	})
	return sent, err
}

// roleNames say a staff role in an alert.
var roleNames = map[community.Role]string{community.RoleOwner: "群主", community.RoleSecretary: "秘书长", community.RoleAssistant: "店小二"}
