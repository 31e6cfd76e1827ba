package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The daily rollups (see docs/metrics.md): each day's messages are
// aggregated once into member_days and group_days, each group's health
// score and state are computed from those, and alerts are raised when a
// group turns dormant, dying or dead or a core member goes quiet. Pages
// read the rollups; nothing rescans the messages.

// window is how many days of member_days a day's health needs: eight
// whole weeks for the dying test.
const window = 56

var insertMemberDaysSQL = newMultiRow("INSERT INTO member_days (group_id, person_id, day, messages, substantive) VALUES ", "(?, ?, ?, ?, ?)", "")

// Rollup brings an organisation's rollups up to now: every day since the
// last run (from the first message, at most maxDays back, on the first
// run), the day before it again (late deliveries), and today so far. It
// returns how many days it computed.
func (db *DB) Rollup(ctx context.Context, orgID int64, now time.Time, loc *time.Location, maxDays int) (int, error) {
	today := analytics.DayOf(now, loc)
	var mark int64
	err := db.sql.QueryRowContext(ctx, db.q("SELECT day FROM rollup_marks WHERE org_id = ?"), orgID).Scan(&mark)
	start := analytics.Day(mark)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var first sql.NullInt64
		if err := db.sql.QueryRowContext(ctx, db.q("SELECT MIN(m.sent_at) FROM messages m JOIN chat_groups g ON g.id = m.group_id WHERE g.org_id = ?"), orgID).Scan(&first); err != nil {
			return 0, fmt.Errorf("rollup: first message: %w", err)
		}
		start = today
		if first.Valid {
			start = analytics.DayOf(fromMS(first.Int64), loc)
		}
	case err != nil:
		return 0, fmt.Errorf("rollup: read mark: %w", err)
	default:
		start-- // again: events of yesterday may have arrived late
	}
	start = max(start, today-analytics.Day(maxDays))
	n := 0
	for d := start; d <= today; d++ {
		if err := db.RollupDay(ctx, orgID, d, loc, now); err != nil {
			return n, err
		}
		n++
		if _, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO rollup_marks (org_id, day) VALUES (?, ?)
			ON CONFLICT (org_id) DO UPDATE SET day = excluded.day`), orgID, int64(d)); err != nil {
			return n, fmt.Errorf("rollup: save mark: %w", err)
		}
	}
	return n, nil
}

// RollupDay computes one day of an organisation: the figures of every
// group and member, then health, state and alerts. Running it again
// replaces the day. now stamps the alerts.
func (db *DB) RollupDay(ctx context.Context, orgID int64, d analytics.Day, loc *time.Location, now time.Time) error {
	from, to := d.Start(loc), (d + 1).Start(loc)
	groups, err := db.Groups(ctx, orgID)
	if err != nil {
		return err
	}
	staff, err := db.staffOf(ctx, orgID)
	if err != nil {
		return err
	}
	msgs, err := db.dayMessages(ctx, orgID, from, to.Add(analytics.AnswerWindow), staff)
	if err != nil {
		return err
	}
	figures, people := analytics.RollupDay(msgs, from, to)
	members, err := db.membershipDay(ctx, orgID, from, to)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM member_days WHERE day = ? AND group_id IN (SELECT id FROM chat_groups WHERE org_id = ?)"), int64(d), orgID); err != nil {
			return fmt.Errorf("rollup: clear day: %w", err)
		}
		args := make([]any, 0, 5*chunk)
		for s := 0; s < len(people); s += chunk {
			e := min(s+chunk, len(people))
			args = args[:0]
			for _, p := range people[s:e] {
				args = append(args, p.Group, p.Person, int64(d), p.Messages, p.Substantive)
			}
			if _, err := tx.ExecContext(ctx, insertMemberDaysSQL.text(db, e-s), args...); err != nil {
				return fmt.Errorf("rollup: member days: %w", err)
			}
		}
		for _, g := range groups {
			if analytics.DayOf(g.CreatedAt, loc) > d {
				continue // not created yet that day
			}
			f := figures[g.ID]
			if f == nil {
				f = &analytics.GroupDay{}
			}
			m := members[g.ID]
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO group_days (group_id, day, messages, member_messages, communicators, questions, answered, joins, leaves, members)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (group_id, day) DO UPDATE SET messages = excluded.messages, member_messages = excluded.member_messages,
					communicators = excluded.communicators, questions = excluded.questions, answered = excluded.answered,
					joins = excluded.joins, leaves = excluded.leaves, members = excluded.members`),
				g.ID, int64(d), f.Messages, f.MemberMessages, f.Communicators, f.Questions, f.Answered, m.joins, m.leaves, m.members); err != nil {
				return fmt.Errorf("rollup: group day: %w", err)
			}
		}
		return db.healthDay(ctx, tx, orgID, groups, d, loc, now)
	})
}

