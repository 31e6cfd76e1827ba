package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Sign-up lists (群接龙) and offline events (线下活动): a list in a group,
// opened by staff in the chat, through the API or the console, with an
// optional capacity (then later sign-ups wait on a waitlist and move up as
// others cancel), a time, a place and a temporary group, announced in more
// groups than its own when opened from the console or the API (members of
// each sign up on the one list); entries are numbered in order, can be
// cancelled and checked in; the event can be closed or cancelled. The chat
// commands run inside the ingest transaction, the API and the console in
// their own: both through signups.

type signups struct {
	db *DB
	q  queryer
}

const listCols = "l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at, l.cancelled_at"

// scanList reads listCols (and extra columns after them).
func scanList(sc interface{ Scan(...any) error }, l *community.SignupList, extra ...any) error {
	var at, closed, cancelled sql.NullInt64
	if err := sc.Scan(append([]any{&l.ID, &l.GroupID, &l.Title, &l.Capacity, &at, &l.Place, &closed, &cancelled}, extra...)...); err != nil {
		return err
	}
	l.EventAt, l.Closed, l.Cancelled = fromNullMS(at), closed.Valid, cancelled.Valid
	return nil
}

func (s signups) list(row *sql.Row) (community.SignupList, bool, error) {
	var l community.SignupList
	err := scanList(row, &l)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("find sign-up list: %w", err)
	}
	return l, true, nil
}

// inGroup is the condition that a list is one of the group's: opened in
// it or announced in it.
const inGroup = "(l.group_id = ? OR EXISTS (SELECT 1 FROM event_groups eg WHERE eg.list_id = l.id AND eg.group_id = ?))"

// open finds the list open in the group (opened or announced there).
func (s signups) open(ctx context.Context, groupID int64) (community.SignupList, bool, error) {
	return s.list(s.q.QueryRowContext(ctx, s.db.q("SELECT "+listCols+" FROM signup_lists l WHERE l.closed_at IS NULL AND "+inGroup+" ORDER BY l.id LIMIT 1"), groupID, groupID))
}

// latest finds the group's newest list that is not cancelled, open or
// closed.
func (s signups) latest(ctx context.Context, groupID int64) (community.SignupList, bool, error) {
	return s.list(s.q.QueryRowContext(ctx, s.db.q("SELECT "+listCols+" FROM signup_lists l WHERE l.cancelled_at IS NULL AND "+inGroup+" ORDER BY l.id DESC LIMIT 1"), groupID, groupID))
}

// byID finds an event of the organisation.
func (s signups) byID(ctx context.Context, orgID, id int64) (community.SignupList, error) {
	l, ok, err := s.list(s.q.QueryRowContext(ctx, s.db.q("SELECT "+listCols+" FROM signup_lists l WHERE l.id = ? AND EXISTS (SELECT 1 FROM chat_groups g WHERE g.id = l.group_id AND g.org_id = ?)"), id, orgID))
	if err != nil {
		return l, err
	}
	if !ok {
		return l, errkind.Errorf(errkind.NotFound, "event %d not found", id)
	}
	return l, nil
}

// live finds an event of the organisation that is not cancelled.
func (s signups) live(ctx context.Context, orgID, id int64) (community.SignupList, error) {
	l, err := s.byID(ctx, orgID, id)
	if err == nil && l.Cancelled {
		err = errkind.Errorf(errkind.Conflict, "活动已取消。Event %d is cancelled.", id)
	}
	return l, err
}

// full fills in the list's other groups and its entries.
func (s signups) full(ctx context.Context, l *community.SignupList) error {
	rows, err := s.q.QueryContext(ctx, s.db.q("SELECT group_id FROM event_groups WHERE list_id = ? ORDER BY group_id"), l.ID)
	also, err := scanAll(rows, err, func(r *sql.Rows, id *int64) error { return r.Scan(id) })
	if err != nil {
		return fmt.Errorf("read event groups: %w", err)
	}
	l.AlsoIn = also
	return s.entries(ctx, l)
}

