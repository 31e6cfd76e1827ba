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

// SetEligibility makes a group admit only partners of a level.
func (db *DB) SetEligibility(ctx context.Context, orgID, groupID, levelID int64, handling string, grace time.Duration, actor string) error {
	switch handling {
	case community.EligibilityRefuse, community.EligibilityApprove:
		grace = 0
	case community.EligibilityGrace:
		if grace <= 0 {
			return errkind.New(errkind.Invalid, "grace: a positive period is required with handling grace")
		}
	default:
		return errkind.Errorf(errkind.Invalid, "handling %q: want refuse, grace or approve", handling)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&n); err != nil || n == 0 {
			return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
		}
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM partner_levels WHERE org_id = ? AND id = ?"), orgID, levelID).Scan(&n); err != nil || n == 0 {
			return errkind.Errorf(errkind.NotFound, "partner level %d not found", levelID)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO group_eligibility (group_id, level_id, handling, grace_seconds, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (group_id) DO UPDATE SET level_id = excluded.level_id, handling = excluded.handling, grace_seconds = excluded.grace_seconds, updated_at = excluded.updated_at`),
			groupID, levelID, handling, int64(grace/time.Second), ms(db.now())); err != nil {
			return fmt.Errorf("set eligibility: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "group.eligibility", Subject: fmt.Sprintf("group:%d", groupID),
			Detail: community.Detail("level", levelID, "handling", handling, "grace_seconds", int64(grace/time.Second))})
	})
}

// ClearEligibility lets anyone join the group again.
func (db *DB) ClearEligibility(ctx context.Context, orgID, groupID int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("DELETE FROM group_eligibility WHERE group_id = ? AND group_id IN (SELECT id FROM chat_groups WHERE org_id = ?)"), groupID, orgID)
		if err != nil {
			return fmt.Errorf("clear eligibility: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "group %d has no eligibility rule", groupID)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "group.eligibility.clear", Subject: fmt.Sprintf("group:%d", groupID)})
	})
}

// Eligibility returns a group's rule, or nil when anyone may join.
func (db *DB) Eligibility(ctx context.Context, orgID, groupID int64) (*community.Eligibility, error) {
	return eligibility(ctx, db, db.sql, groupID, orgID)
}

func eligibility(ctx context.Context, db *DB, q queryer, groupID, orgID int64) (*community.Eligibility, error) {
	var e community.Eligibility
	var grace int64
	err := q.QueryRowContext(ctx, db.q(`SELECT e.level_id, l.name, e.handling, e.grace_seconds FROM group_eligibility e
		JOIN partner_levels l ON l.id = e.level_id JOIN chat_groups g ON g.id = e.group_id
		WHERE e.group_id = ? AND (? = 0 OR g.org_id = ?)`), groupID, orgID, orgID).Scan(&e.LevelID, &e.LevelName, &e.Handling, &grace)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read eligibility: %w", err)
	}
	e.Grace = time.Duration(grace) * time.Second
	return &e, nil
}

func holdsSeat(ctx context.Context, db *DB, q queryer, levelID, personID int64) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM partner_seats WHERE level_id = ? AND person_id = ? AND released_at IS NULL"), levelID, personID).Scan(&n); err != nil {
		return false, fmt.Errorf("find seat: %w", err)
	}
	return n > 0, nil
}

// CheckEligibility returns the group's rule (nil when anyone may join) and
// whether the person qualifies: holds a seat of the level.
func (t *ingestTx) CheckEligibility(ctx context.Context, groupID, personID int64) (*community.Eligibility, bool, error) {
	e, err := eligibility(ctx, t.db, t.tx, groupID, 0)
	if err != nil || e == nil {
		return e, true, err
	}
	ok, err := holdsSeat(ctx, t.db, t.tx, e.LevelID, personID)
	return e, ok, err
}

// OpenEligibilityCase records a joiner who did not qualify (due: when the
// grace period ends, zero for an approval).
func (t *ingestTx) OpenEligibilityCase(ctx context.Context, groupID, personID int64, handling string, due, at time.Time) error {
	var dueMS any
	if !due.IsZero() {
		dueMS = ms(due)
	}
	_, err := t.tx.ExecContext(ctx, t.db.q("INSERT INTO eligibility_cases (group_id, person_id, handling, due_at, created_at) VALUES (?, ?, ?, ?, ?)"), groupID, personID, handling, dueMS, ms(at))
	if err != nil {
		return fmt.Errorf("record eligibility case: %w", err)
	}
	return nil
}

// EligibilityCases lists an organisation's cases, newest first ("" for
// every status).
func (db *DB) EligibilityCases(ctx context.Context, orgID int64, status string) ([]community.EligibilityCase, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT c.id, c.group_id, g.name, c.person_id, p.name, c.handling, c.status, c.due_at, c.created_at, c.decided_by
		FROM eligibility_cases c JOIN chat_groups g ON g.id = c.group_id JOIN people p ON p.id = c.person_id
		WHERE g.org_id = ? AND (? = '' OR c.status = ?) ORDER BY c.id DESC LIMIT 1000`), orgID, status, status)
	out, err := scanAll(rows, err, func(r *sql.Rows, c *community.EligibilityCase) error {
		var due sql.NullInt64
		var created int64
		if err := r.Scan(&c.ID, &c.GroupID, &c.Group, &c.PersonID, &c.Person, &c.Handling, &c.Status, &due, &created, &c.DecidedBy); err != nil {
			return err
		}
		c.DueAt, c.CreatedAt = fromNullMS(due), fromMS(created)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list eligibility cases: %w", err)
	}
	return out, nil
}