// staffOf returns the people who are staff in a group (by group) and the
// organisation's bots (group 0).
func (db *DB) staffOf(ctx context.Context, orgID int64) (map[[2]int64]bool, error) {
	out := map[[2]int64]bool{}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.group_id, m.person_id FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.role <> 'member' AND m.left_at IS NULL
		UNION SELECT 0, i.person_id FROM identities i JOIN people p ON p.id = i.person_id WHERE p.org_id = ? AND i.bot = TRUE`), orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("rollup: staff: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k [2]int64
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, fmt.Errorf("rollup: staff: %w", err)
		}
		out[k] = true
	}
	return out, rows.Err()
}

func (db *DB) dayMessages(ctx context.Context, orgID int64, from, to time.Time, staff map[[2]int64]bool) ([]analytics.Msg, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.group_id, m.person_id, m.external_id, m.reply_to, m.text, m.sent_at
		FROM messages m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.sent_at >= ? AND m.sent_at < ? ORDER BY m.sent_at, m.id`), orgID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("rollup: messages: %w", err)
	}
	defer rows.Close()
	var out []analytics.Msg
	for rows.Next() {
		var m analytics.Msg
		var at int64
		if err := rows.Scan(&m.Group, &m.Person, &m.ID, &m.ReplyTo, &m.Text, &at); err != nil {
			return nil, fmt.Errorf("rollup: messages: %w", err)
		}
		m.At = fromMS(at)
		m.Staff = staff[[2]int64{m.Group, m.Person}] || staff[[2]int64{0, m.Person}]
		out = append(out, m)
	}
	return out, rows.Err()
}

type memberFigures struct{ joins, leaves, members int }

