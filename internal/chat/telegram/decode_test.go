package telegram

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current mapping")

var testNow = time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)

// testAdapter returns an adapter named "tg" for decoding (its API URL is
// never called) with cfg's mapping options.
func testAdapter(t testing.TB, edit func(*Config)) *Adapter {
	t.Helper()
	cfg := Config{Name: "tg", Token: testToken, Cursors: &memCursors{}, Now: func() time.Time { return testNow }, APIURL: "http://127.0.0.1:9"}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// recorded reads a getUpdates answer from testdata/updates.
func recorded(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "updates", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		OK     bool              `json:"ok"`
		Result []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &resp); err != nil || !resp.OK || len(resp.Result) == 0 {
		t.Fatalf("%s: not a getUpdates answer: %v", name, err)
	}
	return resp.Result
}

// decodeAll decodes a recorded answer's updates in order with one adapter.
func decodeAll(t testing.TB, a *Adapter, name string) []Update {
	t.Helper()
	var out []Update
	for _, raw := range recorded(t, name) {
		u, err := a.DecodeUpdate(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, u)
	}
	return out
}

// The alternative configuration of the golden files: members from service
// messages, edits rechecked.
func altConfig(c *Config) { c.MemberEvents, c.Edits = MembersFromService, EditsRecheck }

// TestDecodeGolden maps every recorded answer and compares with its golden
// file; where the alternative configuration maps it differently, that is
// compared with <name>.alt.json.
func TestDecodeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded updates: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			got := goldenJSON(t, decodeAll(t, testAdapter(t, nil), name))
			compareGolden(t, name+".json", got)
			alt := goldenJSON(t, decodeAll(t, testAdapter(t, altConfig), name))
			altFile := filepath.Join("testdata", "golden", name+".alt.json")
			if bytes.Equal(alt, got) {
				if *update {
					os.Remove(altFile)
				} else if _, err := os.Stat(altFile); err == nil {
					t.Errorf("%s exists but the alternative mapping no longer differs (run go test -update)", altFile)
				}
				return
			}
			compareGolden(t, name+".alt.json", alt)
		})
	}
}

