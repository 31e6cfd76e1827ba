package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// newTreeEnv serves the organisation API on db; the connection "wx" can
// make admins (set_role), "wecom" cannot.
func newTreeEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	org := community.Org{Name: "学院", Slug: "acad"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	other := community.Org{Name: "别家", Slug: "other"}
	if err := db.CreateOrg(ctx, &other); err != nil {
		t.Fatal(err)
	}
	tok, err := db.CreateToken(ctx, org.ID, "test", access.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ro, _ := db.CreateToken(ctx, org.ID, "viewer", access.ScopeRead)
	s := &api.Server{Store: db, MaxBodyBytes: 1 << 16, Admin: db, Structure: db, Audit: db,
		Caps: func(conn string) chat.Capabilities { return chat.Capabilities{chat.ActSetRole: conn == "wx"} }}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{srv: srv, db: db, token: tok, read: ro, org: org.ID}
}

// identified adds n people with platform ids u0, u1, … on the group's
// connection.
func (e *env) identified(t *testing.T, groupID int64, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	g, err := e.db.Group(ctx, e.org, groupID)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i := range ids {
		if err := e.db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			ids[i], err = tx.ResolvePerson(ctx, e.org, g.Connection, g.Platform, chat.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("成员", i)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := e.db.AddMembership(ctx, &community.Membership{GroupID: groupID, PersonID: ids[i], Role: community.RoleMember, JoinedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// errorMessage is the message of an API error body.
func errorMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestNodeWritesAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newTreeEnv(t, db)
		mk := func(parent int64, name, kind string) int64 {
			t.Helper()
			code, out := e.do(t, "POST", "/api/v1/nodes", e.token, fmt.Sprintf(`{"parent_id":%d,"name":%q,"kind":%q}`, parent, name, kind))
			if code != 201 {
				t.Fatalf("create %s: %d %v", name, code, out)
			}
			return id(out["id"])
		}
		root := mk(0, "湖北农夫电商", "company")
		county := mk(root, "阳新分院", "region")
		shop := mk(county, "兴国镇店", "store")
		for _, tt := range []struct {
			name, method, path, body string
			want                     int
			says                     string
		}{
			{"unknown kind", "POST", "/api/v1/nodes", `{"name":"x","kind":"planet"}`, 400, "kind"},
			{"blank name", "POST", "/api/v1/nodes", `{"name":"  "}`, 400, "name"},
			{"unknown parent", "POST", "/api/v1/nodes", `{"name":"x","parent_id":99999}`, 400, "does not exist"},
			{"under its own descendant", "PATCH", fmt.Sprintf("/api/v1/nodes/%d", root), fmt.Sprintf(`{"parent_id":%d}`, shop), 400, "own descendant"},
			{"under itself", "PATCH", fmt.Sprintf("/api/v1/nodes/%d", county), fmt.Sprintf(`{"parent_id":%d}`, county), 400, "own parent"},
			{"unknown new parent", "PATCH", fmt.Sprintf("/api/v1/nodes/%d", county), `{"parent_id":99999}`, 400, "does not exist"},
			{"rename to blank", "PATCH", fmt.Sprintf("/api/v1/nodes/%d", county), `{"name":""}`, 400, "name"},
			{"unknown node", "PATCH", "/api/v1/nodes/99999", `{"name":"x"}`, 404, "not found"},
			{"bad node id", "PATCH", "/api/v1/nodes/abc", `{"name":"x"}`, 400, "id"},
			{"delete, moving its contents below itself", "DELETE", fmt.Sprintf("/api/v1/nodes/%d?move_to=%d", root, shop), "", 400, "below"},
			{"delete an unknown node", "DELETE", "/api/v1/nodes/99999", "", 404, "not found"},
		} {
			code, out := e.do(t, tt.method, tt.path, e.token, tt.body)
			if code != tt.want || !strings.Contains(errorMessage(out), tt.says) {
				t.Errorf("%s: %d %v, want %d saying %q", tt.name, code, out, tt.want, tt.says)
			}
		}
		code, out := e.do(t, "PATCH", fmt.Sprintf("/api/v1/nodes/%d", shop), e.token, fmt.Sprintf(`{"name":"兴国一店","parent_id":%d}`, root))
		if code != 200 || out["name"] != "兴国一店" || id(out["parent_id"]) != root {
			t.Fatalf("rename and move: %d %v", code, out)
		}
		entries, _ := db.AuditLog(context.Background(), e.org, community.Page{})
		var actions []string
		for _, a := range entries {
			if a.Actor == "api:test" {
				actions = append(actions, a.Action)
			}
		}
		if fmt.Sprint(actions) != "[node.update node.create node.create node.create]" {
			t.Fatalf("audit by the token: %v", actions)
		}
	})
}

func TestGroupWritesAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newTreeEnv(t, db)
		g := e.group(t, "g1", "NF-阳新第6期群")
		path := fmt.Sprintf("/api/v1/groups/%d", g)
		for _, tt := range []struct {
			name, path, body string
			want             int
		}{
			{"capacity too small", path, `{"capacity":1}`, 400},
			{"unknown kind", path, `{"kind":"party"}`, 400},
			{"unknown lifecycle", path, `{"lifecycle":"sleeping"}`, 400},
			{"unknown node", path, `{"node_id":99999}`, 400},
			{"bad end", path, `{"expires_at":"next week"}`, 400},
			{"unknown group", "/api/v1/groups/99999", `{"capacity":300}`, 404},
		} {
			if code, out := e.do(t, "PATCH", tt.path, e.token, tt.body); code != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.want)
			}
		}
		code, out := e.do(t, "PATCH", path, e.token, `{"kind":"temporary","expires_at":"2026-12-20T20:00:00+08:00"}`)
		if code != 200 || out["kind"] != "temporary" {
			t.Fatalf("a temporary group with an end: %d %v", code, out)
		}
		for _, tt := range []struct {
			name, body string
			want       int
		}{
			{"not a link", `{"url":"weixin group"}`, 400},
			{"not http", `{"url":"ftp://x.cn/qr.png"}`, 400},
		} {
			if code, out := e.do(t, "PUT", path+"/invite-link", e.token, tt.body); code != tt.want {
				t.Errorf("invite link, %s: %d %v, want %d", tt.name, code, out, tt.want)
			}
		}
		if code, out := e.do(t, "PUT", "/api/v1/groups/99999/invite-link", e.token, `{"url":"https://x.cn/qr.png"}`); code != 404 {
			t.Errorf("invite link of an unknown group: %d %v", code, out)
		}
	})
}

func TestMemberRoleAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newTreeEnv(t, db)
		g := e.group(t, "g1", "NF-阳新第6期群") // on "wx", which makes admins
		ps := e.identified(t, g, 3)
		role := func(person int64) string { return fmt.Sprintf("/api/v1/groups/%d/members/%d/role", g, person) }
		outsider := community.Person{OrgID: e.org, Name: "路人"}
		e.db.CreatePerson(context.Background(), &outsider)
		for _, tt := range []struct {
			name, token, path, body string
			want                    int
		}{
			{"read-only token", e.read, role(ps[0]), `{"role":"assistant"}`, 403},
			{"unknown role", e.token, role(ps[0]), `{"role":"boss"}`, 400},
			{"no role", e.token, role(ps[0]), `{}`, 400},
			{"unknown field", e.token, role(ps[0]), `{"role":"assistant","colour":"red"}`, 400},
			{"former owner without a new owner", e.token, role(ps[0]), `{"role":"assistant","former_owner":"secretary"}`, 400},
			{"former owner an assistant", e.token, role(ps[0]), `{"role":"owner","former_owner":"assistant"}`, 400},
			{"unknown person", e.token, role(99999), `{"role":"assistant"}`, 404},
			{"not a member", e.token, role(outsider.ID), `{"role":"assistant"}`, 404},
			{"bad person id", e.token, fmt.Sprintf("/api/v1/groups/%d/members/x/role", g), `{"role":"assistant"}`, 400},
			{"unknown group", e.token, fmt.Sprintf("/api/v1/groups/99999/members/%d/role", ps[0]), `{"role":"assistant"}`, 404},
		} {
			if code, out := e.do(t, "PUT", tt.path, tt.token, tt.body); code != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.want)
			}
		}
		code, out := e.do(t, "PUT", role(ps[0]), e.token, `{"role":"owner"}`)
		if code != 200 || out["from"] != "member" || out["synced"] != 1.0 || out["platform_syncs"] != true || out["former_owner"] != nil {
			t.Fatalf("first owner: %d %v", code, out)
		}
		code, out = e.do(t, "PUT", role(ps[0]), e.token, `{"role":"member"}`)
		if code != 409 || !strings.Contains(errorMessage(out), "exactly one") {
			t.Fatalf("demoting the owner: %d %v, want 409", code, out)
		}
		code, out = e.do(t, "PUT", role(ps[1]), e.token, `{"role":"owner","former_owner":"secretary"}`)
		former, _ := out["former_owner"].(map[string]any)
		if code != 200 || former == nil || id(former["person_id"]) != ps[0] || former["role"] != "secretary" || out["synced"] != 1.0 {
			t.Fatalf("owner moves, the old one a secretary: %d %v", code, out)
		}
		_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", g), e.read, "")
		got := map[int64]string{}
		for _, m := range out["members"].([]any) {
			m := m.(map[string]any)
			got[id(m["person_id"])] = m["role"].(string)
		}
		if got[ps[0]] != "secretary" || got[ps[1]] != "owner" || got[ps[2]] != "member" {
			t.Fatalf("roles after the move: %v", got)
		}
		// A platform without admins: the role changes in qunzhu only, and
		// the answer says so.
		w := community.Group{OrgID: e.org, Connection: "wecom", Platform: "wecom", ExternalID: "w1", Name: "企微群"}
		e.db.CreateGroup(context.Background(), &w)
		wp := e.identified(t, w.ID, 1)
		code, out = e.do(t, "PUT", fmt.Sprintf("/api/v1/groups/%d/members/%d/role", w.ID, wp[0]), e.token, `{"role":"assistant"}`)
		if code != 200 || out["synced"] != 0.0 || out["platform_syncs"] != false {
			t.Fatalf("a role on WeCom: %d %v", code, out)
		}
	})
}

