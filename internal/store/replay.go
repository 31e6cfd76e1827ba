package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// Replaying the rules over stored history (rules.Replay), and the context
// the live rules ask for: who teaches in a group, and whether a message is
// addressed to its staff. Roles are the members' roles now, also for
// history imported before they were set.

// ReplayMessages returns how many messages the groups (of the
// organisation) have from since until until, and an iterator over them
// oldest first, as rules.Replay judges them: each with its sender's role
// in the group now, their platform user id, the stint they were in,
// whether they teach there, whether the message replies to the group's
// staff, and the harshest action recorded about it. The iterator streams
// (a query a day, read row by row); what it keeps in memory is the groups'
// memberships and the period's moderation actions, never the messages.
func (db *DB) ReplayMessages(ctx context.Context, orgID int64, groupIDs []int64, since, until time.Time) (int, iter.Seq2[rules.Stored, error], error) {
	empty := func(yield func(rules.Stored, error) bool) {}
	groups := map[int64]replayGroup{}
	in := idList(groupIDs)
	if in == "" {
		return 0, empty, nil
	}
	rows, qerr := db.sql.QueryContext(ctx, db.q("SELECT id, kind, connection FROM chat_groups WHERE org_id = ? AND id IN ("+in+")"), orgID)
	err := eachRow(rows, qerr,
		func(r *sql.Rows) error {
			var id int64
			var g replayGroup
			if err := r.Scan(&id, &g.kind, &g.connection); err != nil {
				return err
			}
			groups[id] = g
			return nil
		})
	if err != nil {
		return 0, nil, fmt.Errorf("replay: read groups: %w", err)
	}
	if len(groups) == 0 {
		return 0, empty, nil
	}
	ids := make([]int64, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	in = idList(ids) // the organisation's only
	var total int
	if err := db.sql.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM messages WHERE group_id IN ("+in+") AND sent_at >= ? AND sent_at < ?"), ms(since), ms(until)).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("replay: count messages: %w", err)
	}
	ctxt, err := db.replayContext(ctx, orgID, in, groups, since)
	if err != nil {
		return 0, nil, err
	}
	// A day at a time: each query sorts a day's messages, not the
	// period's, and no read lasts longer than a day's.
	seq := func(yield func(rules.Stored, error) bool) {
		for lo := since; lo.Before(until); lo = lo.Add(replaySlice) {
			hi := lo.Add(replaySlice)
			if hi.After(until) {
				hi = until
			}
			if !db.replaySlice(ctx, in, ctxt, lo, hi, yield) {
				return
			}
		}
	}
	return total, seq, nil
}

// replaySlice is how much of the period one query reads.
const replaySlice = 24 * time.Hour

