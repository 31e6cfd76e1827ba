package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// The join gate's checks (table gate_checks): written in the ingest
// transaction by the member bot (pipeline.Gates), ended here — by the
// sweep when a newcomer's time is up, or by staff in the console.

var _ pipeline.Gates = (*ingestTx)(nil)

// OpenGate records a newcomer's check, replacing an earlier one of the
// member in the group.
func (t *ingestTx) OpenGate(ctx context.Context, c pipeline.GateCheck) error {
	var due any
	if !c.Due.IsZero() {
		due = ms(c.Due)
	}
	muted := 0
	if c.Muted {
		muted = 1
	}
	_, err := t.tx.ExecContext(ctx, t.db.q(`INSERT INTO gate_checks (group_id, person_id, user_id, name, mode, code, lang, muted, due_at, created_at, passed_at, removed_at, decided_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, '')
		ON CONFLICT (group_id, person_id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, mode = excluded.mode, code = excluded.code,
		lang = excluded.lang, muted = excluded.muted, due_at = excluded.due_at, created_at = excluded.created_at, passed_at = NULL, removed_at = NULL, decided_by = ''`),
		c.GroupID, c.PersonID, c.User, c.Name, c.Mode, c.Code, c.Lang, muted, due, ms(c.At))
	if err != nil {
		return fmt.Errorf("open gate check: %w", err)
	}
	return nil
}

// PendingGate returns a member's check in a group that is neither passed
// nor ended.
func (t *ingestTx) PendingGate(ctx context.Context, groupID, personID int64) (pipeline.GateCheck, bool, error) {
	c := pipeline.GateCheck{GroupID: groupID, PersonID: personID}
	var due sql.NullInt64
	var at, muted int64
	err := t.tx.QueryRowContext(ctx, t.db.q(`SELECT user_id, name, mode, code, lang, muted, due_at, created_at FROM gate_checks
		WHERE group_id = ? AND person_id = ? AND passed_at IS NULL AND removed_at IS NULL`), groupID, personID).
		Scan(&c.User, &c.Name, &c.Mode, &c.Code, &c.Lang, &muted, &due, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read gate check: %w", err)
	}
	c.Muted, c.At = muted != 0, fromMS(at)
	if due.Valid {
		c.Due = fromMS(due.Int64)
	}
	return c, true, nil
}

// PassGate marks a member's pending check passed.
func (t *ingestTx) PassGate(ctx context.Context, groupID, personID int64, at time.Time, by string) error {
	if _, err := t.tx.ExecContext(ctx, t.db.q(`UPDATE gate_checks SET passed_at = ?, decided_by = ?
		WHERE group_id = ? AND person_id = ? AND passed_at IS NULL AND removed_at IS NULL`), ms(at), by, groupID, personID); err != nil {
		return fmt.Errorf("pass gate check: %w", err)
	}
	return nil
}

// OrgStaff reports whether a person is staff of the organisation: staff
// of one of its groups they are in, or a staff identity.
func (t *ingestTx) OrgStaff(ctx context.Context, orgID, personID int64) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, t.db.q(`SELECT COUNT(*) FROM (
		SELECT 1 AS x FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE m.person_id = ? AND g.org_id = ? AND m.left_at IS NULL AND m.role IN (?, ?, ?)
		UNION ALL SELECT 1 AS x FROM identities WHERE person_id = ? AND staff = TRUE) s`),
		personID, orgID, string(community.RoleOwner), string(community.RoleSecretary), string(community.RoleAssistant), personID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("find staff roles: %w", err)
	}
	return n > 0, nil
}

