package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestDailyTop: the day's top posters go into the group once a day at the
// chosen time.
func TestDailyTop(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		h := newHistory(t, db, time.Date(2026, 11, 1, 0, 0, 0, 0, cst))
		a := h.person("阿梅", community.RoleMember, time.Date(2026, 11, 1, 0, 0, 0, 0, cst))
		b := h.person("老周", community.RoleMember, time.Date(2026, 11, 1, 0, 0, 0, 0, cst))
		owner := h.person("班主任", community.RoleOwner, time.Date(2026, 11, 1, 0, 0, 0, 0, cst))
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h.post(a, day.Add(9*time.Hour), "早", "")
		h.post(a, day.Add(10*time.Hour), "学到了", "")
		h.post(b, day.Add(11*time.Hour), "收到", "")
		h.post(owner, day.Add(12*time.Hour), "通知", "")
		h.post(b, day.Add(-time.Hour), "昨天的", "")
		if err := db.SetDailyTop(ctx, h.org.ID, h.group.ID, 25*60, 10, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("minute 1500: %v", err)
		}
		if err := db.SetDailyTop(ctx, h.org.ID, h.group.ID, 21*60, 10, "admin"); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PostDailyTops(ctx, day.Add(20*time.Hour+59*time.Minute), cst); err != nil || n != 0 {
			t.Fatalf("before 21:00: %d %v", n, err)
		}
		if n, err := db.PostDailyTops(ctx, day.Add(21*time.Hour), cst); err != nil || n != 1 {
			t.Fatalf("at 21:00: %d %v", n, err)
		}
		if n, _ := db.PostDailyTops(ctx, day.Add(22*time.Hour), cst); n != 0 {
			t.Fatal("posted twice in a day")
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 || acts[0].Action.Kind != chat.ActSend || !strings.Contains(acts[0].Action.Text, "1. 阿梅 — 2\n2. 老周 — 1") || strings.Contains(acts[0].Action.Text, "班主任") {
			t.Fatalf("leaderboard: %+v", acts)
		}
		if n, _ := db.PostDailyTops(ctx, day.Add(45*time.Hour), cst); n != 1 {
			t.Fatal("not posted the next day")
		}
		if err := db.SetDailyTop(ctx, h.org.ID, h.group.ID, 0, 0, "admin"); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.PostDailyTops(ctx, day.Add(70*time.Hour), cst); n != 0 {
			t.Fatal("posted after being turned off")
		}
	})
}
