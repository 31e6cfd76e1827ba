package importer

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// tgSupergroup is a single-chat Telegram Desktop export of a private supergroup
// (Bot API id -1001234567890) holding msgs.
func tgSupergroup(msgs ...string) string {
	return tgExport("private_supergroup", 1234567890, msgs...)
}

func tgExport(typ string, id int64, msgs ...string) string {
	return fmt.Sprintf(`{"name":"测试群","type":%q,"id":%d,"messages":[%s]}`, typ, id, strings.Join(msgs, ",\n"))
}

// tgm is a message of 2024-03-01 09:00:00 +08:00 with more fields.
func tgm(id int, fields string) string {
	return fmt.Sprintf(`{"id":%d,"type":"message","date":"2024-03-01T09:00:00","date_unixtime":"1709254800",%s}`, id, fields)
}

// tgs is a service message of the same time.
func tgs(id int, fields string) string {
	return fmt.Sprintf(`{"id":%d,"type":"service","date":"2024-03-01T09:00:00","date_unixtime":"1709254800","text":"",%s}`, id, fields)
}

const linxiao = `"from":"林晓","from_id":"user1001"`

func TestTelegramMessages(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want string // "" for no event
	}{
		{"text", tgm(1, linxiao+`,"text":"你好"`), `1 message 1001(林晓) text "你好"`},
		{"link entity", tgm(1, linxiao+`,"text":["看 ",{"type":"link","text":"https://e.org/a"}]`), `1 message 1001(林晓) link "看 https://e.org/a" url=https://e.org/a`},
		{"text_link entity", tgm(1, linxiao+`,"text":[{"type":"text_link","text":"这里","href":"https://e.org/x"}]`), `1 message 1001(林晓) link "这里" url=https://e.org/x`},
		{"mention_name", tgm(1, linxiao+`,"text":[{"type":"mention_name","text":"陈默","user_id":2002}," 你好"]`), `1 message 1001(林晓) text "陈默 你好" mentions=2002`},
		{"formatting", tgm(1, linxiao+`,"text":[{"type":"bold","text":"粗"},"体",{"type":"mention","text":"@someone"}]`), `1 message 1001(林晓) text "粗体@someone"`},
		{"photo with caption", tgm(1, linxiao+`,"photo":"photos/p.jpg","width":10,"height":10,"text":"合影"`), `1 message 1001(林晓) image "合影"`},
		{"sticker", tgm(1, linxiao+`,"file":"stickers/s.webp","media_type":"sticker","sticker_emoji":"😀","text":""`), `1 message 1001(林晓) sticker "😀"`},
		{"voice message", tgm(1, linxiao+`,"file":"voice/a.ogg","media_type":"voice_message","text":""`), `1 message 1001(林晓) voice ""`},
		{"audio file", tgm(1, linxiao+`,"file":"audio/a.mp3","media_type":"audio_file","performer":"x","text":""`), `1 message 1001(林晓) voice ""`},
		{"video file", tgm(1, linxiao+`,"file":"video/a.mp4","media_type":"video_file","text":"看"`), `1 message 1001(林晓) video "看"`},
		{"video message", tgm(1, linxiao+`,"file":"round/a.mp4","media_type":"video_message","text":""`), `1 message 1001(林晓) video ""`},
		{"animation", tgm(1, linxiao+`,"file":"(File not included. Change data exporting settings to download.)","media_type":"animation","text":""`), `1 message 1001(林晓) video ""`},
		{"file", tgm(1, linxiao+`,"file":"files/报名表.xlsx","mime_type":"application/vnd.ms-excel","text":""`), `1 message 1001(林晓) file "报名表.xlsx"`},
		{"file with caption", tgm(1, linxiao+`,"file":"files/a.pdf","text":"请看"`), `1 message 1001(林晓) file "请看"`},
		{"file not included", tgm(1, linxiao+`,"file":"(File exceeds maximum size. Change data exporting settings to download.)","text":""`), `1 message 1001(林晓) file ""`},
		{"forwarded", tgm(1, linxiao+`,"forwarded_from":"新闻","text":"转发的"`), `1 message 1001(林晓) forward "转发的"`},
		{"forwarded from a hidden account", tgm(1, linxiao+`,"forwarded_from":null,"text":"转发的"`), `1 message 1001(林晓) forward "转发的"`},
		{"contact", tgm(1, linxiao+`,"contact_information":{"first_name":"张","last_name":"三","phone_number":"+86 1"},"text":""`), `1 message 1001(林晓) card "张 三 +86 1"`},
		{"location", tgm(1, linxiao+`,"location_information":{"latitude":1,"longitude":2},"text":""`), `1 message 1001(林晓) card ""`},
		{"venue", tgm(1, linxiao+`,"place_name":"西湖","address":"杭州","location_information":{"latitude":1,"longitude":2},"text":""`), `1 message 1001(林晓) card "西湖 杭州"`},
		{"poll", tgm(1, linxiao+`,"poll":{"question":"几点？","closed":false,"total_voters":0,"answers":[]},"text":""`), `1 message 1001(林晓) card "几点？"`},
		{"game", tgm(1, linxiao+`,"game_title":"跳一跳","text":""`), `1 message 1001(林晓) card "跳一跳"`},
		{"reply", tgm(7, linxiao+`,"reply_to_message_id":5,"text":"对"`), `7 message 1001(林晓) text "对" reply=5`},
		{"anonymous administrator", tgm(1, `"from":"测试群","from_id":"channel1234567890","author":"小周","text":"通知"`), `1 message -1001234567890(小周) text "通知"`},
		{"linked channel", tgm(1, `"from":"频道","from_id":"channel777","text":"转载"`), `1 message -100777(频道) text "转载"`},
		{"basic group peer", tgm(1, `"from":"旧群","from_id":"chat55","text":"x"`), `1 message -55(旧群) text "x"`},
		{"numeric from_id (old exports)", tgm(1, `"from":"老周","from_id":3001,"text":"早"`), `1 message 3001(老周) text "早"`},
		{"deleted account", tgm(1, `"from":null,"from_id":"user9","text":"x"`), `1 message 9 text "x"`},
		{"edited", tgm(1, linxiao+`,"edited":"2024-03-01T10:00:00","edited_unixtime":"1709258400","text":"改过"`), `1 message 1001(林晓) text "改过"`},
		{"migrated history", tgm(-999999990, linxiao+`,"reply_to_message_id":-999999991,"text":"升级前"`), `-999999990 message 1001(林晓) text "升级前" reply=-999999991`},
		{"no content", tgm(1, linxiao+`,"text":""`), ""},
		{"no sender", tgm(1, `"text":"x"`), ""},
		{"unsupported", `{"id":1,"type":"unsupported"}`, ""},
		{"pin", tgs(1, `"actor":"林晓","actor_id":"user1001","action":"pin_message","message_id":3`), ""},
		{"migrate_to_supergroup", tgs(1, `"actor":"林晓","actor_id":"user1001","action":"migrate_to_supergroup"`), ""},
		{"group call", tgs(1, `"actor":"林晓","actor_id":"user1001","action":"group_call","duration":60`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, sum := mustImport(t, tgSupergroup(tc.msg), Options{})
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			} else if len(sum.Skipped) == 0 {
				t.Errorf("nothing counted as skipped: %+v", sum)
			}
			sameLines(t, briefs(evs), want)
			for _, e := range evs {
				if e.Group != "-1001234567890" || e.Platform != "telegram" || e.Connection != "c" || e.GroupName != "测试群" {
					t.Errorf("event %+v", e)
				}
				if !e.Time.Equal(time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)) {
					t.Errorf("time %v", e.Time)
				}
			}
		})
	}
}

