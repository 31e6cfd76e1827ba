package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// appendActionRow appends an action's outbox row to args (connection,
// key, kind, payload, due, created): due when it was made, or at its
// NotBefore if later. An action without a key, a connection or a known
// kind is refused.
func appendActionRow(args []any, verb string, a chat.Action, at time.Time) ([]any, error) {
	if a.Key == "" || a.Connection == "" || !a.Kind.Valid() {
		return nil, errkind.Errorf(errkind.Invalid, "%s action %+v: key, connection and a known kind are required", verb, a)
	}
	payload, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode action: %w", err)
	}
	next := at
	if a.NotBefore.After(at) {
		next = a.NotBefore
	}
	return append(args, a.Connection, a.Key, string(a.Kind), string(payload), ms(next), ms(at)), nil
}

// classify maps constraint violations to error kinds.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return &errkind.Error{Kind: errkind.Conflict, Message: "already exists", Err: err}
		case "23503":
			return &errkind.Error{Kind: errkind.Invalid, Message: "refers to something that does not exist", Err: err}
		}
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return &errkind.Error{Kind: errkind.Conflict, Message: "already exists", Err: err}
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return &errkind.Error{Kind: errkind.Invalid, Message: "refers to something that does not exist", Err: err}
	}
	return err
}

var _ pipeline.Outbox = (*DB)(nil)

var enqueueSQL = newMultiRow("INSERT INTO outbox (connection, idem_key, kind, payload, next_at, created_at) VALUES ",
	"(?, ?, ?, ?, ?, ?)", " ON CONFLICT (idem_key) DO NOTHING")

func enqueue(ctx context.Context, db *DB, q queryer, actions []chat.Action, at time.Time) error {
	args := make([]any, 0, 6*min(len(actions), chunk))
	for start := 0; start < len(actions); start += chunk {
		end := min(start+chunk, len(actions))
		args = args[:0]
		for i := start; i < end; i++ {
			var err error
			if args, err = appendActionRow(args, "enqueue", actions[i], at); err != nil {
				return err
			}
		}
		text := enqueueSQL.text(db, end-start)
		if tx, ok := q.(*sql.Tx); ok {
			// In an ingest batch: a statement prepared once (parsing a
			// many-row insert costs as much as running it).
			st, err := db.stmt(ctx, tx, text)
			if err != nil {
				return fmt.Errorf("enqueue actions: %w", err)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("enqueue actions: %w", err)
			}
			continue
		}
		if _, err := q.ExecContext(ctx, text, args...); err != nil {
			return fmt.Errorf("enqueue actions: %w", err)
		}
	}
	return nil
}

// ReviseActions adds actions to the outbox as Enqueue does, and an action
// whose key is there already, still pending and not yet tried or claimed,
// takes the new one's payload and due time: a welcome that the joins of
// its window revise to name them all. One already sent stays as it went.
func (t *ingestTx) ReviseActions(ctx context.Context, actions []chat.Action, at time.Time) error {
	for _, a := range actions {
		row, err := appendActionRow(nil, "revise", a, at)
		if err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, t.db.q(reviseSQL), row...); err != nil {
			return fmt.Errorf("revise action: %w", err)
		}
	}
	return nil
}

const reviseSQL = `INSERT INTO outbox (connection, idem_key, kind, payload, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (idem_key) DO UPDATE SET payload = excluded.payload, next_at = excluded.next_at
	WHERE outbox.status = 'pending' AND outbox.attempts = 0 AND outbox.lease_until = 0`

// Enqueue adds actions to the outbox outside an ingest batch (staff
// commands, scheduled pushes).
func (db *DB) Enqueue(ctx context.Context, actions []chat.Action) error {
	return enqueue(ctx, db, db.sql, actions, db.now())
}

