package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// fakeConns is the service's side of the connections pages: a file
// connection "wx" and those the console adds, kept in memory. A Telegram
// token "refused" is refused as Telegram would.
type fakeConns struct {
	mu    sync.Mutex
	conns map[string]console.ConnectionStatus
	log   []string
}

func newFakeConns() *fakeConns {
	return &fakeConns{conns: map[string]console.ConnectionStatus{
		"wx": {Name: "wx", Platform: "wecom", ConnectionDetail: console.ConnectionDetail{Source: "file", Enabled: true, State: console.ConnOK, Holder: "web-1", HeldHere: true,
			Settings: map[string]string{"corp_id": "ww0123", "secret": "••••cret"}}},
	}}
}

func (f *fakeConns) statuses() []console.ConnectionStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []console.ConnectionStatus
	for _, c := range f.conns {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name > out[j].Name }) // the console sorts
	return out
}

func refuse(field, reason string) error {
	return &errkind.Error{Kind: errkind.Invalid, Message: reason, Err: &console.ConnectionError{Field: field, Reason: reason}}
}

func (f *fakeConns) CreateConnection(_ context.Context, in console.ConnectionInput) (console.ConnectionCreated, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.conns[in.Name]; ok {
		return console.ConnectionCreated{}, refuse("name", "conn_err_name_taken")
	}
	c := console.ConnectionStatus{Name: in.Name, Platform: in.Platform, ConnectionDetail: console.ConnectionDetail{Source: "console", Enabled: true, State: console.ConnWaiting,
		Settings: map[string]string{}, Info: map[string]string{}}}
	var out console.ConnectionCreated
	switch in.Platform {
	case "telegram":
		if in.Fields["bot_token"] == "refused" {
			return out, refuse("bot_token", "conn_err_token_refused")
		}
		c.Settings["bot_token"], c.Settings["mode"] = "••••2345", in.Fields["mode"]
		c.Info["bot_username"], c.AddLink, c.State = "qunzhu_bot", "https://t.me/qunzhu_bot?startgroup=qunzhu", console.ConnOK
	case "onebot":
		c.Settings["access_token"] = "••••7890"
		out.Secrets = []console.Revealed{{Key: "access_token", Value: "generated-token-01234567890"}}
	}
	f.conns[in.Name] = c
	f.log = append(f.log, "create "+in.Name+" by "+in.Actor)
	out.Name = in.Name
	return out, nil
}

func (f *fakeConns) UpdateConnection(_ context.Context, name string, in console.ConnectionInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.Fields["bot_token"] == "refused" {
		return refuse("bot_token", "conn_err_token_refused")
	}
	c := f.conns[name]
	c.Settings["mode"] = in.Fields["mode"]
	f.conns[name] = c
	f.log = append(f.log, "edit "+name)
	return nil
}

func (f *fakeConns) RestartConnection(_ context.Context, name, actor string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "restart "+name)
	return nil
}

func (f *fakeConns) SetConnectionEnabled(_ context.Context, name string, on bool, actor string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.conns[name]
	c.Enabled = on
	c.State = console.ConnStopped
	f.conns[name] = c
	f.log = append(f.log, "enabled "+name+" "+map[bool]string{true: "on", false: "off"}[on])
	return nil
}

func (f *fakeConns) DeleteConnection(_ context.Context, name, actor string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, name)
	f.log = append(f.log, "delete "+name)
	return nil
}

func (f *fakeConns) RenewConnectionSecret(_ context.Context, name, actor string) (console.ConnectionCreated, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "token "+name)
	return console.ConnectionCreated{Name: name, Secrets: []console.Revealed{{Key: "access_token", Value: "renewed-token-01234567890"}}}, nil
}

func (f *fakeConns) did() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, "; ")
}