// replaySlice streams the messages from lo until hi; false when the
// iteration is to stop (yield said so, or an error was yielded).
func (db *DB) replaySlice(ctx context.Context, in string, ctxt *replayContext, lo, hi time.Time, yield func(rules.Stored, error) bool) bool {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.id, m.group_id, m.person_id, m.external_id, m.reply_to, m.kind, m.text, m.url, m.mentions, m.sent_at
		FROM messages m WHERE m.group_id IN (`+in+`) AND m.sent_at >= ? AND m.sent_at < ? ORDER BY m.sent_at, m.id`), ms(lo), ms(hi))
	if err != nil {
		yield(rules.Stored{}, fmt.Errorf("replay: read messages: %w", err))
		return false
	}
	defer rows.Close()
	var kind, ext, replyTo string
	var at int64
	for rows.Next() {
		var s rules.Stored
		if err := rows.Scan(&s.ID, &s.GroupID, &s.PersonID, &ext, &replyTo, &kind, &s.Text, &s.URL, &s.Mentions, &at); err != nil {
			yield(rules.Stored{}, fmt.Errorf("replay: read messages: %w", err))
			return false
		}
		s.Kind, s.At = chat.MessageKind(kind), fromMS(at)
		ctxt.fill(&s, ext, replyTo)
		if !yield(s, nil) {
			return false
		}
	}
	if err := rows.Err(); err != nil {
		yield(rules.Stored{}, fmt.Errorf("replay: read messages: %w", err))
		return false
	}
	return true
}

type replayGroup struct {
	kind, connection string
}

// replayStint is one membership of a person in a group.
type replayStint struct {
	joined int64 // unix ms
	role   community.Role
}

type groupPerson struct{ group, person int64 }

// replayContext is what ReplayMessages knows of the people and of what was
// done, read once before the messages.
type replayContext struct {
	groups    map[int64]replayGroup
	stints    map[groupPerson][]replayStint // oldest first
	users     map[int64]map[string]string
	lecturers map[int64]bool
	done      map[doneKey]doneAction // a message → the harshest action about it
	// staffSaid holds the messages sent by a group's staff (as they are
	// now), the period's as they stream past and those of
	// pipeline.ReplyReach before it: "does it reply to staff?" is a
	// question about these only.
	staffSaid map[groupMessage]int64
}

// groupMessage is a message by its group and platform id.
type groupMessage struct {
	group int64
	id    string
}

// doneKey is a message as a moderation record names it: its group, its
// platform id and its sender.
type doneKey struct {
	group, person int64
	message       string
}

type doneAction struct {
	action chat.ActionKind
	rule   string
}

func (db *DB) replayContext(ctx context.Context, orgID int64, in string, groups map[int64]replayGroup, since time.Time) (*replayContext, error) {
	c := &replayContext{groups: groups, stints: map[groupPerson][]replayStint{}, users: map[int64]map[string]string{}, lecturers: map[int64]bool{}, done: map[doneKey]doneAction{}, staffSaid: map[groupMessage]int64{}}
	rows, qerr := db.sql.QueryContext(ctx, "SELECT group_id, person_id, role, joined_at FROM memberships WHERE group_id IN ("+in+") ORDER BY joined_at, id")
	err := eachRow(rows, qerr,
		func(r *sql.Rows) error {
			var k groupPerson
			var s replayStint
			var role string
			if err := r.Scan(&k.group, &k.person, &role, &s.joined); err != nil {
				return err
			}
			s.role = community.Role(role)
			c.stints[k] = append(c.stints[k], s)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("replay: read memberships: %w", err)
	}
	rows, qerr = db.sql.QueryContext(ctx, `SELECT i.person_id, i.connection, i.external_id FROM identities i
		WHERE i.person_id IN (SELECT person_id FROM memberships WHERE group_id IN (`+in+`))`)
	err = eachRow(rows, qerr,
		func(r *sql.Rows) error {
			var p int64
			var conn, user string
			if err := r.Scan(&p, &conn, &user); err != nil {
				return err
			}
			if c.users[p] == nil {
				c.users[p] = map[string]string{}
			}
			c.users[p][conn] = user
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("replay: read identities: %w", err)
	}
	if c.lecturers, err = db.lecturers(ctx, orgID); err != nil {
		return nil, err
	}
	// What was done about each message: the harshest action recorded
	// about it (by the rules, or by staff deciding a report), against its
	// sender. An action comes at or after its message; the messages are
	// matched as they stream past (fill), not joined here: a message is
	// found by its platform id only through its group's time index.
	rows, qerr = db.sql.QueryContext(ctx, db.q(`SELECT a.group_id, COALESCE(a.person_id, 0), a.message_id, a.action, a.rule FROM moderation_actions a
		WHERE a.group_id IN (`+in+`) AND a.message_id <> '' AND a.created_at >= ?`), ms(since.Add(-time.Hour)))
	err = eachRow(rows, qerr,
		func(r *sql.Rows) error {
			var k doneKey
			var act, rule string
			if err := r.Scan(&k.group, &k.person, &k.message, &act, &rule); err != nil {
				return err
			}
			if d, ok := c.done[k]; !ok || harsher(chat.ActionKind(act), d.action) {
				c.done[k] = doneAction{chat.ActionKind(act), rule}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("replay: read moderation actions: %w", err)
	}
	// The staff's messages of the reach before the period, which its first
	// messages may reply to: each staff member's through messages_person.
	rows, qerr = db.sql.QueryContext(ctx, db.q(`SELECT m.group_id, m.external_id, m.person_id FROM memberships ms
		JOIN messages m ON m.person_id = ms.person_id AND m.group_id = ms.group_id AND m.sent_at >= ? AND m.sent_at < ?
		WHERE ms.group_id IN (`+in+`) AND ms.role IN (`+staffRoles()+`)`), reachedFrom(since), ms(since))
	err = eachRow(rows, qerr,
		func(r *sql.Rows) error {
			var k groupMessage
			var person int64
			if err := r.Scan(&k.group, &k.id, &person); err != nil {
				return err
			}
			if roleNow(c.stints[groupPerson{k.group, person}]).Staff() { // staff now, not only once
				c.staffSaid[k] = person
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("replay: read the staff's messages: %w", err)
	}
	return c, nil
}

// fill sets what a stored message needs besides its own columns.
func (c *replayContext) fill(s *rules.Stored, ext, replyTo string) {
	g := c.groups[s.GroupID]
	s.GroupKind = g.kind
	s.UserID = c.users[s.PersonID][g.connection]
	st := c.stints[groupPerson{s.GroupID, s.PersonID}]
	role := roleNow(st)
	if len(st) > 0 {
		// The stint the message was sent in: the last one begun by then.
		at := ms(s.At)
		i := sort.Search(len(st), func(i int) bool { return st[i].joined > at })
		s.JoinedAt = fromMS(st[max(i-1, 0)].joined)
	}
	s.Role = string(role)
	s.Lecturer = community.Teaches(community.GroupKind(g.kind), role, c.lecturers[s.PersonID])
	if replyTo != "" {
		replied := c.staffSaid[groupMessage{s.GroupID, replyTo}]
		s.ToStaff = replied != 0 && replied != s.PersonID
	}
	if role.Staff() && ext != "" {
		c.staffSaid[groupMessage{s.GroupID, ext}] = s.PersonID
	}
	if len(c.done) == 0 {
		return
	}
	if d, ok := c.done[doneKey{s.GroupID, s.PersonID, ext}]; ok {
		s.Done, s.DoneRule = d.action, d.rule
	}
}

// roleNow is a person's role in a group now, given their stints there: in
// the last one (member when they were never in it).
func roleNow(st []replayStint) community.Role {
	if len(st) == 0 {
		return community.RoleMember
	}
	return st[len(st)-1].role
}

// harsher orders what the platform was asked to do.
func harsher(a, b chat.ActionKind) bool { return actionRank[a] > actionRank[b] }

var actionRank = map[chat.ActionKind]int{chat.ActSend: 1, chat.ActDelete: 2, chat.ActMute: 3, chat.ActKick: 4, chat.ActBan: 5}

// idList writes ids as a comma-separated list for an IN clause: integers,
// written into the query, so a node of thousands of groups needs no
// thousands of parameters.
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// lecturers returns the organisation's lecturers: the members of its
// lecturer groups (讲师群).
func (db *DB) lecturers(ctx context.Context, orgID int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	rows, qerr := db.sql.QueryContext(ctx, db.q(`SELECT DISTINCT m.person_id FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND g.kind = ? AND m.left_at IS NULL`), orgID, string(community.KindLecturer))
	err := eachRow(rows, qerr,
		func(r *sql.Rows) error {
			var p int64
			if err := r.Scan(&p); err != nil {
				return err
			}
			out[p] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read lecturers: %w", err)
	}
	return out, nil
}

// Teaches reports whether a person teaches in a group
// (community.Teaches): the group is a teaching group and they are on its
// staff or in one of the organisation's lecturer groups. The live rules
// ask it only when a verdict could turn on it.
func (db *DB) Teaches(ctx context.Context, g community.Group, personID int64) (bool, error) {
	if !g.Kind.Teaching() {
		return false, nil
	}
	var role string
	var lecturer int
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT
		COALESCE((SELECT role FROM memberships WHERE group_id = ? AND person_id = ? AND left_at IS NULL), ''),
		CASE WHEN EXISTS (SELECT 1 FROM memberships m JOIN chat_groups c ON c.id = m.group_id
			WHERE m.person_id = ? AND m.left_at IS NULL AND c.org_id = ? AND c.kind = ?) THEN 1 ELSE 0 END`),
		g.ID, personID, personID, g.OrgID, string(community.KindLecturer)).Scan(&role, &lecturer)
	if err != nil {
		return false, fmt.Errorf("who teaches in group %d: %w", g.ID, err)
	}
	return community.Teaches(g.Kind, community.Role(role), lecturer != 0), nil
}

