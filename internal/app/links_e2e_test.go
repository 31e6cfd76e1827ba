package app_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestShortLinksEndToEnd: qunzhu serve with server.base_url set sends a
// planned push with its link as a short link under the base; following it
// over HTTP redirects to exactly the stored address (whatever the request
// adds), counting the click; unknown codes and anything that is not one of
// ours is a 404 that leads nowhere; the clicks show in the push responses
// of the API and on the console's push calendar.
func TestShortLinksEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	// A port of its own, so that the base is where it listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr
	cfgPath := filepath.Join(dir, "qunzhu.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	withBase := strings.Replace(string(cfg), `addr = "127.0.0.1:0"`, fmt.Sprintf("addr = %q\nbase_url = %q", addr, base), 1)
	if withBase == string(cfg) {
		t.Fatal("the test config has no server address to replace")
	}
	if err := os.WriteFile(cfgPath, []byte(withBase), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "serve", "--migrate")
	admin := adminToken(t, dir)

	ev := fmt.Sprintf(`[{"id":"m1","type":"message","group":"g1","group_name":"阳新学员群","time":%q,"sender":{"id":"u1","name":"学员"},"message":{"id":"x1","kind":"text","text":"早上好"}}]`,
		time.Now().Add(-time.Hour).Format(time.RFC3339))
	if code, out := call(t, "POST", p.url+"/api/v1/events", bridgeToken, ev); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	article := "https://mp.weixin.qq.com/s/Ab-9_x?idx=1&sn=77&chksm=3#wechat_redirect"
	_, out := call(t, "POST", p.url+"/api/v1/scripts", admin, fmt.Sprintf(`{"title":"今日推荐","body":"看这篇：%s 很实用。\n有问题群里问。"}`, article))
	id := int(out["id"].(float64))
	if code, out := call(t, "PUT", p.url+"/api/v1/settings/content", admin, `{"self_approval":true}`); code != 200 {
		t.Fatalf("allow self-approval: %d %v", code, out)
	}
	for _, step := range [][2]string{{"submitted", "contributor"}, {"in_review", "reviewer"}, {"approved", "reviewer"}} {
		if code, out := call(t, "POST", fmt.Sprintf("%s/api/v1/scripts/%d/transitions", p.url, id), admin, fmt.Sprintf(`{"to":%q,"role":%q}`, step[0], step[1])); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	if code, out := call(t, "POST", p.url+"/api/v1/pushes", admin, fmt.Sprintf(`{"script_id":%d,"kind":"custom","at":%q}`, id, time.Now().Add(-time.Minute).Format(time.RFC3339))); code != 201 {
		t.Fatalf("plan: %d %v", code, out)
	}

	// The scheduler hands the push over; the bridge pulls its text.
	linkRE := regexp.MustCompile(regexp.QuoteMeta(base) + `/l/([A-Za-z0-9]+)`)
	var text string
	for deadline := time.Now().Add(30 * time.Second); text == ""; {
		_, res := call(t, "GET", p.url+"/api/v1/actions", bridgeToken, "")
		acts, _ := res["actions"].([]any)
		for _, a := range acts {
			if s, _ := a.(map[string]any)["text"].(string); strings.Contains(s, "看这篇") {
				text = s
			}
		}
		if text == "" && time.Now().After(deadline) {
			t.Fatalf("no push sent in 30 s: %v\n%s", res, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := linkRE.FindStringSubmatch(text)
	if m == nil || strings.Contains(text, article) || !strings.Contains(text, "看这篇：") {
		t.Fatalf("the push's text: %q", text)
	}
	link, code := m[0], m[1]

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("User-Agent", "e2e-phone")
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	// The link as sent, and with whatever a request adds: the stored
	// address, exactly.
	clicks := 0
	for _, u := range []string{link, link + "?to=https://evil.example/", link + "?url=" + url.QueryEscape("https://evil.example/") + "#x"} {
		status, loc := get(u)
		if status != http.StatusFound || loc != article {
			t.Fatalf("GET %s: %d → %q, want 302 → %q", u, status, loc, article)
		}
		clicks++
	}
	// Unknown codes and anything else under /l/: not found — at most after
	// the router cleaning the path on this site — and never off the site.
	site, _ := url.Parse(p.url)
	for _, path := range []string{"/l/AAAAAAAAAA", "/l/" + code + "x", "/l/" + code[:len(code)-1] + "-", "/l/" + code + "/https://evil.example",
		"/l/https:%2F%2Fevil.example", "/l/%2F%2Fevil.example", "/l/..%2F..%2Fapi%2Fv1%2Fgroups", "/l/"} {
		status, loc := get(p.url + path)
		if status >= 300 && status < 400 {
			to, err := url.Parse(loc)
			if err != nil || status == http.StatusFound {
				t.Fatalf("GET %s: %d → %q", path, status, loc)
			}
			if to = site.ResolveReference(to); to.Host != site.Host {
				t.Fatalf("GET %s: %d → %q, off the site", path, status, loc)
			}
			status, loc = get(to.String())
		}
		if status != http.StatusNotFound || loc != "" {
			t.Errorf("GET %s: %d → %q, want 404", path, status, loc)
		}
	}

	// The push's responses tell the clicks: all three from one visitor.
	_, res := call(t, "GET", p.url+"/api/v1/pushes/responses?days=1", admin, "")
	pushes, _ := res["pushes"].([]any)
	groups, _ := res["links"].([]any)
	if len(pushes) != 1 || len(groups) != 1 {
		t.Fatalf("responses: %v", res)
	}
	push, group := pushes[0].(map[string]any), groups[0].(map[string]any)
	if push["links"] != 1.0 || push["clicks"] != float64(clicks) || push["visitors"] != 1.0 ||
		group["group"] != "阳新学员群" || group["pushes"] != 1.0 || group["clicks"] != float64(clicks) || group["visitors"] != 1.0 {
		t.Fatalf("the push's clicks: %v; the group's: %v", push, group)
	}

	// And the console's push calendar.
	c := newConsoleClient(t, p.url)
	if status, loc := c.login("admin", adminPassword(t, dir), "/pushes"); status != 303 || loc != "/pushes" {
		t.Fatalf("login: %d %s", status, loc)
	}
	status, _, page := c.do("GET", "/pushes", nil)
	if status != 200 || !strings.Contains(page, fmt.Sprintf(`class="push-clicks">%d 次 · 1 人`, clicks)) || !strings.Contains(page, `id="link-clicks"`) {
		t.Fatalf("the push calendar: %d\n%s", status, page)
	}
	p.stop(t)
}
