package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBotAPI is a minimal Telegram Bot API: getMe, getUpdates handing out
// the queued updates once, and every other method recorded and answered ok.
type fakeBotAPI struct {
	mu      sync.Mutex
	updates []string
	calls   []string // "method body"
}

func (f *fakeBotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 2 || parts[0] != "bot123456789:AAEabcdefghijklmnopqrstuvwxyz012345" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	method := parts[1]
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
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
	api := &fakeBotAPI{}
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
	writeConfig(t, dir, fmt.Sprintf(`
[[connections]]
name = "tg"
platform = "telegram"
[connections.options]
bot_token = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"
mode = "polling"
api_url = %q
poll_timeout = "1s"
`, srv.URL))
	p := start(t, dir, "serve", "--migrate")
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := strings.Join(api.methods(), ",")
		if strings.Count(got, "deleteMessage") == 3 && strings.Contains(got, "restrictChatMember") && strings.Contains(got, "banChatMember,unbanChatMember") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ad was not acted on; calls: %q\n%s", api.calls, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	api.mu.Lock()
	var del []string
	for _, c := range api.calls {
		if strings.HasPrefix(c, "deleteMessage ") {
			del = append(del, c)
		}
	}
	api.mu.Unlock()
	for i, d := range del {
		if !strings.Contains(d, fmt.Sprintf(`"message_id":%d`, 56+i)) || !strings.Contains(d, "-1001234567890") {
			t.Fatalf("deleted the wrong messages: %q", del)
		}
	}
	if code, body := call(t, "GET", p.url+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz: %d %v", code, body)
	}
	p.stop(t)
}
