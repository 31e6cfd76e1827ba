package app_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeBotAPI is a minimal Telegram Bot API: getMe, getUpdates handing out
// the queued updates once, and every other method recorded and answered ok.
type fakeBotAPI struct {
	mu      sync.Mutex
	updates []string
	calls   []string            // "method body"
	fail    map[string][]string // method → answers given (once each) before succeeding
}

func (f *fakeBotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 2 || parts[0] != "bot"+botToken {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	method := parts[1]
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	fails := f.fail[method]
	if len(fails) > 0 {
		f.fail[method] = fails[1:]
	}
	f.mu.Unlock()
	if len(fails) > 0 {
		f.record(method, body)
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, fails[0])
		return
	}
	switch method {
	case "getMe":
		io.WriteString(w, `{"ok":true,"result":{"id":4242,"is_bot":true,"first_name":"qunzhu","username":"qunzhu_bot"}}`)
	case "getUpdates":
		f.mu.Lock()
		ups := f.updates
		f.updates = nil
		f.mu.Unlock()
		if len(ups) == 0 {
			time.Sleep(200 * time.Millisecond) // a short long-poll
		}
		fmt.Fprintf(w, `{"ok":true,"result":[%s]}`, strings.Join(ups, ","))
	case "sendMessage":
		f.record(method, body)
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":900,"date":%d,"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"}}}`, time.Now().Unix())
	default:
		f.record(method, body)
		io.WriteString(w, `{"ok":true,"result":true}`)
	}
}

func (f *fakeBotAPI) record(method string, body []byte) {
	f.mu.Lock()
	f.calls = append(f.calls, method+" "+string(body))
	f.mu.Unlock()
}

// callsOf returns the recorded calls of method, as "method body".
func (f *fakeBotAPI) callsOf(method string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, method+" ") {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeBotAPI) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		m, _, _ := strings.Cut(c, " ")
		out = append(out, m)
	}
	return out
}

