package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// newStructureEnv serves the API with the structure endpoints on db; it
// counts OnChange calls.
func newStructureEnv(t *testing.T, db *store.DB) (*env, *atomic.Int32) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	org := community.Org{Name: "学院", Slug: "acad"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	tok, err := db.CreateToken(ctx, org.ID, "test", access.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ro, _ := db.CreateToken(ctx, org.ID, "viewer", access.ScopeRead)
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }})
	go in.Run(ctx)
	var changes atomic.Int32
	s := &api.Server{Store: db, Ingest: in, Decode: decodeArray, MaxBodyBytes: 1 << 16, Admin: db, Structure: db, Audit: db,
		Connections: []api.Connection{{Name: "wx", Platform: "webhook", Token: "conn-secret", Pulled: true}},
		OnChange:    func() { changes.Add(1) }}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); cancel() })
	return &env{srv: srv, db: db, token: tok, read: ro, org: org.ID}, &changes
}

// member adds n people to a group.
func (e *env) members(t *testing.T, groupID int64, role community.Role, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		p := community.Person{OrgID: e.org, Name: fmt.Sprintf("成员%d-%d", groupID, i)}
		if err := e.db.CreatePerson(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
		if err := e.db.AddMembership(context.Background(), &community.Membership{GroupID: groupID, PersonID: p.ID, Role: role, JoinedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		ids[i] = p.ID
	}
	return ids
}

func (e *env) group(t *testing.T, ext, name string) int64 {
	t.Helper()
	g := community.Group{OrgID: e.org, Connection: "wx", Platform: "webhook", ExternalID: ext, Name: name}
	if err := e.db.CreateGroup(context.Background(), &g); err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func id(v any) int64 { return int64(v.(float64)) }

func TestProfileAndChecklistAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e, _ := newStructureEnv(t, db)
		g := e.group(t, "g1", "NF-阳新第6期群")
		ps := e.members(t, g, community.RoleMember, 2)
		path := fmt.Sprintf("/api/v1/groups/%d/profile", g)
		code, out := e.do(t, "GET", path, e.read, "")
		if code != 200 || out["positioning"] != "" || len(out["kols"].([]any)) != 0 {
			t.Fatalf("empty profile: %d %v", code, out)
		}
		body := fmt.Sprintf(`{"positioning":"阳新学员学习群","threshold":"缴费学员","rules":"group:%d","kols":[%d],"goal":"开店"}`, g, ps[1])
		for _, tt := range []struct {
			name, token, path, body string
			want                    int
		}{
			{"read-only token", e.read, path, body, 403},
			{"unknown field", e.token, path, `{"colour":"red"}`, 400},
			{"bad rules", e.token, path, `{"rules":"node:3"}`, 400},
			{"KOL not a member", e.token, path, `{"kols":[99999]}`, 400},
			{"unknown group", e.token, "/api/v1/groups/99999/profile", body, 404},
			{"bad id", e.token, "/api/v1/groups/x/profile", body, 400},
			{"no token", "", path, body, 401},
		} {
			if code, out := e.do(t, "PUT", tt.path, tt.token, tt.body); code != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.want)
			}
		}
		if code, out = e.do(t, "PUT", path, e.token, body); code != 200 || out["updated_by"] != "api:test" || id(out["kols"].([]any)[0]) != ps[1] {
			t.Fatalf("put profile: %d %v", code, out)
		}
		if code, out = e.do(t, "GET", path, e.read, ""); code != 200 || out["goal"] != "开店" || out["rules"] != fmt.Sprintf("group:%d", g) {
			t.Fatalf("get profile: %d %v", code, out)
		}

		code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/checklist", g), e.read, "")
		if code != 200 || out["done"] != 5.0 || len(out["missing"].([]any)) != 0 || fmt.Sprint(out["flagged"]) != "[owner assistant node]" || out["complete"] != false {
			t.Fatalf("checklist: %d %v", code, out)
		}
		items := out["items"].([]any)
		first := items[0].(map[string]any)
		if len(items) != 10 || first["key"] != "positioning" || first["label_zh"] != "定位" || first["label_en"] != "Positioning" || first["status"] != "done" || first["section"] != "five" {
			t.Fatalf("checklist items: %v", items)
		}
		if code, _ := e.do(t, "GET", "/api/v1/groups/99999/checklist", e.read, ""); code != 404 {
			t.Errorf("checklist of an unknown group: %d", code)
		}
	})
}

// seedTemplateJSON is the seed's order with two cohorts.
const seedTemplateJSON = `{"name":"县域开班","variables":["county","year"],"steps":[
	{"kind":"lecturer","pattern":"NF-{county}{year}讲师内部群"},
	{"kind":"topic","topics":["选品","运营"],"pattern":"NF-{county}{year}{topic}专题群"},
	{"kind":"enrolment","pattern":"NF-{county}{year}招生咨询群"},
	{"kind":"cohort","count":2,"pattern":"NF-{county}{year}第{n}期群"},
	{"kind":"allhands","pattern":"NF-{county}{year}全员群"}]}`

func TestTemplatesTasksRouteAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e, changes := newStructureEnv(t, db)
		for _, tt := range []struct{ name, body, inMsg string }{
			{"unknown variable", `{"name":"a","variables":["county"],"steps":[{"kind":"topic","pattern":"NF-{city}群"}]}`, "unknown variable {city}"},
			{"empty names", `{"name":"a","steps":[{"kind":"topic","pattern":" "}]}`, "empty"},
			{"duplicate names", `{"name":"a","steps":[{"kind":"cohort","count":3,"pattern":"NF-第期群"}]}`, "no {n}"},
			{"duplicate across steps", `{"name":"a","steps":[{"kind":"lecturer","pattern":"NF群"},{"kind":"allhands","pattern":"NF群"}]}`, "both name a group"},
			{"unknown kind", `{"name":"a","steps":[{"kind":"party","pattern":"x"}]}`, "unknown group kind"},
			{"unknown field", `{"name":"a","steps":[],"colour":1}`, "unknown field"},
		} {
			code, out := e.do(t, "POST", "/api/v1/templates", e.token, tt.body)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if code != 400 || !strings.Contains(msg, tt.inMsg) {
				t.Errorf("%s: %d %v, want 400 mentioning %q", tt.name, code, out, tt.inMsg)
			}
		}
		if code, out := e.do(t, "POST", "/api/v1/templates", e.read, seedTemplateJSON); code != 403 {
			t.Fatalf("read-only token: %d %v", code, out)
		}
		code, out := e.do(t, "POST", "/api/v1/templates", e.token, seedTemplateJSON)
		if code != 201 || len(out["steps"].([]any)) != 5 {
			t.Fatalf("create template: %d %v", code, out)
		}
		tpl := id(out["id"])
		if code, out = e.do(t, "POST", "/api/v1/templates", e.token, seedTemplateJSON); code != 409 {
			t.Fatalf("same name: %d %v, want 409", code, out)
		}
		if code, out = e.do(t, "GET", "/api/v1/templates", e.read, ""); code != 200 || len(out["templates"].([]any)) != 1 {
			t.Fatalf("list templates: %d %v", code, out)
		}

		code, out = e.do(t, "POST", "/api/v1/nodes", e.token, `{"name":"阳新","kind":"region"}`)
		node := id(out["id"])
		apply := fmt.Sprintf("/api/v1/templates/%d/apply", tpl)
		body := fmt.Sprintf(`{"node_id":%d,"variables":{"county":"阳新","year":"2026"}}`, node)
		if code, out = e.do(t, "POST", apply, e.token, fmt.Sprintf(`{"node_id":%d,"variables":{"county":"阳新"}}`, node)); code != 400 {
			t.Fatalf("missing variable: %d %v", code, out)
		}
		if code, out = e.do(t, "POST", fmt.Sprintf("/api/v1/templates/%d/apply", tpl+50), e.token, body); code != 404 {
			t.Fatalf("unknown template: %d %v", code, out)
		}
		code, out = e.do(t, "POST", apply, e.token, body)
		if code != 201 || out["created"] != 7.0 || len(out["tasks"].([]any)) != 7 {
			t.Fatalf("apply: %d %v", code, out)
		}
		tasks := out["tasks"].([]any)
		cohort1, cohort2 := tasks[4].(map[string]any), tasks[5].(map[string]any)
		if cohort1["name"] != "NF-阳新2026第1期群" || cohort1["status"] != "open" || cohort1["kind"] != "cohort" || cohort1["step"] != 4.0 || cohort1["n"] != 1.0 {
			t.Fatalf("cohort task: %v", cohort1)
		}
		if code, out = e.do(t, "POST", apply, e.token, body); code != 200 || out["created"] != 0.0 || out["existing"] != 7.0 {
			t.Fatalf("apply again: %d %v", code, out)
		}

		// The platform reports the lecturer group by its exact name: listing
		// the tasks binds it.
		ev := `[{"id":"e1","type":"group_created","group":"lect-1","group_name":"NF-阳新2026讲师内部群","time":"2026-11-25T08:00:00+08:00"}]`
		if code, out = e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
			t.Fatalf("event: %d %v", code, out)
		}
		before := changes.Load()
		code, out = e.do(t, "GET", "/api/v1/tasks?status=done", e.read, "")
		if code != 200 || out["bound"] != 1.0 || len(out["tasks"].([]any)) != 1 {
			t.Fatalf("auto-bind: %d %v", code, out)
		}
		lect := out["tasks"].([]any)[0].(map[string]any)
		if lect["name"] != "NF-阳新2026讲师内部群" || lect["group_id"] == nil || changes.Load() == before {
			t.Fatalf("bound task: %v (changes %d → %d)", lect, before, changes.Load())
		}
		code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d", id(lect["group_id"])), e.read, "")
		if out["kind"] != "lecturer" || id(out["node_id"]) != node {
			t.Fatalf("bound group: %v", out)
		}
		if code, out = e.do(t, "GET", "/api/v1/tasks?status=closed", e.read, ""); code != 400 {
			t.Fatalf("unknown status: %d %v", code, out)
		}

		// Explicit binds and capacity routing along the cohort family.
		c1, c2 := e.group(t, "c1", "阳新一期"), e.group(t, "c2", "阳新二期")
		bind := func(task any, group int64) (int, map[string]any) {
			return e.do(t, "POST", fmt.Sprintf("/api/v1/tasks/%d/bind", id(task)), e.token, fmt.Sprintf(`{"group_id":%d}`, group))
		}
		if code, out = bind(cohort1["id"], c1); code != 200 || out["status"] != "done" || id(out["group_id"]) != c1 {
			t.Fatalf("bind: %d %v", code, out)
		}
		if code, out = bind(cohort2["id"], c1); code != 409 {
			t.Fatalf("group bound twice: %d %v", code, out)
		}
		if code, out = bind(99999.0, c2); code != 404 {
			t.Fatalf("unknown task: %d %v", code, out)
		}
		route := func(g int64) map[string]any {
			t.Helper()
			code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/route", g), e.read, "")
			if code != 200 {
				t.Fatalf("route from %d: %d %v", g, code, out)
			}
			return out
		}
		e.members(t, c1, community.RoleMember, 499)
		if r := route(c1); r["target"] != "this" || id(r["group"].(map[string]any)["id"]) != c1 {
			t.Fatalf("499 of 500: %v", r)
		}
		e.members(t, c1, community.RoleMember, 1)
		if r := route(c1); r["target"] != "create" || r["task"].(map[string]any)["name"] != "NF-阳新2026第2期群" {
			t.Fatalf("500 of 500: %v", r)
		}
		bind(cohort2["id"], c2)
		e.members(t, c1, community.RoleMember, 1)
		if r := route(c1); r["target"] != "family" || id(r["group"].(map[string]any)["id"]) != c2 || r["from"].(map[string]any)["members"] != 501.0 {
			t.Fatalf("501 of 500: %v", r)
		}
		if code, out = e.do(t, "PATCH", fmt.Sprintf("/api/v1/groups/%d", c2), e.token, `{"capacity":2}`); code != 200 {
			t.Fatalf("patch capacity: %d %v", code, out)
		}
		e.members(t, c2, community.RoleMember, 2)
		r := route(c1)
		task := r["task"].(map[string]any)
		if r["target"] != "create" || task["name"] != "NF-阳新2026第3期群" || task["origin"] != "overflow" || id(task["node_id"]) != node {
			t.Fatalf("whole family full: %v", r)
		}
		if again := route(c2); id(again["task"].(map[string]any)["id"]) != id(task["id"]) {
			t.Fatalf("routing again: %v", again)
		}
		if code, out = e.do(t, "GET", "/api/v1/tasks?status=open", e.read, ""); len(out["tasks"].([]any)) != 5 {
			t.Fatalf("open tasks: %d %v", code, out)
		}
	})
}

func TestDeleteNodeAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e, _ := newStructureEnv(t, db)
		mk := func(parent int64, name string) int64 {
			_, out := e.do(t, "POST", "/api/v1/nodes", e.token, fmt.Sprintf(`{"parent_id":%d,"name":%q}`, parent, name))
			return id(out["id"])
		}
		root := mk(0, "公司")
		a := mk(root, "A")
		mk(a, "A1")
		b := mk(root, "B")
		g := e.group(t, "g", "A群")
		e.do(t, "PATCH", fmt.Sprintf("/api/v1/groups/%d", g), e.token, fmt.Sprintf(`{"node_id":%d}`, a))
		del := func(token, query string) (int, map[string]any) {
			return e.do(t, "DELETE", fmt.Sprintf("/api/v1/nodes/%d%s", a, query), token, "")
		}
		code, out := del(e.token, "")
		if msg := out["error"].(map[string]any)["message"].(string); code != 409 || !strings.Contains(msg, "move_to") {
			t.Fatalf("delete with contents: %d %v", code, out)
		}
		for _, tt := range []struct {
			name, token, query string
			want               int
		}{
			{"read-only token", e.read, fmt.Sprintf("?move_to=%d", b), 403},
			{"move into itself", e.token, fmt.Sprintf("?move_to=%d", a), 400},
			{"unknown target", e.token, "?move_to=99999", 400},
			{"bad target", e.token, "?move_to=x", 400},
		} {
			if code, out := del(tt.token, tt.query); code != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.want)
			}
		}
		if code, out = del(e.token, fmt.Sprintf("?move_to=%d", b)); code != 200 || out["children"] != 1.0 || out["groups"] != 1.0 {
			t.Fatalf("delete with move_to: %d %v", code, out)
		}
		if code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d", g), e.read, ""); id(out["node_id"]) != b {
			t.Fatalf("group after delete: %v", out)
		}
		if code, out = del(e.token, ""); code != 404 {
			t.Fatalf("delete again: %d %v", code, out)
		}
		entries, _ := db.AuditLog(context.Background(), e.org, community.Page{})
		if entries[0].Action != "node.delete" || entries[0].Actor != "api:test" {
			t.Fatalf("audit: %+v", entries[0])
		}
	})
}
