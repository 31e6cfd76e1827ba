package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// ingest posts chat events to the bridge endpoint.
func (e *env) ingest(t *testing.T, events ...string) {
	t.Helper()
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", "["+strings.Join(events, ",")+"]"); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
}

func chatMessage(id, group, user, text string, at time.Time) string {
	return fmt.Sprintf(`{"id":%q,"type":"message","group":%q,"time":%q,"sender":{"id":%q,"name":%q},"message":{"id":"m-%s","kind":"text","text":%q}}`,
		id, group, at.Format(time.RFC3339), user, "学员"+user, id, text)
}

// groupIDs maps the organisation's groups' names (their platform ids in
// these tests) to their ids.
func (e *env) groupIDs(t *testing.T) map[string]int {
	t.Helper()
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	ids := map[string]int{}
	for _, g := range out["groups"].([]any) {
		g := g.(map[string]any)
		ids[g["name"].(string)] = int(g["id"].(float64))
	}
	return ids
}

// pulled returns the texts of the actions a pulled connection has waiting.
func (e *env) pulled(t *testing.T) []string {
	t.Helper()
	_, out := e.do(t, "GET", "/api/v1/actions?limit=1000", "conn-secret", "")
	var texts []string
	for _, a := range out["actions"].([]any) {
		a := a.(map[string]any)
		texts = append(texts, fmt.Sprint(a["group"], ": ", a["kind"], " ", a["text"]))
	}
	return texts
}

