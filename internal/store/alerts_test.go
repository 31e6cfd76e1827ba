package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestSnoozeAlert: an open alert is put off until a time within 30 days,
// and stays open; a resolved or unknown one cannot be.
func TestSnoozeAlert(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		var id int64
		if err := db.SQL().QueryRowContext(ctx, db.Rebind(`INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES (?, ?, 0, 'group_dying', 20000, '{"from":"healthy","to":"dying"}', ?) RETURNING id`),
			org.ID, g.ID, clk.Now().UnixMilli()).Scan(&id); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []time.Time{clk.Now().Add(-time.Hour), clk.Now(), clk.Now().Add(31 * 24 * time.Hour)} {
			if err := db.SnoozeAlert(ctx, org.ID, id, bad, "staff:a"); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("snooze until %v: %v", bad, err)
			}
		}
		until := clk.Now().Add(3 * 24 * time.Hour)
		if err := db.SnoozeAlert(ctx, org.ID, id, until, "staff:a"); err != nil {
			t.Fatal(err)
		}
		list, err := db.Alerts(ctx, org.ID, true, 10)
		if err != nil || len(list) != 1 || list[0].SnoozedUntil == nil || !list[0].SnoozedUntil.Equal(until) || !list[0].Snoozed(clk.Now()) || list[0].Snoozed(until) {
			t.Fatalf("snoozed alert: %+v %v", list, err)
		}
		if err := db.SnoozeAlert(ctx, org.ID+1, id, until, "staff:a"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's alert: %v", err)
		}
		if err := db.ResolveAlert(ctx, org.ID, id, "staff:a"); err != nil {
			t.Fatal(err)
		}
		if err := db.SnoozeAlert(ctx, org.ID, id, until, "staff:a"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("a resolved alert: %v", err)
		}
	})
}
