package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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
	code, out := e.do(t, "POST", "/api/v1/scripts", e.token, `{"title":"早高峰：选品三问","body":"一问市场，二问利润，三问供应链。\n你们最看重哪一条？\n欢迎留言。","tags":["选品"],"author":"user:writer"}`)
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
	for _, step := range [][2]string{{"submitted", "contributor"}, {"in_review", "reviewer"}} {
		if code, out := move(step[0], step[1], ""); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	// The token that created the script is one of its writers, whoever
	// it named as the author: another token approves it.
	if code, out := move("approved", "reviewer", ""); code != 403 {
		t.Fatalf("the creating token approves: %d %v", code, out)
	}
	reviewer, _ := e.db.CreateToken(ctx, e.org, "审核岗", "ops:reviewer")
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/scripts/%d/transitions", id), reviewer, `{"to":"approved","role":"reviewer"}`); code != 200 {
		t.Fatalf("another token approves: %d %v", code, out)
	}
	plan := fmt.Sprintf(`{"script_id":%d,"kind":"cohort","date":"2026-12-01","slot":"morning"}`, id)
	code, out = e.do(t, "POST", "/api/v1/pushes", e.token, plan)
	pushes, _ := out["pushes"].([]any)
	if code != 201 || len(pushes) != 2 || pushes[0].(map[string]any)["deferred"] != false {
		t.Fatalf("plan: %d %v", code, out)
	}
	// The same slot again: the 2-hour gap defers it to the next peak,
	// noon, visibly.
	code, out = e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"kind":"cohort","at":"2026-12-01T08:00:00+08:00"}`, id))
	p := out["pushes"].([]any)[0].(map[string]any)
	if code != 201 || p["deferred"] != true || p["reason"] != "min_gap" || !apiTime(t, p["planned_at"]).Equal(time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)) {
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

// TestPushResponsesAPI: a sent push's response, the script ranking and the
// follow-up coverage.
func TestPushResponsesAPI(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	join := fmt.Sprintf(`[{"id":"j1","type":"message","group":"g1","time":%q,"sender":{"id":"u1","name":"学员"},"message":{"id":"x1","kind":"text","text":"早"}}]`, now.Add(-time.Hour).Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", join); code != 200 {
		t.Fatalf("post: %d %v", code, out)
	}
	_, out := e.do(t, "POST", "/api/v1/scripts", e.token, `{"title":"晚高峰：复盘","body":"今天卖得最好的是哪一款？\n为什么？\n说说你的看法。"}`)
	id := int(out["id"].(float64))
	reviewer, _ := e.db.CreateToken(context.Background(), e.org, "审核岗", "ops:reviewer")
	for _, step := range [][3]string{{"submitted", "contributor", e.token}, {"in_review", "reviewer", reviewer}, {"approved", "reviewer", reviewer}} {
		if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/scripts/%d/transitions", id), step[2], fmt.Sprintf(`{"to":%q,"role":%q}`, step[0], step[1])); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	if code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"kind":"custom","at":%q}`, id, now.Add(-time.Minute).Format(time.RFC3339))); code != 201 {
		t.Fatalf("plan: %d %v", code, out)
	}
	if n, err := e.db.SendDuePushes(context.Background(), 10); err != nil || n != 1 {
		t.Fatalf("send: %d %v", n, err)
	}
	var evs []string
	for i, who := range []string{"u1", "u2", "u1"} {
		evs = append(evs, fmt.Sprintf(`{"id":"r%d","type":"message","group":"g1","time":%q,"sender":{"id":%q},"message":{"id":"y%d","kind":"text","text":"回复"}}`, i, time.Now().Add(time.Second).Format(time.RFC3339), who, i))
	}
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", "["+strings.Join(evs, ",")+"]"); code != 200 {
		t.Fatalf("post: %d %v", code, out)
	}
	code, out := e.do(t, "GET", "/api/v1/pushes/responses?days=1", e.read, "")
	if code != 200 {
		t.Fatalf("responses: %d %v", code, out)
	}
	ps := out["pushes"].([]any)
	sc := out["scripts"].([]any)
	cov := out["coverage"].(map[string]any)
	if len(ps) != 1 || ps[0].(map[string]any)["posts_60m"] != 3.0 || ps[0].(map[string]any)["members_60m"] != 2.0 ||
		len(sc) != 1 || sc[0].(map[string]any)["title"] != "晚高峰：复盘" || cov["pushes"] != 1.0 || cov["followed_up"] != 0.0 ||
		ps[0].(map[string]any)["links"] != 0.0 || ps[0].(map[string]any)["clicks"] != 0.0 || len(out["links"].([]any)) != 0 {
		t.Fatalf("responses: %v", out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/pushes/responses?days=0", e.read, ""); code != 400 {
		t.Fatalf("days=0: %d", code)
	}
}

