package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// ingestTx is the write side of one ingest batch: everything the pipeline
// stores for a batch of events (their idempotency keys, the rows they
// create, the actions they cause) commits or rolls back together.
type ingestTx struct {
	db *DB
	tx *sql.Tx

	// Moderation records and audit entries are written when the batch is
	// done (flush), many rows a statement: nothing in a batch reads them
	// back, and a burst of moderation (a flood muted message by message)
	// would otherwise cost two statements a message.
	mods   []community.ModerationAction
	audits []community.AuditEntry
}

var _ pipeline.Store = (*DB)(nil)
var _ pipeline.Tx = (*ingestTx)(nil)

// messageByID is the row id of a group's newest message with a platform
// id, sent at or after a time (arguments: group, reachedFrom of the
// reply's time, platform id). It reads the group's index entries from the
// newest back to that time, the
// platform id being part of messages_group_time (migration 0034): a
// message is looked up by its id only when it is answered, reported or
// acted on, shortly after it was sent, and the bound keeps a miss cheap.
const messageByID = "SELECT id FROM messages WHERE group_id = ? AND sent_at >= ? AND external_id = ? ORDER BY sent_at DESC LIMIT 1"

// reachedFrom is the earliest a message answered at replyAt may have been
// sent to be found (unix ms): pipeline.ReplyReach before it.
func reachedFrom(replyAt time.Time) int64 { return ms(replyAt.Add(-pipeline.ReplyReach)) }

// Ingest runs fn in one transaction, on the connection kept for writing
// (onWriter): on SQLite a connection's page cache is dropped whenever
// another connection has written since its last transaction, and batches
// that moved from one pooled connection to the next read the indexes they
// insert into from the file again (a third of the writer's time under
// load). After any error the connection goes back to the pool (a broken
// one is discarded there) and the next batch takes another.
func (db *DB) Ingest(ctx context.Context, fn func(pipeline.Tx) error) error {
	return db.onWriter(ctx, func(c *sql.Conn) (bool, error) {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return true, fmt.Errorf("begin: %w", err)
		}
		t := &ingestTx{db: db, tx: tx}
		err = fn(t)
		if err == nil {
			err = t.flush(ctx)
		}
		_, err = commitOrRollback(tx, err)
		return err != nil, err
	})
}

// onWriter runs fn on the connection kept for writing, in this process's
// turn to write (writeTurn; at once on PostgreSQL, where it serves the
// ingest batches only). On SQLite every write goes through it — the
// ingest batches, the leases renewed every few seconds, the outbox's
// claims and acks, every transaction (inTx) and single write (exec):
// a write from any other connection would make SQLite drop this one's
// page cache at its next transaction, and the batch after it read its
// indexes from the file again (the leases alone, renewed every 5 s from
// pooled connections, cost 6% of qunzhu's CPU under the HTTP benchmark).
// fn reports whether the connection should be given back to the pool
// (after a failed batch or commit: a broken connection is discarded
// there, and the next user takes another). The turn is taken before the
// connection, so a write nested in another times out as SQLite's own
// wait would instead of waiting for ever.
func (db *DB) onWriter(ctx context.Context, fn func(c *sql.Conn) (drop bool, err error)) error {
	return db.writeOn(ctx, true, fn)
}