func scanOutbox(rows *sql.Rows) ([]pipeline.OutboxItem, error) {
	defer rows.Close()
	var out []pipeline.OutboxItem
	for rows.Next() {
		var it pipeline.OutboxItem
		var payload string
		var created int64
		if err := rows.Scan(&it.ID, &payload, &it.Status, &it.Attempts, &it.LastError, &it.PendingFor, &it.PendingReason, &created); err != nil {
			return nil, fmt.Errorf("scan outbox: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &it.Action); err != nil {
			return nil, fmt.Errorf("decode outbox item %d: %w", it.ID, err)
		}
		it.CreatedAt = fromMS(created)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

const outboxCols = "id, payload, status, attempts, last_error, pending_for, pending_reason, created_at"

// ClaimActions leases up to limit due actions of a connection for delivery:
// no other dispatcher (in this or another process) gets them until the lease
// ends. A crashed dispatcher's leases expire and the actions are delivered
// again: delivery is at least once.
func (db *DB) ClaimActions(ctx context.Context, connection string, limit int, lease time.Duration) ([]pipeline.OutboxItem, error) {
	return db.claimActions(ctx, connection, limit, lease, "")
}

// claimActions claims as ClaimActions does, and only where the condition
// and its arguments hold as well (a fenced claim's).
func (db *DB) claimActions(ctx context.Context, connection string, limit int, lease time.Duration, and string, args ...any) ([]pipeline.OutboxItem, error) {
	now := db.now()
	if db.dialect == SQLite {
		return db.claimSQLite(ctx, connection, limit, now, lease, and, args)
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`UPDATE outbox SET lease_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND connection = ? AND next_at <= ? AND lease_until <= ?
			ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)`+and+`
		RETURNING `+outboxCols), append([]any{ms(now.Add(lease)), connection, ms(now), ms(now), limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("claim actions: %w", err)
	}
	return scanOutbox(rows)
}

// claimSQLite picks the due actions with a read, outside the write lock,
// and claims them in its turn to write on the writing connection,
// checking again that each is still due and unclaimed (another
// dispatcher may have taken it in between).
// Picking the first due actions in id order sorts every due action: with
// a backlog of tens of thousands (a platform back after an outage) that
// took a second or more, which the ingest waited through when it was
// done holding the lock. A poll that finds nothing due writes nothing.
func (db *DB) claimSQLite(ctx context.Context, connection string, limit int, now time.Time, lease time.Duration, and string, args []any) ([]pipeline.OutboxItem, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM outbox WHERE status = 'pending' AND connection = ? AND next_at <= ? AND lease_until <= ?
		ORDER BY id LIMIT ?`, connection, ms(now), ms(now), limit)
	ids, err := scanAll(rows, err, scanInt64)
	if err != nil {
		return nil, fmt.Errorf("claim actions: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	all := make([]any, 0, len(ids)+3+len(args))
	all = append(all, ms(now.Add(lease)))
	for _, id := range ids {
		all = append(all, id)
	}
	all = append(all, ms(now), ms(now))
	var items []pipeline.OutboxItem
	err = db.onIngestConn(ctx, func(q queryer) error {
		rows, err := q.QueryContext(ctx, `UPDATE outbox SET lease_until = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(ids))+`) AND status = 'pending' AND next_at <= ? AND lease_until <= ?`+and+`
			RETURNING `+outboxCols, append(all, args...)...)
		if err != nil {
			return err
		}
		items, err = scanOutbox(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim actions: %w", err)
	}
	return items, nil
}

// CompleteActions marks delivered actions done, in one statement.
func (db *DB) CompleteActions(ctx context.Context, ids []int64) error {
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, ms(db.now()))
		ph := make([]string, len(part))
		for i, id := range part {
			ph[i] = "?"
			args = append(args, id)
		}
		if _, err := db.exec(ctx, db.q("UPDATE outbox SET status = 'done', done_at = ?, lease_until = 0, last_error = '' WHERE id IN ("+strings.Join(ph, ",")+")"), args...); err != nil {
			return fmt.Errorf("complete %d actions: %w", len(part), err)
		}
	}
	return nil
}

