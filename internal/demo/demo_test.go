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
}

// TestSeedContent: the demo's library has a script in every state of the
// review (a member's 投稿 among them, one approved over the lint with its
// reason), and its calendar pushes sent, planned, deferred with the
// reason, cancelled and skipped; a cohort has a duty roster.
func TestSeedContent(t *testing.T) {
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
	if err := demo.Seed(ctx, db, in, s, org, now, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	scripts, _ := db.Scripts(ctx, org.ID, "")
	states := map[content.Status]int{}
	var fromChat, override bool
	for _, sc := range scripts {
		states[sc.Status]++
		fromChat = fromChat || strings.HasPrefix(sc.Author, "person:")
		override = override || sc.LintOverride != ""
	}
	for _, st := range []content.Status{content.Draft, content.Submitted, content.InReview, content.Approved, content.Scheduled, content.Published, content.Rejected} {
		if states[st] == 0 {
			t.Errorf("no %s script: %v", st, states)
		}
	}
	if !fromChat || !override {
		t.Errorf("a 投稿 from the chat: %v; approved over the lint: %v", fromChat, override)
	}
	pushes, _ := db.OrgPushes(ctx, org.ID, now.Add(-24*time.Hour), now.Add(4*24*time.Hour))
	byStatus := map[content.PushStatus]int{}
	reasons := map[string]bool{}
	for _, p := range pushes {
		byStatus[p.Status]++
		for _, r := range content.Reasons(p.Reason) {
			reasons[r] = true
		}
	}
	if byStatus[content.PushSent] < 3 || byStatus[content.PushPlanned] < 5 || byStatus[content.PushCancelled] != 1 || byStatus[content.PushSkipped] != 1 {
		t.Errorf("pushes by status: %v", byStatus)
	}
	if !reasons[content.ReasonMinGap] || !reasons[content.ReasonNotApproved] || !reasons[content.ReasonCancelled] {
		t.Errorf("reasons: %v", reasons)
	}
	rosters, _ := db.DutyRosters(ctx, org.ID)
	set := 0
	for _, r := range rosters {
		if !r.Default {
			set++
			if len(r.People) != 3 {
				t.Errorf("the roster of %s: %+v", r.Group, r.People)
			}
		}
	}
	if set != 1 {
		t.Errorf("%d groups with a roster, want 1", set)
	}
	// The rejected 投稿 is told in the all-hands group.
	acts, _ := db.PullActions(ctx, []string{"sim"}, 0, 1000)
	told := false
	for _, a := range acts {
		told = told || strings.Contains(a.Action.Text, "这次没有通过：只有一句话")
	}
	if !told {
		t.Error("the member whose 投稿 was rejected is not told")
	}
}
