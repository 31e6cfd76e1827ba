package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestOwnerStatsInRollup: a platform's daily statistics, imported after
// the day was rolled up, have it rolled up again: a group counted alone
// takes its messages and members who posted from them (source stats); the
// groups of an owner counted together get no figures of their own (source
// owner_stats, as when the owner's other group is one qunzhu does not
// know); a group with messages of its own keeps them; a group
// qunzhu does not know is passed over.
func TestOwnerStatsInRollup(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, func() time.Time { return clk.Now() }, func(t *testing.T, db *store.DB) {
		clk = newClock() // each dialect's run from the same day
		org, g1 := seedOrg(t, db)
		var g2, g3, g5 community.Group
		for _, x := range []struct {
			g   *community.Group
			ext string
		}{{&g2, "g2"}, {&g3, "g3"}, {&g5, "g5"}} {
			*x.g = community.Group{OrgID: org.ID, NodeID: g1.NodeID, Connection: "wx", Platform: "wecom", ExternalID: x.ext, Name: "群" + x.ext, Kind: community.KindCohort}
			if err := db.CreateGroup(ctx, x.g); err != nil {
				t.Fatal(err)
			}
		}
		own := community.Group{OrgID: org.ID, NodeID: g1.NodeID, Connection: "wx", Platform: "wecom", ExternalID: "g4", Name: "有消息的群", Kind: community.KindCohort}
		if err := db.CreateGroup(ctx, &own); err != nil {
			t.Fatal(err)
		}
		member(t, db, org.ID, own, "wmA", "甲", "早上好", "今天的作业交了吗？")
		today := analytics.DayOf(clk.Now(), time.UTC)
		clk.Add(24 * time.Hour)
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), time.UTC, 10); err != nil {
			t.Fatal(err)
		}
		day := func(g community.Group) analytics.GroupDay {
			t.Helper()
			days, err := db.GroupDays(ctx, g.ID, today, today, time.UTC)
			if err != nil || len(days) != 1 {
				t.Fatalf("days of %s: %+v %v", g.Name, days, err)
			}
			return days[0]
		}
		if d := day(g1); d.Source != analytics.SourceMessages || d.Messages != 0 {
			t.Fatalf("before the statistics: %+v", d)
		}
		// Days later (the rollup has moved on) the statistics come.
		clk.Add(48 * time.Hour)
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), time.UTC, 10); err != nil {
			t.Fatal(err)
		}
		n, err := db.ImportOwnerStats(ctx, "wx", []analytics.OwnerStats{
			{Owner: "zhangsan", Day: today, Groups: []string{"g1"}, Messages: 40, ActiveMembers: 7, Members: 120, NewMembers: 3},
			{Owner: "lisi", Day: today, Groups: []string{"g2", "g3", "not-known"}, Messages: 90, ActiveMembers: 20, ActiveGroups: 2},
			{Owner: "wangwu", Day: today, Groups: []string{"g4"}, Messages: 5, ActiveMembers: 1},
			{Owner: "nobody", Day: today, Groups: []string{"unknown"}, Messages: 1},
			{Owner: "zhaoliu", Day: today, Groups: []string{"g5", "unknown"}, Messages: 8},
		})
		if err != nil || n != 4 {
			t.Fatalf("import: %d %v", n, err)
		}
		if got, err := db.OwnerStatsDays(ctx, "wx", today-3, today); err != nil || len(got) != 1 || !got[today] {
			t.Fatalf("days with statistics: %v %v", got, err)
		}
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), time.UTC, 10); err != nil {
			t.Fatal(err)
		}
		if d := day(g1); d.Source != analytics.SourceStats || d.Messages != 40 || d.MemberMessages != 40 || d.Communicators != 7 {
			t.Errorf("a group counted alone: %+v", d)
		}
		for _, g := range []community.Group{g2, g3, g5} { // g5: with a group qunzhu does not know
			if d := day(g); d.Source != analytics.SourceOwnerStats || d.Messages != 0 {
				t.Errorf("a group counted with others: %+v", d)
			}
		}
		if d := day(own); d.Source != analytics.SourceMessages || d.Messages != 2 {
			t.Errorf("a group with its own messages: %+v", d)
		}
		// Imported again (WeCom corrects a day): replaced, not added.
		if _, err := db.ImportOwnerStats(ctx, "wx", []analytics.OwnerStats{{Owner: "zhangsan", Day: today, Groups: []string{"g1"}, Messages: 41, ActiveMembers: 8}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), time.UTC, 10); err != nil {
			t.Fatal(err)
		}
		if d := day(g1); d.Messages != 41 || d.Communicators != 8 {
			t.Errorf("imported again: %+v", d)
		}
	})
}

// TestOwnerStatsKeepGroupsAwake: a group the platform counts only with its
// owner's others, which qunzhu gets no message of, is not taken for
// silent while every one of the owner's groups has a post each day; it
// is when some of them had none (which one cannot be told).
func TestOwnerStatsKeepGroupsAwake(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, func() time.Time { return clk.Now() }, func(t *testing.T, db *store.DB) {
		clk = newClock() // each dialect's run from the same day
		org, g1 := seedOrg(t, db)
		var awake, unsure community.Group
		for _, x := range []struct {
			g   *community.Group
			ext string
		}{{&awake, "a1"}, {&unsure, "u1"}} {
			*x.g = community.Group{OrgID: org.ID, NodeID: g1.NodeID, Connection: "wx", Platform: "wecom", ExternalID: x.ext, Name: "群" + x.ext, Kind: community.KindCohort}
			if err := db.CreateGroup(ctx, x.g); err != nil {
				t.Fatal(err)
			}
			member(t, db, org.ID, *x.g, "wm"+x.ext, "成员"+x.ext)
		}
		start := analytics.DayOf(clk.Now(), time.UTC)
		clk.Add(20 * 24 * time.Hour)
		var stats []analytics.OwnerStats
		for d := start; d < start+20; d++ {
			stats = append(stats,
				analytics.OwnerStats{Owner: "sunqi", Day: d, Groups: []string{"a1", "a2"}, Messages: 30, ActiveMembers: 5, ActiveGroups: 2},
				analytics.OwnerStats{Owner: "zhouba", Day: d, Groups: []string{"u1", "u2"}, Messages: 30, ActiveMembers: 5, ActiveGroups: 1})
		}
		if _, err := db.ImportOwnerStats(ctx, "wx", stats); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), time.UTC, 60); err != nil {
			t.Fatal(err)
		}
		last := start + 19
		for _, c := range []struct {
			g    community.Group
			want analytics.GroupState
		}{{awake, analytics.GroupHealthy}, {unsure, analytics.GroupDormant}} {
			days, err := db.GroupDays(ctx, c.g.ID, last, last, time.UTC)
			if err != nil || len(days) != 1 {
				t.Fatalf("%s: %+v %v", c.g.Name, days, err)
			}
			if days[0].Source != analytics.SourceOwnerStats || (days[0].State == analytics.GroupDormant) != (c.want == analytics.GroupDormant) {
				t.Errorf("%s after 20 days counted with the owner's others: %s (%s), want %s", c.g.Name, days[0].State, days[0].Source, c.want)
			}
		}
	})
}
