package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Sign-up lists (群接龙) and offline events (线下活动): a list in a group,
// opened by staff in the chat or through the API, with an optional
// capacity (then later sign-ups wait on a waitlist and move up as others
// cancel), a time, a place and a temporary group; entries are numbered in
// order, can be cancelled and checked in. The chat commands run inside
// the ingest transaction, the API in its own: both through signups.

type signups struct {
	db *DB
	q  queryer
}

const listCols = "id, group_id, title, capacity, event_at, place, closed_at"

func (s signups) list(row *sql.Row) (community.SignupList, bool, error) {
	var l community.SignupList
	var at, closed sql.NullInt64
	err := row.Scan(&l.ID, &l.GroupID, &l.Title, &l.Capacity, &at, &l.Place, &closed)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("find sign-up list: %w", err)
	}
	l.EventAt, l.Closed = fromNullMS(at), closed.Valid
	return l, true, nil
}

// open finds the group's open list.
func (s signups) open(ctx context.Context, groupID int64) (community.SignupList, bool, error) {
	return s.list(s.q.QueryRowContext(ctx, s.db.q("SELECT "+listCols+" FROM signup_lists WHERE group_id = ? AND closed_at IS NULL"), groupID))
}

// latest finds the group's newest list, open or closed.
func (s signups) latest(ctx context.Context, groupID int64) (community.SignupList, bool, error) {
	return s.list(s.q.QueryRowContext(ctx, s.db.q("SELECT "+listCols+" FROM signup_lists WHERE group_id = ? ORDER BY id DESC LIMIT 1"), groupID))
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

// create opens a list; false when the group has one open.
func (s signups) create(ctx context.Context, l *community.SignupList, by int64, tempGroup int64, at time.Time) (bool, error) {
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

func (s signups) close(ctx context.Context, l *community.SignupList, at time.Time) error {
	if _, err := s.q.ExecContext(ctx, s.db.q("UPDATE signup_lists SET closed_at = ? WHERE id = ? AND closed_at IS NULL"), ms(at), l.ID); err != nil {
		return fmt.Errorf("close sign-up list: %w", err)
	}
	l.Closed = true
	return nil
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

// OpenEvent opens an event in a group through the API.
func (db *DB) OpenEvent(ctx context.Context, r community.EventRequest) (community.SignupList, error) {
	l := community.SignupList{GroupID: r.GroupID, Title: strings.TrimSpace(r.Title), Capacity: r.Capacity, EventAt: r.At, Place: strings.TrimSpace(r.Place)}
	switch {
	case l.Title == "":
		return l, errkind.New(errkind.Invalid, "title is required")
	case r.Capacity < 0:
		return l, errkind.Errorf(errkind.Invalid, "capacity %d: want 0 (no limit) or more", r.Capacity)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range []int64{r.GroupID, r.TempGroupID} {
			if id == 0 {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM chat_groups WHERE org_id = ? AND id = ?"), r.OrgID, id).Scan(&n); err != nil || n == 0 {
				return errkind.Errorf(errkind.NotFound, "group %d not found", id)
			}
		}
		ok, err := (signups{db, tx}).create(ctx, &l, 0, r.TempGroupID, db.now())
		if err != nil {
			return err
		}
		if !ok {
			return errkind.New(errkind.Conflict, "the group has an open sign-up list already: close it first")
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: r.OrgID, Actor: r.Actor, Action: "event.open", Subject: fmt.Sprintf("event:%d", l.ID), Detail: fmt.Sprintf(`{"group":%d,"capacity":%d}`, r.GroupID, r.Capacity)})
	})
	return l, err
}

// Event returns an event with its entries.
func (db *DB) Event(ctx context.Context, orgID, id int64) (community.SignupList, error) {
	s := signups{db, db.sql}
	l, ok, err := s.list(db.sql.QueryRowContext(ctx, db.q("SELECT "+listCols+" FROM signup_lists l WHERE id = ? AND EXISTS (SELECT 1 FROM chat_groups g WHERE g.id = l.group_id AND g.org_id = ?)"), id, orgID))
	if err != nil {
		return l, err
	}
	if !ok {
		return l, errkind.Errorf(errkind.NotFound, "event %d not found", id)
	}
	return l, s.entries(ctx, &l)
}

// Events lists a group's events, newest first, without entries.
func (db *DB) Events(ctx context.Context, orgID, groupID int64) ([]community.SignupList, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at FROM signup_lists l JOIN chat_groups g ON g.id = l.group_id WHERE g.org_id = ? AND l.group_id = ? ORDER BY l.id DESC"), orgID, groupID)
	out, err := scanAll(rows, err, func(r *sql.Rows, l *community.SignupList) error {
		var at, closed sql.NullInt64
		if err := r.Scan(&l.ID, &l.GroupID, &l.Title, &l.Capacity, &at, &l.Place, &closed); err != nil {
			return err
		}
		l.EventAt, l.Closed = fromNullMS(at), closed.Valid
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

// EventChange closes an event, or cancels or checks in one of its people,
// through the API; the change is audited.
func (db *DB) EventChange(ctx context.Context, orgID, id int64, op string, personID int64, actor string) (community.SignupList, error) {
	var out community.SignupList
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s := signups{db, tx}
		l, ok, err := s.list(tx.QueryRowContext(ctx, db.q("SELECT "+listCols+" FROM signup_lists l WHERE id = ? AND EXISTS (SELECT 1 FROM chat_groups g WHERE g.id = l.group_id AND g.org_id = ?)"), id, orgID))
		if err != nil {
			return err
		}
		if !ok {
			return errkind.Errorf(errkind.NotFound, "event %d not found", id)
		}
		switch op {
		case "close":
			if l.Closed {
				return errkind.Errorf(errkind.Conflict, "event %d is closed already", id)
			}
			err = s.close(ctx, &l, db.now())
		case "cancel":
			var was bool
			if was, _, err = s.cancel(ctx, l, personID); err == nil && !was {
				err = errkind.Errorf(errkind.NotFound, "person %d is not signed up for event %d", personID, id)
			}
		case "checkin":
			var in bool
			if in, err = s.checkIn(ctx, l, personID, db.now()); err == nil && !in {
				err = errkind.Errorf(errkind.Conflict, "person %d is not signed up for event %d (or is on the waitlist)", personID, id)
			}
		default:
			return errkind.Errorf(errkind.Invalid, "operation %q: want close, cancel or checkin", op)
		}
		if err != nil {
			return err
		}
		if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "event." + op, Subject: fmt.Sprintf("event:%d", id), Detail: fmt.Sprintf(`{"person":%d}`, personID)}); err != nil {
			return err
		}
		out = l
		return s.entries(ctx, &out)
	})
	return out, err
}

