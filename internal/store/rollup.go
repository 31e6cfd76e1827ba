package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The daily rollups (see docs/metrics.md): each day's messages are
// aggregated once into member_days and group_days, each group's health
// score and state are computed from those, and alerts are raised when a
// group turns dormant, dying or dead or a core member goes quiet. Pages
// read the rollups; nothing rescans the messages.

var insertMemberDaysSQL = newMultiRow("INSERT INTO member_days (group_id, person_id, day, messages, substantive) VALUES ", "(?, ?, ?, ?, ?)", "")

// upsertGroupDaysSQL writes active groups' days with their health;
// upsertFiguresSQL the other groups' figures only (their health and state
// stay as they were).
var (
	upsertGroupDaysSQL = newMultiRow(`INSERT INTO group_days (group_id, day, messages, member_messages, communicators, questions, answered, joins, leaves, members, source, health, health_parts, state) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ` ON CONFLICT (group_id, day) DO UPDATE SET messages = excluded.messages, member_messages = excluded.member_messages,
			communicators = excluded.communicators, questions = excluded.questions, answered = excluded.answered,
			joins = excluded.joins, leaves = excluded.leaves, members = excluded.members, source = excluded.source,
			health = excluded.health, health_parts = excluded.health_parts, state = excluded.state`)
	upsertFiguresSQL = newMultiRow(`INSERT INTO group_days (group_id, day, messages, member_messages, communicators, questions, answered, joins, leaves, members, source) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ` ON CONFLICT (group_id, day) DO UPDATE SET messages = excluded.messages, member_messages = excluded.member_messages,
			communicators = excluded.communicators, questions = excluded.questions, answered = excluded.answered,
			joins = excluded.joins, leaves = excluded.leaves, members = excluded.members, source = excluded.source`)
)

// Rollup brings an organisation's rollups up to now: every day since the
// last run (from the first message or platform statistics, at most
// maxDays back, on the first run), the day before it again (late deliveries), and today so far. It
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
		// A platform's statistics may go back further (ownerstats.go).
		var stats sql.NullInt64
		if err := db.sql.QueryRowContext(ctx, db.q("SELECT MIN(day) FROM owner_stats WHERE org_id = ?"), orgID).Scan(&stats); err != nil {
			return 0, fmt.Errorf("rollup: first statistics: %w", err)
		}
		if stats.Valid {
			start = min(start, analytics.Day(stats.Int64))
		}
	case err != nil:
		return 0, fmt.Errorf("rollup: read mark: %w", err)
	default:
		start-- // again: events of yesterday may have arrived late
	}
	start = max(start, today-analytics.Day(maxDays))
	return db.rollRange(ctx, orgID, nil, start, today, 0, now, loc)
}

// RollupFrom recomputes the rollups of some groups of an organisation
// (all of them when groups is nil) from day from to today — after an
// import of history, whose days the daily runs had passed — raising no
// alerts about the days before yesterday (a group that was dormant two
// years ago is history, not news). Every figure is a group's own, so the
// groups' days come out as a run over the whole organisation would make
// them, at the cost of their own messages only. It returns how many days
// it computed.
func (db *DB) RollupFrom(ctx context.Context, orgID int64, groups []int64, from analytics.Day, now time.Time, loc *time.Location) (int, error) {
	if groups != nil && len(groups) == 0 {
		return 0, nil
	}
	today := analytics.DayOf(now, loc)
	return db.rollRange(ctx, orgID, groups, from, today, today-1, now, loc)
}

// rollRange computes days start..today in order, moving the mark after
// each when the run is the whole organisation's (only nil); days before
// alertsFrom raise and resolve no alerts.
func (db *DB) rollRange(ctx context.Context, orgID int64, only []int64, start, today, alertsFrom analytics.Day, now time.Time, loc *time.Location) (int, error) {
	if start > today {
		return 0, nil
	}
	run, err := db.newRollupRun(ctx, orgID, only, start, loc)
	if err != nil {
		return 0, err
	}
	run.alertsFrom = alertsFrom
	n := 0
	for d := start; d <= today; d++ {
		if err := run.day(ctx, d, now); err != nil {
			return n, err
		}
		n++
		if only != nil {
			continue // the mark says how far the whole organisation is
		}
		if _, err := db.exec(ctx, db.q(`INSERT INTO rollup_marks (org_id, day, rolled_at) VALUES (?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET day = excluded.day, rolled_at = excluded.rolled_at`), orgID, int64(d), ms(now)); err != nil {
			return n, fmt.Errorf("rollup: save mark: %w", err)
		}
	}
	return n, nil
}

