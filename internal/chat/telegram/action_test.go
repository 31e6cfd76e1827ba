package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// actionAdapter returns an adapter on the fake server whose clock says
// testNow.
func actionAdapter(t *testing.T, f *fakeAPI) *Adapter {
	t.Helper()
	return testAdapter(t, func(c *Config) { c.APIURL = f.URL() })
}

const noSend = `"can_add_web_page_previews":false,"can_change_info":false,"can_invite_users":false,"can_manage_topics":false,"can_pin_messages":false,"can_send_audios":false,"can_send_documents":false,"can_send_messages":false,"can_send_other_messages":false,"can_send_photos":false,"can_send_polls":false,"can_send_video_notes":false,"can_send_videos":false,"can_send_voice_notes":false`

// The group's defaults, as the fake's getChat answers them.
const groupDefaults = `"can_add_web_page_previews":true,"can_change_info":false,"can_invite_users":true,"can_manage_topics":false,"can_pin_messages":false,"can_send_audios":true,"can_send_documents":true,"can_send_messages":true,"can_send_other_messages":true,"can_send_photos":true,"can_send_polls":false,"can_send_video_notes":true,"can_send_videos":true,"can_send_voice_notes":true`

func TestActions(t *testing.T) {
	mute := chat.Action{Kind: chat.ActMute, Group: group, User: "8045678901", Duration: chat.Duration(time.Hour)}
	until := func(d time.Duration) string { return itoa(testNow.Add(d).Unix()) }
	tests := []struct {
		name  string
		act   chat.Action
		calls []string
	}{
		{"send", chat.Action{Kind: chat.ActSend, Group: group, Text: "欢迎新朋友！"},
			[]string{`sendMessage {"chat_id":-1001987654321,"text":"欢迎新朋友！"}`}},
		{"send reply", chat.Action{Kind: chat.ActSend, Group: group, Text: "请勿发广告", MessageID: "4104"},
			[]string{`sendMessage {"chat_id":-1001987654321,"reply_parameters":{"allow_sending_without_reply":true,"message_id":4104},"text":"请勿发广告"}`}},
		// The member warned is mentioned natively (in UTF-16 units: 💰 is
		// two), in place of the "@name" the text starts with.
		{"warning mentions the member", chat.Action{Kind: chat.ActSend, Group: group, Text: "@💰Crypto Signals 请勿发广告", MessageID: "4104", Mention: &chat.User{ID: "8045678901", Name: "💰Crypto Signals"}},
			[]string{`sendMessage {"chat_id":-1001987654321,"entities":[{"length":16,"offset":0,"type":"text_mention","user":{"first_name":"💰Crypto Signals","id":8045678901,"is_bot":false}}],"reply_parameters":{"allow_sending_without_reply":true,"message_id":4104},"text":"💰Crypto Signals 请勿发广告"}`}},
		{"warning of a member whose name is unknown", chat.Action{Kind: chat.ActSend, Group: group, Text: "⚠️ 发广告", Mention: &chat.User{ID: "8045678901"}},
			[]string{`sendMessage {"chat_id":-1001987654321,"entities":[{"length":10,"offset":0,"type":"text_mention","user":{"first_name":"8045678901","id":8045678901,"is_bot":false}}],"text":"8045678901 ⚠️ 发广告"}`}},
		{"warning of a channel names it without a link", chat.Action{Kind: chat.ActSend, Group: group, Text: "@好物推荐 请勿发广告", Mention: &chat.User{ID: "-1001555666777", Name: "好物推荐"}},
			[]string{`sendMessage {"chat_id":-1001987654321,"text":"好物推荐 请勿发广告"}`}},
		// A welcome names each newcomer natively: a text_mention of each
		// name in place of its "@name" (UTF-16 units); a chat posting in
		// the group keeps its plain "@name".
		{"a welcome mentions each newcomer", chat.Action{Kind: chat.ActSend, Group: group, Text: "欢迎 @💰Ann、@Bo、@好物推荐 加入！",
			Mentions: []chat.Mention{{User: chat.User{ID: "8045678901", Name: "💰Ann"}, Offset: 7, Length: 8}, {User: chat.User{ID: "8045678902", Name: "Bo"}, Offset: 18, Length: 3},
				{User: chat.User{ID: "-1001555666777", Name: "好物推荐"}, Offset: 24, Length: 13}}},
			[]string{`sendMessage {"chat_id":-1001987654321,"entities":[{"length":5,"offset":3,"type":"text_mention","user":{"first_name":"💰Ann","id":8045678901,"is_bot":false}},{"length":2,"offset":9,"type":"text_mention","user":{"first_name":"Bo","id":8045678902,"is_bot":false}}],"text":"欢迎 💰Ann、Bo、@好物推荐 加入！"}`}},
		// A button under the message: an inline keyboard, one button a row.
		{"send with a button", chat.Action{Kind: chat.ActSend, Group: group, Text: "请点按钮完成验证", Buttons: []chat.Button{{Text: "我不是机器人", Data: "gate:17"}}},
			[]string{`sendMessage {"chat_id":-1001987654321,"reply_markup":{"inline_keyboard":[[{"callback_data":"gate:17","text":"我不是机器人"}]]},"text":"请点按钮完成验证"}`}},
		{"send a picture", chat.Action{Kind: chat.ActSend, Group: group, Text: "本期课表", Image: "https://example.com/kb.png", MessageID: "4104"},
			[]string{`sendPhoto {"caption":"本期课表","chat_id":-1001987654321,"photo":"https://example.com/kb.png","reply_parameters":{"allow_sending_without_reply":true,"message_id":4104}}`}},
		{"a caption too long follows the picture", chat.Action{Kind: chat.ActSend, Group: group, Text: strings.Repeat("课", 1100), Image: "https://example.com/kb.png"},
			[]string{`sendPhoto {"chat_id":-1001987654321,"photo":"https://example.com/kb.png"}`, `sendMessage {"chat_id":-1001987654321,"text":"` + strings.Repeat("课", 1100) + `"}`}},
		{"delete", chat.Action{Kind: chat.ActDelete, Group: group, MessageID: "4104"},
			[]string{`deleteMessage {"chat_id":-1001987654321,"message_id":4104}`}},
		{"mute 1h", mute,
			[]string{`restrictChatMember {"chat_id":-1001987654321,"permissions":{` + noSend + `},"until_date":` + until(time.Hour) + `,"use_independent_chat_permissions":true,"user_id":8045678901}`}},
		{"mute 10s lasts the shortest Telegram allows", chat.Action{Kind: chat.ActMute, Group: group, User: "8045678901", Duration: chat.Duration(10 * time.Second)},
			[]string{`restrictChatMember {"chat_id":-1001987654321,"permissions":{` + noSend + `},"until_date":` + until(minMute) + `,"use_independent_chat_permissions":true,"user_id":8045678901}`}},
		// Made 10 minutes after it was decided (a retry): it still ends an
		// hour after the decision.
		{"mute retried ends when decided", chat.Action{Kind: chat.ActMute, Group: group, User: "8045678901", Duration: chat.Duration(time.Hour), Until: testNow.Add(50 * time.Minute)},
			[]string{`restrictChatMember {"chat_id":-1001987654321,"permissions":{` + noSend + `},"until_date":` + until(50*time.Minute) + `,"use_independent_chat_permissions":true,"user_id":8045678901}`}},
		{"mute retried with 10s left lasts the shortest Telegram allows", chat.Action{Kind: chat.ActMute, Group: group, User: "8045678901", Duration: chat.Duration(time.Hour), Until: testNow.Add(10 * time.Second)},
			[]string{`restrictChatMember {"chat_id":-1001987654321,"permissions":{` + noSend + `},"until_date":` + until(minMute) + `,"use_independent_chat_permissions":true,"user_id":8045678901}`}},
		{"mute retried after its end is not made", chat.Action{Kind: chat.ActMute, Group: group, User: "8045678901", Duration: chat.Duration(time.Hour), Until: testNow.Add(-time.Second)},
			nil},
		{"mute forever", chat.Action{Kind: chat.ActMute, Group: group, User: "8045678901"},
			[]string{`restrictChatMember {"chat_id":-1001987654321,"permissions":{` + noSend + `},"use_independent_chat_permissions":true,"user_id":8045678901}`}},
		{"unmute restores the group's defaults", chat.Action{Kind: chat.ActUnmute, Group: group, User: "8045678901"},
			[]string{`getChat {"chat_id":-1001987654321}`,
				`restrictChatMember {"chat_id":-1001987654321,"permissions":{` + groupDefaults + `},"use_independent_chat_permissions":true,"user_id":8045678901}`}},
		{"kick", chat.Action{Kind: chat.ActKick, Group: group, User: "8045678901"},
			[]string{`banChatMember {"chat_id":-1001987654321,"user_id":8045678901}`, `unbanChatMember {"chat_id":-1001987654321,"only_if_banned":true,"user_id":8045678901}`}},
		{"ban", chat.Action{Kind: chat.ActBan, Group: group, User: "8045678901"},
			[]string{`banChatMember {"chat_id":-1001987654321,"user_id":8045678901}`}},
		{"unban", chat.Action{Kind: chat.ActUnban, Group: group, User: "8045678901"},
			[]string{`unbanChatMember {"chat_id":-1001987654321,"only_if_banned":true,"user_id":8045678901}`}},
		{"ban a channel", chat.Action{Kind: chat.ActBan, Group: group, User: "-1001555666777"},
			[]string{`banChatSenderChat {"chat_id":-1001987654321,"sender_chat_id":-1001555666777}`}},
		{"unban a channel", chat.Action{Kind: chat.ActUnban, Group: group, User: "-1001555666777"},
			[]string{`unbanChatSenderChat {"chat_id":-1001987654321,"sender_chat_id":-1001555666777}`}},
		{"make an assistant an admin", chat.Action{Kind: chat.ActSetRole, Group: group, User: "8045678901", Text: "admin"},
			[]string{`promoteChatMember {"can_delete_messages":true,"can_invite_users":true,"can_manage_chat":true,"can_pin_messages":true,"can_restrict_members":true,"chat_id":-1001987654321,"user_id":8045678901}`}},
		{"back to member", chat.Action{Kind: chat.ActSetRole, Group: group, User: "8045678901", Text: "member"},
			[]string{`promoteChatMember {"can_delete_messages":false,"can_invite_users":false,"can_manage_chat":false,"can_pin_messages":false,"can_restrict_members":false,"chat_id":-1001987654321,"user_id":8045678901}`}},
		{"personal invite link", chat.Action{Kind: chat.ActInviteLink, Group: group, Code: "K7M2QX9P", MessageID: "4104", Text: "阿梅的专属邀请链接：{link}"},
			[]string{`createChatInviteLink {"chat_id":-1001987654321,"name":"K7M2QX9P"}`,
				`sendMessage {"chat_id":-1001987654321,"reply_parameters":{"allow_sending_without_reply":true,"message_id":4104},"text":"阿梅的专属邀请链接：https://t.me/+AbCdEf123"}`}},
		{"set notice", chat.Action{Key: "n1", Kind: chat.ActSetNotice, Group: group, Text: "群规：禁止广告"},
			[]string{`sendMessage {"chat_id":-1001987654321,"text":"群规：禁止广告"}`, `pinChatMessage {"chat_id":-1001987654321,"message_id":9001}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			if err := actionAdapter(t, f).Do(context.Background(), tt.act); err != nil {
				t.Fatalf("Do: %v", err)
			}
			calls := f.Calls()
			if len(calls) != len(tt.calls) {
				t.Fatalf("calls %v\nwant %v", calls, tt.calls)
			}
			for i, c := range calls {
				if got := canon(c); got != tt.calls[i] {
					t.Errorf("call %d:\n got %s\nwant %s", i, got, tt.calls[i])
				}
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	caps := testAdapter(t, nil).Capabilities()
	for _, k := range append(chat.ActionKinds, chat.CapTimedMute) {
		if !caps.Can(k) {
			t.Errorf("cannot %s", k)
		}
	}
}

func TestActionErrors(t *testing.T) {
	del := chat.Action{Kind: chat.ActDelete, Group: group, MessageID: "4104"}
	ban := chat.Action{Kind: chat.ActBan, Group: group, User: "8045678901"}
	tests := []struct {
		name      string
		act       chat.Action
		method    string
		rep       fakeRep
		permanent bool
		after     time.Duration // a RetryAfterError's wait
	}{
		{"flood", del, "deleteMessage", errRep(429, "Too Many Requests: retry after 35", `{"retry_after":35}`), false, 35 * time.Second},
		{"gone", del, "deleteMessage", errRep(400, "Bad Request: message to delete not found", ""), true, 0},
		{"user not found", ban, "banChatMember", errRep(400, "Bad Request: user not found", ""), true, 0},
		{"no rights", ban, "banChatMember", errRep(400, "Bad Request: not enough rights to restrict/unrestrict chat member", ""), true, 0},
		{"bot kicked", del, "deleteMessage", errRep(403, "Forbidden: bot was kicked from the supergroup chat", ""), true, 0},
		{"server error", del, "deleteMessage", fakeRep{502, "<html>bad gateway</html>"}, false, 0},
		{"internal", ban, "banChatMember", errRep(500, "Internal Server Error", ""), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.reply(tt.method, tt.rep)
			err := actionAdapter(t, f).Do(context.Background(), tt.act)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, chat.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent %v, want %v: %v", got, tt.permanent, err)
			}
			var ra *chat.RetryAfterError
			if got := errors.As(err, &ra); got != (tt.after > 0) || (got && ra.After != tt.after) {
				t.Errorf("retry after: %v %+v, want %v", got, ra, tt.after)
			}
			if !strings.Contains(err.Error(), string(tt.act.Kind)) || strings.Contains(err.Error(), testToken) {
				t.Errorf("error text %q", err)
			}
		})
	}
	// A network error is retried, and does not show the token.
	a := testAdapter(t, func(c *Config) { c.APIURL = "http://127.0.0.1:1" })
	err := a.Do(context.Background(), del)
	if err == nil || errors.Is(err, chat.ErrPermanent) || strings.Contains(err.Error(), testToken) {
		t.Errorf("network error: %v", err)
	}
	// Ids that are not Telegram's are permanent failures without a call.
	f := newFakeAPI(t)
	for _, act := range []chat.Action{
		{Kind: chat.ActDelete, Group: "general", MessageID: "1"},
		{Kind: chat.ActDelete, Group: group, MessageID: "abc"},
		{Kind: chat.ActBan, Group: group, User: "@alice"},
		{Kind: chat.ActSend, Group: group, Text: "x", MessageID: "x"},
		{Kind: chat.ActMute, Group: group, User: "-1001555666777"},
		{Kind: "dance", Group: group, User: "1"},
	} {
		if err := actionAdapter(t, f).Do(context.Background(), act); !errors.Is(err, chat.ErrPermanent) {
			t.Errorf("%+v: %v", act, err)
		}
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("calls %v", calls)
	}
}

// TestActionFollowsMigration: a basic group that became a supergroup
// answers 400 with migrate_to_chat_id; the action is made there, and the
// next one goes there at once.
func TestActionFollowsMigration(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("sendMessage", errRep(400, "Bad Request: group chat was upgraded to a supergroup chat", `{"migrate_to_chat_id":-1002345678901}`))
	a := actionAdapter(t, f)
	send := chat.Action{Kind: chat.ActSend, Group: "-4012345678", Text: "hi"}
	if err := a.Do(context.Background(), send); err != nil {
		t.Fatal(err)
	}
	if err := a.Do(context.Background(), send); err != nil {
		t.Fatal(err)
	}
	var chats []string
	for _, c := range f.Calls() {
		chats = append(chats, c.Params["chat_id"].(interface{ String() string }).String())
	}
	if strings.Join(chats, " ") != "-4012345678 -1002345678901 -1002345678901" {
		t.Errorf("chats %v", chats)
	}
}

// TestNoticeRetryPinsOnly: when the pin fails, the retry pins the message
// already sent instead of sending it again.
func TestNoticeRetryPinsOnly(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("pinChatMessage", fakeRep{502, "bad gateway"})
	a := actionAdapter(t, f)
	notice := chat.Action{Key: "notice-7", Kind: chat.ActSetNotice, Group: group, Text: "今晚八点直播"}
	if err := a.Do(context.Background(), notice); err == nil || errors.Is(err, chat.ErrPermanent) {
		t.Fatalf("first attempt: %v", err)
	}
	if err := a.Do(context.Background(), notice); err != nil {
		t.Fatalf("retry: %v", err)
	}
	var got []string
	for _, c := range f.Calls() {
		got = append(got, canon(c))
	}
	want := []string{
		`sendMessage {"chat_id":-1001987654321,"text":"今晚八点直播"}`,
		`pinChatMessage {"chat_id":-1001987654321,"message_id":9001}`,
		`pinChatMessage {"chat_id":-1001987654321,"message_id":9001}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUnmuteWithoutGetChat: when getChat fails, an unmute restores the
// send permissions and grants nothing more.
func TestUnmuteWithoutGetChat(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("getChat", errRep(400, "Bad Request: chat not found", ""))
	if err := actionAdapter(t, f).Do(context.Background(), chat.Action{Kind: chat.ActUnmute, Group: group, User: "1"}); err != nil {
		t.Fatal(err)
	}
	want := `restrictChatMember {"chat_id":-1001987654321,"permissions":{"can_add_web_page_previews":true,"can_send_audios":true,"can_send_documents":true,"can_send_messages":true,"can_send_other_messages":true,"can_send_photos":true,"can_send_polls":true,"can_send_video_notes":true,"can_send_videos":true,"can_send_voice_notes":true},"use_independent_chat_permissions":true,"user_id":1}`
	if calls := f.Calls("restrictChatMember"); len(calls) != 1 || canon(calls[0]) != want {
		t.Errorf("calls %v\nwant %s", calls, want)
	}
}

// TestErrorsKeepTheReason: what a server said travels in the error, be
// it Telegram's description or the body of an answer that is not the Bot
// API's (a proxy's page, another server's message); 5xx stays retryable.
func TestErrorsKeepTheReason(t *testing.T) {
	del := chat.Action{Kind: chat.ActDelete, Group: group, MessageID: "4104"}
	tests := []struct {
		name      string
		rep       fakeRep
		want      []string
		permanent bool
	}{
		{"proxy page", fakeRep{502, "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>"}, []string{"502", "Bad Gateway", "<title>502 Bad Gateway</title>"}, false},
		{"unsupported method", fakeRep{500, `{"message":"API method 'deleteMessage' is not supported."}`}, []string{"500", "API method 'deleteMessage' is not supported."}, false},
		{"telegram's refusal", errRep(400, "Bad Request: message to delete not found", ""), []string{"400", "message to delete not found"}, true},
		{"empty body", fakeRep{503, ""}, []string{"503", "Service Unavailable", "(empty body)"}, false},
		{"200 but not the bot api", fakeRep{200, "<html>captive portal</html>"}, []string{"not a Bot API answer", "captive portal"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.reply("deleteMessage", tt.rep)
			err := actionAdapter(t, f).Do(context.Background(), del)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if errors.Is(err, chat.ErrPermanent) != tt.permanent {
				t.Errorf("permanent %v, want %v", errors.Is(err, chat.ErrPermanent), tt.permanent)
			}
		})
	}
}

// TestWarningNamesKnownMember: a staff /warn names only the member's id;
// the adapter mentions them by the name it saw in their messages.
func TestWarningNamesKnownMember(t *testing.T) {
	f := newFakeAPI(t)
	a := actionAdapter(t, f)
	decodeAll(t, a, "text") // Alice Wang speaks
	if err := a.Do(context.Background(), chat.Action{Kind: chat.ActSend, Group: group, Text: "⚠️ 发广告", MessageID: "4101", Mention: &chat.User{ID: alice.ID}}); err != nil {
		t.Fatal(err)
	}
	want := `sendMessage {"chat_id":-1001987654321,"entities":[{"length":10,"offset":0,"type":"text_mention","user":{"first_name":"Alice Wang","id":5012345678,"is_bot":false}}],"reply_parameters":{"allow_sending_without_reply":true,"message_id":4101},"text":"Alice Wang ⚠️ 发广告"}`
	if calls := f.Calls(); len(calls) != 1 || canon(calls[0]) != want {
		t.Errorf("calls %v\nwant %s", calls, want)
	}
}
