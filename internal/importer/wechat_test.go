package importer

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// memoHeader is MemoTrace/WeChatMsg's CSV header.
var memoHeader = []string{"localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status", "StrContent", "StrTime", "Remark", "NickName", "Sender"}

// csvOf writes rows as CSV (quoting as Python's csv module does).
func csvOf(rows ...[]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.WriteAll(rows)
	return b.String()
}

// memoRow is a MemoTrace row at 2024-03-01 09:00:00 +08:00.
func memoRow(typ, sub, isSender, content, remark, nick, sender string) []string {
	return []string{"1", "5", typ, sub, isSender, "1709254800", "2", content, "2024-03-01 09:00:00", remark, nick, sender}
}

// wxOpt imports into group g@chatroom, the operator's zone UTC+8.
var wxOpt = Options{Group: "g@chatroom", Location: cst}

func TestWeChatCSVKinds(t *testing.T) {
	tests := []struct {
		name, typ, sub, content string
		want                    string
	}{
		{"text", "1", "0", "大家好", `imp message wxid_a(阿明) text "大家好"`},
		{"text with a link", "1", "0", "看 https://e.org/a。", `imp message wxid_a(阿明) link "看 https://e.org/a。" url=https://e.org/a`},
		{"@所有人", "1", "0", "@所有人 开会", `imp message wxid_a(阿明) text "@所有人 开会" all`},
		{"text that looks like a placeholder", "1", "0", "[图片]不是图片", `imp message wxid_a(阿明) text "[图片]不是图片"`},
		{"image", "3", "0", `<?xml version="1.0"?><msg><img length="1"/></msg>`, `imp message wxid_a(阿明) image ""`},
		{"voice", "34", "0", `<msg><voicemsg voicelength="3000"/></msg>`, `imp message wxid_a(阿明) voice ""`},
		{"card", "42", "0", `<msg username="wxid_x" nickname="某人"/>`, `imp message wxid_a(阿明) card ""`},
		{"video", "43", "0", `<msg><videomsg length="1"/></msg>`, `imp message wxid_a(阿明) video ""`},
		{"sticker", "47", "0", `<msg><emoji md5="0"/></msg>`, `imp message wxid_a(阿明) sticker ""`},
		{"location", "48", "0", `<msg><location x="1" y="2" label="西湖"/></msg>`, `imp message wxid_a(阿明) card ""`},
		{"shared link", "49", "5", `<msg><appmsg><title>路线</title><url>https://e.org/r</url></appmsg></msg>`, `imp message wxid_a(阿明) link "路线" url=https://e.org/r`},
		{"music", "49", "3", `<msg><appmsg><title>歌</title><url>https://e.org/m</url></appmsg></msg>`, `imp message wxid_a(阿明) link "歌" url=https://e.org/m`},
		{"file", "49", "6", `<msg><appmsg><title>表.xlsx</title></appmsg></msg>`, `imp message wxid_a(阿明) file "表.xlsx"`},
		{"forwarded chat history", "49", "19", `<msg><appmsg><title>群聊的聊天记录</title></appmsg></msg>`, `imp message wxid_a(阿明) forward "群聊的聊天记录"`},
		{"mini program", "49", "33", `<msg><appmsg><title>小程序</title></appmsg></msg>`, `imp message wxid_a(阿明) miniprogram "小程序"`},
		{"reply", "49", "57", `<msg><appmsg><title>同意</title><refermsg><content>x</content></refermsg></appmsg></msg>`, `imp message wxid_a(阿明) text "同意"`},
		{"transfer", "49", "2000", `<msg><appmsg><title>微信转账</title></appmsg></msg>`, `imp message wxid_a(阿明) redpacket "微信转账"`},
		{"red packet", "49", "2001", `<msg><appmsg><title>恭喜发财</title></appmsg></msg>`, `imp message wxid_a(阿明) redpacket "恭喜发财"`},
		{"GIF", "49", "8", `<msg><appmsg><title>x</title></appmsg></msg>`, `imp message wxid_a(阿明) sticker "x"`},
		{"call: not a message", "50", "0", "", ""},
		{"friend request: not a message", "37", "0", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, sum := mustImport(t, csvOf(memoHeader, memoRow(tc.typ, tc.sub, "0", tc.content, "明哥", "阿明", "wxid_a")), wxOpt)
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			} else if sum.Skipped["type "+tc.typ] != 1 {
				t.Errorf("skipped %v", sum.Skipped)
			}
			sameLines(t, briefs(evs), want)
			for _, e := range evs {
				if e.Group != "g@chatroom" || e.Platform != "webhook" || !e.Time.Equal(time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)) {
					t.Errorf("%+v", e)
				}
			}
		})
	}
}