// RollupDay computes one day of an organisation: the figures of every
// group and member, then health, state and alerts. Running it again
// replaces the day. now stamps the alerts.
func (db *DB) RollupDay(ctx context.Context, orgID int64, d analytics.Day, loc *time.Location, now time.Time) error {
	run, err := db.newRollupRun(ctx, orgID, nil, d, loc)
	if err != nil {
		return err
	}
	return run.day(ctx, d, now)
}

// rollupRun computes consecutive days of an organisation. What a day
// needs of the days before it — 56 days of member_days, 30 of group_days,
// each group's last member day — is read once when the run starts and
// then carried forward in memory as each day is computed and written, as
// are the memberships and the staff: a day costs its own messages and
// writes, not a rescan of its window.
type rollupRun struct {
	db     *DB
	orgID  int64
	loc    *time.Location
	groups []community.Group
	staff  map[[2]int64]bool
	stints []stint
	posts  map[int64]map[int64]*analytics.Posting // group → person → days posted, oldest first
	days   map[int64][]analytics.HealthDay        // group → the last 30 days' figures, oldest first
	last   map[int64]analytics.Day                // group → the last day a member posted
	// alertsFrom is the first day whose changes raise (and resolve)
	// alerts.
	alertsFrom analytics.Day
	// only limits the run to some groups; nil: the organisation's.
	only []int64
	// platform: group → day → the platform's statistics (ownerstats.go)
	platform map[int64]map[analytics.Day]platformDay
}

// in is the condition that limits a query to the run's groups — " AND col
// IN (?, …)" and its arguments — or nothing for a whole organisation.
func (r *rollupRun) in(col string) (string, []any) {
	if r.only == nil {
		return "", nil
	}
	args := make([]any, len(r.only))
	for i, id := range r.only {
		args[i] = id
	}
	return " AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(r.only)), ", ") + ")", args
}

// stint is a membership as the rollup counts it.
type stint struct {
	group, person  int64
	member         bool  // role member (not staff)
	joined, left   int64 // unix ms; left -1 while in the group
	joinDay        analytics.Day
	stayedThe7Days bool // still in the group a week after joining
}

// newRollupRun reads what day from needs of the days before it.
func (db *DB) newRollupRun(ctx context.Context, orgID int64, only []int64, from analytics.Day, loc *time.Location) (*rollupRun, error) {
	r := &rollupRun{db: db, orgID: orgID, only: only, loc: loc, staff: map[[2]int64]bool{}, posts: map[int64]map[int64]*analytics.Posting{},
		days: map[int64][]analytics.HealthDay{}, last: map[int64]analytics.Day{}, platform: map[int64]map[analytics.Day]platformDay{}}
	var err error
	if r.groups, err = db.Groups(ctx, orgID); err != nil {
		return nil, err
	}
	// The loads on a mapped connection, given back before any write.
	rd, done, err := db.mappedConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("rollup: %w", err)
	}
	defer done()
	if only != nil {
		r.groups = slices.DeleteFunc(r.groups, func(g community.Group) bool { return !slices.Contains(only, g.ID) })
	}
	if err := r.loadStints(ctx, rd); err != nil {
		return nil, err
	}
	if err := r.loadPosts(ctx, rd, from); err != nil {
		return nil, err
	}
	if err := r.loadGroupDays(ctx, rd, from); err != nil {
		return nil, err
	}
	if err := r.loadPlatformDays(ctx, rd, from); err != nil {
		return nil, err
	}
	return r, nil
}

// mappedConn returns where a long read runs, and the function to call
// after it. On SQLite that is a connection of the read pool of its own,
// reading the database file through a memory map (mapSize) until it is
// given back: a page missing from its 64 MB cache is otherwise a read
// call of its own, and at 10,000 groups the day's rollup made millions (a
// run 7.6–13 s, 6.7–7.4 s mapped; docs/benchmarks.md). Only for such
// reads: with the map on every connection the ingest of single events
// lost a fifth. It is given back before the reader writes: two runs
// each holding one while waiting for another could empty a pool of two
// (database.max_open_conns = 2). On PostgreSQL it is the pool.
func (db *DB) mappedConn(ctx context.Context) (queryer, func(), error) {
	if db.dialect != SQLite {
		return db.sql, func() {}, nil
	}
	c, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA mmap_size = %d", mapSize)); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("map the database: %w", err)
	}
	return c, func() {
		if _, err := c.ExecContext(context.WithoutCancel(ctx), "PRAGMA mmap_size = 0"); err != nil {
			// Not back into the pool mapped.
			c.Raw(func(any) error { return driver.ErrBadConn })
		}
		c.Close()
	}, nil
}

