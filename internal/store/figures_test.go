package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestRollupFigures: the console's week read from the rollups counts
// members only (the owner's messages and the owner are left out), people
// once however many groups and days they posted on, days outside the
// week only in the daily series, and each group's last member day; a
// group nobody posted in has none. The rollup mark says when it ran.
func TestRollupFigures(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		today := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h := newHistory(t, db, today.AddDate(0, -2, 0))
		if _, ok, err := db.LastRollup(ctx, h.org.ID); err != nil || ok {
			t.Fatalf("a rollup mark before the first rollup: %v %v", ok, err)
		}
		owner := h.person("班主任", community.RoleOwner, today.AddDate(0, -2, 0))
		a := h.person("阿梅", community.RoleMember, today.AddDate(0, -1, 0))
		b := h.person("老周", community.RoleMember, today.AddDate(0, -1, 0))
		h.post(a, today.Add(8*time.Hour), "早上好", "")
		h.post(a, today.Add(-2*24*time.Hour+time.Hour), "前天", "")
		h.post(b, today.Add(-3*24*time.Hour+time.Hour), "大前天", "")
		h.post(owner, today.Add(9*time.Hour), "通知", "")
		h.post(b, today.Add(-10*24*time.Hour+time.Hour), "十天前", "") // before the week

		quiet := community.Group{OrgID: h.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "静", Kind: community.KindCohort, CreatedAt: today.AddDate(0, -2, 0)}
		if err := db.CreateGroup(ctx, &quiet); err != nil {
			t.Fatal(err)
		}
		ran := today.Add(10 * time.Hour)
		if _, err := db.Rollup(ctx, h.org.ID, ran, cst, 60); err != nil {
			t.Fatal(err)
		}
		mark, ok, err := db.LastRollup(ctx, h.org.ID)
		if err != nil || !ok || mark.Day != analytics.DayOf(today, cst) || !mark.At.Equal(ran) {
			t.Fatalf("rollup mark = %+v %v %v, want day %d at %v", mark, ok, err, analytics.DayOf(today, cst), ran)
		}
		f, err := db.RollupFigures(ctx, h.org.ID, mark.Day, 30, cst)
		if err != nil {
			t.Fatal(err)
		}
		if f.Messages != 3 || f.Communicators != 2 {
			t.Errorf("week: %d messages, %d communicators; want 3 and 2 (members only)", f.Messages, f.Communicators)
		}
		g := f.Groups[h.group.ID]
		if g.Messages != 3 || g.Communicators != 2 || !g.Posted || g.LastDay != mark.Day || g.Members != 3 {
			t.Errorf("group week = %+v, want 3 messages, 2 communicators, last posted today, 3 members", g)
		}
		if q := f.Groups[quiet.ID]; q.Posted || q.Messages != 0 || q.Communicators != 0 {
			t.Errorf("a group nobody posted in: %+v", q)
		}
		if len(f.Daily) != 30 || !f.Daily[29].Day.Equal(today) || !f.Daily[0].Day.Equal(today.AddDate(0, 0, -29)) {
			t.Fatalf("daily series: %d days, from %v to %v", len(f.Daily), f.Daily[0].Day, f.Daily[len(f.Daily)-1].Day)
		}
		want := map[int]int{29: 1, 27: 1, 26: 1, 19: 1}
		for i, d := range f.Daily {
			if d.Count != want[i] {
				t.Errorf("day %v: %d messages, want %d", d.Day, d.Count, want[i])
			}
		}
		list, err := db.GroupList(ctx, h.org.ID)
		if err != nil || len(list) != 2 || list[0].ID != h.group.ID || list[0].Name != "第6期" || list[0].Kind != community.KindCohort ||
			list[0].Lifecycle != community.Active || list[0].Platform != "webhook" || list[0].Capacity == 0 || list[1].ID != quiet.ID {
			t.Fatalf("group list = %+v %v", list, err)
		}
	})
}
