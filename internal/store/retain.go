package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Retention says how long what would otherwise grow forever is kept
// ([retention] in the configuration; docs/operations.md). A zero duration
// keeps everything of its kind.
type Retention struct {
	// OutboxDone: delivered actions (rows and their payloads).
	OutboxDone time.Duration
	// OutboxDead: actions given up on.
	OutboxDead time.Duration
	// Pulled: how long an action waits for a bridge that pulls its
	// actions (PulledConnections) before it is given up, marked dead with
	// the reason — a bridge that never acknowledges would grow the outbox
	// without end.
	Pulled            time.Duration
	PulledConnections []string
	// AuditDetail: how long audit entries keep their detail (the message
	// a decision was about, what matched); the entry itself stays.
	AuditDetail time.Duration
	// EventKeys: how long the idempotency keys of ingested events are
	// kept. An event whose key is gone is stored again if it comes again
	// (a re-import of old history), so the default keeps them.
	EventKeys time.Duration
}

// Retained counts what Retain removed.
type Retained struct {
	OutboxDone, OutboxDead, PulledGivenUp, AuditDetails, EventKeys int64
}

// Total is the number of rows changed.
func (r Retained) Total() int64 {
	return r.OutboxDone + r.OutboxDead + r.PulledGivenUp + r.AuditDetails + r.EventKeys
}

// retainChunk is how many rows one statement of Retain changes, so that
// no transaction holds SQLite's write lock for long.
const retainChunk = 5000

// ExpiredDetail is what an audit entry's detail becomes when it expires.
const ExpiredDetail = `{"expired":true}`

// Retain applies a retention policy as of now. Run it from one replica at
// a time (the scheduler's lease); it is safe to run again.
func (db *DB) Retain(ctx context.Context, p Retention, now time.Time) (Retained, error) {
	var r Retained
	var err error
	if p.Pulled > 0 && len(p.PulledConnections) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(p.PulledConnections)), ", ")
		args := []any{fmt.Sprintf("not pulled by the bridge within %s (retention.pulled)", p.Pulled), ms(now)}
		for _, c := range p.PulledConnections {
			args = append(args, c)
		}
		args = append(args, ms(now.Add(-p.Pulled)))
		if r.PulledGivenUp, err = db.execCount(ctx, `UPDATE outbox SET status = 'dead', lease_until = 0, last_error = ?, done_at = ?
			WHERE status = 'pending' AND connection IN (`+ph+`) AND created_at < ?`, args...); err != nil {
			return r, fmt.Errorf("retention: give up pulled actions: %w", err)
		}
	}
	for _, o := range []struct {
		status string
		keep   time.Duration
		n      *int64
	}{{"done", p.OutboxDone, &r.OutboxDone}, {"dead", p.OutboxDead, &r.OutboxDead}} {
		if o.keep <= 0 {
			continue
		}
		if *o.n, err = db.chunked(ctx, `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = ? AND done_at < ? ORDER BY id LIMIT ?)`,
			o.status, ms(now.Add(-o.keep))); err != nil {
			return r, fmt.Errorf("retention: %s actions: %w", o.status, err)
		}
	}
	if p.AuditDetail > 0 {
		if r.AuditDetails, err = db.expireAudit(ctx, now.Add(-p.AuditDetail)); err != nil {
			return r, err
		}
	}
	if p.EventKeys > 0 {
		// One statement: the keys are ordered by connection and id, not
		// time, so chunks would each scan the table.
		if r.EventKeys, err = db.execCount(ctx, "DELETE FROM events WHERE received_at < ?", ms(now.Add(-p.EventKeys))); err != nil {
			return r, fmt.Errorf("retention: event keys: %w", err)
		}
	}
	return r, nil
}

// expireAudit clears the detail of audit entries older than before, a
// window of ids at a time.
func (db *DB) expireAudit(ctx context.Context, before time.Time) (int64, error) {
	var hi sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, db.q("SELECT MAX(id) FROM audit_log WHERE at < ?"), ms(before)).Scan(&hi); err != nil {
		return 0, fmt.Errorf("retention: audit: %w", err)
	}
	var total int64
	for lo := int64(0); hi.Valid && lo < hi.Int64; lo += retainChunk {
		n, err := db.execCount(ctx, `UPDATE audit_log SET detail = ? WHERE id > ? AND id <= ? AND at < ? AND detail <> '{}' AND detail <> ?`,
			ExpiredDetail, lo, lo+retainChunk, ms(before), ExpiredDetail)
		if err != nil {
			return total, fmt.Errorf("retention: audit detail: %w", err)
		}
		total += n
	}
	return total, nil
}

// chunked runs a statement whose last argument is a LIMIT until it
// changes fewer rows than the limit, and returns how many it changed.
func (db *DB) chunked(ctx context.Context, query string, args ...any) (int64, error) {
	var total int64
	for {
		n, err := db.execCount(ctx, query, append(args, retainChunk)...)
		total += n
		if err != nil || n < retainChunk {
			return total, err
		}
	}
}

func (db *DB) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := db.exec(ctx, db.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
