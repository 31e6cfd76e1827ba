package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestPurgeProposal: the zombies are proposed, told in the group, and —
// only when staff ask after the notice period — removed, sparing whoever
// spoke up meanwhile.
func TestPurgeProposal(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		now := clk.Now()
		member := func(user string, joined time.Time, role community.Role) int64 {
			var p int64
			if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				p, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: user, Name: "成员" + user})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p, Role: role, JoinedAt: joined}); err != nil {
				t.Fatal(err)
			}
			return p
		}
		post := func(p int64, at time.Time, id string) {
			if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: p, ExternalID: id, Kind: chat.KindText, Text: "在", SentAt: at}})
			}); err != nil {
				t.Fatal(err)
			}
		}
		longAgo := now.AddDate(0, -6, 0)
		z1 := member("z1", longAgo, community.RoleMember) // never posted
		z2 := member("z2", longAgo, community.RoleMember) // posted 100 days ago
		post(z2, now.AddDate(0, 0, -100), "old")
		active := member("a", longAgo, community.RoleMember)
		post(active, now.AddDate(0, 0, -3), "recent")
		member("new", now.AddDate(0, 0, -10), community.RoleMember) // too new to judge
		member("boss", longAgo, community.RoleOwner)                // staff are never proposed
		list, err := db.PurgeProposal(ctx, org.ID, g.ID, now)
		if err != nil || len(list) != 2 || list[0].PersonID != z1 || list[1].PersonID != z2 {
			t.Fatalf("proposal: %+v %v", list, err)
		}
		if _, err := db.PurgeExecute(ctx, org.ID, g.ID, nil, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("removing without a notice: %v", err)
		}
		if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 0, nil, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a notice of 0 days: %v", err)
		}
		if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 7, nil, "admin"); err != nil {
			t.Fatal(err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 || acts[0].Action.Kind != chat.ActSend || fmt.Sprint(acts[0].Action.Text) == "" {
			t.Fatalf("notice: %+v", acts)
		}
		if _, err := db.PurgeExecute(ctx, org.ID, g.ID, nil, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("removing before the notice period ends: %v", err)
		}
		clk.Add(24 * time.Hour)
		post(z2, clk.Now(), "spoke-up") // z2 speaks up and stays
		clk.Add(7 * 24 * time.Hour)
		n, err := db.PurgeExecute(ctx, org.ID, g.ID, nil, "admin")
		if err != nil || n != 1 {
			t.Fatalf("execute: %d %v", n, err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 2 || acts[1].Action.Kind != chat.ActKick || acts[1].Action.User != "z1" {
			t.Fatalf("removal: %+v", acts)
		}
		if k, _ := db.CountOffences(ctx, z1, now.AddDate(-1, 0, 0)); k != 0 {
			t.Fatalf("a purge counted as an offence: %d", k)
		}
	})
}

// TestPurgeReview: staff leave one zombie out of the notice and keep
// another when carrying it out; only the rest are removed, and what became
// of each is kept. A second notice waits for the first to end; a withdrawn
// notice removes nobody and tells the group.
func TestPurgeReview(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		org, g := seedOrg(t, db)
		longAgo := clk.Now().AddDate(0, -6, 0)
		var zs []int64
		for i := range 4 {
			var p int64
			if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				p, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: fmt.Sprint("z", i), Name: fmt.Sprint("僵尸", i)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p, JoinedAt: longAgo.Add(time.Duration(i) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			zs = append(zs, p)
		}
		for _, bad := range [][]int64{{99999}, zs} {
			if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 7, bad, "admin"); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("excluding %v: %v, want invalid", bad, err)
			}
		}
		named, err := db.PurgeNotice(ctx, org.ID, g.ID, 7, []int64{zs[0]}, "admin")
		if err != nil || len(named) != 3 || named[0].PersonID != zs[1] {
			t.Fatalf("notice: %+v %v", named, err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 || strings.Contains(acts[0].Action.Text, "僵尸0") || !strings.Contains(acts[0].Action.Text, "@僵尸1") {
			t.Fatalf("the notice names the excluded or misses the named: %+v", acts)
		}
		if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 7, nil, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a second notice while one is pending: %v", err)
		}
		p, ok, err := db.PendingPurge(ctx, org.ID, g.ID)
		if err != nil || !ok || p.Named() != 3 || len(p.Members) != 4 || p.Members[0].Status != community.PurgeExcluded || p.Due(clk.Now()) {
			t.Fatalf("pending: %+v %v %v", p, ok, err)
		}
		if list, err := db.Purges(ctx, org.ID, true, 10); err != nil || len(list) != 1 || list[0].Group != g.Name {
			t.Fatalf("pending purges: %+v %v", list, err)
		}
		clk.Add(8 * 24 * time.Hour)
		if _, err := db.PurgeExecute(ctx, org.ID, g.ID, []int64{zs[0]}, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("keeping someone the notice did not name: %v", err)
		}
		n, err := db.PurgeExecute(ctx, org.ID, g.ID, []int64{zs[2]}, "admin")
		if err != nil || n != 2 {
			t.Fatalf("execute: %d %v", n, err)
		}
		all, err := db.Purges(ctx, org.ID, false, 10)
		if err != nil || len(all) != 1 || all[0].Outcome != community.PurgeExecuted || all[0].EndedBy != "admin" {
			t.Fatalf("purges: %+v %v", all, err)
		}
		want := map[int64]string{zs[0]: community.PurgeExcluded, zs[1]: community.PurgeRemoved, zs[2]: community.PurgeKept, zs[3]: community.PurgeRemoved}
		for _, m := range all[0].Members {
			if want[m.PersonID] != m.Status {
				t.Errorf("%s: %s, want %s", m.Name, m.Status, want[m.PersonID])
			}
		}
		if _, ok, _ := db.PendingPurge(ctx, org.ID, g.ID); ok {
			t.Fatal("a purge still pending after it was carried out")
		}
		if err := db.PurgeWithdraw(ctx, org.ID, g.ID, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("withdrawing without a pending notice: %v", err)
		}
		// A new notice (the two removed are still members until the
		// platform reports them gone), withdrawn.
		if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 3, nil, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := db.PurgeWithdraw(ctx, org.ID, g.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 20)
		if last := acts[len(acts)-1].Action; last.Kind != chat.ActSend || last.Text != community.PurgeWithdrawnText(community.BotZh) {
			t.Fatalf("withdrawal not told: %+v", last)
		}
		if _, _, err := db.PendingPurge(ctx, org.ID, 99999); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("an unknown group: %v", err)
		}
	})
}