// TestOpsRoles: operations-centre tokens act only in their roles.
func TestOpsRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reviewer, err := e.db.CreateToken(ctx, e.org, "审核岗", "ops:reviewer")
	if err != nil {
		t.Fatal(err)
	}
	editor, err := e.db.CreateToken(ctx, e.org, "编辑岗", "ops:editor,contributor")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ops:", "ops:boss", "owner"} {
		if _, err := e.db.CreateToken(ctx, e.org, "x", bad); err == nil {
			t.Errorf("scope %q accepted", bad)
		}
	}
	if code, _ := e.do(t, "POST", "/api/v1/scripts", e.read, `{"title":"t","body":"b"}`); code != 403 {
		t.Fatalf("a read token wrote a script: %d", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/scripts", reviewer, `{"title":"t","body":"b"}`); code != 403 {
		t.Fatalf("a reviewer wrote a script: %d", code)
	}
	code, out := e.do(t, "POST", "/api/v1/scripts", editor, `{"title":"晚高峰","body":"一\n二\n三"}`)
	if code != 201 {
		t.Fatalf("the editor writes a script: %d %v", code, out)
	}
	id := int(out["id"].(float64))
	move := func(token, to, role string) int {
		code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/scripts/%d/transitions", id), token, fmt.Sprintf(`{"to":%q,"role":%q}`, to, role))
		return code
	}
	if code := move(editor, "submitted", "contributor"); code != 200 {
		t.Fatalf("submit: %d", code)
	}
	if code := move(editor, "in_review", "reviewer"); code != 403 {
		t.Fatalf("an editor claiming to review: %d, want 403", code)
	}
	if code := move(reviewer, "in_review", "reviewer"); code != 200 {
		t.Fatalf("review: %d", code)
	}
	if code := move(reviewer, "approved", "reviewer"); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/pushes", reviewer, fmt.Sprintf(`{"script_id":%d,"kind":"cohort","date":"2026-12-01","slot":"morning"}`, id)); code != 403 {
		t.Fatalf("a reviewer planned a push: %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/scripts", reviewer, ""); code != 200 {
		t.Fatalf("an ops token reads: %d", code)
	}
}

func TestScriptCardAPI(t *testing.T) {
	e := newEnv(t)
	_, out := e.do(t, "POST", "/api/v1/scripts", e.token, `{"title":"转发","body":"好文"}`)
	id := int(out["id"].(float64))
	path := fmt.Sprintf("/api/v1/scripts/%d/card", id)
	if code, _ := e.do(t, "PUT", path, e.token, `{"link_url":"file:///etc/passwd"}`); code != 400 {
		t.Fatalf("a bad link: %d", code)
	}
	if code, _ := e.do(t, "PUT", path, e.read, `{"link_url":"https://x.cn"}`); code != 403 {
		t.Fatalf("a read token set a card: %d", code)
	}
	excerpt := strings.Repeat("这是原文的一段内容，讲的是农村电商的发展。", 20)
	code, out := e.do(t, "PUT", path, e.token, fmt.Sprintf(`{"link_url":"https://mp.weixin.qq.com/s/abc","link_title":"农村电商","excerpt":%q}`, excerpt))
	if code != 200 || out["card"].(map[string]any)["link_title"] != "农村电商" {
		t.Fatalf("set card: %d %v", code, out)
	}
	// Lint sees a link share whose author added almost nothing of their own.
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/scripts/%d/lint", id), e.read, "")
	var codes []string
	for _, f := range out["findings"].([]any) {
		codes = append(codes, f.(map[string]any)["code"].(string))
	}
	if s := strings.Join(codes, ","); !strings.Contains(s, "paste_without_comment") && !strings.Contains(s, "forward_without_note") {
		t.Fatalf("lint of a bare link share: %s", s)
	}
	if code, out := e.do(t, "GET", path, e.read, ""); code != 200 || out["card"].(map[string]any)["link_url"] != "https://mp.weixin.qq.com/s/abc" {
		t.Fatalf("get card: %d %v", code, out)
	}
}

// apiTime reads a time the API wrote.
func apiTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return at
}