func TestFindPeopleAPI(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newTreeEnv(t, db)
		g := e.group(t, "g1", "NF-阳新第6期群")
		ps := e.members(t, g, community.RoleMember, 2) // 成员<g>-0, 成员<g>-1
		for _, tt := range []struct {
			name, query string
			want        int
		}{
			{"no query", "", 400},
			{"bad limit", "?q=成员&limit=0", 400},
			{"too long", "?q=" + strings.Repeat("王", 101), 400},
		} {
			if code, out := e.do(t, "GET", "/api/v1/people"+tt.query, e.read, ""); code != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.want)
			}
		}
		code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/people?q=%d-1", g), e.read, "")
		people, _ := out["people"].([]any)
		if code != 200 || len(people) != 1 {
			t.Fatalf("find: %d %v", code, out)
		}
		p := people[0].(map[string]any)
		if id(p["id"]) != ps[1] || fmt.Sprint(p["groups"]) != fmt.Sprintf("[%d]", g) {
			t.Fatalf("found %v, want person %d in group %d", p, ps[1], g)
		}
		if code, out := e.do(t, "GET", "/api/v1/people?q=nobody", e.read, ""); code != 200 || len(out["people"].([]any)) != 0 {
			t.Fatalf("nobody: %d %v", code, out)
		}
	})
}
