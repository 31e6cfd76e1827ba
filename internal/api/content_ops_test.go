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
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// opsEnv is an API server on a database of either dialect, its clock at
// 2026-11-25 16:00 CST, with two cohort groups (the second with an
// assistant) and an approved script.
type opsEnv struct {
	*env
	groups []int64
	script int64
	helper int64 // the assistant
	clock  *time.Time
}

func newOpsEnv(t *testing.T, db *store.DB, clock *time.Time) *opsEnv {
	t.Helper()
	ctx := context.Background()
	org := community.Org{Name: "学院", Slug: "acad"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	tok, _ := db.CreateToken(ctx, org.ID, "ops", access.ScopeAdmin)
	ro, _ := db.CreateToken(ctx, org.ID, "viewer", access.ScopeRead)
	s := &api.Server{Store: db, Content: db, Tags: db, MaxBodyBytes: 4096, Now: func() time.Time { return *clock }}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &opsEnv{env: &env{srv: srv, db: db, token: tok, read: ro, org: org.ID}, clock: clock}
	for i := 0; i < 2; i++ {
		g := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: fmt.Sprint("c", i), Name: fmt.Sprint("群", i), Kind: community.KindCohort}
		if err := db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		e.groups = append(e.groups, g.ID)
	}
	p := community.Person{OrgID: org.ID, Name: "店小二"}
	db.CreatePerson(ctx, &p)
	db.AddMembership(ctx, &community.Membership{GroupID: e.groups[1], PersonID: p.ID, Role: community.RoleAssistant, JoinedAt: clock.AddDate(0, -1, 0)})
	e.helper = p.ID
	e.script = storetest.ApprovedScript(t, db, org.ID, "选品三问", "一问市场，二问利润，三问供应链。你们最看重哪一条？").ID
	return e
}

func TestSlotsAPI(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db, &now)
		g0, g1 := e.groups[0], e.groups[1]
		if code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/slots", g0), e.read, ""); code != 200 || out["source"] != "default" || out["zone"] != "Asia/Shanghai" || len(out["slots"].([]any)) != 3 {
			t.Fatalf("default slots: %d %v", code, out)
		}
		if code, _ := e.do(t, "PUT", "/api/v1/slots", e.read, `{"slots":[{"name":"morning","at":"08:00"}]}`); code != 403 {
			t.Fatalf("read token sets slots: %d", code)
		}
		if code, out := e.do(t, "PUT", "/api/v1/slots", e.token, `{"slots":[{"name":"morning","at":"8am"}]}`); code != 400 {
			t.Fatalf("bad time: %d %v", code, out)
		}
		if code, out := e.do(t, "PUT", "/api/v1/slots", e.token, `{"slots":[{"name":"morning","at":"08:00"},{"name":"noon","at":"12:30"},{"name":"evening","at":"21:00"}]}`); code != 200 || out["source"] != "org" {
			t.Fatalf("org slots: %d %v", code, out)
		}
		// Group 1 overrides: its morning is at 09:15 and it has a late slot.
		if code, out := e.do(t, "PUT", fmt.Sprintf("/api/v1/groups/%d/slots", g1), e.token, `{"slots":[{"name":"morning","at":"09:15"},{"name":"late","at":"22:00"}]}`); code != 200 || out["source"] != "group" {
			t.Fatalf("group slots: %d %v", code, out)
		}
		code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"kind":"cohort","date":"2026-11-27","slot":"morning"}`, e.script))
		ps, _ := out["pushes"].([]any)
		if code != 201 || len(ps) != 2 || ps[0].(map[string]any)["planned_at"] != "2026-11-27T08:00:00+08:00" || ps[1].(map[string]any)["planned_at"] != "2026-11-27T09:15:00+08:00" {
			t.Fatalf("per-group morning: %d %v", code, out)
		}
		// A slot only group 1 has: nothing is planned.
		if code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"kind":"cohort","date":"2026-11-28","slot":"late"}`, e.script)); code != 400 || !strings.Contains(fmt.Sprint(out), "morning, noon, evening") {
			t.Fatalf("slot missing in one group: %d %v", code, out)
		}
		if n := opsRows(t, db, "SELECT COUNT(*) FROM pushes"); n != 2 {
			t.Fatalf("%d pushes", n)
		}
		if code, out := e.do(t, "PUT", fmt.Sprintf("/api/v1/groups/%d/slots", g1), e.token, `{"slots":[]}`); code != 200 || out["source"] != "org" {
			t.Fatalf("override removed: %d %v", code, out)
		}
		if code, out := e.do(t, "GET", "/api/v1/groups/99999/slots", e.read, ""); code != 404 {
			t.Fatalf("unknown group: %d %v", code, out)
		}
	})
}

