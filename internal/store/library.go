package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var _ content.Library = (*DB)(nil)

func joinTags(tags []string) string {
	var clean []string
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && !strings.Contains(t, ",") {
			clean = append(clean, t)
		}
	}
	return strings.Join(clean, ",")
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func validScript(title, body string) error { return content.CheckScript(title, body) }

func revise(ctx context.Context, db *DB, tx *sql.Tx, s content.Script, editor, note string) error {
	_, err := tx.ExecContext(ctx, db.q("INSERT INTO script_revisions (script_id, title, body, tags, status, editor, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
		s.ID, s.Title, s.Body, joinTags(s.Tags), string(s.Status), editor, note, ms(db.now()))
	if err != nil {
		return fmt.Errorf("save revision: %w", err)
	}
	return nil
}

// CreateScript adds a draft to the library.
func (db *DB) CreateScript(ctx context.Context, s *content.Script) error {
	if err := validScript(s.Title, s.Body); err != nil {
		return err
	}
	if s.Author == "" {
		return errkind.New(errkind.Invalid, "author: required")
	}
	s.Status = content.Draft
	s.CreatedAt = db.now()
	s.UpdatedAt = s.CreatedAt
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q("INSERT INTO scripts (org_id, title, body, tags, author, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
			s.OrgID, s.Title, s.Body, joinTags(s.Tags), s.Author, string(s.Status), ms(s.CreatedAt), ms(s.UpdatedAt)).Scan(&s.ID)
		if err != nil {
			return fmt.Errorf("create script: %w", classify(err))
		}
		editor := s.Author
		if s.CreatedBy != "" {
			editor = s.CreatedBy
		}
		return revise(ctx, db, tx, *s, editor, "created")
	})
}

const scriptCols = "id, org_id, title, body, tags, author, status, reject_reason, lint_override, created_at, updated_at"

func scanScript(sc interface{ Scan(...any) error }) (content.Script, error) {
	var s content.Script
	var tags, status string
	var c, u int64
	err := sc.Scan(&s.ID, &s.OrgID, &s.Title, &s.Body, &tags, &s.Author, &status, &s.RejectReason, &s.LintOverride, &c, &u)
	s.Tags, s.Status, s.CreatedAt, s.UpdatedAt = splitTags(tags), content.Status(status), fromMS(c), fromMS(u)
	return s, err
}

func getScript(ctx context.Context, db *DB, q queryer, orgID, id int64) (content.Script, error) {
	s, err := scanScript(q.QueryRowContext(ctx, db.q("SELECT "+scriptCols+" FROM scripts WHERE org_id = ? AND id = ?"), orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, errkind.Errorf(errkind.NotFound, "script %d not found", id)
	}
	if err != nil {
		return s, fmt.Errorf("get script %d: %w", id, err)
	}
	return s, nil
}

// Script returns one script.
func (db *DB) Script(ctx context.Context, orgID, id int64) (content.Script, error) {
	return getScript(ctx, db, db.sql, orgID, id)
}

// EditScript changes a script's text; published scripts are history and
// cannot change, scheduled ones are unscheduled first. Editing an
// approved script sends it back to a draft: what goes out is what was
// reviewed.
func (db *DB) EditScript(ctx context.Context, orgID, id int64, title, body string, tags []string, editor string) (content.Script, error) {
	if err := validScript(title, body); err != nil {
		return content.Script{}, err
	}
	var s content.Script
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if s, err = getScript(ctx, db, tx, orgID, id); err != nil {
			return err
		}
		if !s.Status.Editable() {
			return errkind.Errorf(errkind.Conflict, "script %d is %s: %w", id, s.Status, content.ErrNotEditable)
		}
		note := "edited"
		if s.Status == content.Approved {
			s.Status, s.LintOverride, note = content.Draft, "", "edited: approved → draft, to be reviewed again"
		}
		s.Title, s.Body, s.Tags, s.UpdatedAt = title, body, tags, db.now()
		if _, err := tx.ExecContext(ctx, db.q("UPDATE scripts SET title = ?, body = ?, tags = ?, status = ?, lint_override = ?, updated_at = ? WHERE id = ?"),
			title, body, joinTags(tags), string(s.Status), s.LintOverride, ms(s.UpdatedAt), id); err != nil {
			return fmt.Errorf("edit script: %w", err)
		}
		return revise(ctx, db, tx, s, editor, note)
	})
	return s, err
}

