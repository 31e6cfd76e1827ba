package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestNicknameEnforcement(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		joined := clk.Now().Add(-25 * time.Hour)
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			for _, u := range []chat.User{{ID: "u1", Name: "小王"}, {ID: "u2", Name: "5-1-3305 吕凯"}} {
				pid, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", u)
				if err != nil {
					return err
				}
				if err := tx.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: pid, JoinedAt: joined, Nickname: u.Name}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := db.NicknamesToCheck(ctx, g.ID, clk.Now().Add(-30*24*time.Hour), clk.Now().Add(-24*time.Hour))
		if err != nil || len(list) != 2 {
			t.Fatalf("to check: %+v %v", list, err)
		}
		var bad community.Newcomer
		for _, n := range list {
			if n.UserID == "u1" {
				bad = n
			}
		}
		if bad.Nickname != "小王" {
			t.Fatalf("newcomer %+v", bad)
		}
		if err := db.EnforceNickname(ctx, g, bad, chat.ActKick, "业主群群规/nickname-grace", "请按格式修改群昵称"); err != nil {
			t.Fatal(err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 2 || acts[0].Action.Kind != chat.ActKick || acts[0].Action.User != "u1" {
			t.Fatalf("actions: %+v", acts)
		}
		again, _ := db.NicknamesToCheck(ctx, g.ID, clk.Now().Add(-30*24*time.Hour), clk.Now().Add(-24*time.Hour))
		if len(again) != 1 || again[0].UserID != "u2" {
			t.Fatalf("acted-on member listed again: %+v", again)
		}
	})
}
