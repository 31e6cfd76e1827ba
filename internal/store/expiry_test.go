package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestExpireGroups(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		end := clk.Now().Add(30 * time.Hour)
		trip := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "trip", Name: "黄梅采风临时群", Kind: community.KindTemporary, ExpiresAt: &end}
		if err := db.CreateGroup(ctx, &trip); err != nil {
			t.Fatal(err)
		}
		loc := time.FixedZone("CST", 8*3600)
		if r, a, err := db.ExpireGroups(ctx, 24*time.Hour, loc); err != nil || r != 0 || a != 0 {
			t.Fatalf("30 h before the end: %d reminded, %d archived, %v", r, a, err)
		}
		clk.Add(7 * time.Hour)
		if r, a, err := db.ExpireGroups(ctx, 24*time.Hour, loc); err != nil || r != 1 || a != 0 {
			t.Fatalf("23 h before: %d reminded, %d archived, %v", r, a, err)
		}
		if r, _, _ := db.ExpireGroups(ctx, 24*time.Hour, loc); r != 0 {
			t.Fatal("reminded twice")
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 || !strings.Contains(acts[0].Action.Text, "临时群") || acts[0].Action.Group != "trip" {
			t.Fatalf("reminder: %+v", acts)
		}
		clk.Add(24 * time.Hour)
		if _, a, err := db.ExpireGroups(ctx, 24*time.Hour, loc); err != nil || a != 1 {
			t.Fatalf("after the end: %d archived, %v", a, err)
		}
		g, _ := db.Group(ctx, org.ID, trip.ID)
		if g.Lifecycle != community.Archived {
			t.Fatalf("group is %s", g.Lifecycle)
		}
	})
}
