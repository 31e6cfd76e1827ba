package store_test

import (
	"testing"
	"time"

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
