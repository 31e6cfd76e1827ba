package app_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMemberBotGateTelegram runs the join gate through the real binary
// and the fake Bot API: two newcomers are muted (restrictChatMember) and
// each shown a message with an inline button. The one who presses it
// (a callback_query) is unmuted and welcomed; the one who never does is
// removed (banChatMember) once the gate's 30 seconds are up, and never
// welcomed. The prompt mentions the newcomer natively (a text_mention).
func TestMemberBotGateTelegram(t *testing.T) {
	api := &fakeBotAPI{}
	now := time.Now().Unix()
	chat := `"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"}`
	for i, name := range []string{"甲", "乙"} {
		u := fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":%q}`, 901+i, name)
		api.updates = append(api.updates, fmt.Sprintf(`{"update_id":%d,"chat_member":{%s,"from":%s,"date":%d,"old_chat_member":{"user":%s,"status":"left"},"new_chat_member":{"user":%s,"status":"member"}}}`,
			7010+i, chat, u, now, u, u))
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	cfg := "[server]\naddr = \"127.0.0.1:0\"\n[data]\ndir = \"data\"\n[rules]\nenabled = true\ndir = \"rules\"\n[dispatcher]\npoll_interval = \"20ms\"\n" +
		telegramConnection(srv.URL, "mode = \"polling\"\npoll_timeout = \"1s\"")
	if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	rulesFile := "[gate]\nmode = \"button\"\ntimeout = \"30s\"\n\n[welcome]\ntext = \"欢迎 {members} 加入{group}！\"\nwindow = \"2s\"\n"
	if err := os.WriteFile(filepath.Join(dir, "rules", "default.toml"), []byte(rulesFile), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "serve", "--migrate")
	started := time.Now()
	waitFor := func(what string, within time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v; calls %q\n%s", what, within, api.calls, p.stderr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	having := func(method string, parts ...string) []string {
		var out []string
		for _, c := range api.callsOf(method) {
			all := true
			for _, s := range parts {
				all = all && strings.Contains(c, s)
			}
			if all {
				out = append(out, c)
			}
		}
		return out
	}
	muted := `"can_send_messages":false`
	waitFor("both newcomers muted and shown the button", 20*time.Second, func() bool {
		return len(having("restrictChatMember", `"user_id":901`, muted)) == 1 && len(having("restrictChatMember", `"user_id":902`, muted)) == 1 &&
			len(having("sendMessage", `"callback_data":"gate:901"`)) == 1 && len(having("sendMessage", `"callback_data":"gate:902"`)) == 1
	})
	if prompt := having("sendMessage", `"callback_data":"gate:901"`)[0]; !strings.Contains(prompt, "甲 欢迎加入！请在 30 秒内点击下方按钮") ||
		!strings.Contains(prompt, `"type":"text_mention"`) || !strings.Contains(prompt, `"id":901`) {
		t.Errorf("the prompt: %s", prompt)
	}

	// 甲 presses the button.
	api.mu.Lock()
	api.updates = append(api.updates, fmt.Sprintf(`{"update_id":7020,"callback_query":{"id":"4383","from":{"id":901,"is_bot":false,"first_name":"甲"},`+
		`"message":{"message_id":900,"from":{"id":4242,"is_bot":true,"first_name":"qunzhu"},%s,"date":%d,"text":"甲 欢迎加入！"},"chat_instance":"-5312","data":"gate:901"}}`, chat, now))
	api.mu.Unlock()
	waitFor("甲 unmuted and welcomed", 20*time.Second, func() bool {
		return len(having("restrictChatMember", `"user_id":901`, `"can_send_messages":true`)) == 1 && len(having("sendMessage", "欢迎 甲 加入NF-测试群！")) == 1
	})
	if len(api.callsOf("answerCallbackQuery")) == 0 {
		t.Error("the press was not answered (answerCallbackQuery)")
	}
	if len(api.callsOf("banChatMember")) != 0 {
		t.Fatalf("removed before the timeout: %q", api.callsOf("banChatMember"))
	}

	// 乙 never presses: removed when the 30 seconds are up (the sweep runs
	// every 5 seconds).
	waitFor("乙 removed after the timeout", 60*time.Second, func() bool { return len(having("banChatMember", `"user_id":902`)) == 1 })
	if took := time.Since(started); took < 25*time.Second {
		t.Errorf("乙 removed %v after the start, before the 30 seconds were up", took)
	}
	time.Sleep(time.Second)
	if bans := api.callsOf("banChatMember"); len(bans) != 1 {
		t.Errorf("removals: %q, want 乙's only", bans)
	}
	if len(having("sendMessage", "欢迎 乙")) != 0 {
		t.Errorf("乙, who did not pass, was welcomed: %q", api.callsOf("sendMessage"))
	}
	if len(having("sendMessage", "乙 未在时限内完成入群验证，已移出。")) != 1 {
		t.Errorf("no notice of 乙's removal: %q", api.callsOf("sendMessage"))
	}
	p.stop(t)
}

// TestMemberBotGateCode runs the join gate's code through the real binary
// and a webhook bridge (no buttons there): two newcomers are each shown a
// code, not muted; what else one posts is deleted; the one who sends
// their code is welcomed and posts freely; the one who does not is
// removed once the 30 seconds are up.
func TestMemberBotGateCode(t *testing.T) {
	p, post := serveBot(t, "[gate]\nmode = \"code\"\ntimeout = \"30s\"\n\n[welcome]\ntext = \"欢迎 {members} 加入{group}！\"\nwindow = \"1s\"\n")
	started := time.Now()
	type pulled struct{ kind, user, text, message string }
	list := func() []pulled {
		code, res := call(t, "GET", p.url+"/api/v1/actions?limit=1000", bridgeToken, "")
		if code != 200 {
			t.Fatalf("actions: %d %v", code, res)
		}
		var out []pulled
		for _, a := range res["actions"].([]any) {
			m := a.(map[string]any)
			u, _ := m["user"].(string)
			x, _ := m["text"].(string)
			id, _ := m["message_id"].(string)
			out = append(out, pulled{m["kind"].(string), u, x, id})
		}
		return out
	}
	waitFor := func(what string, within time.Duration, ok func([]pulled) bool) []pulled {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			ps := list()
			if ok(ps) {
				return ps
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v; actions %+v\n%s", what, within, ps, p.stderr)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	has := func(ps []pulled, kind, user, text string) bool {
		for _, a := range ps {
			if a.kind == kind && (user == "" || a.user == user) && strings.Contains(a.text, text) {
				return true
			}
		}
		return false
	}
	post(botEvent(time.Now(), "j1", "member_joined", "u1", "张一", ""), botEvent(time.Now(), "j2", "member_joined", "u2", "张二", ""))
	ps := waitFor("the two prompts", 10*time.Second, func(ps []pulled) bool {
		return has(ps, "send", "", "@张一 欢迎加入！请在 30 秒内在群里发送验证码") && has(ps, "send", "", "@张二 欢迎加入！")
	})
	var code string
	for _, a := range ps {
		if a.kind == "mute" {
			t.Errorf("a code newcomer was muted: %+v", a)
		}
		if _, rest, ok := strings.Cut(a.text, "@张一 欢迎加入！请在 30 秒内在群里发送验证码 "); ok {
			code, _, _ = strings.Cut(rest, " ")
		}
	}
	if len(code) != 4 {
		t.Fatalf("no code in the prompt: %+v", ps)
	}
	post(botEvent(time.Now(), "x1", "message", "u1", "张一", "加我微信领资料"))
	waitFor("the held post deleted", 10*time.Second, func(ps []pulled) bool {
		for _, a := range ps {
			if a.kind == "delete" && a.message == "m-x1" {
				return true
			}
		}
		return false
	})
	post(botEvent(time.Now(), "c1", "message", "u1", "张一", code))
	waitFor("张一 welcomed", 10*time.Second, func(ps []pulled) bool { return has(ps, "send", "", "欢迎 @张一 加入g1！") })
	post(botEvent(time.Now(), "x2", "message", "u1", "张一", "大家好"))
	ps = waitFor("张二 removed after the timeout", 60*time.Second, func(ps []pulled) bool { return has(ps, "kick", "u2", "") })
	if took := time.Since(started); took < 25*time.Second {
		t.Errorf("张二 removed %v after the start, before the 30 seconds were up", took)
	}
	for _, a := range ps {
		if a.kind == "delete" && a.message == "m-x2" || a.kind == "kick" && a.user == "u1" || a.kind == "send" && strings.Contains(a.text, "欢迎 @张二") {
			t.Errorf("after 张一 passed: %+v", a)
		}
	}
	if !has(ps, "send", "", "张二 未在时限内完成入群验证，已移出。") {
		t.Errorf("no notice of 张二's removal: %+v", ps)
	}
	p.stop(t)
}
