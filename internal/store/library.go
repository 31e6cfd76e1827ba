package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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

func validScript(title, body string) error {
	switch {
	case strings.TrimSpace(title) == "":
		return errkind.New(errkind.Invalid, "title: required")
	case len([]rune(title)) > 200:
		return errkind.New(errkind.Invalid, "title: at most 200 characters")
	case strings.TrimSpace(body) == "":
		return errkind.New(errkind.Invalid, "body: required")
	case len(body) > 64<<10:
		return errkind.New(errkind.Invalid, "body: at most 64 KiB")
	}
	return nil
}

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
		return revise(ctx, db, tx, *s, s.Author, "created")
	})
}

const scriptCols = "id, org_id, title, body, tags, author, status, reject_reason, created_at, updated_at"

func scanScript(sc interface{ Scan(...any) error }) (content.Script, error) {
	var s content.Script
	var tags, status string
	var c, u int64
	err := sc.Scan(&s.ID, &s.OrgID, &s.Title, &s.Body, &tags, &s.Author, &status, &s.RejectReason, &c, &u)
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
// cannot change.
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
		if s.Status == content.Published || s.Status == content.Scheduled {
			return errkind.Errorf(errkind.Conflict, "script %d is %s: unschedule it before editing", id, s.Status)
		}
		s.Title, s.Body, s.Tags, s.UpdatedAt = title, body, tags, db.now()
		if _, err := tx.ExecContext(ctx, db.q("UPDATE scripts SET title = ?, body = ?, tags = ?, updated_at = ? WHERE id = ?"), title, body, joinTags(tags), ms(s.UpdatedAt), id); err != nil {
			return fmt.Errorf("edit script: %w", err)
		}
		return revise(ctx, db, tx, s, editor, "edited")
	})
	return s, err
}

// MoveScript moves a script through the workflow, checking the role.
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
		from := s.Status
		s.Status, s.UpdatedAt = to, db.now()
		if to == content.Rejected {
			s.RejectReason = reason
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE scripts SET status = ?, reject_reason = ?, updated_at = ? WHERE id = ?"), string(to), s.RejectReason, ms(s.UpdatedAt), id); err != nil {
			return fmt.Errorf("move script: %w", err)
		}
		if err := revise(ctx, db, tx, s, actor, fmt.Sprintf("%s → %s %s", from, to, reason)); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "script." + string(to), Subject: fmt.Sprintf("script:%d", id), Detail: community.Detail("from", from, "to", to, "reason", reason)})
	})
	return s, err
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
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, script_id, title, body, tags, status, editor, note, created_at FROM script_revisions WHERE script_id = ? ORDER BY id"), id)
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	defer rows.Close()
	var out []content.Revision
	for rows.Next() {
		var r content.Revision
		var tags, status string
		var c int64
		if err := rows.Scan(&r.ID, &r.ScriptID, &r.Title, &r.Body, &tags, &status, &r.Editor, &r.Note, &c); err != nil {
			return nil, fmt.Errorf("list revisions: %w", err)
		}
		r.Tags, r.Status, r.CreatedAt = splitTags(tags), content.Status(status), fromMS(c)
		out = append(out, r)
	}
	return out, rows.Err()
}
