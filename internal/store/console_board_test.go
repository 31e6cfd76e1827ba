package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestOrgPushes: planned pushes in the window come with the script's
// title, the group and the assistant on duty; a sent one is listed by its
// sending time; pushes outside the window are not.
func TestOrgPushes(t *testing.T) {
	clk := newClock()
	cst := time.FixedZone("CST", 8*3600)
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now())) // each dialect starts at the same time
		org, g := seedOrg(t, db)
		duty := people(t, db, org.ID, 1)[0]
		if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: duty, Role: community.RoleAssistant, JoinedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		s := approvedScript(t, db, org.ID)
		req := content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Slot: "morning", Caps: content.DefaultCaps(), Window: content.Window{From: content.Clock{Hour: 6, Minute: 30}, To: content.Clock{Hour: 23, Minute: 30}}, Location: cst, Actor: "user:pub"}
		for _, want := range []time.Time{time.Date(2026, 11, 26, 7, 30, 0, 0, cst), time.Date(2026, 11, 26, 8, 0, 0, 0, cst), time.Date(2026, 12, 20, 8, 0, 0, 0, cst)} {
			req.Want = want
			if _, err := db.PlanPush(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		from, to := clk.Now(), clk.Now().Add(7*24*time.Hour)
		list, err := db.OrgPushes(ctx, org.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Title != s.Title || list[0].Group != g.Name || list[0].DutyPerson != duty || list[0].DutyName == "" ||
			list[1].Reason == "" || !list[1].PlannedAt.After(list[1].WantAt) || list[0].Status != content.PushPlanned {
			t.Fatalf("pushes %+v", list)
		}
		clk.Add(48 * time.Hour)
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 2 {
			t.Fatalf("sent %d, %v", n, err)
		}
		sent, err := db.OrgPushes(ctx, org.ID, clk.Now().Add(-7*24*time.Hour), clk.Now())
		if err != nil || len(sent) != 2 || sent[0].Status != content.PushSent || sent[0].SentAt == nil {
			t.Fatalf("sent pushes %+v %v", sent, err)
		}
		if other, _ := db.OrgPushes(ctx, org.ID+1000, from, to); len(other) != 0 {
			t.Fatalf("another organisation's pushes: %+v", other)
		}
	})
}

// TestEventSummaries: an open event with a capacity counts signed up,
// waitlisted, cancelled and checked-in entries; an old closed one is left
// out, a recent closed one is listed.
func TestEventSummaries(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now())) // each dialect starts at the same time
		org, g := seedOrg(t, db)
		ps := people(t, db, org.ID, 4)
		old, err := db.OpenEvent(ctx, community.EventRequest{OrgID: org.ID, GroupID: g.ID, Title: "上月沙龙", Actor: "user:a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.EventChange(ctx, org.ID, old.ID, "close", 0, "user:a"); err != nil {
			t.Fatal(err)
		}
		clk.Add(40 * 24 * time.Hour)
		ev, err := db.OpenEvent(ctx, community.EventRequest{OrgID: org.ID, GroupID: g.ID, Title: "线下沙龙", Capacity: 2, Place: "阳新", Actor: "user:a"})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			for _, p := range ps {
				if _, _, err := tx.Signup(ctx, g.ID, p, "", clk.Now()); err != nil {
					return err
				}
			}
			if _, _, _, err := tx.CancelSignup(ctx, g.ID, ps[0], clk.Now()); err != nil { // ps[2] moves up
				return err
			}
			_, _, err := tx.CheckIn(ctx, g.ID, ps[1], clk.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := db.EventSummaries(ctx, org.ID, clk.Now().Add(-30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != ev.ID || list[0].Group != g.Name || list[0].In != 2 || list[0].Waitlisted != 1 || list[0].Cancelled != 1 || list[0].CheckedIn != 1 || list[0].Closed || list[0].Place != "阳新" {
			t.Fatalf("events %+v", list)
		}
		if all, _ := db.EventSummaries(ctx, org.ID, clk.Now().Add(-60*24*time.Hour)); len(all) != 2 || !all[1].Closed || all[1].In != 0 {
			t.Fatalf("events of 60 days %+v", all)
		}
	})
}

// TestPartnerBoard: open seats with their holders by level and entity,
// a released seat left out, waitlist counts.
func TestPartnerBoard(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "city", Name: "城市合伙人", Rank: 2, Cap: 2}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		ps := people(t, db, org.ID, 4)
		for _, p := range ps {
			if _, err := db.Admit(ctx, lvl.ID, g.NodeID, p); err != nil {
				t.Fatal(err)
			}
		}
		b, err := db.PartnerBoard(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Levels) != 1 || len(b.Seats) != 2 || b.Seats[0].Number != 1 || b.Seats[0].Person != "合伙人0" || b.Seats[1].Person != "合伙人1" || b.Waiting[[2]int64{lvl.ID, g.NodeID}] != 2 {
			t.Fatalf("board %+v", b)
		}
		if err := db.ReleaseSeat(ctx, b.Seats[0].ID); err != nil {
			t.Fatal(err)
		}
		if b, _ := db.PartnerBoard(ctx, org.ID); len(b.Seats) != 1 || b.Seats[0].Number != 2 {
			t.Fatalf("after a release %+v", b.Seats)
		}
		if b, _ := db.PartnerBoard(ctx, org.ID+1000); len(b.Seats) != 0 || len(b.Levels) != 0 {
			t.Fatalf("another organisation's board %+v", b)
		}
	})
}