// entries fills in the list's entries, in order.
func (s signups) entries(ctx context.Context, l *community.SignupList) error {
	rows, err := s.q.QueryContext(ctx, s.db.q(`SELECT s.n, s.person_id, COALESCE(NULLIF(m.nickname, ''), p.name), s.note, s.status, s.checked_in_at FROM signups s
		JOIN people p ON p.id = s.person_id
		LEFT JOIN memberships m ON m.person_id = s.person_id AND m.group_id = ? AND m.left_at IS NULL
		WHERE s.list_id = ? ORDER BY s.n`), l.GroupID, l.ID)
	if err != nil {
		return fmt.Errorf("read sign-up list: %w", err)
	}
	defer rows.Close()
	l.Entries = nil
	for rows.Next() {
		var en community.SignupEntry
		var checked sql.NullInt64
		if err := rows.Scan(&en.N, &en.PersonID, &en.Name, &en.Note, &en.Status, &checked); err != nil {
			return fmt.Errorf("read sign-up list: %w", err)
		}
		en.CheckedIn = checked.Valid
		l.Entries = append(l.Entries, en)
	}
	return rows.Err()
}

// create opens a list; false when the group has one open, its own or one
// announced in it.
func (s signups) create(ctx context.Context, l *community.SignupList, by int64, tempGroup int64, at time.Time) (bool, error) {
	var announced int
	if err := s.q.QueryRowContext(ctx, s.db.q("SELECT COUNT(*) FROM event_groups eg JOIN signup_lists l ON l.id = eg.list_id WHERE eg.group_id = ? AND l.closed_at IS NULL"), l.GroupID).Scan(&announced); err != nil {
		return false, fmt.Errorf("open sign-up list: %w", err)
	}
	if announced > 0 {
		return false, nil
	}
	err := s.q.QueryRowContext(ctx, s.db.q(`INSERT INTO signup_lists (group_id, title, opened_by, opened_at, capacity, event_at, place, temp_group_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id) WHERE closed_at IS NULL DO NOTHING RETURNING id`), l.GroupID, l.Title, nullID(by), ms(at), l.Capacity, nullMS(l.EventAt), l.Place, nullID(tempGroup)).Scan(&l.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open sign-up list: %w", err)
	}
	return true, nil
}

// add signs a person up: in, or on the waitlist when the list is full. A
// cancelled entry signs up again at the end; an existing one stays.
func (s signups) add(ctx context.Context, l community.SignupList, personID int64, note string, at time.Time) error {
	var status string
	err := s.q.QueryRowContext(ctx, s.db.q("SELECT status FROM signups WHERE list_id = ? AND person_id = ?"), l.ID, personID).Scan(&status)
	switch {
	case err == nil && status != community.SignupCancelled:
		return nil // keeps their place
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sign up: %w", err)
	}
	next := community.SignupIn
	if l.Capacity > 0 {
		var in int
		if err := s.q.QueryRowContext(ctx, s.db.q("SELECT COUNT(*) FROM signups WHERE list_id = ? AND status = 'in'"), l.ID).Scan(&in); err != nil {
			return fmt.Errorf("sign up: %w", err)
		}
		if in >= l.Capacity {
			next = community.SignupWaitlist
		}
	}
	if status == community.SignupCancelled {
		_, err = s.q.ExecContext(ctx, s.db.q(`UPDATE signups SET status = ?, note = ?, created_at = ?, checked_in_at = NULL,
			n = (SELECT COALESCE(MAX(n), 0) + 1 FROM signups WHERE list_id = ?) WHERE list_id = ? AND person_id = ?`), next, note, ms(at), l.ID, l.ID, personID)
	} else {
		_, err = s.q.ExecContext(ctx, s.db.q(`INSERT INTO signups (list_id, person_id, n, note, created_at, status)
			SELECT ?, ?, COALESCE(MAX(n), 0) + 1, ?, ?, ? FROM signups WHERE list_id = ?`), l.ID, personID, note, ms(at), next, l.ID)
	}
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	return nil
}

