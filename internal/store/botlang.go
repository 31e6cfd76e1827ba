package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// OrgBotLang is the language an organisation's new groups start with.
func (db *DB) OrgBotLang(ctx context.Context, orgID int64) (string, error) {
	var l string
	err := db.sql.QueryRowContext(ctx, db.q("SELECT bot_lang FROM orgs WHERE id = ?"), orgID).Scan(&l)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errkind.Errorf(errkind.NotFound, "organisation %d not found", orgID)
	}
	if err != nil {
		return "", fmt.Errorf("read the organisation's bot language: %w", err)
	}
	return l, nil
}

// SetOrgBotLang sets the language an organisation's new groups start with;
// the groups it has keep theirs.
func (db *DB) SetOrgBotLang(ctx context.Context, orgID int64, lang, actor string) error {
	if !community.ValidBotLang(lang) {
		return errkind.Errorf(errkind.Invalid, "bot language %q: want zh or en", lang)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("UPDATE orgs SET bot_lang = ? WHERE id = ?"), lang, orgID)
		if err != nil {
			return fmt.Errorf("set the organisation's bot language: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "organisation %d not found", orgID)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "settings.bot_lang", Detail: fmt.Sprintf(`{"lang":%q}`, lang)})
	})
}

// SetGroupBotLang sets the language the bot writes in in a group.
func (db *DB) SetGroupBotLang(ctx context.Context, orgID, groupID int64, lang, actor string) error {
	if !community.ValidBotLang(lang) {
		return errkind.Errorf(errkind.Invalid, "bot language %q: want zh or en", lang)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET bot_lang = ? WHERE org_id = ? AND id = ?"), lang, orgID, groupID)
		if err != nil {
			return fmt.Errorf("set group %d's bot language: %w", groupID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "group.bot_lang", Subject: fmt.Sprintf("group:%d", groupID), Detail: fmt.Sprintf(`{"lang":%q}`, lang)})
	})
}

// groupBotLang is the language the bot writes in in a group.
func groupBotLang(ctx context.Context, db *DB, q queryer, groupID int64) (string, error) {
	var l string
	if err := q.QueryRowContext(ctx, db.q("SELECT bot_lang FROM chat_groups WHERE id = ?"), groupID).Scan(&l); err != nil {
		return "", fmt.Errorf("read group %d's bot language: %w", groupID, err)
	}
	return l, nil
}
