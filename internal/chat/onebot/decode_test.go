package onebot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current mapping")

var testNow = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func readFrame(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "frames", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeGolden maps every recorded frame and compares with its golden file.
func TestDecodeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "frames", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no frames: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			f, err := DecodeFrame("qq", readFrame(t, name), testNow)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("mapping of %s changed:\n got: %s\nwant: %s", name, got, want)
			}
		})
	}
}

// TestDecodeMessages states the mapping rules one by one, independently of
// the golden files.
func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		frame      string
		kind       chat.MessageKind
		text       string
		url        string
		replyTo    string
		mentions   []string
		mentionAll bool
		sender     chat.User
	}{
		{frame: "group_text", kind: chat.KindText, text: "大家好，今天的微营销作业已发群文件", sender: chat.User{ID: "1801234567", Name: "5-1-3305吕凯"}},
		{frame: "group_nickname_only", kind: chat.KindText, text: "收到", sender: chat.User{ID: "1801234568", Name: "阳新小王"}},
		{frame: "group_reply_at", kind: chat.KindText, text: "请按时提交", replyTo: "-2147480001", mentions: []string{"1801234568"}, sender: chat.User{ID: "1801234567", Name: "班主任"}},
		{frame: "group_at_all", kind: chat.KindText, text: "今晚 8 点直播课", mentionAll: true, sender: chat.User{ID: "1801234567", Name: "班主任"}},
		{frame: "group_image_caption", kind: chat.KindImage, text: "我的店铺首页", url: "https://gchat.qpic.cn/gchatpic_new/0/0-0-8F3A/0", sender: chat.User{ID: "1801234569", Name: "NF-王芳"}},
		{frame: "group_image_sticker", kind: chat.KindSticker, text: "[动画表情]", url: "https://gchat.qpic.cn/gchatpic_new/0/0-0-AB12/0", sender: chat.User{ID: "1801234569", Name: "NF-王芳"}},
		{frame: "group_record", kind: chat.KindVoice, url: "https://grouptalk.c2c.qq.com/a1b2.amr", sender: chat.User{ID: "1801234570", Name: "2-3-1102张"}},
		{frame: "group_video", kind: chat.KindVideo, url: "https://multimedia.nt.qq.com.cn/download?appid=1415&fileid=v9", sender: chat.User{ID: "1801234570", Name: "2-3-1102张"}},
		{frame: "group_file", kind: chat.KindFile, text: "作业模板.docx", sender: chat.User{ID: "1801234571", Name: "班主任"}},
		{frame: "group_face_only", kind: chat.KindSticker, sender: chat.User{ID: "1801234572", Name: "路人甲"}},
		{frame: "group_face_text", kind: chat.KindText, text: "谢谢老师", sender: chat.User{ID: "1801234572", Name: "路人甲"}},
		{frame: "group_mface", kind: chat.KindSticker, text: "[好的]", sender: chat.User{ID: "1801234572", Name: "路人甲"}},
		{frame: "group_share", kind: chat.KindLink, text: "双十一爆款清单 限时五折", url: "https://shop.example.cn/promo?id=88", sender: chat.User{ID: "1801234573", Name: "外来推广"}},
		{frame: "group_json_miniapp", kind: chat.KindMiniProgram, text: "帮我砍一刀", url: "https://m.q.qq.com/a/s/abc", sender: chat.User{ID: "1801234573", Name: "外来推广"}},
		{frame: "group_json_news", kind: chat.KindCard, text: "电梯检修通知", url: "https://wy.example.cn/n/12", sender: chat.User{ID: "1801234573", Name: "物业小李"}},
		{frame: "group_xml", kind: chat.KindCard, text: "[链接]加盟赚钱", url: "https://x.example.cn/j?a=1&b=2", sender: chat.User{ID: "1801234573", Name: "外来推广"}},
		{frame: "group_forward", kind: chat.KindForward, sender: chat.User{ID: "1801234574", Name: "转发王"}},
		{frame: "group_cq_string", kind: chat.KindImage, text: "价格[含税]&运费,见", url: "https://gchat.qpic.cn/c,d", replyTo: "-2147480001", mentions: []string{"1801234568"}, sender: chat.User{ID: "1801234567", Name: "班主任"}},
		{frame: "group_cq_broken", kind: chat.KindText, text: "看这里 [CQ:at,qq=1 没闭合", sender: chat.User{ID: "1801234567", Name: "班主任"}},
		{frame: "group_self", kind: chat.KindText, text: "【群规提醒】请勿发广告", sender: chat.User{ID: "2854196310", Name: "群主助手", Bot: true}},
		{frame: "group_message_sent", kind: chat.KindText, text: "欢迎新同学", sender: chat.User{ID: "2854196310", Name: "群主助手", Bot: true}},
		{frame: "group_string_ids", kind: chat.KindText, text: "数字写成字符串的实现", mentions: []string{"1801234568"}, sender: chat.User{ID: "1801234567", Name: "班主任"}},
	}
	for _, tt := range tests {
		t.Run(tt.frame, func(t *testing.T) {
			f, err := DecodeFrame("qq", readFrame(t, tt.frame), testNow)
			if err != nil {
				t.Fatal(err)
			}
			if f.Kind != FrameMessage || len(f.Events) != 1 {
				t.Fatalf("got kind %s with %d events (%s), want one message", f.Kind, len(f.Events), f.Ignored)
			}
			ev := f.Events[0]
			if ev.Type != chat.EventMessage || ev.Group != "735001206" || ev.Connection != "qq" || ev.Platform != "onebot" {
				t.Errorf("envelope: %+v", ev)
			}
			if want := time.Unix(1764037800, 0).UTC(); !ev.Time.Equal(want) {
				t.Errorf("time %v, want %v", ev.Time, want)
			}
			if ev.ID == "" || ev.ID != ev.Message.ID {
				t.Errorf("event id %q, message id %q", ev.ID, ev.Message.ID)
			}
			if ev.Sender != tt.sender {
				t.Errorf("sender %+v, want %+v", ev.Sender, tt.sender)
			}
			m := ev.Message
			if m.Kind != tt.kind || m.Text != tt.text || m.URL != tt.url || m.ReplyTo != tt.replyTo || m.MentionAll != tt.mentionAll || !slices.Equal(m.Mentions, tt.mentions) {
				t.Errorf("message %+v\nwant kind=%s text=%q url=%q reply=%q mentions=%v all=%v", *m, tt.kind, tt.text, tt.url, tt.replyTo, tt.mentions, tt.mentionAll)
			}
		})
	}
}