// cancel takes a person off the list and moves the first waitlisted up;
// it returns whether they were on it and who moved up.
func (s signups) cancel(ctx context.Context, l community.SignupList, personID int64) (bool, int64, error) {
	var status string
	err := s.q.QueryRowContext(ctx, s.db.q("SELECT status FROM signups WHERE list_id = ? AND person_id = ?"), l.ID, personID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status == community.SignupCancelled {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("cancel sign-up: %w", err)
	}
	if _, err := s.q.ExecContext(ctx, s.db.q("UPDATE signups SET status = 'cancelled' WHERE list_id = ? AND person_id = ?"), l.ID, personID); err != nil {
		return false, 0, fmt.Errorf("cancel sign-up: %w", err)
	}
	if status != community.SignupIn {
		return true, 0, nil
	}
	var up int64
	err = s.q.QueryRowContext(ctx, s.db.q("SELECT person_id FROM signups WHERE list_id = ? AND status = 'waitlist' ORDER BY n LIMIT 1"), l.ID).Scan(&up)
	if errors.Is(err, sql.ErrNoRows) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("cancel sign-up: %w", err)
	}
	if _, err := s.q.ExecContext(ctx, s.db.q("UPDATE signups SET status = 'in' WHERE list_id = ? AND person_id = ?"), l.ID, up); err != nil {
		return false, 0, fmt.Errorf("cancel sign-up: %w", err)
	}
	return true, up, nil
}

