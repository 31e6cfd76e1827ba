package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

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

// TestEventInManyGroups: an event opened in one group and announced in
// another is posted in both; members of either sign up on the one list;
// neither group can open another list meanwhile; the closed list is posted
// again; a check-in can be taken back; cancelling tells both groups,
// naming everyone signed up or waiting, and nothing changes it after.
func TestEventInManyGroups(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		stars := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "NF-🏆阳新电商优秀学员交流群"}
		old := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g3", Name: "NF-黄州区2015年第四期电商培训", Lifecycle: community.Archived}
		for _, x := range []*community.Group{&stars, &old} {
			if err := db.CreateGroup(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		ps := people(t, db, org.ID, 3)
		at := clk.Now().Add(72 * time.Hour)
		req := community.EventRequest{OrgID: org.ID, GroupID: g.ID, Title: " 周六线下实操课 ", Capacity: 2, At: &at, Place: "阳新县电商产业园", AlsoIn: []int64{stars.ID, g.ID, stars.ID}, Announce: true, Actor: "staff:sec"}
		for _, bad := range []struct {
			also []int64
			kind errkind.Kind
		}{{[]int64{old.ID}, errkind.Conflict}, {[]int64{99999}, errkind.NotFound}, {[]int64{-1}, errkind.Invalid}} {
			r := req
			r.AlsoIn = bad.also
			if _, err := db.OpenEvent(ctx, r); !errkind.Is(err, bad.kind) {
				t.Fatalf("also in %v: %v, want %s", bad.also, err, bad.kind)
			}
		}
		ev, err := db.OpenEvent(ctx, req)
		if err != nil || ev.Title != "周六线下实操课" || len(ev.AlsoIn) != 1 || ev.AlsoIn[0] != stars.ID {
			t.Fatalf("open: %+v %v", ev, err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 2 || acts[0].Action.Group != "g1" || acts[1].Action.Group != "g2" || !strings.Contains(acts[1].Action.Text, "【接龙】周六线下实操课（限 2 人") || !strings.Contains(acts[1].Action.Text, "阳新县电商产业园") {
			t.Fatalf("announcements: %+v", acts)
		}
		if _, err := db.OpenEvent(ctx, community.EventRequest{OrgID: org.ID, GroupID: stars.ID, Title: "另一个"}); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("an event in a group that one is announced in: %v", err)
		}
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			if opened, err := tx.OpenSignup(ctx, stars.ID, 0, "群里的接龙", 0, clk.Now()); err != nil || opened {
				return fmt.Errorf("a chat list in a group an event is announced in: %v %v", opened, err)
			}
			for i, p := range ps {
				grp := g.ID
				if i > 0 {
					grp = stars.ID
				}
				if l, ok, err := tx.Signup(ctx, grp, p, "", clk.Now()); err != nil || !ok || l.ID != ev.ID {
					return fmt.Errorf("sign up in group %d: %+v %v %v", grp, l, ok, err)
				}
			}
			if l, ok, err := tx.CheckIn(ctx, stars.ID, ps[1], clk.Now()); err != nil || !ok || l.CheckedIn() != 1 {
				return fmt.Errorf("check in from the other group: %+v %v %v", l, ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		l, err := db.EventChange(ctx, org.ID, ev.ID, community.EventUndoCheckIn, ps[1], "staff:sec")
		if err != nil || l.CheckedIn() != 0 {
			t.Fatalf("undo check-in: %+v %v", l, err)
		}
		if _, err := db.EventChange(ctx, org.ID, ev.ID, community.EventUndoCheckIn, ps[1], "staff:sec"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("undoing a check-in twice: %v", err)
		}
		if _, err := db.EventChange(ctx, org.ID, ev.ID, "reopen", 0, "staff:sec"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("an unknown change: %v", err)
		}
		if list, err := db.Events(ctx, org.ID, stars.ID); err != nil || len(list) != 1 || list[0].ID != ev.ID {
			t.Fatalf("the other group's events: %+v %v", list, err)
		}
		if sums, err := db.EventSummaries(ctx, org.ID, clk.Now().Add(-time.Hour)); err != nil || len(sums) != 1 || len(sums[0].AlsoIn) != 1 || sums[0].In != 2 || sums[0].Waitlisted != 1 {
			t.Fatalf("summaries: %+v %v", sums, err)
		}
		if _, err := db.EventChange(ctx, org.ID, ev.ID, community.EventClose, 0, "staff:sec"); err != nil {
			t.Fatal(err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 4 || !strings.Contains(acts[3].Action.Text, "已截止") || !strings.Contains(acts[3].Action.Text, "候补") {
			t.Fatalf("the closed list is not posted: %+v", acts[2:])
		}
		if _, err := db.CancelEvent(ctx, org.ID, ev.ID, strings.Repeat("雨", community.MaxCancelReason+1), "staff:sec"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a long reason: %v", err)
		}
		c, err := db.CancelEvent(ctx, org.ID, ev.ID, "暴雨预警", "staff:sec")
		if err != nil || !c.Cancelled || !c.Closed {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 6 {
			t.Fatalf("cancellation posts: %+v", acts)
		}
		for _, a := range acts[4:] {
			for _, want := range []string{"活动取消", "暴雨预警", "@合伙人0", "@合伙人1", "@合伙人2"} {
				if !strings.Contains(a.Action.Text, want) {
					t.Errorf("the cancellation in %s lacks %q:\n%s", a.Action.Group, want, a.Action.Text)
				}
			}
		}
		if _, err := db.CancelEvent(ctx, org.ID, ev.ID, "", "staff:sec"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("cancelling twice: %v", err)
		}
		if _, err := db.EventChange(ctx, org.ID, ev.ID, community.EventCheckIn, ps[0], "staff:sec"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("checking in at a cancelled event: %v", err)
		}
		if _, err := db.CancelEvent(ctx, org.ID, 99999, "", "staff:sec"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("cancelling an unknown event: %v", err)
		}
		// Both groups are free again.
		if _, err := db.OpenEvent(ctx, community.EventRequest{OrgID: org.ID, GroupID: stars.ID, Title: "改期后的实操课"}); err != nil {
			t.Fatal(err)
		}
	})
}
