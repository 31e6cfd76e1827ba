package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestMergePeople: the same human on WeChat and on Telegram, merged into
// one person with both identities and everything each had.
func TestMergePeople(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		var wx, tg, friend int64
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if wx, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "阿梅"}); err != nil {
				return err
			}
			if tg, err = tx.ResolvePerson(ctx, org.ID, "tg", "telegram", chat.User{ID: "777", Name: "Amei"}); err != nil {
				return err
			}
			friend, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u2", Name: "小陈"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		joined := clk.Now().Add(-48 * time.Hour)
		for _, m := range []community.Membership{
			{GroupID: g.ID, PersonID: wx, Role: community.RoleMember, JoinedAt: joined},
			{GroupID: g.ID, PersonID: tg, Role: community.RoleMember, JoinedAt: joined},
			{GroupID: g.ID, PersonID: friend, Role: community.RoleMember, InviterID: wx, JoinedAt: joined.Add(time.Hour)},
		} {
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			return tx.InsertMessages(ctx, []community.Message{
				{GroupID: g.ID, PersonID: wx, ExternalID: "a", Kind: chat.KindText, Text: "早", SentAt: joined.Add(2 * time.Hour)},
				{GroupID: g.ID, PersonID: tg, ExternalID: "b", Kind: chat.KindText, Text: "hi", SentAt: joined.Add(3 * time.Hour)},
			})
		}); err != nil {
			t.Fatal(err)
		}
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "store", Name: "单店合伙人", Rank: 1, Cap: 5}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		for _, p := range []int64{wx, tg} {
			if _, err := db.Admit(ctx, lvl.ID, nodes[0].ID, p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.BanEverywhere(ctx, org.ID, wx, "广告", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Rollup(ctx, org.ID, clk.Now(), cst, 10); err != nil {
			t.Fatal(err)
		}

		if err := db.MergePeople(ctx, org.ID, wx, wx, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("merging into oneself: %v", err)
		}
		if err := db.MergePeople(ctx, org.ID, wx, 9999, "admin"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("an unknown person: %v", err)
		}
		if err := db.MergePeople(ctx, org.ID, wx, tg, "admin"); err != nil {
			t.Fatal(err)
		}
		one := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := db.SQL().QueryRow(db.Rebind(q), args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		for _, c := range []struct {
			q    string
			want int
		}{
			{"SELECT COUNT(*) FROM people WHERE id = ?", 0},
			{"SELECT COUNT(*) FROM identities WHERE person_id = ?", 2},
			{"SELECT COUNT(*) FROM memberships WHERE person_id = ? AND left_at IS NULL", 1},
			{"SELECT COUNT(*) FROM memberships WHERE person_id = ? AND left_reason = 'merged'", 1},
			{"SELECT COUNT(*) FROM memberships WHERE inviter_id = ?", 1},
			{"SELECT COUNT(*) FROM messages WHERE person_id = ?", 2},
			{"SELECT COUNT(*) FROM partner_seats WHERE person_id = ? AND released_at IS NULL", 1},
			{"SELECT COUNT(*) FROM org_bans WHERE person_id = ? AND lifted_at IS NULL", 1},
			{"SELECT COALESCE(SUM(messages), 0) FROM member_days WHERE person_id = ?", 2},
		} {
			id := tg
			if c.q == "SELECT COUNT(*) FROM people WHERE id = ?" {
				id = wx
			}
			if got := one(c.q, id); got != c.want {
				t.Errorf("%s = %d, want %d", c.q, got, c.want)
			}
		}
		entries, _ := db.AuditLog(ctx, org.ID, community.Page{Limit: 1})
		if len(entries) != 1 || entries[0].Action != "person.merge" {
			t.Fatalf("audit: %+v", entries)
		}
		// The Telegram account is now the WeChat member: the same person.
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			p, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1"})
			if err == nil && p != tg {
				t.Errorf("the WeChat identity resolves to %d, want %d", p, tg)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
