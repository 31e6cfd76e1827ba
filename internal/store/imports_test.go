package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestImportJobs: a job is recorded with its plan and summary, claimed
// once (a second claim is a conflict), beats, and can be claimed again by
// another process when its heartbeat went stale (a restart).
func TestImportJobs(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		now := clk.Now()
		j := imports.Job{OrgID: org.ID, CreatedBy: "staff:admin", Connection: "tg", Format: importer.FormatTelegram, FileName: "result.json",
			Upload: "/data/imports/upload-1.export", Size: 1234, Status: imports.Uploaded,
			Plan:    imports.Plan{Zone: "Asia/Shanghai", Groups: map[string]string{"-1001": ""}, Names: map[string]string{"-1001": "徒步群"}},
			Summary: importer.Summary{Format: importer.FormatTelegram, Groups: []importer.GroupSummary{{Key: "-1001", ID: "-1001", Name: "徒步", Messages: 12}}, Events: 15}}
		if err := db.CreateImportJob(ctx, &j); err != nil || j.ID == 0 {
			t.Fatalf("create: %v (id %d)", err, j.ID)
		}
		got, err := db.ImportJob(ctx, org.ID, j.ID)
		if err != nil || got.Plan.Names["-1001"] != "徒步群" || got.Summary.Groups[0].Messages != 12 || got.Status != imports.Uploaded || !got.CreatedAt.Equal(now) {
			t.Fatalf("read back: %+v, %v", got, err)
		}
		if _, err := db.ImportJob(ctx, org.ID+1, j.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's job: %v", err)
		}
		if _, err := db.ClaimImportJob(ctx, org.ID, j.ID, imports.Queued, "a", now, now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimImportJob(ctx, org.ID, j.ID, imports.Queued, "b", now, now.Add(-time.Minute)); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a job queued by a is claimed by b: %v", err)
		}
		run, err := db.ClaimImportJob(ctx, org.ID, j.ID, imports.Running, "a", now, now.Add(-time.Minute))
		if err != nil || run.Status != imports.Running || run.StartedAt == nil {
			t.Fatalf("a runs its job: %+v, %v", run, err)
		}
		clk.Add(30 * time.Second)
		if err := db.TouchImportJobs(ctx, "a", clk.Now()); err != nil {
			t.Fatal(err)
		}
		clk.Add(45 * time.Second) // 45s after the beat: still a's
		later := clk.Now()
		if _, err := db.ClaimImportJob(ctx, org.ID, j.ID, imports.Running, "b", later, later.Add(-time.Minute)); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a running job with a fresh heartbeat is claimed: %v", err)
		}
		clk.Add(time.Minute) // a stopped beating: interrupted
		later = clk.Now()
		got, _ = db.ImportJob(ctx, org.ID, j.ID)
		if st := got.State(later); st != imports.Interrupted {
			t.Fatalf("state after a minute without a heartbeat: %s", st)
		}
		if _, err := db.ClaimImportJob(ctx, org.ID, j.ID, imports.Running, "b", later, later.Add(-time.Minute)); err != nil {
			t.Fatalf("an interrupted job is not claimed again: %v", err)
		}
		run.Status, run.Accepted, run.Result = imports.Done, 10, imports.Result{Days: 3}
		if err := db.SaveImportJob(ctx, &run); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimImportJob(ctx, org.ID, j.ID, imports.Queued, "a", later, later); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a done job is claimed: %v", err)
		}
		list, err := db.ImportJobs(ctx, org.ID, 10)
		if err != nil || len(list) != 1 || list[0].Accepted != 10 || list[0].Result.Days != 3 {
			t.Fatalf("list: %+v, %v", list, err)
		}
		if err := db.DeleteImportJob(ctx, org.ID, j.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteImportJob(ctx, org.ID, j.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
	})
}

