package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
)

// The content settings (separation of duties) and the duty rosters.

func contentSettings(ctx context.Context, db *DB, q queryer, orgID int64) (content.ContentSettings, error) {
	var s content.ContentSettings
	var staff sql.NullInt64
	err := q.QueryRowContext(ctx, db.q("SELECT staff_group_id, self_approval FROM content_settings WHERE org_id = ?"), orgID).Scan(&staff, &s.SelfApproval)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("read content settings: %w", err)
	}
	s.StaffGroup = staff.Int64
	return s, nil
}

// ContentSettings returns the organisation's content settings.
func (db *DB) ContentSettings(ctx context.Context, orgID int64) (content.ContentSettings, error) {
	return contentSettings(ctx, db, db.sql, orgID)
}

// SetSelfApproval allows (or forbids again) the writer of a script to
// approve it: for a team of one. Audited as settings.self_approval.
func (db *DB) SetSelfApproval(ctx context.Context, orgID int64, allow bool, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO content_settings (org_id, self_approval, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET self_approval = excluded.self_approval, updated_at = excluded.updated_at`), orgID, allow, ms(db.now()))
		if err != nil {
			return fmt.Errorf("set self-approval: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "settings.self_approval", Subject: fmt.Sprintf("org:%d", orgID), Detail: fmt.Sprintf(`{"allow":%t}`, allow)})
	})
}

// DutyRosters returns the duty roster of each of the organisation's active
// groups, by group id: the roster set for it, or its assistants (Default),
// with the group's staff to choose from. Two queries, however many groups.
func (db *DB) DutyRosters(ctx context.Context, orgID int64) ([]content.Roster, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT g.id, g.name, COALESCE(r.person_id, 0), COALESCE(r.updated_at, 0), COALESCE(r.updated_by, ''),
			COALESCE((SELECT NULLIF(m.nickname, '') FROM memberships m WHERE m.group_id = g.id AND m.person_id = p.id AND m.left_at IS NULL LIMIT 1), p.name, '')
		FROM chat_groups g LEFT JOIN duty_rosters r ON r.group_id = g.id LEFT JOIN people p ON p.id = r.person_id
		WHERE g.org_id = ? AND g.lifecycle = 'active' ORDER BY g.id, r.position`), orgID)
	var out []content.Roster
	at := map[int64]int{} // group → index in out
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var id, person, updated int64
		var group, by, name string
		if err := r.Scan(&id, &group, &person, &updated, &by, &name); err != nil {
			return err
		}
		if _, ok := at[id]; !ok {
			at[id] = len(out)
			out = append(out, content.Roster{GroupID: id, Group: group, Default: person == 0})
		}
		if person != 0 {
			ro := &out[at[id]]
			ro.People = append(ro.People, content.RosterEntry{PersonID: person, Name: name})
			t := fromMS(updated)
			ro.UpdatedBy, ro.UpdatedAt = by, &t
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("duty rosters: %w", err)
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT m.group_id, p.id, COALESCE(NULLIF(m.nickname, ''), p.name), m.role FROM memberships m
		JOIN people p ON p.id = m.person_id JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND g.lifecycle = 'active' AND m.role IN ('owner', 'secretary', 'assistant') AND m.left_at IS NULL ORDER BY m.group_id, p.id`), orgID)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var group int64
		var e content.RosterEntry
		if err := r.Scan(&group, &e.PersonID, &e.Name, &e.Role); err != nil {
			return err
		}
		i, ok := at[group]
		if !ok {
			return nil
		}
		ro := &out[i]
		ro.Staff = append(ro.Staff, e)
		// A group without a roster: its assistants, as dutyFor takes them.
		if ro.Default && e.Role == string(community.RoleAssistant) {
			ro.People = append(ro.People, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("group staff: %w", err)
	}
	return out, nil
}

// SetDutyRoster sets who of a group's staff take turns being on duty for
// its pushes, in order (an empty list: its assistants again), and gives
// the group's planned pushes their new person on duty. Audited as
// duty.roster.
func (db *DB) SetDutyRoster(ctx context.Context, orgID, groupID int64, people []int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkGroup(ctx, db, tx, orgID, groupID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q("SELECT person_id FROM memberships WHERE group_id = ? AND role IN ('owner', 'secretary', 'assistant') AND left_at IS NULL"), groupID)
		staff, err := scanAll(rows, err, scanInt64)
		if err != nil {
			return fmt.Errorf("group staff: %w", err)
		}
		onStaff := map[int64]bool{}
		for _, p := range staff {
			onStaff[p] = true
		}
		if err := content.CheckRoster(people, func(p int64) bool { return onStaff[p] }); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM duty_rosters WHERE group_id = ?"), groupID); err != nil {
			return fmt.Errorf("set duty roster: %w", err)
		}
		for i, p := range people {
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO duty_rosters (group_id, position, person_id, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)"),
				groupID, i, p, ms(db.now()), actor); err != nil {
				return fmt.Errorf("set duty roster: %w", err)
			}
		}
		rows, err = tx.QueryContext(ctx, db.q("SELECT id FROM pushes WHERE group_id = ? AND status = 'planned' ORDER BY id"), groupID)
		planned, err := scanAll(rows, err, scanInt64)
		if err != nil {
			return fmt.Errorf("planned pushes: %w", err)
		}
		for _, id := range planned {
			duty, err := dutyFor(ctx, db, tx, groupID, id)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q("UPDATE pushes SET duty_person = ? WHERE id = ?"), nullID(duty), id); err != nil {
				return fmt.Errorf("reassign duty: %w", err)
			}
		}
		detail, _ := json.Marshal(map[string]any{"people": people, "pushes": len(planned)})
		if len(people) == 0 {
			detail = []byte(`{"people":null}`)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "duty.roster", Subject: fmt.Sprintf("group:%d", groupID), Detail: string(detail)})
	})
}