func goldenJSON(t testing.TB, us []Update) []byte {
	t.Helper()
	for _, u := range us {
		for i := range u.Events {
			if err := pipeline.Validate(&u.Events[i]); err != nil {
				t.Errorf("update %d: event %s would be refused by the pipeline: %v", u.UpdateID, u.Events[i].ID, err)
			}
		}
	}
	b, err := json.MarshalIndent(us, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func compareGolden(t testing.TB, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("mapping changed, %s:\n got: %s\nwant: %s", file, got, want)
	}
}

const group = "-1001987654321"

var (
	alice  = chat.User{ID: "5012345678", Name: "Alice Wang"}
	bob    = chat.User{ID: "6023456789", Name: "波波"}
	carol  = chat.User{ID: "7034567890", Name: "carol_only"}
	owner  = chat.User{ID: "1234567", Name: "群主 李"}
	spam   = chat.User{ID: "8045678901", Name: "💰Crypto Signals"}
	theBot = chat.User{ID: "7777000111", Name: "群助手", Bot: true}
)

// lastMessage decodes a recorded answer and returns the last update's one
// message event.
func lastMessage(t *testing.T, a *Adapter, name string) chat.Event {
	t.Helper()
	us := decodeAll(t, a, name)
	u := us[len(us)-1]
	if len(u.Events) != 1 || u.Events[0].Type != chat.EventMessage {
		t.Fatalf("%s: want one message event, got %+v (ignored: %s)", name, u.Events, u.Ignored)
	}
	return u.Events[0]
}

// TestDecodeMessages states the message mapping rules one by one,
// independently of the golden files.
func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		name     string
		kind     chat.MessageKind
		text     string
		url      string
		replyTo  string
		mentions []string
		sender   chat.User
	}{
		{name: "text", kind: chat.KindText, text: "大家好，今天团购的奶粉到了吗？", sender: alice},
		{name: "text_bot_sender", kind: chat.KindText, text: "Welcome to the group!", sender: chat.User{ID: "7999000111", Name: "Group Help", Bot: true}},
		// @alice_w was seen in the first update; @unknown_guy never was;
		// 波波 is a text_mention carrying the user.
		{name: "command_reply_mentions", kind: chat.KindText, text: "/warn@qunzhu_test_bot @alice_w @unknown_guy 波波 别发广告", replyTo: "4103", mentions: []string{alice.ID, bob.ID}, sender: owner},
		{name: "link_url_emoji", kind: chat.KindLink, text: "🔥🔥限时福利 👉 https://t.me/+AbCdEfGhIjK 进群领取", url: "https://t.me/+AbCdEfGhIjK", sender: spam},
		{name: "link_text_link", kind: chat.KindLink, text: "点这里看详情", url: "https://shop.example.cn/p?id=88", sender: spam},
		{name: "photo_caption_link", kind: chat.KindImage, text: "新到的童装 shop.example.cn/kids", url: "shop.example.cn/kids", sender: bob},
		{name: "photo", kind: chat.KindImage, sender: bob},
		{name: "voice", kind: chat.KindVoice, sender: bob},
		{name: "audio", kind: chat.KindVoice, text: "睡前听", sender: bob},
		{name: "video", kind: chat.KindVideo, sender: bob},
		{name: "video_note", kind: chat.KindVideo, sender: bob},
		{name: "animation", kind: chat.KindVideo, sender: bob},
		{name: "document", kind: chat.KindFile, text: "疫苗接种时间表.pdf", sender: alice},
		{name: "document_apk_caption", kind: chat.KindFile, text: "安装领红包", sender: spam},
		{name: "sticker", kind: chat.KindSticker, text: "😂", sender: bob},
		{name: "contact", kind: chat.KindCard, text: "客服 小美 +8613800138000", sender: spam},
		{name: "venue", kind: chat.KindCard, text: "儿童乐园 深圳市福田区", sender: alice},
		{name: "location", kind: chat.KindCard, sender: alice},
		{name: "poll", kind: chat.KindCard, text: "周末去哪儿玩？", sender: owner},
		{name: "dice", kind: chat.KindSticker, text: "🎲", sender: bob},
		{name: "forward_user", kind: chat.KindForward, text: "转发一下：明天停水", sender: alice},
		{name: "forward_hidden_user", kind: chat.KindForward, text: "兼职日结", sender: spam},
		{name: "forward_channel", kind: chat.KindForward, text: "好物推荐 https://shop.example.cn", url: "https://shop.example.cn", sender: alice},
		// The linked channel's post, forwarded by Telegram: not a forward
		// by a member, and sent by the channel as a bot.
		{name: "automatic_forward", kind: chat.KindText, text: "本周好物清单", sender: chat.User{ID: "-1001555666777", Name: "宝妈好物推荐", Bot: true}},
		{name: "anonymous_admin", kind: chat.KindText, text: "请大家遵守群规", sender: chat.User{ID: group, Name: "管理员"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := lastMessage(t, testAdapter(t, nil), tt.name)
			if ev.Group != group || ev.Connection != "tg" || ev.Platform != "telegram" || ev.GroupName != "深圳宝妈交流群" {
				t.Errorf("envelope: %+v", ev)
			}
			if want := group + ":" + ev.Message.ID; ev.ID != want {
				t.Errorf("event id %q, want %q", ev.ID, want)
			}
			if ev.Time.IsZero() || ev.Time.Equal(testNow) {
				t.Errorf("time %v: want the message's date", ev.Time)
			}
			if ev.Sender != tt.sender {
				t.Errorf("sender %+v, want %+v", ev.Sender, tt.sender)
			}
			m := ev.Message
			if m.Kind != tt.kind || m.Text != tt.text || m.URL != tt.url || m.ReplyTo != tt.replyTo || !slices.Equal(m.Mentions, tt.mentions) || m.MentionAll {
				t.Errorf("message %+v\nwant kind=%s text=%q url=%q reply=%q mentions=%v", *m, tt.kind, tt.text, tt.url, tt.replyTo, tt.mentions)
			}
		})
	}
}

