package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// ShortInviteCodes lists an organisation's active invite codes shorter than
// community.MinCodeLength (issued before the limit): they keep working,
// and the console offers to replace each with a generated one.
func (db *DB) ShortInviteCodes(ctx context.Context, orgID int64) ([]community.InviteCodeInfo, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT i.id, i.org_id, i.code, COALESCE(i.person_id, 0), COALESCE(i.campaign_id, 0), COALESCE(i.group_id, 0), i.created_at,
		COALESCE(p.name, ''), COALESCE(c.name, ''), COALESCE(g.name, '')
		FROM invite_codes i LEFT JOIN campaigns c ON c.id = i.campaign_id LEFT JOIN people p ON p.id = i.person_id LEFT JOIN chat_groups g ON g.id = i.group_id
		WHERE i.org_id = ? AND i.archived_at IS NULL AND c.archived_at IS NULL AND LENGTH(i.code) < ? ORDER BY i.id`), orgID, community.MinCodeLength)
	out, err := scanAll(rows, err, func(r *sql.Rows, c *community.InviteCodeInfo) error {
		var created int64
		if err := r.Scan(&c.ID, &c.OrgID, &c.Code, &c.PersonID, &c.CampaignID, &c.GroupID, &created, &c.Person, &c.Campaign, &c.Group); err != nil {
			return err
		}
		c.CreatedAt = fromMS(created)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list short invite codes: %w", err)
	}
	return out, nil
}

// RegenerateInviteCode replaces an active invite code with a generated one
// for the same member, campaign and group, and returns the new code. The
// old code is archived, not changed: the joins it brought stay counted
// for its campaign and member, and its join link stops working.
func (db *DB) RegenerateInviteCode(ctx context.Context, orgID, id int64, actor string) (community.InviteCode, error) {
	var old community.InviteCode
	var archived sql.NullInt64
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT id, org_id, code, COALESCE(person_id, 0), COALESCE(campaign_id, 0), COALESCE(group_id, 0), archived_at
		FROM invite_codes WHERE org_id = ? AND id = ?`), orgID, id).Scan(&old.ID, &old.OrgID, &old.Code, &old.PersonID, &old.CampaignID, &old.GroupID, &archived)
	if errors.Is(err, sql.ErrNoRows) {
		return old, errkind.Errorf(errkind.NotFound, "invite code %d not found", id)
	}
	if err != nil {
		return old, fmt.Errorf("find invite code: %w", err)
	}
	if archived.Valid {
		return old, errkind.Errorf(errkind.Conflict, "invite code %q was replaced or ended already", old.Code)
	}
	for attempt := 0; ; attempt++ {
		c := community.InviteCode{OrgID: orgID, Code: newCode(), PersonID: old.PersonID, CampaignID: old.CampaignID, GroupID: old.GroupID, CreatedAt: db.now()}
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, db.q("UPDATE invite_codes SET archived_at = ? WHERE id = ? AND archived_at IS NULL"), ms(c.CreatedAt), id)
			if err != nil {
				return fmt.Errorf("archive invite code: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errkind.Errorf(errkind.Conflict, "invite code %q was replaced or ended already", old.Code)
			}
			if err := tx.QueryRowContext(ctx, db.q("INSERT INTO invite_codes (org_id, code, person_id, campaign_id, group_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
				orgID, c.Code, nullID(c.PersonID), nullID(c.CampaignID), nullID(c.GroupID), ms(c.CreatedAt)).Scan(&c.ID); err != nil {
				if errkind.Is(classify(err), errkind.Conflict) {
					return errCodeTaken
				}
				return fmt.Errorf("create invite code: %w", err)
			}
			return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "invite_code.regenerate", Subject: fmt.Sprintf("invite_code:%d", c.ID),
				Detail: community.Detail("replaced", old.ID, "old_code", old.Code, "code", c.Code)})
		})
		if errors.Is(err, errCodeTaken) && attempt < 5 {
			continue // another code drew the same letters: draw again
		}
		return c, err
	}
}

// errCodeTaken is a generated code that another code has already.
var errCodeTaken = errors.New("the generated invite code is taken")
