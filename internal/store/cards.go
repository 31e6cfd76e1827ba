package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// ScriptCard is what a script carries besides its text: a link or article
// card and a picture or video, by URL. A push sends the text with the
// card's title and link and the media's link after it; platforms show
// their previews.
type ScriptCard struct {
	LinkURL   string
	LinkTitle string
	Excerpt   string // the article's own words, for the lint (pasted, not the author's)
	MediaURL  string
}

// Empty reports a script without a card.
func (c ScriptCard) Empty() bool { return c == ScriptCard{} }

// Suffix is what a push adds after the script's text.
func (c ScriptCard) Suffix() string {
	var b strings.Builder
	if c.LinkURL != "" {
		b.WriteString("\n🔗 ")
		if c.LinkTitle != "" {
			b.WriteString(c.LinkTitle + " ")
		}
		b.WriteString(c.LinkURL)
	}
	if c.MediaURL != "" {
		b.WriteString("\n🖼 " + c.MediaURL)
	}
	return b.String()
}

func checkURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errkind.Errorf(errkind.Invalid, "%s: want an http(s) URL, got %q", field, raw)
	}
	return nil
}

// SetScriptCard sets (or, when empty, removes) a script's card; it is part
// of the script's history.
func (db *DB) SetScriptCard(ctx context.Context, orgID, scriptID int64, c ScriptCard, actor string) error {
	c.LinkURL, c.LinkTitle, c.MediaURL = strings.TrimSpace(c.LinkURL), strings.TrimSpace(c.LinkTitle), strings.TrimSpace(c.MediaURL)
	if err := checkURL("link_url", c.LinkURL); err != nil {
		return err
	}
	if err := checkURL("media_url", c.MediaURL); err != nil {
		return err
	}
	if c.LinkURL == "" && (c.LinkTitle != "" || c.Excerpt != "") {
		return errkind.New(errkind.Invalid, "link_url: a card's title or excerpt needs its link")
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
			Detail: fmt.Sprintf(`{"link_url":%q,"media_url":%q}`, c.LinkURL, c.MediaURL)})
	})
}

// ScriptCardOf returns a script's card (empty when it has none).
func (db *DB) ScriptCardOf(ctx context.Context, orgID, scriptID int64) (ScriptCard, error) {
	var c ScriptCard
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