// The notices of WeChat groups, as CSV system rows (Type 10000).
func TestWeChatNotices(t *testing.T) {
	self := &chat.User{ID: "wxid_me", Name: "我自己"}
	g := "g@chatroom"
	n := func(name string) string { return nameID(g, name) + "(" + name + ")" }
	tests := []struct {
		name, notice string
		want         []string
	}{
		{"invited", `"林晓"邀请"陈默"加入了群聊`, []string{`imp member_joined ` + n("陈默") + ` source=pulled_in inviter=` + n("林晓")}},
		{"invited several", `"林晓"邀请"陈默、王芳"加入了群聊`, []string{
			`imp member_joined ` + n("陈默") + ` source=pulled_in inviter=` + n("林晓"),
			`imp member_joined ` + n("王芳") + ` source=pulled_in inviter=` + n("林晓")}},
		{"Chinese quotes", `“林晓”邀请“陈默”加入了群聊`, []string{`imp member_joined ` + n("陈默") + ` source=pulled_in inviter=` + n("林晓")}},
		{"invited by me", `你邀请"陈默"加入了群聊`, []string{`imp member_joined ` + n("陈默") + ` source=pulled_in inviter=wxid_me(我自己)`}},
		{"I was invited", `"林晓"邀请你加入了群聊，群聊参与人还有：陈默`, []string{`imp member_joined wxid_me(我自己) source=pulled_in inviter=` + n("林晓")}},
		{"I was invited with others", `"林晓"邀请你和"陈默"加入了群聊`, []string{
			`imp member_joined wxid_me(我自己) source=pulled_in inviter=` + n("林晓"),
			`imp member_joined ` + n("陈默") + ` source=pulled_in inviter=` + n("林晓")}},
		{"QR code a member shared", `"赵磊"通过扫描"陈默"分享的二维码加入群聊`, []string{`imp member_joined ` + n("赵磊") + ` source=referral inviter=` + n("陈默")}},
		{"QR code I shared", `"赵磊"通过扫描你分享的二维码加入群聊`, []string{`imp member_joined ` + n("赵磊") + ` source=referral inviter=wxid_me(我自己)`}},
		{"I scanned a QR code", `你通过扫描"陈默"分享的二维码加入群聊`, []string{`imp member_joined wxid_me(我自己) source=referral inviter=` + n("陈默")}},
		{"invitation QR code", `"赵磊"通过"陈默"的邀请二维码加入群聊`, []string{`imp member_joined ` + n("赵磊") + ` source=referral inviter=` + n("陈默")}},
		{"the group's QR code", `"赵磊"通过扫描二维码加入群聊`, []string{`imp member_joined ` + n("赵磊") + ` source=promotion`}},
		{"joined", `"赵磊"加入了群聊`, []string{`imp member_joined ` + n("赵磊")}},
		{"removed by me", `你将"赵磊"移出了群聊`, []string{`imp member_left ` + n("赵磊") + ` reason=removed actor=wxid_me(我自己)`}},
		{"removed", `"林晓"将"赵磊"移出了群聊`, []string{`imp member_left ` + n("赵磊") + ` reason=removed actor=` + n("林晓")}},
		{"I was removed", `你被"林晓"移出群聊`, []string{`imp member_left wxid_me(我自己) reason=removed actor=` + n("林晓")}},
		{"left", `"赵磊"退出了群聊`, []string{`imp member_left ` + n("赵磊") + ` reason=left`}},
		{"renamed", `"林晓"修改群名为“周末徒步”`, []string{`imp group_renamed actor=` + n("林晓") + ` name="周末徒步"`}},
		{"renamed by me", `你修改群名为“周末徒步”`, []string{`imp group_renamed actor=wxid_me(我自己) name="周末徒步"`}},
		{"template with wxids", `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile"><template><![CDATA["$username$"邀请"$names$"加入了群聊]]></template><link_list>` +
			`<link name="username" type="link_profile"><memberlist><member><username><![CDATA[wxid_lx]]></username><nickname><![CDATA[林晓]]></nickname></member></memberlist></link>` +
			`<link name="names" type="link_profile"><memberlist><member><username>wxid_cm</username><nickname>陈默</nickname></member><member><username>wxid_wf</username><nickname>王芳</nickname></member></memberlist><separator>、</separator></link>` +
			`</link_list></content_template></sysmsgtemplate></sysmsg>`, []string{
			`imp member_joined wxid_cm(陈默) source=pulled_in inviter=wxid_lx(林晓)`,
			`imp member_joined wxid_wf(王芳) source=pulled_in inviter=wxid_lx(林晓)`}},
		{"template of a kick", `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile"><template><![CDATA[你将"$kickoutname$"移出了群聊]]></template><link_list>` +
			`<link name="kickoutname" type="link_profile"><memberlist><member><username>wxid_zl</username><nickname>赵磊</nickname></member></memberlist></link></link_list></content_template></sysmsgtemplate></sysmsg>`,
			[]string{`imp member_left wxid_zl(赵磊) reason=removed actor=wxid_me(我自己)`}},
		{"recall: ignored", `"陈默" 撤回了一条消息`, nil},
		{"pat: ignored", `<sysmsg type="pat"><pat><fromusername>wxid_a</fromusername></pat></sysmsg>`, nil},
		{"privacy warning: ignored", `"赵磊"与群里其他人都不是朋友关系，请注意隐私安全`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := wxOpt
			opt.Self = self
			evs, sum := mustImport(t, csvOf(memoHeader, memoRow("10000", "0", "0", tc.notice, "", "", "")), opt)
			sameLines(t, briefs(evs), tc.want)
			if tc.want == nil && sum.Skipped["system notice"] != 1 {
				t.Errorf("skipped %v", sum.Skipped)
			}
		})
	}
	t.Run("names resolve to the wxids they wrote with", func(t *testing.T) {
		evs, _ := mustImport(t, csvOf(memoHeader,
			memoRow("10000", "0", "0", `"林晓"邀请"陈默"加入了群聊`, "", "", ""),
			memoRow("1", "0", "0", "谢谢", "老陈", "陈默", "wxid_cm"),
			memoRow("1", "0", "0", "欢迎", "", "林晓", "wxid_lx")), wxOpt)
		sameLines(t, briefs(evs)[:1], []string{`imp member_joined wxid_cm(陈默) source=pulled_in inviter=wxid_lx(林晓)`})
	})
	t.Run("and to remarks", func(t *testing.T) {
		evs, _ := mustImport(t, csvOf(memoHeader,
			memoRow("1", "0", "0", "谢谢", "老陈", "陈默", "wxid_cm"),
			memoRow("10000", "0", "0", `"老陈"退出了群聊`, "", "", "")), wxOpt)
		sameLines(t, briefs(evs)[1:], []string{`imp member_left wxid_cm(老陈) reason=left`})
	})
}