func TestDecodeNotices(t *testing.T) {
	tests := []struct {
		frame   string
		typ     chat.EventType
		sender  chat.User
		source  chat.JoinSource
		inviter *chat.User
		reason  chat.LeaveReason
		actor   *chat.User
		newName string
	}{
		{frame: "group_increase_approve", typ: chat.EventMemberJoined, sender: chat.User{ID: "1809990001"}, source: chat.SourcePromo},
		{frame: "group_increase_invite", typ: chat.EventMemberJoined, sender: chat.User{ID: "1809990002"}, source: chat.SourcePulledIn, inviter: &chat.User{ID: "1801234568"}},
		{frame: "group_decrease_leave", typ: chat.EventMemberLeft, sender: chat.User{ID: "1809990001"}, reason: chat.LeftVoluntarily},
		{frame: "group_decrease_kick", typ: chat.EventMemberLeft, sender: chat.User{ID: "1809990002"}, reason: chat.LeftRemoved, actor: &chat.User{ID: "2854196310", Bot: true}},
		{frame: "group_decrease_kick_me", typ: chat.EventMemberLeft, sender: chat.User{ID: "2854196310", Bot: true}, reason: chat.LeftRemoved, actor: &chat.User{ID: "1801234567"}},
		{frame: "group_card", typ: chat.EventMemberRenamed, sender: chat.User{ID: "1801234568", Name: "阳新小王"}, newName: "7-2-801王"},
	}
	for _, tt := range tests {
		t.Run(tt.frame, func(t *testing.T) {
			raw := readFrame(t, tt.frame)
			f, err := DecodeFrame("qq", raw, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if f.Kind != FrameNotice || len(f.Events) != 1 {
				t.Fatalf("got %s with %d events (%s)", f.Kind, len(f.Events), f.Ignored)
			}
			ev := f.Events[0]
			if ev.Type != tt.typ || ev.Sender != tt.sender || ev.Source != tt.source || ev.Reason != tt.reason || ev.NewName != tt.newName {
				t.Errorf("got %+v", ev)
			}
			if !sameUser(ev.Inviter, tt.inviter) || !sameUser(ev.Actor, tt.actor) {
				t.Errorf("inviter %+v actor %+v, want %+v %+v", ev.Inviter, ev.Actor, tt.inviter, tt.actor)
			}
			// A redelivered notice gets the same id; another notice does not.
			again, _ := DecodeFrame("qq", raw, testNow.Add(time.Hour))
			if again.Events[0].ID != ev.ID || !strings.Contains(ev.ID, "735001206") {
				t.Errorf("notice id not stable: %q vs %q", ev.ID, again.Events[0].ID)
			}
		})
	}
	ids := map[string]string{}
	for _, tt := range tests {
		f, _ := DecodeFrame("qq", readFrame(t, tt.frame), testNow)
		if prev, dup := ids[f.Events[0].ID]; dup {
			t.Errorf("%s and %s share id %s", prev, tt.frame, f.Events[0].ID)
		}
		ids[f.Events[0].ID] = tt.frame
	}
}

func sameUser(a, b *chat.User) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func TestDecodeIgnoredAndMeta(t *testing.T) {
	for _, name := range []string{"private", "group_ban", "group_admin", "group_recall"} {
		f, err := DecodeFrame("qq", readFrame(t, name), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Events) != 0 || f.Ignored == "" {
			t.Errorf("%s: want ignored with a reason, got %d events, reason %q", name, len(f.Events), f.Ignored)
		}
	}
	f, err := DecodeFrame("qq", readFrame(t, "meta_heartbeat"), testNow)
	if err != nil || f.Kind != FrameMeta || f.MetaType != "heartbeat" || f.Interval != 30*time.Second || f.Online == nil || !*f.Online {
		t.Errorf("heartbeat: %+v %v", f, err)
	}
	f, err = DecodeFrame("qq", readFrame(t, "request_group_add"), testNow)
	if err != nil || f.Kind != FrameRequest || !strings.Contains(f.RequestDetail, "1809990003") {
		t.Errorf("request: %+v %v", f, err)
	}
	f, err = DecodeFrame("qq", readFrame(t, "response_ok"), testNow)
	if err != nil || f.Kind != FrameResponse || rawString(f.Response.Echo) != "qz000001-1" {
		t.Errorf("response: %+v %v", f, err)
	}
	for _, bad := range []string{`{}`, `[]`, `{"post_type":"weird"}`, `not json`, `{"post_type":"message","group_id":{}}`} {
		if _, err := DecodeFrame("qq", []byte(bad), testNow); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
	// A frame without time takes the clock's.
	f, err = DecodeFrame("qq", []byte(`{"post_type":"message","message_type":"group","group_id":1,"user_id":2,"message_id":3,"message":"hi"}`), testNow)
	if err != nil || !f.Events[0].Time.Equal(testNow) || f.Events[0].Message.Text != "hi" {
		t.Errorf("no time: %+v %v", f, err)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "frames", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"post_type":"message","message_type":"group","group_id":"1","message_id":1,"message":{"type":"at","data":{"qq":null}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fr, err := DecodeFrame("qq", raw, testNow)
		if err != nil {
			return
		}
		for _, ev := range fr.Events {
			if !ev.Type.Valid() || ev.ID == "" || ev.Group == "" || ev.Connection != "qq" {
				t.Fatalf("invalid event %+v from %q", ev, raw)
			}
			if ev.Type == chat.EventMessage && (ev.Message == nil || !ev.Message.Kind.Valid()) {
				t.Fatalf("bad message %+v", ev.Message)
			}
		}
	})
}

// TestDecodeImplausibleTime: a frame time in milliseconds or before 2000
// takes the time the frame arrived, and the frame says so for the log.
func TestDecodeImplausibleTime(t *testing.T) {
	for _, tt := range []struct {
		time int64
		want time.Time
		bad  bool
	}{
		{1764037800, time.Unix(1764037800, 0), false},
		{1764037800000, testNow, true},
		{946684799, testNow, true},
		{testNow.Add(48 * time.Hour).Unix(), testNow, true},
	} {
		raw := fmt.Sprintf(`{"time":%d,"self_id":10001,"post_type":"message","message_type":"group","sub_type":"normal","message_id":5,"group_id":735001206,"user_id":20003,"message":"hi","raw_message":"hi","font":0,"sender":{"user_id":20003,"nickname":"王五"}}`, tt.time)
		f, err := DecodeFrame("qq", []byte(raw), testNow)
		if err != nil || len(f.Events) != 1 {
			t.Fatalf("%d: %+v %v", tt.time, f, err)
		}
		if got := f.Events[0].Time; !got.Equal(tt.want) || (f.BadTime != 0) != tt.bad {
			t.Errorf("time %d: %v (bad_time %d), want %v", tt.time, got, f.BadTime, tt.want)
		}
	}
}