// CompleteAction marks an action delivered.
func (db *DB) CompleteAction(ctx context.Context, id int64) error {
	_, err := db.exec(ctx, db.q("UPDATE outbox SET status = 'done', done_at = ?, lease_until = 0, last_error = '' WHERE id = ?"), ms(db.now()), id)
	if err != nil {
		return fmt.Errorf("complete action %d: %w", id, err)
	}
	return nil
}

// RetryAction schedules another attempt.
func (db *DB) RetryAction(ctx context.Context, id int64, next time.Time, cause string) error {
	_, err := db.exec(ctx, db.q("UPDATE outbox SET next_at = ?, lease_until = 0, last_error = ? WHERE id = ? AND status = 'pending'"), ms(next), cause, id)
	if err != nil {
		return fmt.Errorf("retry action %d: %w", id, err)
	}
	return nil
}

// DeferAction postpones an action without counting the attempt (a rate
// limit, not a failure).
func (db *DB) DeferAction(ctx context.Context, id int64, next time.Time) error {
	_, err := db.exec(ctx, db.q("UPDATE outbox SET next_at = ?, lease_until = 0, attempts = attempts - 1 WHERE id = ? AND status = 'pending'"), ms(next), id)
	if err != nil {
		return fmt.Errorf("defer action %d: %w", id, err)
	}
	return nil
}

// KillAction gives up on an action; it stays visible with its error.
func (db *DB) KillAction(ctx context.Context, id int64, cause string) error {
	_, err := db.exec(ctx, db.q("UPDATE outbox SET status = 'dead', lease_until = 0, last_error = ?, done_at = ? WHERE id = ?"), cause, ms(db.now()), id)
	if err != nil {
		return fmt.Errorf("kill action %d: %w", id, err)
	}
	return nil
}

// PullActions lists pending actions of pull-mode connections with an id
// above after, oldest first.
func (db *DB) PullActions(ctx context.Context, connections []string, after int64, limit int) ([]pipeline.OutboxItem, error) {
	if len(connections) == 0 {
		return nil, nil
	}
	args := []any{after}
	ph := make([]string, len(connections))
	for i, c := range connections {
		ph[i] = "?"
		args = append(args, c)
	}
	args = append(args, limit)
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+outboxCols+" FROM outbox WHERE status = 'pending' AND id > ? AND connection IN ("+strings.Join(ph, ",")+") ORDER BY id LIMIT ?"), args...)
	if err != nil {
		return nil, fmt.Errorf("pull actions: %w", err)
	}
	return scanOutbox(rows)
}

// AckActions marks pulled actions delivered and returns how many changed.
// Only actions of the given connections are touched.
func (db *DB) AckActions(ctx context.Context, connections []string, ids []int64) (int, error) {
	if len(connections) == 0 || len(ids) == 0 {
		return 0, nil
	}
	args := []any{ms(db.now())}
	idph := make([]string, len(ids))
	for i, id := range ids {
		idph[i] = "?"
		args = append(args, id)
	}
	cph := make([]string, len(connections))
	for i, c := range connections {
		cph[i] = "?"
		args = append(args, c)
	}
	res, err := db.exec(ctx, db.q("UPDATE outbox SET status = 'done', done_at = ? WHERE status = 'pending' AND id IN ("+strings.Join(idph, ",")+") AND connection IN ("+strings.Join(cph, ",")+")"), args...)
	if err != nil {
		return 0, fmt.Errorf("ack actions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("ack actions: %w", err)
	}
	return int(n), nil
}

// OutboxCounts returns how many actions are in each status.
func (db *DB) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT status, COUNT(*) FROM outbox GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count outbox: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// OutboxItems lists actions of a status, newest first (for the console and tests).
func (db *DB) OutboxItems(ctx context.Context, status string, limit int) ([]pipeline.OutboxItem, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+outboxCols+" FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?"), status, limit)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return scanOutbox(rows)
}
