package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var _ community.Directory = (*DB)(nil)
var _ chat.Cursors = (*DB)(nil)

// CreateOrg inserts an organisation.
func (db *DB) CreateOrg(ctx context.Context, o *community.Org) error {
	if o.Name == "" || o.Slug == "" {
		return errkind.New(errkind.Invalid, "organisation name and slug are required")
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = db.now()
	}
	err := db.scanWrite(ctx, db.q("INSERT INTO orgs (name, slug, created_at) VALUES (?, ?, ?) RETURNING id"), []any{o.Name, o.Slug, ms(o.CreatedAt)}, &o.ID)
	if err != nil {
		return fmt.Errorf("create organisation %q: %w", o.Slug, classify(err))
	}
	return nil
}

// Orgs lists organisations in creation order.
func (db *DB) Orgs(ctx context.Context) ([]community.Org, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT id, name, slug, created_at FROM orgs ORDER BY id")
	out, err := scanAll(rows, err, func(r *sql.Rows, o *community.Org) error {
		var c int64
		if err := r.Scan(&o.ID, &o.Name, &o.Slug, &c); err != nil {
			return err
		}
		o.CreatedAt = fromMS(c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	return out, nil
}

// CreateNode inserts a tree node as the installation sets it up (bootstrap,
// the demo, imports): as AddNode, without an audit entry.
func (db *DB) CreateNode(ctx context.Context, n *community.Node) error {
	return db.addNode(ctx, n, "")
}

// AddNode inserts a tree node and records who added it in the audit log.
// The parent must exist in the same organisation; the kind is one of
// community.NodeKinds (team when empty).
func (db *DB) AddNode(ctx context.Context, n *community.Node, actor string) error {
	if actor == "" {
		return errkind.New(errkind.Invalid, "actor: required")
	}
	return db.addNode(ctx, n, actor)
}

// addNode inserts a node; an actor of "" records no audit entry.
func (db *DB) addNode(ctx context.Context, n *community.Node, actor string) error {
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || utf8.RuneCountInString(n.Name) > maxNodeName {
		return errkind.Errorf(errkind.Invalid, "name: required, at most %d characters", maxNodeName)
	}
	if n.Kind == "" {
		n.Kind = community.NodeTeam
	}
	if !n.Kind.Valid() {
		return errkind.Errorf(errkind.Invalid, "kind %q: want company, region, store, community or team", n.Kind)
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = db.now()
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if n.ParentID != 0 {
			var org int64
			err := tx.QueryRowContext(ctx, db.q("SELECT org_id FROM nodes WHERE id = ?"), n.ParentID).Scan(&org)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && org != n.OrgID) {
				return errkind.Errorf(errkind.Invalid, "parent_id: node %d does not exist in this organisation", n.ParentID)
			}
			if err != nil {
				return fmt.Errorf("find parent node: %w", err)
			}
		}
		err := tx.QueryRowContext(ctx, db.q("INSERT INTO nodes (org_id, parent_id, name, kind, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			n.OrgID, nullID(n.ParentID), n.Name, string(n.Kind), ms(n.CreatedAt)).Scan(&n.ID)
		if err != nil {
			return fmt.Errorf("create node %q: %w", n.Name, classify(err))
		}
		if actor == "" {
			return nil
		}
		return auditJSON(ctx, db, tx, n.OrgID, actor, "node.create", fmt.Sprintf("node:%d", n.ID), map[string]any{"name": n.Name, "kind": n.Kind, "parent": n.ParentID})
	})
}

// maxNodeName is the longest name of a tree node, in characters.
const maxNodeName = 100

// Nodes lists an organisation's tree nodes in creation order.
func (db *DB) Nodes(ctx context.Context, orgID int64) ([]community.Node, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, org_id, parent_id, name, kind, created_at FROM nodes WHERE org_id = ? ORDER BY id"), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, n *community.Node) error {
		var parent sql.NullInt64
		var kind string
		var c int64
		if err := r.Scan(&n.ID, &n.OrgID, &parent, &n.Name, &kind, &c); err != nil {
			return err
		}
		n.ParentID, n.Kind, n.CreatedAt = parent.Int64, community.NodeKind(kind), fromMS(c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// CreatePerson inserts a person (imports, staff set-up, tests).
func (db *DB) CreatePerson(ctx context.Context, p *community.Person) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = db.now()
	}
	err := db.scanWrite(ctx, db.q("INSERT INTO people (org_id, name, created_at) VALUES (?, ?, ?) RETURNING id"), []any{p.OrgID, p.Name, ms(p.CreatedAt)}, &p.ID)
	if err != nil {
		return fmt.Errorf("create person: %w", classify(err))
	}
	return nil
}

// CreateGroup inserts a group and sets its ID.
func (db *DB) CreateGroup(ctx context.Context, g *community.Group) error {
	return createGroup(ctx, db, db.sql, g)
}

// AddMembership inserts an open membership (staff set-up, imports).
func (db *DB) AddMembership(ctx context.Context, m *community.Membership) error {
	return addMembership(ctx, db, db.sql, m)
}

const memberCount = "(SELECT COUNT(*) FROM memberships m WHERE m.group_id = chat_groups.id AND m.left_at IS NULL)"

// Groups lists an organisation's groups with their current member counts.
func (db *DB) Groups(ctx context.Context, orgID int64) ([]community.Group, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+groupCols+", "+memberCount+" FROM chat_groups WHERE org_id = ? ORDER BY id"), orgID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []community.Group
	for rows.Next() {
		var members int
		g, err := scanGroup(rows, &members)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		g.Members = members
		out = append(out, g)
	}
	return out, rows.Err()
}

// Group returns one group of an organisation.
func (db *DB) Group(ctx context.Context, orgID, id int64) (community.Group, error) {
	var members int
	g, err := scanGroup(db.sql.QueryRowContext(ctx, db.q("SELECT "+groupCols+", "+memberCount+" FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, id), &members)
	if errors.Is(err, sql.ErrNoRows) {
		return g, errkind.Errorf(errkind.NotFound, "group %d not found", id)
	}
	if err != nil {
		return g, fmt.Errorf("get group %d: %w", id, err)
	}
	g.Members = members
	return g, nil
}

// Members lists a group's current members, oldest first.
func (db *DB) Members(ctx context.Context, groupID int64) ([]community.Member, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.id, m.group_id, m.person_id, m.role, m.source, m.inviter_id, m.code, m.nickname, m.joined_at, m.left_at, m.left_reason,
			p.name, COALESCE((SELECT i.external_id FROM identities i JOIN chat_groups g ON g.id = m.group_id
				WHERE i.person_id = m.person_id AND i.connection = g.connection LIMIT 1), '')
		FROM memberships m JOIN people p ON p.id = m.person_id
		WHERE m.group_id = ? AND m.left_at IS NULL ORDER BY m.joined_at, m.id`), groupID)
	out, err := scanAll(rows, err, func(r *sql.Rows, mb *community.Member) error {
		m, err := scanMembership(r, &mb.Name, &mb.PlatformUserID)
		if err != nil {
			return err
		}
		mb.Membership = m
		if m.Nickname != "" {
			mb.Name = m.Nickname
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}

// Messages lists a group's messages, newest first, a page at a time.
func (db *DB) Messages(ctx context.Context, groupID int64, p community.Page) ([]community.Message, error) {
	limit := p.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	// Newest first is by the time sent (imported history arrives after
	// newer messages), read backwards through messages_group_time; the
	// cursor is the id of the last message of the page before, whose
	// time places the page. A cursor that is not one of the group's
	// messages pages by id alone, as the list did before it was in time
	// order.
	cond, args := "m.id < ?", []any{groupID, int64(1<<62 - 1)}
	if p.Before > 0 {
		args[1] = p.Before
		var at int64
		err := db.sql.QueryRowContext(ctx, db.q("SELECT sent_at FROM messages WHERE id = ? AND group_id = ?"), p.Before, groupID).Scan(&at)
		switch {
		case err == nil:
			cond, args = "(m.sent_at < ? OR (m.sent_at = ? AND m.id < ?))", []any{groupID, at, at, p.Before}
		case !errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("list messages: cursor: %w", err)
		}
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.id, m.group_id, m.person_id, m.external_id, m.kind, m.text, m.url, m.reply_to, m.mentions, m.sent_at,
			COALESCE((SELECT i.name FROM identities i JOIN chat_groups g ON g.id = m.group_id
				WHERE i.person_id = m.person_id AND i.connection = g.connection LIMIT 1), p.name)
		FROM messages m JOIN people p ON p.id = m.person_id
		WHERE m.group_id = ? AND `+cond+` ORDER BY m.sent_at DESC, m.id DESC LIMIT ?`), append(args, limit)...)
	out, err := scanAll(rows, err, func(r *sql.Rows, m *community.Message) error {
		var kind string
		var sent int64
		if err := r.Scan(&m.ID, &m.GroupID, &m.PersonID, &m.ExternalID, &kind, &m.Text, &m.URL, &m.ReplyTo, &m.Mentions, &sent, &m.SenderName); err != nil {
			return err
		}
		m.Kind, m.SentAt = chat.MessageKind(kind), fromMS(sent)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return out, nil
}

// CountEvents returns how many events were ingested on a connection.
func (db *DB) CountEvents(ctx context.Context, connection string) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM events WHERE connection = ?"), connection).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// LoadCursor implements chat.Cursors.
func (db *DB) LoadCursor(ctx context.Context, connection, key string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, db.q("SELECT value FROM cursors WHERE connection = ? AND name = ?"), connection, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load cursor %s/%s: %w", connection, key, err)
	}
	return v, nil
}

// SaveCursor implements chat.Cursors.
func (db *DB) SaveCursor(ctx context.Context, connection, key, value string) error {
	_, err := db.exec(ctx, db.q(`INSERT INTO cursors (connection, name, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (connection, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`), connection, key, value, ms(db.now()))
	if err != nil {
		return fmt.Errorf("save cursor %s/%s: %w", connection, key, err)
	}
	return nil
}

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates an API token and returns its plaintext (the audit
// log names the system as its creator; see CreateTokenAs).
func (db *DB) CreateToken(ctx context.Context, orgID int64, name, scope string) (string, error) {
	_, plain, err := db.CreateTokenAs(ctx, orgID, name, scope, "system")
	return plain, err
}

// CreateTokenAs creates an API token for actor and returns it with its
// plaintext, which is not stored (only its SHA-256 is) and cannot be shown
// again.
func (db *DB) CreateTokenAs(ctx context.Context, orgID int64, name, scope, actor string) (access.Token, string, error) {
	t := access.Token{OrgID: orgID, Name: name, Scope: scope, CreatedAt: db.now()}
	if err := access.ValidScope(scope); err != nil {
		return t, "", err
	}
	if err := access.ValidTokenName(name); err != nil {
		return t, "", err
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return t, "", fmt.Errorf("generate token: %w", err)
	}
	plain := "qz_" + base64.RawURLEncoding.EncodeToString(raw[:])
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q("INSERT INTO api_tokens (org_id, name, hash, scope, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			orgID, name, hashToken(plain), scope, ms(t.CreatedAt)).Scan(&t.ID); err != nil {
			return fmt.Errorf("create token: %w", classify(err))
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "token.create", Subject: "token:" + name, Detail: community.Detail("token", t.ID, "scope", scope)})
	})
	if err != nil {
		return t, "", err
	}
	return t, plain, nil
}

// tokenTouchEvery is how stale a token's last use may be before a request
// writes it again: reading a token costs a write at most this often.
const tokenTouchEvery = 5 * time.Minute

// TokenByPlaintext authenticates a bearer token, noting its use (to within
// tokenTouchEvery).
func (db *DB) TokenByPlaintext(ctx context.Context, plain string) (access.Token, error) {
	var t access.Token
	var c int64
	var used sql.NullInt64
	err := db.sql.QueryRowContext(ctx, db.q("SELECT id, org_id, name, scope, created_at, last_used_at FROM api_tokens WHERE hash = ? AND revoked_at IS NULL"), hashToken(plain)).
		Scan(&t.ID, &t.OrgID, &t.Name, &t.Scope, &c, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errkind.New(errkind.Unauthorized, "unknown or revoked API token")
	}
	if err != nil {
		return t, fmt.Errorf("find token: %w", err)
	}
	t.CreatedAt = fromMS(c)
	if now := db.now(); !used.Valid || now.Sub(fromMS(used.Int64)) >= tokenTouchEvery {
		if _, err := db.exec(ctx, db.q("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), ms(now), t.ID); err != nil {
			db.log.Warn("note an API token's use", "token", t.ID, "err", err)
		}
	}
	return t, nil
}

// CreateUser inserts a console account; hash is the password hash. A
// manager sees the whole organisation; every other role needs a scope (a
// node or a group of the organisation). It is for set-up (the first
// administrator, fixtures): accounts that someone creates go through
// CreateUserAs, which records who.
func (db *DB) CreateUser(ctx context.Context, u *access.User) error {
	return db.CreateUserAs(ctx, u, "")
}

// CreateUserAs inserts a console account as CreateUser does and records in
// the audit log that actor created it (nothing when actor is "").
func (db *DB) CreateUserAs(ctx context.Context, u *access.User, actor string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.now()
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if u.ScopeNodeID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM nodes WHERE org_id = ? AND id = ?"), u.OrgID, u.ScopeNodeID).Scan(&n); err != nil || n == 0 {
				return errkind.Errorf(errkind.NotFound, "node %d not found", u.ScopeNodeID)
			}
		}
		if u.ScopeGroupID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM chat_groups WHERE org_id = ? AND id = ?"), u.OrgID, u.ScopeGroupID).Scan(&n); err != nil || n == 0 {
				return errkind.Errorf(errkind.NotFound, "group %d not found", u.ScopeGroupID)
			}
		}
		err := tx.QueryRowContext(ctx, db.q("INSERT INTO users (org_id, username, password_hash, role, scope_node_id, scope_group_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
			u.OrgID, u.Username, u.PasswordHash, string(u.Role), nullID(u.ScopeNodeID), nullID(u.ScopeGroupID), ms(u.CreatedAt)).Scan(&u.ID)
		if err := classify(err); errkind.Is(err, errkind.Conflict) {
			return errkind.Errorf(errkind.Conflict, "user name %q is taken", u.Username)
		} else if err != nil {
			return fmt.Errorf("create user %q: %w", u.Username, err)
		}
		if actor == "" {
			return nil
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: u.OrgID, Actor: actor, Action: "user.create", Subject: "user:" + u.Username,
			Detail: community.Detail("user", u.ID, "role", u.Role, "node", u.ScopeNodeID, "group", u.ScopeGroupID)})
	})
}

