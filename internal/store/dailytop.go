package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The optional daily leaderboard: a group may have the day's top posters
// (members, not staff or bots) posted into it at a chosen time, once a day.

// SetDailyTop posts the day's top size posters into the group at the
// minute of the day given (0–1439); size 0 turns it off.
func (db *DB) SetDailyTop(ctx context.Context, orgID, groupID int64, atMinute, size int, actor string) error {
	if size < 0 || size > 50 {
		return errkind.Errorf(errkind.Invalid, "size: want 1 to 50 (0 turns it off), got %d", size)
	}
	if atMinute < 0 || atMinute >= 24*60 {
		return errkind.Errorf(errkind.Invalid, "at: want a time of day, got minute %d", atMinute)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&n); err != nil || n == 0 {
			return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
		}
		var err error
		if size == 0 {
			_, err = tx.ExecContext(ctx, db.q("DELETE FROM daily_tops WHERE group_id = ?"), groupID)
		} else {
			_, err = tx.ExecContext(ctx, db.q(`INSERT INTO daily_tops (group_id, at_minute, size, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (group_id) DO UPDATE SET at_minute = excluded.at_minute, size = excluded.size, updated_at = excluded.updated_at`), groupID, atMinute, size, ms(db.now()))
		}
		if err != nil {
			return fmt.Errorf("set daily top: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "group.daily_top", Subject: fmt.Sprintf("group:%d", groupID),
			Detail: fmt.Sprintf(`{"at_minute":%d,"size":%d}`, atMinute, size)})
	})
}

// PostDailyTops posts each due group's leaderboard of today (in loc): the
// groups whose time has come today and that have not had today's yet. It
// returns how many were posted; each group's post and its day are written
// in one transaction, so a leaderboard goes out once a day.
func (db *DB) PostDailyTops(ctx context.Context, now time.Time, loc *time.Location) (int, error) {
	local := now.In(loc)
	today := analytics.DayOf(now, loc)
	minute := local.Hour()*60 + local.Minute()
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT d.group_id, d.size, g.connection, g.external_id FROM daily_tops d JOIN chat_groups g ON g.id = d.group_id
		WHERE d.at_minute <= ? AND d.last_day < ? AND g.lifecycle = 'active'`), minute, int64(today))
	if err != nil {
		return 0, fmt.Errorf("due daily tops: %w", err)
	}
	type due struct {
		group     int64
		size      int
		conn, ext string
	}
	list, err := scanAll(rows, err, func(r *sql.Rows, d *due) error { return r.Scan(&d.group, &d.size, &d.conn, &d.ext) })
	if err != nil {
		return 0, fmt.Errorf("due daily tops: %w", err)
	}
	from, to := today.Start(loc), (today + 1).Start(loc)
	posted := 0
	for _, d := range list {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, db.q("UPDATE daily_tops SET last_day = ? WHERE group_id = ? AND last_day < ?"), int64(today), d.group, int64(today))
			if err != nil {
				return fmt.Errorf("mark daily top: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another replica posted it
			}
			top, err := dayTop(ctx, db, tx, d.group, from, to, d.size)
			if err != nil {
				return err
			}
			a := chat.Action{Key: fmt.Sprintf("dailytop:%d:%d", d.group, today), Connection: d.conn, Kind: chat.ActSend, Group: d.ext, Text: renderDailyTop(top), Reason: "daily top"}
			posted++
			return enqueue(ctx, db, tx, []chat.Action{a}, db.now())
		})
		if err != nil {
			return posted, err
		}
	}
	return posted, nil
}

type dayPoster struct {
	name string
	n    int
}

// dayTop ranks the group's members by messages between from and to.
func dayTop(ctx context.Context, db *DB, q queryer, groupID int64, from, to time.Time, limit int) ([]dayPoster, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT COALESCE(NULLIF(m.nickname, ''), p.name), COUNT(*) AS n FROM messages x
		JOIN memberships m ON m.group_id = x.group_id AND m.person_id = x.person_id AND m.left_at IS NULL
		JOIN people p ON p.id = x.person_id
		WHERE x.group_id = ? AND x.sent_at >= ? AND x.sent_at < ? AND m.role = 'member'
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = x.person_id AND i.bot = TRUE)
		GROUP BY x.person_id, m.nickname, p.name ORDER BY n DESC, MIN(x.id) LIMIT ?`), groupID, ms(from), ms(to), limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *dayPoster) error {
		if err := r.Scan(&p.name, &p.n); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("daily top: %w", err)
	}
	return out, nil
}

func renderDailyTop(top []dayPoster) string {
	if len(top) == 0 {
		return "🏆 今日发言榜：今天还没有人发言，明天见！Today's top posters: nobody posted today."
	}
	var b strings.Builder
	b.WriteString("🏆 今日发言榜 · today's top posters")
	for i, p := range top {
		fmt.Fprintf(&b, "\n%d. %s — %d", i+1, p.name, p.n)
	}
	return b.String()
}
