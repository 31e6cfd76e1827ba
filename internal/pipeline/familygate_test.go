package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestFamilyGate: with the organisation's family gate on, a member of this
// year's first cohort who joins the second is removed at once and told, in
// the group's bot language, which group of the series they are in; a
// member of no cohort, staff, and anyone while the gate is off join like
// anyone; the removal is in the moderation log.
func TestFamilyGate(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{Caps: func(string) chat.Capabilities { return chat.AllActions() }})
		ctx := context.Background()
		orgs, _ := db.Orgs(ctx)
		org := orgs[0].ID
		node := community.Node{OrgID: org, Name: "阳新县", Kind: community.NodeRegion}
		if err := db.CreateNode(ctx, &node); err != nil {
			t.Fatal(err)
		}
		tpl := community.Template{OrgID: org, Name: "开班", Variables: []string{"year"}, Steps: []community.TemplateStep{
			{Kind: community.KindCohort, Count: 2, Pattern: "学院{year}第{n}期群"},
		}}
		if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
			t.Fatal(err)
		}
		tasks, _, err := db.ApplyTemplate(ctx, org, tpl.ID, node.ID, map[string]string{"year": "2026"}, "test")
		if err != nil || len(tasks) != 2 {
			t.Fatalf("tasks %v, %v", tasks, err)
		}
		seq := 0
		ingest := func(e chat.Event) {
			t.Helper()
			seq++
			e.ID = fmt.Sprint(e.ID, "-", seq)
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		// u1 and u3 are in the first cohort, u2 in the lobby only; u3 is
		// an assistant there.
		ingest(msg("hi", "c1", "u1", "大家好"))
		ingest(msg("hi", "c1", "u3", "大家好"))
		ingest(msg("hi", "c2", "boss", "第2期"))
		ingest(msg("hi", "lobby", "u2", "大家好"))
		ingest(msg("hi", "lobby", "u3", "大家好"))
		if err := db.SetRole(ctx, "wx", "lobby", "u3", community.RoleAssistant); err != nil {
			t.Fatal(err)
		}
		gs, _ := db.Groups(ctx, org)
		ids := map[string]int64{}
		for _, g := range gs {
			ids[g.ExternalID] = g.ID
		}
		for i, ext := range []string{"c1", "c2"} {
			if _, err := db.BindTask(ctx, org, tasks[i].ID, ids[ext], "test"); err != nil {
				t.Fatal(err)
			}
		}
		first := ""
		for _, g := range gs {
			if g.ExternalID == "c1" {
				first = g.Name
			}
		}
		sent := func(from int) (string, string) {
			t.Helper()
			acts, err := db.PullActions(ctx, []string{"wx"}, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var ks, texts []string
			for _, a := range acts[from:] {
				k := string(a.Action.Kind)
				if a.Action.User != "" {
					k += ":" + a.Action.User
				}
				ks = append(ks, k)
				texts = append(texts, a.Action.Text)
			}
			return strings.Join(ks, ","), strings.Join(texts, "|")
		}
		outbox := func() int { return count(t, db, "SELECT COUNT(*) FROM outbox") }

		// The gate off: anyone joins.
		n := outbox()
		ingest(member("j", chat.EventMemberJoined, "c2", "u1"))
		if k, _ := sent(n); strings.Contains(k, "kick") {
			t.Fatalf("gate off: %s", k)
		}
		ingest(member("l", chat.EventMemberLeft, "c2", "u1"))

		set := analytics.DefaultDuplicateSettings()
		set.FamilyGate = true
		if err := db.SetDuplicateSettings(ctx, org, set, "staff:admin"); err != nil {
			t.Fatal(err)
		}
		n = outbox()
		ingest(member("j", chat.EventMemberJoined, "c2", "u1"))
		k, text := sent(n)
		if k != "kick:u1,send" || !strings.Contains(text, "「"+first+"」") || !strings.Contains(text, "用户u1") {
			t.Fatalf("gate on: %s %q", k, text)
		}
		// A member of no cohort, and staff, join.
		n = outbox()
		ingest(member("j", chat.EventMemberJoined, "c2", "u2"))
		ingest(member("j", chat.EventMemberJoined, "c2", "u3"))
		if k, _ := sent(n); strings.Contains(k, "kick") {
			t.Fatalf("no cohort, staff: %s", k)
		}
		// A group speaking English says so in English.
		ingest(msg("hi", "c1", "u4", "hello"))
		if err := db.SetGroupBotLang(ctx, org, ids["c2"], "en", "test"); err != nil {
			t.Fatal(err)
		}
		in.Forget() // the ingester keeps the group it read
		n = outbox()
		ingest(member("j", chat.EventMemberJoined, "c2", "u4"))
		if k, text := sent(n); k != "kick:u4,send" || !strings.Contains(text, "you are in “"+first+"” of this series already") {
			t.Fatalf("english: %s %q", k, text)
		}
		mods, err := db.ModerationActions(ctx, org, 100)
		if err != nil {
			t.Fatal(err)
		}
		gated := 0
		for _, m := range mods {
			if m.Rule == "family-gate" {
				gated++
				if m.Category != "duplicate" || m.Action != chat.ActKick || m.GroupID != ids["c2"] || !strings.Contains(m.Reason, first) {
					t.Fatalf("moderation: %+v", m)
				}
			}
		}
		if gated != 2 {
			t.Fatalf("family-gate removals logged: %d of 2", gated)
		}
	})
}