// TestEventManyGroupsAndCancelAPI: an event announced in two groups (each
// told), members of both signing up on its list, a check-in taken back, the
// event called off with a reason that both groups are told; every bad
// input a 4xx.
func TestEventManyGroupsAndCancelAPI(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.ingest(t, chatMessage("a", "g1", "u1", "hi", now), chatMessage("b", "g2", "u2", "hi", now), chatMessage("c", "g2", "u3", "hi", now))
	ids := e.groupIDs(t)
	open := fmt.Sprintf("/api/v1/groups/%d/events", ids["g1"])
	for _, bad := range []struct {
		body string
		code int
	}{
		{`{"title":"沙龙","also_in":[999]}`, 404},
		{`{"title":"沙龙","also_in":[-1]}`, 400},
		{`{"title":"沙龙","also_in":"g2"}`, 400},
		{`{"title":"沙龙","announce":"yes"}`, 400},
		{`{"title":"` + strings.Repeat("长", 61) + `"}`, 400},
		{`{"title":"沙龙\n第二行"}`, 400},
		{`{"title":"沙龙","capacity":10001}`, 400},
		{`{"title":"沙龙","place":"` + strings.Repeat("地", 101) + `"}`, 400},
	} {
		if code, out := e.do(t, "POST", open, e.token, bad.body); code != bad.code {
			t.Errorf("open %s: %d %v, want %d", bad.body, code, out, bad.code)
		}
	}
	if texts := e.pulled(t); len(texts) != 0 {
		t.Fatalf("refused requests posted %v", texts)
	}
	code, out := e.do(t, "POST", open, e.token, fmt.Sprintf(`{"title":"线下实操课","capacity":2,"place":"阳新县电商产业园","also_in":[%d]}`, ids["g2"]))
	if code != 201 || fmt.Sprint(out["also_in"]) != fmt.Sprintf("[%d]", ids["g2"]) || out["cancelled"] != false {
		t.Fatalf("open: %d %v", code, out)
	}
	id := int(out["id"].(float64))
	texts := e.pulled(t)
	if len(texts) != 2 || !strings.HasPrefix(texts[0], "g1: send 【接龙】线下实操课") || !strings.HasPrefix(texts[1], "g2: send 【接龙】线下实操课") {
		t.Fatalf("announcements %q", texts)
	}
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/events", ids["g2"]), e.token, `{"title":"另一个"}`); code != 409 || !strings.Contains(fmt.Sprint(out), "线下实操课") {
		t.Fatalf("a second event in a group the first is announced in: %d %v", code, out)
	}
	// Sign-ups from both groups.
	e.ingest(t, chatMessage("s1", "g1", "u1", "+1", now), chatMessage("s2", "g2", "u2", "报名", now), chatMessage("s3", "g2", "u3", "接龙", now))
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/events/%d", id), e.read, "")
	if code != 200 || out["signed_up"] != 2.0 || out["waitlisted"] != 1.0 {
		t.Fatalf("event: %d %v", code, out)
	}
	first := int(out["entries"].([]any)[0].(map[string]any)["person_id"].(float64))
	undo := fmt.Sprintf("/api/v1/events/%d/undo-checkin", id)
	for _, bad := range []struct {
		token, body string
		code        int
	}{{e.read, fmt.Sprintf(`{"person_id":%d}`, first), 403}, {e.token, `{}`, 400}, {e.token, `{"person_id":"x"}`, 400}, {e.token, fmt.Sprintf(`{"person_id":%d}`, first), 409}} {
		if code, out := e.do(t, "POST", undo, bad.token, bad.body); code != bad.code {
			t.Errorf("undo-checkin %s: %d %v, want %d", bad.body, code, out, bad.code)
		}
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/checkin", id), e.token, fmt.Sprintf(`{"person_id":%d}`, first)); code != 200 {
		t.Fatalf("check in: %d", code)
	}
	if code, out := e.do(t, "POST", undo, e.token, fmt.Sprintf(`{"person_id":%d}`, first)); code != 200 || out["checked_in"] != 0.0 {
		t.Fatalf("undo check-in: %d %v", code, out)
	}
	cancel := fmt.Sprintf("/api/v1/events/%d/cancel-event", id)
	for _, bad := range []struct {
		path, token, body string
		code              int
	}{{cancel, e.read, "", 403}, {"/api/v1/events/9999/cancel-event", e.token, "", 404}, {"/api/v1/events/x/cancel-event", e.token, "", 400},
		{cancel, e.token, `{"reason":5}`, 400}, {cancel, e.token, `{"why":"雨"}`, 400}, {cancel, e.token, `{"reason":"` + strings.Repeat("雨", 201) + `"}`, 400}} {
		if code, out := e.do(t, "POST", bad.path, bad.token, bad.body); code != bad.code {
			t.Errorf("cancel-event %s %s: %d %v, want %d", bad.path, bad.body, code, out, bad.code)
		}
	}
	code, out = e.do(t, "POST", cancel, e.token, `{"reason":"暴雨预警"}`)
	if code != 200 || out["cancelled"] != true || out["closed"] != true {
		t.Fatalf("cancel: %d %v", code, out)
	}
	texts = e.pulled(t)
	var told []string
	for _, x := range texts {
		if strings.Contains(x, "活动取消") {
			told = append(told, x)
			if !strings.Contains(x, "暴雨预警") || !strings.Contains(x, "@学员u1") || !strings.Contains(x, "@学员u3") {
				t.Errorf("cancellation %q", x)
			}
		}
	}
	if len(told) != 2 {
		t.Fatalf("cancellations told: %q", told)
	}
	if code, _ := e.do(t, "POST", cancel, e.token, ""); code != 409 {
		t.Fatalf("cancelling twice: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/checkin", id), e.token, fmt.Sprintf(`{"person_id":%d}`, first)); code != 409 {
		t.Fatalf("checking in at a cancelled event: %d", code)
	}
	// Opened without an announcement, nothing is posted.
	if code, _ := e.do(t, "POST", open, e.token, `{"title":"内部会议","announce":false}`); code != 201 {
		t.Fatalf("open unannounced: %d", code)
	}
	for _, x := range e.pulled(t) {
		if strings.Contains(x, "内部会议") {
			t.Fatalf("an unannounced event was posted: %q", x)
		}
	}
}

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestPurgeReviewAPI: a notice leaving one zombie out, shown pending with
// each member's status; carried out after the period keeping one more; a
// second notice withdrawn. Every bad input a 4xx.
func TestPurgeReviewAPI(t *testing.T) {
	clk := &testClock{t: time.Now()}
	e := newEnv(t, clk.now)
	long := clk.now().AddDate(0, 0, -100)
	var joins []string
	for _, u := range []string{"z1", "z2", "z3", "z4"} {
		joins = append(joins, fmt.Sprintf(`{"id":"j-%s","type":"member_joined","group":"g1","time":%q,"sender":{"id":%q,"name":"僵尸%s"}}`, u, long.Format(time.RFC3339), u, u))
	}
	e.ingest(t, joins...)
	gid := e.groupIDs(t)["g1"]
	base := fmt.Sprintf("/api/v1/groups/%d/purge", gid)
	code, out := e.do(t, "GET", base, e.read, "")
	if code != 200 || len(out["members"].([]any)) != 4 || out["pending"] != nil {
		t.Fatalf("proposal: %d %v", code, out)
	}
	var z []int
	for _, m := range out["members"].([]any) {
		z = append(z, int(m.(map[string]any)["person_id"].(float64)))
	}
	for _, bad := range []struct {
		body string
		code int
	}{{`{"days":0}`, 400}, {`{"days":61}`, 400}, {`{"days":7,"exclude":[99999]}`, 400}, {`{"days":7,"exclude":"z1"}`, 400},
		{fmt.Sprintf(`{"days":7,"exclude":[%d,%d,%d,%d]}`, z[0], z[1], z[2], z[3]), 400}, {``, 400}} {
		if code, out := e.do(t, "POST", base+"/notice", e.token, bad.body); code != bad.code {
			t.Errorf("notice %s: %d %v, want %d", bad.body, code, out, bad.code)
		}
	}
	if code, _ := e.do(t, "POST", base+"/notice", e.read, `{"days":7}`); code != 403 {
		t.Fatalf("a read token posted a notice: %d", code)
	}
	code, out = e.do(t, "POST", base+"/notice", e.token, fmt.Sprintf(`{"days":7,"exclude":[%d]}`, z[0]))
	if code != 200 || len(out["members"].([]any)) != 3 {
		t.Fatalf("notice: %d %v", code, out)
	}
	if code, _ := e.do(t, "POST", base+"/notice", e.token, `{"days":7}`); code != 409 {
		t.Fatalf("a second notice: %d", code)
	}
	_, out = e.do(t, "GET", base, e.read, "")
	pending, _ := out["pending"].(map[string]any)
	if pending == nil || len(pending["members"].([]any)) != 4 || pending["members"].([]any)[0].(map[string]any)["status"] != "excluded" || pending["members"].([]any)[1].(map[string]any)["status"] != "named" {
		t.Fatalf("pending: %v", out)
	}
	if code, _ := e.do(t, "POST", base+"/execute", e.token, ""); code != 409 {
		t.Fatalf("carried out before the period ended: %d", code)
	}
	clk.add(8 * 24 * time.Hour)
	for _, bad := range []struct {
		body string
		code int
	}{{fmt.Sprintf(`{"keep":[%d]}`, z[0]), 400}, {`{"keep":"all"}`, 400}, {`{"kept":[]}`, 400}} {
		if code, out := e.do(t, "POST", base+"/execute", e.token, bad.body); code != bad.code {
			t.Errorf("execute %s: %d %v, want %d", bad.body, code, out, bad.code)
		}
	}
	if code, out := e.do(t, "POST", base+"/execute", e.token, fmt.Sprintf(`{"keep":[%d]}`, z[1])); code != 200 || out["removed"] != 2.0 {
		t.Fatalf("execute: %d %v", code, out)
	}
	var kicks int
	for _, x := range e.pulled(t) {
		if strings.HasPrefix(x, "g1: kick") {
			kicks++
		}
	}
	if kicks != 2 {
		t.Fatalf("kicks: %d", kicks)
	}
	if code, _ := e.do(t, "POST", base+"/withdraw", e.token, ""); code != 409 {
		t.Fatalf("withdrawing with nothing pending: %d", code)
	}
	if code, _ := e.do(t, "POST", base+"/notice", e.token, `{"days":3}`); code != 200 {
		t.Fatalf("a new notice: %d", code)
	}
	if code, _ := e.do(t, "POST", base+"/withdraw", e.read, ""); code != 403 {
		t.Fatalf("a read token withdrew: %d", code)
	}
	if code, out := e.do(t, "POST", base+"/withdraw", e.token, ""); code != 200 || out["withdrawn"] != true {
		t.Fatalf("withdraw: %d %v", code, out)
	}
	if code, _ := e.do(t, "POST", "/api/v1/groups/99999/purge/withdraw", e.token, ""); code != 404 {
		t.Fatalf("an unknown group: %d", code)
	}
	if code, _ := e.do(t, "POST", "/api/v1/groups/x/purge/notice", e.token, `{"days":7}`); code != 400 {
		t.Fatalf("a bad group id: %d", code)
	}
}

