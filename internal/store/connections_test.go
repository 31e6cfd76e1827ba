package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestConsoleConnections(t *testing.T) {
	c := newClock()
	storetest.Dialects(t, c.Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		d := connections.Def{Name: "tg", OrgID: org.ID, Platform: "telegram", Enabled: true, CreatedBy: "staff:admin",
			Options: map[string]string{"bot_token": "123456789:AAEabcdefghijklmnopqrstuvwxyz012345", "mode": "polling"},
			Info:    map[string]string{connections.InfoBotUsername: "qunzhu_bot"}}
		if err := db.CreateConnectionDef(ctx, &d); err != nil {
			t.Fatal(err)
		}
		if d.Version != 1 || d.Source != connections.FromConsole {
			t.Fatalf("created: %+v", d)
		}
		dup := d
		if err := db.CreateConnectionDef(ctx, &dup); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a second tg: %v, want a conflict", err)
		}
		c.Add(time.Minute)
		got, err := db.ConnectionDef(ctx, "tg")
		if err != nil {
			t.Fatal(err)
		}
		if got.Options["bot_token"] != d.Options["bot_token"] || got.Info[connections.InfoBotUsername] != "qunzhu_bot" || !got.Enabled || got.CreatedBy != "staff:admin" {
			t.Fatalf("read back: %+v", got)
		}
		got.Options["mode"] = "webhook"
		if err := db.UpdateConnectionDef(ctx, got); err != nil {
			t.Fatal(err)
		}
		if err := db.SetConnectionEnabled(ctx, "tg", false); err != nil {
			t.Fatal(err)
		}
		if err := db.RestartConnectionDef(ctx, "tg"); err != nil {
			t.Fatal(err)
		}
		list, err := db.ConnectionDefs(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		if l := list[0]; l.Version != 4 || l.Enabled || l.Options["mode"] != "webhook" || !l.UpdatedAt.After(l.CreatedAt) {
			t.Fatalf("after an edit, a stop and a restart: %+v", l)
		}
		for _, err := range []error{db.RestartConnectionDef(ctx, "nope"), db.SetConnectionEnabled(ctx, "nope", true)} {
			if !errkind.Is(err, errkind.NotFound) {
				t.Fatalf("an unknown connection: %v", err)
			}
		}
		if _, err := db.ConnectionDef(ctx, "nope"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("read an unknown connection: %v", err)
		}
		// Deleting gives up its waiting actions and drops its lease; the
		// other connections' actions stay.
		if err := db.Enqueue(ctx, []chat.Action{{Key: "k1", Connection: "tg", Kind: chat.ActSend, Group: "g", Text: "x"}, {Key: "k2", Connection: "wx", Kind: chat.ActSend, Group: "g", Text: "y"}}); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := db.AcquireConnection(ctx, "tg", "a", "", time.Minute, 0); !ok || err != nil {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		n, err := db.DeleteConnectionDef(ctx, "tg")
		if err != nil || n != 1 {
			t.Fatalf("delete: %d %v", n, err)
		}
		if _, err := db.DeleteConnectionDef(ctx, "tg"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		counts, _ := db.OutboxCounts(ctx)
		if counts["dead"] != 1 || counts["pending"] != 1 {
			t.Fatalf("outbox after the delete: %v", counts)
		}
		if ls, _ := db.ConnectionLeases(ctx); len(ls) != 0 {
			t.Fatalf("leases after the delete: %+v", ls)
		}
		// The checklist.
		if done, err := db.SetupDismissed(ctx, org.ID); done || err != nil {
			t.Fatalf("dismissed before: %v %v", done, err)
		}
		for range 2 {
			if err := db.DismissSetup(ctx, org.ID, "staff:admin"); err != nil {
				t.Fatal(err)
			}
		}
		if done, err := db.SetupDismissed(ctx, org.ID); !done || err != nil {
			t.Fatalf("dismissed after: %v %v", done, err)
		}
	})
}

func TestConnectionLeases(t *testing.T) {
	c := newClock()
	storetest.Dialects(t, c.Now, func(t *testing.T, db *store.DB) {
		ttl := 15 * time.Second
		a, ok, err := db.AcquireConnection(ctx, "tg", "a-1", "http://a", ttl, 0)
		if err != nil || !ok || a.Fence != 1 {
			t.Fatalf("first acquire: %+v %v %v", a, ok, err)
		}
		if _, ok, _ := db.AcquireConnection(ctx, "tg", "b-2", "http://b", ttl, 0); ok {
			t.Fatal("b took a live lease")
		}
		if _, ok, _ := db.AcquireConnection(ctx, "tg", "b-2", "http://b", ttl, 7); ok {
			t.Fatal("b took a live lease with a wrong fence")
		}
		c.Add(10 * time.Second)
		if ok, err := db.RenewConnection(ctx, "tg", "a-1", a.Fence, ttl, "no OneBot implementation connected"); !ok || err != nil {
			t.Fatalf("renew: %v %v", ok, err)
		}
		c.Add(14 * time.Second) // 24s: within the renewed lease
		if _, ok, _ := db.AcquireConnection(ctx, "tg", "b-2", "http://b", ttl, 0); ok {
			t.Fatal("b took a renewed lease")
		}
		ls, err := db.ConnectionLeases(ctx)
		if err != nil || len(ls) != 1 || ls[0].Holder != "a-1" || ls[0].HolderURL != "http://a" || ls[0].Status != "no OneBot implementation connected" || !ls[0].Until.Equal(c.Now().Add(time.Second)) {
			t.Fatalf("leases: %+v %v", ls, err)
		}
		c.Add(2 * time.Second) // expired
		b, ok, err := db.AcquireConnection(ctx, "tg", "b-2", "http://b", ttl, 0)
		if err != nil || !ok || b.Fence != 2 {
			t.Fatalf("takeover: %+v %v %v", b, ok, err)
		}
		// a comes back: its renewal and release touch nothing now.
		if ok, _ := db.RenewConnection(ctx, "tg", "a-1", a.Fence, ttl, ""); ok {
			t.Fatal("a renewed b's lease")
		}
		if err := db.ReleaseConnection(ctx, "tg", "a-1", a.Fence); err != nil {
			t.Fatal(err)
		}
		// Nor can a claim tg's actions; b can.
		if err := db.Enqueue(ctx, []chat.Action{{Key: "k1", Connection: "tg", Kind: chat.ActSend, Group: "g", Text: "x"}}); err != nil {
			t.Fatal(err)
		}
		if items, err := db.ClaimActionsFenced(ctx, "tg", "a-1", a.Fence, 10, time.Minute); err != nil || len(items) != 0 {
			t.Fatalf("a claimed %d: %v", len(items), err)
		}
		if items, err := db.ClaimActionsFenced(ctx, "tg", "b-2", b.Fence, 10, time.Minute); err != nil || len(items) != 1 {
			t.Fatalf("b claimed %d: %v", len(items), err)
		}
		// A holder known to be gone is fenced off at once; a replica
		// restarted under its own id takes its lease back.
		c2, ok, err := db.AcquireConnection(ctx, "tg", "c-3", "http://c", ttl, b.Fence)
		if err != nil || !ok || c2.Fence != 3 {
			t.Fatalf("take from a gone holder: %+v %v %v", c2, ok, err)
		}
		again, ok, err := db.AcquireConnection(ctx, "tg", "c-3", "http://c2", ttl, 0)
		if err != nil || !ok || again.Fence != 4 {
			t.Fatalf("restarted under the same id: %+v %v %v", again, ok, err)
		}
		// A release lets the next replica in without waiting.
		if err := db.ReleaseConnection(ctx, "tg", "c-3", again.Fence); err != nil {
			t.Fatal(err)
		}
		if d, ok, err := db.AcquireConnection(ctx, "tg", "d-4", "http://d", ttl, 0); err != nil || !ok || d.Fence != 5 {
			t.Fatalf("after a release: %+v %v %v", d, ok, err)
		}
	})
}