func TestDecodeForumTopic(t *testing.T) {
	us := decodeAll(t, testAdapter(t, nil), "forum_topic_messages")
	if len(us) != 2 || len(us[0].Events) != 1 || len(us[1].Events) != 1 {
		t.Fatalf("got %+v", us)
	}
	if r := us[0].Events[0].Message.ReplyTo; r != "" {
		t.Errorf("a message in a topic is not a reply to the topic's first message; got reply_to %q", r)
	}
	if r := us[1].Events[0].Message.ReplyTo; r != us[0].Events[0].Message.ID {
		t.Errorf("a real reply in a topic: reply_to %q, want %q", r, us[0].Events[0].Message.ID)
	}
}

func TestDecodeEdits(t *testing.T) {
	us := decodeAll(t, testAdapter(t, nil), "edited")
	if len(us[0].Events) != 1 || len(us[1].Events) != 0 || !strings.Contains(us[1].Ignored, "edited") {
		t.Errorf("by default an edit is ignored: %+v", us)
	}
	us = decodeAll(t, testAdapter(t, func(c *Config) { c.Edits = EditsRecheck }), "edited")
	orig, ed := us[0].Events[0], us[1].Events
	if len(ed) != 1 {
		t.Fatalf("recheck: want the edit as a message, got %+v", us[1])
	}
	e := ed[0]
	if e.ID == orig.ID || e.Message.ID != orig.Message.ID || !strings.Contains(e.Message.Text, "加我微信") || !e.Time.After(orig.Time) {
		t.Errorf("recheck: edit %+v %+v, original %+v", e, *e.Message, orig)
	}
}

func TestDecodeMembers(t *testing.T) {
	tests := []struct {
		name    string
		service bool // members from service messages
		typ     chat.EventType
		sender  chat.User
		source  chat.JoinSource
		inviter *chat.User
		code    string
		reason  chat.LeaveReason
		actor   *chat.User
	}{
		{name: "member_join_invite_link", typ: chat.EventMemberJoined, sender: carol, source: chat.SourcePromo, code: "海报A"},
		{name: "member_join_link_unnamed", typ: chat.EventMemberJoined, sender: carol, source: chat.SourcePromo, code: "https://t.me/+Qw9…"},
		{name: "member_join_request", typ: chat.EventMemberJoined, sender: carol, source: chat.SourcePromo},
		{name: "member_added", typ: chat.EventMemberJoined, sender: bob, source: chat.SourcePulledIn, inviter: &alice},
		{name: "member_join_public", typ: chat.EventMemberJoined, sender: carol, source: chat.SourcePromo},
		{name: "member_left", typ: chat.EventMemberLeft, sender: bob, reason: chat.LeftVoluntarily},
		{name: "member_banned", typ: chat.EventMemberLeft, sender: spam, reason: chat.LeftRemoved, actor: &theBot},
		{name: "member_restricted_left", typ: chat.EventMemberLeft, sender: bob, reason: chat.LeftVoluntarily},
		{name: "service_join_self", service: true, typ: chat.EventMemberJoined, sender: carol, source: chat.SourcePromo},
		{name: "service_join_added", service: true, typ: chat.EventMemberJoined, sender: bob, source: chat.SourcePulledIn, inviter: &alice},
		{name: "service_left_self", service: true, typ: chat.EventMemberLeft, sender: bob, reason: chat.LeftVoluntarily},
		{name: "service_left_removed", service: true, typ: chat.EventMemberLeft, sender: spam, reason: chat.LeftRemoved, actor: &owner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAdapter(t, nil)
			other := testAdapter(t, func(c *Config) { c.MemberEvents = MembersFromService })
			if tt.service {
				a, other = other, a
			}
			us := decodeAll(t, a, tt.name)
			if len(us) != 1 || len(us[0].Events) == 0 {
				t.Fatalf("got %+v", us)
			}
			e := us[0].Events[0]
			if e.Type != tt.typ || e.Sender != tt.sender || e.Source != tt.source || e.Code != tt.code || e.Reason != tt.reason || e.Group != group {
				t.Errorf("got %+v", e)
			}
			if !sameUser(e.Inviter, tt.inviter) || !sameUser(e.Actor, tt.actor) {
				t.Errorf("inviter %+v actor %+v, want %+v %+v", e.Inviter, e.Actor, tt.inviter, tt.actor)
			}
			// The other source is ignored, so a join is never reported twice.
			if o := decodeAll(t, other, tt.name); len(o[0].Events) != 0 || o[0].Ignored == "" {
				t.Errorf("the other member source also mapped it: %+v", o)
			}
		})
	}
	// Several members added by one message: one event each, distinct ids.
	us := decodeAll(t, testAdapter(t, altConfig), "service_join_added")
	if evs := us[0].Events; len(evs) != 2 || evs[1].Sender.ID != "7999000111" || !evs[1].Sender.Bot || evs[0].ID == evs[1].ID {
		t.Errorf("two members added: %+v", evs)
	}
	// Status changes that are neither a join nor a leave.
	for _, name := range []string{"member_unbanned", "member_muted", "member_promoted"} {
		us := decodeAll(t, testAdapter(t, nil), name)
		if len(us[0].Events) != 0 || !strings.Contains(us[0].Ignored, "status change") {
			t.Errorf("%s: %+v", name, us[0])
		}
	}
}

