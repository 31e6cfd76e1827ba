package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// Newcomers returns the stints of the members (not staff or bots) who
// joined a group since a time, with the days they posted from the
// rollups, for newcomer retention (analytics.Retain).
func (db *DB) Newcomers(ctx context.Context, groupID int64, since time.Time, loc *time.Location) ([]analytics.Stint, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, m.joined_at, m.left_at FROM memberships m
		WHERE m.group_id = ? AND m.joined_at >= ? AND m.role = 'member'
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = m.person_id AND i.bot = TRUE)
		ORDER BY m.joined_at, m.id`), groupID, ms(since))
	if err != nil {
		return nil, fmt.Errorf("newcomers: %w", err)
	}
	type stint struct {
		person int64
		s      analytics.Stint
	}
	var list []stint
	for rows.Next() {
		var st stint
		var joined int64
		var left sql.NullInt64
		if err := rows.Scan(&st.person, &joined, &left); err != nil {
			rows.Close()
			return nil, fmt.Errorf("newcomers: %w", err)
		}
		st.s.JoinedAt, st.s.LeftAt = fromMS(joined), fromNullMS(left)
		list = append(list, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("newcomers: %w", err)
	}
	days := map[int64][]analytics.Day{}
	rows, err = db.sql.QueryContext(ctx, db.q("SELECT person_id, day FROM member_days WHERE group_id = ? AND day >= ? ORDER BY day"), groupID, int64(analytics.DayOf(since, loc)))
	if err != nil {
		return nil, fmt.Errorf("newcomers' days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, d int64
		if err := rows.Scan(&p, &d); err != nil {
			return nil, fmt.Errorf("newcomers' days: %w", err)
		}
		days[p] = append(days[p], analytics.Day(d))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("newcomers' days: %w", err)
	}
	out := make([]analytics.Stint, len(list))
	for i, st := range list {
		s := st.s
		from, to := analytics.DayOf(s.JoinedAt, loc), analytics.Day(1<<31-1)
		if s.LeftAt != nil {
			to = analytics.DayOf(*s.LeftAt, loc)
		}
		for _, d := range days[st.person] {
			if d >= from && d <= to {
				s.ActiveDays = append(s.ActiveDays, d)
			}
		}
		out[i] = s
	}
	return out, nil
}

// JoinsBySource counts a group's joins since a time by how they came
// (pulled_in, event, referral, promotion, or "" when unknown).
func (db *DB) JoinsBySource(ctx context.Context, groupID int64, since time.Time) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT source, COUNT(*) FROM memberships WHERE group_id = ? AND joined_at >= ? GROUP BY source"), groupID, ms(since))
	if err != nil {
		return nil, fmt.Errorf("joins by source: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var src string
		var n int
		if err := rows.Scan(&src, &n); err != nil {
			return nil, fmt.Errorf("joins by source: %w", err)
		}
		out[src] = n
	}
	return out, rows.Err()
}
