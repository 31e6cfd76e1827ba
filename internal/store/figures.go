package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// Figures read back from the daily rollups (group_days, member_days; see
// docs/metrics.md): how far they have come and an organisation's week.

// LastRollup returns an organisation's rollup mark; ok is false before
// its first rollup.
func (db *DB) LastRollup(ctx context.Context, orgID int64) (m analytics.RollupMark, ok bool, err error) {
	var day, at int64
	err = db.sql.QueryRowContext(ctx, db.q("SELECT day, rolled_at FROM rollup_marks WHERE org_id = ?"), orgID).Scan(&day, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("last rollup: %w", err)
	}
	m.Day = analytics.Day(day)
	if at > 0 {
		m.At = fromMS(at)
	}
	return m, true, nil
}

// RollupFigures reads an organisation's figures of the week ending with
// day today, each group's last day with a member message, and the member
// messages of each of the n days ending with today, from the rollups.
func (db *DB) RollupFigures(ctx context.Context, orgID int64, today analytics.Day, n int, loc *time.Location) (analytics.RollupFigures, error) {
	f := analytics.RollupFigures{Groups: map[int64]analytics.GroupWeek{}, Daily: make([]analytics.DayCount, n)}
	first, week := today-analytics.Day(n-1), today-6
	for i := range f.Daily {
		f.Daily[i].Day = (first + analytics.Day(i)).Start(loc)
	}
	group := func(id int64, set func(g *analytics.GroupWeek)) {
		g := f.Groups[id]
		set(&g)
		f.Groups[id] = g
	}
	// The last member day of each group: one seek on member_days' primary
	// key (group_id, day, person_id) per group.
	err := db.eachPair(ctx, "last days", `SELECT g.id, (SELECT MAX(x.day) FROM member_days x WHERE x.group_id = g.id)
		FROM chat_groups g WHERE g.org_id = ?`, []any{orgID}, func(id int64, last sql.NullInt64) {
		group(id, func(g *analytics.GroupWeek) { g.LastDay, g.Posted = analytics.Day(last.Int64), last.Valid })
	})
	if err != nil {
		return f, err
	}
	// Open memberships per group, counted once per reading.
	err = db.eachPair(ctx, "members", `SELECT m.group_id, COUNT(*) FROM chat_groups g
		JOIN memberships m ON m.group_id = g.id AND m.left_at IS NULL
		WHERE g.org_id = ? GROUP BY m.group_id`, []any{orgID}, func(id int64, n sql.NullInt64) {
		group(id, func(g *analytics.GroupWeek) { g.Members = int(n.Int64) })
	})
	if err != nil {
		return f, err
	}
	// Member messages per day, and per group over the week, summed in the
	// database on the index group_days_member_messages.
	err = db.eachPair(ctx, "days", `SELECT gd.day, SUM(gd.member_messages) FROM chat_groups g
		JOIN group_days gd ON gd.group_id = g.id AND gd.day >= ? AND gd.day <= ?
		WHERE g.org_id = ? GROUP BY gd.day`, []any{int64(first), int64(today), orgID}, func(day int64, msgs sql.NullInt64) {
		f.Daily[day-int64(first)].Count = int(msgs.Int64)
		if analytics.Day(day) >= week {
			f.Messages += int(msgs.Int64)
		}
	})
	if err != nil {
		return f, err
	}
	f.DailyCommunicators, f.DailyJoins = make([]analytics.DayCount, n), make([]analytics.DayCount, n)
	copy(f.DailyCommunicators, f.Daily)
	copy(f.DailyJoins, f.Daily)
	for i := range f.DailyCommunicators {
		f.DailyCommunicators[i].Count, f.DailyJoins[i].Count = 0, 0
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT gd.day, SUM(gd.communicators), SUM(gd.joins), SUM(gd.leaves) FROM chat_groups g
		JOIN group_days gd ON gd.group_id = g.id AND gd.day >= ? AND gd.day <= ?
		WHERE g.org_id = ? GROUP BY gd.day`), int64(first), int64(today), orgID)
	if err != nil {
		return f, fmt.Errorf("rollup figures: daily: %w", err)
	}
	for rows.Next() {
		var day int64
		var comm, joins, leaves sql.NullInt64
		if err := rows.Scan(&day, &comm, &joins, &leaves); err != nil {
			rows.Close()
			return f, fmt.Errorf("rollup figures: daily: %w", err)
		}
		f.DailyCommunicators[day-int64(first)].Count = int(comm.Int64)
		f.DailyJoins[day-int64(first)].Count = int(joins.Int64)
		f.Joined += int(joins.Int64)
		f.Left += int(leaves.Int64)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("rollup figures: daily: %w", err)
	}
	err = db.eachPair(ctx, "group week", `SELECT gd.group_id, SUM(gd.member_messages) FROM chat_groups g
		JOIN group_days gd ON gd.group_id = g.id AND gd.day >= ? AND gd.day <= ?
		WHERE g.org_id = ? GROUP BY gd.group_id`, []any{int64(week), int64(today), orgID}, func(id int64, msgs sql.NullInt64) {
		group(id, func(g *analytics.GroupWeek) { g.Messages = int(msgs.Int64) })
	})
	if err != nil {
		return f, err
	}

	// Communicators: distinct people per group and over the organisation,
	// counted as a group's rows go by. On SQLite they come together
	// without sorting (a range of member_days' primary key per group);
	// PostgreSQL may hash the join, so it sorts.
	order := ""
	if db.dialect == Postgres {
		order = " ORDER BY md.group_id"
	}
	all := map[int64]struct{}{}
	inGroup := map[int64]struct{}{}
	cur := int64(0)
	flush := func() {
		if cur != 0 {
			group(cur, func(g *analytics.GroupWeek) { g.Communicators = len(inGroup) })
		}
		clear(inGroup)
	}
	err = db.eachPair(ctx, "member days", `SELECT md.group_id, md.person_id FROM chat_groups g
		JOIN member_days md ON md.group_id = g.id AND md.day >= ? AND md.day <= ?
		WHERE g.org_id = ?`+order, []any{int64(week), int64(today), orgID}, func(gid int64, pid sql.NullInt64) {
		if gid != cur {
			flush()
			cur = gid
		}
		inGroup[pid.Int64] = struct{}{}
		all[pid.Int64] = struct{}{}
	})
	if err != nil {
		return f, err
	}
	flush()
	f.Communicators = len(all)
	return f, nil
}

// eachPair runs a query of two integer columns (the second may be NULL)
// and calls fn with each row.
func (db *DB) eachPair(ctx context.Context, what, query string, args []any, fn func(a int64, b sql.NullInt64)) error {
	rows, err := db.sql.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return fmt.Errorf("rollup figures: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a int64
		var b sql.NullInt64
		if err := rows.Scan(&a, &b); err != nil {
			return fmt.Errorf("rollup figures: %s: %w", what, err)
		}
		fn(a, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup figures: %s: %w", what, err)
	}
	return nil
}

// ModerationsSince counts an organisation's moderation actions since a
// time.
func (db *DB) ModerationsSince(ctx context.Context, orgID int64, since time.Time) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM moderation_actions WHERE org_id = ? AND created_at >= ?"), orgID, ms(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count moderations: %w", err)
	}
	return n, nil
}