// userColumns are what readUser scans, from users u.
const userColumns = "u.id, u.org_id, u.username, u.password_hash, u.role, COALESCE(u.scope_node_id, 0), COALESCE(u.scope_group_id, 0), u.created_at, u.disabled_at, u.last_login_at"

// readUser scans a row of userColumns into u, after the columns before
// them (before).
func readUser(r interface{ Scan(...any) error }, u *access.User, before ...any) error {
	var c int64
	var disabled, login sql.NullInt64
	if err := r.Scan(append(before, &u.ID, &u.OrgID, &u.Username, &u.PasswordHash, &u.Role, &u.ScopeNodeID, &u.ScopeGroupID, &c, &disabled, &login)...); err != nil {
		return err
	}
	u.CreatedAt, u.Disabled, u.LastLogin = fromMS(c), disabled.Valid, fromNullMS(login)
	return nil
}

// UserByName finds a console account.
func (db *DB) UserByName(ctx context.Context, username string) (access.User, error) {
	var u access.User
	err := readUser(db.sql.QueryRowContext(ctx, db.q("SELECT "+userColumns+" FROM users u WHERE u.username = ?"), username), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return u, errkind.Errorf(errkind.NotFound, "user %q not found", username)
	}
	if err != nil {
		return u, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// AppendAudit appends to the audit log.
func (db *DB) AppendAudit(ctx context.Context, e community.AuditEntry) error {
	return appendAudit(ctx, db, db.sql, e)
}

// AuditLog lists an organisation's audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, orgID int64, p community.Page) ([]community.AuditEntry, error) {
	limit := p.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	before := p.Before
	if before <= 0 {
		before = 1<<62 - 1
	}
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, org_id, at, actor, action, subject, detail FROM audit_log WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?"), orgID, before, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, e *community.AuditEntry) error {
		var at int64
		if err := r.Scan(&e.ID, &e.OrgID, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return err
		}
		e.At = fromMS(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}

// ModerationActions lists moderation actions of an organisation, newest first.
func (db *DB) ModerationActions(ctx context.Context, orgID int64, limit int) ([]community.ModerationAction, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT id, org_id, COALESCE(group_id, 0), COALESCE(person_id, 0), message_id, action, rule, category, reason, actor, created_at
		FROM moderation_actions WHERE org_id = ? ORDER BY id DESC LIMIT ?`), orgID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, a *community.ModerationAction) error {
		var act string
		var c int64
		if err := r.Scan(&a.ID, &a.OrgID, &a.GroupID, &a.PersonID, &a.MessageID, &act, &a.Rule, &a.Category, &a.Reason, &a.Actor, &c); err != nil {
			return err
		}
		a.Action, a.CreatedAt = chat.ActionKind(act), fromMS(c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list moderation actions: %w", err)
	}
	return out, nil
}

// SetRole sets the role of a platform user's open membership in a group,
// found by the connection and platform ids, as the platform reports it:
// nothing is synced back. A new owner moves the role (SetGroupRole).
func (db *DB) SetRole(ctx context.Context, connection, groupExt, userExt string, role community.Role) error {
	c := community.RoleChange{Role: role, Actor: "platform:" + connection}
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT g.org_id, g.id, i.person_id FROM chat_groups g JOIN identities i ON i.connection = g.connection
		WHERE g.connection = ? AND g.external_id = ? AND i.external_id = ?`), connection, groupExt, userExt).Scan(&c.OrgID, &c.GroupID, &c.PersonID)
	if errors.Is(err, sql.ErrNoRows) {
		return errkind.Errorf(errkind.NotFound, "%s is not a member of %s/%s", userExt, connection, groupExt)
	}
	if err != nil {
		return fmt.Errorf("find membership: %w", err)
	}
	_, err = db.SetGroupRole(ctx, c)
	return err
}