// TestTelegramEndToEnd runs the real binary against a fake Bot API in
// polling mode: a member's evaded ads climb the ladder — deleted with a
// warning, then deleted and muted, then deleted and the member removed
// (Telegram has no kick: ban, then unban so they may rejoin).
func TestTelegramEndToEnd(t *testing.T) {
	// The mute is refused once for flooding: made again two seconds later,
	// it must still end an hour after the decision, not later.
	api := &fakeBotAPI{fail: map[string][]string{"restrictChatMember": {`{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 2","parameters":{"retry_after":2}}`}}}
	now := time.Now().Unix()
	api.updates = []string{
		fmt.Sprintf(`{"update_id":5001,"message":{"message_id":55,"from":{"id":777,"is_bot":false,"first_name":"王","last_name":"五"},"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"},"date":%d,"text":"大家好"}}`, now),
	}
	for i, ad := range []string{"加 薇 信 abc1688 领 免 费 资 料", "➕V：abc1688", "加威信abc1688"} {
		api.updates = append(api.updates, fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":777,"is_bot":false,"first_name":"王","last_name":"五"},"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"},"date":%d,"text":%q}}`, 5002+i, 56+i, now, ad))
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	writeConfig(t, dir, telegramConnection(srv.URL, "mode = \"polling\"\npoll_timeout = \"1s\""))
	p := start(t, dir, "serve", "--migrate")
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := strings.Join(api.methods(), ",")
		if strings.Count(got, "deleteMessage") == 3 && strings.Count(got, "restrictChatMember") == 2 && strings.Contains(got, "banChatMember,unbanChatMember") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ad was not acted on; calls: %q\n%s", api.calls, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	del := api.callsOf("deleteMessage")
	for i, d := range del {
		if !strings.Contains(d, fmt.Sprintf(`"message_id":%d`, 56+i)) || !strings.Contains(d, "-1001234567890") {
			t.Fatalf("deleted the wrong messages: %q", del)
		}
	}
	// The warnings speak to the member: a text_mention of 王 五 (user
	// 777) in front of the reason, no plain "@name".
	warnings := api.callsOf("sendMessage")
	if len(warnings) == 0 {
		t.Fatal("no warning sent")
	}
	for _, w := range warnings {
		if !strings.Contains(w, `"type":"text_mention"`) || !strings.Contains(w, `"user":{"id":777`) || !strings.Contains(w, `"text":"王 五 `) {
			t.Errorf("a warning without a real mention: %s", w)
		}
	}
	var untils []string
	for _, c := range api.callsOf("restrictChatMember") {
		if m := untilRE.FindStringSubmatch(c); m != nil {
			untils = append(untils, m[1])
		}
	}
	if len(untils) != 2 || untils[0] != untils[1] {
		t.Fatalf("the retried mute's until_date: %v, want the same twice", untils)
	}
	if code, body := call(t, "GET", p.url+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz: %d %v", code, body)
	}
	p.stop(t)
}

var untilRE = regexp.MustCompile(`"until_date":(\d+)`)

// botToken is the bot token of the Telegram tests.
const botToken = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"

// telegramConnection is the [[connections]] block of a Telegram bot "tg"
// on the Bot API server at apiURL, with more options (TOML lines).
func telegramConnection(apiURL, options string) string {
	return fmt.Sprintf("\n[[connections]]\nname = \"tg\"\nplatform = \"telegram\"\n[connections.options]\nbot_token = %q\napi_url = %q\n%s\n", botToken, apiURL, options)
}

// adminToken is the administrator's API token qunzhu wrote in dir.
func adminToken(t *testing.T, dir string) string {
	t.Helper()
	return dataFile(t, dir, "admin.token")
}

// dataFile is the trimmed text of a file in the data directory.
func dataFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestTelegramCommandsForOtherBots runs the real binary against the fake
// Bot API: commands addressed to another bot ("/rules@OtherBot",
// "/top@OtherBot") are not run; "/rules@qunzhu_bot", addressed to this
// bot (its username from getMe), is.
func TestTelegramCommandsForOtherBots(t *testing.T) {
	api := &fakeBotAPI{}
	now := time.Now().Unix()
	for i, text := range []string{"/rules@OtherBot", "/top@OtherBot", "/rules@qunzhu_bot"} {
		api.updates = append(api.updates, fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":778,"is_bot":false,"first_name":"赵","last_name":"六"},"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"},"date":%d,"text":%q,"entities":[{"type":"bot_command","offset":0,"length":%d}]}}`,
			6001+i, 70+i, now, text, len(text)))
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	writeConfig(t, dir, telegramConnection(srv.URL, "mode = \"polling\"\npoll_timeout = \"1s\""))
	p := start(t, dir, "serve", "--migrate")
	deadline := time.Now().Add(15 * time.Second)
	for len(api.callsOf("sendMessage")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("/rules@qunzhu_bot was not answered; calls %q\n%s", api.calls, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // anything else would have been sent by now
	got := api.callsOf("sendMessage")
	if len(got) != 1 || !strings.Contains(got[0], `"message_id":72`) || !strings.Contains(got[0], "群规") {
		t.Fatalf("want one answer, to /rules@qunzhu_bot (message 72); sent %q", got)
	}
	p.stop(t)
}

// TestConnectSlowRequestCutOff: a stranger's request to /connect/{name}
// (a wrong webhook secret, a wrong OneBot token) stays under the server's
// read timeout however slowly its body trickles in; only an authenticated
// WebSocket is freed of it.
func TestConnectSlowRequestCutOff(t *testing.T) {
	api := httptest.NewServer(&fakeBotAPI{})
	defer api.Close()
	t.Setenv("QUNZHU_SERVER_READ_TIMEOUT", "2s")
	dir := t.TempDir()
	writeConfig(t, dir, telegramConnection(api.URL, "mode = \"webhook\"\nwebhook_secret = \"right-secret-0123456789\"")+`
[[connections]]
name = "qq"
platform = "onebot"
[connections.options]
mode = "reverse"
access_token = "onebot-secret-0123456789"
`)
	p := start(t, dir, "serve", "--migrate")
	host := strings.TrimPrefix(p.url, "http://")
	for _, head := range []string{
		"POST /connect/tg HTTP/1.1\r\nHost: " + host + "\r\nX-Telegram-Bot-Api-Secret-Token: wrong\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n",
		"GET /connect/qq HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer wrong\r\nContent-Length: 60\r\n\r\n",
	} {
		path := strings.Fields(head)[1]
		t.Run(strings.TrimPrefix(path, "/connect/"), func(t *testing.T) {
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			began := time.Now()
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			closed := make(chan string, 1)
			go func() {
				b, _ := io.ReadAll(conn) // the refusal, then EOF when the server hangs up
				closed <- string(b)
			}()
			// One byte every half second: the 60-byte body would take 30 s.
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case answer := <-closed:
					if took := time.Since(began); took > 10*time.Second {
						t.Fatalf("the slow request to %s stayed open %s (read timeout 2s)", path, took)
					}
					if !strings.Contains(answer, " 401 ") {
						t.Errorf("answer to %s: %q, want 401", path, answer)
					}
					return
				case <-tick.C:
					if time.Since(began) > 40*time.Second {
						t.Fatalf("the slow request to %s is still open after %s (read timeout 2s)", path, time.Since(began))
					}
					conn.SetWriteDeadline(time.Now().Add(time.Second))
					conn.Write([]byte("x")) // fails once the server hung up; the reader sees it
				}
			}
		})
	}
	// The implementation, with the token, keeps its WebSocket past the
	// read timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+host+"/connect/qq", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer onebot-secret-0123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	pongs := ws.CloseRead(ctx) // reads, so pings are answered
	time.Sleep(3 * time.Second)
	if err := ws.Ping(pongs); err != nil {
		t.Fatalf("the authenticated WebSocket did not outlive the 2s read timeout: %v", err)
	}
	p.stop(t)
}