// membershipDay counts, per group, the day's joins and leaves and the
// members (role member) at its end.
func (db *DB) membershipDay(ctx context.Context, orgID int64, from, to time.Time) (map[int64]memberFigures, error) {
	f, t := ms(from), ms(to)
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.group_id,
			SUM(CASE WHEN m.joined_at >= ? AND m.joined_at < ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.left_at >= ? AND m.left_at < ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN m.role = 'member' AND m.joined_at < ? AND (m.left_at IS NULL OR m.left_at >= ?) THEN 1 ELSE 0 END)
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id WHERE g.org_id = ? GROUP BY m.group_id`), f, t, f, t, t, t, orgID)
	if err != nil {
		return nil, fmt.Errorf("rollup: memberships: %w", err)
	}
	defer rows.Close()
	out := map[int64]memberFigures{}
	for rows.Next() {
		var g int64
		var m memberFigures
		if err := rows.Scan(&g, &m.joins, &m.leaves, &m.members); err != nil {
			return nil, fmt.Errorf("rollup: memberships: %w", err)
		}
		out[g] = m
	}
	return out, rows.Err()
}

// healthDay scores every active group for day d from the rollups and
// raises and resolves alerts.
func (db *DB) healthDay(ctx context.Context, tx *sql.Tx, orgID int64, groups []community.Group, d analytics.Day, loc *time.Location, now time.Time) error {
	type personDays map[int64]map[analytics.Day]int // person → day → messages
	act := map[int64]personDays{}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT md.group_id, md.person_id, md.day, md.messages FROM member_days md
		JOIN chat_groups g ON g.id = md.group_id WHERE g.org_id = ? AND md.day > ? AND md.day <= ?`), orgID, int64(d)-window, int64(d))
	if err != nil {
		return fmt.Errorf("rollup: window: %w", err)
	}
	for rows.Next() {
		var g, p, day int64
		var n int
		if err := rows.Scan(&g, &p, &day, &n); err != nil {
			rows.Close()
			return fmt.Errorf("rollup: window: %w", err)
		}
		if act[g] == nil {
			act[g] = personDays{}
		}
		if act[g][p] == nil {
			act[g][p] = map[analytics.Day]int{}
		}
		act[g][p][analytics.Day(day)] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup: window: %w", err)
	}

	type sums struct {
		questions, answered, joins, leaves, members int
		prevState                                   string
		lastDay                                     sql.NullInt64
	}
	agg := map[int64]*sums{}
	rows, err = tx.QueryContext(ctx, db.q(`SELECT gd.group_id, SUM(gd.questions), SUM(gd.answered), SUM(gd.joins), SUM(gd.leaves),
			MAX(CASE WHEN gd.day = ? THEN gd.members ELSE 0 END), MAX(CASE WHEN gd.day = ? THEN gd.state ELSE '' END),
			(SELECT MAX(md.day) FROM member_days md WHERE md.group_id = gd.group_id AND md.day <= ?)
		FROM group_days gd JOIN chat_groups g ON g.id = gd.group_id
		WHERE g.org_id = ? AND gd.day > ? AND gd.day <= ? GROUP BY gd.group_id`), int64(d), int64(d)-1, int64(d), orgID, int64(d)-30, int64(d))
	if err != nil {
		return fmt.Errorf("rollup: sums: %w", err)
	}
	for rows.Next() {
		var g int64
		s := &sums{}
		if err := rows.Scan(&g, &s.questions, &s.answered, &s.joins, &s.leaves, &s.members, &s.prevState, &s.lastDay); err != nil {
			rows.Close()
			return fmt.Errorf("rollup: sums: %w", err)
		}
		agg[g] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup: sums: %w", err)
	}
	newcomers, err := db.newcomers(ctx, tx, orgID, d, loc)
	if err != nil {
		return err
	}

	end := (d + 1).Start(loc)
	for _, g := range groups {
		if g.Lifecycle != community.Active || analytics.DayOf(g.CreatedAt, loc) > d {
			continue
		}
		s := agg[g.ID]
		if s == nil {
			s = &sums{}
		}
		pd := act[g.ID]
		in := analytics.HealthInput{Members: s.members, Questions: s.questions, Answered: s.answered, Joined: s.joins, Left: s.leaves}
		mau := map[int64]bool{}
		var perPerson []int
		dau := 0
		for p, days := range pd {
			total := 0
			week := false
			for day, n := range days {
				if day > d-30 {
					mau[p] = true
					total += n
					dau++
				}
				if day > d-7 {
					week = true
				}
			}
			if total > 0 {
				perPerson = append(perPerson, total)
			}
			if week {
				in.WeeklyCommunicators++
			}
		}
		in.MAU = float64(len(mau))
		in.DAU = float64(dau) / 30
		in.TopShareMembers = analytics.TopShare(perPerson)
		for _, nc := range newcomers[g.ID] {
			in.Newcomers++
			if nc.stayed && posted(pd[nc.person], nc.day, nc.day+6) {
				in.Retained7++
			}
		}
		h := analytics.Score(in)

		hist := analytics.GroupHistory{Members: s.members}
		if s.lastDay.Valid {
			last := (analytics.Day(s.lastDay.Int64) + 1).Start(loc).Add(-time.Millisecond)
			hist.LastMemberMessage = &last
		} else {
			// Silent since it was created: dead only 30 days after that.
			created := g.CreatedAt
			hist.LastMemberMessage = &created
		}
		created := analytics.DayOf(g.CreatedAt, loc)
		for w := 7; w >= 0; w-- { // oldest week first
			hi, lo := d-analytics.Day(7*w), d-analytics.Day(7*w)-6
			if lo < created {
				continue // the group did not exist for that whole week
			}
			n := 0
			for _, days := range pd {
				if posted(days, lo, hi) {
					n++
				}
			}
			hist.WeeklyCommunicators = append(hist.WeeklyCommunicators, n)
		}
		state := analytics.StateOf(hist, end)
		parts, _ := json.Marshal(h)
		if _, err := tx.ExecContext(ctx, db.q("UPDATE group_days SET health = ?, health_parts = ?, state = ? WHERE group_id = ? AND day = ?"),
			h.Score, string(parts), string(state), g.ID, int64(d)); err != nil {
			return fmt.Errorf("rollup: health: %w", err)
		}
		if err := db.alertState(ctx, tx, orgID, g.ID, d, s.prevState, string(state), now); err != nil {
			return err
		}
		if err := db.alertQuietCore(ctx, tx, orgID, g.ID, d, pd, now); err != nil {
			return err
		}
	}
	return nil
}

func posted(days map[analytics.Day]int, lo, hi analytics.Day) bool {
	for day := range days {
		if day >= lo && day <= hi {
			return true
		}
	}
	return false
}

type newcomer struct {
	person int64
	day    analytics.Day
	stayed bool // still in the group a week after joining
}