// checkIn marks a signed-up person present.
func (s signups) checkIn(ctx context.Context, l community.SignupList, personID int64, at time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.q("UPDATE signups SET checked_in_at = COALESCE(checked_in_at, ?) WHERE list_id = ? AND person_id = ? AND status = 'in'"), ms(at), l.ID, personID)
	if err != nil {
		return false, fmt.Errorf("check in: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// uncheck takes a check-in back (a tap on the wrong name at the door).
func (s signups) uncheck(ctx context.Context, l community.SignupList, personID int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.q("UPDATE signups SET checked_in_at = NULL WHERE list_id = ? AND person_id = ? AND checked_in_at IS NOT NULL"), l.ID, personID)
	if err != nil {
		return false, fmt.Errorf("undo check-in: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s signups) close(ctx context.Context, l *community.SignupList, at time.Time) error {
	if _, err := s.q.ExecContext(ctx, s.db.q("UPDATE signup_lists SET closed_at = ? WHERE id = ? AND closed_at IS NULL"), ms(at), l.ID); err != nil {
		return fmt.Errorf("close sign-up list: %w", err)
	}
	l.Closed = true
	return nil
}

// post sends text to each of the event's groups that is not archived,
// through the outbox.
func (s signups) post(ctx context.Context, l community.SignupList, what string, text func(lang string) string, at time.Time) error {
	var acts []chat.Action
	for _, id := range l.Groups() {
		var conn, ext, life, lang string
		if err := s.q.QueryRowContext(ctx, s.db.q("SELECT connection, external_id, lifecycle, bot_lang FROM chat_groups WHERE id = ?"), id).Scan(&conn, &ext, &life, &lang); err != nil {
			return fmt.Errorf("post to the event's groups: %w", err)
		}
		if life != string(community.Active) {
			continue
		}
		acts = append(acts, chat.Action{Key: fmt.Sprintf("event:%d:%s:%d", l.ID, what, id), Connection: conn, Kind: chat.ActSend, Group: ext, Text: text(lang), Reason: "event " + what})
	}
	return enqueue(ctx, s.db, s.q, acts, at)
}

func (t *ingestTx) signups() signups { return signups{t.db, t.tx} }

// OpenSignup opens a sign-up list in the group unless one is open.
func (t *ingestTx) OpenSignup(ctx context.Context, groupID, by int64, title string, capacity int, at time.Time) (bool, error) {
	return t.signups().create(ctx, &community.SignupList{GroupID: groupID, Title: title, Capacity: capacity}, by, 0, at)
}

// CloseSignup closes the group's open list and returns it.
func (t *ingestTx) CloseSignup(ctx context.Context, groupID int64, at time.Time) (community.SignupList, bool, error) {
	s := t.signups()
	l, ok, err := s.open(ctx, groupID)
	if err != nil || !ok {
		return l, false, err
	}
	if err := s.close(ctx, &l, at); err != nil {
		return l, false, err
	}
	return l, true, s.entries(ctx, &l)
}

// Signup adds the person (when personID is not 0) to the group's open list
// and returns the list. The ingest transaction is the only writer of a
// group's events at a time, so numbers are not taken concurrently.
func (t *ingestTx) Signup(ctx context.Context, groupID, personID int64, note string, at time.Time) (community.SignupList, bool, error) {
	s := t.signups()
	l, ok, err := s.open(ctx, groupID)
	if err != nil || !ok {
		return l, false, err
	}
	if personID != 0 {
		if err := s.add(ctx, l, personID, note, at); err != nil {
			return l, false, err
		}
	}
	return l, true, s.entries(ctx, &l)
}

// CancelSignup takes the person off the group's open list.
func (t *ingestTx) CancelSignup(ctx context.Context, groupID, personID int64, at time.Time) (community.SignupList, string, bool, error) {
	s := t.signups()
	l, ok, err := s.open(ctx, groupID)
	if err != nil || !ok {
		return l, "", false, err
	}
	was, up, err := s.cancel(ctx, l, personID)
	if err != nil || !was {
		return l, "", false, err
	}
	if err := s.entries(ctx, &l); err != nil {
		return l, "", false, err
	}
	promoted := ""
	for _, e := range l.Entries {
		if e.PersonID == up && up != 0 {
			promoted = e.Name
		}
	}
	return l, promoted, true, nil
}

// CheckIn marks the person present at the group's latest event.
func (t *ingestTx) CheckIn(ctx context.Context, groupID, personID int64, at time.Time) (community.SignupList, bool, error) {
	s := t.signups()
	l, ok, err := s.latest(ctx, groupID)
	if err != nil || !ok {
		return l, false, err
	}
	in, err := s.checkIn(ctx, l, personID, at)
	if err != nil || !in {
		return l, false, err
	}
	return l, true, s.entries(ctx, &l)
}

// location is the server's time zone, in which the chat shows times.
func (db *DB) location() *time.Location {
	loc, err := content.LoadZone(db.zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// OpenEvent opens an event in a group, and in the groups it is also
// announced in, from the console or the API; with r.Announce it is posted
// in each. None of its groups may be archived or have an open list (its
// own or another event's).
func (db *DB) OpenEvent(ctx context.Context, r community.EventRequest) (community.SignupList, error) {
	if err := r.Normalize(); err != nil {
		return community.SignupList{}, err
	}
	l := community.SignupList{GroupID: r.GroupID, Title: r.Title, Capacity: r.Capacity, EventAt: r.At, Place: r.Place, AlsoIn: r.AlsoIn}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s := signups{db, tx}
		ids := l.Groups()
		if r.TempGroupID != 0 {
			ids = append(ids, r.TempGroupID)
		}
		for i, id := range ids {
			g, err := scanGroup(tx.QueryRowContext(ctx, db.q("SELECT "+groupCols+" FROM chat_groups WHERE org_id = ? AND id = ?"), r.OrgID, id))
			if errors.Is(err, sql.ErrNoRows) {
				return errkind.Errorf(errkind.NotFound, "group %d not found", id)
			}
			if err != nil {
				return fmt.Errorf("open event: %w", err)
			}
			if i >= len(l.Groups()) {
				continue // the temporary group is not announced in
			}
			if g.Lifecycle != community.Active {
				return errkind.Errorf(errkind.Conflict, "群「%s」已归档，不能在其中发起活动。The group %s is archived.", g.Name, g.Name)
			}
			if open, ok, err := s.open(ctx, id); err != nil {
				return err
			} else if ok {
				return errkind.Errorf(errkind.Conflict, "群「%s」已有进行中的接龙「%s」，请先截止。The group %s has an open sign-up list already (%s): close it first.", g.Name, open.Title, g.Name, open.Title)
			}
		}
		ok, err := s.create(ctx, &l, 0, r.TempGroupID, db.now())
		if err != nil {
			return err
		}
		if !ok {
			return errkind.New(errkind.Conflict, "这个群已有进行中的接龙，请先截止。The group has an open sign-up list already: close it first.")
		}
		for _, id := range l.AlsoIn {
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO event_groups (list_id, group_id) VALUES (?, ?)"), l.ID, id); err != nil {
				return fmt.Errorf("announce event: %w", err)
			}
		}
		if r.Announce {
			if err := s.post(ctx, l, "open", func(lang string) string { return community.SignupText(lang, l, db.location()) }, db.now()); err != nil {
				return err
			}
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: r.OrgID, Actor: r.Actor, Action: "event.open", Subject: fmt.Sprintf("event:%d", l.ID),
			Detail: community.Detail("group", r.GroupID, "capacity", r.Capacity, "also_in", l.AlsoIn, "announced", r.Announce)})
	})
	return l, err
}

// Event returns an event with its groups and entries.
func (db *DB) Event(ctx context.Context, orgID, id int64) (community.SignupList, error) {
	s := signups{db, db.sql}
	l, err := s.byID(ctx, orgID, id)
	if err != nil {
		return l, err
	}
	return l, s.full(ctx, &l)
}

// Events lists a group's events, opened or announced in it, newest first,
// without entries.
func (db *DB) Events(ctx context.Context, orgID, groupID int64) ([]community.SignupList, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+listCols+" FROM signup_lists l JOIN chat_groups g ON g.id = l.group_id WHERE g.org_id = ? AND "+inGroup+" ORDER BY l.id DESC"), orgID, groupID, groupID)
	out, err := scanAll(rows, err, func(r *sql.Rows, l *community.SignupList) error { return scanList(r, l) })
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// EventChange closes an event (posting the final list in its groups), or
// cancels, checks in or takes back the check-in of one of its people, from
// the console or the API; the change is audited. A cancelled event is not
// changed.
func (db *DB) EventChange(ctx context.Context, orgID, id int64, op string, personID int64, actor string) (community.SignupList, error) {
	var out community.SignupList
	switch op {
	case community.EventClose, community.EventCancelSignup, community.EventCheckIn, community.EventUndoCheckIn:
	default:
		return out, errkind.Errorf(errkind.Invalid, "operation %q: want close, cancel, checkin or undo-checkin", op)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s := signups{db, tx}
		l, err := s.live(ctx, orgID, id)
		if err != nil {
			return err
		}
		switch op {
		case community.EventClose:
			if l.Closed {
				return errkind.Errorf(errkind.Conflict, "活动已截止。Event %d is closed already.", id)
			}
			if err = s.close(ctx, &l, db.now()); err == nil {
				if err = s.full(ctx, &l); err == nil {
					err = s.post(ctx, l, "close", func(lang string) string { return community.SignupText(lang, l, db.location()) }, db.now())
				}
			}
		case community.EventCancelSignup:
			var was bool
			if was, _, err = s.cancel(ctx, l, personID); err == nil && !was {
				err = errkind.Errorf(errkind.NotFound, "person %d is not signed up for event %d", personID, id)
			}
		case community.EventCheckIn:
			var in bool
			if in, err = s.checkIn(ctx, l, personID, db.now()); err == nil && !in {
				err = errkind.Errorf(errkind.Conflict, "person %d is not signed up for event %d (or is on the waitlist)", personID, id)
			}
		case community.EventUndoCheckIn:
			var was bool
			if was, err = s.uncheck(ctx, l, personID); err == nil && !was {
				err = errkind.Errorf(errkind.Conflict, "person %d is not checked in at event %d", personID, id)
			}
		}
		if err != nil {
			return err
		}
		if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "event." + op, Subject: fmt.Sprintf("event:%d", id), Detail: fmt.Sprintf(`{"person":%d}`, personID)}); err != nil {
			return err
		}
		out = l
		return s.full(ctx, &out)
	})
	return out, err
}

