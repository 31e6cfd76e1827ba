package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestJoinLinkAPI(t *testing.T) {
	e := newEnv(t)
	ev := fmt.Sprintf(`[{"id":"s1","type":"message","group":"g1","time":%q,"sender":{"id":"u1"},"message":{"id":"x1","kind":"text","text":"hi"}}]`, time.Now().Format(time.RFC3339))
	if code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", ev); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := e.do(t, "GET", "/api/v1/groups", e.token, "")
	gid := int(out["groups"].([]any)[0].(map[string]any)["id"].(float64))
	_, out = e.do(t, "POST", "/api/v1/campaigns", e.token, `{"name":"海报"}`)
	cid := int(out["id"].(float64))
	code, out := e.do(t, "POST", "/api/v1/invite-codes", e.token, fmt.Sprintf(`{"campaign_id":%d,"group_id":%d}`, cid, gid))
	if code != 201 {
		t.Fatalf("code: %d %v", code, out)
	}
	inviteCode := out["code"].(string)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := noRedirect.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	if status, _, body := get("/join/" + inviteCode); status != 200 || !strings.Contains(body, inviteCode) || !strings.Contains(body, "请联系群主") {
		t.Fatalf("without a group link: %d %s", status, body)
	}
	if code, _ := e.do(t, "PUT", fmt.Sprintf("/api/v1/groups/%d/invite-link", gid), e.token, `{"url":"ftp://x"}`); code != 400 {
		t.Fatalf("a bad link: %d", code)
	}
	if code, _ := e.do(t, "PUT", fmt.Sprintf("/api/v1/groups/%d/invite-link", gid), e.read, `{"url":"https://t.me/+x"}`); code != 403 {
		t.Fatalf("a read token set a link: %d", code)
	}
	if code, out := e.do(t, "PUT", fmt.Sprintf("/api/v1/groups/%d/invite-link", gid), e.token, `{"url":"https://t.me/+AbCdEf123"}`); code != 200 {
		t.Fatalf("set link: %d %v", code, out)
	}
	if status, loc, _ := get("/join/" + strings.ToLower(inviteCode)); status != 302 || loc != "https://t.me/+AbCdEf123" {
		t.Fatalf("join link: %d %q", status, loc)
	}
	if status, _, body := get("/join/NOSUCH99"); status != 404 || !strings.Contains(body, "邀请码无效") {
		t.Fatalf("unknown code: %d %s", status, body)
	}
}