// CountOffences counts a person's moderation actions since a time, except
// reminders about quiet hours and nicknames, clean-ups, eligibility and
// the join gate's holds and removals, and the model's warnings (a
// guess is no offence): the escalation ladder's input. What was recorded
// against them in a group where they are staff now does not count: roles
// are the members' roles now, also for what came before they were set (a
// member made 店小二 leaves her record as a member behind), as
// rules.Replay judges history.
func (db *DB) CountOffences(ctx context.Context, personID int64, since time.Time) (int, error) {
	return db.countOffences(ctx, db.prepared(nil), personID, since)
}

// CountOffences is DB.CountOffences read in the ingest transaction
// (pipeline.Ladder): on the writer's own connection, whose pages are warm,
// where a pooled reader begins a read transaction after every commit with
// its page cache dropped and reads the index's pages again — 120 µs a
// count under a batched ingest. The batch's own offences are not stored
// yet (they are written when it ends): Input.BatchOffences counts them.
func (t *ingestTx) CountOffences(ctx context.Context, personID int64, since time.Time) (int, error) {
	return t.db.countOffences(ctx, t.db.prepared(t.tx), personID, since)
}

// countOffencesSQL is the ladder's count (DB.CountOffences): asked for
// every offence inside the ingest writer, so run prepared (parsing it cost
// as much as running it).
const countOffencesSQL = `SELECT COUNT(*) FROM moderation_actions a
	WHERE a.person_id = ? AND a.created_at >= ? AND a.category NOT IN ('quiet', 'nickname', 'purge', 'eligibility', 'gate')
	AND a.rule NOT LIKE '%/model.%'
	AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = a.person_id AND m.group_id = a.group_id
		AND m.role IN ('owner', 'secretary', 'assistant')
		AND NOT EXISTS (SELECT 1 FROM memberships later WHERE later.person_id = m.person_id AND later.group_id = m.group_id AND later.joined_at > m.joined_at))`

