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
)

// FileReport records a member's report of a message and returns the case:
// who is reported and how many distinct members reported the message. A
// report of an unknown message, or of one's own message, is ignored (ok
// false).
func (t *ingestTx) FileReport(ctx context.Context, g community.Group, messageID string, replyAt time.Time, reporter int64) (community.ReportCase, bool, error) {
	var rc community.ReportCase
	var row, person int64
	err := t.row(ctx, "SELECT id, person_id FROM messages WHERE id = ("+messageByID+")", g.ID, reachedFrom(replyAt), messageID).Scan(&row, &person)
	if errors.Is(err, sql.ErrNoRows) {
		return rc, false, nil
	}
	if err != nil {
		return rc, false, fmt.Errorf("find reported message: %w", err)
	}
	if person == reporter {
		return rc, false, nil
	}
	now := ms(t.db.now())
	if _, err := t.exec(ctx, `INSERT INTO reports (org_id, group_id, message_id, person_id, reporter_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id, message_id, reporter_id) DO NOTHING`, g.OrgID, g.ID, messageID, person, reporter, now); err != nil {
		return rc, false, fmt.Errorf("file report: %w", err)
	}
	var n int
	if err := t.row(ctx, "SELECT COUNT(*) FROM reports WHERE group_id = ? AND message_id = ?", g.ID, messageID).Scan(&n); err != nil {
		return rc, false, fmt.Errorf("count reports: %w", err)
	}
	if _, err := t.exec(ctx, `INSERT INTO report_cases (org_id, group_id, message_id, message_row, person_id, reports, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id, message_id) DO UPDATE SET reports = excluded.reports`, g.OrgID, g.ID, messageID, row, person, n, now); err != nil {
		return rc, false, fmt.Errorf("open report case: %w", err)
	}
	var hidden bool
	if err := t.row(ctx, "SELECT id, hidden FROM report_cases WHERE group_id = ? AND message_id = ?", g.ID, messageID).Scan(&rc.ID, &hidden); err != nil {
		return rc, false, fmt.Errorf("read report case: %w", err)
	}
	rc.PersonID, rc.Reports, rc.Hidden = person, n, hidden
	return rc, true, nil
}

// HideReported marks a case's message hidden pending review.
func (t *ingestTx) HideReported(ctx context.Context, caseID int64) error {
	if _, err := t.exec(ctx, "UPDATE report_cases SET hidden = ? WHERE id = ?", true, caseID); err != nil {
		return fmt.Errorf("hide reported message: %w", err)
	}
	return nil
}

// ReportCases lists an organisation's cases of a status, oldest first.
func (db *DB) ReportCases(ctx context.Context, orgID int64, status string) ([]community.ReportCase, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT c.id, c.group_id, c.message_id, c.person_id, COALESCE(m.text, ''), c.reports, c.hidden, c.status, c.decided_by, c.note, c.created_at
		FROM report_cases c LEFT JOIN messages m ON m.id = c.message_row AND m.group_id = c.group_id AND m.external_id = c.message_id
		WHERE c.org_id = ? AND c.status = ? ORDER BY c.id`), orgID, status)
	out, err := scanAll(rows, err, scanReportCase)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return out, nil
}

// ReportCase reads one of an organisation's cases, whatever its status.
func (db *DB) ReportCase(ctx context.Context, orgID, id int64) (community.ReportCase, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT c.id, c.group_id, c.message_id, c.person_id, COALESCE(m.text, ''), c.reports, c.hidden, c.status, c.decided_by, c.note, c.created_at
		FROM report_cases c LEFT JOIN messages m ON m.id = c.message_row AND m.group_id = c.group_id AND m.external_id = c.message_id
		WHERE c.org_id = ? AND c.id = ?`), orgID, id)
	out, err := scanAll(rows, err, scanReportCase)
	if err != nil {
		return community.ReportCase{}, fmt.Errorf("read report: %w", err)
	}
	if len(out) == 0 {
		return community.ReportCase{}, errkind.Errorf(errkind.NotFound, "report %d not found", id)
	}
	return out[0], nil
}

func scanReportCase(r *sql.Rows, c *community.ReportCase) error {
	var created int64
	if err := r.Scan(&c.ID, &c.GroupID, &c.MessageID, &c.PersonID, &c.Text, &c.Reports, &c.Hidden, &c.Status, &c.DecidedBy, &c.Note, &created); err != nil {
		return err
	}
	c.CreatedAt = fromMS(created)
	return nil
}

