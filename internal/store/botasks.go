package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// The member bot's records (migration 0028): how often each FAQ entry was
// asked in a group a day, the daily check-ins (打卡) and the anti-raid
// lockdowns.

const countAsksSQL = `INSERT INTO bot_asks (group_id, entry, day, asks) VALUES (?, ?, ?, ?)
	ON CONFLICT (group_id, day, entry) DO UPDATE SET asks = bot_asks.asks + excluded.asks`

// CountAsks adds to the counts of FAQ entries asked, in the ingest batch.
func (t *ingestTx) CountAsks(ctx context.Context, asks []pipeline.Ask) error {
	for _, a := range asks {
		if _, err := t.tx.ExecContext(ctx, t.db.q(countAsksSQL), a.GroupID, a.Entry, a.Day, a.N); err != nil {
			return fmt.Errorf("count asks: %w", err)
		}
	}
	return nil
}

// TopAsks ranks the FAQ entries asked in a group since a day (YYYY-MM-DD,
// inclusive), the most asked first, at most limit.
func (db *DB) TopAsks(ctx context.Context, groupID int64, since string, limit int) ([]memberbot.AskCount, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT entry, SUM(asks) AS n FROM bot_asks WHERE group_id = ? AND day >= ?
		GROUP BY entry ORDER BY n DESC, entry LIMIT ?`), groupID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("top asks: %w", err)
	}
	defer rows.Close()
	var out []memberbot.AskCount
	for rows.Next() {
		var a memberbot.AskCount
		if err := rows.Scan(&a.Entry, &a.Asks); err != nil {
			return nil, fmt.Errorf("top asks: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("top asks: %w", err)
	}
	return out, nil
}

// LastCheckin returns a member's last check-in in a group.
func (t *ingestTx) LastCheckin(ctx context.Context, groupID, personID int64) (string, int, bool, error) {
	var day string
	var streak int
	err := t.tx.QueryRowContext(ctx, t.db.q("SELECT day, streak FROM checkins WHERE group_id = ? AND person_id = ? ORDER BY day DESC LIMIT 1"), groupID, personID).Scan(&day, &streak)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("last check-in: %w", err)
	}
	return day, streak, true, nil
}

// AddCheckin records a check-in.
func (t *ingestTx) AddCheckin(ctx context.Context, c pipeline.Checkin) error {
	if _, err := t.tx.ExecContext(ctx, t.db.q("INSERT INTO checkins (group_id, person_id, day, streak, points, at) VALUES (?, ?, ?, ?, ?, ?)"),
		c.GroupID, c.PersonID, c.Day, c.Streak, c.Points, ms(c.At)); err != nil {
		return fmt.Errorf("add check-in: %w", err)
	}
	return nil
}

// Lockdown returns when a group's last lockdown ends.
func (t *ingestTx) Lockdown(ctx context.Context, groupID int64) (time.Time, bool, error) {
	var until int64
	err := t.tx.QueryRowContext(ctx, t.db.q("SELECT until_at FROM lockdowns WHERE group_id = ?"), groupID).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read lockdown: %w", err)
	}
	return fromMS(until), true, nil
}

// SetLockdown locks a group down from start until until.
func (t *ingestTx) SetLockdown(ctx context.Context, groupID int64, start, until time.Time) error {
	if _, err := t.tx.ExecContext(ctx, t.db.q(`INSERT INTO lockdowns (group_id, started_at, until_at) VALUES (?, ?, ?)
		ON CONFLICT (group_id) DO UPDATE SET started_at = excluded.started_at, until_at = excluded.until_at`), groupID, ms(start), ms(until)); err != nil {
		return fmt.Errorf("set lockdown: %w", err)
	}
	return nil
}

// StaffPlace is the organisation's staff group: its connection and
// platform id.
func (t *ingestTx) StaffPlace(ctx context.Context, orgID int64) (string, string, bool, error) {
	var conn, group string
	err := t.tx.QueryRowContext(ctx, t.db.q(`SELECT g.connection, g.external_id FROM content_settings s
		JOIN chat_groups g ON g.id = s.staff_group_id WHERE s.org_id = ? AND g.lifecycle = 'active'`), orgID).Scan(&conn, &group)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("read staff group: %w", err)
	}
	return conn, group, true, nil
}