// countOffences runs countOffencesSQL through q.
func (db *DB) countOffences(ctx context.Context, q queryer, personID int64, since time.Time) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, db.q(countOffencesSQL), personID, ms(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count offences: %w", err)
	}
	return n, nil
}

// NodeParents returns every tree node's parent (0 for roots).
func (db *DB) NodeParents(ctx context.Context) (map[int64]int64, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT id, COALESCE(parent_id, 0) FROM nodes")
	if err != nil {
		return nil, fmt.Errorf("read tree: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, p int64
		if err := rows.Scan(&id, &p); err != nil {
			return nil, fmt.Errorf("read tree: %w", err)
		}
		out[id] = p
	}
	return out, rows.Err()
}

// PersonNames returns the names of the organisation's people with the given
// ids (those who left a group too); unknown ids are left out.
func (db *DB) PersonNames(ctx context.Context, orgID int64, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, orgID)
		ph := make([]string, len(part))
		for i, id := range part {
			ph[i] = "?"
			args = append(args, id)
		}
		rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, name FROM people WHERE org_id = ? AND id IN ("+strings.Join(ph, ",")+")"), args...)
		if err != nil {
			return nil, fmt.Errorf("person names: %w", err)
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("person names: %w", err)
			}
			out[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("person names: %w", err)
		}
	}
	return out, nil
}

// GroupList lists an organisation's groups for the console's group
// tables: id, node, platform, name, kind, lifecycle and capacity only —
// no member counts (Members is 0), connection, platform id or times.
// Listing 10,000 groups costs a few columns per row, not a count of their
// memberships.
func (db *DB) GroupList(ctx context.Context, orgID int64) ([]community.Group, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, node_id, platform, name, kind, lifecycle, capacity FROM chat_groups WHERE org_id = ? ORDER BY id"), orgID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []community.Group
	for rows.Next() {
		g := community.Group{OrgID: orgID}
		var node sql.NullInt64
		var kind, life string
		if err := rows.Scan(&g.ID, &node, &g.Platform, &g.Name, &kind, &life, &g.Capacity); err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		g.NodeID, g.Kind, g.Lifecycle = node.Int64, community.GroupKind(kind), community.Lifecycle(life)
		out = append(out, g)
	}
	return out, rows.Err()
}
