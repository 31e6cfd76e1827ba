package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// join adds people to a group with a role.
func join(t *testing.T, db *store.DB, groupID int64, role community.Role, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		if err := db.AddMembership(ctx, &community.Membership{GroupID: groupID, PersonID: id, Role: role, JoinedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

// fill adds n new members to a group in two statements.
func fill(t *testing.T, db *store.DB, orgID, groupID int64, n int) {
	t.Helper()
	tag := fmt.Sprintf("fill-%d-%d-", groupID, time.Now().UnixNano())
	for _, q := range []string{
		fmt.Sprintf("INSERT INTO people (org_id, name, created_at) WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) SELECT %d, '%s' || i, 0 FROM seq", n, orgID, tag),
		fmt.Sprintf("INSERT INTO memberships (group_id, person_id, joined_at) SELECT %d, id, 0 FROM people WHERE name LIKE '%s%%'", groupID, tag),
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
}

func checkItems(t *testing.T, db *store.DB, orgID, groupID int64) map[string]community.CheckItem {
	t.Helper()
	items, err := db.GroupChecklist(ctx, orgID, groupID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 10 {
		t.Fatalf("checklist has %d items, want 10", len(items))
	}
	out := map[string]community.CheckItem{}
	for _, it := range items {
		if it.LabelZH == "" || it.LabelEN == "" {
			t.Errorf("item %s lacks a label: %+v", it.Key, it)
		}
		out[it.Key] = it
	}
	return out
}

func auditActions(t *testing.T, db *store.DB, orgID int64) string {
	t.Helper()
	entries, err := db.AuditLog(ctx, orgID, community.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range entries {
		acts = append(acts, e.Action)
	}
	return strings.Join(acts, " ")
}

func TestGroupProfileAndChecklist(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		ps := people(t, db, org.ID, 4)
		join(t, db, g.ID, community.RoleMember, ps[0], ps[1])

		p, err := db.GroupProfile(ctx, org.ID, g.ID)
		if err != nil || p.Positioning != "" || len(p.KOLs) != 0 {
			t.Fatalf("a new group's profile: %+v, %v", p, err)
		}
		items := checkItems(t, db, org.ID, g.ID)
		for _, k := range []string{"positioning", "threshold", "rules", "kol", "goal", "owner", "assistant"} {
			if items[k].Done {
				t.Errorf("%s: done on a new group: %+v", k, items[k])
			}
		}
		for _, k := range []string{"capacity", "node", "end_date"} {
			if !items[k].Done {
				t.Errorf("%s: flagged on a new group: %+v", k, items[k])
			}
		}
		if items["positioning"].Status() != "missing" || items["owner"].Status() != "flagged" {
			t.Errorf("statuses: %s, %s", items["positioning"].Status(), items["owner"].Status())
		}

		for _, tt := range []struct {
			name string
			p    community.Profile
			kind errkind.Kind
		}{
			{"KOL not a member", community.Profile{KOLs: []int64{ps[2]}}, errkind.Invalid},
			{"KOL twice", community.Profile{KOLs: []int64{ps[0], ps[0]}}, errkind.Invalid},
			{"another group's rules", community.Profile{Rules: fmt.Sprintf("group:%d", g.ID+1)}, errkind.Invalid},
			{"a node's rules", community.Profile{Rules: "node:1"}, errkind.Invalid},
			{"too long", community.Profile{Goal: strings.Repeat("目", community.MaxProfileText+1)}, errkind.Invalid},
			{"unknown group", community.Profile{GroupID: g.ID + 100}, errkind.NotFound},
		} {
			if tt.p.GroupID == 0 {
				tt.p.GroupID = g.ID
			}
			if _, err := db.SetGroupProfile(ctx, org.ID, tt.p, "test"); !errkind.Is(err, tt.kind) {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.kind)
			}
		}
		if _, err := db.GroupProfile(ctx, org.ID+1, g.ID); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("another organisation's group: %v", err)
		}

		want := community.Profile{GroupID: g.ID, Positioning: " 阳新县网商学员的学习群 ", Threshold: "报名缴费学员", Rules: community.RulesInherited,
			KOLs: []int64{ps[1], ps[0]}, Goal: "30天内80%学员开店"}
		got, err := db.SetGroupProfile(ctx, org.ID, want, "api:test")
		if err != nil {
			t.Fatal(err)
		}
		if got.Positioning != "阳新县网商学员的学习群" || got.Rules != "inherited" || fmt.Sprint(got.KOLs) != fmt.Sprint([]int64{ps[1], ps[0]}) || got.UpdatedBy != "api:test" {
			t.Fatalf("saved profile: %+v", got)
		}
		// A second PUT replaces the whole profile.
		got, err = db.SetGroupProfile(ctx, org.ID, community.Profile{GroupID: g.ID, Positioning: "定位", Threshold: "门槛", Rules: fmt.Sprintf("group:%d", g.ID), KOLs: []int64{ps[0]}, Goal: "目标"}, "api:test")
		if err != nil || len(got.KOLs) != 1 || got.Rules != fmt.Sprintf("group:%d", g.ID) {
			t.Fatalf("replace profile: %+v, %v", got, err)
		}
		join(t, db, g.ID, community.RoleOwner, ps[2])
		join(t, db, g.ID, community.RoleAssistant, ps[3])
		items = checkItems(t, db, org.ID, g.ID)
		for k, it := range items {
			if !it.Done {
				t.Errorf("%s: not done after setting everything: %+v", k, it)
			}
		}

		// The KOL leaves; the group fills up past 90%; it becomes a
		// temporary group without an end date and leaves the tree.
		if _, err := db.SQL().ExecContext(ctx, "UPDATE memberships SET left_at = 1 WHERE person_id = "+fmt.Sprint(ps[0])); err != nil {
			t.Fatal(err)
		}
		capN, temp, none := 5, community.KindTemporary, int64(0)
		if _, err := db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{Capacity: &capN, Kind: &temp, NodeID: &none}, "test"); err != nil {
			t.Fatal(err)
		}
		items = checkItems(t, db, org.ID, g.ID)
		for _, k := range []string{"kol", "end_date", "node"} {
			if items[k].Done {
				t.Errorf("%s: not flagged: %+v", k, items[k])
			}
		}
		if !items["capacity"].Done { // 3 of 5 is 60%: fine
			t.Errorf("capacity at 60%% flagged: %+v", items["capacity"])
		}
		if !strings.Contains(items["kol"].Detail, fmt.Sprint(ps[0])) {
			t.Errorf("kol detail does not name the KOL who left: %q", items["kol"].Detail)
		}
		capN = 3 // 3 of 3: over 90%
		db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{Capacity: &capN}, "test")
		if items = checkItems(t, db, org.ID, g.ID); items["capacity"].Done {
			t.Errorf("a full group is not flagged: %+v", items["capacity"])
		}
		if acts := auditActions(t, db, org.ID); strings.Count(acts, "group.profile") != 2 {
			t.Errorf("audit: %s", acts)
		}
	})
}

