package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// The analytics at scale (issue 6, docs/benchmarks.md): an organisation of
// 10,000 groups, 1M members and 10M messages over 90 days by default (see
// the -scale.* flags in storetest), generated once per dialect and process.

var scaleDBs sync.Map // dialect → *scaleWorld

type scaleWorld struct {
	once sync.Once
	db   *store.DB
	gen  storetest.Generated
}

// scaleDB returns the generated organisation of the dialect; it lives
// until the process ends (benchmarks share it).
func scaleDB(b *testing.B, d store.Dialect) (*store.DB, storetest.Generated, storetest.Scale) {
	b.Helper()
	if d == store.Postgres && os.Getenv(storetest.EnvPostgres) == "" {
		b.Skipf("PostgreSQL: set %s to run", storetest.EnvPostgres)
	}
	s := storetest.ScaleFromFlags()
	v, _ := scaleDBs.LoadOrStore(d, &scaleWorld{})
	w := v.(*scaleWorld)
	w.once.Do(func() {
		start := time.Now()
		w.db, w.gen = storetest.ScaleDB(storetest.Kept{TB: b}, d, s, func() time.Time { return s.Now })
		b.Logf("%s: %d groups, %d members, %d messages (%d groups dead) ready in %v",
			d, s.Groups, w.gen.Members, w.gen.Messages, w.gen.Dead, time.Since(start).Round(time.Second))
	})
	if w.db == nil {
		b.Fatal("scale database: setup failed")
	}
	return w.db, w.gen, s
}

// rolledUp brings the organisation's rollups up to now (untimed).
func rolledUp(b *testing.B, db *store.DB, g storetest.Generated, s storetest.Scale) {
	b.Helper()
	start := time.Now()
	n, err := db.Rollup(context.Background(), g.OrgID, s.Now, s.Loc, 400)
	if err != nil {
		b.Fatal(err)
	}
	if n > 2 {
		b.Logf("rolled up %d days in %v", n, time.Since(start).Round(time.Millisecond))
	}
}

func forDialects(b *testing.B, fn func(b *testing.B, d store.Dialect)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) { fn(b, d) })
	}
}

