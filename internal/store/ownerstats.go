package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// A platform's daily statistics (owner_stats): where the platform gives no
// message content (WeCom without 会话内容存档) they are the only message
// figures, and the rollup takes a group's day from them when qunzhu has
// none of its messages (group_days.source, analytics.Source*).

// ImportOwnerStats records a connection's daily statistics, replacing
// what was recorded for the same owner and day, and has the rollup compute
// those days again. Statistics of groups qunzhu does not know are passed
// over; a day's figures are one group's own only when the owner had that
// group alone (OwnerStats.Groups lists the owner's groups on the
// platform). It reports how many it recorded.
func (db *DB) ImportOwnerStats(ctx context.Context, connection string, stats []analytics.OwnerStats) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		earliest := map[int64]analytics.Day{} // org → the earliest day recorded
		for _, s := range stats {
			var org int64
			var groups []int64
			for _, ext := range s.Groups {
				var o, id int64
				err := tx.QueryRowContext(ctx, db.q("SELECT org_id, id FROM chat_groups WHERE connection = ? AND external_id = ?"), connection, ext).Scan(&o, &id)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return fmt.Errorf("statistics of %s: group %s: %w", s.Owner, ext, err)
				}
				if org == 0 || o == org { // one organisation's: the first known group's
					org, groups = o, append(groups, id)
				}
			}
			if len(groups) == 0 {
				continue
			}
			// The group's own figures only when the owner had that one
			// group, known or not.
			var single any
			if len(s.Groups) == 1 {
				single = groups[0]
			}
			var id int64
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO owner_stats (org_id, connection, owner, day, group_id, chat_total, new_members, leavers, members, messages, active_members, active_groups, imported_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (connection, owner, day) DO UPDATE SET org_id = excluded.org_id, group_id = excluded.group_id, chat_total = excluded.chat_total,
					new_members = excluded.new_members, leavers = excluded.leavers, members = excluded.members, messages = excluded.messages,
					active_members = excluded.active_members, active_groups = excluded.active_groups, imported_at = excluded.imported_at
				RETURNING id`), org, connection, s.Owner, int64(s.Day), single, len(s.Groups), s.NewMembers, s.Leavers, s.Members, s.Messages, s.ActiveMembers, s.ActiveGroups, ms(db.now())).Scan(&id)
			if err != nil {
				return fmt.Errorf("statistics of %s on day %d: %w", s.Owner, s.Day, err)
			}
			if _, err := tx.ExecContext(ctx, db.q("DELETE FROM owner_stats_groups WHERE stats_id = ?"), id); err != nil {
				return fmt.Errorf("statistics of %s: %w", s.Owner, err)
			}
			for _, g := range groups {
				if _, err := tx.ExecContext(ctx, db.q("INSERT INTO owner_stats_groups (stats_id, group_id) VALUES (?, ?)"), id, g); err != nil {
					return fmt.Errorf("statistics of %s: %w", s.Owner, err)
				}
			}
			if e, ok := earliest[org]; !ok || s.Day < e {
				earliest[org] = s.Day
			}
			n++
		}
		// The rollup starts again the day before its mark (its first run
		// starts from the earliest statistics or message).
		for org, d := range earliest {
			if _, err := tx.ExecContext(ctx, db.q("UPDATE rollup_marks SET day = ? WHERE org_id = ? AND day > ?"), int64(d)+1, org, int64(d)+1); err != nil {
				return fmt.Errorf("statistics: roll the days up again: %w", err)
			}
		}
		return nil
	})
	return n, err
}

// OwnerStatsDays lists the days from..to (inclusive) a connection has
// statistics of.
func (db *DB) OwnerStatsDays(ctx context.Context, connection string, from, to analytics.Day) (map[analytics.Day]bool, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT DISTINCT day FROM owner_stats WHERE connection = ? AND day >= ? AND day <= ?"), connection, int64(from), int64(to))
	days, err := scanAll(rows, err, scanInt64)
	if err != nil {
		return nil, fmt.Errorf("statistics of %s: %w", connection, err)
	}
	out := map[analytics.Day]bool{}
	for _, d := range days {
		out[analytics.Day(d)] = true
	}
	return out, nil
}

// platformDay is a group's day in the platform's statistics, as the
// rollup takes it.
type platformDay struct {
	single                 bool // the statistics are this group's alone
	allActive              bool // every group of the owner had a post
	messages, activeMember int
}

// loadPlatformDays reads the statistics of an organisation's groups from
// day from on: group → day → figures.
func (r *rollupRun) loadPlatformDays(ctx context.Context, rd queryer, from analytics.Day) error {
	db := r.db
	rows, err := rd.QueryContext(ctx, db.q(`SELECT sg.group_id, s.day, COALESCE(s.group_id, 0), s.messages, s.active_members, s.active_groups >= s.chat_total FROM owner_stats s
		JOIN owner_stats_groups sg ON sg.stats_id = s.id WHERE s.org_id = ? AND s.day >= ?`), r.orgID, int64(from))
	if err != nil {
		return fmt.Errorf("rollup: statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g, day, single int64
		var p platformDay
		if err := rows.Scan(&g, &day, &single, &p.messages, &p.activeMember, &p.allActive); err != nil {
			return fmt.Errorf("rollup: statistics: %w", err)
		}
		p.single = single == g
		if r.platform[g] == nil {
			r.platform[g] = map[analytics.Day]platformDay{}
		}
		r.platform[g][analytics.Day(day)] = p
	}
	return rows.Err()
}

// fromPlatform is a group's day figures where qunzhu has none of its
// messages but the platform's statistics: the group's own (SourceStats),
// or, where they count the owner's groups together, none
// (SourceOwnerStats) — though when every one of the owner's groups had a
// post, the group is not silent that day (its state does not turn
// dormant or dead for want of figures).
func (r *rollupRun) fromPlatform(group int64, d analytics.Day, f *analytics.DayFigures) (*analytics.DayFigures, string) {
	p, ok := r.platform[group][d]
	if !ok || f.Messages > 0 {
		return f, analytics.SourceMessages
	}
	if !p.single {
		if p.allActive {
			r.last[group] = d // every group of the owner had a post: this one too
		}
		return f, analytics.SourceOwnerStats
	}
	out := *f
	out.Messages, out.MemberMessages, out.Communicators = p.messages, p.messages, p.activeMember
	if p.messages > 0 {
		r.last[group] = d
	}
	return &out, analytics.SourceStats
}