// TestMergeProposals: a member imported by name whose name is a member's
// name (or nickname) in the same group, known by a platform id, is
// proposed; accepting merges them, dismissing keeps them apart for good;
// a name in another group, a bot, or a person who also has a platform
// identity is not proposed.
func TestMergeProposals(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		other := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "另一个群"}
		if err := db.CreateGroup(ctx, &other); err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			for _, u := range []chat.User{{ID: "wxid_chen", Name: "陈默"}, {ID: "name:aaaa", Name: "陈默"}, {ID: "wxid_lin", Name: "Lin"},
				{ID: "name:bbbb", Name: "林晓"}, {ID: "name:cccc", Name: "王芳"}, {ID: "wxid_wang", Name: "王芳"}, {ID: "email:zhao@example.com", Name: "赵磊"},
				{ID: "wxid_zhao", Name: "赵磊"}, {ID: "name:dddd", Name: "机器人"}, {ID: "bot", Name: "机器人", Bot: true}} {
				id, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", u)
				if err != nil {
					return err
				}
				ids[u.ID] = id
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		join := func(group int64, user, nick string) {
			m := community.Membership{GroupID: group, PersonID: ids[user], Role: community.RoleMember, Nickname: nick, JoinedAt: clk.Now()}
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		join(g.ID, "wxid_chen", "")
		join(g.ID, "name:aaaa", "陈默")   // same name: proposed
		join(g.ID, "wxid_lin", "林晓")    // known as Lin, nicknamed 林晓 in g
		join(g.ID, "name:bbbb", "林晓")   // proposed by the nickname
		join(other.ID, "name:cccc", "") // 王芳 by name in g2 …
		join(g.ID, "wxid_wang", "")     // … 王芳 by id in g: another group
		join(g.ID, "email:zhao@example.com", "")
		join(g.ID, "wxid_zhao", "")
		join(g.ID, "name:dddd", "")
		join(g.ID, "bot", "")
		props, err := db.MergeProposals(ctx, org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		type pair struct{ name, other string }
		var got []pair
		for _, p := range props {
			got = append(got, pair{p.NameID, p.OtherID})
			if p.GroupID != g.ID || p.GroupName != g.Name || p.Connection != "wx" {
				t.Errorf("proposal %+v: want group %d", p, g.ID)
			}
		}
		want := []pair{{"name:aaaa", "wxid_chen"}, {"name:bbbb", "wxid_lin"}, {"email:zhao@example.com", "wxid_zhao"}}
		if len(got) != len(want) {
			t.Fatalf("proposals %v, want %v", got, want)
		}
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				t.Fatalf("proposals %v lack %v", got, w)
			}
		}
		byName := map[string]community.MergeProposal{}
		for _, p := range props {
			byName[p.NameID] = p
		}
		if err := db.DismissMerge(ctx, org.ID, byName["name:bbbb"], "staff:admin"); err != nil {
			t.Fatal(err)
		}
		if err := db.AcceptMerge(ctx, org.ID, byName["name:aaaa"], "staff:admin"); err != nil {
			t.Fatal(err)
		}
		if err := db.AcceptMerge(ctx, org.ID, byName["name:aaaa"], "staff:admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("accepting twice: %v", err)
		}
		bad := byName["email:zhao@example.com"]
		bad.NameID, bad.OtherID = bad.OtherID, bad.NameID
		if err := db.AcceptMerge(ctx, org.ID, bad, "staff:admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a proposal the wrong way round: %v", err)
		}
		bad = byName["email:zhao@example.com"]
		bad.OtherID = "wxid_nobody"
		if err := db.DismissMerge(ctx, org.ID, bad, "staff:admin"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("an unknown identity: %v", err)
		}
		props, err = db.MergeProposals(ctx, org.ID, 100)
		if err != nil || len(props) != 1 || props[0].NameID != "email:zhao@example.com" {
			t.Fatalf("after one dismissal and one merge: %+v, %v", props, err)
		}
		var owner int64
		if err := db.SQL().QueryRow(db.Rebind("SELECT person_id FROM identities WHERE external_id = 'name:aaaa'")).Scan(&owner); err != nil || owner != ids["wxid_chen"] {
			t.Fatalf("the merged name identity belongs to %d (%v), want %d", owner, err, ids["wxid_chen"])
		}
	})
}

