package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Platform connections added in the console, the leases by which one
// replica holds each connection, and the fenced claim of a connection's
// actions (see internal/connections).

// connSettings is the JSON of platform_connections.settings: what a
// [[connections]] block holds.
type connSettings struct {
	Token   string            `json:"token,omitempty"`
	PushURL string            `json:"push_url,omitempty"`
	Secret  string            `json:"secret,omitempty"`
	Options map[string]string `json:"options,omitempty"`
}

const connCols = "name, org_id, platform, settings, info, version, disabled_at, created_by, created_at, updated_at"

func scanConnection(r *sql.Rows, d *connections.Def) error {
	var settings, info string
	var disabled sql.NullInt64
	var created, updated int64
	if err := r.Scan(&d.Name, &d.OrgID, &d.Platform, &settings, &info, &d.Version, &disabled, &d.CreatedBy, &created, &updated); err != nil {
		return err
	}
	var s connSettings
	if err := json.Unmarshal([]byte(settings), &s); err != nil {
		return fmt.Errorf("connection %s: settings: %w", d.Name, err)
	}
	if err := json.Unmarshal([]byte(info), &d.Info); err != nil {
		return fmt.Errorf("connection %s: info: %w", d.Name, err)
	}
	d.Token, d.PushURL, d.Secret, d.Options = s.Token, s.PushURL, s.Secret, s.Options
	if d.Options == nil {
		d.Options = map[string]string{}
	}
	if d.Info == nil {
		d.Info = map[string]string{}
	}
	d.Source, d.Enabled = connections.FromConsole, !disabled.Valid
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	return nil
}

func encodeConnection(d connections.Def) (settings, info string, err error) {
	s, err := json.Marshal(connSettings{Token: d.Token, PushURL: d.PushURL, Secret: d.Secret, Options: d.Options})
	if err != nil {
		return "", "", fmt.Errorf("encode connection settings: %w", err)
	}
	if d.Info == nil {
		d.Info = map[string]string{}
	}
	i, err := json.Marshal(d.Info)
	if err != nil {
		return "", "", fmt.Errorf("encode connection info: %w", err)
	}
	return string(s), string(i), nil
}

// ConnectionDefs lists the connections added in the console, by name.
func (db *DB) ConnectionDefs(ctx context.Context) ([]connections.Def, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT "+connCols+" FROM platform_connections ORDER BY name")
	out, err := scanAll(rows, err, scanConnection)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	return out, nil
}

// ConnectionDef returns a connection added in the console; NotFound when
// there is none of that name.
func (db *DB) ConnectionDef(ctx context.Context, name string) (connections.Def, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+connCols+" FROM platform_connections WHERE name = ?"), name)
	out, err := scanAll(rows, err, scanConnection)
	if err != nil {
		return connections.Def{}, fmt.Errorf("read connection %s: %w", name, err)
	}
	if len(out) == 0 {
		return connections.Def{}, errkind.Errorf(errkind.NotFound, "no connection %q", name)
	}
	return out[0], nil
}

// CreateConnectionDef stores a new console connection (version 1);
// Conflict when the name is taken.
func (db *DB) CreateConnectionDef(ctx context.Context, d *connections.Def) error {
	settings, info, err := encodeConnection(*d)
	if err != nil {
		return err
	}
	now := db.now()
	var disabled any
	if !d.Enabled {
		disabled = ms(now)
	}
	_, err = db.exec(ctx, db.q(`INSERT INTO platform_connections (name, org_id, platform, settings, info, version, disabled_at, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`), d.Name, d.OrgID, d.Platform, settings, info, disabled, d.CreatedBy, ms(now), ms(now))
	if err = classify(err); err != nil {
		if errkind.Is(err, errkind.Conflict) {
			return errkind.Errorf(errkind.Conflict, "a connection named %q exists already", d.Name)
		}
		return fmt.Errorf("create connection %s: %w", d.Name, err)
	}
	d.Source, d.Version, d.CreatedAt, d.UpdatedAt = connections.FromConsole, 1, now, now
	return nil
}

// UpdateConnectionDef replaces a console connection's settings and info
// (its platform and name stay) and moves it to its next version.
func (db *DB) UpdateConnectionDef(ctx context.Context, d connections.Def) error {
	settings, info, err := encodeConnection(d)
	if err != nil {
		return err
	}
	return db.bumpConnection(ctx, d.Name, "settings = ?, info = ?,", settings, info)
}

// RestartConnectionDef moves a console connection to its next version
// without changing it: every replica rebuilds it, and the holder starts
// it again.
func (db *DB) RestartConnectionDef(ctx context.Context, name string) error {
	return db.bumpConnection(ctx, name, "")
}

// SetConnectionEnabled starts (true) or stops a console connection.
func (db *DB) SetConnectionEnabled(ctx context.Context, name string, on bool) error {
	var disabled any
	if !on {
		disabled = ms(db.now())
	}
	return db.bumpConnection(ctx, name, "disabled_at = ?,", disabled)
}

func (db *DB) bumpConnection(ctx context.Context, name, set string, args ...any) error {
	args = append(args, ms(db.now()), name)
	res, err := db.exec(ctx, db.q("UPDATE platform_connections SET "+set+" version = version + 1, updated_at = ? WHERE name = ?"), args...)
	if err != nil {
		return fmt.Errorf("update connection %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update connection %s: %w", name, err)
	} else if n == 0 {
		return errkind.Errorf(errkind.NotFound, "no connection %q", name)
	}
	return nil
}

