package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// SetScriptCard sets (or, when empty, removes) a script's card; it is part
// of the script's history.
func (db *DB) SetScriptCard(ctx context.Context, orgID, scriptID int64, c content.ScriptCard, actor string) error {
	if err := c.Normalize(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM scripts WHERE org_id = ? AND id = ?"), orgID, scriptID).Scan(&n); err != nil || n == 0 {
			return errkind.Errorf(errkind.NotFound, "script %d not found", scriptID)
		}
		var err error
		if c.Empty() {
			_, err = tx.ExecContext(ctx, db.q("DELETE FROM script_cards WHERE script_id = ?"), scriptID)
		} else {
			_, err = tx.ExecContext(ctx, db.q(`INSERT INTO script_cards (script_id, link_url, link_title, excerpt, media_url, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (script_id) DO UPDATE SET link_url = excluded.link_url, link_title = excluded.link_title, excerpt = excluded.excerpt,
					media_url = excluded.media_url, updated_at = excluded.updated_at`), scriptID, c.LinkURL, c.LinkTitle, c.Excerpt, c.MediaURL, ms(db.now()))
		}
		if err != nil {
			return fmt.Errorf("set script card: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "script.card", Subject: fmt.Sprintf("script:%d", scriptID),
			Detail: community.Detail("link_url", c.LinkURL, "media_url", c.MediaURL)})
	})
}

// ScriptCardOf returns a script's card (empty when it has none).
func (db *DB) ScriptCardOf(ctx context.Context, orgID, scriptID int64) (content.ScriptCard, error) {
	var c content.ScriptCard
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT c.link_url, c.link_title, c.excerpt, c.media_url FROM script_cards c JOIN scripts s ON s.id = c.script_id
		WHERE s.org_id = ? AND c.script_id = ?`), orgID, scriptID).Scan(&c.LinkURL, &c.LinkTitle, &c.Excerpt, &c.MediaURL)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read script card: %w", err)
	}
	return c, nil
}
