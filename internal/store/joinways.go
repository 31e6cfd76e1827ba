package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Join ways (群活码 kept by the platform): where a platform routes
// newcomers itself (community.JoinWays: WeCom's customer-group join ways),
// each active invite code of one of its groups stands for a join way that
// points at the groups of the code's group family with room and, when the
// family's pattern allows, lets the platform create the family's next
// group under the name qunzhu would give it. internal/app keeps them in
// step (EnsureJoinWay) and records what the platform has (RecordJoinWay);
// /join/{code} then sends newcomers to its QR code.

// JoinWayWants lists the join ways a connection should have: one per
// active invite code of an active group of it (Key and State: the code).
// Groups are the family's groups on the connection that have room — below
// their capacity and below limit members, the most the platform lets join
// by its code (0: no such limit) — in family order; the code's own group
// when it has no family, or when none has room and the platform cannot
// create the next. When the family's pattern names its groups with
// a trailing {n}, RoomBaseName and RoomBaseID name the next group; when no
// group has room that next group is added as an open task (as capacity
// routing does), which the group the platform creates is bound to by
// name.
func (db *DB) JoinWayWants(ctx context.Context, connection string, limit int) ([]community.JoinWay, error) {
	var out []community.JoinWay
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		type code struct {
			code         string
			org, groupID int64
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT c.code, c.org_id, c.group_id FROM invite_codes c
			JOIN chat_groups g ON g.id = c.group_id LEFT JOIN campaigns p ON p.id = c.campaign_id
			WHERE g.connection = ? AND g.lifecycle = ? AND c.archived_at IS NULL AND p.archived_at IS NULL ORDER BY c.code`), connection, string(community.Active))
		codes, err := scanAll(rows, err, func(r *sql.Rows, c *code) error { return r.Scan(&c.code, &c.org, &c.groupID) })
		if err != nil {
			return fmt.Errorf("join ways of %s: %w", connection, err)
		}
		bound := map[int64]bool{}
		byGroup := map[int64]community.JoinWay{} // the codes of a group want the same groups
		for _, c := range codes {
			if !bound[c.org] {
				if _, err := autoBind(ctx, db, tx, c.org); err != nil {
					return err
				}
				bound[c.org] = true
			}
			w, ok := byGroup[c.groupID]
			if !ok {
				if w, err = db.joinWayWant(ctx, tx, connection, c.org, c.groupID, limit); err != nil {
					return err
				}
				byGroup[c.groupID] = w
			}
			w.Key, w.State, w.Remark = c.code, c.code, "qunzhu "+c.code+" "+w.Remark
			if len(w.Groups) > 0 {
				out = append(out, w)
			}
		}
		return nil
	})
	return out, err
}

// joinWayWant is the join way of the invite codes of a group (see
// JoinWayWants), less their key and state; its remark is the group's name.
func (db *DB) joinWayWant(ctx context.Context, tx *sql.Tx, connection string, orgID, groupID int64, limit int) (community.JoinWay, error) {
	var w community.JoinWay
	g, err := loadGroup(ctx, db, tx, orgID, groupID)
	if err != nil {
		return w, err
	}
	w.Remark = g.Name
	room := func(g community.Group) bool {
		return g.Connection == connection && g.ExternalID != "" && community.HasRoom(g) && (limit <= 0 || g.Members < limit)
	}
	var fam int64
	err = tx.QueryRowContext(ctx, db.q("SELECT family_id FROM group_tasks WHERE group_id = ?"), groupID).Scan(&fam)
	if errors.Is(err, sql.ErrNoRows) {
		if g.ExternalID != "" {
			w.Groups = []string{g.ExternalID} // full or not: the link stays
		}
		return w, nil
	}
	if err != nil {
		return w, fmt.Errorf("find the family of group %d: %w", groupID, err)
	}
	for attempt := 0; ; attempt++ {
		w.Groups = nil
		ids, err := int64s(ctx, db, tx, "family", "SELECT group_id FROM group_tasks WHERE family_id = ? AND group_id IS NOT NULL ORDER BY n", fam)
		if err != nil {
			return w, err
		}
		for _, id := range ids {
			m, err := loadGroup(ctx, db, tx, orgID, id)
			if err != nil {
				return w, err
			}
			if room(m) {
				w.Groups = append(w.Groups, m.ExternalID)
			}
		}
		var pattern, topic, vars string
		var next int
		err = tx.QueryRowContext(ctx, db.q(`SELECT s.pattern, f.topic, f.vars,
				COALESCE((SELECT MIN(n) FROM group_tasks WHERE family_id = f.id AND status = 'open'), (SELECT COALESCE(MAX(n), 0) + 1 FROM group_tasks WHERE family_id = f.id))
			FROM group_families f JOIN group_template_steps s ON s.id = f.step_id WHERE f.id = ?`), fam).Scan(&pattern, &topic, &vars, &next)
		if err != nil {
			return w, fmt.Errorf("read family %d: %w", fam, err)
		}
		p, err := community.ParsePattern(pattern)
		if err != nil {
			return w, err
		}
		var values map[string]string
		if err := json.Unmarshal([]byte(vars), &values); err != nil {
			return w, fmt.Errorf("family %d variables: %w", fam, err)
		}
		base, ok := community.RoomBase(p, values, topic)
		if !ok {
			if len(w.Groups) == 0 && g.ExternalID != "" {
				w.Groups = []string{g.ExternalID}
			}
			return w, nil
		}
		w.RoomBaseName, w.RoomBaseID = base, next
		if len(w.Groups) > 0 || attempt > 0 {
			if len(w.Groups) == 0 {
				// Every group full: the join way still needs one to
				// start from; the platform creates the next after it.
				w.Groups = []string{g.ExternalID}
			}
			return w, nil
		}
		// Every group is full: the next is the platform's to create; an
		// open task for it binds the group it creates.
		var open int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM group_tasks WHERE family_id = ? AND status = 'open'"), fam).Scan(&open); err != nil {
			return w, fmt.Errorf("open tasks of family %d: %w", fam, err)
		}
		if open == 0 {
			if _, err := overflowTask(ctx, db, tx, orgID, fam, "system:join-way"); err != nil {
				return w, err
			}
		}
		if _, err := autoBind(ctx, db, tx, orgID); err != nil {
			return w, err
		}
	}
}

// RecordJoinWay records what the platform has for a join way after
// EnsureJoinWay: its id and QR code, or why it could not be made (failure,
// kept with the QR code of before).
func (db *DB) RecordJoinWay(ctx context.Context, connection string, want community.JoinWay, st community.JoinWayState, failure error) error {
	wantJSON, err := json.Marshal(want)
	if err != nil {
		return err
	}
	now := ms(db.now())
	if failure != nil {
		_, err = db.exec(ctx, db.q(`INSERT INTO join_ways (code, connection, want, error, checked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET connection = excluded.connection, want = excluded.want, error = excluded.error, checked_at = excluded.checked_at`),
			want.Key, connection, string(wantJSON), failure.Error(), now, now)
	} else {
		_, err = db.exec(ctx, db.q(`INSERT INTO join_ways (code, connection, config_id, qr_url, want, error, checked_at, updated_at) VALUES (?, ?, ?, ?, ?, '', ?, ?)
			ON CONFLICT (code) DO UPDATE SET connection = excluded.connection, config_id = excluded.config_id, qr_url = excluded.qr_url, want = excluded.want, error = '',
				checked_at = excluded.checked_at, updated_at = CASE WHEN join_ways.qr_url = excluded.qr_url AND join_ways.want = excluded.want THEN join_ways.updated_at ELSE excluded.updated_at END`),
			want.Key, connection, st.ConfigID, st.QRCode, string(wantJSON), now, now)
	}
	if err != nil {
		return fmt.Errorf("record join way %s: %w", want.Key, err)
	}
	return nil
}

// JoinWayCodes lists the invite codes that have a recorded join way on a
// connection.
func (db *DB) JoinWayCodes(ctx context.Context, connection string) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT code FROM join_ways WHERE connection = ? ORDER BY code"), connection)
	codes, err := scanAll(rows, err, func(r *sql.Rows, c *string) error { return r.Scan(c) })
	if err != nil {
		return nil, fmt.Errorf("join ways of %s: %w", connection, err)
	}
	return codes, nil
}

// ForgetJoinWay forgets the join way of a code (deleted on its platform).
func (db *DB) ForgetJoinWay(ctx context.Context, code string) error {
	if _, err := db.exec(ctx, db.q("DELETE FROM join_ways WHERE code = ?"), code); err != nil {
		return fmt.Errorf("forget join way %s: %w", code, err)
	}
	return nil
}

// JoinWayOf returns what qunzhu last heard of a code's join way; ok is
// false when it has none.
func (db *DB) JoinWayOf(ctx context.Context, code string) (w community.JoinWayRecord, ok bool, err error) {
	var failure string
	var checked int64
	err = db.sql.QueryRowContext(ctx, db.q("SELECT connection, qr_url, error, checked_at FROM join_ways WHERE code = ?"), code).Scan(&w.Connection, &w.QRCode, &failure, &checked)
	if errors.Is(err, sql.ErrNoRows) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf("read join way %s: %w", code, err)
	}
	w.Failed, w.CheckedAt = failure != "", fromMS(checked)
	return w, true, nil
}

// joinWayQR is the QR code of a code's join way ("" when it has none).
func joinWayQR(ctx context.Context, db *DB, code string) (string, error) {
	var qr string
	err := db.sql.QueryRowContext(ctx, db.q("SELECT qr_url FROM join_ways WHERE code = ?"), code).Scan(&qr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read join way %s: %w", code, err)
	}
	return qr, nil
}
