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

func orgBanned(ctx context.Context, db *DB, q queryer, orgID, personID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM org_bans WHERE org_id = ? AND person_id = ? AND lifted_at IS NULL"), orgID, personID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check organisation ban: %w", err)
	}
	return n > 0, nil
}

// OrgBanned reports whether a person is banned from the organisation.
func (t *ingestTx) OrgBanned(ctx context.Context, orgID, personID int64) (bool, error) {
	return orgBanned(ctx, t.db, t.tx, orgID, personID)
}

func addOrgBan(ctx context.Context, db *DB, q queryer, orgID, personID int64, reason, actor string) error {
	_, err := q.ExecContext(ctx, db.q(`INSERT INTO org_bans (org_id, person_id, reason, actor, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, person_id) WHERE lifted_at IS NULL DO NOTHING`), orgID, personID, reason, actor, ms(db.now()))
	if err != nil {
		return fmt.Errorf("ban from organisation: %w", err)
	}
	return nil
}

// AddOrgBan bans a person from every group of the organisation (a second
// ban of a banned person changes nothing).
func (t *ingestTx) AddOrgBan(ctx context.Context, orgID, personID int64, reason, actor string) error {
	return addOrgBan(ctx, t.db, t.tx, orgID, personID, reason, actor)
}

func placesOf(ctx context.Context, db *DB, q queryer, orgID, personID int64, openOnly bool) ([]community.Place, error) {
	cond := ""
	if openOnly {
		cond = " AND m.left_at IS NULL"
	}
	rows, err := q.QueryContext(ctx, db.q(`SELECT DISTINCT g.connection, g.external_id, i.external_id FROM memberships m
		JOIN chat_groups g ON g.id = m.group_id
		JOIN identities i ON i.person_id = m.person_id AND i.connection = g.connection
		WHERE g.org_id = ? AND m.person_id = ? AND g.lifecycle = 'active'`+cond+` ORDER BY g.connection, g.external_id`), orgID, personID)
	if err != nil {
		return nil, fmt.Errorf("groups of person %d: %w", personID, err)
	}
	defer rows.Close()
	var out []community.Place
	for rows.Next() {
		var p community.Place
		if err := rows.Scan(&p.Connection, &p.Group, &p.User); err != nil {
			return nil, fmt.Errorf("groups of person %d: %w", personID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PlacesOf lists the active groups of the organisation a person is in now,
// with their platform user id there.
func (t *ingestTx) PlacesOf(ctx context.Context, orgID, personID int64) ([]community.Place, error) {
	return placesOf(ctx, t.db, t.tx, orgID, personID, true)
}

// MessageSender returns the platform user id of the sender of a stored
// message sent within pipeline.ReplyReach before replyAt.
func (t *ingestTx) MessageSender(ctx context.Context, groupID int64, messageID string, replyAt time.Time) (string, bool, error) {
	var user string
	err := t.row(ctx, `SELECT i.external_id FROM messages m JOIN chat_groups g ON g.id = m.group_id
		JOIN identities i ON i.person_id = m.person_id AND i.connection = g.connection
		WHERE m.id = (`+messageByID+`)`, groupID, reachedFrom(replyAt), messageID).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find message sender: %w", err)
	}
	return user, true, nil
}

// BanEverywhere bans a person from the organisation and queues a ban in
// every group they are in; it returns how many groups.
func (db *DB) BanEverywhere(ctx context.Context, orgID, personID int64, reason, actor string) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := addOrgBan(ctx, db, tx, orgID, personID, reason, actor); err != nil {
			return err
		}
		places, err := placesOf(ctx, db, tx, orgID, personID, true)
		if err != nil {
			return err
		}
		now := db.now()
		var acts []chat.Action
		for _, p := range places {
			acts = append(acts, chat.Action{Key: fmt.Sprintf("orgban:%d:%d:%s:%s", personID, now.UnixMilli(), p.Connection, p.Group), Connection: p.Connection, Kind: chat.ActBan, Group: p.Group, User: p.User, Reason: reason})
		}
		n = len(acts)
		if err := enqueue(ctx, db, tx, acts, now); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "ban.add", Subject: fmt.Sprintf("person:%d", personID), Detail: community.Detail("reason", reason, "groups", n)})
	})
	return n, err
}

// LiftBan lifts a person's organisation ban and queues an unban in every
// group of the organisation they were ever in; it returns how many groups.
func (db *DB) LiftBan(ctx context.Context, orgID, personID int64, actor string) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, db.q("UPDATE org_bans SET lifted_at = ?, lifted_by = ? WHERE org_id = ? AND person_id = ? AND lifted_at IS NULL"), ms(now), actor, orgID, personID)
		if err != nil {
			return fmt.Errorf("lift ban: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errkind.Errorf(errkind.NotFound, "person %d is not banned", personID)
		}
		places, err := placesOf(ctx, db, tx, orgID, personID, false)
		if err != nil {
			return err
		}
		var acts []chat.Action
		for _, p := range places {
			acts = append(acts, chat.Action{Key: fmt.Sprintf("unban:%d:%d:%s:%s", personID, now.UnixMilli(), p.Connection, p.Group), Connection: p.Connection, Kind: chat.ActUnban, Group: p.Group, User: p.User})
		}
		n = len(acts)
		if err := enqueue(ctx, db, tx, acts, now); err != nil {
			return err
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "ban.lift", Subject: fmt.Sprintf("person:%d", personID), Detail: fmt.Sprintf(`{"groups":%d}`, n)})
	})
	return n, err
}
