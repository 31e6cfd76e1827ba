package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// ExpireGroups handles temporary groups: a notice to each group whose end
// is within remind and was not announced yet, and archival of each group
// whose end has passed (rules and pushes stop, history stays). It returns
// how many groups were reminded and archived.
func (db *DB) ExpireGroups(ctx context.Context, remind time.Duration, loc *time.Location) (reminded, archived int, err error) {
	now := db.now()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, db.q(`SELECT id, org_id, connection, external_id, expires_at, bot_lang FROM chat_groups
			WHERE lifecycle = 'active' AND expires_at IS NOT NULL AND expires_at <= ? AND expiry_reminded_at IS NULL`), ms(now.Add(remind)))
		if err != nil {
			return fmt.Errorf("find expiring groups: %w", err)
		}
		type g struct {
			id, org   int64
			conn, ext string
			expires   int64
			lang      string
		}
		soon, err := scanAll(rows, err, func(r *sql.Rows, x *g) error { return r.Scan(&x.id, &x.org, &x.conn, &x.ext, &x.expires, &x.lang) })
		if err != nil {
			return fmt.Errorf("find expiring groups: %w", err)
		}
		var acts []chat.Action
		for _, x := range soon {
			end := fromMS(x.expires).In(loc).Format("2006-01-02 15:04")
			acts = append(acts, chat.Action{Key: fmt.Sprintf("expiry:%d:%d", x.id, x.expires), Connection: x.conn, Kind: chat.ActSend, Group: x.ext,
				Text: community.ExpiryNotice(x.lang, end), Reason: "temporary group ending"})
			if _, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET expiry_reminded_at = ? WHERE id = ?"), ms(now), x.id); err != nil {
				return fmt.Errorf("mark reminded: %w", err)
			}
		}
		if err := enqueue(ctx, db, tx, acts, now); err != nil {
			return err
		}
		reminded = len(acts)
		rows, err = tx.QueryContext(ctx, db.q("SELECT id, org_id FROM chat_groups WHERE lifecycle = 'active' AND expires_at IS NOT NULL AND expires_at <= ?"), ms(now))
		done, err := scanAll(rows, err, func(r *sql.Rows, d *[2]int64) error { return r.Scan(&d[0], &d[1]) })
		if err != nil {
			return fmt.Errorf("find expired groups: %w", err)
		}
		for _, d := range done {
			if _, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET lifecycle = 'archived' WHERE id = ?"), d[0]); err != nil {
				return fmt.Errorf("archive group: %w", err)
			}
			if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: d[1], Actor: "system", Action: "group.archive", Subject: fmt.Sprintf("group:%d", d[0]), Detail: `{"reason":"temporary group ended"}`}); err != nil {
				return err
			}
		}
		archived = len(done)
		return nil
	})
	return reminded, archived, err
}
