package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestJoinLinks(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		code := community.InviteCode{OrgID: org.ID, PersonID: 0, CampaignID: 0, GroupID: g.ID}
		camp := community.Campaign{OrgID: org.ID, Name: "海报"}
		if err := db.CreateCampaign(ctx, &camp); err != nil {
			t.Fatal(err)
		}
		code.CampaignID = camp.ID
		if err := db.CreateInviteCode(ctx, &code); err != nil {
			t.Fatal(err)
		}
		groupless := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID}
		if err := db.CreateInviteCode(ctx, &groupless); err != nil {
			t.Fatal(err)
		}
		if err := db.SetInviteURL(ctx, org.ID, g.ID, "weixin://not-http", "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a non-http link: %v", err)
		}
		// No link set yet: the group, without a link.
		tg, err := db.JoinLink(ctx, code.Code)
		if err != nil || tg.Group == nil || tg.Group.ID != g.ID || tg.InviteURL != "" {
			t.Fatalf("before a link is set: %+v %v", tg, err)
		}
		if err := db.SetInviteURL(ctx, org.ID, g.ID, "https://t.me/+AbCdEf123", "admin"); err != nil {
			t.Fatal(err)
		}
		if tg, err := db.JoinLink(ctx, " "+code.Code+" "); err != nil || tg.InviteURL != "https://t.me/+AbCdEf123" {
			t.Fatalf("with a link: %+v %v", tg, err)
		}
		// Full, with no family to go on to: still the group, for staff.
		two := 2
		if _, err := db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{Capacity: &two}, "admin"); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"甲", "乙"} {
			p := community.Person{OrgID: org.ID, Name: n}
			db.CreatePerson(ctx, &p)
			if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p.ID, Role: community.RoleMember, JoinedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		if tg, err := db.JoinLink(ctx, code.Code); err != nil || tg.Group == nil || tg.Group.ID != g.ID {
			t.Fatalf("full without a family: %+v %v", tg, err)
		}
		for _, bad := range []string{"NOSUCH99", groupless.Code} {
			if _, err := db.JoinLink(ctx, bad); !errkind.Is(err, errkind.NotFound) {
				t.Errorf("code %q: %v, want not found", bad, err)
			}
		}
		if err := db.ArchiveCampaign(ctx, org.ID, camp.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.JoinLink(ctx, code.Code); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("a code of an ended campaign: %v", err)
		}
	})
}
