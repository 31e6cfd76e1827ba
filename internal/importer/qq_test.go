package importer

import (
	"testing"
	"time"
)

// qqFrame is a QQ message manager export of one group conversation.
func qqFrame(group, body string) string {
	return qqBanner + "\n\n================================================================\n消息分组:我的群聊\n================================================================\n消息对象:" +
		group + "\n================================================================\n\n" + body
}

func TestQQText(t *testing.T) {
	g := derivedID(FormatQQText, "测试群")
	n := func(name string) string { return nameID(g, name) + "(" + name + ")" }
	tests := []struct {
		name, body string
		want       []string
	}{
		{"QQ number", "2021-03-04 12:01:22 林晓(10001001)\n你好\n", []string{`imp message 10001001(林晓) text "你好"`}},
		{"role tags", "2021-03-04 12:01:22 【管理员】【活跃】林晓(10001001)\n你好\n", []string{`imp message 10001001(林晓) text "你好"`}},
		{"no nickname", "2021-03-04 12:01:22 (10001001)\n你好\n", []string{`imp message 10001001 text "你好"`}},
		{"a name with brackets", "2021-03-04 12:01:22 林晓(北京)(10001001)\n你好\n", []string{`imp message 10001001(林晓(北京)) text "你好"`}},
		{"QQ mail", "2021-03-04 12:01:22 小赵<20001003@qq.com>\n+1\n", []string{`imp message 20001003(小赵) text "+1"`}},
		{"another e-mail", "2021-03-04 12:01:22 王芳<WangFang@Example.com>\n好\n", []string{`imp message email:wangfang@example.com(王芳) text "好"`}},
		{"12-hour clock", "2021-03-04 8:01:22 PM 林晓(10001001)\n晚上好\n", []string{`imp message 10001001(林晓) text "晚上好"`}},
		{"multi-line", "2021-03-04 12:01:22 林晓(10001001)\n第一行\n\n第三行\n\n\n2021-03-04 12:01:23 林晓(10001001)\n下一条\n",
			[]string{`imp message 10001001(林晓) text "第一行\n\n第三行"`, `imp message 10001001(林晓) text "下一条"`}},
		{"placeholders", "2021-03-04 12:01:22 林晓(10001001)\n[图片]\n\n2021-03-04 12:01:22 林晓(10001001)\n[表情]\n\n2021-03-04 12:01:22 林晓(10001001)\n[QQ红包]我发了一个红包\n",
			[]string{`imp message 10001001(林晓) image ""`, `imp message 10001001(林晓) sticker ""`, `imp message 10001001(林晓) redpacket "我发了一个红包"`}},
		{"a link", "2021-03-04 12:01:22 林晓(10001001)\n看 https://e.org/q\n", []string{`imp message 10001001(林晓) link "看 https://e.org/q" url=https://e.org/q`}},
		{"@全体成员", "2021-03-04 12:01:22 林晓(10001001)\n@全体成员 开会\n", []string{`imp message 10001001(林晓) text "@全体成员 开会" all`}},
		{"empty message", "2021-03-04 12:01:22 林晓(10001001)\n\n", nil},
		{"joined", "2021-03-04 12:01:22 系统消息(10000)\n孙悦(10001004)加入本群。\n", []string{`imp member_joined 10001004(孙悦)`}},
		{"joined, name only", "2021-03-04 12:01:22 系统消息(10000)\n孙悦加入了本群\n", []string{`imp member_joined ` + n("孙悦")}},
		{"invited", "2021-03-04 12:01:22 林晓(10001001)\n你好\n\n2021-03-04 12:02:00 系统消息(1000000)\n林晓邀请钱多多加入了本群\n",
			[]string{`imp message 10001001(林晓) text "你好"`, `imp member_joined ` + n("钱多多") + ` source=pulled_in inviter=10001001(林晓)`}},
		{"removed by an admin", "2021-03-04 12:01:22 系统消息(10000)\n赵磊(10001005)被管理员移出本群\n", []string{`imp member_left 10001005(赵磊) reason=removed`}},
		{"removed by a named admin", "2021-03-04 12:01:22 系统消息(10000)\n赵磊(10001005)被林晓(10001001)移出了本群\n", []string{`imp member_left 10001005(赵磊) reason=removed actor=10001001(林晓)`}},
		{"left", "2021-03-04 12:01:22 系统消息(10000)\n陈默(10001002)退出了本群\n", []string{`imp member_left 10001002(陈默) reason=left`}},
		{"other notices are ignored", "2021-03-04 12:01:22 系统消息(10000)\n[戳一戳]林晓戳了戳陈默\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := mustImport(t, qqFrame("测试群", tc.body), Options{Location: cst})
			sameLines(t, briefs(evs), tc.want)
			for _, e := range evs {
				if e.Group != g || e.GroupName != "测试群" || e.Platform != "onebot" {
					t.Errorf("%+v", e)
				}
			}
		})
	}
	t.Run("times", func(t *testing.T) {
		evs, _ := mustImport(t, qqFrame("测试群", "2021-03-04 12:01:22 林晓(10001001)\na\n\n2021-03-04 12:01:22 AM 林晓(10001001)\nb\n\n2021-03-04 12:01:22 PM 林晓(10001001)\nc\n"), Options{Location: cst})
		var got []string
		for _, e := range evs {
			got = append(got, e.Time.In(cst).Format("15:04:05"))
		}
		sameLines(t, got, []string{"12:01:22", "00:01:22", "12:01:22"})
	})
	t.Run("sections: groups by name, friends skipped", func(t *testing.T) {
		sum, evs := importAll(t, "qq/all.txt", Options{Location: cst})
		want := map[string]string{"周末徒步俱乐部": "", "陈默": "personal chat (消息分组 我的好友)", "读书会": ""}
		if len(sum.Groups) != 3 {
			t.Fatalf("%+v", sum.Groups)
		}
		for _, gs := range sum.Groups {
			if gs.Skipped != want[gs.Key] || (gs.Skipped == "" && (!gs.Derived || gs.ID != derivedID(FormatQQText, gs.Key))) {
				t.Errorf("%+v", gs)
			}
		}
		for _, e := range evs {
			if e.GroupName == "陈默" {
				t.Errorf("a personal chat imported: %+v", e)
			}
		}
	})
	t.Run("groups mapped to their QQ numbers", func(t *testing.T) {
		_, evs := importAll(t, "qq/all.txt", Options{Location: cst, Groups: map[string]string{"读书会": "765432100"}})
		if len(evs) != 1 || evs[0].Group != "765432100" || evs[0].Time.Format(time.RFC3339) != "2019-09-23T12:43:38Z" {
			t.Fatalf("%+v", evs)
		}
	})
	t.Run("a conversation without the frame", func(t *testing.T) {
		evs, _ := mustImport(t, "2021-03-04 12:01:22 林晓(10001001)\n你好\n", Options{Location: cst, Group: "765432100"})
		if len(evs) != 1 || evs[0].Group != "765432100" {
			t.Fatalf("%+v", evs)
		}
	})
}
