package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
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