// newcomers lists, per group, the members who joined 8–37 days before d.
func (db *DB) newcomers(ctx context.Context, tx *sql.Tx, orgID int64, d analytics.Day, loc *time.Location) (map[int64][]newcomer, error) {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT m.group_id, m.person_id, m.joined_at, m.left_at FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.role = 'member' AND m.joined_at >= ? AND m.joined_at < ?`), orgID, ms((d - 37).Start(loc)), ms((d - 7).Start(loc)))
	if err != nil {
		return nil, fmt.Errorf("rollup: newcomers: %w", err)
	}
	defer rows.Close()
	out := map[int64][]newcomer{}
	for rows.Next() {
		var g, p, joined int64
		var left sql.NullInt64
		if err := rows.Scan(&g, &p, &joined, &left); err != nil {
			return nil, fmt.Errorf("rollup: newcomers: %w", err)
		}
		out[g] = append(out[g], newcomer{person: p, day: analytics.DayOf(fromMS(joined), loc), stayed: !left.Valid || left.Int64-joined >= int64(7*24*time.Hour/time.Millisecond)})
	}
	return out, rows.Err()
}

// Alert kinds.
const (
	AlertDormant   = "group_dormant"
	AlertDying     = "group_dying"
	AlertDead      = "group_dead"
	AlertCoreQuiet = "core_quiet"
)

// alertState follows a group's state: on a change, the alerts of the old
// state are resolved, and turning dormant, dying or dead raises a new one.
func (db *DB) alertState(ctx context.Context, tx *sql.Tx, orgID, groupID int64, d analytics.Day, prev, state string, now time.Time) error {
	if state == prev {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.q(`UPDATE alerts SET resolved_at = ? WHERE group_id = ? AND person_id = 0 AND resolved_at IS NULL`), ms(now), groupID); err != nil {
		return fmt.Errorf("rollup: resolve alerts: %w", err)
	}
	if state == string(analytics.GroupHealthy) {
		return nil
	}
	detail := fmt.Sprintf(`{"from":%q,"to":%q}`, prev, state)
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES (?, ?, 0, ?, ?, ?, ?)
		ON CONFLICT (group_id, person_id, kind, day) DO UPDATE SET resolved_at = NULL`), orgID, groupID, "group_"+state, int64(d), detail, ms(now))
	if err != nil {
		return fmt.Errorf("rollup: raise alert: %w", err)
	}
	return nil
}