// loadStints reads the organisation's memberships; the open ones of staff
// and the organisation's bots (group 0) make the staff.
func (r *rollupRun) loadStints(ctx context.Context, rd queryer) error {
	db := r.db
	cond, args := r.in("m.group_id")
	rows, err := rd.QueryContext(ctx, db.q(`SELECT m.group_id, m.person_id, m.role, m.joined_at, m.left_at FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ?`+cond), append([]any{r.orgID}, args...)...)
	if err != nil {
		return fmt.Errorf("rollup: memberships: %w", err)
	}
	defer rows.Close()
	week := int64(7 * 24 * time.Hour / time.Millisecond)
	for rows.Next() {
		var s stint
		var role string
		var left sql.NullInt64
		if err := rows.Scan(&s.group, &s.person, &role, &s.joined, &left); err != nil {
			return fmt.Errorf("rollup: memberships: %w", err)
		}
		s.member, s.left = role == string(community.RoleMember), -1
		if left.Valid {
			s.left = left.Int64
		} else if !s.member {
			r.staff[[2]int64{s.group, s.person}] = true
		}
		s.joinDay = analytics.DayOf(fromMS(s.joined), r.loc)
		s.stayedThe7Days = !left.Valid || left.Int64-s.joined >= week
		r.stints = append(r.stints, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup: memberships: %w", err)
	}
	bots, err := rd.QueryContext(ctx, db.q(`SELECT i.person_id FROM identities i JOIN people p ON p.id = i.person_id WHERE p.org_id = ? AND i.bot = TRUE`), r.orgID)
	if err != nil {
		return fmt.Errorf("rollup: staff: %w", err)
	}
	defer bots.Close()
	for bots.Next() {
		var p int64
		if err := bots.Scan(&p); err != nil {
			return fmt.Errorf("rollup: staff: %w", err)
		}
		r.staff[[2]int64{0, p}] = true
	}
	return bots.Err()
}

// groupsInOrder is the chat_groups of a query that reads a rollup table
// in the order of its primary key (group_id, day, …) with ORDER BY g.id.
// On SQLite the table is scanned in id order (its rowid), not read
// through groups_org (org_id, node_id), whose order is not the groups'
// ids: SQLite took that index and sorted every row read in a temporary
// B-tree (at 10,000 groups three times as long for 30 days of
// group_days, 1.8 s against 0.6). The groups are a few thousand rows
// beside the millions read for them.
func (r *rollupRun) groupsInOrder() string {
	if r.db.dialect == SQLite {
		return "chat_groups g NOT INDEXED"
	}
	return "chat_groups g"
}

// loadPosts reads the member_days of the window before day from, and each
// group's last member day before it. The window comes a group's day to a
// row, its members and their messages joined into one string ("person
// messages person messages …"): a million members' 56 days are some 3.5M
// rows, and the driver's work a row cost more than the rest of the read.
// On SQLite the rows come in the primary key's order (group, day; see
// groupsInOrder), on PostgreSQL in the order of member_days_window (day,
// group), read from that index alone: neither needs a sort, and both give
// each person's days in order.
func (r *rollupRun) loadPosts(ctx context.Context, rd queryer, from analytics.Day) error {
	db := r.db
	cond, args := r.in("md.group_id")
	agg, key, order := "group_concat", "g.id", " GROUP BY g.id, md.day ORDER BY g.id, md.day"
	if db.dialect == Postgres {
		agg, key, order = "string_agg", "md.group_id", " GROUP BY md.day, md.group_id ORDER BY md.day, md.group_id"
	}
	rows, err := rd.QueryContext(ctx, db.q(`SELECT `+key+`, md.day, `+agg+`(md.person_id || ' ' || md.messages, ' ') FROM member_days md
		JOIN `+r.groupsInOrder()+` ON g.id = md.group_id WHERE g.org_id = ? AND md.day > ? AND md.day < ?`+cond+order),
		append([]any{r.orgID, int64(from) - analytics.HealthWindow, int64(from)}, args...)...)
	if err != nil {
		return fmt.Errorf("rollup: window: %w", err)
	}
	defer rows.Close()
	var list sql.RawBytes
	for rows.Next() {
		var g, day int64
		if err := rows.Scan(&g, &day, &list); err != nil {
			return fmt.Errorf("rollup: window: %w", err)
		}
		byPerson := r.groupPosts(g)
		for rest := list; len(rest) > 0; {
			p, after, okP := cutInt(rest)
			n, after, okN := cutInt(after)
			if !okP || !okN {
				return fmt.Errorf("rollup: window: group %d, day %d: %q is not a list of members and messages", g, day, list)
			}
			rest = after
			pd := posting(byPerson, p)
			pd.Days, pd.Msgs = append(pd.Days, analytics.Day(day)), append(pd.Msgs, int(n))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollup: window: %w", err)
	}
	cond, args = r.in("g.id")
	lasts, err := rd.QueryContext(ctx, db.q(`SELECT g.id, (SELECT MAX(md.day) FROM member_days md WHERE md.group_id = g.id AND md.day < ?)
		FROM chat_groups g WHERE g.org_id = ?`+cond), append([]any{int64(from), r.orgID}, args...)...)
	if err != nil {
		return fmt.Errorf("rollup: last days: %w", err)
	}
	defer lasts.Close()
	for lasts.Next() {
		var g int64
		var day sql.NullInt64
		if err := lasts.Scan(&g, &day); err != nil {
			return fmt.Errorf("rollup: last days: %w", err)
		}
		if day.Valid {
			r.last[g] = analytics.Day(day.Int64)
		}
	}
	return lasts.Err()
}

// cutInt reads the decimal number (not negative) at the start of b and
// the space after it, if any.
func cutInt(b []byte) (int64, []byte, bool) {
	var n int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := int64(b[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, nil, false
		}
		n = n*10 + d
	}
	if i == 0 || i < len(b) && b[i] != ' ' {
		return 0, nil, false
	}
	if i < len(b) {
		i++
	}
	return n, b[i:], true
}

// postsOf returns a person's posting in a group, added if new.
func (r *rollupRun) postsOf(g, p int64) *analytics.Posting {
	return posting(r.groupPosts(g), p)
}

// groupPosts returns a group's postings by person, added if new.
func (r *rollupRun) groupPosts(g int64) map[int64]*analytics.Posting {
	byPerson := r.posts[g]
	if byPerson == nil {
		byPerson = map[int64]*analytics.Posting{}
		r.posts[g] = byPerson
	}
	return byPerson
}

// posting returns a person's entry of byPerson, added if new.
func posting(byPerson map[int64]*analytics.Posting, p int64) *analytics.Posting {
	pd := byPerson[p]
	if pd == nil {
		pd = &analytics.Posting{}
		byPerson[p] = pd
	}
	return pd
}

// loadGroupDays reads the 29 days of group_days before day from.
func (r *rollupRun) loadGroupDays(ctx context.Context, rd queryer, from analytics.Day) error {
	db := r.db
	cond, args := r.in("gd.group_id")
	rows, err := rd.QueryContext(ctx, db.q(`SELECT g.id, gd.day, gd.questions, gd.answered, gd.joins, gd.leaves, gd.members, gd.state
		FROM group_days gd JOIN `+r.groupsInOrder()+` ON g.id = gd.group_id WHERE g.org_id = ? AND gd.day > ? AND gd.day < ?`+cond+` ORDER BY g.id, gd.day`),
		append([]any{r.orgID, int64(from) - 30, int64(from)}, args...)...)
	if err != nil {
		return fmt.Errorf("rollup: sums: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g, day int64
		var f analytics.HealthDay
		var state string
		if err := rows.Scan(&g, &day, &f.Questions, &f.Answered, &f.Joins, &f.Leaves, &f.Members, &state); err != nil {
			return fmt.Errorf("rollup: sums: %w", err)
		}
		f.Day, f.State = analytics.Day(day), analytics.GroupState(state)
		r.days[g] = append(r.days[g], f)
	}
	return rows.Err()
}

// day computes and writes day d; the run's days must come in order.
func (r *rollupRun) day(ctx context.Context, d analytics.Day, now time.Time) error {
	db := r.db
	from, to := d.Start(r.loc), (d + 1).Start(r.loc)
	cond, args := r.in("m.group_id")
	// A group at a time: the run holds one group's day of messages, not
	// the organisation's.
	figures := map[int64]*analytics.DayFigures{}
	var people []analytics.PersonDay
	err := db.dayMessages(ctx, r.orgID, from, to.Add(analytics.AnswerWindow), r.staff, cond, args, func(msgs []analytics.Msg) {
		f, p := analytics.RollupDay(msgs, from, to)
		maps.Copy(figures, f)
		people = append(people, p...)
	})
	if err != nil {
		return err
	}
	members, newcomers := r.membership(d, from, to)
	for _, p := range people {
		pd := r.postsOf(p.Group, p.Person)
		pd.Days, pd.Msgs = append(pd.Days, d), append(pd.Msgs, p.Messages)
		r.last[p.Group] = d
	}

	var active, others []any
	type change struct {
		group       int64
		prev, state string
		quiet       []int64
	}
	var changes []change
	for _, g := range r.groups {
		if _, counted := r.platform[g.ID][d]; analytics.DayOf(g.CreatedAt, r.loc) > d && !counted {
			continue // not created yet that day (as far as qunzhu or its platform knows)
		}
		f := figures[g.ID]
		if f == nil {
			f = &analytics.DayFigures{}
		}
		f, source := r.fromPlatform(g.ID, d, f)
		m := members[g.ID]
		row := []any{g.ID, int64(d), f.Messages, f.MemberMessages, f.Communicators, f.Questions, f.Answered, m.joins, m.leaves, m.members, source}
		// The last 30 days' figures, this one included.
		hist := r.days[g.ID]
		for len(hist) > 0 && hist[0].Day <= d-30 {
			hist = hist[1:]
		}
		var prev string
		if n := len(hist); n > 0 && hist[n-1].Day == d-1 {
			prev = string(hist[n-1].State)
		}
		hist = append(hist, analytics.HealthDay{Day: d, Questions: f.Questions, Answered: f.Answered, Joins: m.joins, Leaves: m.leaves, Members: m.members})
		r.days[g.ID] = hist
		if g.Lifecycle != community.Active {
			others = append(others, row...)
			continue
		}
		last, posted := r.last[g.ID]
		h, state, quiet := analytics.GroupHealth(analytics.GroupDayInput{Day: d, Created: g.CreatedAt, Loc: r.loc, History: hist,
			Posting: r.posts[g.ID], Newcomers: newcomers[g.ID], LastPosted: last, Posted: posted})
		hist[len(hist)-1].State = state
		parts, _ := json.Marshal(h)
		active = append(append(active, row...), h.Score, string(parts), string(state))
		changes = append(changes, change{g.ID, prev, string(state), quiet})
	}

	return db.inTx(ctx, func(tx *sql.Tx) error {
		del, dargs := "DELETE FROM member_days WHERE day = ? AND group_id IN (SELECT id FROM chat_groups WHERE org_id = ?)", []any{int64(d), r.orgID}
		if cond, args := r.in("group_id"); cond != "" {
			del, dargs = "DELETE FROM member_days WHERE day = ?"+cond, append([]any{int64(d)}, args...)
		}
		if _, err := tx.ExecContext(ctx, db.q(del), dargs...); err != nil {
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
		if err := execRows(ctx, db, tx, upsertFiguresSQL, 11, others); err != nil {
			return fmt.Errorf("rollup: group days: %w", err)
		}
		if err := execRows(ctx, db, tx, upsertGroupDaysSQL, 14, active); err != nil {
			return fmt.Errorf("rollup: health: %w", err)
		}
		for _, c := range changes {
			if d < r.alertsFrom {
				break
			}
			if err := db.alertState(ctx, tx, r.orgID, c.group, d, c.prev, c.state, now); err != nil {
				return err
			}
			if err := db.alertQuietCore(ctx, tx, r.orgID, c.group, d, c.quiet, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// execRows writes rows of n columns (flattened) with multi-row statements
// of at most chunk rows.
func execRows(ctx context.Context, db *DB, tx *sql.Tx, m *multiRow, n int, flat []any) error {
	rows := len(flat) / n
	for s := 0; s < rows; s += chunk {
		e := min(s+chunk, rows)
		if _, err := tx.ExecContext(ctx, m.text(db, e-s), flat[s*n:e*n]...); err != nil {
			return err
		}
	}
	return nil
}

// dayMessages calls fn with the messages of an organisation's groups
// sent from..to (cond and args limit them to some groups), a group at a
// time in the order of their ids, each group's in time order. The slice
// is fn's only until it returns.
func (db *DB) dayMessages(ctx context.Context, orgID int64, from, to time.Time, staff map[[2]int64]bool, cond string, args []any, fn func([]analytics.Msg)) error {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.group_id, m.person_id, m.external_id, m.reply_to, m.text, m.sent_at
		FROM messages m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.sent_at >= ? AND m.sent_at < ?`+cond+` ORDER BY m.group_id, m.sent_at, m.id`), append([]any{orgID, ms(from), ms(to)}, args...)...)
	var group []analytics.Msg
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var m analytics.Msg
		var at int64
		if err := r.Scan(&m.Group, &m.Person, &m.ID, &m.ReplyTo, &m.Text, &at); err != nil {
			return err
		}
		m.At = fromMS(at)
		m.Staff = staff[[2]int64{m.Group, m.Person}] || staff[[2]int64{0, m.Person}]
		if len(group) > 0 && group[0].Group != m.Group {
			fn(group)
			clear(group)
			group = group[:0]
		}
		group = append(group, m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("rollup: messages: %w", err)
	}
	if len(group) > 0 {
		fn(group)
	}
	return nil
}

type memberFigures struct{ joins, leaves, members int }

// membership counts, per group, the day's joins and leaves and the
// members (role member) at its end, and lists the members who joined 8–37
// days before d.
func (r *rollupRun) membership(d analytics.Day, from, to time.Time) (map[int64]memberFigures, map[int64][]analytics.Newcomer) {
	f, t := ms(from), ms(to)
	ncFrom, ncTo := ms((d - 37).Start(r.loc)), ms((d - 7).Start(r.loc))
	out := map[int64]memberFigures{}
	newcomers := map[int64][]analytics.Newcomer{}
	for _, s := range r.stints {
		m := out[s.group]
		if s.joined >= f && s.joined < t {
			m.joins++
		}
		if s.left >= f && s.left < t {
			m.leaves++
		}
		if s.member && s.joined < t && (s.left < 0 || s.left >= t) {
			m.members++
		}
		out[s.group] = m
		if s.member && s.joined >= ncFrom && s.joined < ncTo {
			newcomers[s.group] = append(newcomers[s.group], analytics.Newcomer{Person: s.person, JoinDay: s.joinDay, Stayed7: s.stayedThe7Days})
		}
	}
	return out, newcomers
}

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
	detail := community.Detail("from", prev, "to", state)
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES (?, ?, 0, ?, ?, ?, ?)
		ON CONFLICT (group_id, person_id, kind, day) DO UPDATE SET resolved_at = NULL`), orgID, groupID, "group_"+state, int64(d), detail, ms(now))
	if err != nil {
		return fmt.Errorf("rollup: raise alert: %w", err)
	}
	return db.alertOnDuty(ctx, tx, groupID, 0, "group_"+state, d, now)
}

// alertTexts say an alert to the assistant on duty, with the group's name
// (and the member's).
var alertTexts = map[string]string{
	analytics.AlertDormant:   "群提醒：「%s」已沉寂，14 天没有成员发言。请去群里看看。\nAlert: %[1]s is dormant (14 days without a member message).",
	analytics.AlertDying:     "群提醒：「%s」在衰退，发言的人越来越少。请去群里看看。\nAlert: %[1]s is dying (fewer and fewer members post).",
	analytics.AlertDead:      "群提醒：「%s」已是死群，30 天没有成员发言。\nAlert: %[1]s is dead (30 days without a member message).",
	analytics.AlertCoreQuiet: "群提醒：「%s」的骨干成员%s一周没有发言了，去问候一下？\nAlert: %[2]s, a core member of %[1]s, has been quiet for a week.",
}

// alertOnDuty sends an alert of a group (and member), once per alert, to
// the group's assistant on duty and the staff group (notifyDuty).
func (db *DB) alertOnDuty(ctx context.Context, tx *sql.Tx, groupID, personID int64, kind string, d analytics.Day, now time.Time) error {
	var name, who string
	err := tx.QueryRowContext(ctx, db.q(`SELECT g.name, COALESCE((SELECT p.name FROM people p WHERE p.id = ?), '') FROM chat_groups g WHERE g.id = ?`), personID, groupID).Scan(&name, &who)
	if err != nil {
		return fmt.Errorf("rollup: alert to the assistant on duty: %w", err)
	}
	key := fmt.Sprintf("%d:%d:%s:%d", groupID, personID, kind, d)
	duty, err := dutyFor(ctx, db, tx, groupID, 0)
	if err != nil {
		return err
	}
	return notifyDuty(ctx, db, tx, groupID, duty, key, fmt.Sprintf(alertTexts[kind], name, who), now)
}

// notifyDuty sends text about a group, once per key, to its assistant on
// duty (duty, 0: none) directly where a platform can reach them (a staff
// account of theirs: a WeCom application message), and to the
// organisation's staff group (a WeCom group robot's, say), naming them.
func notifyDuty(ctx context.Context, db *DB, tx *sql.Tx, groupID, duty int64, key, text string, now time.Time) error {
	var staffID int64
	var conn, staffConn, staffExt, staffLife string
	q := db.prepared(tx) // a run of the question tracker may alert thousands of times
	err := q.QueryRowContext(ctx, db.q(`SELECT g.connection, COALESCE(sg.id, 0), COALESCE(sg.connection, ''), COALESCE(sg.external_id, ''), COALESCE(sg.lifecycle, '')
		FROM chat_groups g LEFT JOIN content_settings cs ON cs.org_id = g.org_id LEFT JOIN chat_groups sg ON sg.id = cs.staff_group_id
		WHERE g.id = ?`), groupID).Scan(&conn, &staffID, &staffConn, &staffExt, &staffLife)
	if err != nil {
		return fmt.Errorf("alert to the assistant on duty: %w", err)
	}
	// Not the staff group's own alerts into it.
	toStaff := staffID != 0 && staffID != groupID && staffLife == string(community.Active)
	var acts []chat.Action
	mention := ""
	if duty != 0 {
		act, ok, err := staffMessage(ctx, db, q, duty, conn, "alert-direct:"+key, "alert", text)
		if err != nil {
			return err
		}
		if ok {
			acts = append(acts, act)
		}
		if toStaff {
			names, err := namesIn(ctx, db, q, staffID, "SELECT id FROM people WHERE id = ?", duty)
			if err != nil {
				return err
			}
			mention = "@" + names[0] + " "
		}
	}
	if toStaff {
		acts = append(acts, chat.Action{Key: "alert-staff:" + key, Connection: staffConn, Kind: chat.ActSend, Group: staffExt, Reason: "alert", Text: mention + text})
	}
	if len(acts) == 0 {
		return nil
	}
	return enqueue(ctx, db, tx, acts, now)
}

// alertQuietCore raises an alert for each core member gone quiet (see
// analytics.GroupHealth), in person order, in one statement, and tells
// the assistant on duty of the alerts it raised: a run that computes the
// day again finds them raised (thousands a day at 10,000 groups) and
// costs one statement a group.
func (db *DB) alertQuietCore(ctx context.Context, tx *sql.Tx, orgID, groupID int64, d analytics.Day, quiet []int64, now time.Time) error {
	for s := 0; s < len(quiet); s += chunk {
		e := min(s+chunk, len(quiet))
		args := make([]any, 0, 6*(e-s))
		for _, p := range quiet[s:e] {
			args = append(args, orgID, groupID, p, analytics.AlertCoreQuiet, int64(d), ms(now))
		}
		rows, err := tx.QueryContext(ctx, raiseQuietSQL.text(db, e-s), args...)
		raised, err := scanAll(rows, err, func(r *sql.Rows, p *int64) error { return r.Scan(p) })
		if err != nil {
			return fmt.Errorf("rollup: raise alert: %w", err)
		}
		slices.Sort(raised)
		for _, p := range raised {
			if err := db.alertOnDuty(ctx, tx, groupID, p, analytics.AlertCoreQuiet, d, now); err != nil {
				return err
			}
		}
	}
	return nil
}

var raiseQuietSQL = newMultiRow("INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES ", "(?, ?, ?, ?, ?, '', ?)",
	" ON CONFLICT (group_id, person_id, kind, day) DO NOTHING RETURNING person_id")

// GroupDays returns a group's rolled-up days from..to (inclusive), oldest
// first.
func (db *DB) GroupDays(ctx context.Context, groupID int64, from, to analytics.Day, loc *time.Location) ([]analytics.GroupDay, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT day, messages, member_messages, communicators, questions, answered, joins, leaves, members, health_parts, state, source
		FROM group_days WHERE group_id = ? AND day >= ? AND day <= ? ORDER BY day`), groupID, int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("group days: %w", err)
	}
	defer rows.Close()
	var out []analytics.GroupDay
	for rows.Next() {
		var g analytics.GroupDay
		var day int64
		var parts, state string
		if err := rows.Scan(&day, &g.Messages, &g.MemberMessages, &g.Communicators, &g.Questions, &g.Answered, &g.Joins, &g.Leaves, &g.Members, &parts, &state, &g.Source); err != nil {
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

// LatestHealth returns each group's most recent rolled-up day. Each
// group's latest day is one seek on group_days' primary key (group_id,
// day), driven by the organisation's groups — not a MAX per group_days row.
func (db *DB) LatestHealth(ctx context.Context, orgID int64, loc *time.Location) (map[int64]analytics.GroupDay, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT gd.group_id, gd.day, gd.members, gd.health_parts, gd.state FROM chat_groups g
		JOIN group_days gd ON gd.group_id = g.id AND gd.day = (SELECT MAX(x.day) FROM group_days x WHERE x.group_id = g.id)
		WHERE g.org_id = ?`), orgID)
	if err != nil {
		return nil, fmt.Errorf("latest health: %w", err)
	}
	defer rows.Close()
	out := map[int64]analytics.GroupDay{}
	for rows.Next() {
		var id, day int64
		var g analytics.GroupDay
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

// Alerts lists an organisation's alerts, newest first: the open ones, or
// all.
func (db *DB) Alerts(ctx context.Context, orgID int64, openOnly bool, limit int) ([]analytics.Alert, error) {
	cond := ""
	if openOnly {
		cond = " AND a.resolved_at IS NULL"
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT a.id, a.group_id, g.name, a.person_id, COALESCE(p.name, ''), a.kind, a.day, a.detail, a.created_at, a.resolved_at, a.snoozed_until
		FROM alerts a JOIN chat_groups g ON g.id = a.group_id LEFT JOIN people p ON p.id = a.person_id
		WHERE a.org_id = ?`+cond+` ORDER BY a.id DESC LIMIT ?`), orgID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, a *analytics.Alert) error {
		var day, created int64
		var resolved, snoozed sql.NullInt64
		if err := r.Scan(&a.ID, &a.GroupID, &a.GroupName, &a.PersonID, &a.PersonName, &a.Kind, &day, &a.Detail, &created, &resolved, &snoozed); err != nil {
			return err
		}
		a.Day, a.CreatedAt, a.ResolvedAt, a.SnoozedUntil = analytics.Day(day), fromMS(created), fromNullMS(resolved), fromNullMS(snoozed)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return out, nil
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

// MaxSnooze is how far an alert can be put off.
const MaxSnooze = 30 * 24 * time.Hour

// SnoozeAlert puts an open alert off until a time (after now, at most
// MaxSnooze ahead) and records who did.
func (db *DB) SnoozeAlert(ctx context.Context, orgID, id int64, until time.Time, actor string) error {
	now := db.now()
	if !until.After(now) || until.Sub(now) > MaxSnooze {
		return errkind.Errorf(errkind.Invalid, "until: want a time in the next %d days", int(MaxSnooze/(24*time.Hour)))
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("UPDATE alerts SET snoozed_until = ? WHERE org_id = ? AND id = ? AND resolved_at IS NULL"), ms(until), orgID, id)
		if err != nil {
			return fmt.Errorf("snooze alert: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "no open alert %d", id)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "alert.snooze", Subject: fmt.Sprintf("alert:%d", id), Detail: community.Detail("until", until.UTC().Format(time.RFC3339))})
	})
}

// TopPosters ranks members (staff and bots left out) by messages over the
// rolled-up days from..to, across the organisation or in one group
// (groupID not 0); substantive ranks by posts of three lines or more.
func (db *DB) TopPosters(ctx context.Context, orgID, groupID int64, from, to analytics.Day, substantive bool, limit int) ([]analytics.PosterRank, error) {
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
	var out []analytics.PosterRank
	for rows.Next() {
		var r analytics.PosterRank
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
