package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Click-tracked links (docs/metrics.md, "The daily digest"): when a push
// is handed to the outbox, each web link of its text becomes a short link
// served by qunzhu (/l/{code} under the link base, server.base_url),
// one per push and address. Following it counts a click and, once a day,
// the visitor — a hash of who they are under that day's key, never their
// address — and redirects to the stored address only.

// SetLinkBase sets the public address short links are served under;
// without one (""), pushes keep their links as written.
func (db *DB) SetLinkBase(base string) { db.linkBase = strings.TrimRight(base, "/") }

// shortenLinks rewrites the web links of a push's text to its short
// links, made when missing; links content.SafeURL refuses stay as they
// were.
func shortenLinks(ctx context.Context, db *DB, q queryer, orgID, pushID, groupID int64, text string) (string, error) {
	if db.linkBase == "" {
		return text, nil
	}
	var err error
	out := content.Rewrite(text, func(u string) (string, bool) {
		if err != nil {
			return "", false
		}
		if _, bad := content.SafeURL(u); bad != nil {
			return "", false
		}
		var code string
		if code, err = shortLink(ctx, db, q, orgID, pushID, groupID, u); err != nil {
			return "", false
		}
		return db.linkBase + "/l/" + code, true
	})
	return out, err
}

// shortLink is the code of a push's short link to u, made when missing.
func shortLink(ctx context.Context, db *DB, q queryer, orgID, pushID, groupID int64, u string) (string, error) {
	var code string
	err := q.QueryRowContext(ctx, db.q("SELECT code FROM short_links WHERE push_id = ? AND url = ?"), pushID, u).Scan(&code)
	if err == nil {
		return code, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("find short link: %w", err)
	}
	code = content.NewLinkCode()
	if _, err := q.ExecContext(ctx, db.q("INSERT INTO short_links (code, org_id, push_id, group_id, url, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
		code, orgID, pushID, groupID, u, ms(db.now())); err != nil {
		return "", fmt.Errorf("make short link: %w", err)
	}
	return code, nil
}

// FollowLink counts a click of the short link code — and its visitor once
// a day, when visitor (a hash the caller makes) is not "" — and returns
// the address it stands for. An unknown or malformed code is not found.
func (db *DB) FollowLink(ctx context.Context, code, visitor string) (string, error) {
	if !content.ValidLinkCode(code) {
		return "", errkind.New(errkind.NotFound, "no such link")
	}
	var u string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q("UPDATE short_links SET clicks = clicks + 1 WHERE code = ? RETURNING url"), code).Scan(&u)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.New(errkind.NotFound, "no such link")
		}
		if err != nil {
			return fmt.Errorf("follow link: %w", err)
		}
		if visitor == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO link_visits (code, day, visitor) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
			code, db.now().UnixMilli()/(24*3600*1000), visitor); err != nil {
			return fmt.Errorf("follow link: %w", err)
		}
		return nil
	})
	return u, err
}

// LinkClicks returns the clicks of a push's short links and their
// visitors (each once a day, whichever of the push's links they opened).
func (db *DB) LinkClicks(ctx context.Context, pushID int64) (clicks, visitors int, err error) {
	_, clicks, visitors, err = linkFigures(ctx, db, db.sql, pushID)
	return clicks, visitors, err
}

// linkFigures are a push's short links, their clicks and visitors.
func linkFigures(ctx context.Context, db *DB, q queryer, pushID int64) (links, clicks, visitors int, err error) {
	err = q.QueryRowContext(ctx, db.q(`SELECT COUNT(*), COALESCE(SUM(clicks), 0),
			(SELECT COUNT(*) FROM (SELECT DISTINCT v.day, v.visitor FROM link_visits v JOIN short_links s ON s.code = v.code WHERE s.push_id = ?) d)
		FROM short_links WHERE push_id = ?`), pushID, pushID).Scan(&links, &clicks, &visitors)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("link clicks: %w", err)
	}
	return links, clicks, visitors, nil
}

// GroupLinkClicks sums up, per group, the short links of the
// organisation's pushes sent from from to to (both included): the pushes
// with links, the links, their clicks and their visitors (each once a day,
// whichever of the group's links they opened). Groups whose pushes had no
// links are left out; by group id.
func (db *DB) GroupLinkClicks(ctx context.Context, orgID int64, from, to time.Time) ([]content.GroupLinks, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT s.group_id, g.name, COUNT(DISTINCT s.push_id), COUNT(*), COALESCE(SUM(s.clicks), 0),
			(SELECT COUNT(*) FROM (SELECT DISTINCT v.day, v.visitor FROM link_visits v JOIN short_links s2 ON s2.code = v.code JOIN pushes p2 ON p2.id = s2.push_id
				WHERE s2.group_id = s.group_id AND p2.status = 'sent' AND p2.sent_at >= ? AND p2.sent_at <= ?) d)
		FROM short_links s JOIN pushes p ON p.id = s.push_id JOIN chat_groups g ON g.id = s.group_id
		WHERE s.org_id = ? AND p.status = 'sent' AND p.sent_at >= ? AND p.sent_at <= ?
		GROUP BY s.group_id, g.name ORDER BY s.group_id`), ms(from), ms(to), orgID, ms(from), ms(to))
	out, err := scanAll(rows, err, func(r *sql.Rows, g *content.GroupLinks) error {
		return r.Scan(&g.GroupID, &g.Group, &g.Pushes, &g.Links, &g.Clicks, &g.Visitors)
	})
	if err != nil {
		return nil, fmt.Errorf("group link clicks: %w", err)
	}
	return out, nil
}