// AddressesStaff reports whether a message in a group is addressed to the
// group's staff now: the message it replies to (replyTo, its platform
// id; "" for none) was sent by one of them, or one of users (platform
// user ids: those it mentions, or a reply's sender already known) is one.
// The message replied to is looked for among those sent within
// pipeline.ReplyReach before replyAt, the reply's time.
func (db *DB) AddressesStaff(ctx context.Context, g community.Group, replyTo string, replyAt time.Time, users []string) (bool, error) {
	if replyTo != "" {
		var n int
		err := db.sql.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM messages r JOIN memberships m ON m.group_id = r.group_id AND m.person_id = r.person_id
			WHERE r.id = (`+messageByID+`) AND m.left_at IS NULL AND m.role IN (`+staffRoles()+`)`), g.ID, reachedFrom(replyAt), replyTo).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("the sender of the message replied to: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	if len(users) == 0 {
		return false, nil
	}
	users = users[:min(len(users), 100)]
	args := []any{g.ID, g.Connection}
	ph := make([]string, len(users))
	for i, u := range users {
		ph[i] = "?"
		args = append(args, u)
	}
	var n int
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM identities i JOIN memberships m ON m.person_id = i.person_id
		WHERE m.group_id = ? AND m.left_at IS NULL AND m.role IN (`+staffRoles()+`) AND i.connection = ? AND i.external_id IN (`+strings.Join(ph, ",")+`)`), args...).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("the staff a message mentions: %w", err)
	}
	return n > 0, nil
}
