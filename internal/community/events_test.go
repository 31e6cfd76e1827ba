package community

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestEventRequestNormalize(t *testing.T) {
	ok := EventRequest{GroupID: 1, Title: "  周六沙龙 ", Place: " 阳新 ", AlsoIn: []int64{2, 1, 3, 2}}
	if err := ok.Normalize(); err != nil || ok.Title != "周六沙龙" || ok.Place != "阳新" || len(ok.AlsoIn) != 2 || ok.AlsoIn[0] != 2 || ok.AlsoIn[1] != 3 {
		t.Fatalf("normalize: %+v %v", ok, err)
	}
	many := make([]int64, MaxEventGroups+1)
	for i := range many {
		many[i] = int64(i + 2)
	}
	for name, r := range map[string]EventRequest{
		"no title":     {GroupID: 1, Title: "  "},
		"long title":   {GroupID: 1, Title: strings.Repeat("长", MaxEventTitle+1)},
		"two lines":    {GroupID: 1, Title: "沙龙\n报名"},
		"long place":   {GroupID: 1, Title: "沙龙", Place: strings.Repeat("地", MaxEventPlace+1)},
		"negative cap": {GroupID: 1, Title: "沙龙", Capacity: -1},
		"huge cap":     {GroupID: 1, Title: "沙龙", Capacity: MaxEventCapacity + 1},
		"no group":     {Title: "沙龙"},
		"bad also":     {GroupID: 1, Title: "沙龙", AlsoIn: []int64{0}},
		"many groups":  {GroupID: 1, Title: "沙龙", AlsoIn: many},
	} {
		if err := r.Normalize(); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestSignupAndCancelText(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	l := SignupList{Title: "线下实操课", Capacity: 1, EventAt: &at, Place: "阳新县电商产业园", Entries: []SignupEntry{
		{N: 1, Name: "张三", Status: SignupIn, CheckedIn: true}, {N: 2, Name: "李四", Status: SignupWaitlist, Note: "带朋友"}, {N: 3, Name: "王五", Status: SignupCancelled}}}
	got := SignupText(BotZh, l, loc)
	want := "【接龙】线下实操课（限 1 人，已报 1）\n12-05 14:00 阳新县电商产业园\n1. 张三 ✅\n候补：\n2. 李四 带朋友"
	if got != want {
		t.Errorf("SignupText:\n%s\nwant\n%s", got, want)
	}
	if empty := SignupText(BotZh, SignupList{Title: "沙龙"}, loc); !strings.Contains(empty, "还没有人接龙") {
		t.Errorf("an open empty list does not invite sign-ups: %s", empty)
	}
	if closed := SignupText(BotZh, SignupList{Title: "沙龙", Closed: true}, loc); strings.Contains(closed, "还没有人接龙") || !strings.Contains(closed, "已截止") {
		t.Errorf("a closed empty list: %s", closed)
	}
	c := CancelText(BotZh, l, " 暴雨预警 ", loc)
	for _, w := range []string{"【活动取消】线下实操课（12-05 14:00 阳新县电商产业园）", "原因：暴雨预警", "@张三 @李四"} {
		if !strings.Contains(c, w) {
			t.Errorf("CancelText lacks %q:\n%s", w, c)
		}
	}
	if strings.Contains(c, "王五") {
		t.Errorf("CancelText names who cancelled:\n%s", c)
	}
	if c := CancelText(BotZh, SignupList{Title: "沙龙"}, "", loc); strings.Contains(c, "原因") || strings.Contains(c, "@") || strings.Contains(c, "（") {
		t.Errorf("CancelText without details:\n%s", c)
	}
}

func TestPurge(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	p := Purge{RemoveAfter: now.Add(time.Hour), Members: []PurgeMember{{Status: PurgeExcluded}, {Status: PurgeNamed}, {Status: PurgeSpoke}}}
	if !p.Pending() || p.Due(now) || !p.Due(now.Add(time.Hour)) || p.Named() != 2 {
		t.Errorf("purge %+v: pending %v, due %v, named %d", p, p.Pending(), p.Due(now), p.Named())
	}
	if txt := PurgeNoticeText(BotZh, []string{"张三", "李四"}, 7); !strings.Contains(txt, "@张三 @李四") || !strings.Contains(txt, "7 天后") {
		t.Errorf("notice: %s", txt)
	}
}
