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

// TestMemberBotTelegram runs the member bot through the real binary and
// the fake Bot API: a question in traditional characters gets the FAQ's
// answer (its picture, captioned, replying to the question) once within
// the cooldown, and five newcomers joining at once get one welcome
// naming them all, instead of a rules notice each.
func TestMemberBotTelegram(t *testing.T) {
	api := &fakeBotAPI{}
	now := time.Now().Unix()
	chat := `"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"}`
	api.updates = []string{
		fmt.Sprintf(`{"update_id":7002,"message":{"message_id":81,"from":{"id":777,"is_bot":false,"first_name":"王"},%s,"date":%d,"text":"請問課表在哪裡"}}`, chat, now),
		fmt.Sprintf(`{"update_id":7003,"message":{"message_id":82,"from":{"id":778,"is_bot":false,"first_name":"赵"},%s,"date":%d,"text":"课表呢"}}`, chat, now),
	}
	for i, name := range []string{"甲", "乙", "丙", "丁", "戊"} {
		u := fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":%q}`, 900+i, name)
		api.updates = append(api.updates, fmt.Sprintf(`{"update_id":%d,"chat_member":{%s,"from":%s,"date":%d,"old_chat_member":{"user":%s,"status":"left"},"new_chat_member":{"user":%s,"status":"member"}}}`,
			7010+i, chat, u, now, u, u))
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	cfg := "[server]\naddr = \"127.0.0.1:0\"\n[data]\ndir = \"data\"\n[rules]\nenabled = true\nnotice_on_join = true\ndir = \"rules\"\n[dispatcher]\npoll_interval = \"20ms\"\n" +
		telegramConnection(srv.URL, "mode = \"polling\"\npoll_timeout = \"1s\"")
	if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	rulesFile := "[[faq.entry]]\nname = \"课表\"\nkeys = [\"课表\"]\nreply = \"每周二、四晚 8 点上课。\"\nimage = \"https://example.com/kb.png\"\n\n" +
		"[welcome]\ntext = \"欢迎 {members} 加入{group}！\"\nwindow = \"2s\"\n"
	if err := os.WriteFile(filepath.Join(dir, "rules", "default.toml"), []byte(rulesFile), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "serve", "--migrate")
	deadline := time.Now().Add(20 * time.Second)
	for len(api.callsOf("sendPhoto")) == 0 || len(api.callsOf("sendMessage")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no answer and welcome; calls %q\n%s", api.calls, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // anything else would have been sent by now
	photos, sends := api.callsOf("sendPhoto"), api.callsOf("sendMessage")
	if len(photos) != 1 || !strings.Contains(photos[0], `"photo":"https://example.com/kb.png"`) || !strings.Contains(photos[0], "每周二、四晚 8 点上课。") ||
		!strings.Contains(photos[0], `"message_id":81`) {
		t.Errorf("want one answer, a captioned picture replying to message 81; sent %q", photos)
	}
	if len(sends) != 1 || !strings.Contains(sends[0], "欢迎 甲、乙、丙、丁、戊 加入NF-测试群！") {
		t.Errorf("want one welcome naming all five; sent %q", sends)
	}
	// Each is mentioned natively: a text_mention of their name.
	for i := range 5 {
		if len(sends) == 1 && !strings.Contains(sends[0], fmt.Sprintf(`{"type":"text_mention","offset":%d,"length":1,"user":{"id":%d,"is_bot":false,"first_name":%q}}`, 3+2*i, 900+i, []string{"甲", "乙", "丙", "丁", "戊"}[i])) {
			t.Errorf("newcomer %d not mentioned natively: %q", 900+i, sends[0])
		}
	}
	p.stop(t)
}
