package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
)

func TestContentAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i, kind := range []community.GroupKind{community.KindCohort, community.KindCohort, community.KindOwners} {
		g := community.Group{OrgID: e.org, Connection: "wx", Platform: "webhook", ExternalID: fmt.Sprint("c", i), Name: fmt.Sprint("群", i), Kind: kind}
		if err := e.db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
	}
	code, out := e.do(t, "POST", "/api/v1/scripts", e.token, `{"title":"早高峰：选品三问","body":"一问市场，二问利润，三问供应链。\n你们最看重哪一条？\n欢迎留言。","tags":["选品"]}`)
	if code != 201 || out["status"] != "draft" {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int(out["id"].(float64))
	move := func(to, role, reason string) (int, map[string]any) {
		return e.do(t, "POST", fmt.Sprintf("/api/v1/scripts/%d/transitions", id), e.token, fmt.Sprintf(`{"to":%q,"role":%q,"reason":%q}`, to, role, reason))
	}
	if code, out := move("approved", "contributor", ""); code != 403 {
		t.Fatalf("draft to approved: %d %v, want 403", code, out)
	}
	if code, out := move("submitted", "wizard", ""); code != 400 {
		t.Fatalf("unknown role: %d %v", code, out)
	}
	for _, step := range [][2]string{{"submitted", "contributor"}, {"in_review", "reviewer"}, {"approved", "reviewer"}} {
		if code, out := move(step[0], step[1], ""); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	plan := fmt.Sprintf(`{"script_id":%d,"kind":"cohort","date":"2026-12-01","slot":"morning"}`, id)
	code, out = e.do(t, "POST", "/api/v1/pushes", e.token, plan)
	pushes, _ := out["pushes"].([]any)
	if code != 201 || len(pushes) != 2 || pushes[0].(map[string]any)["deferred"] != false {
		t.Fatalf("plan: %d %v", code, out)
	}
	// The same slot again: the 2-hour gap defers it, visibly.
	code, out = e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"kind":"cohort","at":"2026-12-01T08:00:00+08:00"}`, id))
	p := out["pushes"].([]any)[0].(map[string]any)
	if code != 201 || p["deferred"] != true || p["reason"] != "too close to another push" || p["planned_at"] != "2026-12-01T01:30:00Z" {
		t.Fatalf("second plan: %d %v", code, out)
	}
	if code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"kind":"cohort","date":"2026-12-01","slot":"midnight"}`, id)); code != 400 {
		t.Fatalf("bad slot: %d %v", code, out)
	}
	if code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"group_ids":[999],"at":"2026-12-01T08:00:00+08:00"}`, id)); code != 404 {
		t.Fatalf("unknown group: %d %v", code, out)
	}
	if code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/scripts/%d/revisions", id), e.read, ""); code != 200 || len(out["revisions"].([]any)) != 5 {
		t.Fatalf("revisions: %d %v", code, out)
	}
}

func TestScriptLint(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(t, "POST", "/api/v1/scripts", e.token, `{"title":"爆款","body":"限时秒杀！！！原价299元，现价99元，立即下单，私聊下单送优惠券！！！"}`)
	if code != 201 && code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int(out["id"].(float64))
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/scripts/%d/lint", id), e.read, "")
	if code != 200 {
		t.Fatalf("lint: %d %v", code, out)
	}
	var got []string
	for _, f := range out["findings"].([]any) {
		got = append(got, f.(map[string]any)["code"].(string))
	}
	if s := strings.Join(got, ","); !strings.Contains(s, "hard_selling") || !strings.Contains(s, "too_short") {
		t.Fatalf("findings = %s, want hard_selling and too_short", s)
	}
	if code, _ := e.do(t, "GET", "/api/v1/scripts/9999/lint", e.read, ""); code != 404 {
		t.Fatalf("unknown script: %d", code)
	}
}