// DecideReport closes a case: upheld (with an action on the member: warn,
// kick or ban across the organisation) or dismissed.
func (db *DB) DecideReport(ctx context.Context, orgID, caseID int64, uphold bool, action chat.ActionKind, note, actor string) error {
	if uphold && action != "" && action != chat.ActSend && action != chat.ActKick && action != chat.ActBan && action != chat.ActDelete {
		return errkind.Errorf(errkind.Invalid, "action: want send (a warning), delete, kick or ban, got %q", action)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var c community.ReportCase
		var conn, groupExt string
		err := tx.QueryRowContext(ctx, db.q(`SELECT c.group_id, c.message_id, c.person_id, c.status, g.connection, g.external_id FROM report_cases c JOIN chat_groups g ON g.id = c.group_id
			WHERE c.org_id = ? AND c.id = ?`), orgID, caseID).Scan(&c.GroupID, &c.MessageID, &c.PersonID, &c.Status, &conn, &groupExt)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "report %d not found", caseID)
		}
		if err != nil {
			return fmt.Errorf("find report: %w", err)
		}
		if c.Status != "open" {
			return errkind.Errorf(errkind.Conflict, "report %d was %s already", caseID, c.Status)
		}
		status := "dismissed"
		if uphold {
			status = "upheld"
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE report_cases SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?"), status, actor, ms(db.now()), note, caseID); err != nil {
			return fmt.Errorf("decide report: %w", err)
		}
		if uphold && action != "" {
			var user string
			tx.QueryRowContext(ctx, db.q("SELECT external_id FROM identities WHERE person_id = ? AND connection = ?"), c.PersonID, conn).Scan(&user)
			a := chat.Action{Key: fmt.Sprintf("report:%d:%s", caseID, action), Connection: conn, Kind: action, Group: groupExt, User: user, Reason: note}
			switch action {
			case chat.ActSend:
				a.Text, a.User = note, ""
			case chat.ActDelete:
				a.MessageID, a.User = c.MessageID, ""
			case chat.ActBan:
				if err := addOrgBan(ctx, db, tx, orgID, c.PersonID, note, actor); err != nil {
					return err
				}
			}
			if err := enqueue(ctx, db, tx, []chat.Action{a}, db.now()); err != nil {
				return err
			}
			if err := recordModeration(ctx, db, tx, community.ModerationAction{OrgID: orgID, GroupID: c.GroupID, PersonID: c.PersonID, MessageID: c.MessageID, Action: action, Rule: "report", Category: "report", Reason: note, Actor: actor}); err != nil {
				return err
			}
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "report." + status, Subject: fmt.Sprintf("report:%d", caseID), Detail: community.Detail("action", action, "note", note)})
	})
}

// FileAppeal records a removed member's appeal.
func (db *DB) FileAppeal(ctx context.Context, orgID, personID int64, text string) (int64, error) {
	if text == "" {
		return 0, errkind.New(errkind.Invalid, "text: say why the decision should change")
	}
	var id int64
	err := db.scanWrite(ctx, db.q("INSERT INTO appeals (org_id, person_id, text, created_at) VALUES (?, ?, ?, ?) RETURNING id"), []any{orgID, personID, text, ms(db.now())}, &id)
	if err != nil {
		return 0, fmt.Errorf("file appeal: %w", classify(err))
	}
	return id, nil
}

// DecideAppeal accepts (lifting the member's organisation ban) or rejects
// an appeal.
func (db *DB) DecideAppeal(ctx context.Context, orgID, appealID int64, accept bool, note, actor string) error {
	var person int64
	var status string
	err := db.sql.QueryRowContext(ctx, db.q("SELECT person_id, status FROM appeals WHERE org_id = ? AND id = ?"), orgID, appealID).Scan(&person, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return errkind.Errorf(errkind.NotFound, "appeal %d not found", appealID)
	}
	if err != nil {
		return fmt.Errorf("find appeal: %w", err)
	}
	if status != "open" {
		return errkind.Errorf(errkind.Conflict, "appeal %d was %s already", appealID, status)
	}
	if accept {
		if _, err := db.LiftBan(ctx, orgID, person, actor); err != nil && !errkind.Is(err, errkind.NotFound) {
			return err
		}
		status = "accepted"
	} else {
		status = "rejected"
	}
	if _, err := db.exec(ctx, db.q("UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?"), status, actor, ms(db.now()), note, appealID); err != nil {
		return fmt.Errorf("decide appeal: %w", err)
	}
	return db.AppendAudit(ctx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "appeal." + status, Subject: fmt.Sprintf("person:%d", person), Detail: community.Detail("appeal", appealID, "note", note)})
}

// Appeals lists an organisation's appeals, newest first ("" for every
// status).
func (db *DB) Appeals(ctx context.Context, orgID int64, status string) ([]community.Appeal, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT a.id, a.person_id, p.name, a.text, a.status, a.decided_by, a.note, a.created_at,
			EXISTS (SELECT 1 FROM org_bans b WHERE b.org_id = a.org_id AND b.person_id = a.person_id AND b.lifted_at IS NULL)
		FROM appeals a JOIN people p ON p.id = a.person_id WHERE a.org_id = ? AND (? = '' OR a.status = ?) ORDER BY a.id DESC LIMIT 1000`), orgID, status, status)
	out, err := scanAll(rows, err, func(r *sql.Rows, a *community.Appeal) error {
		var created int64
		if err := r.Scan(&a.ID, &a.PersonID, &a.Person, &a.Text, &a.Status, &a.DecidedBy, &a.Note, &created, &a.Banned); err != nil {
			return err
		}
		a.CreatedAt = fromMS(created)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list appeals: %w", err)
	}
	return out, nil
}