// writeOn is onWriter; logged tells the checkpointer that fn wrote to the
// log (the checkpointer's own turn does not).
func (db *DB) writeOn(ctx context.Context, logged bool, fn func(c *sql.Conn) (drop bool, err error)) error {
	done, err := db.writeTurn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer done()
	db.ingestMu.Lock()
	defer db.ingestMu.Unlock()
	if err := db.openIngestConn(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	drop, err := fn(db.ingestConn)
	if drop {
		db.dropIngestConn()
	}
	if logged {
		db.wrote()
	}
	return err
}

// openIngestConn takes the writing connection from the pool unless it is
// held already; the caller holds ingestMu.
func (db *DB) openIngestConn(ctx context.Context) error {
	if db.ingestConn != nil {
		return nil
	}
	c, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	db.ingestConn = c
	return nil
}

// onIngestConn runs fn — a small write of its own — on SQLite on the
// writing connection in its turn (onWriter), and on PostgreSQL on the
// pool.
func (db *DB) onIngestConn(ctx context.Context, fn func(q queryer) error) error {
	if db.dialect != SQLite {
		return fn(db.sql)
	}
	return db.onWriter(ctx, func(c *sql.Conn) (bool, error) {
		err := fn(c)
		// A statement that failed for its data (a conflict, no row) leaves
		// the connection as it was; any other failure may have broken it.
		return err != nil && !errors.Is(err, sql.ErrNoRows) && errkind.Of(classify(err)) != errkind.Conflict, err
	})
}

// dropIngestConn gives the ingest connection back to the pool; the caller
// holds ingestMu.
func (db *DB) dropIngestConn() {
	if db.ingestConn != nil {
		db.ingestConn.Close()
		db.ingestConn = nil
	}
}

// row runs a prepared single-row query in the transaction.
func (t *ingestTx) row(ctx context.Context, query string, args ...any) *sql.Row {
	return t.db.prepared(t.tx).QueryRowContext(ctx, t.db.q(query), args...)
}

// exec runs a prepared statement in the transaction.
func (t *ingestTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.db.prepared(t.tx).ExecContext(ctx, t.db.q(query), args...)
}

// chunk is how many rows one multi-row INSERT carries.
const chunk = 500

// multiRow caches "INSERT … VALUES (…),(…)" texts by row count.
type multiRow struct {
	mu    sync.Mutex
	head  string
	row   string
	tail  string
	cache map[multiKey]string
}

type multiKey struct {
	d Dialect
	n int
}

func newMultiRow(head, row, tail string) *multiRow {
	return &multiRow{head: head, row: row, tail: tail, cache: map[multiKey]string{}}
}

func (m *multiRow) text(db *DB, n int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := multiKey{db.dialect, n}
	if s, ok := m.cache[k]; ok {
		return s
	}
	var b strings.Builder
	b.WriteString(m.head)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.row)
	}
	b.WriteString(m.tail)
	s := b.String()
	if db.dialect == Postgres {
		s = rebind(s)
	}
	m.cache[k] = s
	return s
}

// The insert of events' keys, with and without reading back the new ones.
const (
	claimHead = "INSERT INTO events (connection, external_id, type, received_at) VALUES "
	claimRow  = "(?, ?, ?, ?)"
	claimTail = " ON CONFLICT (connection, external_id) DO NOTHING"
)

var (
	claimEventsSQL    = newMultiRow(claimHead, claimRow, claimTail+" RETURNING connection, external_id")
	claimAllSQL       = newMultiRow(claimHead, claimRow, claimTail)
	insertMessagesSQL = newMultiRow("INSERT INTO messages (group_id, person_id, external_id, kind, text, url, reply_to, mentions, mention_ids, sent_at) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "")
)

// ClaimEvents records the idempotency keys of events and reports, per event,
// whether it is new. Events already stored (or repeated earlier in evs) are
// reported false and must not be processed again.
//
// On SQLite the keys are first inserted without reading back which were
// new (claimAll): a platform's redelivery is rare, and RETURNING costs
// SQLite a temporary table of the rows and the driver a row each to read
// back — a third of the claim's time, 2 µs an event under a batched ingest.
// Only a batch holding a key stored already is claimed again row by row.
func (t *ingestTx) ClaimEvents(ctx context.Context, evs []chat.Event, at time.Time) ([]bool, error) {
	fresh := make([]bool, len(evs))
	index := make(map[string]int, len(evs))
	var rows []int // indexes of first occurrences, in order
	for i := range evs {
		k := evs[i].Key()
		if _, dup := index[k]; dup {
			continue
		}
		index[k] = i
		rows = append(rows, i)
	}
	if t.db.dialect == SQLite && len(rows) > 0 {
		all, err := t.claimAll(ctx, evs, rows, at)
		if err != nil {
			return nil, err
		}
		if all {
			for _, i := range rows {
				fresh[i] = true
			}
			return fresh, nil
		}
	}
	for start := 0; start < len(rows); start += chunk {
		st, args, err := t.claimStmt(ctx, claimEventsSQL, evs, rows[start:min(start+chunk, len(rows))], at)
		if err != nil {
			return nil, err
		}
		res, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		for res.Next() {
			var conn, id string
			if err := res.Scan(&conn, &id); err != nil {
				res.Close()
				return nil, fmt.Errorf("claim events: %w", err)
			}
			if i, ok := index[conn+"\x00"+id]; ok {
				fresh[i] = true
			}
		}
		if err := res.Close(); err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("claim events: %w", err)
		}
	}
	return fresh, nil
}