// CancelEvent calls an event off: it is closed and marked cancelled, and
// each of its groups is told, naming everyone signed up or waiting, with
// the reason when given.
func (db *DB) CancelEvent(ctx context.Context, orgID, id int64, reason, actor string) (community.SignupList, error) {
	var out community.SignupList
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > community.MaxCancelReason {
		return out, errkind.Errorf(errkind.Invalid, "reason: at most %d characters", community.MaxCancelReason)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s := signups{db, tx}
		l, err := s.live(ctx, orgID, id)
		if err != nil {
			return err
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, db.q("UPDATE signup_lists SET closed_at = COALESCE(closed_at, ?), cancelled_at = ? WHERE id = ?"), ms(now), ms(now), id); err != nil {
			return fmt.Errorf("cancel event: %w", err)
		}
		l.Closed, l.Cancelled = true, true
		if err := s.full(ctx, &l); err != nil {
			return err
		}
		if err := s.post(ctx, l, "cancelled", func(lang string) string { return community.CancelText(lang, l, reason, db.location()) }, now); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"reason": reason, "told": len(l.Entries) - countStatus(l, community.SignupCancelled)})
		out = l
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "event.cancel_event", Subject: fmt.Sprintf("event:%d", id), Detail: string(detail)})
	})
	return out, err
}

