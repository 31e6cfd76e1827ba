package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestPlanCadences: the scheduler's round plans a daily cadence's next
// occurrence into a push, once however often it runs.
func TestPlanCadences(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := community.Org{Name: "学院", Slug: "acad"}
		db.CreateOrg(ctx, &org)
		g := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g1", Name: "群", Kind: community.KindCohort}
		db.CreateGroup(ctx, &g)
		sc := storetest.ApprovedScript(t, db, org.ID, "早安", "早上好，今天聊聊复盘。你昨天复盘了吗？")
		if err := db.CreateCadence(ctx, &content.Cadence{OrgID: org.ID, ScriptID: sc.ID, Select: content.Selector{GroupIDs: []int64{g.ID}}, Kind: content.Daily, Slot: "morning"}); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		s := &service{db: db, log: slog.New(slog.NewTextHandler(&logs, nil))}
		for i := 0; i < 3; i++ {
			s.planCadences(ctx, s.log)
		}
		ps, err := db.Pushes(ctx, g.ID, now, now.Add(48*time.Hour))
		if err != nil || len(ps) != 1 || strings.Count(logs.String(), "cadence occurrences planned") != 1 || strings.Contains(logs.String(), "ERROR") {
			t.Fatalf("pushes %+v %v; log:\n%s", ps, err, logs.String())
		}
	})
}

// TestPushPolicy: a group's rules for pushes are the rules engine's quiet
// hours for it (the owners' preset's 06:30–23:30) and its [pushes] caps;
// a connection runs when the service has its adapter.
func TestPushPolicy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "groups"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "groups", "7.toml"), []byte("[pushes]\nper_day = 1\nmin_gap = \"4h\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := rules.NewRegistry(ctx, dir, nil, rules.NewEngine(nil, nil), func(context.Context) (map[int64]int64, error) { return map[int64]int64{}, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := pushPolicy(reg, func(name string) bool { return name == "wx" })
	owners := p.RulesFor(community.Group{ID: 3, Kind: community.KindOwners})
	if owners.Quiet.Window != (community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}) || owners.Quiet.Loc == nil || owners.Caps != (content.Caps{}) {
		t.Fatalf("the owners' group: %+v", owners)
	}
	cohort := p.RulesFor(community.Group{ID: 7, Kind: community.KindCohort})
	if cohort.Quiet.Window != (community.Window{}) || cohort.Caps != (content.Caps{PerDay: 1, MinGap: 4 * time.Hour}) {
		t.Fatalf("a cohort with its own caps: %+v", cohort)
	}
	if !p.IsConnected("wx") || p.IsConnected("tg") {
		t.Fatal("connections")
	}
	if none := pushPolicy(nil, nil); none.RulesFor(community.Group{Kind: community.KindOwners}) != (content.PushRules{}) {
		t.Fatal("rules off: the owners' group still has rules")
	}
}
