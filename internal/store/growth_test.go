package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestInviteCodes(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		ps := people(t, db, org.ID, 1)
		mine := community.InviteCode{OrgID: org.ID, PersonID: ps[0]}
		if err := db.CreateInviteCode(ctx, &mine); err != nil || len(mine.Code) != 8 {
			t.Fatalf("generated code %q, %v", mine.Code, err)
		}
		dup := community.InviteCode{OrgID: org.ID, PersonID: ps[0], Code: mine.Code}
		if err := db.CreateInviteCode(ctx, &dup); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("duplicate code: %v, want conflict", err)
		}
		c := community.Campaign{OrgID: org.ID, Name: "2026 冬季招生"}
		if err := db.CreateCampaign(ctx, &c); err != nil {
			t.Fatal(err)
		}
		promo := community.InviteCode{OrgID: org.ID, CampaignID: c.ID, Code: "winter26"}
		if err := db.CreateInviteCode(ctx, &promo); err != nil || promo.Code != "WINTER26" {
			t.Fatalf("campaign code %q, %v", promo.Code, err)
		}
		if err := db.ArchiveCampaign(ctx, org.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		late := community.InviteCode{OrgID: org.ID, CampaignID: c.ID}
		if err := db.CreateInviteCode(ctx, &late); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("code of an archived campaign: %v, want invalid", err)
		}
		for _, bad := range []community.InviteCode{{OrgID: org.ID, PersonID: ps[0], Code: "a b"}, {OrgID: org.ID, Code: "NOBODY1"}} {
			if err := db.CreateInviteCode(ctx, &bad); !errkind.Is(err, errkind.Invalid) {
				t.Errorf("bad code %+v: %v, want invalid", bad, err)
			}
		}
	})
}

// TestReferralTree builds: root → a → b → c, root → d; d posted, a stayed
// 8 days, b and c just joined.
func TestReferralTree(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		ps := people(t, db, org.ID, 5)
		root, a, b, c, d := ps[0], ps[1], ps[2], ps[3], ps[4]
		start := clk.Now().Add(-10 * 24 * time.Hour)
		join := func(p, inviter int64, at time.Time) {
			m := community.Membership{GroupID: g.ID, PersonID: p, InviterID: inviter, Source: chat.SourceReferral, JoinedAt: at}
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		join(root, 0, start)
		join(a, root, start.Add(time.Hour))
		join(d, root, start.Add(2*time.Hour))
		join(b, a, clk.Now().Add(-time.Hour))
		join(c, b, clk.Now().Add(-time.Minute))
		if _, err := db.SQL().Exec(fmt.Sprintf("INSERT INTO messages (group_id, person_id, external_id, kind, sent_at) VALUES (%d, %d, 'x', 'text', %d)", g.ID, d, clk.Now().UnixMilli())); err != nil {
			t.Fatal(err)
		}
		tree, err := db.ReferralTree(ctx, org.ID, root, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range tree {
			got = append(got, fmt.Sprintf("%d@%d:%v", r.PersonID-root, r.Depth, r.Qualified))
		}
		if want := "[1@1:true 4@1:true 2@2:false 3@3:false]"; fmt.Sprint(got) != want {
			t.Fatalf("tree %v, want %v (person-root@depth:qualified)", got, want)
		}
		if two, _ := db.ReferralTree(ctx, org.ID, root, 2); len(two) != 3 {
			t.Fatalf("depth 2: %d referrals, want 3", len(two))
		}
		top, err := db.TopInviters(ctx, org.ID, start, 10)
		if err != nil || len(top) != 3 || top[0].PersonID != root || top[0].Invited != 2 || top[0].Qualified != 2 || top[0].Name != "合伙人0" {
			t.Fatalf("top inviters %+v, %v", top, err)
		}
	})
}
