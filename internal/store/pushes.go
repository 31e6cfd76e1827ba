package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// SetPushPolicy gives the store what planning and sending pushes ask of
// the running service: each group's own rules (quiet hours, caps) and
// which platform connections run. Call it before serving; without it no
// group has quiet hours, caps are the defaults and every connection is
// taken as running.
func (db *DB) SetPushPolicy(p content.Policy) { db.policy = p }

// pushGroup reads the group a push goes to.
func pushGroup(ctx context.Context, db *DB, q queryer, orgID, groupID int64) (community.Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, db.q("SELECT "+groupCols+" FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return g, errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
	}
	if err != nil {
		return g, fmt.Errorf("find group: %w", err)
	}
	return g, nil
}

// limits are what a push to g must respect: the group's own rules, its
// slots, and what the request adds.
func (db *DB) limits(ctx context.Context, q queryer, g community.Group, caps content.Caps, window community.Window, horizon time.Duration) (content.Limits, error) {
	cfg, err := slotsFor(ctx, db, q, g.OrgID, g.ID)
	if err != nil {
		return content.Limits{}, err
	}
	return content.LimitsFor(db.policy.RulesFor(g), cfg.SlotSet, caps, window, horizon), nil
}

// taken lists the planned and sent pushes of a group around want (but
// push except), for fitting a push beside them.
func taken(ctx context.Context, db *DB, tx *sql.Tx, groupID, except int64, want time.Time, horizon time.Duration) ([]time.Time, error) {
	if horizon <= 0 {
		horizon = content.DefaultHorizon
	}
	// Serialise planners of the same group on PostgreSQL (SQLite
	// transactions already are).
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(1, $1::int)", int32(groupID)); err != nil {
			return nil, fmt.Errorf("lock group schedule: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, db.q("SELECT planned_at FROM pushes WHERE group_id = ? AND id <> ? AND status IN ('planned', 'sent') AND planned_at >= ? AND planned_at <= ?"),
		groupID, except, ms(want.Add(-48*time.Hour)), ms(want.Add(horizon+48*time.Hour)))
	out, err := scanAll(rows, err, scanTime)
	if err != nil {
		return nil, fmt.Errorf("read schedule: %w", err)
	}
	return out, nil
}