// seedTemplate is the seed's order for one county and year.
func seedTemplate(orgID int64) community.Template {
	return community.Template{OrgID: orgID, Name: "县域开班", Variables: []string{"county", "year"}, Steps: []community.TemplateStep{
		{Kind: community.KindLecturer, Pattern: "NF-{county}{year}讲师内部群"},
		{Kind: community.KindTopic, Topics: []string{"选品", "运营"}, Pattern: "NF-{county}{year}{topic}专题群"},
		{Kind: community.KindEnrolment, Pattern: "NF-{county}{year}招生咨询群"},
		{Kind: community.KindCohort, Count: 2, Pattern: "NF-{county}{year}第{n}期群"},
		{Kind: community.KindAllHands, Pattern: "NF-{county}{year}全员群"},
	}}
}

func TestTemplateValidation(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		step := func(s community.TemplateStep) []community.TemplateStep { return []community.TemplateStep{s} }
		for _, tt := range []struct {
			name  string
			t     community.Template
			kind  errkind.Kind
			inMsg string
		}{
			{"no name", community.Template{Steps: step(community.TemplateStep{Kind: "topic", Pattern: "x"})}, errkind.Invalid, "name"},
			{"no steps", community.Template{Name: "a"}, errkind.Invalid, "steps"},
			{"unknown variable", community.Template{Name: "a", Variables: []string{"county"}, Steps: step(community.TemplateStep{Kind: "topic", Pattern: "NF-{city}群"})}, errkind.Invalid, "unknown variable {city}"},
			{"empty pattern", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Pattern: "  "})}, errkind.Invalid, "empty"},
			{"unclosed brace", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Pattern: "NF-{county群"})}, errkind.Invalid, "without its }"},
			{"stray brace", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Pattern: "NF-}群"})}, errkind.Invalid, "without its {"},
			{"bad variable name", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Pattern: "NF-{县-1}群"})}, errkind.Invalid, "not a variable name"},
			{"count without {n}", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "cohort", Count: 3, Pattern: "NF-第期群"})}, errkind.Invalid, "no {n}"},
			{"topics without {topic}", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Topics: []string{"a", "b"}, Pattern: "NF-群"})}, errkind.Invalid, "no {topic}"},
			{"{topic} without topics", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Pattern: "NF-{topic}群"})}, errkind.Invalid, "no topics"},
			{"same names in two steps", community.Template{Name: "a", Variables: []string{"county"}, Steps: []community.TemplateStep{
				{Kind: "lecturer", Pattern: "NF-{county}群"}, {Kind: "allhands", Pattern: "NF-{county}群"}}}, errkind.Invalid, "both name a group"},
			{"unknown kind", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "party", Pattern: "x"})}, errkind.Invalid, "kind"},
			{"built-in declared", community.Template{Name: "a", Variables: []string{"n"}, Steps: step(community.TemplateStep{Kind: "topic", Pattern: "x"})}, errkind.Invalid, "built in"},
			{"topic twice", community.Template{Name: "a", Steps: step(community.TemplateStep{Kind: "topic", Topics: []string{"a", "a"}, Pattern: "{topic}"})}, errkind.Invalid, "twice"},
		} {
			tt.t.OrgID = org.ID
			err := db.CreateTemplate(ctx, &tt.t, "test")
			if !errkind.Is(err, tt.kind) || !strings.Contains(errkind.Message(err), tt.inMsg) {
				t.Errorf("%s: %v, want %s mentioning %q", tt.name, err, tt.kind, tt.inMsg)
			}
		}
		tpl := seedTemplate(org.ID)
		if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
			t.Fatal(err)
		}
		again := seedTemplate(org.ID)
		if err := db.CreateTemplate(ctx, &again, "test"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("same name again: %v, want conflict", err)
		}
		list, err := db.Templates(ctx, org.ID)
		if err != nil || len(list) != 1 || len(list[0].Steps) != 5 || list[0].Steps[3].Count != 2 || fmt.Sprint(list[0].Steps[1].Topics) != "[选品 运营]" {
			t.Fatalf("templates: %+v, %v", list, err)
		}
		if other, _ := db.Templates(ctx, org.ID+1); len(other) != 0 {
			t.Fatalf("another organisation sees %d templates", len(other))
		}
	})
}