// TestJoinReportedOnce: Telegram reports a join both as a service message
// and as a chat_member update; either configuration emits it once.
func TestJoinReportedOnce(t *testing.T) {
	for _, edit := range []func(*Config){nil, altConfig} {
		var evs []chat.Event
		for _, u := range decodeAll(t, testAdapter(t, edit), "join_reported_twice") {
			evs = append(evs, u.Events...)
		}
		if len(evs) != 1 || evs[0].Type != chat.EventMemberJoined || evs[0].Sender != carol {
			t.Errorf("want one join, got %+v", evs)
		}
	}
}

func TestDecodeGroupEvents(t *testing.T) {
	u := decodeAll(t, testAdapter(t, nil), "new_title")[0]
	if e := u.Events[0]; len(u.Events) != 1 || e.Type != chat.EventGroupRenamed || e.GroupName != "深圳宝妈交流群（二群）" || e.NewName != e.GroupName || !sameUser(e.Actor, &owner) {
		t.Errorf("rename: %+v", u)
	}
	u = decodeAll(t, testAdapter(t, nil), "group_created")[0]
	if e := u.Events[0]; len(u.Events) != 1 || e.Type != chat.EventGroupCreated || e.Group != "-4012345678" || e.GroupName != "Book club" {
		t.Errorf("created: %+v", u)
	}
	// A basic group upgraded: the old group's notice is ignored, the new
	// supergroup is a group created, and actions follow it there.
	a := testAdapter(t, nil)
	us := decodeAll(t, a, "migrate")
	if len(us[0].Events) != 0 || !strings.Contains(us[0].Ignored, "-1002345678901") {
		t.Errorf("migrate_to: %+v", us[0])
	}
	if e := us[1].Events; len(e) != 1 || e[0].Type != chat.EventGroupCreated || e[0].Group != "-1002345678901" || e[0].GroupName != "Book club" {
		t.Errorf("migrate_from: %+v", us[1])
	}
	if a.migrated[-4012345678] != -1002345678901 {
		t.Errorf("migration not remembered: %v", a.migrated)
	}
}