// DeleteConnectionDef deletes a console connection and its lease. Its
// groups, members and history stay; the actions still waiting for it are
// given up (dead, "connection deleted"), since nothing will send them.
// It returns how many were.
func (db *DB) DeleteConnectionDef(ctx context.Context, name string) (int, error) {
	var dropped int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("DELETE FROM platform_connections WHERE name = ?"), name)
		if err != nil {
			return fmt.Errorf("delete connection %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete connection %s: %w", name, err)
		} else if n == 0 {
			return errkind.Errorf(errkind.NotFound, "no connection %q", name)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM connection_leases WHERE connection = ?"), name); err != nil {
			return fmt.Errorf("delete the lease of %s: %w", name, err)
		}
		res, err = tx.ExecContext(ctx, db.q("UPDATE outbox SET status = 'dead', lease_until = 0, last_error = 'connection deleted', done_at = ? WHERE connection = ? AND status = 'pending'"), ms(db.now()), name)
		if err != nil {
			return fmt.Errorf("give up the actions of %s: %w", name, err)
		}
		dropped, err = res.RowsAffected()
		return err
	})
	return int(dropped), err
}

// ConnectionLeases implements connections.Leases.
func (db *DB) ConnectionLeases(ctx context.Context) ([]connections.Lease, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT connection, holder, holder_url, fence, lease_until, since, status, status_at FROM connection_leases ORDER BY connection")
	out, err := scanAll(rows, err, func(r *sql.Rows, l *connections.Lease) error {
		var until, since, statusAt int64
		if err := r.Scan(&l.Connection, &l.Holder, &l.HolderURL, &l.Fence, &until, &since, &l.Status, &statusAt); err != nil {
			return err
		}
		l.Until, l.Since = fromMS(until), fromMS(since)
		if statusAt > 0 {
			l.StatusAt = fromMS(statusAt)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read connection leases: %w", err)
	}
	return out, nil
}

// AcquireConnection implements connections.Leases.
func (db *DB) AcquireConnection(ctx context.Context, connection, holder, url string, ttl time.Duration, from int64) (connections.Lease, bool, error) {
	now := db.now()
	l := connections.Lease{Connection: connection, Holder: holder, HolderURL: url, Until: now.Add(ttl), Since: now}
	err := db.scanWrite(ctx, db.q(`INSERT INTO connection_leases (connection, holder, holder_url, fence, lease_until, since, status, status_at)
		VALUES (?, ?, ?, 1, ?, ?, '', 0)
		ON CONFLICT (connection) DO UPDATE SET holder = excluded.holder, holder_url = excluded.holder_url, fence = connection_leases.fence + 1,
			lease_until = excluded.lease_until, since = excluded.since, status = '', status_at = 0
		WHERE connection_leases.lease_until < ? OR connection_leases.holder = excluded.holder OR connection_leases.fence = ?
		RETURNING fence`), []any{connection, holder, url, ms(l.Until), ms(now), ms(now), from}, &l.Fence)
	if errors.Is(err, sql.ErrNoRows) {
		return connections.Lease{}, false, nil // another holder's lease runs
	}
	if err != nil {
		return connections.Lease{}, false, fmt.Errorf("acquire the lease of %s: %w", connection, err)
	}
	return l, true, nil
}

// RenewConnection implements connections.Leases.
func (db *DB) RenewConnection(ctx context.Context, connection, holder string, fence int64, ttl time.Duration, status string) (bool, error) {
	now := db.now()
	res, err := db.exec(ctx, db.q("UPDATE connection_leases SET lease_until = ?, status = ?, status_at = ? WHERE connection = ? AND holder = ? AND fence = ?"),
		ms(now.Add(ttl)), status, ms(now), connection, holder, fence)
	if err != nil {
		return false, fmt.Errorf("renew the lease of %s: %w", connection, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("renew the lease of %s: %w", connection, err)
	}
	return n == 1, nil
}

// ReleaseConnection implements connections.Leases.
func (db *DB) ReleaseConnection(ctx context.Context, connection, holder string, fence int64) error {
	if _, err := db.exec(ctx, db.q("UPDATE connection_leases SET lease_until = 0 WHERE connection = ? AND holder = ? AND fence = ?"), connection, holder, fence); err != nil {
		return fmt.Errorf("release the lease of %s: %w", connection, err)
	}
	return nil
}

var _ pipeline.FencedOutbox = (*DB)(nil)

// ClaimActionsFenced is ClaimActions for the replica holding the
// connection: it claims nothing unless the connection's lease is still
// holder's, with fence, and has not run out — checked in the same
// statement, so a replica that lost the connection cannot take its
// actions however late it asks.
func (db *DB) ClaimActionsFenced(ctx context.Context, connection, holder string, fence int64, limit int, lease time.Duration) ([]pipeline.OutboxItem, error) {
	return db.claimActions(ctx, connection, limit, lease,
		" AND EXISTS (SELECT 1 FROM connection_leases l WHERE l.connection = ? AND l.holder = ? AND l.fence = ? AND l.lease_until >= ?)",
		connection, holder, fence, ms(db.now()))
}

// SetupDismissed reports whether the organisation's first-run checklist
// was dismissed.
func (db *DB) SetupDismissed(ctx context.Context, orgID int64) (bool, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM setup_dismissals WHERE org_id = ?"), orgID).Scan(&n); err != nil {
		return false, fmt.Errorf("read the checklist: %w", err)
	}
	return n > 0, nil
}

// DismissSetup hides the organisation's first-run checklist.
func (db *DB) DismissSetup(ctx context.Context, orgID int64, actor string) error {
	_, err := db.exec(ctx, db.q(`INSERT INTO setup_dismissals (org_id, dismissed_by, dismissed_at) VALUES (?, ?, ?)
		ON CONFLICT (org_id) DO NOTHING`), orgID, actor, ms(db.now()))
	if err = classify(err); err != nil {
		return fmt.Errorf("dismiss the checklist: %w", err)
	}
	return nil
}
