package store_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestJoinWayWants: an invite code of a group without a family wants a
// join way to that group alone; one of a family's group wants the family's
// groups with room and the family's next name; when every group is full
// the next group becomes an open task, and the group the platform creates
// under that name is bound to it and takes over. A recorded join way's QR
// code is where /join/{code} leads; a failure keeps it.
func TestJoinWayWants(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		tpl := community.Template{OrgID: org.ID, Name: "阳新开班", Variables: []string{"county", "year"}, Steps: []community.TemplateStep{
			{Kind: community.KindCohort, Pattern: "NF-{county}{year}-{n}"}}}
		if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ApplyTemplate(ctx, org.ID, tpl.ID, nodes[0].ID, map[string]string{"county": "阳新", "year": "2026"}, "test"); err != nil {
			t.Fatal(err)
		}
		c1 := community.Group{OrgID: org.ID, Connection: "wx", Platform: "wecom", ExternalID: "c1", Name: "NF-阳新2026-1", Kind: community.KindCohort, Capacity: 2}
		other := community.Group{OrgID: org.ID, Connection: "tg", Platform: "telegram", ExternalID: "t1", Name: "别处的群"}
		for _, x := range []*community.Group{&c1, &other} {
			if err := db.CreateGroup(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		camp := community.Campaign{OrgID: org.ID, Name: "海报"}
		if err := db.CreateCampaign(ctx, &camp); err != nil {
			t.Fatal(err)
		}
		codes := map[int64]string{}
		for _, id := range []int64{g.ID, c1.ID, other.ID} {
			c := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, GroupID: id}
			if err := db.CreateInviteCode(ctx, &c); err != nil {
				t.Fatal(err)
			}
			codes[id] = c.Code
		}
		wants := func(limit int) map[string]community.JoinWay {
			t.Helper()
			ws, err := db.JoinWayWants(ctx, "wx", limit)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]community.JoinWay{}
			for _, w := range ws {
				if w.Key != w.State {
					t.Errorf("join way %q has state %q", w.Key, w.State)
				}
				out[w.Key] = w
			}
			return out
		}
		ws := wants(0)
		if len(ws) != 2 {
			t.Fatalf("join ways of wx: %+v", ws)
		}
		if w := ws[codes[g.ID]]; !slices.Equal(w.Groups, []string{"g1"}) || w.RoomBaseName != "" {
			t.Errorf("a group without a family: %+v", w)
		}
		if w := ws[codes[c1.ID]]; !slices.Equal(w.Groups, []string{"c1"}) || w.RoomBaseName != "NF-阳新2026-" || w.RoomBaseID != 2 {
			t.Errorf("the family's first group: %+v", w)
		}
		member(t, db, org.ID, c1, "wmA", "甲")
		member(t, db, org.ID, g, "wmG", "丙")
		ws = wants(1)
		if w := ws[codes[c1.ID]]; !slices.Equal(w.Groups, []string{"c1"}) || w.RoomBaseID != 2 {
			t.Errorf("at the platform's limit, every group full: %+v", w)
		}
		if w := ws[codes[g.ID]]; !slices.Equal(w.Groups, []string{"g1"}) || w.Remark != "qunzhu "+codes[g.ID]+" "+g.Name {
			t.Errorf("a full group without a family keeps its join way: %+v", w)
		}
		member(t, db, org.ID, c1, "wmB", "乙")
		for range 2 { // once the task is open, asking again adds none
			if w := wants(0)[codes[c1.ID]]; !slices.Equal(w.Groups, []string{"c1"}) || w.RoomBaseID != 2 {
				t.Errorf("full: %+v", w)
			}
		}
		open, _, err := db.GroupTasks(ctx, org.ID, community.TaskOpen)
		if err != nil || len(open) != 1 || open[0].Name != "NF-阳新2026-2" || open[0].Origin != community.OriginOverflow {
			t.Fatalf("open tasks: %+v %v", open, err)
		}
		// The platform creates the next group under that name.
		c2 := community.Group{OrgID: org.ID, Connection: "wx", Platform: "wecom", ExternalID: "c2", Name: "NF-阳新2026-2"}
		if err := db.CreateGroup(ctx, &c2); err != nil {
			t.Fatal(err)
		}
		if w := wants(0)[codes[c1.ID]]; !slices.Equal(w.Groups, []string{"c2"}) || w.RoomBaseID != 3 {
			t.Errorf("after the platform created the next group: %+v", w)
		}

		// Recorded: /join/{code} leads to the QR code; a failure later
		// keeps it.
		w := wants(0)[codes[c1.ID]]
		if err := db.RecordJoinWay(ctx, "wx", w, community.JoinWayState{ConfigID: "cfg1", QRCode: "https://wwcdn.example/qr/cfg1.png"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordJoinWay(ctx, "wx", w, community.JoinWayState{}, errors.New("wecom: 41054 not permitted")); err != nil {
			t.Fatal(err)
		}
		if tg, err := db.JoinLink(ctx, codes[c1.ID]); err != nil || tg.InviteURL != "https://wwcdn.example/qr/cfg1.png" {
			t.Fatalf("join link: %+v %v", tg, err)
		}
		if got, err := db.JoinWayCodes(ctx, "wx"); err != nil || !slices.Equal(got, []string{codes[c1.ID]}) {
			t.Fatalf("recorded: %v %v", got, err)
		}
		if err := db.ForgetJoinWay(ctx, codes[c1.ID]); err != nil {
			t.Fatal(err)
		}
		if tg, err := db.JoinLink(ctx, codes[c1.ID]); err != nil || tg.InviteURL != "" {
			t.Fatalf("join link after the join way is gone: %+v %v", tg, err)
		}
	})
}