// EventSummaries lists the organisation's open events and those opened
// or held since the given time, newest first.
func (db *DB) EventSummaries(ctx context.Context, orgID int64, since time.Time) ([]community.EventSummary, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at, l.opened_at, g.name,
			COALESCE(SUM(CASE WHEN s.status = 'in' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.status = 'waitlist' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.status = 'cancelled' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM signup_lists l JOIN chat_groups g ON g.id = l.group_id LEFT JOIN signups s ON s.list_id = l.id
		WHERE g.org_id = ? AND (l.closed_at IS NULL OR l.opened_at >= ? OR l.event_at >= ?)
		GROUP BY l.id, l.group_id, l.title, l.capacity, l.event_at, l.place, l.closed_at, l.opened_at, g.name
		ORDER BY l.id DESC`), orgID, ms(since), ms(since))
	out, err := scanAll(rows, err, func(r *sql.Rows, e *community.EventSummary) error {
		var at, closed sql.NullInt64
		var opened int64
		if err := r.Scan(&e.ID, &e.GroupID, &e.Title, &e.Capacity, &at, &e.Place, &closed, &opened, &e.Group, &e.In, &e.Waitlisted, &e.Cancelled, &e.CheckedIn); err != nil {
			return err
		}
		e.EventAt, e.Closed, e.OpenedAt = fromNullMS(at), closed.Valid, fromMS(opened)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event summaries: %w", err)
	}
	return out, nil
}
