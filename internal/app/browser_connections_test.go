package app_test

// The connections' workflow in a browser: from a fresh `qunzhu serve`
// whose qunzhu.toml names no connection, a new operator follows the
// dashboard's checklist, connects a Telegram bot (the project's fake Bot
// API) and a QQ account (a OneBot implementation played by the test),
// and an ad posted in each group is deleted and its author warned —
// without a file edited. A secretary can neither see nor change the
// connections.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
)

// longPoll is the project's fake Bot API with getUpdates as Telegram
// answers it: from the offset asked (an update is handed out until a
// later offset confirms it, so a poll cut short by a stop loses nothing)
// and held until an update comes or the poll's timeout ends.
type longPoll struct {
	*fakeBotAPI
	done chan struct{}

	mu      sync.Mutex
	updates []string // update i has update_id i+1
}

func (l *longPoll) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/bot"+botToken+"/getUpdates" {
		l.fakeBotAPI.ServeHTTP(w, r)
		return
	}
	var p struct {
		Offset  int `json:"offset"`
		Timeout int `json:"timeout"`
	}
	json.NewDecoder(r.Body).Decode(&p)
	until := time.Now().Add(time.Duration(p.Timeout) * time.Second)
	var ups []string
	for {
		l.mu.Lock()
		if p.Offset <= len(l.updates) {
			ups = l.updates[max(p.Offset-1, 0):]
		}
		l.mu.Unlock()
		if len(ups) > 0 || time.Now().After(until) {
			break
		}
		select {
		case <-l.done:
			until = time.Time{}
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"result":[%s]}`, strings.Join(ups, ","))
}

// ad queues an ad in the fake's group (message id), from its own member.
func (l *longPoll) ad(id int) {
	l.mu.Lock()
	l.updates = append(l.updates, fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"王","last_name":"五"},"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"},"date":%d,"text":"加 薇 信 abc1688 领 免 费 资 料"}}`,
		len(l.updates)+1, id, 470+id, time.Now().Unix()))
	l.mu.Unlock()
}

