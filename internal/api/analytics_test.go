package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAnalyticsAPI(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// The messages are today's in Shanghai, where the day's leaderboard
	// is counted, even just after its midnight (16:00 UTC).
	y, m, d := now.In(loc).Date()
	first := max(now.Add(-4*time.Minute).UnixMilli(), time.Date(y, m, d, 0, 0, 0, 0, loc).UnixMilli())
	var evs []string
	for i, who := range []string{"u1", "u1", "u2", "u1"} {
		at := time.UnixMilli(first + int64(i)*1000).In(loc)
		evs = append(evs, fmt.Sprintf(`{"id":"a%d","type":"message","group":"g1","time":%q,"sender":{"id":%q,"name":"成员%s"},"message":{"id":"m%d","kind":"text","text":"第一行\n第二行\n第三行"}}`,
			i, at.Format(time.RFC3339Nano), who, who, i))
	}
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", "["+strings.Join(evs, ",")+"]"); code != 200 {
		t.Fatalf("post: %d %v", code, out)
	}
	if _, err := e.db.Rollup(context.Background(), e.org, now, loc, 30); err != nil {
		t.Fatal(err)
	}
	code, out := e.do(t, "GET", "/api/v1/leaderboard/posters?period=day&substantive=1", e.read, "")
	ps, _ := out["posters"].([]any)
	if code != 200 || len(ps) != 2 || ps[0].(map[string]any)["name"] != "成员u1" || ps[0].(map[string]any)["substantive"] != 3.0 {
		t.Fatalf("posters: %d %v", code, out)
	}
	if code, out := e.do(t, "GET", "/api/v1/leaderboard/posters?period=year", e.read, ""); code != 400 || !strings.Contains(fmt.Sprint(out), "day, week or month") {
		t.Fatalf("bad period: %d %v", code, out)
	}
	code, out = e.do(t, "GET", "/api/v1/health", e.read, "")
	gs, _ := out["groups"].([]any)
	if code != 200 || len(gs) != 1 || out["states"].(map[string]any)["healthy"] != 1.0 {
		t.Fatalf("health: %d %v", code, out)
	}
	id := int(gs[0].(map[string]any)["group_id"].(float64))
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/health?days=7", id), e.read, "")
	days, _ := out["days"].([]any)
	if code != 200 || len(days) != 1 || days[0].(map[string]any)["communicators"] != 2.0 || days[0].(map[string]any)["member_messages"] != 4.0 {
		t.Fatalf("group health: %d %v", code, out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/groups/999/health", e.read, ""); code != 404 {
		t.Fatalf("unknown group: %d", code)
	}
	if code, out := e.do(t, "GET", "/api/v1/alerts", e.read, ""); code != 200 || len(out["alerts"].([]any)) != 0 {
		t.Fatalf("alerts: %d %v", code, out)
	}
	if code, _ := e.do(t, "POST", "/api/v1/alerts/1/resolve", e.read, ""); code != 403 {
		t.Fatalf("a read token resolved an alert: %d", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/alerts/1/resolve", e.token, ""); code != 404 {
		t.Fatalf("resolving a missing alert: %d", code)
	}
}

func TestNewcomersAPI(t *testing.T) {
	e := newEnv(t)
	join := fmt.Sprintf(`[{"id":"j1","type":"member_joined","group":"g1","time":%q,"sender":{"id":"u1"},"source":"referral"},
		{"id":"j2","type":"member_joined","group":"g1","time":%q,"sender":{"id":"u2"}}]`, time.Now().Add(-48*time.Hour).Format(time.RFC3339), time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", join); code != 200 {
		t.Fatalf("joins: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/newcomers?days=30", gid), e.read, "")
	if code != 200 || out["newcomers"] != 2.0 {
		t.Fatalf("newcomers: %d %v", code, out)
	}
	joins := out["joins_by_source"].(map[string]any)
	d1 := out["retention"].(map[string]any)["d1"].(map[string]any)
	if joins["referral"] != 1.0 || joins["unknown"] != 1.0 || d1["cohort"] != 1.0 || d1["survival"] != 1.0 {
		t.Fatalf("newcomers: %v", out)
	}
	if code, _ := e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/newcomers?days=0", gid), e.read, ""); code != 400 {
		t.Fatalf("days=0: %d", code)
	}
}

func TestPurgeAPI(t *testing.T) {
	e := newEnv(t)
	ev := fmt.Sprintf(`[{"id":"p1","type":"message","group":"g1","time":%q,"sender":{"id":"u1"},"message":{"id":"x1","kind":"text","text":"hi"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/purge", gid), e.read, "")
	if code != 200 || len(out["members"].([]any)) != 0 {
		t.Fatalf("proposal: %d %v", code, out)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/purge/notice", gid), e.token, `{"days":7}`); code != 409 {
		t.Fatalf("a notice with nobody to propose: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/purge/execute", gid), e.read, ``); code != 403 {
		t.Fatalf("a read token purged: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/purge/execute", gid), e.token, ``); code != 409 {
		t.Fatalf("execute without a notice: %d", code)
	}
}

func TestDailyTopAPI(t *testing.T) {
	e := newEnv(t)
	ev := fmt.Sprintf(`[{"id":"d1","type":"message","group":"g1","time":%q,"sender":{"id":"u1"},"message":{"id":"x1","kind":"text","text":"hi"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	path := fmt.Sprintf("/api/v1/groups/%d/daily-top", int(out["groups"].([]any)[0].(map[string]any)["id"].(float64)))
	for body, want := range map[string]int{`{"at":"25:00"}`: 400, `{"at":"21:00","size":99}`: 400, `{"at":"21:00"}`: 200, `{"size":0}`: 200} {
		if code, out := e.do(t, "PUT", path, e.token, body); code != want {
			t.Errorf("%s: %d %v, want %d", body, code, out, want)
		}
	}
	if code, _ := e.do(t, "PUT", path, e.read, `{"at":"21:00"}`); code != 403 {
		t.Fatalf("a read token: %d", code)
	}
}
