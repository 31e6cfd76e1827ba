package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
)

// Organisation-wide reads for the console's calendar, events and partner
// pages: one query each instead of one per group or entity.

// OrgPushes lists the organisation's pushes planned or sent from from
// (included) to to (excluded), by planned time.
func (db *DB) OrgPushes(ctx context.Context, orgID int64, from, to time.Time) ([]content.PlannedPush, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.org_id, p.script_id, p.group_id, p.slot, p.want_at, p.planned_at, p.status, p.reason, COALESCE(p.duty_person, 0), p.created_at, p.sent_at,
			s.title, g.name, COALESCE(dp.name, '')
		FROM pushes p JOIN scripts s ON s.id = p.script_id JOIN chat_groups g ON g.id = p.group_id LEFT JOIN people dp ON dp.id = p.duty_person
		WHERE p.org_id = ? AND ((p.planned_at >= ? AND p.planned_at < ?) OR (p.sent_at >= ? AND p.sent_at < ?))
		ORDER BY p.planned_at, p.id`), orgID, ms(from), ms(to), ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("organisation pushes: %w", err)
	}
	defer rows.Close()
	var out []content.PlannedPush
	for rows.Next() {
		var p content.PlannedPush
		var want, planned, created int64
		var sent sql.NullInt64
		var status string
		if err := rows.Scan(&p.ID, &p.OrgID, &p.ScriptID, &p.GroupID, &p.Slot, &want, &planned, &status, &p.Reason, &p.DutyPerson, &created, &sent,
			&p.Title, &p.Group, &p.DutyName); err != nil {
			return nil, fmt.Errorf("organisation pushes: %w", err)
		}
		p.WantAt, p.PlannedAt, p.Status, p.CreatedAt, p.SentAt = fromMS(want), fromMS(planned), content.PushStatus(status), fromMS(created), fromNullMS(sent)
		out = append(out, p)
	}
	return out, rows.Err()
}

// EventSummaries lists the organisation's open events and those opened
// or held since the given time, newest first.
func (db *DB) EventSummaries(ctx context.Context, orgID int64, since time.Time) ([]community.EventSummary, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at, l.opened_at, g.name,
			COALESCE(SUM(CASE WHEN s.status = 'in' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.status = 'waitlist' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.status = 'cancelled' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM signup_lists l JOIN chat_groups g ON g.id = l.group_id LEFT JOIN signups s ON s.list_id = l.id
		WHERE g.org_id = ? AND (l.closed_at IS NULL OR l.opened_at >= ? OR l.event_at >= ?)
		GROUP BY l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at, l.opened_at, g.name
		ORDER BY l.id DESC`), orgID, ms(since), ms(since))
	if err != nil {
		return nil, fmt.Errorf("event summaries: %w", err)
	}
	defer rows.Close()
	var out []community.EventSummary
	for rows.Next() {
		var e community.EventSummary
		var at, closed sql.NullInt64
		var opened int64
		if err := rows.Scan(&e.ID, &e.GroupID, &e.Title, &e.Capacity, &at, &e.Place, &closed, &opened, &e.Group, &e.In, &e.Waitlisted, &e.Cancelled, &e.CheckedIn); err != nil {
			return nil, fmt.Errorf("event summaries: %w", err)
		}
		e.EventAt, e.Closed, e.OpenedAt = fromNullMS(at), closed.Valid, fromMS(opened)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PartnerBoard returns the organisation's levels, open seats and waitlist
// counts.
func (db *DB) PartnerBoard(ctx context.Context, orgID int64) (community.PartnerBoard, error) {
	b := community.PartnerBoard{Waiting: map[[2]int64]int{}}
	var err error
	if b.Levels, err = db.PartnerLevels(ctx, orgID); err != nil {
		return b, err
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT s.id, s.level_id, s.entity_id, s.number, s.person_id, s.admitted_at, p.name
		FROM partner_seats s JOIN partner_levels l ON l.id = s.level_id JOIN people p ON p.id = s.person_id
		WHERE l.org_id = ? AND s.released_at IS NULL ORDER BY l.rank, s.level_id, s.entity_id, s.number`), orgID)
	if err != nil {
		return b, fmt.Errorf("partner board: %w", err)
	}
	for rows.Next() {
		var s community.BoardSeat
		var at int64
		if err := rows.Scan(&s.ID, &s.LevelID, &s.EntityID, &s.Number, &s.PersonID, &at, &s.Person); err != nil {
			rows.Close()
			return b, fmt.Errorf("partner board: %w", err)
		}
		s.AdmittedAt = fromMS(at)
		b.Seats = append(b.Seats, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("partner board: %w", err)
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT w.level_id, w.entity_id, COUNT(*) FROM partner_waitlist w JOIN partner_levels l ON l.id = w.level_id
		WHERE l.org_id = ? GROUP BY w.level_id, w.entity_id`), orgID)
	if err != nil {
		return b, fmt.Errorf("partner waitlist: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level, entity int64
		var n int
		if err := rows.Scan(&level, &entity, &n); err != nil {
			return b, fmt.Errorf("partner waitlist: %w", err)
		}
		b.Waiting[[2]int64{level, entity}] = n
	}
	return b, rows.Err()
}
