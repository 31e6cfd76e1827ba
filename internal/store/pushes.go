package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// PlanPush fits a push into the group's schedule and records it: planned
// (possibly deferred, with the reason) or dropped when nothing fits within
// the horizon. The caps and quiet hours are never violated.
func (db *DB) PlanPush(ctx context.Context, r content.PushRequest) (content.Push, error) {
	if r.Location == nil {
		r.Location = time.UTC
	}
	if r.Horizon <= 0 {
		r.Horizon = 7 * 24 * time.Hour
	}
	p := content.Push{OrgID: r.OrgID, ScriptID: r.ScriptID, GroupID: r.GroupID, Slot: r.Slot, WantAt: r.Want, DutyPerson: r.DutyPerson, CreatedAt: db.now()}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s, err := getScript(ctx, db, tx, r.OrgID, r.ScriptID)
		if err != nil {
			return err
		}
		if s.Status != content.Approved && s.Status != content.Scheduled && s.Status != content.Published {
			return errkind.Errorf(errkind.Conflict, "script %d is %s: only approved scripts are pushed", s.ID, s.Status)
		}
		var life string
		err = tx.QueryRowContext(ctx, db.q("SELECT lifecycle FROM chat_groups WHERE org_id = ? AND id = ?"), r.OrgID, r.GroupID).Scan(&life)
		if err == sql.ErrNoRows {
			return errkind.Errorf(errkind.NotFound, "group %d not found", r.GroupID)
		}
		if err != nil {
			return fmt.Errorf("find group: %w", err)
		}
		if life != string(community.Active) {
			return errkind.Errorf(errkind.Conflict, "group %d is %s: pushes stop for archived groups", r.GroupID, life)
		}
		// Serialise planners of the same group on PostgreSQL (SQLite
		// transactions already are).
		if db.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(1, $1::int)", int32(r.GroupID)); err != nil {
				return fmt.Errorf("lock group schedule: %w", err)
			}
		}
		rows, err := tx.QueryContext(ctx, db.q("SELECT planned_at FROM pushes WHERE group_id = ? AND status IN ('planned', 'sent') AND planned_at >= ? AND planned_at <= ?"),
			r.GroupID, ms(r.Want.Add(-48*time.Hour)), ms(r.Want.Add(r.Horizon+48*time.Hour)))
		taken, err := scanAll(rows, err, scanTime)
		if err != nil {
			return fmt.Errorf("read schedule: %w", err)
		}
		if p.DutyPerson == 0 {
			// The group's assistants (店小二) take turns following pushes up.
			if p.DutyPerson, err = dutyFor(ctx, db, tx, r.GroupID); err != nil {
				return err
			}
		}
		plan, ok := content.Fit(r.Want, taken, r.Caps, r.Window, r.Location, r.Horizon)
		p.Status, p.PlannedAt, p.Reason = content.PushPlanned, plan.At, plan.Reason
		if !ok {
			p.Status, p.PlannedAt = content.PushDropped, r.Want
			p.Reason = "nothing fits within " + r.Horizon.String() + ": " + plan.Reason
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO pushes (org_id, script_id, group_id, slot, want_at, planned_at, status, reason, duty_person, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			p.OrgID, p.ScriptID, p.GroupID, p.Slot, ms(p.WantAt), ms(p.PlannedAt), string(p.Status), p.Reason, nullID(p.DutyPerson), ms(p.CreatedAt)).Scan(&p.ID)
		if err != nil {
			return fmt.Errorf("record push: %w", classify(err))
		}
		if s.Status == content.Approved {
			if _, err := tx.ExecContext(ctx, db.q("UPDATE scripts SET status = 'scheduled', updated_at = ? WHERE id = ?"), ms(db.now()), s.ID); err != nil {
				return fmt.Errorf("schedule script: %w", err)
			}
			s.Status = content.Scheduled
			if err := revise(ctx, db, tx, s, r.Actor, "approved → scheduled"); err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}

// dutyFor picks the assistant on duty for the group's next push: round
// robin over its current assistants (by person id), by the number of
// pushes planned for the group so far; 0 when it has none.
func dutyFor(ctx context.Context, db *DB, tx *sql.Tx, groupID int64) (int64, error) {
	rows, err := tx.QueryContext(ctx, db.q("SELECT person_id FROM memberships WHERE group_id = ? AND role = 'assistant' AND left_at IS NULL ORDER BY person_id"), groupID)
	assistants, err := scanAll(rows, err, scanInt64)
	if err != nil {
		return 0, fmt.Errorf("assistants on duty: %w", err)
	}
	var seq int
	if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM pushes WHERE group_id = ?"), groupID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("assistants on duty: %w", err)
	}
	id, _ := content.Rotation(assistants, seq)
	return id, nil
}