// removeFromGroup queues the removal of a person from a group (a kick and
// a notice) and records it as a moderation action.
func removeFromGroup(ctx context.Context, db *DB, tx *sql.Tx, caseID, groupID, personID int64, reason, actor string) error {
	var orgID int64
	var conn, ext, user string
	err := tx.QueryRowContext(ctx, db.q(`SELECT g.org_id, g.connection, g.external_id, i.external_id FROM chat_groups g
		JOIN identities i ON i.person_id = ? AND i.connection = g.connection WHERE g.id = ? LIMIT 1`), personID, groupID).Scan(&orgID, &conn, &ext, &user)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // no identity on the group's platform: nothing to act on
	}
	if err != nil {
		return fmt.Errorf("find member: %w", err)
	}
	acts := []chat.Action{
		{Key: fmt.Sprintf("eligibility:%d:kick", caseID), Connection: conn, Kind: chat.ActKick, Group: ext, User: user, Reason: reason},
		{Key: fmt.Sprintf("eligibility:%d:notice", caseID), Connection: conn, Kind: chat.ActSend, Group: ext, Text: reason},
	}
	if err := enqueue(ctx, db, tx, acts, db.now()); err != nil {
		return err
	}
	return recordModeration(ctx, db, tx, community.ModerationAction{OrgID: orgID, GroupID: groupID, PersonID: personID, Action: chat.ActKick, Rule: "eligibility", Category: "eligibility", Reason: reason, Actor: actor})
}

// DecideEligibility approves a pending case (the member stays) or rejects
// it (the member is removed).
func (db *DB) DecideEligibility(ctx context.Context, orgID, caseID int64, approve bool, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var groupID, personID int64
		var status string
		err := tx.QueryRowContext(ctx, db.q(`SELECT c.group_id, c.person_id, c.status FROM eligibility_cases c JOIN chat_groups g ON g.id = c.group_id
			WHERE c.id = ? AND g.org_id = ?`), caseID, orgID).Scan(&groupID, &personID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "eligibility case %d not found", caseID)
		}
		if err != nil {
			return fmt.Errorf("find eligibility case: %w", err)
		}
		if status != "pending" {
			return errkind.Errorf(errkind.Conflict, "eligibility case %d is %s already", caseID, status)
		}
		next := "approved"
		if !approve {
			next = "rejected"
			if err := removeFromGroup(ctx, db, tx, caseID, groupID, personID, "入群申请未通过，已移出。Your request to join was not approved.", actor); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE eligibility_cases SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?"), next, ms(db.now()), actor, caseID); err != nil {
			return fmt.Errorf("decide eligibility case: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "eligibility." + next, Subject: fmt.Sprintf("person:%d", personID), Detail: fmt.Sprintf(`{"group":%d,"case":%d}`, groupID, caseID)})
	})
}

// EnforceEligibility ends the grace periods that are over: a member who
// was admitted to the level meanwhile stays (qualified), any other is
// removed. It returns how many were removed.
func (db *DB) EnforceEligibility(ctx context.Context) (int, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT c.id, c.group_id, c.person_id, e.level_id, l.name FROM eligibility_cases c
		JOIN group_eligibility e ON e.group_id = c.group_id JOIN partner_levels l ON l.id = e.level_id
		WHERE c.status = 'pending' AND c.handling = 'grace' AND c.due_at <= ? LIMIT 500`), ms(db.now()))
	if err != nil {
		return 0, fmt.Errorf("due eligibility cases: %w", err)
	}
	type due struct {
		id, group, person, level int64
		levelName                string
	}
	cases, err := scanAll(rows, err, func(r *sql.Rows, d *due) error { return r.Scan(&d.id, &d.group, &d.person, &d.level, &d.levelName) })
	if err != nil {
		return 0, fmt.Errorf("due eligibility cases: %w", err)
	}
	removed := 0
	for _, d := range cases {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			ok, err := holdsSeat(ctx, db, tx, d.level, d.person)
			if err != nil {
				return err
			}
			status := "qualified"
			if !ok {
				status = "removed"
				// Only if still in the group.
				var in int
				if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM memberships WHERE group_id = ? AND person_id = ? AND left_at IS NULL"), d.group, d.person).Scan(&in); err != nil {
					return fmt.Errorf("find membership: %w", err)
				}
				if in > 0 {
					if err := removeFromGroup(ctx, db, tx, d.id, d.group, d.person, "本群仅限"+d.levelName+"，宽限期已过，已移出。This group is for "+d.levelName+" only; the grace period is over.", "rules"); err != nil {
						return err
					}
					removed++
				}
			}
			_, err = tx.ExecContext(ctx, db.q("UPDATE eligibility_cases SET status = ?, decided_at = ?, decided_by = 'rules' WHERE id = ?"), status, ms(db.now()), d.id)
			return err
		})
		if err != nil {
			return removed, fmt.Errorf("enforce eligibility case %d: %w", d.id, err)
		}
	}
	return removed, nil
}
