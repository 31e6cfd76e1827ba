package analytics

import (
	"testing"
	"time"
)

func TestIsQuestionAndSubstantive(t *testing.T) {
	for _, tc := range []struct {
		text string
		q    bool
	}{
		{"请问明天几点上课", true}, {"直播间怎么挂链接", true}, {"有人在吗", true}, {"what time?", true}, {"好的？ ", true},
		{"收到", false}, {"谢谢老师！", false}, {"", false}, {"   ", false},
	} {
		if got := IsQuestion(tc.text); got != tc.q {
			t.Errorf("IsQuestion(%q) = %v", tc.text, got)
		}
	}
	for _, tc := range []struct {
		text string
		sub  bool
	}{{"一\n二\n三", true}, {"一\n\n二\n \n三", true}, {"一\n二", false}, {"一\n\n\n", false}} {
		if got := Substantive(tc.text); got != tc.sub {
			t.Errorf("Substantive(%q) = %v", tc.text, got)
		}
	}
}

func TestDayStart(t *testing.T) {
	for _, loc := range []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("W", -5*3600)} {
		at := time.Date(2026, 11, 25, 23, 59, 0, 0, loc)
		d := DayOf(at, loc)
		if got := d.Start(loc); !got.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, loc)) {
			t.Errorf("%s: start of %v = %v", loc, at, got)
		}
		if DayOf(at.Add(time.Minute), loc) != d+1 {
			t.Errorf("%s: midnight does not start the next day", loc)
		}
	}
}

func TestRollupDay(t *testing.T) {
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	to := from.Add(24 * time.Hour)
	at := func(h, m int) time.Time { return from.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	msgs := []Msg{
		{Group: 1, Person: 10, ID: "x", Text: "昨天的", At: at(-1, 0)},
		{Group: 1, Person: 10, ID: "a", Text: "请问作业交到哪里", At: at(9, 0)},
		{Group: 1, Person: 11, ID: "b", Text: "不知道", At: at(9, 5)},                 // not a reply, not staff: no answer
		{Group: 1, Person: 99, ID: "c", Text: "交到群文件", At: at(10, 1), Staff: true}, // 61 minutes: too late
		{Group: 2, Person: 10, ID: "d", Text: "这个怎么做？", At: at(23, 30)},
		{Group: 2, Person: 12, ID: "e", Text: "看第三课", ReplyTo: "d", At: at(24, 10)}, // after midnight, in the window
		{Group: 2, Person: 10, ID: "f", Text: "第一行\n第二行\n第三行", At: at(23, 40)},
	}
	groups, people := RollupDay(msgs, from, to)
	g1, g2 := groups[1], groups[2]
	if *g1 != (DayFigures{Messages: 3, MemberMessages: 2, Communicators: 2, Questions: 1, Answered: 0}) {
		t.Errorf("group 1 = %+v", *g1)
	}
	if *g2 != (DayFigures{Messages: 2, MemberMessages: 2, Communicators: 1, Questions: 1, Answered: 1}) {
		t.Errorf("group 2 = %+v", *g2)
	}
	want := []PersonDay{{1, 10, 1, 0}, {1, 11, 1, 0}, {2, 10, 2, 1}}
	if len(people) != len(want) {
		t.Fatalf("people = %+v", people)
	}
	for i := range want {
		if people[i] != want[i] {
			t.Errorf("person %d = %+v, want %+v", i, people[i], want[i])
		}
	}
}