func TestBrowserConnections(t *testing.T) {
	chrome := chromium(t)
	api := &fakeBotAPI{}
	lp := &longPoll{fakeBotAPI: api, done: make(chan struct{})}
	apiSrv := httptest.NewServer(lp)
	defer apiSrv.Close()
	defer close(lp.done)

	// A fresh installation: no connection in the file.
	dir := t.TempDir()
	cfg := "[server]\naddr = \"127.0.0.1:0\"\n[data]\ndir = \"data\"\n[dispatcher]\nbackoff_base = \"50ms\"\npoll_interval = \"20ms\"\n"
	if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := start(t, dir, "serve", "--migrate")
	raw, err := os.ReadFile(filepath.Join(dir, "data", "admin.password"))
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(raw))
	admin := adminToken(t, dir)
	tab := newBrowser(t, chrome)
	phone := func(p *page) { p.do("phone-sized", chromedp.EmulateViewport(390, 844)) }

	subtest(t, tab, srv.url, "Checklist", func(p *page) {
		phone(p)
		p.openAs("/", password)
		if got := p.texts("#setup li"); len(got) != 4 || !strings.Contains(p.text("#setup h2"), "0 / 4") {
			p.t.Fatalf("the checklist of a fresh installation: %q (%s)", got, p.text("#setup h2"))
		}
		if cls := eval[string](p, `document.querySelector('#setup-connect').className`); cls != "" {
			p.t.Fatalf("connect is ticked before anything is connected: %q", cls)
		}
		p.capture("connections-checklist")
		p.submit(`#setup-connect a`)
		if loc := p.location(); loc.Path != "/connections" {
			p.t.Fatalf("the first step leads to %s", loc)
		}
		if !strings.Contains(p.text("#conn-list"), "还没有平台连接") {
			p.t.Fatalf("the connections page of a fresh installation: %q", p.text("#conn-list"))
		}
	})

	subtest(t, tab, srv.url, "Telegram", func(p *page) {
		phone(p)
		p.openAs("/connections", password)
		p.submit("#add-telegram")
		if h := p.text("main h1"); h != "连接 Telegram 机器人" {
			p.t.Fatalf("the Telegram form: %q", h)
		}
		p.typeIn(`#conn-form input[name=name]`, "tg")
		p.set(`#conn-form input[name=api_url]`, apiSrv.URL)
		p.capture("connections-telegram-form")
		// A token Telegram refuses: the form again, saying so.
		p.typeIn(`#conn-form input[name=bot_token]`, "987654321:AAEabcdefghijklmnopqrstuvwxyz012345")
		p.submit("#conn-save")
		if e := p.text(`#conn-form .error`); !strings.Contains(e, "平台拒绝了这个令牌") {
			p.t.Fatalf("a refused token shows %q", e)
		}
		if v := eval[string](p, `document.querySelector('#conn-form input[name=name]').value`); v != "tg" {
			p.t.Fatalf("the name is not kept: %q", v)
		}
		p.set(`#conn-form input[name=api_url]`, apiSrv.URL)
		p.typeIn(`#conn-form input[name=bot_token]`, botToken)
		p.submit("#conn-save")
		if loc := p.location(); loc.Path != "/connections/tg" {
			p.t.Fatalf("after connecting: %s (%s)", loc, p.text("main"))
		}
		if f := p.text("#flash"); f != "已连接。" {
			p.t.Fatalf("flash %q", f)
		}
		link := eval[string](p, `document.querySelector('#add-link').href`)
		if !strings.HasPrefix(link, "https://t.me/qunzhu_bot?startgroup=") {
			p.t.Fatalf("the add-to-group link: %q", link)
		}
		if tok := p.text("#conn-settings"); strings.Contains(tok, "AAEabcdef") {
			p.t.Fatal("the page shows the bot token")
		}
		// The connection runs: an ad in a group is deleted and its author
		// warned.
		lp.ad(301)
		waitFor(p.t, "the Telegram ad deleted and its author warned", 30*time.Second, func() bool {
			return len(api.callsOf("deleteMessage")) == 1 && len(api.callsOf("sendMessage")) == 1
		})
		if d := api.callsOf("deleteMessage")[0]; !strings.Contains(d, `"message_id":301`) {
			p.t.Fatalf("deleted %s", d)
		}
		// The state on the page, and the holder: this replica.
		for deadline := time.Now().Add(15 * time.Second); ; {
			p.open("/connections/tg")
			if p.text("#conn-state") == "正常" {
				break
			}
			if time.Now().After(deadline) {
				p.t.Fatalf("tg's state: %q %q", p.text("#conn-state"), p.text("#conn-problem"))
			}
			time.Sleep(300 * time.Millisecond)
		}
		if h := p.text("#conn-holder"); !strings.Contains(h, "本副本") {
			p.t.Fatalf("the holder: %q", h)
		}
		p.capture("connections-telegram-connected")
	})

	subtest(t, tab, srv.url, "StopStartRestart", func(p *page) {
		phone(p)
		p.openAs("/connections/tg", password)
		// Stopping asks first, naming the group that stays.
		p.submit("#conn-stop")
		if q := p.text("main"); !strings.Contains(q, "停用连接 tg？它的 1 个群") {
			p.t.Fatalf("the question: %q", q)
		}
		p.submit(`section.confirm form button[type=submit]`)
		if f := p.text("#flash"); f != "连接已停用。" || p.text("#conn-state") != "已停用" {
			p.t.Fatalf("after stopping: %q, %q", f, p.text("#conn-state"))
		}
		// Stopped, it reads nothing: an ad waits.
		lp.ad(302)
		time.Sleep(3 * time.Second)
		if n := len(api.callsOf("deleteMessage")); n != 1 {
			p.t.Fatalf("a stopped connection acted: %d deletes", n)
		}
		// Started again, without restarting qunzhu, it reads on from where
		// it stopped.
		p.submit("#conn-start")
		waitFor(p.t, "the ad sent while stopped deleted", 30*time.Second, func() bool { return len(api.callsOf("deleteMessage")) == 2 })
		p.open("/connections/tg")
		p.submit("#conn-restart")
		if f := p.text("#flash"); f != "连接正在重启。" {
			p.t.Fatalf("after a restart: %q", f)
		}
		lp.ad(303)
		waitFor(p.t, "an ad after the restart deleted", 30*time.Second, func() bool { return len(api.callsOf("deleteMessage")) == 3 })
		if d := strings.Join(api.callsOf("deleteMessage"), " "); !strings.Contains(d, `"message_id":302`) || !strings.Contains(d, `"message_id":303`) {
			p.t.Fatalf("deleted: %s", d)
		}
	})

	var qqGroup string
	subtest(t, tab, srv.url, "OneBot", func(p *page) {
		phone(p)
		p.openAs("/connections/new?platform=onebot", password)
		p.typeIn(`#conn-form input[name=name]`, "qq")
		p.submit("#conn-save")
		token := p.text("#secret-access_token")
		wsURL := p.text("#connect-url")
		if len(token) < 16 || !strings.HasSuffix(wsURL, "/connect/qq") || !strings.HasPrefix(wsURL, "ws://") {
			p.t.Fatalf("the token %q and address %q", token, wsURL)
		}
		p.capture("connections-onebot-token")
		p.submit("#secret-done")
		if strings.Contains(p.text("main"), token) {
			p.t.Fatal("the token is shown again")
		}
		if s := p.text("#ob-state"); !strings.Contains(s, "等待") {
			p.t.Fatalf("before NapCat connects: %q", s)
		}
		// NapCat connects with the address and the token shown.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}, "X-Self-ID": {"10001"}, "X-Client-Role": {"Universal"}}})
		if err != nil {
			p.t.Fatal(err)
		}
		defer ws.CloseNow()
		// The page looks again by itself until it says connected.
		for deadline := time.Now().Add(30 * time.Second); ; {
			s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`((document.querySelector('#ob-state') || {}).textContent || "").trim()`))
			if err == nil && s == "已连接" {
				break
			}
			if time.Now().After(deadline) {
				p.t.Fatalf("the page still says %q (%v) with NapCat connected", s, err)
			}
			time.Sleep(300 * time.Millisecond)
		}
		p.capture("connections-onebot-connected")
		ad := fmt.Sprintf(`{"time":%d,"self_id":10001,"post_type":"message","message_type":"group","sub_type":"normal","message_id":-61,"group_id":735001207,"user_id":20005,"message":"加 薇 信 abc1688 领 免 费 资 料","raw_message":"加 薇 信 abc1688 领 免 费 资 料","font":0,"sender":{"user_id":20005,"nickname":"卖货郎","card":"","role":"member"}}`, time.Now().Unix())
		if err := ws.Write(ctx, websocket.MessageText, []byte(ad)); err != nil {
			p.t.Fatal(err)
		}
		var calls []string
		for !strings.Contains(strings.Join(calls, " "), "delete_msg") || !strings.Contains(strings.Join(calls, " "), "send_group_msg") {
			_, frame, err := ws.Read(ctx)
			if err != nil {
				p.t.Fatalf("waiting for qunzhu to act on the ad: %v (got %q)", err, calls)
			}
			var call struct {
				Action string          `json:"action"`
				Params json.RawMessage `json:"params"`
				Echo   json.RawMessage `json:"echo"`
			}
			json.Unmarshal(frame, &call)
			calls = append(calls, call.Action+" "+string(call.Params))
			reply := fmt.Sprintf(`{"status":"ok","retcode":0,"data":{"message_id":%d},"echo":%s}`, 950+len(calls), call.Echo)
			if err := ws.Write(ctx, websocket.MessageText, []byte(reply)); err != nil {
				p.t.Fatal(err)
			}
		}
		if all := strings.Join(calls, "\n"); !strings.Contains(all, `"message_id":-61`) {
			p.t.Fatalf("qunzhu's calls: %s", all)
		}
		ws.Close(websocket.StatusNormalClosure, "bye")
		_, out := call(p.t, "GET", p.base+"/api/v1/groups", admin, "")
		for _, g := range out["groups"].([]any) {
			if g := g.(map[string]any); g["connection"] == "qq" {
				qqGroup = fmt.Sprint(g["id"])
			}
		}
	})

	subtest(t, tab, srv.url, "ChecklistTicks", func(p *page) {
		phone(p)
		p.openAs("/", password)
		done := eval[[]string](p, `[...document.querySelectorAll('#setup li.done')].map(li => li.id)`)
		if strings.Join(done, ",") != "setup-connect,setup-add_bot" {
			p.t.Fatalf("ticked with two connections and two groups: %v", done)
		}
		// A group given its kind (through the API here: the group forms
		// are another page's) ticks the third step.
		if code, out := call(p.t, "PATCH", p.base+"/api/v1/groups/"+qqGroup, admin, `{"kind":"cohort"}`); code != 200 {
			p.t.Fatalf("set the kind: %d %v", code, out)
		}
		p.open("/")
		if n := len(p.texts("#setup li.done")); n != 3 {
			p.t.Fatalf("after the kind: %d ticked", n)
		}
		p.capture("connections-checklist-ticked")
		p.open("/connections")
		if rows := p.texts("table#connections tbody tr"); len(rows) != 2 {
			p.t.Fatalf("the connections: %q", rows)
		}
		p.capture("connections-list")
	})

	subtest(t, tab, srv.url, "Secretary", func(p *page) {
		cmd := exec.Command(binary, "user", "add", "sec", "--role", "secretary", "--group", qqGroup)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "QUNZHU_CONFIG=")
		out, err := cmd.CombinedOutput()
		m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
		if err != nil || m == nil {
			p.t.Fatalf("user add: %v\n%s", err, out)
		}
		p.openAs("/", password)
		if p.text("#setup") != "" {
			p.t.Fatal("the checklist stays with a staff account invited")
		}
		p.submit(`form[action="/logout"] button`)
		p.open("/")
		p.login("sec", string(m[1]))
		if links := eval[int](p, `document.querySelectorAll('a[href="/connections"]').length`); links != 0 {
			p.t.Fatalf("the secretary is offered the connections (%d links)", links)
		}
		p.open("/connections")
		if h := p.text("main h1"); !strings.Contains(h, "不能管理平台连接") {
			p.t.Fatalf("the connections page for the secretary: %q", h)
		}
		p.open("/connections/tg")
		if h := p.text("main h1"); !strings.Contains(h, "不能管理平台连接") || strings.Contains(p.text("main"), "qunzhu_bot") {
			p.t.Fatalf("a connection's page for the secretary: %q", h)
		}
		// A form posted anyway (with her own CSRF token) is refused, and
		// the connection runs on.
		p.open("/")
		status := eval[int](p, `(() => {
			const csrf = document.querySelector('input[name=csrf]').value;
			const x = new XMLHttpRequest();
			x.open('POST', '/connections/tg/stop', false);
			x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
			x.send('confirm=yes&csrf=' + encodeURIComponent(csrf));
			return x.status;
		})()`)
		if status != 403 {
			p.t.Fatalf("the secretary stopping tg: %d, want 403", status)
		}
		p.submit(`form[action="/logout"] button`)
		p.openAs("/connections", password)
		if s := p.text("#conn-tg .badge"); s != "正常" {
			p.t.Fatalf("tg after the secretary's attempt: %q", s)
		}
	})
	srv.stop(t)
}