func TestWeChatCSVColumns(t *testing.T) {
	row := memoRow("1", "0", "0", "你好", "明哥", "阿明", "wxid_a")
	want := []string{`imp message wxid_a(阿明) text "你好"`}
	reorder := func(rows [][]string, order []int) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			for _, j := range order {
				out[i] = append(out[i], r[j])
			}
		}
		return out
	}
	tests := []struct {
		name  string
		input string
		opt   Options
		want  []string
	}{
		{"MemoTrace", csvOf(memoHeader, row), wxOpt, want},
		{"with a byte order mark", "\ufeff" + csvOf(memoHeader, row), wxOpt, want},
		{"columns in another order", csvOf(reorder([][]string{memoHeader, row}, []int{11, 7, 2, 10, 5, 3, 0, 4})...), wxOpt, want},
		{"without the optional columns", csvOf(reorder([][]string{memoHeader, row}, []int{2, 5, 7, 11})...), wxOpt, []string{`imp message wxid_a text "你好"`}},
		{"with unknown columns", csvOf(append(slicesOf(memoHeader), "Extra"), append(slicesOf(row), "x")), wxOpt, want},
		{"header names in any case", csvOf([]string{"type", "createtime", "strcontent", "sender", "nickname"}, []string{"1", "1709254800", "你好", "wxid_a", "阿明"}), wxOpt, want},
		{"remark when there is no nickname", csvOf(memoHeader, memoRow("1", "0", "0", "你好", "明哥", "", "wxid_a")), wxOpt, []string{`imp message wxid_a(明哥) text "你好"`}},
		{"private chat rows of the older MemoTrace (no sender columns)", csvOf(memoHeader, row[:9]), wxOpt, nil},
		{"CreateTime in milliseconds", csvOf([]string{"Type", "CreateTime", "StrContent", "Sender", "NickName"}, []string{"1", "1709254800123", "你好", "wxid_a", "阿明"}), wxOpt, want},
		{"StrTime only", csvOf([]string{"Type", "StrTime", "StrContent", "Sender", "NickName"}, []string{"1", "2024-03-01 09:00:00", "你好", "wxid_a", "阿明"}), wxOpt, want},
		{"the sender in the content (older databases)", csvOf(memoHeader, memoRow("1", "0", "0", "wxid_a:\n你好", "", "", "")), wxOpt, []string{`imp message wxid_a text "你好"`}},
		{"a multi-line message", csvOf(memoHeader, memoRow("1", "0", "0", "第一行\n\n\"第三行\"", "", "阿明", "wxid_a")), wxOpt, []string{`imp message wxid_a(阿明) text "第一行\n\n\"第三行\""`}},
		{"my message, with Self", csvOf(memoHeader, memoRow("1", "0", "1", "我发的", "", "", "")), Options{Group: "g@chatroom", Self: &chat.User{ID: "wxid_me", Name: "我自己"}}, []string{`imp message wxid_me(我自己) text "我发的"`}},
		{"my message, without Self", csvOf(memoHeader, memoRow("1", "0", "1", "我发的", "", "", "")), wxOpt, []string{`imp message ` + nameID("g@chatroom", "我") + `(我) text "我发的"`}},
		{"my message with my wxid", csvOf(memoHeader, memoRow("1", "0", "1", "我发的", "林晓", "林晓", "wxid_lx")), wxOpt, []string{`imp message wxid_lx(林晓) text "我发的"`}},
		{"a name without a wxid", csvOf(memoHeader, memoRow("1", "0", "0", "你好", "", "阿明", "")), wxOpt, []string{`imp message ` + nameID("g@chatroom", "阿明") + `(阿明) text "你好"`}},
		{"MsgSvrID", csvOf([]string{"MsgSvrID", "Type", "CreateTime", "StrContent", "Sender"}, []string{"8123456789012345678", "1", "1709254800", "你好", "wxid_a"}), wxOpt, []string{`svr:8123456789012345678 message wxid_a text "你好"`}},
		{"PyWxDump", csvOf([]string{"id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg", "src", "CreateTime"},
			[]string{"1", "8123", "文本", "0", "wxid_a", "g@chatroom", "你好", "", "2024-03-01 09:00:00"}), Options{Location: cst}, []string{`svr:8123 message wxid_a text "你好"`}},
		{"PyWxDump, the exporter's own", csvOf([]string{"id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg", "src", "CreateTime"},
			[]string{"1", "8123", "文本", "1", "我", "g@chatroom", "你好", "", "2024-03-01 09:00:00"}), Options{Location: cst, Self: &chat.User{ID: "wxid_me"}}, []string{`svr:8123 message wxid_me text "你好"`}},
		{"PyWxDump, a private chat", csvOf([]string{"id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg", "src", "CreateTime"},
			[]string{"1", "8123", "文本", "0", "wxid_a", "wxid_a", "你好", "", "2024-03-01 09:00:00"}), Options{Location: cst}, nil},
		{"PyWxDump, an unknown type name", csvOf([]string{"type_name", "CreateTime", "msg", "talker", "room_name"},
			[]string{"未知-11000,0", "1709254800", "x", "wxid_a", "g@chatroom"}), Options{Location: cst}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := mustImport(t, tc.input, tc.opt)
			sameLines(t, briefs(evs), tc.want)
			for _, e := range evs {
				if e.Group != "g@chatroom" || !e.Time.Equal(time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)) {
					t.Errorf("%+v", e)
				}
			}
		})
	}
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }

