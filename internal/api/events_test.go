package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEventsAPI(t *testing.T) {
	e := newEnv(t)
	var evs []string
	for i := range 3 {
		evs = append(evs, fmt.Sprintf(`{"id":"s%d","type":"message","group":"g1","time":%q,"sender":{"id":"u%d","name":"学员%d"},"message":{"id":"x%d","kind":"text","text":"hi"}}`,
			i, time.Now().Add(-time.Hour).Format(time.RFC3339), i, i, i))
	}
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", "["+strings.Join(evs, ",")+"]"); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	for _, bad := range []struct {
		body string
		code int
	}{{`{"title":""}`, 400}, {`{"title":"沙龙","capacity":-1}`, 400}, {`{"title":"沙龙","at":"tomorrow"}`, 400}, {`{"title":"沙龙","temp_group_id":999}`, 404}} {
		if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/events", gid), e.token, bad.body); code != bad.code {
			t.Errorf("open %s: %d %v, want %d", bad.body, code, out, bad.code)
		}
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/events", gid), e.read, `{"title":"沙龙"}`); code != 403 {
		t.Fatalf("a read token opened an event: %d", code)
	}
	code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/events", gid), e.token, `{"title":"周六线下沙龙","capacity":1,"at":"2026-12-05T14:00:00+08:00","place":"阳新县电商中心"}`)
	if code != 201 || out["capacity"] != 1.0 || out["place"] != "阳新县电商中心" {
		t.Fatalf("open: %d %v", code, out)
	}
	id := int(out["id"].(float64))
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/groups/%d/events", gid), e.token, `{"title":"另一个"}`); code != 409 {
		t.Fatalf("a second open event: %d, want 409", code)
	}
	// Members sign up in the chat: the first is in, the second waits.
	for i, u := range []string{"u1", "u2"} {
		body := fmt.Sprintf(`[{"id":"j%d","type":"message","group":"g1","time":%q,"sender":{"id":%q},"message":{"id":"y%d","kind":"text","text":"+1"}}]`, i, time.Now().Format(time.RFC3339), u, i)
		if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", body); code != 200 {
			t.Fatalf("sign up: %d %v", code, out)
		}
	}
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/events/%d", id), e.read, "")
	if code != 200 || out["signed_up"] != 1.0 || out["waitlisted"] != 1.0 {
		t.Fatalf("event: %d %v", code, out)
	}
	entries := out["entries"].([]any)
	first := int(entries[0].(map[string]any)["person_id"].(float64))
	second := int(entries[1].(map[string]any)["person_id"].(float64))
	// Check-in, then cancel: the waitlisted one moves up.
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/checkin", id), e.token, fmt.Sprintf(`{"person_id":%d}`, second)); code != 409 {
		t.Fatalf("checking in a waitlisted person: %d %v", code, out)
	}
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/checkin", id), e.token, fmt.Sprintf(`{"person_id":%d}`, first)); code != 200 || out["checked_in"] != 1.0 {
		t.Fatalf("check in: %d %v", code, out)
	}
	code, out = e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/cancel", id), e.token, fmt.Sprintf(`{"person_id":%d}`, first))
	if code != 200 || out["signed_up"] != 1.0 || out["waitlisted"] != 0.0 || out["entries"].([]any)[1].(map[string]any)["status"] != "in" {
		t.Fatalf("cancel: %d %v", code, out)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/cancel", id), e.token, fmt.Sprintf(`{"person_id":%d}`, first)); code != 404 {
		t.Fatalf("cancelling twice: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/close", id), e.token, ""); code != 200 {
		t.Fatalf("close: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/events/%d/close", id), e.token, ""); code != 409 {
		t.Fatalf("closing twice: %d", code)
	}
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/events", gid), e.read, "")
	if list := out["events"].([]any); code != 200 || len(list) != 1 || list[0].(map[string]any)["closed"] != true {
		t.Fatalf("list: %d %v", code, out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/events/9999", e.read, ""); code != 404 {
		t.Fatalf("unknown event: %d", code)
	}
}