// connWorld is the world with the connections pages.
func connWorld(t *testing.T) (*world, *fakeConns) {
	w := newWorld(t)
	f := newFakeConns()
	w.srv.ConnAdmin, w.srv.Connections, w.srv.Setup, w.srv.Accounts, w.srv.BaseURL = f, f.statuses, w.db, w.db, "https://qz.example.com"
	hs := httptest.NewServer(w.srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w, f
}

func TestConnectionsPages(t *testing.T) {
	w, f := connWorld(t)
	c := w.user()
	list := w.page(c, "/connections")
	contains(t, "the connections page", list, `id="conn-wx"`, "配置文件（只读）", "web-1", "本副本", `href="/connections/new?platform=telegram"`, "连接 QQ（NapCat / Lagrange）")

	// Telegram: a refused token is a 400 with the form again, saying why
	// in the reader's language, keeping the name and not the token.
	code, body := w.post(c, "/connections/new?platform=telegram", "/connections", url.Values{"platform": {"telegram"}, "name": {"tg"}, "bot_token": {"refused"}, "mode": {"polling"}}, true)
	if code != 400 || !strings.Contains(body, "平台拒绝了这个令牌") || !strings.Contains(body, `value="tg"`) || strings.Contains(body, "refused") {
		t.Fatalf("a refused token: %d\n%s", code, body)
	}
	code, body = w.post(c, "/connections/new?platform=telegram", "/connections", url.Values{"platform": {"telegram"}, "name": {"tg"}, "bot_token": {"123456789:AAEabcdefghijklmnopqrstuvwxyz012345"}, "mode": {"polling"}}, true)
	if code != 200 || !strings.Contains(body, "已连接。") || !strings.Contains(body, `id="add-link"`) || !strings.Contains(body, "https://t.me/qunzhu_bot?startgroup=qunzhu") || strings.Contains(body, "AAEabcdef") {
		t.Fatalf("connected: %d\n%s", code, body)
	}
	// A name is used once.
	if code, body := w.post(c, "/connections/new?platform=onebot", "/connections", url.Values{"platform": {"onebot"}, "name": {"tg"}}, true); code != 400 || !strings.Contains(body, "已有同名的连接") {
		t.Fatalf("a taken name: %d\n%s", code, body)
	}
	// OneBot: the generated token is shown once, with the reverse
	// WebSocket address; the page after shows its last four characters
	// only, and looks again until NapCat connects.
	code, body = w.post(c, "/connections/new?platform=onebot", "/connections", url.Values{"platform": {"onebot"}, "name": {"qq"}, "self_id": {"10001"}}, true)
	if code != 201 || !strings.Contains(body, `<code id="secret-access_token">generated-token-01234567890</code>`) || !strings.Contains(body, "wss://qz.example.com/connect/qq") || !strings.Contains(body, "只显示这一次") {
		t.Fatalf("onebot created: %d\n%s", code, body)
	}
	resp, err := c.Get(w.url + "/connections/qq")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Refresh") == "" {
		t.Fatal("the OneBot page waiting for NapCat does not look again")
	}
	again := w.page(c, "/connections/qq")
	if m := regexp.MustCompile(`id="conn-form">\s*<input type="hidden" name="csrf" value="([^"]*)"`).FindStringSubmatch(again); m == nil || m[1] == "" {
		t.Fatal("the edit form carries no CSRF token")
	}
	if strings.Contains(again, "generated-token") || !strings.Contains(again, "••••7890") || !strings.Contains(again, "等待 NapCat / Lagrange 连接") {
		t.Fatalf("the OneBot page after:\n%s", again)
	}
	// Edit, restart, stop (asked first), delete (asked first, naming the
	// groups that stay).
	if code, body := w.post(c, "/connections/tg", "/connections/tg", url.Values{"mode": {"polling"}, "bot_token": {""}}, true); code != 200 || !strings.Contains(body, "连接设置已保存") {
		t.Fatalf("edit: %d\n%s", code, body)
	}
	if code, body := w.post(c, "/connections/tg", "/connections/tg", url.Values{"mode": {"polling"}, "bot_token": {"refused"}}, true); code != 400 || !strings.Contains(body, "平台拒绝了这个令牌") {
		t.Fatalf("an edit with a refused token: %d\n%s", code, body)
	}
	if code, body := w.post(c, "/connections/tg", "/connections/tg/restart", url.Values{}, true); code != 200 || !strings.Contains(body, "连接正在重启") {
		t.Fatalf("restart: %d\n%s", code, body)
	}
	if code, body := w.post(c, "/connections/tg", "/connections/tg/stop", url.Values{}, true); code != 200 || !strings.Contains(body, `name="confirm" value="yes"`) || strings.Contains(f.did(), "enabled tg off") {
		t.Fatalf("stop without confirming: %d %s\n%s", code, f.did(), body)
	}
	if code, body := w.post(c, "/connections/tg", "/connections/tg/stop", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(body, "连接已停用") || !strings.Contains(body, `id="conn-start"`) {
		t.Fatalf("stop: %d\n%s", code, body)
	}
	if code, body := w.post(c, "/connections/qq", "/connections/qq/token", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(body, `<code id="secret-access_token">renewed-token-01234567890</code>`) {
		t.Fatalf("a new token: %d\n%s", code, body)
	}
	if code, body := w.post(c, "/connections/qq", "/connections/qq/delete", url.Values{}, true); code != 200 || !strings.Contains(body, "删除连接 qq？它的 0 个群和历史记录都保留") {
		t.Fatalf("delete without confirming: %d\n%s", code, body)
	}
	if code, body := w.post(c, "/connections/qq", "/connections/qq/delete", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(body, "连接已删除") || strings.Contains(body, `id="conn-qq"`) {
		t.Fatalf("delete: %d\n%s", code, body)
	}
	// The file's connection is shown and not changed here; an unknown one
	// is not found.
	file := w.page(c, "/connections/wx")
	contains(t, "the file's connection", file, "这个连接写在 <code>qunzhu.toml</code> 中", "ww0123", "••••cret")
	lacks(t, "the file's connection", file, `id="conn-form"`, `id="conn-delete"`)
	if code, _ := w.post(c, "/connections/wx", "/connections/wx/restart", url.Values{}, true); code != 403 {
		t.Fatalf("restart the file's connection: %d", code)
	}
	if code := w.status(c, "/connections/nope"); code != 404 {
		t.Fatalf("an unknown connection: %d", code)
	}
	if code := w.status(c, "/connections/new?platform=irc"); code != 400 {
		t.Fatalf("an unknown platform: %d", code)
	}
	if got := f.did(); got != "create tg by staff:admin; create qq by staff:admin; edit tg; restart tg; enabled tg off; token qq; delete qq" {
		t.Fatalf("what was done: %s", got)
	}
	// The settings page says who holds each connection, and in what
	// state each is (a stopped one is not "working").
	settings := w.page(c, "/settings")
	contains(t, "the settings page", settings, "持有副本", "web-1", `href="/connections"`, `<span class="badge connst-stopped">已停用</span>`)

	// A group whose connection is gone stays, marked disconnected.
	lacks(t, "a group of a working connection", w.page(c, "/groups/"+itoa(w.cohort.ID)), `id="disconnected"`)
	f.mu.Lock()
	delete(f.conns, "wx")
	f.mu.Unlock()
	contains(t, "a group of a deleted connection", w.page(c, "/groups/"+itoa(w.cohort.ID)), `id="disconnected"`, "未连接")

	// A secretary neither sees nor changes connections.
	sec := w.scoped("sec", access.Secretary, w.region.ID, 0)
	for _, path := range []string{"/connections", "/connections/wx", "/connections/new?platform=telegram"} {
		if code := w.status(sec, path); code != 403 {
			t.Errorf("the secretary opens %s: %d, want 403", path, code)
		}
	}
	csrf := csrfRE.FindStringSubmatch(w.page(sec, "/"))[1]
	for _, path := range []string{"/connections", "/connections/wx/delete", "/connections/tg/start"} {
		resp, err := sec.PostForm(w.url+path, url.Values{"csrf": {csrf}, "platform": {"telegram"}, "name": {"x"}, "confirm": {"yes"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("the secretary posts %s: %d, want 403", path, resp.StatusCode)
		}
	}
	lacks(t, "the secretary's navigation", w.page(sec, "/"), `href="/connections"`, `id="setup"`)
	if got := f.did(); strings.Count(got, ";") != 6 {
		t.Fatalf("the secretary changed something: %s", got)
	}
	w.anonymous(http.MethodPost, "/connections/tg/restart")
}

// TestSetupChecklist: the dashboard leads a new manager through the first
// steps, each ticked from what is there, and goes away once dismissed.
func TestSetupChecklist(t *testing.T) {
	w, f := connWorld(t)
	c := w.user()
	dash := w.page(c, "/")
	// The world has a connection (wx) and groups with their kinds, and
	// one account: only inviting staff is left.
	contains(t, "the checklist", dash, `id="setup"`, "入门清单 · 3 / 4", `<li class="done" id="setup-connect">`, `<li class="done" id="setup-add_bot">`, `<li class="done" id="setup-kind">`, `<li class="" id="setup-staff">`, `href="/settings#accounts"`)
	// Without connections the first step is open and leads to the
	// connections page; a Telegram bot's step 2 leads to its link.
	f.mu.Lock()
	delete(f.conns, "wx")
	f.mu.Unlock()
	contains(t, "the checklist without connections", w.page(c, "/"), `<li class="" id="setup-connect">`, `href="/connections"`)
	w.post(c, "/connections/new?platform=telegram", "/connections", url.Values{"platform": {"telegram"}, "name": {"tg"}, "bot_token": {"123456789:AAEabcdefghijklmnopqrstuvwxyz012345"}}, true)
	contains(t, "the checklist with a bot", w.page(c, "/"), `<li class="done" id="setup-connect">`, "https://t.me/qunzhu_bot?startgroup=qunzhu", "点链接选择群")
	// A staff account ticks the last step; the checklist goes.
	w.scoped("helper", access.Assistant, 0, w.cohort.ID)
	lacks(t, "the dashboard when all is done", w.page(c, "/"), `id="setup"`)
	// Dismissed, it stays away.
	w2, _ := connWorld(t)
	c2 := w2.user()
	contains(t, "a new dashboard", w2.page(c2, "/"), `id="setup"`)
	if code, body := w2.post(c2, "/", "/setup/dismiss", url.Values{}, true); code != 200 || strings.Contains(body, `id="setup"`) || !strings.Contains(body, "已隐藏入门清单") {
		t.Fatalf("dismiss: %d\n%s", code, body)
	}
	lacks(t, "the dashboard after dismissing", w2.page(c2, "/"), `id="setup"`)
}