func countStatus(l community.SignupList, status string) int {
	n := 0
	for _, e := range l.Entries {
		if e.Status == status {
			n++
		}
	}
	return n
}

// EventSummaries lists the organisation's open events and those opened
// or held since the given time, newest first, with the groups each is
// also announced in.
func (db *DB) EventSummaries(ctx context.Context, orgID int64, since time.Time) ([]community.EventSummary, error) {
	const recent = "(l.closed_at IS NULL OR l.opened_at >= ? OR l.event_at >= ?)"
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+listCols+`, l.opened_at, g.name,
			COALESCE(SUM(CASE WHEN s.status = 'in' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.status = 'waitlist' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.status = 'cancelled' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM signup_lists l JOIN chat_groups g ON g.id = l.group_id LEFT JOIN signups s ON s.list_id = l.id
		WHERE g.org_id = ? AND `+recent+`
		GROUP BY l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at, l.cancelled_at, l.opened_at, g.name
		ORDER BY l.id DESC`), orgID, ms(since), ms(since))
	out, err := scanAll(rows, err, func(r *sql.Rows, e *community.EventSummary) error {
		var opened int64
		if err := scanList(r, &e.SignupList, &opened, &e.Group, &e.In, &e.Waitlisted, &e.Cancelled, &e.CheckedIn); err != nil {
			return err
		}
		e.OpenedAt = fromMS(opened)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event summaries: %w", err)
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT eg.list_id, eg.group_id FROM event_groups eg JOIN signup_lists l ON l.id = eg.list_id JOIN chat_groups g ON g.id = l.group_id
		WHERE g.org_id = ? AND `+recent+` ORDER BY eg.list_id, eg.group_id`), orgID, ms(since), ms(since))
	pairs, err := scanAll(rows, err, func(r *sql.Rows, p *[2]int64) error { return r.Scan(&p[0], &p[1]) })
	if err != nil {
		return nil, fmt.Errorf("event summaries: %w", err)
	}
	at := make(map[int64]int, len(out))
	for i, e := range out {
		at[e.ID] = i
	}
	for _, p := range pairs {
		if i, ok := at[p[0]]; ok {
			out[i].AlsoIn = append(out[i].AlsoIn, p[1])
		}
	}
	return out, nil
}
