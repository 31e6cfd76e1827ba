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

// TestPersonProfile: a member's identities, stints (a left one included,
// with the inviter named), open seats, the moderation against them, and
// the groups of several people; another organisation's person is not
// found.
func TestPersonProfile(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		other := community.Org{Name: "别家", Slug: "other"}
		if err := db.CreateOrg(ctx, &other); err != nil {
			t.Fatal(err)
		}
		g2 := community.Group{OrgID: org.ID, NodeID: g.NodeID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "第二群"}
		if err := db.CreateGroup(ctx, &g2); err != nil {
			t.Fatal(err)
		}
		var person, inviter int64
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if inviter, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u0", Name: "老张"}); err != nil {
				return err
			}
			if person, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "小李"}); err != nil {
				return err
			}
			return tx.RecordModeration(ctx, community.ModerationAction{OrgID: org.ID, GroupID: g.ID, PersonID: person, Action: chat.ActDelete, Rule: "ad", Category: "ads", Reason: "广告", Actor: "rules", CreatedAt: clk.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
		first := community.Membership{GroupID: g.ID, PersonID: person, InviterID: inviter, Source: chat.SourceReferral, Nickname: "李-阳新", JoinedAt: clk.Now().Add(-48 * time.Hour)}
		second := community.Membership{GroupID: g2.ID, PersonID: person, Role: community.RoleAssistant, JoinedAt: clk.Now().Add(-24 * time.Hour)}
		for _, m := range []*community.Membership{&first, &second} {
			if err := db.AddMembership(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.EndMembership(ctx, second.ID, clk.Now(), chat.LeftVoluntarily) }); err != nil {
			t.Fatal(err)
		}
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "store", Name: "门店合伙人", Rank: 1, Cap: 5}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Admit(ctx, lvl.ID, g.NodeID, person); err != nil {
			t.Fatal(err)
		}

		p, err := db.PersonProfile(ctx, org.ID, person)
		if err != nil {
			t.Fatal(err)
		}
		if p.Person.Name != "小李" || len(p.Identities) != 1 || p.Identities[0].ExternalID != "u1" || p.Identities[0].Platform != "webhook" {
			t.Fatalf("person %+v identities %+v", p.Person, p.Identities)
		}
		if len(p.Stints) != 2 || p.Stints[0].Group != g.Name || p.Stints[0].Inviter != "老张" || p.Stints[0].InviterID != inviter || p.Stints[0].Nickname != "李-阳新" ||
			p.Stints[1].Group != "第二群" || p.Stints[1].LeftAt == nil || p.Stints[1].Role != community.RoleAssistant || p.Stints[1].Inviter != "" {
			t.Fatalf("stints %+v", p.Stints)
		}
		if len(p.Seats) != 1 || p.Seats[0].Number != 1 || p.Seats[0].Level.Name != "门店合伙人" || p.Seats[0].Entity == "" {
			t.Fatalf("seats %+v", p.Seats)
		}
		if _, err := db.PersonProfile(ctx, other.ID, person); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's person: %v, want not found", err)
		}

		acts, err := db.PersonModeration(ctx, org.ID, person, 10)
		if err != nil || len(acts) != 1 || acts[0].Reason != "广告" || acts[0].Action != chat.ActDelete || acts[0].GroupID != g.ID {
			t.Fatalf("moderation %+v %v", acts, err)
		}
		if acts, _ := db.PersonModeration(ctx, org.ID, inviter, 10); len(acts) != 0 {
			t.Fatalf("the inviter's moderation: %+v", acts)
		}
		if acts, _ := db.PersonModeration(ctx, other.ID, person, 10); len(acts) != 0 {
			t.Fatalf("moderation across organisations: %+v", acts)
		}

		groups, err := db.PersonGroups(ctx, org.ID, []int64{person, inviter, 999999})
		if err != nil || len(groups) != 1 || len(groups[person]) != 2 || groups[person][0] != g.ID || groups[person][1] != g2.ID {
			t.Fatalf("person groups %v %v", groups, err)
		}
		if groups, _ := db.PersonGroups(ctx, other.ID, []int64{person}); len(groups) != 0 {
			t.Fatalf("groups across organisations: %v", groups)
		}
	})
}