func TestApplyBindAndRoute(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		county := community.Node{OrgID: org.ID, ParentID: nodes[0].ID, Name: "阳新", Kind: community.NodeRegion}
		db.CreateNode(ctx, &county)
		tpl := seedTemplate(org.ID)
		if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"county": "阳新", "year": "2026"}
		for _, tt := range []struct {
			name string
			tpl  int64
			node int64
			vars map[string]string
			kind errkind.Kind
		}{
			{"missing variable", tpl.ID, county.ID, map[string]string{"county": "阳新"}, errkind.Invalid},
			{"unknown variable", tpl.ID, county.ID, map[string]string{"county": "阳新", "year": "2026", "city": "黄石"}, errkind.Invalid},
			{"empty value", tpl.ID, county.ID, map[string]string{"county": " ", "year": "2026"}, errkind.Invalid},
			{"no node", tpl.ID, 0, vars, errkind.Invalid},
			{"unknown node", tpl.ID, county.ID + 50, vars, errkind.Invalid},
			{"unknown template", tpl.ID + 9, county.ID, vars, errkind.NotFound},
		} {
			if _, _, err := db.ApplyTemplate(ctx, org.ID, tt.tpl, tt.node, tt.vars, "test"); !errkind.Is(err, tt.kind) {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.kind)
			}
		}
		tasks, created, err := db.ApplyTemplate(ctx, org.ID, tpl.ID, county.ID, vars, "test")
		if err != nil || created != 7 || len(tasks) != 7 {
			t.Fatalf("apply: %d created, %d tasks, %v", created, len(tasks), err)
		}
		wantNames := []string{"NF-阳新2026讲师内部群", "NF-阳新2026选品专题群", "NF-阳新2026运营专题群", "NF-阳新2026招生咨询群", "NF-阳新2026第1期群", "NF-阳新2026第2期群", "NF-阳新2026全员群"}
		for i, tk := range tasks {
			if tk.Name != wantNames[i] || tk.Status != community.TaskOpen || tk.NodeID != county.ID || tk.TemplateID != tpl.ID || tk.Vars["county"] != "阳新" || tk.Vars["year"] != "2026" {
				t.Errorf("task %d: %+v, want %s", i, tk, wantNames[i])
			}
		}
		if tasks[0].Step != 1 || tasks[2].Step != 2 || tasks[2].Topic != "运营" || tasks[5].N != 2 || tasks[5].Kind != community.KindCohort {
			t.Errorf("steps, topics, numbers: %+v", tasks)
		}
		again, created, err := db.ApplyTemplate(ctx, org.ID, tpl.ID, county.ID, map[string]string{"county": " 阳新", "year": "2026"}, "test")
		if err != nil || created != 0 || len(again) != 7 || again[6].ID != tasks[6].ID {
			t.Fatalf("apply again: %d created, %v", created, err)
		}
		if all, _, _ := db.GroupTasks(ctx, org.ID, ""); len(all) != 7 {
			t.Fatalf("%d tasks after applying twice, want 7", len(all))
		}

		// The lecturer group appears (as an event would create it): bound by
		// its exact name, placed at the node with the task's kind.
		lect := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "lect", Name: "NF-阳新2026讲师内部群"}
		db.CreateGroup(ctx, &lect)
		near := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "near", Name: "NF-阳新2026全员群 "}
		db.CreateGroup(ctx, &near)
		open, bound, err := db.GroupTasks(ctx, org.ID, community.TaskOpen)
		if err != nil || bound != 1 || len(open) != 6 {
			t.Fatalf("auto-bind: bound %d, %d open, %v", bound, len(open), err)
		}
		done, _, _ := db.GroupTasks(ctx, org.ID, community.TaskDone)
		if len(done) != 1 || done[0].GroupID != lect.ID || done[0].DoneAt == nil {
			t.Fatalf("done tasks: %+v", done)
		}
		if g, _ := db.Group(ctx, org.ID, lect.ID); g.NodeID != county.ID || g.Kind != community.KindLecturer {
			t.Errorf("bound group not placed: %+v", g)
		}
		if _, _, err := db.GroupTasks(ctx, org.ID, "closed"); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("unknown status: %v", err)
		}

		// Explicit binds.
		c1 := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "c1", Name: "阳新一期"}
		c2 := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "c2", Name: "阳新二期"}
		db.CreateGroup(ctx, &c1)
		db.CreateGroup(ctx, &c2)
		cohort1, cohort2 := tasks[4], tasks[5]
		if tk, err := db.BindTask(ctx, org.ID, cohort1.ID, c1.ID, "test"); err != nil || tk.GroupID != c1.ID || tk.Status != community.TaskDone {
			t.Fatalf("bind: %+v, %v", tk, err)
		}
		for _, tt := range []struct {
			name        string
			task, group int64
			kind        errkind.Kind
		}{
			{"same bind again", cohort1.ID, c1.ID, ""},
			{"bound task to another group", cohort1.ID, c2.ID, errkind.Conflict},
			{"group bound to another task", cohort2.ID, c1.ID, errkind.Conflict},
			{"unknown task", cohort2.ID + 100, c2.ID, errkind.NotFound},
			{"unknown group", cohort2.ID, c2.ID + 100, errkind.Invalid},
			{"no group", cohort2.ID, 0, errkind.Invalid},
		} {
			if _, err := db.BindTask(ctx, org.ID, tt.task, tt.group, "test"); errkind.Of(err) != tt.kind {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.kind)
			}
		}

		// Routing along the cohort family at the 500 boundary.
		route := func(g int64) community.Route {
			t.Helper()
			r, _, err := db.RouteJoiner(ctx, org.ID, g, "test")
			if err != nil {
				t.Fatalf("route from %d: %v", g, err)
			}
			return r
		}
		fill(t, db, org.ID, c1.ID, 499)
		if r := route(c1.ID); r.Target != "this" || r.Group.ID != c1.ID || r.Group.Members != 499 {
			t.Fatalf("499 of 500: %+v", r)
		}
		fill(t, db, org.ID, c1.ID, 1)
		if r := route(c1.ID); r.Target != "create" || r.Task == nil || r.Task.ID != cohort2.ID {
			t.Fatalf("500 of 500, second cohort not created yet: %+v", r)
		}
		if _, err := db.BindTask(ctx, org.ID, cohort2.ID, c2.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if r := route(c1.ID); r.Target != "family" || r.Group.ID != c2.ID {
			t.Fatalf("500 of 500, second cohort empty: %+v", r)
		}
		fill(t, db, org.ID, c1.ID, 1)
		if r := route(c1.ID); r.Target != "family" || r.Group.ID != c2.ID || r.From.Members != 501 {
			t.Fatalf("501 of 500: %+v", r)
		}
		fill(t, db, org.ID, c2.ID, 500)
		r, changed, err := db.RouteJoiner(ctx, org.ID, c2.ID, "test")
		if err != nil || !changed || r.Target != "create" || r.Task.Name != "NF-阳新2026第3期群" || r.Task.Origin != community.OriginOverflow || r.Task.N != 3 || r.Task.NodeID != county.ID || r.Task.Kind != community.KindCohort {
			t.Fatalf("whole family full: %+v %+v, %v", r, r.Task, err)
		}
		r2, changed, err := db.RouteJoiner(ctx, org.ID, c1.ID, "test")
		if err != nil || changed || r2.Task.ID != r.Task.ID {
			t.Fatalf("routing again must reuse the open task: %+v, %v, %v", r2.Task, changed, err)
		}

		// Errors: a full group without family, a family whose pattern has no {n}.
		two := 2
		db.UpdateGroup(ctx, org.ID, near.ID, community.GroupPatch{Capacity: &two}, "test")
		fill(t, db, org.ID, near.ID, 2)
		if _, _, err := db.RouteJoiner(ctx, org.ID, near.ID, "test"); !errkind.Is(err, errkind.Conflict) || !strings.Contains(errkind.Message(err), "no family") {
			t.Errorf("full group without family: %v", err)
		}
		db.UpdateGroup(ctx, org.ID, lect.ID, community.GroupPatch{Capacity: &two}, "test")
		fill(t, db, org.ID, lect.ID, 2)
		if _, _, err := db.RouteJoiner(ctx, org.ID, lect.ID, "test"); !errkind.Is(err, errkind.Conflict) || !strings.Contains(errkind.Message(err), "no {n}") {
			t.Errorf("family pattern without {n}: %v", err)
		}
		if _, _, err := db.RouteJoiner(ctx, org.ID, c1.ID+1000, "test"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("unknown group: %v", err)
		}
		acts := auditActions(t, db, org.ID)
		for _, a := range []string{"template.create", "template.apply", "task.bind", "task.create"} {
			if !strings.Contains(acts, a) {
				t.Errorf("audit lacks %s: %s", a, acts)
			}
		}
	})
}

