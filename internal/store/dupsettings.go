package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// An organisation's duplicate settings (insight_settings; docs/metrics.md,
// "One member, several groups"): the family gate, the overall threshold
// and the keep rule the duplicates page and its removal proposals use.

// DuplicateSettings reads the organisation's duplicate settings (the
// defaults when never set).
func (db *DB) DuplicateSettings(ctx context.Context, orgID int64) (analytics.DuplicateSettings, error) {
	s := analytics.DefaultDuplicateSettings()
	var keep string
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT family_gate, overall_groups, keep_rule FROM insight_settings WHERE org_id = ?`), orgID).Scan(&s.FamilyGate, &s.Overall, &keep)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("duplicate settings: %w", err)
	}
	if r := analytics.KeepRule(keep); r.Valid() {
		s.Keep = r
	}
	return s, nil
}

// SetDuplicateSettings sets the organisation's duplicate settings, audited
// (duplicates.settings).
func (db *DB) SetDuplicateSettings(ctx context.Context, orgID int64, s analytics.DuplicateSettings, actor string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO insight_settings (org_id, family_gate, overall_groups, keep_rule, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET family_gate = excluded.family_gate, overall_groups = excluded.overall_groups, keep_rule = excluded.keep_rule,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`), orgID, s.FamilyGate, s.Overall, string(s.Keep), ms(now), actor); err != nil {
			return fmt.Errorf("set duplicate settings: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "duplicates.settings", Subject: fmt.Sprintf("org:%d", orgID),
			Detail: community.Detail("family_gate", s.FamilyGate, "overall", s.Overall, "keep", string(s.Keep))})
	})
}

// FamilyGate tells whether the organisation's family gate refuses the
// person joining the group: it does when the gate is on, the group
// belongs to a family (its template task's) and the person sits, as a
// member, in another active group of that family — whose name it returns
// ("": not refused). Staff are never refused: a person with a staff role
// in any group of the organisation, or a platform staff or bot account.
func (t *ingestTx) FamilyGate(ctx context.Context, groupID, personID int64) (string, error) {
	var name string
	err := t.tx.QueryRowContext(ctx, t.db.q(`SELECT g2.name FROM chat_groups g
		JOIN insight_settings s ON s.org_id = g.org_id AND s.family_gate = TRUE
		JOIN group_tasks tk ON tk.group_id = g.id
		JOIN group_tasks tk2 ON tk2.family_id = tk.family_id AND tk2.group_id <> g.id
		JOIN chat_groups g2 ON g2.id = tk2.group_id AND g2.lifecycle = ?
		JOIN memberships m ON m.group_id = g2.id AND m.person_id = ? AND m.left_at IS NULL AND m.role = ?
		WHERE g.id = ?
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = ? AND (i.staff = TRUE OR i.bot = TRUE))
		  AND NOT EXISTS (SELECT 1 FROM memberships ms JOIN chat_groups gs ON gs.id = ms.group_id
			WHERE ms.person_id = ? AND ms.left_at IS NULL AND ms.role <> ? AND gs.org_id = g.org_id)
		ORDER BY m.joined_at, g2.id LIMIT 1`),
		string(community.Active), personID, string(community.RoleMember), groupID, personID, personID, string(community.RoleMember)).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("family gate: %w", err)
	}
	return name, nil
}
