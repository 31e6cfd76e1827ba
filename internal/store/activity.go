package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// Summary returns an organisation's headline numbers, counting activity
// since the given time.
func (db *DB) Summary(ctx context.Context, orgID int64, since time.Time) (analytics.OrgSummary, error) {
	var s analytics.OrgSummary
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT
		(SELECT COUNT(*) FROM chat_groups WHERE org_id = ?),
		(SELECT COUNT(*) FROM memberships m JOIN chat_groups g ON g.id = m.group_id WHERE g.org_id = ? AND m.left_at IS NULL),
		(SELECT COUNT(*) FROM people WHERE org_id = ?),
		(SELECT COUNT(*) FROM messages m JOIN chat_groups g ON g.id = m.group_id WHERE g.org_id = ? AND m.sent_at >= ?),
		(SELECT COUNT(DISTINCT m.person_id) FROM messages m JOIN chat_groups g ON g.id = m.group_id WHERE g.org_id = ? AND m.sent_at >= ?),
		(SELECT COUNT(*) FROM moderation_actions WHERE org_id = ? AND created_at >= ?)`),
		orgID, orgID, orgID, orgID, ms(since), orgID, ms(since), orgID, ms(since)).
		Scan(&s.Groups, &s.Members, &s.People, &s.Messages, &s.Communicators, &s.Moderations)
	if err != nil {
		return s, fmt.Errorf("summarise organisation %d: %w", orgID, err)
	}
	return s, nil
}

// Activity returns, per group of the organisation, its messages and
// distinct senders since the given time and its last message ever.
func (db *DB) Activity(ctx context.Context, orgID int64, since time.Time) (map[int64]analytics.GroupActivity, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT g.id,
			(SELECT COUNT(*) FROM messages m WHERE m.group_id = g.id AND m.sent_at >= ?),
			(SELECT COUNT(DISTINCT m.person_id) FROM messages m WHERE m.group_id = g.id AND m.sent_at >= ?),
			(SELECT MAX(m.sent_at) FROM messages m WHERE m.group_id = g.id)
		FROM chat_groups g WHERE g.org_id = ?`), ms(since), ms(since), orgID)
	if err != nil {
		return nil, fmt.Errorf("group activity: %w", err)
	}
	defer rows.Close()
	out := map[int64]analytics.GroupActivity{}
	for rows.Next() {
		var id int64
		var a analytics.GroupActivity
		var last sql.NullInt64
		if err := rows.Scan(&id, &a.Messages, &a.Communicators, &last); err != nil {
			return nil, fmt.Errorf("group activity: %w", err)
		}
		a.LastAt = fromNullMS(last)
		out[id] = a
	}
	return out, rows.Err()
}

// DailyMessages returns message counts per day (in loc) for the last n days
// of an organisation, oldest first, ending with the day of now.
func (db *DB) DailyMessages(ctx context.Context, orgID int64, now time.Time, n int, loc *time.Location) ([]analytics.DayCount, error) {
	end := now.In(loc)
	first := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -(n - 1))
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.sent_at FROM messages m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.sent_at >= ?`), orgID, ms(first))
	if err != nil {
		return nil, fmt.Errorf("daily messages: %w", err)
	}
	defer rows.Close()
	out := make([]analytics.DayCount, n)
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i)
	}
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("daily messages: %w", err)
		}
		t := fromMS(at).In(loc)
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		// Days, not 24-hour spans: daylight-saving days are 23 or 25 hours.
		i := 0
		for i < n-1 && !out[i+1].Day.After(d) {
			i++
		}
		if i < n && !d.Before(out[i].Day) {
			out[i].Count++
		}
	}
	return out, rows.Err()
}

// GroupMemberActivity returns, per person, when they last posted in the
// group and the times of their messages since a time (for active days).
func (db *DB) GroupMemberActivity(ctx context.Context, groupID int64, since time.Time) (map[int64]*analytics.MemberActivity, error) {
	out := map[int64]*analytics.MemberActivity{}
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT person_id, MAX(sent_at) FROM messages WHERE group_id = ? GROUP BY person_id"), groupID)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var pid, last int64
		if err := r.Scan(&pid, &last); err != nil {
			return err
		}
		t := fromMS(last)
		out[pid] = &analytics.MemberActivity{Last: &t}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("member activity: %w", err)
	}
	rows, err = db.sql.QueryContext(ctx, db.q("SELECT person_id, sent_at FROM messages WHERE group_id = ? AND sent_at >= ? ORDER BY sent_at"), groupID, ms(since))
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var pid, at int64
		if err := r.Scan(&pid, &at); err != nil {
			return err
		}
		if a := out[pid]; a != nil {
			a.Days = append(a.Days, fromMS(at))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("member activity: %w", err)
	}
	return out, nil
}