func TestEligibilityAPI(t *testing.T) {
	e := newEnv(t)
	ev := fmt.Sprintf(`[{"id":"s1","type":"message","group":"g1","time":%q,"sender":{"id":"u1"},"message":{"id":"x1","kind":"text","text":"hi"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	_, out = e.do(t, "POST", "/api/v1/partner-levels", e.token, `{"slug":"city","name":"城市合伙人","rank":2}`)
	lvl := int(out["id"].(float64))
	path := fmt.Sprintf("/api/v1/groups/%d/eligibility", gid)
	if code, out := e.do(t, "GET", path, e.read, ""); code != 200 || out["open"] != true {
		t.Fatalf("open group: %d %v", code, out)
	}
	for _, bad := range []struct {
		body string
		code int
	}{{fmt.Sprintf(`{"level_id":%d,"handling":"grace"}`, lvl), 400}, {fmt.Sprintf(`{"level_id":%d,"handling":"grace","grace":"soon"}`, lvl), 400},
		{`{"level_id":999,"handling":"refuse"}`, 404}, {fmt.Sprintf(`{"level_id":%d,"handling":"kick"}`, lvl), 400}} {
		if code, out := e.do(t, "PUT", path, e.token, bad.body); code != bad.code {
			t.Errorf("%s: %d %v, want %d", bad.body, code, out, bad.code)
		}
	}
	code, out := e.do(t, "PUT", path, e.token, fmt.Sprintf(`{"level_id":%d,"handling":"approve"}`, lvl))
	if code != 200 || out["open"] != false || out["handling"] != "approve" || out["level"] != "城市合伙人" {
		t.Fatalf("set: %d %v", code, out)
	}
	join := fmt.Sprintf(`[{"id":"j1","type":"member_joined","group":"g1","time":%q,"sender":{"id":"u2","name":"新人"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", join); code != 200 {
		t.Fatalf("join: %d %v", code, out)
	}
	code, out = e.do(t, "GET", "/api/v1/eligibility-cases?status=pending", e.read, "")
	cases, _ := out["cases"].([]any)
	if code != 200 || len(cases) != 1 || cases[0].(map[string]any)["person"] != "新人" {
		t.Fatalf("cases: %d %v", code, out)
	}
	id := int(cases[0].(map[string]any)["id"].(float64))
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/eligibility-cases/%d/decision", id), e.token, `{}`); code != 400 {
		t.Fatalf("a decision without approve: %d", code)
	}
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/eligibility-cases/%d/decision", id), e.token, `{"approve":false}`); code != 200 {
		t.Fatalf("reject: %d %v", code, out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/eligibility-cases?status=bogus", e.read, ""); code != 400 {
		t.Fatalf("bad status: %d", code)
	}
	if code, out := e.do(t, "DELETE", path, e.token, ""); code != 200 || out["open"] != true {
		t.Fatalf("clear: %d %v", code, out)
	}
	if code, _ := e.do(t, "DELETE", path, e.token, ""); code != 404 {
		t.Fatalf("clearing twice: %d", code)
	}
}

func TestMergeAndGrowthAPI(t *testing.T) {
	e := newEnv(t)
	var evs []string
	for i, u := range []string{"u1", "u2"} {
		evs = append(evs, fmt.Sprintf(`{"id":"m%d","type":"message","group":"g1","time":%q,"sender":{"id":%q,"name":"同一人"},"message":{"id":"x%d","kind":"text","text":"hi"}}`,
			i, time.Now().Format(time.RFC3339), u, i))
	}
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", "["+strings.Join(evs, ",")+"]"); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", gid), e.token, "")
	ms := out["members"].([]any)
	a, b := int(ms[0].(map[string]any)["person_id"].(float64)), int(ms[1].(map[string]any)["person_id"].(float64))
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/people/%d/merge", a), e.read, fmt.Sprintf(`{"into":%d}`, b)); code != 403 {
		t.Fatalf("a read token merged: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/people/%d/merge", a), e.token, `{}`); code != 400 {
		t.Fatalf("no into: %d", code)
	}
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/people/%d/merge", a), e.token, fmt.Sprintf(`{"into":%d}`, b)); code != 200 {
		t.Fatalf("merge: %d %v", code, out)
	}
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", gid), e.token, "")
	if ms := out["members"].([]any); len(ms) != 1 {
		t.Fatalf("members after the merge: %v", out)
	}
	// The merged identity keeps posting as the kept person.
	ev := fmt.Sprintf(`[{"id":"m9","type":"message","group":"g1","time":%q,"sender":{"id":"u1"},"message":{"id":"x9","kind":"text","text":"again"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
		t.Fatalf("after the merge: %d %v", code, out)
	}
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", gid), e.token, "")
	if ms := out["members"].([]any); len(ms) != 1 {
		t.Fatalf("a message from the merged identity made a second member: %v", out)
	}
	_, out = e.do(t, "POST", "/api/v1/campaigns", e.token, `{"name":"海报"}`)
	cid := int(out["id"].(float64))
	if code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/campaigns/%d/growth", cid), e.read, ""); code != 200 || out["members"] != 0.0 || out["k_factor"] != 0.0 {
		t.Fatalf("growth: %d %v", code, out)
	}
	if code, _ := e.do(t, "GET", "/api/v1/campaigns/999/growth", e.read, ""); code != 404 {
		t.Fatalf("unknown campaign: %d", code)
	}
}

func TestAppealsAPI(t *testing.T) {
	e := newEnv(t)
	ev := fmt.Sprintf(`[{"id":"a1","type":"message","group":"g1","time":%q,"sender":{"id":"u1","name":"老王"},"message":{"id":"x1","kind":"text","text":"hi"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", gid), e.token, "")
	pid := int(out["members"].([]any)[0].(map[string]any)["person_id"].(float64))
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/people/%d/ban", pid), e.token, `{"reason":"广告"}`); code != 200 {
		t.Fatalf("ban: %d %v", code, out)
	}
	code, out := e.do(t, "POST", "/api/v1/appeals", e.token, fmt.Sprintf(`{"person_id":%d,"text":"我错了"}`, pid))
	if code != 201 && code != 200 {
		t.Fatalf("file: %d %v", code, out)
	}
	code, out = e.do(t, "GET", "/api/v1/appeals?status=open", e.read, "")
	list, _ := out["appeals"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["person"] != "老王" || list[0].(map[string]any)["banned"] != true {
		t.Fatalf("open appeals: %d %v", code, out)
	}
	id := int(list[0].(map[string]any)["id"].(float64))
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/appeals/%d/decision", id), e.token, `{"accept":true,"note":"初犯"}`); code != 200 {
		t.Fatalf("decide: %d %v", code, out)
	}
	_, out = e.do(t, "GET", "/api/v1/appeals", e.read, "")
	if a := out["appeals"].([]any)[0].(map[string]any); a["status"] != "accepted" || a["banned"] != false {
		t.Fatalf("after accepting: %v", a)
	}
	if code, _ := e.do(t, "GET", "/api/v1/appeals?status=maybe", e.read, ""); code != 400 {
		t.Fatalf("bad status: %d", code)
	}
}
