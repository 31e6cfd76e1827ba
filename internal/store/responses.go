package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/content"
)

// PushResponses measures the organisation's pushes sent from from to to
// (both included): member posts after each, replies, the staff follow-up within 15
// minutes, and the uplift over the same hour on days without a push.
func (db *DB) PushResponses(ctx context.Context, orgID int64, from, to time.Time) ([]content.PushResponse, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.script_id, s.title, p.group_id, g.name, p.slot, p.sent_at, COALESCE(p.duty_person, 0), COALESCE(dp.name, '')
		FROM pushes p JOIN scripts s ON s.id = p.script_id JOIN chat_groups g ON g.id = p.group_id LEFT JOIN people dp ON dp.id = p.duty_person
		WHERE p.org_id = ? AND p.status = 'sent' AND p.sent_at >= ? AND p.sent_at <= ? ORDER BY p.sent_at, p.id`), orgID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("push responses: %w", err)
	}
	var out []content.PushResponse
	for rows.Next() {
		var r content.PushResponse
		var sent int64
		if err := rows.Scan(&r.PushID, &r.ScriptID, &r.Title, &r.GroupID, &r.Group, &r.Slot, &sent, &r.DutyPerson, &r.DutyName); err != nil {
			rows.Close()
			return nil, fmt.Errorf("push responses: %w", err)
		}
		r.SentAt = fromMS(sent)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("push responses: %w", err)
	}
	for i := range out {
		if err := db.measure(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) measure(ctx context.Context, r *content.PushResponse) error {
	start := r.SentAt.AddDate(0, 0, -content.BaselineDays)
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, m.sent_at,
			CASE WHEN EXISTS (SELECT 1 FROM memberships ms WHERE ms.group_id = m.group_id AND ms.person_id = m.person_id AND ms.role <> 'member' AND ms.left_at IS NULL)
			       OR EXISTS (SELECT 1 FROM identities i WHERE i.person_id = m.person_id AND i.bot = TRUE) THEN 1 ELSE 0 END,
			m.external_id, m.reply_to
		FROM messages m WHERE m.group_id = ? AND m.sent_at >= ? AND m.sent_at <= ? ORDER BY m.sent_at, m.id`), r.GroupID, ms(start), ms(r.SentAt.Add(24*time.Hour)))
	if err != nil {
		return fmt.Errorf("push %d response: %w", r.PushID, err)
	}
	defer rows.Close()
	var after []content.Post
	var before []time.Time // member posts before the push, for the baseline
	// A reply to none of the group's messages since the baseline's start
	// replies to the bot: its pushes are not stored as messages.
	seen := map[string]bool{}
	for rows.Next() {
		var p content.Post
		var at int64
		var staff int
		var id, replyTo string
		if err := rows.Scan(&p.Person, &at, &staff, &id, &replyTo); err != nil {
			return fmt.Errorf("push %d response: %w", r.PushID, err)
		}
		p.At, p.Staff, p.ReplyToBot = fromMS(at), staff == 1, replyTo != "" && !seen[replyTo]
		seen[id] = true
		if p.At.Before(r.SentAt) {
			if !p.Staff {
				before = append(before, p.At)
			}
			continue
		}
		after = append(after, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("push %d response: %w", r.PushID, err)
	}
	r.Response = content.Measure(r.SentAt, r.DutyPerson, after)
	pushedAt, err := db.pushTimes(ctx, r.GroupID, start, r.SentAt)
	if err != nil {
		return err
	}
	sort.Slice(before, func(i, j int) bool { return before[i].Before(before[j]) })
	r.Baseline, r.BaselineDays = content.Baseline(r.SentAt, content.BaselineDays,
		func(t time.Time) bool {
			for _, p := range pushedAt {
				if d := p.Sub(t); d > -time.Hour && d < time.Hour {
					return true
				}
			}
			return false
		},
		func(from, to time.Time) int {
			i := sort.Search(len(before), func(i int) bool { return !before[i].Before(from) })
			j := sort.Search(len(before), func(i int) bool { return !before[i].Before(to) })
			return j - i
		})
	r.Uplift = float64(r.Posts60) - r.Baseline
	r.Links, r.Clicks, r.Visitors, err = linkFigures(ctx, db, db.sql, r.PushID)
	return err
}

func (db *DB) pushTimes(ctx context.Context, groupID int64, from, to time.Time) ([]time.Time, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT sent_at FROM pushes WHERE group_id = ? AND status = 'sent' AND sent_at >= ? AND sent_at < ?"), groupID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("earlier pushes: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at sql.NullInt64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("earlier pushes: %w", err)
		}
		if at.Valid {
			out = append(out, fromMS(at.Int64))
		}
	}
	return out, rows.Err()
}
