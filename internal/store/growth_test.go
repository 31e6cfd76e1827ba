package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
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
		for _, bad := range []community.InviteCode{{OrgID: org.ID, PersonID: ps[0], Code: "a b"}, {OrgID: org.ID, Code: "NOBODY12"}} {
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

func TestCampaignGrowth(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		camp := community.Campaign{OrgID: org.ID, Name: "双十一海报"}
		if err := db.CreateCampaign(ctx, &camp); err != nil {
			t.Fatal(err)
		}
		code := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID}
		if err := db.CreateInviteCode(ctx, &code); err != nil {
			t.Fatal(err)
		}
		start := clk.Now().Add(-30 * 24 * time.Hour)
		person := func(name string, m community.Membership) int64 {
			p := community.Person{OrgID: org.ID, Name: name}
			if err := db.CreatePerson(ctx, &p); err != nil {
				t.Fatal(err)
			}
			m.GroupID, m.PersonID, m.Role = g.ID, p.ID, community.RoleMember
			left := m.LeftAt
			m.LeftAt = nil
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
			if left != nil {
				if err := db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.EndMembership(ctx, m.ID, *left, chat.LeftVoluntarily) }); err != nil {
					t.Fatal(err)
				}
			}
			return p.ID
		}
		a := person("甲", community.Membership{Source: chat.SourcePromo, Code: code.Code, JoinedAt: start})
		person("乙", community.Membership{Source: chat.SourcePromo, Code: code.Code, JoinedAt: start})
		c := person("丙", community.Membership{Source: chat.SourceReferral, InviterID: a, JoinedAt: start.Add(2 * time.Hour)})
		left := start.Add(28 * time.Hour)
		person("丁", community.Membership{Source: chat.SourceReferral, InviterID: a, JoinedAt: start.Add(4 * time.Hour), LeftAt: &left})
		person("戊", community.Membership{JoinedAt: start}) // not the campaign's
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: c, ExternalID: "c1", Kind: chat.KindText, Text: "谢谢邀请", SentAt: start.Add(3 * time.Hour)}})
		}); err != nil {
			t.Fatal(err)
		}
		got, err := db.CampaignGrowth(ctx, org.ID, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := community.CampaignGrowth{CampaignID: camp.ID, Name: "双十一海报", Members: 2, Inviters: 1, Invitations: 2, Qualified: 1, K: 0.5, CycleMedian: 3 * time.Hour}
		if got != want {
			t.Fatalf("growth = %+v\nwant %+v", got, want)
		}
		if _, err := db.CampaignGrowth(ctx, org.ID, 9999); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("unknown campaign: %v", err)
		}
	})
}