func TestCadencesAndDutyAPI(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		now = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
		e := newOpsEnv(t, db, &now)
		ctx := context.Background()
		for _, bad := range []string{
			fmt.Sprintf(`{"script_id":%d,"kind":"cohort","cadence":"hourly","slot":"morning"}`, e.script),
			fmt.Sprintf(`{"script_id":%d,"cadence":"daily","slot":"morning"}`, e.script),
			fmt.Sprintf(`{"script_id":%d,"kind":"cohort","cadence":"member_day","slot":"evening"}`, e.script),
			fmt.Sprintf(`{"script_id":%d,"kind":"cohort","cadence":"daily","slot":"morning","quiet":"late"}`, e.script),
		} {
			if code, out := e.do(t, "POST", "/api/v1/cadences", e.token, bad); code != 400 {
				t.Fatalf("%s: %d %v", bad, code, out)
			}
		}
		code, out := e.do(t, "POST", "/api/v1/cadences", e.token, fmt.Sprintf(`{"name":"每日早安","script_id":%d,"kind":"cohort","cadence":"daily","slot":"morning"}`, e.script))
		if code != 201 || out["cadence"] != "daily" || out["quiet"] != nil || out["paused"] != false {
			t.Fatalf("create: %d %v", code, out)
		}
		id := int64(out["id"].(float64))
		if n, err := db.PlanCadences(ctx); n != 2 || err != nil {
			t.Fatalf("plan: %d %v", n, err)
		}
		code, out = e.do(t, "GET", "/api/v1/cadences", e.read, "")
		list, _ := out["cadences"].([]any)
		if code != 200 || len(list) != 1 || list[0].(map[string]any)["runs"] != 2.0 || list[0].(map[string]any)["name"] != "每日早安" {
			t.Fatalf("list: %d %v", code, out)
		}
		if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/cadences/%d/pause", id), e.token, ""); code != 200 || out["paused"] != true {
			t.Fatalf("pause: %d %v", code, out)
		}
		if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/cadences/%d/resume", id), e.token, ""); code != 200 || out["paused"] != false {
			t.Fatalf("resume: %d %v", code, out)
		}
		if code, _ := e.do(t, "POST", "/api/v1/cadences/999/pause", e.token, ""); code != 404 {
			t.Fatalf("unknown cadence: %d", code)
		}

		// The duty board and the staff group.
		if code, out := e.do(t, "PUT", "/api/v1/settings/staff-group", e.token, `{"group_id":99999}`); code != 404 {
			t.Fatalf("unknown staff group: %d %v", code, out)
		}
		if code, out := e.do(t, "PUT", "/api/v1/settings/staff-group", e.token, fmt.Sprintf(`{"group_id":%d}`, e.groups[0])); code != 200 {
			t.Fatalf("staff group: %d %v", code, out)
		}
		if code, out := e.do(t, "GET", "/api/v1/settings/staff-group", e.read, ""); code != 200 || out["group_id"] != float64(e.groups[0]) {
			t.Fatalf("get staff group: %d %v", code, out)
		}
		code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/duty?person_id=%d", e.helper), e.read, "")
		up, _ := out["upcoming"].([]any)
		if code != 200 || len(up) != 1 || up[0].(map[string]any)["group_id"] != float64(e.groups[1]) || !strings.Contains(up[0].(map[string]any)["prompt"].(string), "？") {
			t.Fatalf("duty before: %d %v", code, out)
		}
		now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) // 08:00 CST: the 07:30 pushes are due
		if n, err := db.SendDuePushes(ctx, 10); n != 2 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/duty?person_id=%d&hours=2", e.helper), e.read, "")
		sent, _ := out["sent"].([]any)
		if code != 200 || len(sent) != 1 || sent[0].(map[string]any)["reminded"] != true || sent[0].(map[string]any)["followed_up"] != false || sent[0].(map[string]any)["duty"] != "店小二" {
			t.Fatalf("duty after: %d %v", code, out)
		}
		if n := opsRows(t, db, "SELECT COUNT(*) FROM outbox WHERE idem_key LIKE 'duty:%'"); n != 1 {
			t.Fatalf("%d reminders in the staff group", n)
		}
		if code, _ := e.do(t, "GET", "/api/v1/duty?hours=0", e.read, ""); code != 400 {
			t.Fatalf("hours=0: %d", code)
		}
	})
}

func opsRows(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestCadenceTagAPI: a cadence aimed at a group tag plans into the tag's
// groups; one aimed at a people tag is refused.
func TestCadenceTagAPI(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db, &now)
		ctx := context.Background()
		// Aimed at a group tag: its groups at each planning; a people tag
		// is refused.
		tag := community.Tag{OrgID: e.org, Name: "第二个群", Subject: community.TagGroups}
		people := community.Tag{OrgID: e.org, Name: "高意向", Subject: community.TagPeople}
		for _, tg := range []*community.Tag{&tag, &people} {
			if err := db.CreateTag(ctx, tg); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetGroupTag(ctx, e.org, tag.ID, e.groups[1], true, "test"); err != nil {
			t.Fatal(err)
		}
		if code, out := e.do(t, "POST", "/api/v1/cadences", e.token, fmt.Sprintf(`{"script_id":%d,"tag_id":%d,"cadence":"daily","slot":"morning"}`, e.script, people.ID)); code != 400 {
			t.Fatalf("a people tag: %d %v", code, out)
		}
		code, out := e.do(t, "POST", "/api/v1/cadences", e.token, fmt.Sprintf(`{"script_id":%d,"tag_id":%d,"cadence":"daily","slot":"noon"}`, e.script, tag.ID))
		if code != 201 || out["tag_id"] != float64(tag.ID) {
			t.Fatalf("a cadence aimed at a tag: %d %v", code, out)
		}
		if n, err := db.PlanCadences(ctx); n != 1 || err != nil {
			t.Fatalf("plan the tag's one group: %d %v", n, err)
		}
		code, out = e.do(t, "GET", "/api/v1/tags", e.read, "")
		list, _ := out["tags"].([]any)
		if code != 200 || len(list) != 2 || list[0].(map[string]any)["name"] != "第二个群" || list[0].(map[string]any)["manual"] != 1.0 || list[1].(map[string]any)["subject"] != "person" {
			t.Fatalf("tags: %d %v", code, out)
		}
	})
}
