package app_test

// End-to-end tests of the Telegram adapter against telegram-test-api
// (https://github.com/jehy/telegram-test-api, an npm package by others,
// pinned in testdata/telegram-test-api/package-lock.json): a Bot API
// server qunzhu's authors did not write, so the adapter is checked
// against someone else's reading of the Bot API, not only its own fake.
// scripts/test.sh installs it; under CI the tests must run, not skip.
//
// What telegram-test-api cannot do, and where it is covered instead:
//   - it answers getUpdates at once and ignores offset and timeout (the
//     adapter's backoff for such servers is checked here);
//   - it knows only getMe, getUpdates, sendMessage, deleteMessage,
//     setWebhook, deleteWebhook and a few more: restrictChatMember,
//     banChatMember, getWebhookInfo… answer 500 "not supported" (checked
//     here: the reason is logged, the retries back off); the exact
//     parameters of every action are checked against the project's fake
//     (internal/chat/telegram, TestActions);
//   - in webhook mode it posts updates without the secret-token header and
//     keeps no copy, so deleteMessage cannot find them: a proxy here adds
//     the header, the ad's deletion is checked in polling mode, and
//     qunzhu's own setWebhook call (https only) against the fake
//     (TestWebhookRegisters).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testAPIModule finds the installed telegram-test-api and node.
func testAPIModule(t *testing.T) (node, module string) {
	t.Helper()
	dir := os.Getenv("QUNZHU_TEST_TELEGRAM_API")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "qunzhu", "telegram-test-api")
	}
	module = filepath.Join(dir, "node_modules", "telegram-test-api")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(module, "package.json")); err != nil || serr != nil {
		msg := fmt.Sprintf("telegram-test-api not installed in %s (node: %v): scripts/test.sh installs it with npm", dir, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, module
}

// startTestAPI runs telegram-test-api on a free port and returns its URL.
func startTestAPI(t *testing.T) string {
	t.Helper()
	node, module := testAPIModule(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	script, _ := filepath.Abs(filepath.Join("testdata", "telegram-test-api", "server.js"))
	cmd := exec.Command(node, script, fmt.Sprint(port), module)
	out, _ := cmd.StdoutPipe()
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("telegram-test-api stderr:\n%s", logs.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				found <- u
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second):
		t.Fatalf("telegram-test-api did not start:\n%s", logs.String())
	}
	return ""
}

// testAPI is the test's side of telegram-test-api: members posting, and
// what the bot sent and what is left of the members' messages.
type testAPI struct {
	t   *testing.T
	url string
}

type tgMember struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
}

var (
	wangwu  = tgMember{ID: 777, FirstName: "王", LastName: "五"}
	zhao    = tgMember{ID: 778, FirstName: "Admin"}
	tgGroup = map[string]any{"id": -1001234567890, "type": "supergroup", "title": "NF-测试群"}
)

func (c testAPI) post(path string, body any) []byte {
	c.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(c.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
	}
	return out
}

// say posts a tgMember's message in the group, as the Telegram app would;
// date is Unix seconds (0: now).
func (c testAPI) say(from tgMember, text string, date int64) {
	c.t.Helper()
	if date == 0 {
		date = time.Now().Unix()
	}
	msg := map[string]any{"botToken": botToken, "from": from, "chat": tgGroup, "date": date, "text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len([]rune(cmd))}}
	}
	c.post("/sendMessage", msg)
}

// tgStored is a message telegram-test-api holds: the bot's (what it sent)
// or a tgMember's (not deleted).
type tgStored struct {
	MessageID int `json:"messageId"`
	Message   struct {
		From     *tgMember `json:"from"`
		ChatID   any       `json:"chat_id"`
		Text     string    `json:"text"`
		Entities []struct {
			Type   string `json:"type"`
			Offset int    `json:"offset"`
			Length int    `json:"length"`
			User   *struct {
				ID int64 `json:"id"`
			} `json:"user"`
		} `json:"entities"`
		ReplyParameters *struct {
			MessageID int `json:"message_id"`
		} `json:"reply_parameters"`
	} `json:"message"`
}

func (c testAPI) history() (bot, members []tgStored) {
	c.t.Helper()
	var res struct {
		Result []tgStored `json:"result"`
	}
	if err := json.Unmarshal(c.post("/getUpdatesHistory", map[string]any{"token": botToken}), &res); err != nil {
		c.t.Fatal(err)
	}
	for _, s := range res.Result {
		if s.Message.From == nil {
			bot = append(bot, s)
		} else {
			members = append(members, s)
		}
	}
	return bot, members
}