// TestRollupFromRaisesNoOldAlerts: recomputing the rollups from long ago
// (after an import) fills the old days but raises no alert about them.
func TestRollupFromRaisesNoOldAlerts(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		old := clk.Now().Add(-200 * 24 * time.Hour)
		if err := db.BackdateGroup(ctx, g.ID, old); err != nil {
			t.Fatal(err)
		}
		if err := db.BackdateGroup(ctx, g.ID, clk.Now()); err != nil { // later: no change
			t.Fatal(err)
		}
		got, _ := db.Group(ctx, org.ID, g.ID)
		if !got.CreatedAt.Equal(old) {
			t.Fatalf("created %v, want %v", got.CreatedAt, old)
		}
		var p int64
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if p, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "林晓"}); err != nil {
				return err
			}
			m := community.Membership{GroupID: g.ID, PersonID: p, Role: community.RoleMember, JoinedAt: old}
			if err := tx.AddMembership(ctx, &m); err != nil {
				return err
			}
			return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: p, ExternalID: "1", Kind: chat.KindText, Text: "很久以前", SentAt: old.Add(time.Hour)}})
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.RollupFrom(ctx, org.ID, nil, analytics.DayOf(old, cst), clk.Now(), cst)
		if err != nil || n < 200 {
			t.Fatalf("rolled %d days, %v", n, err)
		}
		var days, alerts, oldAlerts int
		db.SQL().QueryRow(db.Rebind("SELECT COUNT(*) FROM group_days WHERE group_id = ?"), g.ID).Scan(&days)
		db.SQL().QueryRow("SELECT COUNT(*) FROM alerts").Scan(&alerts)
		db.SQL().QueryRow(db.Rebind("SELECT COUNT(*) FROM alerts WHERE day < ?"), int64(analytics.DayOf(clk.Now(), cst))-1).Scan(&oldAlerts)
		if days < 200 || oldAlerts != 0 {
			t.Fatalf("%d group days, %d alerts (%d about old days)", days, alerts, oldAlerts)
		}
		// The daily rollup, from scratch, raises them: the test would see one.
		if _, err := db.SQL().Exec("DELETE FROM rollup_marks"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), cst, 400); err != nil {
			t.Fatal(err)
		}
		db.SQL().QueryRow(db.Rebind("SELECT COUNT(*) FROM alerts WHERE day < ?"), int64(analytics.DayOf(clk.Now(), cst))-1).Scan(&oldAlerts)
		if oldAlerts == 0 {
			t.Fatal("the daily rollup raised no alert about the old days either: the test proves nothing")
		}
	})
}