// alertQuietCore raises an alert for each core member (active on at least
// 7 of the 30 days before) whose last message was exactly 7 days ago.
func (db *DB) alertQuietCore(ctx context.Context, tx *sql.Tx, orgID, groupID int64, d analytics.Day, pd map[int64]map[analytics.Day]int, now time.Time) error {
	var quiet []int64
	for p, days := range pd {
		last, active := analytics.Day(-1<<31), 0
		for day := range days {
			last = max(last, day)
			if day > d-37 && day <= d-7 {
				active++
			}
		}
		if last == d-7 && active >= 7 {
			quiet = append(quiet, p)
		}
	}
	sort.Slice(quiet, func(i, j int) bool { return quiet[i] < quiet[j] })
	for _, p := range quiet {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES (?, ?, ?, ?, ?, '', ?)
			ON CONFLICT (group_id, person_id, kind, day) DO NOTHING`), orgID, groupID, p, AlertCoreQuiet, int64(d), ms(now)); err != nil {
			return fmt.Errorf("rollup: raise alert: %w", err)
		}
	}
	return nil
}

// GroupDay is one group's rolled-up day.
type GroupDay struct {
	Day            analytics.Day
	Date           time.Time // the day's first instant
	Messages       int
	MemberMessages int
	Communicators  int
	Questions      int
	Answered       int
	Joins, Leaves  int
	Members        int
	Health         analytics.Health
	State          analytics.GroupState
}

// GroupDays returns a group's rolled-up days from..to (inclusive), oldest
// first.
func (db *DB) GroupDays(ctx context.Context, groupID int64, from, to analytics.Day, loc *time.Location) ([]GroupDay, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT day, messages, member_messages, communicators, questions, answered, joins, leaves, members, health_parts, state
		FROM group_days WHERE group_id = ? AND day >= ? AND day <= ? ORDER BY day`), groupID, int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("group days: %w", err)
	}
	defer rows.Close()
	var out []GroupDay
	for rows.Next() {
		var g GroupDay
		var day int64
		var parts, state string
		if err := rows.Scan(&day, &g.Messages, &g.MemberMessages, &g.Communicators, &g.Questions, &g.Answered, &g.Joins, &g.Leaves, &g.Members, &parts, &state); err != nil {
			return nil, fmt.Errorf("group days: %w", err)
		}
		g.Day, g.Date, g.State = analytics.Day(day), analytics.Day(day).Start(loc), analytics.GroupState(state)
		if err := json.Unmarshal([]byte(parts), &g.Health); err != nil {
			return nil, fmt.Errorf("group days: health of day %d: %w", day, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// LatestHealth returns each group's most recent rolled-up day.
func (db *DB) LatestHealth(ctx context.Context, orgID int64, loc *time.Location) (map[int64]GroupDay, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT gd.group_id, gd.day, gd.members, gd.health_parts, gd.state FROM group_days gd
		JOIN chat_groups g ON g.id = gd.group_id
		WHERE g.org_id = ? AND gd.day = (SELECT MAX(day) FROM group_days x WHERE x.group_id = gd.group_id)`), orgID)
	if err != nil {
		return nil, fmt.Errorf("latest health: %w", err)
	}
	defer rows.Close()
	out := map[int64]GroupDay{}
	for rows.Next() {
		var id, day int64
		var g GroupDay
		var parts, state string
		if err := rows.Scan(&id, &day, &g.Members, &parts, &state); err != nil {
			return nil, fmt.Errorf("latest health: %w", err)
		}
		g.Day, g.Date, g.State = analytics.Day(day), analytics.Day(day).Start(loc), analytics.GroupState(state)
		if err := json.Unmarshal([]byte(parts), &g.Health); err != nil {
			return nil, fmt.Errorf("latest health: %w", err)
		}
		out[id] = g
	}
	return out, rows.Err()
}

// Alert is something the rollup wants an operator to look at.
type Alert struct {
	ID         int64
	GroupID    int64
	GroupName  string
	PersonID   int64 // 0 for a group alert
	PersonName string
	Kind       string
	Day        analytics.Day
	Detail     string
	CreatedAt  time.Time
	ResolvedAt *time.Time
}

// Alerts lists an organisation's alerts, newest first: the open ones, or
// all.
func (db *DB) Alerts(ctx context.Context, orgID int64, openOnly bool, limit int) ([]Alert, error) {
	cond := ""
	if openOnly {
		cond = " AND a.resolved_at IS NULL"
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT a.id, a.group_id, g.name, a.person_id, COALESCE(p.name, ''), a.kind, a.day, a.detail, a.created_at, a.resolved_at
		FROM alerts a JOIN chat_groups g ON g.id = a.group_id LEFT JOIN people p ON p.id = a.person_id
		WHERE a.org_id = ?`+cond+` ORDER BY a.id DESC LIMIT ?`), orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var day, created int64
		var resolved sql.NullInt64
		if err := rows.Scan(&a.ID, &a.GroupID, &a.GroupName, &a.PersonID, &a.PersonName, &a.Kind, &day, &a.Detail, &created, &resolved); err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		a.Day, a.CreatedAt, a.ResolvedAt = analytics.Day(day), fromMS(created), fromNullMS(resolved)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ResolveAlert closes an open alert and records who did.
func (db *DB) ResolveAlert(ctx context.Context, orgID, id int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("UPDATE alerts SET resolved_at = ? WHERE org_id = ? AND id = ? AND resolved_at IS NULL"), ms(db.now()), orgID, id)
		if err != nil {
			return fmt.Errorf("resolve alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "no open alert %d", id)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "alert.resolve", Subject: fmt.Sprintf("alert:%d", id)})
	})
}

// PosterRank is one line of a posters' leaderboard.
type PosterRank struct {
	PersonID    int64
	Name        string
	Messages    int
	Substantive int
}

// TopPosters ranks members (staff and bots left out) by messages over the
// rolled-up days from..to, across the organisation or in one group
// (groupID not 0); substantive ranks by posts of three lines or more.
func (db *DB) TopPosters(ctx context.Context, orgID, groupID int64, from, to analytics.Day, substantive bool, limit int) ([]PosterRank, error) {
	order := "SUM(md.messages) DESC"
	if substantive {
		order = "SUM(md.substantive) DESC"
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT md.person_id, p.name, SUM(md.messages), SUM(md.substantive) FROM member_days md
		JOIN chat_groups g ON g.id = md.group_id JOIN people p ON p.id = md.person_id
		WHERE g.org_id = ? AND (? = 0 OR md.group_id = ?) AND md.day >= ? AND md.day <= ?
		GROUP BY md.person_id, p.name ORDER BY `+order+`, md.person_id LIMIT ?`), orgID, groupID, groupID, int64(from), int64(to), limit)
	if err != nil {
		return nil, fmt.Errorf("top posters: %w", err)
	}
	defer rows.Close()
	var out []PosterRank
	for rows.Next() {
		var r PosterRank
		if err := rows.Scan(&r.PersonID, &r.Name, &r.Messages, &r.Substantive); err != nil {
			return nil, fmt.Errorf("top posters: %w", err)
		}
		if substantive && r.Substantive == 0 {
			break
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