// claimStmt prepares the statement q inserting the keys of evs[rows]
// (one chunk) and returns it with its arguments.
func (t *ingestTx) claimStmt(ctx context.Context, q *multiRow, evs []chat.Event, rows []int, at time.Time) (*sql.Stmt, []any, error) {
	args := make([]any, 0, 4*len(rows))
	for _, i := range rows {
		args = append(args, evs[i].Connection, evs[i].ID, string(evs[i].Type), ms(at))
	}
	st, err := t.db.stmt(ctx, t.tx, q.text(t.db, len(rows)))
	if err != nil {
		return nil, nil, fmt.Errorf("claim events: %w", err)
	}
	return st, args, nil
}

// claimAll inserts the keys of evs[rows] without reading back which were
// new, and reports whether all of them were (the rows the statements
// changed). When some were not, it undoes its inserts (a savepoint; the
// pages it holds are the few at the end of the events table) and leaves
// ClaimEvents to say which.
func (t *ingestTx) claimAll(ctx context.Context, evs []chat.Event, rows []int, at time.Time) (bool, error) {
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT claim"); err != nil {
		return false, fmt.Errorf("claim events: %w", err)
	}
	var n int64
	for start := 0; start < len(rows); start += chunk {
		st, args, err := t.claimStmt(ctx, claimAllSQL, evs, rows[start:min(start+chunk, len(rows))], at)
		if err != nil {
			return false, err
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return false, fmt.Errorf("claim events: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("claim events: %w", err)
		}
		n += k
	}
	if n == int64(len(rows)) {
		if _, err := t.tx.ExecContext(ctx, "RELEASE claim"); err != nil {
			return false, fmt.Errorf("claim events: %w", err)
		}
		return true, nil
	}
	if _, err := t.tx.ExecContext(ctx, "ROLLBACK TO claim"); err != nil {
		return false, fmt.Errorf("claim events: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, "RELEASE claim"); err != nil {
		return false, fmt.Errorf("claim events: %w", err)
	}
	return false, nil
}

const groupCols = "id, org_id, node_id, connection, platform, external_id, name, kind, lifecycle, capacity, expires_at, created_at, bot_lang"

func scanGroup(sc interface{ Scan(...any) error }, extra ...any) (community.Group, error) {
	var g community.Group
	var node sql.NullInt64
	var exp sql.NullInt64
	var created int64
	var kind, life string
	dest := append([]any{&g.ID, &g.OrgID, &node, &g.Connection, &g.Platform, &g.ExternalID, &g.Name, &kind, &life, &g.Capacity, &exp, &created, &g.BotLang}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return g, err
	}
	g.NodeID = node.Int64
	g.Kind = community.GroupKind(kind)
	g.Lifecycle = community.Lifecycle(life)
	g.ExpiresAt = fromNullMS(exp)
	g.CreatedAt = fromMS(created)
	return g, nil
}

// GroupByExternal finds a group by its connection and platform id.
func (t *ingestTx) GroupByExternal(ctx context.Context, connection, externalID string) (community.Group, bool, error) {
	g, err := scanGroup(t.row(ctx, "SELECT "+groupCols+" FROM chat_groups WHERE connection = ? AND external_id = ?", connection, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("find group %s/%s: %w", connection, externalID, err)
	}
	return g, true, nil
}

// CreateGroup inserts g and sets its ID.
func (t *ingestTx) CreateGroup(ctx context.Context, g *community.Group) error {
	return createGroup(ctx, t.db, t.db.prepared(t.tx), g)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func createGroup(ctx context.Context, db *DB, q queryer, g *community.Group) error {
	if g.Kind == "" {
		g.Kind = community.KindCustom
	}
	if g.Lifecycle == "" {
		g.Lifecycle = community.Active
	}
	if g.Capacity == 0 {
		g.Capacity = community.DefaultCapacity
	}
	if g.BotLang != "" && !community.ValidBotLang(g.BotLang) {
		return errkind.Errorf(errkind.Invalid, "group %q: bot language %q: want zh or en", g.Name, g.BotLang)
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = db.now()
	}
	// A new group speaks its organisation's default language unless told
	// otherwise.
	err := q.QueryRowContext(ctx, db.q(`INSERT INTO chat_groups (org_id, node_id, connection, platform, external_id, name, kind, lifecycle, capacity, expires_at, created_at, bot_lang)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(NULLIF(?, ''), (SELECT bot_lang FROM orgs WHERE id = ?), 'zh')) RETURNING id, bot_lang`),
		g.OrgID, nullID(g.NodeID), g.Connection, g.Platform, g.ExternalID, g.Name, string(g.Kind), string(g.Lifecycle), g.Capacity, nullMS(g.ExpiresAt), ms(g.CreatedAt), g.BotLang, g.OrgID).Scan(&g.ID, &g.BotLang)
	if err != nil {
		return fmt.Errorf("create group %q: %w", g.Name, classify(err))
	}
	return nil
}

// RenameGroup sets a group's name.
func (t *ingestTx) RenameGroup(ctx context.Context, groupID int64, name string) error {
	if _, err := t.exec(ctx, "UPDATE chat_groups SET name = ? WHERE id = ?", name, groupID); err != nil {
		return fmt.Errorf("rename group %d: %w", groupID, err)
	}
	return nil
}

// ResolvePerson returns the person behind a platform user, creating the
// person and the identity on first sight. A changed display name updates
// the identity.
func (t *ingestTx) ResolvePerson(ctx context.Context, orgID int64, connection, platform string, u chat.User) (int64, error) {
	return t.resolvePerson(ctx, orgID, connection, platform, u, true)
}

// ResolveHistoricPerson is ResolvePerson for an event of the past: a known
// identity keeps its name.
func (t *ingestTx) ResolveHistoricPerson(ctx context.Context, orgID int64, connection, platform string, u chat.User) (int64, error) {
	return t.resolvePerson(ctx, orgID, connection, platform, u, false)
}

func (t *ingestTx) resolvePerson(ctx context.Context, orgID int64, connection, platform string, u chat.User, rename bool) (int64, error) {
	var pid int64
	var name string
	err := t.row(ctx, "SELECT person_id, name FROM identities WHERE connection = ? AND external_id = ?", connection, u.ID).Scan(&pid, &name)
	switch {
	case err == nil:
		if rename && u.Name != "" && u.Name != name {
			if _, err := t.exec(ctx, "UPDATE identities SET name = ? WHERE connection = ? AND external_id = ?", u.Name, connection, u.ID); err != nil {
				return 0, fmt.Errorf("update identity name: %w", err)
			}
		}
		return pid, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("find identity %s/%s: %w", connection, u.ID, err)
	}
	display := u.Name
	if display == "" {
		display = u.ID
	}
	now := ms(t.db.now())
	if err := t.row(ctx, "INSERT INTO people (org_id, name, created_at) VALUES (?, ?, ?) RETURNING id", orgID, display, now).Scan(&pid); err != nil {
		return 0, fmt.Errorf("create person: %w", err)
	}
	if _, err := t.exec(ctx, "INSERT INTO identities (person_id, connection, platform, external_id, name, bot) VALUES (?, ?, ?, ?, ?, ?)",
		pid, connection, platform, u.ID, display, u.Bot); err != nil {
		return 0, fmt.Errorf("create identity: %w", err)
	}
	return pid, nil
}

const membershipCols = "id, group_id, person_id, role, source, inviter_id, code, nickname, joined_at, left_at, left_reason"

func scanMembership(sc interface{ Scan(...any) error }, extra ...any) (community.Membership, error) {
	var m community.Membership
	var role, source, reason string
	var inviter, left sql.NullInt64
	var joined int64
	dest := append([]any{&m.ID, &m.GroupID, &m.PersonID, &role, &source, &inviter, &m.Code, &m.Nickname, &joined, &left, &reason}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return m, err
	}
	m.Role = community.Role(role)
	m.Source = chat.JoinSource(source)
	m.InviterID = inviter.Int64
	m.JoinedAt = fromMS(joined)
	m.LeftAt = fromNullMS(left)
	m.LeftReason = chat.LeaveReason(reason)
	return m, nil
}

// The ingest's lookups by group and person (TestStaffQueriesUseTheirIndex
// checks their plans: an index added for another query once turned the
// ladder's lookup into a read of the whole group).
const (
	lastLeftSQL       = "SELECT MAX(left_at) FROM memberships WHERE group_id = ? AND person_id = ?"
	groupActiveSQL    = "SELECT 1 FROM messages WHERE group_id = ? AND sent_at > ? LIMIT 1"
	openMembershipSQL = "SELECT " + membershipCols + " FROM memberships WHERE group_id = ? AND person_id = ? AND left_at IS NULL"
)

// LastLeft returns when the person last left the group.
func (t *ingestTx) LastLeft(ctx context.Context, groupID, personID int64) (time.Time, bool, error) {
	var left sql.NullInt64
	if err := t.row(ctx, lastLeftSQL, groupID, personID).Scan(&left); err != nil {
		return time.Time{}, false, fmt.Errorf("last leave: %w", err)
	}
	if !left.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(left.Int64), true, nil
}

// GroupActiveAfter reports whether the group has a message sent after t.
func (t *ingestTx) GroupActiveAfter(ctx context.Context, groupID int64, at time.Time) (bool, error) {
	var n int
	err := t.row(ctx, groupActiveSQL, groupID, ms(at)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("group activity: %w", err)
	}
	return true, nil
}

// OpenMembership returns the person's current stint in the group.
func (t *ingestTx) OpenMembership(ctx context.Context, groupID, personID int64) (community.Membership, bool, error) {
	m, err := scanMembership(t.row(ctx, openMembershipSQL, groupID, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("find membership: %w", err)
	}
	return m, true, nil
}

// AddMembership inserts an open membership and sets its ID.
func (t *ingestTx) AddMembership(ctx context.Context, m *community.Membership) error {
	return addMembership(ctx, t.db, t.db.prepared(t.tx), m)
}

func addMembership(ctx context.Context, db *DB, q queryer, m *community.Membership) error {
	if m.Role == "" {
		m.Role = community.RoleMember
	}
	err := q.QueryRowContext(ctx, db.q(`INSERT INTO memberships (group_id, person_id, role, source, inviter_id, code, nickname, joined_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		m.GroupID, m.PersonID, string(m.Role), string(m.Source), nullID(m.InviterID), m.Code, m.Nickname, ms(m.JoinedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("add membership: %w", classify(err))
	}
	return nil
}

// EndMembership closes a stint.
func (t *ingestTx) EndMembership(ctx context.Context, membershipID int64, at time.Time, reason chat.LeaveReason) error {
	if _, err := t.exec(ctx, "UPDATE memberships SET left_at = ?, left_reason = ? WHERE id = ? AND left_at IS NULL", ms(at), string(reason), membershipID); err != nil {
		return fmt.Errorf("end membership %d: %w", membershipID, err)
	}
	return nil
}

// SetNickname records a member's group nickname.
func (t *ingestTx) SetNickname(ctx context.Context, membershipID int64, nickname string) error {
	if _, err := t.exec(ctx, "UPDATE memberships SET nickname = ? WHERE id = ?", nickname, membershipID); err != nil {
		return fmt.Errorf("set nickname: %w", err)
	}
	return nil
}

// InsertMessages stores messages: on SQLite one row a statement, on
// PostgreSQL many.
//
// On SQLite a statement that writes many rows into a table with immediate
// foreign keys (messages references its group and its sender) keeps a
// statement journal, to undo itself alone should a row fail: every page
// it changes is first copied to a temporary file, two writes each. A
// batch's messages change a page of each message index per group and per
// sender — most of a batch's pages — so the copies cost more than the
// inserts (a quarter of the writer's time under the HTTP benchmark). A
// one-row insert needs no statement journal, and executing a prepared one
// costs a few microseconds. PostgreSQL has no such journal, and a row a
// statement would be a round trip a row.
func (t *ingestTx) InsertMessages(ctx context.Context, msgs []community.Message) error {
	if t.db.dialect == SQLite {
		st, err := t.db.stmt(ctx, t.tx, insertMessagesSQL.text(t.db, 1))
		if err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
		// Each row runs without the batch's context, which is checked
		// between rows instead: a statement given a context that can end
		// costs the driver a goroutine, a channel and a progress handler
		// to interrupt it, more than the insert of a row.
		rowCtx := context.WithoutCancel(ctx)
		for i := range msgs {
			if i%64 == 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("insert messages: %w", err)
				}
			}
			m := &msgs[i]
			if _, err := st.ExecContext(rowCtx, m.GroupID, m.PersonID, m.ExternalID, string(m.Kind), m.Text, m.URL, m.ReplyTo, m.Mentions, mentionIDs(m.MentionIDs), ms(m.SentAt)); err != nil {
				return fmt.Errorf("insert messages: %w", err)
			}
		}
		return nil
	}
	args := make([]any, 0, 10*chunk)
	for start := 0; start < len(msgs); start += chunk {
		end := min(start+chunk, len(msgs))
		args = args[:0]
		for i := start; i < end; i++ {
			m := &msgs[i]
			args = append(args, m.GroupID, m.PersonID, m.ExternalID, string(m.Kind), m.Text, m.URL, m.ReplyTo, m.Mentions, mentionIDs(m.MentionIDs), ms(m.SentAt))
		}
		st, err := t.db.stmt(ctx, t.tx, insertMessagesSQL.text(t.db, end-start))
		if err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
	}
	return nil
}

// mentionIDs keeps the platform ids a message mentions as one text, space
// separated (ids with spaces in them, which no platform uses, are left
// out), at most 50 of them.
func mentionIDs(ids []string) string {
	var b strings.Builder
	n := 0
	for _, id := range ids {
		if id == "" || strings.ContainsFunc(id, unicode.IsSpace) || n == 50 {
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(id)
		n++
	}
	return b.String()
}

// Enqueue adds actions to the outbox. An action whose key is already there
// is not added again.
func (t *ingestTx) Enqueue(ctx context.Context, actions []chat.Action, at time.Time) error {
	return enqueue(ctx, t.db, t.tx, actions, at)
}

// RecordModeration stores a moderation action (when the batch is flushed).
func (t *ingestTx) RecordModeration(ctx context.Context, a community.ModerationAction) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t.db.now()
	}
	t.mods = append(t.mods, a)
	return nil
}

var (
	moderationSQL = newMultiRow("INSERT INTO moderation_actions (org_id, group_id, person_id, message_id, action, rule, category, reason, actor, created_at) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "")
	auditSQL = newMultiRow("INSERT INTO audit_log (org_id, at, actor, action, subject, detail) VALUES ", "(?, ?, ?, ?, ?, ?)", "")
)

// flush writes the batch's moderation records and audit entries, in the
// order they were made.
func (t *ingestTx) flush(ctx context.Context) error {
	if err := insertRows(ctx, t, moderationSQL, len(t.mods), func(args []any, i int) []any {
		a := &t.mods[i]
		return append(args, a.OrgID, nullID(a.GroupID), nullID(a.PersonID), a.MessageID, string(a.Action), a.Rule, a.Category, a.Reason, a.Actor, ms(a.CreatedAt))
	}); err != nil {
		return fmt.Errorf("record moderation: %w", err)
	}
	if err := insertRows(ctx, t, auditSQL, len(t.audits), func(args []any, i int) []any {
		e := &t.audits[i]
		return append(args, e.OrgID, ms(e.At), e.Actor, e.Action, e.Subject, e.Detail)
	}); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	t.mods, t.audits = t.mods[:0], t.audits[:0]
	return nil
}

// insertRows inserts n rows with m's multi-row statements, chunk rows a
// statement; add appends row i's values.
func insertRows(ctx context.Context, t *ingestTx, m *multiRow, n int, add func(args []any, i int) []any) error {
	var args []any
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = add(args, i)
		}
		st, err := t.db.stmt(ctx, t.tx, m.text(t.db, end-start))
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

func recordModeration(ctx context.Context, db *DB, q queryer, a community.ModerationAction) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = db.now()
	}
	_, err := q.ExecContext(ctx, db.q(`INSERT INTO moderation_actions (org_id, group_id, person_id, message_id, action, rule, category, reason, actor, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		a.OrgID, nullID(a.GroupID), nullID(a.PersonID), a.MessageID, string(a.Action), a.Rule, a.Category, a.Reason, a.Actor, ms(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("record moderation: %w", err)
	}
	return nil
}

// Audit appends to the audit log (when the batch is flushed).
func (t *ingestTx) Audit(ctx context.Context, e community.AuditEntry) error {
	if e.At.IsZero() {
		e.At = t.db.now()
	}
	if e.Detail == "" {
		e.Detail = "{}"
	}
	t.audits = append(t.audits, e)
	return nil
}

func appendAudit(ctx context.Context, db *DB, q queryer, e community.AuditEntry) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	// Always a JSON object, whoever built it: the API embeds it as is.
	e.Detail = community.SafeDetail(e.Detail)
	if _, err := q.ExecContext(ctx, db.q("INSERT INTO audit_log (org_id, at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)"),
		e.OrgID, ms(e.At), e.Actor, e.Action, e.Subject, e.Detail); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}
