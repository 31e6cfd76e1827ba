package rules

import "testing"

// TestContext: who speaks, to whom and in what kind of group decide what
// words alone cannot; a message that carries an id, a number or a link is
// judged on its words whatever the context.
func TestContext(t *testing.T) {
	e := NewEngine(nil, nil)
	rs := Default()
	tests := []struct {
		name     string
		in       Input
		category string // "" for allowed
	}{
		{"a lecturer offers the slides", Input{Text: "今天的课件我整理好了，需要的同学私聊我", Lecturer: true, GroupKind: "cohort"}, ""},
		{"a classmate offers the slides", Input{Text: "今天的课件我整理好了，需要的同学私聊我", GroupKind: "cohort"}, ""},
		{"the same, group unknown", Input{Text: "今天的课件我整理好了，需要的同学私聊我"}, "ad"},
		{"slides for a price", Input{Text: "今天的课件我整理好了，19.9元一份，需要的同学私聊我", GroupKind: "cohort"}, "ad"},
		{"a unit is no price", Input{Text: "第三单元的课件我整理好了，需要的同学私聊我", GroupKind: "cohort"}, ""},
		{"slides in an owners' group", Input{Text: "今天的课件我整理好了，需要的私聊我", GroupKind: "owners"}, "ad"},
		{"a lecturer's own contact id", Input{Text: "课后有问题加我微信 teacher2026", Lecturer: true, GroupKind: "topic"}, ""},
		{"a lecturer still may not gamble", Input{Text: "线上棋牌，稳赚不赔", Lecturer: true, GroupKind: "cohort"}, "gambling"},
		{"asking the owner to add them", Input{Text: "群主，能加一下你微信吗？我想报名下一期", GroupKind: "enrolment"}, ""},
		{"asking the teacher", Input{Text: "老师，可以加您微信吗", GroupKind: "cohort"}, ""},
		{"a greeting, then an ad", Input{Text: "老师好，需要资料的私聊我", GroupKind: "cohort"}, "ad"},
		{"addressing the owner with an id", Input{Text: "群主好，加我微信 abc12345 领资料"}, "ad"},
		{"a reply to staff", Input{Text: "好的，我私聊您", ToStaff: true}, ""},
		{"a reply to staff with an id", Input{Text: "加我微信 abc12345", ToStaff: true}, "ad"},
		{"a debunking", Input{Text: "网传小区要停水三天，物业已经辟谣了，是假的"}, ""},
		{"a donation made", Input{Text: "我已经给王阿姨家捐了500，大家量力而行"}, ""},
		{"a book drive ended", Input{Text: "学校捐书活动圆满结束，感谢各位家长"}, ""},
		{"an appeal with money missing", Input{Text: "已经筹了12万，还差3万，求大家帮帮忙"}, "donation"},
		{"scanned and added the property office", Input{Text: "今天扫码加了物业管家的企业微信"}, ""},
		{"scan to add me", Input{Text: "扫码加我微信领资料"}, "ad"},
		{"a rule quoted", Input{Text: "群主说了，谁再发带单拉群的消息直接踢"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Kind, tt.in.Role = "text", "member"
			v := e.Evaluate(rs, tt.in)
			if got := v.Category; v.Action == Allow && tt.category != "" || v.Action != Allow && got != tt.category {
				t.Errorf("%q: %s %s %v, want %q", tt.in.Text, v.Action, got, v.Matched, tt.category)
			}
		})
	}
}
