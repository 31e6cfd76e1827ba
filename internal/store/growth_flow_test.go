package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestCampaignsAndCodes: campaigns of the organisation or of a node,
// codes checked against the organisation (unknown people and groups are
// not found, not a database error), the lists the console shows.
func TestCampaignsAndCodes(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		other := community.Org{Name: "别家", Slug: "other"}
		if err := db.CreateOrg(ctx, &other); err != nil {
			t.Fatal(err)
		}
		theirs := community.Node{OrgID: other.ID, Name: "别家总部", Kind: community.NodeCompany}
		if err := db.CreateNode(ctx, &theirs); err != nil {
			t.Fatal(err)
		}
		stranger := people(t, db, other.ID, 1)[0]
		camp := community.Campaign{OrgID: org.ID, NodeID: g.NodeID, Name: " 阳新冬季招生 "}
		if err := db.CreateCampaignBy(ctx, &camp, "staff:sec"); err != nil || camp.Name != "阳新冬季招生" {
			t.Fatalf("campaign %+v, %v", camp, err)
		}
		for _, tt := range []struct {
			name string
			c    community.Campaign
			want errkind.Kind
		}{
			{"a taken name", community.Campaign{OrgID: org.ID, Name: "阳新冬季招生"}, errkind.Conflict},
			{"another organisation's node", community.Campaign{OrgID: org.ID, NodeID: theirs.ID, Name: "x"}, errkind.NotFound},
			{"an unknown node", community.Campaign{OrgID: org.ID, NodeID: 999999, Name: "y"}, errkind.NotFound},
			{"no name", community.Campaign{OrgID: org.ID, Name: "  "}, errkind.Invalid},
			{"a name of 61 characters", community.Campaign{OrgID: org.ID, Name: strings.Repeat("冬", 61)}, errkind.Invalid},
		} {
			if err := db.CreateCampaignBy(ctx, &tt.c, "x"); !errkind.Is(err, tt.want) {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
			}
		}
		ps := people(t, db, org.ID, 2)
		for name, c := range map[string]community.InviteCode{
			"an unknown person":               {OrgID: org.ID, PersonID: 999999},
			"another organisation's person":   {OrgID: org.ID, PersonID: stranger},
			"an unknown group":                {OrgID: org.ID, PersonID: ps[0], GroupID: 999999},
			"an unknown campaign":             {OrgID: org.ID, CampaignID: 999999},
			"another organisation's campaign": {OrgID: other.ID, CampaignID: camp.ID},
		} {
			if err := db.CreateInviteCodeBy(ctx, &c, "x"); !errkind.Is(err, errkind.NotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
		own := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, GroupID: g.ID}
		mine := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, PersonID: ps[0], GroupID: g.ID}
		personal := community.InviteCode{OrgID: org.ID, PersonID: ps[1]}
		for _, c := range []*community.InviteCode{&own, &mine, &personal} {
			if err := db.CreateInviteCodeBy(ctx, c, "staff:sec"); err != nil {
				t.Fatal(err)
			}
			if len(c.Code) != 8 || strings.Trim(c.Code, "23456789ABCDEFGHJKMNPQRSTUVWXYZ") != "" {
				t.Errorf("generated code %q: want 8 characters of the alphabet", c.Code)
			}
		}
		// Two joined with the campaign's own code, one with 合伙人0's.
		at := newClock().Now().Add(-10 * 24 * time.Hour)
		joiners := named(t, db, org.ID, "甲", "乙", "丙")
		for i, code := range []string{own.Code, own.Code, mine.Code} {
			m := community.Membership{GroupID: g.ID, PersonID: joiners[i], Source: chat.SourcePromo, Code: code, JoinedAt: at}
			if code == mine.Code {
				m.InviterID, m.Source = ps[0], chat.SourceReferral
			}
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		// The first joiner brought in one more, who brought in another.
		more := named(t, db, org.ID, "丁", "戊")
		for i, inviter := range []int64{joiners[0], more[0]} {
			m := community.Membership{GroupID: g.ID, PersonID: more[i], InviterID: inviter, Source: chat.SourceReferral, JoinedAt: at.Add(time.Duration(i+1) * time.Hour)}
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.Campaigns(ctx, org.ID)
		if err != nil || len(list) != 1 || list[0].Codes != 2 || list[0].Members != 3 || list[0].NodeID != g.NodeID {
			t.Fatalf("campaigns %+v, %v", list, err)
		}
		codes, err := db.InviteCodes(ctx, org.ID, camp.ID, 50)
		if err != nil || len(codes) != 2 || codes[0].Code != mine.Code || codes[0].Person != "合伙人0" || codes[0].Joins != 1 || codes[1].Joins != 2 || codes[1].Group != g.Name || codes[1].Campaign != "阳新冬季招生" {
			t.Fatalf("campaign codes %+v, %v", codes, err)
		}
		if own, err := db.InviteCodes(ctx, org.ID, 0, 50); err != nil || len(own) != 1 || own[0].Person != "合伙人1" {
			t.Fatalf("personal codes %+v, %v", own, err)
		}
		if c, err := db.InviteCodeInfo(ctx, org.ID, mine.ID); err != nil || c.Code != mine.Code {
			t.Fatalf("code %+v, %v", c, err)
		}
		if _, err := db.InviteCodeInfo(ctx, other.ID, mine.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's code: %v", err)
		}
		refs, err := db.CampaignTree(ctx, org.ID, camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range community.ReferralForest(refs) {
			got = append(got, treeString(n))
		}
		// 合伙人0 (the code holder) above 丙; 甲 and 乙 by the campaign's
		// code, 甲 with two below; all stayed 10 days.
		if want := "[合伙人0:[丙+] 甲+[丁+[戊+]] 乙+]"; fmt.Sprint(got) != want {
			t.Fatalf("campaign tree %v, want %v", got, want)
		}
		if err := db.ArchiveCampaignBy(ctx, org.ID, camp.ID, "staff:sec"); err != nil {
			t.Fatal(err)
		}
		if err := db.ArchiveCampaignBy(ctx, org.ID, camp.ID, "staff:sec"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("archive twice: %v", err)
		}
		if list, _ := db.Campaigns(ctx, org.ID); list[0].ArchivedAt == nil {
			t.Fatal("archived campaign not shown archived")
		}
		if _, err := db.CampaignTree(ctx, other.ID, camp.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's campaign tree: %v", err)
		}
	})
}

// treeString prints a referral tree: name, + when qualified, children.
func treeString(n *community.ReferralNode) string {
	s := n.Name
	if n.Qualified {
		s += "+"
	} else if n.Depth == 0 && n.InviterID == 0 && n.JoinedAt.IsZero() {
		s += ":"
	}
	if len(n.Children) > 0 {
		var kids []string
		for _, c := range n.Children {
			kids = append(kids, treeString(c))
		}
		s += "[" + strings.Join(kids, " ") + "]"
	}
	return s
}

func named(t *testing.T, db *store.DB, org int64, names ...string) []int64 {
	t.Helper()
	var ids []int64
	for _, n := range names {
		p := community.Person{OrgID: org, Name: n}
		if err := db.CreatePerson(ctx, &p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}