// TestSnoozeAlertAPI: an open alert is put off by days or until a time;
// bad input is a 400, an unknown alert a 404, a read token a 403.
func TestSnoozeAlertAPI(t *testing.T) {
	e := newEnv(t)
	e.ingest(t, chatMessage("a", "g1", "u1", "hi", time.Now()))
	var id int64
	if err := e.db.SQL().QueryRow(e.db.Rebind(`INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES (?, ?, 0, 'group_dormant', 20000, '', ?) RETURNING id`),
		e.org, e.groupIDs(t)["g1"], time.Now().UnixMilli()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/alerts/%d/snooze", id)
	for _, bad := range []struct {
		path, token, body string
		code              int
	}{{path, e.token, `{}`, 400}, {path, e.token, `{"days":0}`, 400}, {path, e.token, `{"days":31}`, 400}, {path, e.token, `{"days":3,"until":"2030-01-01T00:00:00Z"}`, 400},
		{path, e.token, `{"until":"tomorrow"}`, 400}, {path, e.token, `{"until":"2001-01-01T00:00:00Z"}`, 400}, {path, e.token, `{"days":"3"}`, 400},
		{"/api/v1/alerts/99999/snooze", e.token, `{"days":3}`, 404}, {path, e.read, `{"days":3}`, 403}} {
		if code, out := e.do(t, "POST", bad.path, bad.token, bad.body); code != bad.code {
			t.Errorf("snooze %s %s: %d %v, want %d", bad.path, bad.body, code, out, bad.code)
		}
	}
	if code, out := e.do(t, "POST", path, e.token, `{"days":3}`); code != 200 {
		t.Fatalf("snooze: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/alerts", e.read, "")
	if a := out["alerts"].([]any); len(a) != 1 || a[0].(map[string]any)["snoozed_until"] == nil {
		t.Fatalf("alerts: %v", out)
	}
}