// WaitingAtGate lists the newcomers waiting at a group's gate (still in
// the group), the longest waiting first.
func (db *DB) WaitingAtGate(ctx context.Context, orgID, groupID int64) ([]memberbot.Waiting, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT c.person_id, c.name, c.mode, c.due_at, c.created_at FROM gate_checks c
		JOIN chat_groups g ON g.id = c.group_id
		WHERE c.group_id = ? AND g.org_id = ? AND c.passed_at IS NULL AND c.removed_at IS NULL
		AND EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = c.group_id AND m.person_id = c.person_id AND m.left_at IS NULL)
		ORDER BY c.created_at, c.person_id LIMIT 500`), groupID, orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, w *memberbot.Waiting) error {
		var due sql.NullInt64
		var at int64
		if err := r.Scan(&w.PersonID, &w.Name, &w.Mode, &due, &at); err != nil {
			return err
		}
		w.Due, w.At = fromNullMS(due), fromMS(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list waiting at the gate: %w", err)
	}
	return out, nil
}

// gateRow is a pending check with where to act on it.
type gateRow struct {
	orgID, group, person int64
	conn, ext, user      string
	name, lang           string
	muted                bool
	created              int64
}

func pendingGate(ctx context.Context, db *DB, tx *sql.Tx, orgID, groupID, personID int64) (gateRow, error) {
	r := gateRow{group: groupID, person: personID}
	var muted int64
	err := tx.QueryRowContext(ctx, db.q(`SELECT g.org_id, g.connection, g.external_id, c.user_id, c.name, c.lang, c.muted, c.created_at FROM gate_checks c
		JOIN chat_groups g ON g.id = c.group_id
		WHERE c.group_id = ? AND c.person_id = ? AND g.org_id = ? AND c.passed_at IS NULL AND c.removed_at IS NULL`), groupID, personID, orgID).
		Scan(&r.orgID, &r.conn, &r.ext, &r.user, &r.name, &r.lang, &muted, &r.created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errkind.Errorf(errkind.NotFound, "no one waiting at the gate of group %d as person %d", groupID, personID)
	}
	if err != nil {
		return r, fmt.Errorf("find gate check: %w", err)
	}
	r.muted = muted != 0
	return r, nil
}

func (r gateRow) key(what string) string {
	return fmt.Sprintf("gate:%d:%d:%d:%s", r.group, r.person, r.created, what)
}

// LetInAtGate lets a waiting newcomer in: their check is passed, their
// mute lifted, and the welcome that welcome writes for them (if any: nil,
// or an empty text, is none) posted to the group, mentioning them.
func (db *DB) LetInAtGate(ctx context.Context, orgID, groupID, personID int64, welcome func(chat.User) (string, []chat.Mention), actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := pendingGate(ctx, db, tx, orgID, groupID, personID)
		if err != nil {
			return err
		}
		now := db.now()
		var acts []chat.Action
		if r.muted {
			acts = append(acts, chat.Action{Key: r.key("unmute"), Connection: r.conn, Kind: chat.ActUnmute, Group: r.ext, User: r.user, Reason: "gate"})
		}
		if welcome != nil {
			if text, mentions := welcome(chat.User{ID: r.user, Name: r.name}); text != "" {
				acts = append(acts, chat.Action{Key: r.key("welcome"), Connection: r.conn, Kind: chat.ActSend, Group: r.ext, Text: text, Mentions: mentions, Reason: "welcome"})
			}
		}
		if err := enqueue(ctx, db, tx, acts, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE gate_checks SET passed_at = ?, decided_by = ? WHERE group_id = ? AND person_id = ?"), ms(now), actor, groupID, personID); err != nil {
			return fmt.Errorf("pass gate check: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "bot.gate.let_in", Subject: fmt.Sprintf("person:%d", personID),
			Detail: community.Detail("group", groupID, "unmuted", r.muted)})
	})
}

// RemoveAtGate removes a waiting newcomer from the group (staff's
// decision in the console).
func (db *DB) RemoveAtGate(ctx context.Context, orgID, groupID, personID int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		r, err := pendingGate(ctx, db, tx, orgID, groupID, personID)
		if err != nil {
			return err
		}
		reason := community.Say(r.lang, "入群验证未通过（管理员决定），已移出。", "not let in by an admin at the join gate: removed.")
		if err := removeAtGate(ctx, db, tx, r, reason, actor); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "bot.gate.remove", Subject: fmt.Sprintf("person:%d", personID),
			Detail: community.Detail("group", groupID)})
	})
}

// removeAtGate queues a newcomer's removal (a kick, and a notice naming
// them), records it, and ends their check.
func removeAtGate(ctx context.Context, db *DB, tx *sql.Tx, r gateRow, reason, actor string) error {
	now := db.now()
	acts := []chat.Action{
		{Key: r.key("kick"), Connection: r.conn, Kind: chat.ActKick, Group: r.ext, User: r.user, Reason: reason},
		{Key: r.key("notice"), Connection: r.conn, Kind: chat.ActSend, Group: r.ext, Text: r.name + " " + reason},
	}
	if err := enqueue(ctx, db, tx, acts, now); err != nil {
		return err
	}
	if err := recordModeration(ctx, db, tx, community.ModerationAction{OrgID: r.orgID, GroupID: r.group, PersonID: r.person, Action: chat.ActKick,
		Rule: "gate", Category: "gate", Reason: reason, Actor: actor, CreatedAt: now}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.q("UPDATE gate_checks SET removed_at = ?, decided_by = ? WHERE group_id = ? AND person_id = ?"), ms(now), actor, r.group, r.person); err != nil {
		return fmt.Errorf("end gate check: %w", err)
	}
	return nil
}

// SweepGates removes the newcomers whose time at the gate is up without
// passing (a check of one who left meanwhile just ends). It returns how
// many were removed. Called every few seconds by the scheduler: the due
// time is stored, so a restart loses no timeout.
func (db *DB) SweepGates(ctx context.Context) (int, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT c.group_id, c.person_id, g.org_id FROM gate_checks c JOIN chat_groups g ON g.id = c.group_id
		WHERE c.due_at <= ? AND c.passed_at IS NULL AND c.removed_at IS NULL ORDER BY c.due_at LIMIT 500`), ms(db.now()))
	type due struct{ group, person, org int64 }
	list, err := scanAll(rows, err, func(r *sql.Rows, d *due) error { return r.Scan(&d.group, &d.person, &d.org) })
	if err != nil {
		return 0, fmt.Errorf("due gate checks: %w", err)
	}
	removed := 0
	for _, d := range list {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			r, err := pendingGate(ctx, db, tx, d.org, d.group, d.person)
			if errkind.Is(err, errkind.NotFound) {
				return nil // passed meanwhile
			}
			if err != nil {
				return err
			}
			var in int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM memberships WHERE group_id = ? AND person_id = ? AND left_at IS NULL"), d.group, d.person).Scan(&in); err != nil {
				return fmt.Errorf("find membership: %w", err)
			}
			if in == 0 {
				_, err := tx.ExecContext(ctx, db.q("UPDATE gate_checks SET removed_at = ?, decided_by = 'left' WHERE group_id = ? AND person_id = ?"), ms(db.now()), d.group, d.person)
				return err
			}
			removed++
			return removeAtGate(ctx, db, tx, r, community.Say(r.lang, "未在时限内完成入群验证，已移出。", "did not pass the join check in time: removed."), "rules")
		})
		if err != nil {
			return removed, fmt.Errorf("sweep gate check of person %d in group %d: %w", d.person, d.group, err)
		}
	}
	return removed, nil
}
