package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/demo"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestSeed(t *testing.T) {
	shanghai, _ := content.LoadZone("")
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai)
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "演示", Slug: "demo"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now }})
	go in.Run(ctx)
	s := sim.New("sim", sim.DemoScenario(), sim.Options{Now: func() time.Time { return now }})
	var out bytes.Buffer
	if err := demo.Seed(ctx, db, in, s, org, now, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "100%") {
		t.Fatalf("no progress shown:\n%s", out.String())
	}
	groups, err := db.Groups(ctx, org.ID)
	if err != nil || len(groups) != len(sim.DemoScenario().Groups) {
		t.Fatalf("groups: %d, %v", len(groups), err)
	}
	var owners community.Group
	for _, g := range groups {
		if g.Kind == community.KindOwners {
			owners = g
		}
		if g.NodeID == 0 {
			t.Errorf("group %s is not placed in the tree", g.Name)
		}
	}
	if owners.Members < 400 || owners.Capacity != 500 {
		t.Fatalf("owners' group: %+v", owners)
	}
	members, _ := db.Members(ctx, owners.ID)
	roles := map[community.Role]int{}
	for _, m := range members {
		roles[m.Role]++
	}
	if roles[community.RoleOwner] != 1 || roles[community.RoleSecretary] != 1 || roles[community.RoleAssistant] != 2 {
		t.Fatalf("staff roles in the owners' group: %v", roles)
	}
	nodes, _ := db.Nodes(ctx, org.ID)
	if len(nodes) != 6 {
		t.Fatalf("%d tree nodes, want company, academy, community and three branches", len(nodes))
	}
	sum, _ := db.Summary(ctx, org.ID, now.Add(-7*24*time.Hour))
	if sum.Messages < 500 || sum.Communicators < 100 {
		t.Fatalf("a week of demo history has %d messages from %d people", sum.Messages, sum.Communicators)
	}
	if lv, _ := db.PartnerLevels(ctx, org.ID); len(lv) != 3 {
		t.Fatalf("partner levels: %d", len(lv))
	}
	checkPartners(t, ctx, db, org)
}

// checkPartners: the demo's partner programme and referral growth are
// there, through the product's own code paths: seats in every tier with a
// waitlist and a move up, joiners waiting for approval, a campaign with a
// tree and a K-factor.
func checkPartners(t *testing.T, ctx context.Context, db *store.DB, org community.Org) {
	t.Helper()
	b, err := db.PartnerBoard(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	tiers := map[string]int{}
	waiting := 0
	for _, l := range b.Levels {
		for _, st := range b.Seats {
			if st.LevelID == l.ID {
				if band, ok := community.TierOf(st.Number, l.Bands()); ok {
					tiers[band.Slug]++
				}
			}
		}
		for k, n := range b.Waiting {
			if k[0] == l.ID {
				waiting += n
			}
		}
	}
	if tiers["founding"] != 24 || tiers["initiating"] != 39 || tiers["partner"] != 11 || waiting != 3 { // 10+9+5 founding; seat 37 released, 61 taken
		t.Fatalf("seats by tier %v, %d waiting", tiers, waiting)
	}
	notices, err := db.PartnerNotices(ctx, org.ID, 10)
	if err != nil || len(notices) != 1 || !notices[0].Told() || notices[0].Number != 61 {
		t.Fatalf("moves up %+v, %v", notices, err)
	}
	cases, err := db.EligibilityCases(ctx, org.ID, "pending")
	if err != nil || len(cases) != 3 {
		t.Fatalf("pending cases %+v, %v", cases, err)
	}
	camps, err := db.Campaigns(ctx, org.ID)
	if err != nil || len(camps) != 2 || camps[0].ArchivedAt != nil || camps[1].ArchivedAt == nil {
		t.Fatalf("campaigns %+v, %v", camps, err)
	}
	g, err := db.CampaignGrowth(ctx, org.ID, camps[0].ID)
	if err != nil || g.Members != 11 || g.Invitations != 7 || g.K <= 0 || g.CycleMedian <= 0 {
		t.Fatalf("growth %+v, %v", g, err)
	}
	tree, err := db.CampaignTree(ctx, org.ID, camps[0].ID)
	if err != nil || len(tree) != 23 {
		t.Fatalf("the campaign's tree: %d people, %v", len(tree), err)
	}
	forest := community.ReferralForest(tree)
	deep := 0
	for _, r := range forest {
		for _, c := range r.Children {
			if len(c.Children) > 0 {
				deep++
			}
		}
	}
	if deep == 0 {
		t.Fatalf("the campaign's tree has no second generation: %d roots", len(forest))
	}
}