func TestWeChatText(t *testing.T) {
	g := "g1"
	n := func(name string) string { return nameID(g, name) + "(" + name + ")" }
	tests := []struct {
		name, input string
		want        []string
	}{
		{"MemoTrace TXT", "2024-03-01 09:00:00 林晓\n你好\n\n2024-03-01 09:00:05 陈默\n[图片]\n\n",
			[]string{`imp message ` + n("林晓") + ` text "你好"`, `imp message ` + n("陈默") + ` image ""`}},
		{"lines without blank lines between messages", "2024-03-01 09:00:00 林晓\n你好\n2024-03-01 09:00:05 陈默\n在",
			[]string{`imp message ` + n("林晓") + ` text "你好"`, `imp message ` + n("陈默") + ` text "在"`}},
		{"multi-line content with blank lines", "2024-03-01 09:00:00 林晓\n第一段\n\n第二段\n\n\n2024-03-01 09:01:00 陈默\n好",
			[]string{`imp message ` + n("林晓") + ` text "第一段\n\n第二段"`, `imp message ` + n("陈默") + ` text "好"`}},
		{"seconds are optional, / and . separate dates", "2024/3/1 9:00 林晓\n早\n\n2024.03.01 09:01 陈默\n早",
			[]string{`imp message ` + n("林晓") + ` text "早"`, `imp message ` + n("陈默") + ` text "早"`}},
		{"WeChat's copy: name first, AM/PM", "林晓 2024/03/01 9:00 AM\n早\n\n陈默 2024/03/01 12:30 PM\n午安",
			[]string{`imp message ` + n("林晓") + ` text "早"`, `imp message ` + n("陈默") + ` text "午安"`}},
		{"name first with 上午/下午", "林晓 2024/3/1 上午9:00\n早\n\n陈默 2024年3月1日 下午2:30\n好",
			[]string{`imp message ` + n("林晓") + ` text "早"`, `imp message ` + n("陈默") + ` text "好"`}},
		{"a content line ending in a date does not start a message", "林晓 2024/3/1 9:00\n改到\n周会 2024/3/2 9:30\n",
			[]string{`imp message ` + n("林晓") + ` text "改到\n周会 2024/3/2 9:30"`}},
		{"CRLF", "2024-03-01 09:00:00 林晓\r\n你好\r\n\r\n", []string{`imp message ` + n("林晓") + ` text "你好"`}},
		{"a reply's quote line is dropped", "2024-03-01 09:00:00 林晓\n同意\n引用:陈默:去吗", []string{`imp message ` + n("林晓") + ` text "同意"`}},
		{"placeholders", "2024-03-01 09:00:00 林晓\n[语音]\n\n2024-03-01 09:00:00 林晓\n[视频]\n\n2024-03-01 09:00:00 林晓\n[文件]\n\n2024-03-01 09:00:00 林晓\n[红包]\n\n2024-03-01 09:00:00 林晓\n[位置]\n\n2024-03-01 09:00:00 林晓\n[小程序]\n\n2024-03-01 09:00:00 林晓\n[聊天记录]",
			[]string{`imp message ` + n("林晓") + ` voice ""`, `imp message ` + n("林晓") + ` video ""`, `imp message ` + n("林晓") + ` file ""`,
				`imp message ` + n("林晓") + ` redpacket ""`, `imp message ` + n("林晓") + ` card ""`, `imp message ` + n("林晓") + ` miniprogram ""`, `imp message ` + n("林晓") + ` forward ""`}},
		{"a shared link", "2024-03-01 09:00:00 林晓\n[链接]:title:路线\n  description:x\n  url:https://e.org/r\n  name:",
			[]string{`imp message ` + n("林晓") + ` link "路线" url=https://e.org/r`}},
		{"notices", "2024-03-01 09:00:00 \"林晓\"邀请\"陈默\"加入了群聊\n\n2024-03-01 09:00:00 \"陈默\"撤回了一条消息\n",
			[]string{`imp member_joined ` + n("陈默") + ` source=pulled_in inviter=` + n("林晓")}},
		{"UTF-16 (Notepad's Unicode)", utf16le("2024-03-01 09:00:00 林晓\r\n你好😀\r\n"), []string{`imp message ` + n("林晓") + ` text "你好😀"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := mustImport(t, tc.input, Options{Group: g, Location: cst})
			sameLines(t, briefs(evs), tc.want)
			if len(evs) > 0 && !evs[0].Time.Equal(time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)) {
				t.Errorf("time %v", evs[0].Time)
			}
		})
	}
	t.Run("times of day", func(t *testing.T) {
		evs, _ := mustImport(t, "林晓 2024/3/1 12:05 AM\na\n\n林晓 2024/3/1 下午12:10\nb\n\n林晓 2024/3/1 晚上8:00\nc\n\n林晓 2024/3/1 凌晨12:30\nd\n\n林晓 2024/3/1 中午1:00\ne\n", Options{Group: g, Location: time.UTC})
		var got []string
		for _, e := range evs {
			got = append(got, e.Time.Format("15:04"))
		}
		sameLines(t, got, []string{"00:05", "12:10", "20:00", "00:30", "13:00"})
	})
	t.Run("the exporter's name is Self", func(t *testing.T) {
		evs, _ := mustImport(t, "2024-03-01 09:00:00 林晓\n你好", Options{Group: g, Location: cst, Self: &chat.User{ID: "wxid_lx", Name: "林晓"}})
		sameLines(t, briefs(evs), []string{`imp message wxid_lx(林晓) text "你好"`})
	})
}

// utf16le encodes s as UTF-16 little-endian with a byte order mark.
func utf16le(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
			b = append(b, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
			continue
		}
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}
