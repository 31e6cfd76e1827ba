package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/clientip"
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

// TestJoinLinkLimit: one client may open 30 join links a minute — guessing
// codes stops there — while another client is not held up; an invite code
// can be replaced by a generated one, and the old one stops working.
func TestJoinLinkLimit(t *testing.T) {
	e := newEnv(t)
	_, out := e.do(t, "POST", "/api/v1/campaigns", e.token, `{"name":"海报"}`)
	cid := int(out["id"].(float64))
	code, out := e.do(t, "POST", "/api/v1/invite-codes", e.token, fmt.Sprintf(`{"campaign_id":%d,"code":"POSTER2026"}`, cid))
	if code != 201 {
		t.Fatalf("code: %d %v", code, out)
	}
	id := int(out["id"].(float64))
	open := func(path, from string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("X-Forwarded-For", from) // not believed: no proxy is trusted
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "60" {
			t.Fatalf("429 without Retry-After: %v", resp.Header)
		}
		return resp.StatusCode
	}
	codes := map[int]int{}
	for i := range 35 {
		codes[open(fmt.Sprintf("/join/GUESS%03d", i), fmt.Sprint("203.0.113.", i))]++
	}
	if codes[404] != 30 || codes[429] != 5 {
		t.Fatalf("35 guesses in a minute: %v, want 30 answered and 5 refused", codes)
	}
	// Behind a trusted proxy, each client has its own limit.
	proxy, _ := clientip.New([]string{"192.0.2.1"}) // httptest.NewRequest's peer
	h := (&api.Server{Store: e.db, Admin: e.db, ClientAddr: proxy.Addr}).Handler()
	behind := func(client string) int {
		req := httptest.NewRequest("GET", "/join/GUESS999", nil)
		req.Header.Set("X-Forwarded-For", client)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for range 30 {
		behind("198.51.100.1")
	}
	if behind("198.51.100.1") != 429 || behind("198.51.100.2") != 404 {
		t.Fatal("behind a trusted proxy, clients share one limit")
	}
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/invite-codes/%d/regenerate", id), e.read, ""); code != 403 {
		t.Fatalf("a read token regenerated a code: %d %v", code, out)
	}
	code, out = e.do(t, "POST", fmt.Sprintf("/api/v1/invite-codes/%d/regenerate", id), e.token, "")
	if code != 201 || len(out["code"].(string)) != 8 || out["replaced"] != float64(id) {
		t.Fatalf("regenerate: %d %v", code, out)
	}
	if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/invite-codes/%d/regenerate", id), e.token, ""); code != 409 {
		t.Fatalf("regenerating a replaced code: %d %v", code, out)
	}
	if code, out := e.do(t, "POST", "/api/v1/invite-codes/99999/regenerate", e.token, ""); code != 404 {
		t.Fatalf("an unknown code: %d %v", code, out)
	}
}