func TestDecodeIgnored(t *testing.T) {
	for name, why := range map[string]string{
		"private":              "private chat",
		"channel_post":         "channel post",
		"pinned":               "pinned",
		"video_chat_started":   "without content",
		"callback_query":       "button press outside a group",
		"my_chat_member_added": "the bot's own membership",
		"member_promoted":      "member → administrator",
	} {
		us := decodeAll(t, testAdapter(t, nil), name)
		if len(us) != 1 || len(us[0].Events) != 0 || !strings.Contains(us[0].Ignored, why) {
			t.Errorf("%s: want ignored for %q, got %+v", name, why, us)
		}
	}
	// Fields of the wrong type: skipped with the update's id, not an error.
	us := decodeAll(t, testAdapter(t, nil), "malformed")
	if !us[0].Malformed || us[0].UpdateID != 900100059 || len(us[0].Events) != 0 || !strings.Contains(us[0].Ignored, "message_id") {
		t.Errorf("malformed: %+v", us[0])
	}
	// A forward from an origin newer than this code is still a forward.
	if ev := lastMessage(t, testAdapter(t, nil), "forward_unknown_origin"); ev.Message.Kind != chat.KindForward {
		t.Errorf("unknown origin: %+v", ev.Message)
	}
	a := testAdapter(t, nil)
	for _, bad := range []string{``, `[]`, `{}`, `not json`, `{"update_id":"7"}`, `{"message":{"message_id":1}}`} {
		if _, err := a.DecodeUpdate([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	// A message without a date takes the clock's time.
	u, err := a.DecodeUpdate([]byte(`{"update_id":5,"message":{"message_id":9,"from":{"id":3,"is_bot":false,"first_name":"X"},"chat":{"id":-100,"type":"supergroup"},"text":"hi"}}`))
	if err != nil || len(u.Events) != 1 || !u.Events[0].Time.Equal(testNow) {
		t.Errorf("no date: %+v %v", u, err)
	}
}

// TestEventIDs: ids are unique across the recorded updates and the same
// when an update is delivered again.
func TestEventIDs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	for _, edit := range []func(*Config){nil, altConfig} {
		seen := map[string]string{}
		for _, file := range files {
			name := strings.TrimSuffix(filepath.Base(file), ".json")
			first := decodeAll(t, testAdapter(t, edit), name)
			again := decodeAll(t, testAdapter(t, edit), name)
			for i, u := range first {
				for j, e := range u.Events {
					if again[i].Events[j].ID != e.ID {
						t.Errorf("%s: id %q then %q", name, e.ID, again[i].Events[j].ID)
					}
					if prev, dup := seen[e.ID]; dup && prev != name {
						t.Errorf("%s and %s share event id %s", prev, name, e.ID)
					}
					seen[e.ID] = name
				}
			}
		}
	}
}

func TestUsernamesBounded(t *testing.T) {
	a := testAdapter(t, nil)
	for i := range maxUsernames + 10 {
		a.learn(tgUserNamed(int64(i+1), "u"+itoa(int64(i))))
	}
	if n := len(a.usernames); n > maxUsernames || n == 0 {
		t.Errorf("%d usernames kept", n)
	}
	if a.lookup("U"+itoa(maxUsernames+5)) != itoa(maxUsernames+6) {
		t.Error("lookup is not case-insensitive or lost a recent name")
	}
}

func sameUser(a, b *chat.User) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func FuzzDecodeUpdate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		for _, raw := range recorded(f, name) {
			f.Add([]byte(raw))
		}
	}
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"chat":{"id":-1,"type":"group"},"from":{"id":1},"text":"@x","entities":[{"type":"mention","offset":-5,"length":99}]}}`))
	f.Add([]byte(`{"update_id":1,"chat_member":{"chat":{"id":-1,"type":"group"},"old_chat_member":{"status":"left"},"new_chat_member":{"status":"restricted"}}}`))
	a := testAdapter(f, nil)
	b := testAdapter(f, altConfig)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, ad := range []*Adapter{a, b} {
			u, err := ad.DecodeUpdate(raw)
			if err != nil {
				continue
			}
			for i := range u.Events {
				ev := &u.Events[i]
				if err := pipeline.Validate(ev); err != nil {
					t.Fatalf("invalid event %+v from %q: %v", ev, raw, err)
				}
				if ev.Connection != "tg" || ev.Platform != "telegram" || !strings.HasPrefix(ev.ID, ev.Group+":") {
					t.Fatalf("bad envelope %+v", ev)
				}
			}
		}
	})
}

func tgUserNamed(id int64, username string) tgUser {
	return tgUser{ID: id, FirstName: username, Username: username}
}

// TestDecodeCommandAddressee: a command addressed to this bot loses the
// "@name"; one addressed to another bot is marked, so nothing downstream
// runs it, but its text stays to be judged; before getMe has named the
// bot, commands are left as they are.
func TestDecodeCommandAddressee(t *testing.T) {
	tests := []struct {
		text, want string
		other      bool
	}{
		{"/rules", "/rules", false},
		{"/warn@qunzhu_test_bot 发广告", "/warn 发广告", false},
		{"/WARN@Qunzhu_Test_Bot\n发广告", "/WARN\n发广告", false},
		{"/rules@OtherBot", "/rules@OtherBot", true},
		{"/start@spam_bot 加微信 abc1688", "/start@spam_bot 加微信 abc1688", true},
		{"/rules@", "/rules@", false},
		{"a/rules@OtherBot", "a/rules@OtherBot", false},
		{"email me@example.com", "email me@example.com", false},
	}
	a := testAdapter(t, nil)
	a.status.BotUsername = "qunzhu_test_bot"
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]any{"update_id": 1, "message": map[string]any{"message_id": 9, "date": 1764300000, "text": tt.text,
			"from": map[string]any{"id": 3, "is_bot": false, "first_name": "X"}, "chat": map[string]any{"id": -100, "type": "supergroup"}}})
		u, err := a.DecodeUpdate(body)
		if err != nil || len(u.Events) != 1 {
			t.Fatalf("%q: %+v %v", tt.text, u, err)
		}
		if m := u.Events[0].Message; m.Text != tt.want || m.ForOtherBot != tt.other {
			t.Errorf("%q: text %q other %v, want %q %v", tt.text, m.Text, m.ForOtherBot, tt.want, tt.other)
		}
	}
	if ev := lastMessage(t, testAdapter(t, nil), "command_reply_mentions"); ev.Message.ForOtherBot || !strings.HasPrefix(ev.Message.Text, "/warn@qunzhu_test_bot") {
		t.Errorf("bot not known yet: %+v", ev.Message)
	}
}

// TestDecodeImplausibleDates: a date in milliseconds (the year 58,900) or
// before 2000 takes the time the update arrived, and is logged.
func TestDecodeImplausibleDates(t *testing.T) {
	var logs bytes.Buffer
	a := testAdapter(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	for _, tt := range []struct {
		date int64
		want time.Time
	}{
		{1764300000, time.Unix(1764300000, 0)},
		{1764300000000, testNow}, // milliseconds
		{946684799, testNow},     // 1999
		{testNow.Add(2 * time.Hour).Unix(), testNow.Add(2 * time.Hour)},
		{testNow.Add(48 * time.Hour).Unix(), testNow},
	} {
		body := fmt.Sprintf(`{"update_id":5,"message":{"message_id":9,"from":{"id":3,"is_bot":false,"first_name":"X"},"chat":{"id":-100,"type":"supergroup"},"date":%d,"text":"hi"}}`, tt.date)
		u, err := a.DecodeUpdate([]byte(body))
		if err != nil || len(u.Events) != 1 {
			t.Fatalf("%d: %+v %v", tt.date, u, err)
		}
		if got := u.Events[0].Time; !got.Equal(tt.want) {
			t.Errorf("date %d: time %v, want %v", tt.date, got, tt.want)
		}
	}
	if n := strings.Count(logs.String(), "implausible date"); n != 3 {
		t.Errorf("%d implausible dates logged, want 3:\n%s", n, logs.String())
	}
}