func TestDeleteNode(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		root := nodes[0]
		mk := func(parent int64, name string) community.Node {
			n := community.Node{OrgID: org.ID, ParentID: parent, Name: name}
			if err := db.CreateNode(ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		a := mk(root.ID, "A")
		a1 := mk(a.ID, "A1")
		b := mk(root.ID, "B")
		leaf := mk(root.ID, "leaf")
		seat := mk(root.ID, "seat")
		db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{NodeID: &a.ID}, "test")
		if err := db.CreateUser(ctx, &access.User{OrgID: org.ID, Username: "sec-a", PasswordHash: "x", Role: access.Secretary, ScopeNodeID: a.ID}); err != nil {
			t.Fatal(err)
		}
		tpl := community.Template{OrgID: org.ID, Name: "t", Steps: []community.TemplateStep{{Kind: community.KindTopic, Pattern: "A组群"}}}
		db.CreateTemplate(ctx, &tpl, "test")
		if _, _, err := db.ApplyTemplate(ctx, org.ID, tpl.ID, a.ID, nil, "test"); err != nil {
			t.Fatal(err)
		}
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "store", Name: "店", Rank: 1, Cap: 5}
		db.CreatePartnerLevel(ctx, &lvl)
		if _, err := db.Admit(ctx, lvl.ID, seat.ID, people(t, db, org.ID, 1)[0]); err != nil {
			t.Fatal(err)
		}
		other := community.Org{Name: "别家", Slug: "other"}
		db.CreateOrg(ctx, &other)
		foreign := community.Node{OrgID: other.ID, Name: "别家根"}
		db.CreateNode(ctx, &foreign)

		for _, tt := range []struct {
			name       string
			id, moveTo int64
			kind       errkind.Kind
			inMsg      string
		}{
			{"children and groups", a.ID, 0, errkind.Conflict, "1 child nodes, 1 groups"},
			{"into itself", a.ID, a.ID, errkind.Invalid, "being deleted"},
			{"into its child", a.ID, a1.ID, errkind.Invalid, "cycle"},
			{"into another organisation", a.ID, foreign.ID, errkind.Invalid, "does not exist"},
			{"into nothing", a.ID, 9999, errkind.Invalid, "does not exist"},
			{"unknown node", 9999, 0, errkind.NotFound, "not found"},
			{"another organisation's node", foreign.ID, 0, errkind.NotFound, "not found"},
			{"partner seats", seat.ID, b.ID, errkind.Conflict, "partner seats"},
		} {
			_, err := db.DeleteNode(ctx, org.ID, tt.id, tt.moveTo, "test")
			if !errkind.Is(err, tt.kind) || !strings.Contains(errkind.Message(err), tt.inMsg) {
				t.Errorf("%s: %v, want %s mentioning %q", tt.name, err, tt.kind, tt.inMsg)
			}
		}
		if ns, _ := db.Nodes(ctx, org.ID); len(ns) != 6 {
			t.Fatalf("refused deletions removed nodes: %d left", len(ns))
		}
		if d, err := db.DeleteNode(ctx, org.ID, leaf.ID, 0, "test"); err != nil || d.Children+d.Groups != 0 {
			t.Fatalf("delete an empty leaf: %+v, %v", d, err)
		}
		d, err := db.DeleteNode(ctx, org.ID, a.ID, b.ID, "test")
		if err != nil || d.Children != 1 || d.Groups != 1 || d.Users != 1 || d.Tasks != 1 {
			t.Fatalf("delete with move_to: %+v, %v", d, err)
		}
		parents, _ := db.NodeParents(ctx)
		if _, ok := parents[a.ID]; ok || parents[a1.ID] != b.ID {
			t.Fatalf("tree after delete: %v", parents)
		}
		if got, _ := db.Group(ctx, org.ID, g.ID); got.NodeID != b.ID {
			t.Errorf("group not moved: %+v", got)
		}
		if u, _ := db.UserByName(ctx, "sec-a"); u.ScopeNodeID != b.ID {
			t.Errorf("scoped user not moved: %+v", u)
		}
		if ts, _, _ := db.GroupTasks(ctx, org.ID, ""); ts[0].NodeID != b.ID {
			t.Errorf("task not moved: %+v", ts[0])
		}
		if acts := auditActions(t, db, org.ID); strings.Count(acts, "node.delete") != 2 {
			t.Errorf("audit: %s", acts)
		}
	})
}

func TestApplyConcurrently(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		tpl := seedTemplate(org.ID)
		if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, _, err := db.ApplyTemplate(ctx, org.ID, tpl.ID, nodes[0].ID, map[string]string{"county": "阳新", "year": "2026"}, "test")
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if all, _, _ := db.GroupTasks(ctx, org.ID, ""); len(all) != 7 {
			t.Fatalf("%d tasks after four concurrent applies, want 7", len(all))
		}
	})
}