// memberMessage is the id telegram-test-api gave a tgMember's message, or 0
// when it is gone (deleted).
func (c testAPI) memberMessage(text string) int {
	_, members := c.history()
	for _, m := range members {
		if m.Message.Text == text {
			return m.MessageID
		}
	}
	return 0
}

// sentBy waits for the bot's message matching match.
func (c testAPI) sent(what string, match func(tgStored) bool) tgStored {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		bot, _ := c.history()
		for _, b := range bot {
			if match(b) {
				return b
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the bot did not send %s; it sent %+v", what, bot)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mentions reports whether the bot's message starts with a text_mention
// of the tgMember.
func mentions(s tgStored, m tgMember) bool {
	for _, e := range s.Message.Entities {
		if e.Type == "text_mention" && e.Offset == 0 && e.User != nil && e.User.ID == m.ID {
			return true
		}
	}
	return false
}

// callCounter is a transparent proxy in front of telegram-test-api that
// counts the Bot API calls qunzhu makes, by method.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) proxy(t *testing.T, target string) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.n[r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]]++
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (c *callCounter) calls(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}

// TestTelegramPollingAgainstTestAPI: the real binary polls
// telegram-test-api. An ad is deleted and its sender warned with a real
// mention; /rules is answered as a reply, /rules@OtherBot is not; a
// message dated in milliseconds is stored at the time it arrived; the
// mute the second ad earns is a method the server does not support: the
// reason is logged and the retries back off; and the server's instant
// empty answers to getUpdates do not make a hot loop.
func TestTelegramPollingAgainstTestAPI(t *testing.T) {
	tg := testAPI{t: t, url: startTestAPI(t)}
	count := &callCounter{n: map[string]int{}}
	t.Setenv("QUNZHU_DISPATCHER_BACKOFF_BASE", "1s")
	dir := t.TempDir()
	writeConfig(t, dir, telegramConnection(count.proxy(t, tg.url), `mode = "polling"`+"\n"+`poll_timeout = "2s"`))
	began := time.Now()
	p := start(t, dir, "serve", "--migrate")

	tg.say(wangwu, "大家好", 0)
	const ad = "加 薇 信 abc1688 领 免 费 资 料"
	tg.say(wangwu, ad, 0)
	warning := tg.sent("a warning to 王 五", func(s tgStored) bool { return mentions(s, wangwu) })
	if !strings.HasPrefix(warning.Message.Text, "王 五 ") || strings.Contains(warning.Message.Text, "@") {
		t.Errorf("warning %q: want the name as a mention, no plain @name", warning.Message.Text)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tg.memberMessage(ad) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the ad was not deleted\n%s", p.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if tg.memberMessage("大家好") == 0 {
		t.Fatal("a harmless message was deleted")
	}

	// Commands: another bot's is not run, this bot's (TestNameBot) is.
	tg.say(zhao, "/rules@OtherBot", 0)
	tg.say(zhao, "/rules@TestNameBot", 0)
	rulesID := 0
	for deadline := time.Now().Add(10 * time.Second); rulesID == 0; time.Sleep(100 * time.Millisecond) {
		rulesID = tg.memberMessage("/rules@TestNameBot")
		if time.Now().After(deadline) {
			t.Fatal("the /rules message is not on the server")
		}
	}
	other := tg.memberMessage("/rules@OtherBot")
	notice := tg.sent("the rules", func(s tgStored) bool { return strings.Contains(s.Message.Text, "【群规通知】") })
	if rp := notice.Message.ReplyParameters; rp == nil || rp.MessageID != rulesID {
		t.Errorf("the rules answer %+v, want a reply to message %d", rp, rulesID)
	}
	time.Sleep(3 * time.Second) // an answer to /rules@OtherBot would be out by now
	bot, _ := tg.history()
	for _, b := range bot {
		if rp := b.Message.ReplyParameters; rp != nil && rp.MessageID == other {
			t.Errorf("/rules@OtherBot was answered: %q", b.Message.Text)
		}
	}

	// A date in milliseconds (as telegram-test-api itself dates the bot's
	// messages) is tgStored as the time it arrived, not the year 58,900.
	tg.say(wangwu, "时间戳是毫秒", time.Now().UnixMilli())

	// The second ad earns a mute, which telegram-test-api cannot do.
	tg.say(wangwu, "➕V：abc1688", 0)
	deadline = time.Now().Add(20 * time.Second)
	for count.calls("restrictChatMember") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the mute was not retried; restrictChatMember calls: %d\n%s", count.calls("restrictChatMember"), p.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	logs := p.stderr.String()
	if !strings.Contains(logs, "API method 'restrictChatMember' is not supported") || !strings.Contains(logs, "level=WARN msg=\"action failed, will retry\"") {
		t.Errorf("the mute's failure is not logged with its reason at WARN:\n%s", logs)
	}
	if !strings.Contains(logs, "getWebhookInfo failed") {
		t.Errorf("getWebhookInfo's failure is not logged:\n%s", logs)
	}
	elapsed := time.Since(began)
	// Backoff from 1s doubling: a handful of attempts, not a storm.
	if n := count.calls("restrictChatMember"); n > 6 {
		t.Errorf("restrictChatMember called %d times in %s", n, elapsed.Round(time.Second))
	}
	// The server answers getUpdates at once; polls pause 1 s doubling to
	// the 2 s poll timeout: about one every two seconds, not thousands.
	if n := count.calls("getUpdates"); float64(n) > elapsed.Seconds()*2+10 {
		t.Errorf("getUpdates called %d times in %s: a hot loop", n, elapsed.Round(time.Second))
	}

	// What qunzhu stored: the millisecond date became a time of today.
	admin := adminToken(t, dir)
	_, res := call(t, "GET", p.url+"/api/v1/groups", admin, "")
	groups, _ := res["groups"].([]any)
	if len(groups) != 1 {
		t.Fatalf("groups: %v", res)
	}
	_, msgs := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v/messages", p.url, groups[0].(map[string]any)["id"]), admin, "")
	found := false
	for _, m := range msgs["messages"].([]any) {
		m := m.(map[string]any)
		if m["text"] == "时间戳是毫秒" {
			found = true
			at, err := time.Parse(time.RFC3339Nano, m["sent_at"].(string))
			if err != nil || at.Before(began.Add(-time.Minute)) || at.After(time.Now().Add(time.Minute)) {
				t.Errorf("a date in milliseconds tgStored as %v", m["sent_at"])
			}
		}
	}
	if !found {
		t.Errorf("the message dated in milliseconds is not tgStored: %v", msgs)
	}
	p.stop(t)
}

// TestTelegramWebhookAgainstTestAPI: the real binary in webhook mode,
// telegram-test-api posting the updates. telegram-test-api sends no
// secret-token header, so a proxy adds it (one without it is refused);
// qunzhu's webhook_url must be https, which the emulator cannot serve, so
// the test registers the proxy's address itself.
func TestTelegramWebhookAgainstTestAPI(t *testing.T) {
	tg := testAPI{t: t, url: startTestAPI(t)}
	const secret = "webhook-secret-0123456789"
	dir := t.TempDir()
	writeConfig(t, dir, telegramConnection(tg.url, `mode = "webhook"`+"\n"+`webhook_secret = "`+secret+`"`))
	p := start(t, dir, "serve", "--migrate")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ := call(t, "GET", p.url+"/readyz", "", ""); code == 200 {
			break // getMe answered
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready\n%s", p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var refused sync.Map
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(http.MethodPost, p.url+"/connect/tg", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			refused.Store(string(body), resp.StatusCode)
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer hook.Close()
	// Straight to qunzhu, without the secret: refused.
	if resp, err := http.Post(p.url+"/connect/tg", "application/json", strings.NewReader(`{"update_id":1}`)); err != nil || resp.StatusCode != 401 {
		t.Fatalf("an update without the secret: %v %v", resp, err)
	}
	tg.post("/bot"+botToken+"/setWebhook", map[string]any{"url": hook.URL})

	tg.say(zhao, "/rules", 0)
	tg.sent("the rules", func(s tgStored) bool { return strings.Contains(s.Message.Text, "【群规通知】") })
	// An ad: the warning mentions its sender. (The deletion is refused:
	// in webhook mode telegram-test-api keeps no copy of the message.)
	tg.say(wangwu, "加 薇 信 abc1688 领 免 费 资 料", 0)
	tg.sent("a warning to 王 五", func(s tgStored) bool { return mentions(s, wangwu) })
	refused.Range(func(k, v any) bool {
		t.Errorf("qunzhu answered %v to %s", v, k)
		return true
	})
	p.stop(t)
}
