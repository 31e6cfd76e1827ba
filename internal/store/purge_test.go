package store_test

import (
	"fmt"
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
		if _, err := db.PurgeExecute(ctx, org.ID, g.ID, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("removing without a notice: %v", err)
		}
		if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 0, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a notice of 0 days: %v", err)
		}
		if _, err := db.PurgeNotice(ctx, org.ID, g.ID, 7, "admin"); err != nil {
			t.Fatal(err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 || acts[0].Action.Kind != chat.ActSend || fmt.Sprint(acts[0].Action.Text) == "" {
			t.Fatalf("notice: %+v", acts)
		}
		if _, err := db.PurgeExecute(ctx, org.ID, g.ID, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("removing before the notice period ends: %v", err)
		}
		clk.Add(24 * time.Hour)
		post(z2, clk.Now(), "spoke-up") // z2 speaks up and stays
		clk.Add(7 * 24 * time.Hour)
		n, err := db.PurgeExecute(ctx, org.ID, g.ID, "admin")
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