func TestTelegramService(t *testing.T) {
	chenmoWrites := tgm(9, `"from":"陈默","from_id":"user1002","text":"我来了"`)
	tests := []struct {
		name string
		msgs []string
		want []string
	}{
		{"invited, resolved by what the invitee wrote later", []string{
			tgs(2, `"actor":"林晓","actor_id":"user1001","action":"invite_members","members":["陈默"]`), chenmoWrites},
			[]string{`2:joined:1002 member_joined 1002(陈默) source=pulled_in inviter=1001(林晓)`, `9 message 1002(陈默) text "我来了"`}},
		{"invited, never wrote: a name identity", []string{
			tgs(2, `"actor":"林晓","actor_id":"user1001","action":"invite_members","members":["王芳","陈默"]`), chenmoWrites},
			[]string{
				`2:joined:#0 member_joined ` + nameID("-1001234567890", "王芳") + `(王芳) source=pulled_in inviter=1001(林晓)`,
				`2:joined:1002 member_joined 1002(陈默) source=pulled_in inviter=1001(林晓)`,
				`9 message 1002(陈默) text "我来了"`}},
		{"two people of one name: not guessed", []string{
			tgs(2, `"actor":"林晓","actor_id":"user1001","action":"invite_members","members":["小明"]`),
			tgm(3, `"from":"小明","from_id":"user5","text":"a"`), tgm(4, `"from":"小明","from_id":"user6","text":"b"`)},
			[]string{`2:joined:#0 member_joined ` + nameID("-1001234567890", "小明") + `(小明) source=pulled_in inviter=1001(林晓)`,
				`3 message 5(小明) text "a"`, `4 message 6(小明) text "b"`}},
		{"joined by the group's link or username", []string{
			tgs(2, `"actor":"孙悦","actor_id":"user1004","action":"invite_members","members":["孙悦"]`)},
			[]string{`2:joined:1004 member_joined 1004(孙悦) source=promotion`}},
		{"joined by an invite link", []string{
			tgs(5, `"actor":"赵磊","actor_id":"user1003","action":"join_group_by_link","inviter":"林晓"`), tgm(6, linxiao+`,"text":"欢迎"`)},
			[]string{`5:joined:1003 member_joined 1003(赵磊) source=promotion inviter=1001(林晓)`, `6 message 1001(林晓) text "欢迎"`}},
		{"joined by request", []string{
			tgs(5, `"actor":"钱多多","actor_id":"user1005","action":"join_group_by_request"`)},
			[]string{`5:joined:1005 member_joined 1005(钱多多) source=promotion`}},
		{"removed", []string{
			tgs(8, `"actor":"林晓","actor_id":"user1001","action":"remove_members","members":["陈默"]`), chenmoWrites},
			[]string{`8:left:1002 member_left 1002(陈默) reason=removed actor=1001(林晓)`, `9 message 1002(陈默) text "我来了"`}},
		{"left", []string{
			tgs(8, `"actor":"陈默","actor_id":"user1002","action":"remove_members","members":["陈默"]`)},
			[]string{`8:left:1002 member_left 1002(陈默) reason=left`}},
		{"deleted accounts are skipped", []string{
			tgs(2, `"actor":"林晓","actor_id":"user1001","action":"invite_members","members":[null]`)}, nil},
		{"group created with members", []string{
			tgs(1, `"actor":"林晓","actor_id":"user1001","action":"create_group","title":"读书会","members":["林晓","陈默"]`), chenmoWrites},
			[]string{`1 group_created actor=1001(林晓) name="读书会"`, `1:joined:1002 member_joined 1002(陈默) source=pulled_in inviter=1001(林晓)`, `9 message 1002(陈默) text "我来了"`}},
		{"supergroup created", []string{
			tgs(1, `"actor":"林晓","actor_id":"user1001","action":"create_channel","title":"徒步"`)},
			[]string{`1 group_created actor=1001(林晓) name="徒步"`}},
		{"renamed", []string{
			tgs(3, `"actor":"林晓","actor_id":"user1001","action":"edit_group_title","title":"新名字"`)},
			[]string{`3 group_renamed actor=1001(林晓) name="新名字"`}},
		{"upgraded from a basic group", []string{
			tgs(1, `"actor":"林晓","actor_id":"user1001","action":"migrate_from_group","title":"旧名字"`)},
			[]string{`1 group_created actor=1001(林晓) name="测试群"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := mustImport(t, tgSupergroup(tc.msgs...), Options{})
			sameLines(t, briefs(evs), tc.want)
		})
	}
}

func TestTelegramChats(t *testing.T) {
	t.Run("basic group id", func(t *testing.T) {
		evs, _ := mustImport(t, tgExport("private_group", 42, tgm(1, linxiao+`,"text":"x"`)), Options{})
		if len(evs) != 1 || evs[0].ID != "-42:1" || evs[0].Group != "-42" {
			t.Fatalf("%+v", evs)
		}
	})
	t.Run("public supergroup id", func(t *testing.T) {
		evs, _ := mustImport(t, tgExport("public_supergroup", 77, tgm(1, linxiao+`,"text":"x"`)), Options{})
		if len(evs) != 1 || evs[0].ID != "-10077:1" {
			t.Fatalf("%+v", evs)
		}
	})
	for _, typ := range []string{"personal_chat", "bot_chat", "private_channel", "public_channel", "saved_messages"} {
		t.Run(typ+" is not imported", func(t *testing.T) {
			evs, sum := mustImport(t, tgExport(typ, 5, tgm(1, linxiao+`,"text":"x"`)), Options{})
			if len(evs) != 0 || len(sum.Groups) != 1 || sum.Groups[0].Skipped != typ+" (not a group)" || sum.Skipped["chat not imported"] != 1 {
				t.Fatalf("%+v %+v", evs, sum)
			}
		})
	}
	t.Run("account export: chats and left chats, groups only", func(t *testing.T) {
		_, evs := importAll(t, "telegram/account.json", Options{})
		groups := map[string]int{}
		for _, e := range evs {
			groups[e.Group]++
		}
		want := map[string]int{"-555000111": 4, "-1001700000001": 3, "-1001500000001": 1}
		if fmt.Sprint(groups) != fmt.Sprint(want) {
			t.Fatalf("events per group %v, want %v", groups, want)
		}
	})
	t.Run("a chosen group, mapped to another id", func(t *testing.T) {
		sum, evs := importAll(t, "telegram/account.json", Options{Groups: map[string]string{"-555000111": "g-books"}})
		if len(evs) != 4 || evs[0].Group != "g-books" || evs[0].ID != "g-books:1" {
			t.Fatalf("%+v", evs)
		}
		skipped := 0
		for _, g := range sum.Groups {
			if g.Skipped == "not chosen" {
				skipped++
			}
		}
		if skipped != 2 {
			t.Fatalf("groups %+v", sum.Groups)
		}
	})
	t.Run("times without date_unixtime are in Location", func(t *testing.T) {
		evs, _ := mustImport(t, tgSupergroup(`{"id":1,"type":"message","date":"2019-05-04T20:30:00","from":"老周","from_id":3001,"text":"x"}`), Options{Location: cst})
		if len(evs) != 1 || !evs[0].Time.Equal(time.Date(2019, 5, 4, 12, 30, 0, 0, time.UTC)) {
			t.Fatalf("%+v", evs)
		}
	})
	t.Run("date_unixtime wins over date", func(t *testing.T) {
		evs, _ := mustImport(t, tgSupergroup(`{"id":1,"type":"message","date":"1999-01-01T00:00:00","date_unixtime":1709254800,"from":"a","from_id":"user1","text":"x"}`), Options{})
		if len(evs) != 1 || evs[0].Time.Unix() != 1709254800 {
			t.Fatalf("%+v", evs)
		}
	})
	t.Run("unknown fields and sections are ignored", func(t *testing.T) {
		in := `{"about":"x","personal_information":{"user_id":1},"name":"测试群","type":"private_supergroup","id":1234567890,"future":[1,{"a":2}],"messages":[` +
			tgm(1, linxiao+`,"reactions":[{"type":"emoji","count":2}],"text":"x","text_entities":[{"type":"plain","text":"x"}]`) + `]}`
		evs, _ := mustImport(t, in, Options{})
		if len(evs) != 1 {
			t.Fatalf("%+v", evs)
		}
	})
}