// PlanPush fits a push into the group's day and records it: planned
// (possibly deferred to a later peak, with the reasons) or dropped when no
// peak within the horizon fits. The group's quiet hours and caps come from
// its own rules (SetPushPolicy) unless the request names caps; a window
// in the request narrows the quiet hours. They are never violated. A push
// of the same script to the group at the same time that was cancelled or
// skipped is planned again in its place; one still planned or sent is a
// conflict.
func (db *DB) PlanPush(ctx context.Context, r content.PushRequest) (content.Push, error) {
	p := content.Push{OrgID: r.OrgID, ScriptID: r.ScriptID, GroupID: r.GroupID, Slot: r.Slot, WantAt: r.Want, DutyPerson: r.DutyPerson, CreatedAt: db.now()}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s, err := getScript(ctx, db, tx, r.OrgID, r.ScriptID)
		if err != nil {
			return err
		}
		if !s.Status.Pushable() {
			return errkind.Errorf(errkind.Conflict, "script %d is %s: %w", s.ID, s.Status, content.ErrNotApproved)
		}
		g, err := pushGroup(ctx, db, tx, r.OrgID, r.GroupID)
		if err != nil {
			return err
		}
		if g.Lifecycle != community.Active {
			return errkind.Errorf(errkind.Conflict, "group %d is %s: pushes stop for archived groups", r.GroupID, g.Lifecycle)
		}
		lim, err := db.limits(ctx, tx, g, r.Caps, r.Window, r.Horizon)
		if err != nil {
			return err
		}
		busy, err := taken(ctx, db, tx, g.ID, 0, r.Want, lim.Horizon)
		if err != nil {
			return err
		}
		if p.DutyPerson == 0 {
			// The group's duty roster (or its assistants) take turns
			// following pushes up.
			if p.DutyPerson, err = dutyFor(ctx, db, tx, r.GroupID, 0); err != nil {
				return err
			}
		}
		plan, ok := content.Fit(r.Want, busy, lim)
		p.Status, p.PlannedAt, p.Reason = content.PushPlanned, plan.At, plan.Reason
		if !ok {
			p.Status, p.PlannedAt, p.Reason = content.PushDropped, r.Want, content.JoinReasons(content.ReasonNoFit, plan.Reason)
		}
		var old int64
		var oldStatus string
		err = tx.QueryRowContext(ctx, db.q("SELECT id, status FROM pushes WHERE script_id = ? AND group_id = ? AND want_at = ?"), r.ScriptID, r.GroupID, ms(r.Want)).Scan(&old, &oldStatus)
		switch {
		case err == nil && (oldStatus == string(content.PushCancelled) || oldStatus == string(content.PushSkipped)):
			p.ID = old
			_, err = tx.ExecContext(ctx, db.q("UPDATE pushes SET slot = ?, planned_at = ?, status = ?, reason = ?, duty_person = ?, created_at = ?, sent_at = NULL WHERE id = ?"),
				p.Slot, ms(p.PlannedAt), string(p.Status), p.Reason, nullID(p.DutyPerson), ms(p.CreatedAt), old)
			if err != nil {
				return fmt.Errorf("record push: %w", err)
			}
		case err == nil:
			return errkind.Errorf(errkind.Conflict, "script %d is already %s for group %d at %s", r.ScriptID, oldStatus, r.GroupID, r.Want.Format(time.RFC3339))
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("find push: %w", err)
		default:
			err = tx.QueryRowContext(ctx, db.q(`INSERT INTO pushes (org_id, script_id, group_id, slot, want_at, planned_at, status, reason, duty_person, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				p.OrgID, p.ScriptID, p.GroupID, p.Slot, ms(p.WantAt), ms(p.PlannedAt), string(p.Status), p.Reason, nullID(p.DutyPerson), ms(p.CreatedAt)).Scan(&p.ID)
			if err != nil {
				return fmt.Errorf("record push: %w", classify(err))
			}
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

// openPushTx reads a push of the organisation that is still open.
func openPushTx(ctx context.Context, db *DB, tx *sql.Tx, orgID, id int64) (content.Push, error) {
	var p content.Push
	var want, planned, created int64
	var status string
	err := tx.QueryRowContext(ctx, db.q("SELECT id, org_id, script_id, group_id, slot, want_at, planned_at, status, reason, COALESCE(duty_person, 0), created_at FROM pushes WHERE org_id = ? AND id = ?"), orgID, id).
		Scan(&p.ID, &p.OrgID, &p.ScriptID, &p.GroupID, &p.Slot, &want, &planned, &status, &p.Reason, &p.DutyPerson, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errkind.Errorf(errkind.NotFound, "push %d not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("find push %d: %w", id, err)
	}
	p.WantAt, p.PlannedAt, p.Status, p.CreatedAt = fromMS(want), fromMS(planned), content.PushStatus(status), fromMS(created)
	if !p.Status.Open() {
		return p, errkind.Errorf(errkind.Conflict, "push %d is %s: only a planned push can be cancelled or moved", id, p.Status)
	}
	return p, nil
}

// MovePush moves an open push to another wanted time (and slot, "" for an
// exact time) and fits it into the group's day again, as PlanPush does. A
// time where nothing fits is refused (content.ErrNoFit) and the push
// stays as it was. Audited as push.move.
func (db *DB) MovePush(ctx context.Context, orgID, id int64, want time.Time, slot, actor string) (content.Push, error) {
	var p content.Push
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = openPushTx(ctx, db, tx, orgID, id); err != nil {
			return err
		}
		s, err := getScript(ctx, db, tx, orgID, p.ScriptID)
		if err != nil {
			return err
		}
		if !s.Status.Pushable() {
			return errkind.Errorf(errkind.Conflict, "script %d is %s: %w", s.ID, s.Status, content.ErrNotApproved)
		}
		g, err := pushGroup(ctx, db, tx, orgID, p.GroupID)
		if err != nil {
			return err
		}
		if g.Lifecycle != community.Active {
			return errkind.Errorf(errkind.Conflict, "group %d is %s: pushes stop for archived groups", g.ID, g.Lifecycle)
		}
		lim, err := db.limits(ctx, tx, g, content.Caps{}, community.Window{}, 0)
		if err != nil {
			return err
		}
		busy, err := taken(ctx, db, tx, g.ID, p.ID, want, lim.Horizon)
		if err != nil {
			return err
		}
		plan, ok := content.Fit(want, busy, lim)
		if !ok {
			return errkind.Errorf(errkind.Conflict, "%w (%s)", content.ErrNoFit, plan.Reason)
		}
		var other int64
		err = tx.QueryRowContext(ctx, db.q("SELECT id FROM pushes WHERE script_id = ? AND group_id = ? AND want_at = ? AND id <> ?"), p.ScriptID, p.GroupID, ms(want), p.ID).Scan(&other)
		if err == nil {
			return errkind.Errorf(errkind.Conflict, "push %d of the same script to the group was planned for that time before: pick another time", other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find push: %w", err)
		}
		from := p.PlannedAt
		p.WantAt, p.PlannedAt, p.Slot, p.Status, p.Reason = want, plan.At, slot, content.PushPlanned, plan.Reason
		if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET want_at = ?, planned_at = ?, slot = ?, status = 'planned', reason = ? WHERE id = ?"),
			ms(p.WantAt), ms(p.PlannedAt), p.Slot, p.Reason, p.ID); err != nil {
			return fmt.Errorf("move push: %w", err)
		}
		detail, _ := json.Marshal(map[string]any{"group": p.GroupID, "script": p.ScriptID, "from": from, "want": want, "planned": p.PlannedAt, "reason": p.Reason})
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "push.move", Subject: fmt.Sprintf("push:%d", p.ID), Detail: string(detail)})
	})
	return p, err
}

// CancelPush cancels an open push: it will not go out, and shows as
// cancelled. Audited as push.cancel.
func (db *DB) CancelPush(ctx context.Context, orgID, id int64, actor string) (content.Push, error) {
	var p content.Push
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = openPushTx(ctx, db, tx, orgID, id); err != nil {
			return err
		}
		p.Status, p.Reason = content.PushCancelled, content.ReasonCancelled
		if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET status = ?, reason = ? WHERE id = ?"), string(p.Status), p.Reason, p.ID); err != nil {
			return fmt.Errorf("cancel push: %w", err)
		}
		detail, _ := json.Marshal(map[string]any{"group": p.GroupID, "script": p.ScriptID, "planned": p.PlannedAt})
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "push.cancel", Subject: fmt.Sprintf("push:%d", p.ID), Detail: string(detail)})
	})
	return p, err
}

// dutyFor picks who is on duty for a push of the group: round robin over
// its duty roster (the current members of it), else over its current
// assistants (by person id), by the number of the group's pushes before
// it (all of them for a new push, except 0); 0 when nobody is there.
func dutyFor(ctx context.Context, db *DB, q queryer, groupID, push int64) (int64, error) {
	people, err := rosterOf(ctx, db, q, groupID)
	if err != nil {
		return 0, err
	}
	var seq int
	query := "SELECT COUNT(*) FROM pushes WHERE group_id = ?"
	args := []any{groupID}
	if push != 0 {
		query += " AND id < ?"
		args = append(args, push)
	}
	if err := q.QueryRowContext(ctx, db.q(query), args...).Scan(&seq); err != nil {
		return 0, fmt.Errorf("who is on duty: %w", err)
	}
	id, _ := content.Rotation(people, seq)
	return id, nil
}

// assistantsQuery lists a group's current assistants through
// memberships_staff (migration 0033; TestStaffQueriesUseTheirIndex).
func (db *DB) assistantsQuery() string {
	return "SELECT person_id FROM memberships" + db.indexedBy("memberships_staff") + " WHERE role <> 'member' AND role = 'assistant' AND left_at IS NULL AND group_id = ? ORDER BY person_id"
}

// rosterOf lists who takes turns in a group: the current members of its
// duty roster in order, else its current assistants by person id.
func rosterOf(ctx context.Context, db *DB, q queryer, groupID int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT r.person_id FROM duty_rosters r WHERE r.group_id = ?
		AND EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = r.group_id AND m.person_id = r.person_id AND m.left_at IS NULL) ORDER BY r.position`), groupID)
	people, err := scanAll(rows, err, scanInt64)
	if err != nil {
		return nil, fmt.Errorf("duty roster: %w", err)
	}
	if len(people) > 0 {
		return people, nil
	}
	rows, err = q.QueryContext(ctx, db.q(db.assistantsQuery()), groupID)
	people, err = scanAll(rows, err, scanInt64)
	if err != nil {
		return nil, fmt.Errorf("assistants on duty: %w", err)
	}
	return people, nil
}

// Pushes lists a group's pushes between two times, by planned time.
func (db *DB) Pushes(ctx context.Context, groupID int64, from, to time.Time) ([]content.Push, error) {
	// The receipt comes from the push's send action in the outbox.
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.org_id, p.script_id, p.group_id, p.slot, p.want_at, p.planned_at, p.status, p.reason, COALESCE(p.duty_person, 0), p.created_at, p.sent_at,
			COALESCE(o.status, ''), o.done_at, COALESCE(o.last_error, ''), `+pendingCols+`
		FROM pushes p LEFT JOIN outbox o ON o.idem_key = 'push:' || CAST(p.id AS TEXT)
		WHERE p.group_id = ? AND p.planned_at >= ? AND p.planned_at < ? ORDER BY p.planned_at, p.id`), groupID, ms(from), ms(to))
	out, err := scanAll(rows, err, func(r *sql.Rows, p *content.Push) error {
		var want, planned, created int64
		var sent, delivered sql.NullInt64
		var status string
		if err := r.Scan(&p.ID, &p.OrgID, &p.ScriptID, &p.GroupID, &p.Slot, &want, &planned, &status, &p.Reason, &p.DutyPerson, &created, &sent,
			&p.Delivery, &delivered, &p.DeliveryError, &p.PendingFor, &p.PendingReason); err != nil {
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
	res, err := db.exec(ctx, db.q(`INSERT INTO job_leases (name, holder, lease_until) VALUES (?, ?, ?)
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
// exactly once however many replicas call this. Each is checked first, as
// it is now: a push whose script is no longer approved, whose group was
// archived or whose connection is not running is skipped with the reason
// (content.SkipReason, audited as push.skipped); one that would go out in
// the group's quiet hours (its rules changed, or the scheduler was down)
// moves to the next peak that fits, or is dropped. It returns how many
// went.
func (db *DB) SendDuePushes(ctx context.Context, limit int) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		lock := ""
		if db.dialect == Postgres {
			lock = " FOR UPDATE OF p SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT `+prefixed("g.", groupCols)+`, p.id, p.reason, s.status, s.body, COALESCE(c.link_url, ''), COALESCE(c.link_title, ''), COALESCE(c.media_url, '') FROM pushes p
			JOIN chat_groups g ON g.id = p.group_id JOIN scripts s ON s.id = p.script_id LEFT JOIN script_cards c ON c.script_id = s.id
			WHERE p.status = 'planned' AND p.planned_at <= ? ORDER BY p.planned_at, p.id LIMIT ?`+lock), ms(now), limit)
		if err != nil {
			return fmt.Errorf("find due pushes: %w", err)
		}
		type due struct {
			id     int64
			reason string
			script content.Status
			group  community.Group
			act    chat.Action
		}
		var all []due
		err = eachRow(rows, err, func(r *sql.Rows) error {
			var d due
			var status string
			var card content.ScriptCard
			g, err := scanGroup(r, &d.id, &d.reason, &status, &d.act.Text, &card.LinkURL, &card.LinkTitle, &card.MediaURL)
			if err != nil {
				return err
			}
			d.group, d.script = g, content.Status(status)
			d.act.Text += card.Suffix()
			d.act.Key, d.act.Kind, d.act.Reason = fmt.Sprintf("push:%d", d.id), chat.ActSend, "push"
			d.act.Connection, d.act.Group = g.Connection, g.ExternalID
			all = append(all, d)
			return nil
		})
		if err != nil {
			return fmt.Errorf("find due pushes: %w", err)
		}
		var acts []chat.Action
		var ids []int64
		for _, d := range all {
			if why := content.SkipReason(content.Due{Script: d.script, Group: d.group.Lifecycle, Connected: db.policy.IsConnected(d.group.Connection)}); why != "" {
				if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET status = 'skipped', reason = ? WHERE id = ?"), why, d.id); err != nil {
					return fmt.Errorf("skip push: %w", err)
				}
				detail, _ := json.Marshal(map[string]any{"group": d.group.ID, "reason": why})
				if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: d.group.OrgID, Actor: "scheduler", Action: "push.skipped", Subject: fmt.Sprintf("push:%d", d.id), Detail: string(detail)}); err != nil {
					return err
				}
				continue
			}
			lim, err := db.limits(ctx, tx, d.group, content.Caps{}, community.Window{}, 0)
			if err != nil {
				return err
			}
			if lim.Quiet(now) {
				if err := db.deferDue(ctx, tx, d.id, d.group.ID, d.reason, now, lim); err != nil {
					return err
				}
				continue
			}
			if d.act.Text, err = shortenLinks(ctx, db, tx, d.group.OrgID, d.id, d.group.ID, d.act.Text); err != nil {
				return err
			}
			acts = append(acts, d.act)
			ids = append(ids, d.id)
		}
		if acts, err = db.pushesSent(ctx, tx, ids, acts); err != nil {
			return err
		}
		if err := enqueue(ctx, db, tx, acts, now); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET status = 'sent', sent_at = ? WHERE id = ?"), ms(now), id); err != nil {
				return fmt.Errorf("mark push sent: %w", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// deferDue moves a due push that would go out in the group's quiet hours
// to the group's next peak that fits, or drops it when none does.
func (db *DB) deferDue(ctx context.Context, tx *sql.Tx, id, groupID int64, reason string, now time.Time, lim content.Limits) error {
	busy, err := taken(ctx, db, tx, groupID, id, now, lim.Horizon)
	if err != nil {
		return err
	}
	plan, ok := content.Fit(now, busy, lim)
	status, at := content.PushPlanned, plan.At
	why := content.JoinReasons(reason, plan.Reason)
	if !ok {
		status, at, why = content.PushDropped, now, content.JoinReasons(reason, content.ReasonNoFit, plan.Reason)
	}
	if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET status = ?, planned_at = ?, reason = ? WHERE id = ?"), string(status), ms(at), why, id); err != nil {
		return fmt.Errorf("defer push: %w", err)
	}
	return nil
}

// prefixed puts p before each column of a column list.
func prefixed(p, cols string) string { return p + strings.ReplaceAll(cols, ", ", ", "+p) }

// pendingCols read what a push's send action waits for while it is
// pending (the outbox o).
const pendingCols = `CASE WHEN o.status = 'pending' THEN o.pending_for ELSE '' END, CASE WHEN o.status = 'pending' THEN o.pending_reason ELSE '' END`

// plannedPushCols reads a push with its script's title, its group's name,
// the name of who is on duty and the receipt of its send action.
const plannedPushCols = `SELECT p.id, p.org_id, p.script_id, p.group_id, p.slot, p.want_at, p.planned_at, p.status, p.reason, COALESCE(p.duty_person, 0), p.created_at, p.sent_at,
		s.title, g.name, COALESCE(dp.name, ''), COALESCE(o.status, ''), o.done_at, COALESCE(o.last_error, ''), ` + pendingCols + `
	FROM pushes p JOIN scripts s ON s.id = p.script_id JOIN chat_groups g ON g.id = p.group_id LEFT JOIN people dp ON dp.id = p.duty_person
	LEFT JOIN outbox o ON o.idem_key = 'push:' || CAST(p.id AS TEXT)`

func scanPlannedPush(r interface{ Scan(...any) error }, p *content.PlannedPush) error {
	var want, planned, created int64
	var sent, delivered sql.NullInt64
	var status string
	if err := r.Scan(&p.ID, &p.OrgID, &p.ScriptID, &p.GroupID, &p.Slot, &want, &planned, &status, &p.Reason, &p.DutyPerson, &created, &sent,
		&p.Title, &p.Group, &p.DutyName, &p.Delivery, &delivered, &p.DeliveryError, &p.PendingFor, &p.PendingReason); err != nil {
		return err
	}
	p.WantAt, p.PlannedAt, p.Status, p.CreatedAt, p.SentAt = fromMS(want), fromMS(planned), content.PushStatus(status), fromMS(created), fromNullMS(sent)
	p.DeliveredAt = fromNullMS(delivered)
	return nil
}

// OrgPushes lists the organisation's pushes planned or sent from from
// (included) to to (excluded), by planned time, with their receipts.
func (db *DB) OrgPushes(ctx context.Context, orgID int64, from, to time.Time) ([]content.PlannedPush, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(plannedPushCols+`
		WHERE p.org_id = ? AND ((p.planned_at >= ? AND p.planned_at < ?) OR (p.sent_at >= ? AND p.sent_at < ?))
		ORDER BY p.planned_at, p.id`), orgID, ms(from), ms(to), ms(from), ms(to))
	out, err := scanAll(rows, err, func(r *sql.Rows, p *content.PlannedPush) error { return scanPlannedPush(r, p) })
	if err != nil {
		return nil, fmt.Errorf("organisation pushes: %w", err)
	}
	return out, nil
}

// Push returns one of the organisation's pushes.
func (db *DB) Push(ctx context.Context, orgID, id int64) (content.PlannedPush, error) {
	var p content.PlannedPush
	err := scanPlannedPush(db.sql.QueryRowContext(ctx, db.q(plannedPushCols+" WHERE p.org_id = ? AND p.id = ?"), orgID, id), &p)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errkind.Errorf(errkind.NotFound, "push %d not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("push %d: %w", id, err)
	}
	return p, nil
}