// Pushes lists a group's pushes between two times, by planned time.
func (db *DB) Pushes(ctx context.Context, groupID int64, from, to time.Time) ([]content.Push, error) {
	// The receipt comes from the push's send action in the outbox.
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.org_id, p.script_id, p.group_id, p.slot, p.want_at, p.planned_at, p.status, p.reason, COALESCE(p.duty_person, 0), p.created_at, p.sent_at,
			COALESCE(o.status, ''), o.done_at, COALESCE(o.last_error, '')
		FROM pushes p LEFT JOIN outbox o ON o.idem_key = 'push:' || CAST(p.id AS TEXT)
		WHERE p.group_id = ? AND p.planned_at >= ? AND p.planned_at < ? ORDER BY p.planned_at, p.id`), groupID, ms(from), ms(to))
	out, err := scanAll(rows, err, func(r *sql.Rows, p *content.Push) error {
		var want, planned, created int64
		var sent, delivered sql.NullInt64
		var status string
		if err := r.Scan(&p.ID, &p.OrgID, &p.ScriptID, &p.GroupID, &p.Slot, &want, &planned, &status, &p.Reason, &p.DutyPerson, &created, &sent,
			&p.Delivery, &delivered, &p.DeliveryError); err != nil {
			return err
		}
		p.WantAt, p.PlannedAt, p.Status, p.CreatedAt, p.SentAt = fromMS(want), fromMS(planned), content.PushStatus(status), fromMS(created), fromNullMS(sent)
		p.DeliveredAt = fromNullMS(delivered)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pushes: %w", err)
	}
	return out, nil
}

// AcquireLease takes or renews the named lease for holder until now+ttl.
// It reports false while another holder's lease runs: exactly one replica
// runs a due job.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := db.now()
	res, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO job_leases (name, holder, lease_until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
		WHERE job_leases.lease_until < ? OR job_leases.holder = excluded.holder`), name, holder, ms(now.Add(ttl)), ms(now))
	if err != nil {
		return false, fmt.Errorf("acquire lease %q: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %q: %w", name, err)
	}
	return n == 1, nil
}

// SendDuePushes hands due pushes to the outbox (one send action each, keyed
// "push:<id>") and marks them sent, in one transaction: a push is enqueued
// exactly once however many replicas call this. It returns how many went.
func (db *DB) SendDuePushes(ctx context.Context, limit int) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		lock := ""
		if db.dialect == Postgres {
			lock = " FOR UPDATE OF p SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT p.id, g.connection, g.external_id, s.body,
				COALESCE(c.link_url, ''), COALESCE(c.link_title, ''), COALESCE(c.media_url, '') FROM pushes p
			JOIN chat_groups g ON g.id = p.group_id JOIN scripts s ON s.id = p.script_id LEFT JOIN script_cards c ON c.script_id = s.id
			WHERE p.status = 'planned' AND p.planned_at <= ? AND g.lifecycle = 'active' ORDER BY p.planned_at, p.id LIMIT ?`+lock), ms(db.now()), limit)
		if err != nil {
			return fmt.Errorf("find due pushes: %w", err)
		}
		var acts []chat.Action
		var ids []int64
		err = eachRow(rows, err, func(r *sql.Rows) error {
			var id int64
			var a chat.Action
			var card content.ScriptCard
			if err := r.Scan(&id, &a.Connection, &a.Group, &a.Text, &card.LinkURL, &card.LinkTitle, &card.MediaURL); err != nil {
				return err
			}
			a.Text += card.Suffix()
			a.Key, a.Kind, a.Reason = fmt.Sprintf("push:%d", id), chat.ActSend, "push"
			acts = append(acts, a)
			ids = append(ids, id)
			return nil
		})
		if err != nil {
			return fmt.Errorf("find due pushes: %w", err)
		}
		if acts, err = db.pushesSent(ctx, tx, ids, acts); err != nil {
			return err
		}
		if err := enqueue(ctx, db, tx, acts, db.now()); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET status = 'sent', sent_at = ? WHERE id = ?"), ms(db.now()), id); err != nil {
				return fmt.Errorf("mark push sent: %w", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// OrgPushes lists the organisation's pushes planned or sent from from
// (included) to to (excluded), by planned time.
func (db *DB) OrgPushes(ctx context.Context, orgID int64, from, to time.Time) ([]content.PlannedPush, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.org_id, p.script_id, p.group_id, p.slot, p.want_at, p.planned_at, p.status, p.reason, COALESCE(p.duty_person, 0), p.created_at, p.sent_at,
			s.title, g.name, COALESCE(dp.name, '')
		FROM pushes p JOIN scripts s ON s.id = p.script_id JOIN chat_groups g ON g.id = p.group_id LEFT JOIN people dp ON dp.id = p.duty_person
		WHERE p.org_id = ? AND ((p.planned_at >= ? AND p.planned_at < ?) OR (p.sent_at >= ? AND p.sent_at < ?))
		ORDER BY p.planned_at, p.id`), orgID, ms(from), ms(to), ms(from), ms(to))
	out, err := scanAll(rows, err, func(r *sql.Rows, p *content.PlannedPush) error {
		var want, planned, created int64
		var sent sql.NullInt64
		var status string
		if err := r.Scan(&p.ID, &p.OrgID, &p.ScriptID, &p.GroupID, &p.Slot, &want, &planned, &status, &p.Reason, &p.DutyPerson, &created, &sent,
			&p.Title, &p.Group, &p.DutyName); err != nil {
			return err
		}
		p.WantAt, p.PlannedAt, p.Status, p.CreatedAt, p.SentAt = fromMS(want), fromMS(planned), content.PushStatus(status), fromMS(created), fromNullMS(sent)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("organisation pushes: %w", err)
	}
	return out, nil
}