// TestRollupFromSomeGroups: recomputing some groups' rollups gives their
// rows as a run over the whole organisation does, and leaves the other
// groups' rows alone.
func TestRollupFromSomeGroups(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, a := seedOrg(t, db)
		b := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "另一个群", CreatedAt: clk.Now().Add(-20 * 24 * time.Hour)}
		if err := db.CreateGroup(ctx, &b); err != nil {
			t.Fatal(err)
		}
		db.BackdateGroup(ctx, a.ID, clk.Now().Add(-20*24*time.Hour))
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var msgs []community.Message
			for i, u := range []string{"u1", "u2", "u3"} {
				p, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: u, Name: u})
				if err != nil {
					return err
				}
				for _, g := range []int64{a.ID, b.ID} {
					m := community.Membership{GroupID: g, PersonID: p, Role: community.RoleMember, JoinedAt: clk.Now().Add(-20 * 24 * time.Hour)}
					if err := tx.AddMembership(ctx, &m); err != nil {
						return err
					}
					for d := range 10 + i*3 {
						msgs = append(msgs, community.Message{GroupID: g, PersonID: p, ExternalID: fmt.Sprint(g, u, d), Kind: chat.KindText, Text: "今天怎么样？",
							SentAt: clk.Now().Add(-time.Duration(d*24+i) * time.Hour)})
					}
				}
			}
			return tx.InsertMessages(ctx, msgs)
		})
		if err != nil {
			t.Fatal(err)
		}
		rows := func(group int64) string {
			var b strings.Builder
			for _, q := range []string{
				"SELECT day, messages, member_messages, communicators, questions, answered, joins, leaves, members, health, state FROM group_days WHERE group_id = ? ORDER BY day",
				"SELECT day, person_id, messages, substantive FROM member_days WHERE group_id = ? ORDER BY day, person_id"} {
				r, err := db.SQL().Query(db.Rebind(q), group)
				if err != nil {
					t.Fatal(err)
				}
				cols, _ := r.Columns()
				for r.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := r.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					fmt.Fprintln(&b, vals...)
				}
				if err := r.Err(); err != nil {
					t.Fatal(err)
				}
				r.Close()
			}
			return b.String()
		}
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), cst, 30); err != nil {
			t.Fatal(err)
		}
		wantA := rows(a.ID)
		if strings.Count(wantA, "\n") < 30 {
			t.Fatalf("the organisation's run wrote %d rows for the group", strings.Count(wantA, "\n"))
		}
		for _, q := range []string{"DELETE FROM group_days", "DELETE FROM member_days"} {
			if _, err := db.SQL().Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		// From the first message's day, as the organisation's first run.
		var first int64
		db.SQL().QueryRow("SELECT MIN(sent_at) FROM messages").Scan(&first)
		n, err := db.RollupFrom(ctx, org.ID, []int64{a.ID}, analytics.DayOf(time.UnixMilli(first), cst), clk.Now(), cst)
		if err != nil || n != 16 {
			t.Fatalf("RollupFrom: %d days, %v", n, err)
		}
		if got := rows(a.ID); got != wantA {
			t.Fatalf("the group's rollups alone:\n%s\nwith the organisation's:\n%s", got, wantA)
		}
		if got := rows(b.ID); got != "" {
			t.Fatalf("the other group's rollups were written:\n%s", got)
		}
		if n, err := db.RollupFrom(ctx, org.ID, []int64{}, analytics.DayOf(clk.Now(), cst), clk.Now(), cst); n != 0 || err != nil {
			t.Fatalf("no groups: %d, %v", n, err)
		}
	})
}

// BenchmarkMergeProposals: the merge suggestions the import page lists
// (and every accept or dismiss reads again), for an organisation of 8,000
// members known by platform id in 40 groups on one connection, ten of
// them imported by name as well. Planned freely, SQLite paired every
// identity of the connection with every other: 7.7 s; read from the few
// imported by name, 12 ms.
func BenchmarkMergeProposals(b *testing.B) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, cst)
	db, org := benchOrg(b, now)
	const groups, members = 40, 200
	for g := range groups {
		grp := benchGroup(b, db, org, g, now)
		var ids []int64
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			ids = ids[:0]
			for m := range members {
				users := []chat.User{{ID: fmt.Sprintf("wxid_%d_%d", g, m), Name: fmt.Sprintf("成员%d-%d", g, m)}}
				if m < 10 && g == 0 {
					users = append(users, chat.User{ID: fmt.Sprintf("name:%d", m), Name: fmt.Sprintf("成员%d-%d", g, m)})
				}
				for _, u := range users {
					id, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", u)
					if err != nil {
						return err
					}
					ids = append(ids, id)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range ids {
			if err := db.AddMembership(ctx, &community.Membership{GroupID: grp.ID, PersonID: id, Role: community.RoleMember, JoinedAt: now}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		props, err := db.MergeProposals(ctx, org.ID, 200)
		if err != nil {
			b.Fatal(err)
		}
		if len(props) != 10 {
			b.Fatalf("%d proposals, want 10", len(props))
		}
	}
}