// MoveScript moves a script through the workflow, checking the role and
// the separation of duties: an approval by one of the script's writers is
// refused unless the organisation allows self-approval
// (content.CheckApprover). An approval's reason is recorded as the lint
// override (the caller checks the lint with content.CheckOverride); a
// rejection's as the reject reason. When a reviewer decides a member's
// 投稿, the bot tells them in the group they submitted it in.
func (db *DB) MoveScript(ctx context.Context, orgID, id int64, to content.Status, role content.Role, actor, reason string) (content.Script, error) {
	var s content.Script
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if s, err = getScript(ctx, db, tx, orgID, id); err != nil {
			return err
		}
		if err := content.Transition(s.Status, to, role, reason); err != nil {
			return errkind.Errorf(errkind.Forbidden, "%v", err)
		}
		if to == content.Approved {
			set, err := contentSettings(ctx, db, tx, orgID)
			if err != nil {
				return err
			}
			revs, err := revisions(ctx, db, tx, id)
			if err != nil {
				return err
			}
			if err := content.CheckApprover(actor, content.Writers(s, revs), set.SelfApproval); err != nil {
				return err
			}
			s.LintOverride = reason
		}
		from := s.Status
		s.Status, s.UpdatedAt = to, db.now()
		if to == content.Rejected {
			s.RejectReason = reason
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE scripts SET status = ?, reject_reason = ?, lint_override = ?, updated_at = ? WHERE id = ?"), string(to), s.RejectReason, s.LintOverride, ms(s.UpdatedAt), id); err != nil {
			return fmt.Errorf("move script: %w", err)
		}
		if err := revise(ctx, db, tx, s, actor, fmt.Sprintf("%s → %s %s", from, to, reason)); err != nil {
			return err
		}
		if to == content.Approved || to == content.Rejected {
			if err := db.tellSubmitter(ctx, tx, s, reason); err != nil {
				return err
			}
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "script." + string(to), Subject: fmt.Sprintf("script:%d", id), Detail: community.Detail("from", from, "to", to, "reason", reason)})
	})
	return s, err
}

// tellSubmitter posts the review of a member's 投稿 in the group they
// submitted it in (content.ReviewNotice), naming them as the group knows
// them; nothing for a script written in the console, or when that group
// is archived or its connection not running.
func (db *DB) tellSubmitter(ctx context.Context, tx *sql.Tx, s content.Script, reason string) error {
	var groupID, person int64
	err := tx.QueryRowContext(ctx, db.q("SELECT group_id, person_id FROM script_submissions WHERE script_id = ? ORDER BY created_at LIMIT 1"), s.ID).Scan(&groupID, &person)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find submission: %w", err)
	}
	g, err := pushGroup(ctx, db, tx, s.OrgID, groupID)
	if err != nil || g.Lifecycle != community.Active || !db.policy.IsConnected(g.Connection) {
		return err
	}
	names, err := namesIn(ctx, db, tx, groupID, "SELECT id FROM people WHERE id = ?", person)
	if err != nil || len(names) == 0 {
		return err
	}
	a := chat.Action{Key: fmt.Sprintf("review:%d:%s:%d", s.ID, s.Status, ms(s.UpdatedAt)), Connection: g.Connection, Kind: chat.ActSend, Group: g.ExternalID,
		Reason: "submission reviewed", Text: content.ReviewNotice(g.Lang(), names[0], s.Title, s.Status == content.Approved, reason)}
	return enqueue(ctx, db, tx, []chat.Action{a}, db.now())
}

// Scripts lists scripts, newest first; an empty status lists all.
func (db *DB) Scripts(ctx context.Context, orgID int64, status content.Status) ([]content.Script, error) {
	q := "SELECT " + scriptCols + " FROM scripts WHERE org_id = ?"
	args := []any{orgID}
	if status != "" {
		q += " AND status = ?"
		args = append(args, string(status))
	}
	rows, err := db.sql.QueryContext(ctx, db.q(q+" ORDER BY id DESC"), args...)
	if err != nil {
		return nil, fmt.Errorf("list scripts: %w", err)
	}
	defer rows.Close()
	var out []content.Script
	for rows.Next() {
		s, err := scanScript(rows)
		if err != nil {
			return nil, fmt.Errorf("list scripts: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Revisions lists a script's history, oldest first.
func (db *DB) Revisions(ctx context.Context, orgID, id int64) ([]content.Revision, error) {
	if _, err := db.Script(ctx, orgID, id); err != nil {
		return nil, err
	}
	return revisions(ctx, db, db.sql, id)
}

func revisions(ctx context.Context, db *DB, q queryer, id int64) ([]content.Revision, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT id, script_id, title, body, tags, status, editor, note, created_at FROM script_revisions WHERE script_id = ? ORDER BY id"), id)
	out, err := scanAll(rows, err, func(r *sql.Rows, v *content.Revision) error {
		var tags, status string
		var c int64
		if err := r.Scan(&v.ID, &v.ScriptID, &v.Title, &v.Body, &tags, &status, &v.Editor, &v.Note, &c); err != nil {
			return err
		}
		v.Tags, v.Status, v.CreatedAt = splitTags(tags), content.Status(status), fromMS(c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	return out, nil
}