// BenchmarkRollupDay times one day of the whole organisation: today, with
// the 56 days before rolled up (the 5-minute run computes today and
// yesterday).
func BenchmarkRollupDay(b *testing.B) {
	forDialects(b, func(b *testing.B, d store.Dialect) {
		db, g, s := scaleDB(b, d)
		rolledUp(b, db, g, s)
		today := analytics.DayOf(s.Now, s.Loc)
		b.ResetTimer()
		for b.Loop() {
			if err := db.RollupDay(context.Background(), g.OrgID, today, s.Loc, s.Now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRollupFull times the recompute of the whole history from
// scratch: the rollup tables emptied, then Rollup from the first message.
func BenchmarkRollupFull(b *testing.B) {
	forDialects(b, func(b *testing.B, d store.Dialect) {
		db, g, s := scaleDB(b, d)
		ctx := context.Background()
		for b.Loop() {
			b.StopTimer()
			for _, t := range []string{"alerts", "member_days", "group_days", "rollup_marks"} {
				if _, err := db.SQL().ExecContext(ctx, "DELETE FROM "+t); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			n, err := db.Rollup(ctx, g.OrgID, s.Now, s.Loc, 400)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n), "days")
		}
	})
}

// TestRollupMatchesRecomputation checks the incremental rollup against a
// plain recomputation of every day from the raw messages and memberships
// (written here from docs/metrics.md, with the analytics package's pure
// functions), on a generated history long enough for every state and
// alert: group_days, member_days and alerts must be identical. It also
// checks that recomputing the last day alone, and rolling up in two runs,
// change nothing.
func TestRollupMatchesRecomputation(t *testing.T) {
	s := storetest.Scale{Groups: 40, Members: 4000, Messages: 60_000, Days: 75, Loc: storetest.ScaleLoc, Seed: 7,
		Now: time.Date(2026, 6, 30, 15, 0, 0, 0, storetest.ScaleLoc)}
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g, err := storetest.Generate(ctx, db, s)
		if err != nil {
			t.Fatal(err)
		}
		want := recompute(t, db, g.OrgID, s)
		if _, err := db.Rollup(ctx, g.OrgID, s.Now, s.Loc, 400); err != nil {
			t.Fatal(err)
		}
		got := dumpRollups(t, db)
		compareDumps(t, "one run", got, want, true)
		if err := db.RollupDay(ctx, g.OrgID, analytics.DayOf(s.Now, s.Loc), s.Loc, s.Now); err != nil {
			t.Fatal(err)
		}
		compareDumps(t, "the last day again", dumpRollups(t, db), want, true)

		for _, table := range []string{"alerts", "member_days", "group_days", "rollup_marks"} {
			if _, err := db.SQL().ExecContext(ctx, "DELETE FROM "+table); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Rollup(ctx, g.OrgID, s.Now.AddDate(0, 0, -20), s.Loc, 400); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Rollup(ctx, g.OrgID, s.Now, s.Loc, 400); err != nil {
			t.Fatal(err)
		}
		compareDumps(t, "two runs", dumpRollups(t, db), want, false) // alerts carry the first run's times
	})
}

type rollupDump struct{ groupDays, memberDays, alerts []string }

func dumpRollups(t *testing.T, db *store.DB) rollupDump {
	t.Helper()
	var d rollupDump
	for _, q := range []struct {
		into *[]string
		sql  string
	}{
		{&d.groupDays, "SELECT group_id, day, messages, member_messages, communicators, questions, answered, joins, leaves, members, health, health_parts, state FROM group_days ORDER BY group_id, day"},
		{&d.memberDays, "SELECT group_id, person_id, day, messages, substantive FROM member_days ORDER BY group_id, day, person_id"},
		{&d.alerts, "SELECT group_id, person_id, kind, day, detail, created_at, COALESCE(resolved_at, -1) FROM alerts ORDER BY id"},
	} {
		rows, err := db.SQL().Query(q.sql)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			line := ""
			for i, v := range vals {
				if f, ok := v.(float64); ok && cols[i] == "health" {
					v = strconv.FormatFloat(f, 'f', 1, 64)
				}
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				line += fmt.Sprint(v) + "|"
			}
			*q.into = append(*q.into, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return d
}

func compareDumps(t *testing.T, what string, got, want rollupDump, alerts bool) {
	t.Helper()
	check := func(table string, got, want []string) {
		if len(got) != len(want) {
			t.Errorf("%s: %s: %d rows, want %d", what, table, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s: %s row %d:\n got %s\nwant %s", what, table, i, got[i], want[i])
				return
			}
		}
	}
	check("group_days", got.groupDays, want.groupDays)
	check("member_days", got.memberDays, want.memberDays)
	if alerts {
		check("alerts", got.alerts, want.alerts)
	}
	if len(want.alerts) == 0 || len(want.groupDays) == 0 {
		t.Fatalf("%s: the history raised no alerts", what)
	}
}

// recompute rolls an organisation up the plain way: every day from the
// first message to now, each figure summed afresh from all the raw rows.
func recompute(t *testing.T, db *store.DB, orgID int64, s storetest.Scale) rollupDump {
	t.Helper()
	ctx := context.Background()
	loc := s.Loc
	groups, err := db.Groups(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	type stint struct {
		person, joined int64
		member         bool
		left           sql.NullInt64
	}
	stints := map[int64][]stint{}
	staff := map[[2]int64]bool{}
	rows, err := db.SQL().Query("SELECT group_id, person_id, role, joined_at, left_at FROM memberships")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var g int64
		var m stint
		var role string
		if err := rows.Scan(&g, &m.person, &role, &m.joined, &m.left); err != nil {
			t.Fatal(err)
		}
		m.member = role == string(community.RoleMember)
		if !m.member && !m.left.Valid {
			staff[[2]int64{g, m.person}] = true
		}
		stints[g] = append(stints[g], m)
	}
	rows.Close()
	var all []analytics.Msg
	rows, err = db.SQL().Query("SELECT group_id, person_id, external_id, reply_to, text, sent_at FROM messages ORDER BY sent_at, id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m analytics.Msg
		var at int64
		if err := rows.Scan(&m.Group, &m.Person, &m.ID, &m.ReplyTo, &m.Text, &at); err != nil {
			t.Fatal(err)
		}
		m.At, m.Staff = time.UnixMilli(at).UTC(), staff[[2]int64{m.Group, m.Person}]
		all = append(all, m)
	}
	rows.Close()

	type groupDay struct {
		analytics.DayFigures
		joins, leaves, members int
		health                 analytics.Health
		state                  string
	}
	type alert struct {
		group, person int64
		kind          string
		day           analytics.Day
		detail        string
		resolved      int64
	}
	now := s.Now.UnixMilli()
	days := map[int64]map[analytics.Day]*groupDay{}
	posts := map[int64]map[int64]map[analytics.Day]int{} // group → person → day → messages
	var out rollupDump
	var alerts []*alert
	var memberDays [][4]int64 // group, day, person, substantive
	raise := func(a alert) {
		for _, x := range alerts {
			if x.group == a.group && x.person == a.person && x.kind == a.kind && x.day == a.day {
				if a.person == 0 {
					x.resolved = -1
				}
				return
			}
		}
		a.resolved = -1
		alerts = append(alerts, &a)
	}
	postedIn := func(pd map[analytics.Day]int, d, lo, hi analytics.Day) bool {
		for x := max(lo, d-55); x <= min(hi, d); x++ {
			if pd[x] > 0 {
				return true
			}
		}
		return false
	}
	for d := analytics.DayOf(all[0].At, loc); d <= analytics.DayOf(s.Now, loc); d++ {
		from, to := d.Start(loc), (d + 1).Start(loc)
		var msgs []analytics.Msg
		for _, m := range all {
			if !m.At.Before(from) && m.At.Before(to.Add(analytics.AnswerWindow)) {
				msgs = append(msgs, m)
			}
		}
		figures, people := analytics.RollupDay(msgs, from, to)
		for _, p := range people {
			memberDays = append(memberDays, [4]int64{p.Group, int64(d), p.Person, int64(p.Substantive)})
			if posts[p.Group] == nil {
				posts[p.Group] = map[int64]map[analytics.Day]int{}
			}
			if posts[p.Group][p.Person] == nil {
				posts[p.Group][p.Person] = map[analytics.Day]int{}
			}
			posts[p.Group][p.Person][d] = p.Messages
		}
		for _, g := range groups {
			if analytics.DayOf(g.CreatedAt, loc) > d {
				continue
			}
			row := &groupDay{}
			if f := figures[g.ID]; f != nil {
				row.DayFigures = *f
			}
			for _, m := range stints[g.ID] {
				if m.joined >= from.UnixMilli() && m.joined < to.UnixMilli() {
					row.joins++
				}
				if m.left.Valid && m.left.Int64 >= from.UnixMilli() && m.left.Int64 < to.UnixMilli() {
					row.leaves++
				}
				if m.member && m.joined < to.UnixMilli() && (!m.left.Valid || m.left.Int64 >= to.UnixMilli()) {
					row.members++
				}
			}
			if days[g.ID] == nil {
				days[g.ID] = map[analytics.Day]*groupDay{}
			}
			days[g.ID][d] = row
		}
		for _, g := range groups {
			created := analytics.DayOf(g.CreatedAt, loc)
			if g.Lifecycle != community.Active || created > d {
				continue
			}
			row := days[g.ID][d]
			in := analytics.HealthInput{Members: row.members}
			for x := d - 29; x <= d; x++ {
				if r := days[g.ID][x]; r != nil {
					in.Questions, in.Answered, in.Joined, in.Left = in.Questions+r.Questions, in.Answered+r.Answered, in.Joined+r.joins, in.Left+r.leaves
				}
			}
			var perPerson []int
			var quiet []int64
			last := analytics.Day(-1)
			for p, pd := range posts[g.ID] {
				total, active := 0, 0
				for x, n := range pd {
					if x <= d {
						last = max(last, x)
					}
					if x > d-30 && x <= d {
						total += n
						in.DAU++
					}
					if x > d-37 && x <= d-7 {
						active++
					}
				}
				if total > 0 {
					perPerson = append(perPerson, total)
					in.MAU++
				}
				if postedIn(pd, d, d-6, d) {
					in.WeeklyCommunicators++
				}
				if pd[d-7] > 0 && !postedIn(pd, d, d-6, d) && active >= 7 {
					quiet = append(quiet, p)
				}
			}
			in.DAU /= 30
			in.TopShareMembers = analytics.TopShare(perPerson)
			for _, m := range stints[g.ID] {
				if m.member && m.joined >= (d-37).Start(loc).UnixMilli() && m.joined < (d-7).Start(loc).UnixMilli() {
					in.Newcomers++
					jd := analytics.DayOf(time.UnixMilli(m.joined), loc)
					if (!m.left.Valid || m.left.Int64-m.joined >= 7*24*3600*1000) && postedIn(posts[g.ID][m.person], d, jd, jd+6) {
						in.Retained7++
					}
				}
			}
			row.health = analytics.Score(in)
			hist := analytics.GroupHistory{Members: row.members}
			lastAt := g.CreatedAt
			if last >= 0 {
				lastAt = (last + 1).Start(loc).Add(-time.Millisecond)
			}
			hist.LastMemberMessage = &lastAt
			for w := 7; w >= 0; w-- {
				hi := d - analytics.Day(7*w)
				if hi-6 < created {
					continue
				}
				n := 0
				for _, pd := range posts[g.ID] {
					if postedIn(pd, d, hi-6, hi) {
						n++
					}
				}
				hist.WeeklyCommunicators = append(hist.WeeklyCommunicators, n)
			}
			row.state = string(analytics.StateOf(hist, to))
			prev := ""
			if r := days[g.ID][d-1]; r != nil {
				prev = r.state
			}
			if row.state != prev {
				for _, a := range alerts {
					if a.group == g.ID && a.person == 0 && a.resolved == -1 {
						a.resolved = now
					}
				}
				if row.state != string(analytics.GroupHealthy) {
					raise(alert{group: g.ID, kind: "group_" + row.state, day: d, detail: fmt.Sprintf(`{"from":%q,"to":%q}`, prev, row.state)})
				}
			}
			slices.Sort(quiet)
			for _, p := range quiet {
				raise(alert{group: g.ID, person: p, kind: analytics.AlertCoreQuiet, day: d})
			}
		}
	}
	for _, g := range groups {
		ds := slices.Sorted(maps.Keys(days[g.ID]))
		for _, d := range ds {
			r := days[g.ID][d]
			parts := "{}"
			if r.state != "" {
				b, _ := json.Marshal(r.health)
				parts = string(b)
			}
			out.groupDays = append(out.groupDays, fmt.Sprintf("%d|%d|%d|%d|%d|%d|%d|%d|%d|%d|%s|%s|%s|", g.ID, d, r.Messages, r.MemberMessages, r.Communicators,
				r.Questions, r.Answered, r.joins, r.leaves, r.members, strconv.FormatFloat(r.health.Score, 'f', 1, 64), parts, r.state))
		}
	}
	slices.SortFunc(memberDays, func(a, b [4]int64) int { return slices.Compare(a[:3], b[:3]) })
	for _, m := range memberDays {
		out.memberDays = append(out.memberDays, fmt.Sprintf("%d|%d|%d|%d|%d|", m[0], m[2], m[1], posts[m[0]][m[2]][analytics.Day(m[1])], m[3]))
	}
	for _, a := range alerts {
		out.alerts = append(out.alerts, fmt.Sprintf("%d|%d|%s|%d|%s|%d|%d|", a.group, a.person, a.kind, a.day, a.detail, now, a.resolved))
	}
	return out
}
