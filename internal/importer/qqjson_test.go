package importer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// qceGroup is a QQ Chat Exporter export of group number id holding messages.
func qceGroup(id string, messages ...string) string {
	s := `{"metadata":{"name":"QQChatExporter","version":"5.4.1"},"chatInfo":{"name":"业主群","type":"group","selfUin":"10001001","selfName":"林晓","peerUid":"` + id + `"},"statistics":{},"messages":[`
	for i, m := range messages {
		if i > 0 {
			s += ","
		}
		s += m
	}
	return s + `]}`
}

func TestDetectQQJSON(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "qq", "qce.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, head string
		want       Format
	}{
		{"the export", string(b), FormatQQJSON},
		{"its first bytes", string(b[:300]), FormatQQJSON},
		{"chatInfo first", `{"chatInfo":{"type":"group"},"messages":[]}`, FormatQQJSON},
		{"a Telegram chat that mentions chatInfo", `{"name":"g","type":"private_supergroup","id":1,"messages":[{"id":1,"text":"\"chatInfo\""}]}`, FormatTelegram},
	} {
		if got, err := Detect([]byte(tc.head)); err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestQQJSONNotices: QQ NT's sentences about members, "你" being the
// account that exported.
func TestQQJSONNotices(t *testing.T) {
	notice := func(id, text string) string {
		return `{"id":"` + id + `","timestamp":1714784400000,"sender":{"uid":"未知","name":"系统消息"},"content":{"text":"` + text + `"},"system":true}`
	}
	in := qceGroup("123",
		notice("1", "你邀请张三、李四加入了群聊"),
		notice("2", "王五邀请你加入了群聊"),
		notice("3", "赵六通过你的二维码加入了群聊"),
		notice("4", "孙七加入了群聊"),
		notice("5", "张三被林晓移出了群聊"),
		notice("6", "林晓撤回了一条消息"),
	)
	evs, sum, err := importString(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"member_joined 张三 pulled_in by 林晓", "member_joined 李四 pulled_in by 林晓",
		"member_joined 林晓 pulled_in by 王五",
		"member_joined 赵六 referral by 林晓",
		"member_joined 孙七  by ",
		"member_left 张三 removed by 林晓",
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events: %v", len(evs), briefs(evs))
	}
	for i, e := range evs {
		by := e.Inviter
		detail := string(e.Source)
		if e.Type == chat.EventMemberLeft {
			by, detail = e.Actor, string(e.Reason)
		}
		name := ""
		if by != nil {
			name = by.Name
		}
		if got := string(e.Type) + " " + e.Sender.Name + " " + detail + " by " + name; got != want[i] {
			t.Errorf("event %d: %q, want %q", i, got, want[i])
		}
	}
	if evs[2].Sender.ID != "10001001" {
		t.Errorf("你 is %+v, want the exporting account 10001001", evs[2].Sender)
	}
	if sum.Skipped["system notice"] != 1 {
		t.Errorf("skipped %v", sum.Skipped)
	}
}

// TestQQJSONPrivate: a private chat's export is listed, not imported.
func TestQQJSONPrivate(t *testing.T) {
	in := `{"chatInfo":{"name":"王芳","type":"private","peerUid":"u_abc"},"messages":[{"id":"1","timestamp":1714784400000,"sender":{"uin":"2","name":"王芳"},"content":{"text":"在吗"}}]}`
	evs, sum, err := importString(t, in, Options{})
	if err != nil || len(evs) != 0 || len(sum.Groups) != 1 || sum.Groups[0].Skipped != "private chat (not a group)" {
		t.Fatalf("%v %+v %v", briefs(evs), sum, err)
	}
}

// TestQQJSONNoSender: a message that names nobody is skipped, not given an
// identity without a name.
func TestQQJSONNoSender(t *testing.T) {
	in := qceGroup("123", `{"id":"1","timestamp":1714784400000,"sender":{"uin":"0"},"content":{"text":"hi"}}`)
	evs, sum, err := importString(t, in, Options{})
	if err != nil || len(evs) != 0 || sum.Skipped["message without a sender"] != 1 {
		t.Fatalf("%v %v %v", briefs(evs), sum.Skipped, err)
	}
}
