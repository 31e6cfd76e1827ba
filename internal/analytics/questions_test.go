package analytics

import (
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

func TestIsQuestion(t *testing.T) {
	for _, tc := range []struct {
		text string
		q    bool
	}{
		// Marks and particles at the end, after decoration.
		{"好的？ ", true}, {"明天上课吗", true}, {"你们到了吗～", true}, {"老师在吗😊", true}, {"what time?", true}, {"資料在哪裡?", true},
		{"有人在呢", true},
		// Question words anywhere.
		{"请问明天几点上课", true}, {"直播间怎么挂链接", true}, {"这个产品多少钱", true}, {"作业交到哪里", true}, {"能不能发一下课件", true},
		{"是不是要先注册", true}, {"有没有回放", true}, {"这是什么意思", true}, {"下节课几号开始", true}, {"报名要几天审核", true},
		{"哪位老师负责售后", true}, {"运费咋算啥时候发货", true},
		// The same words in statements.
		{"没什么，谢谢", false}, {"水果什么的都有", false}, {"我好几天没上线了", false}, {"前几天已经交了", false}, {"这几个都卖完了", false},
		{"不怎么好用", false}, {"或多或少有点收获", false}, {"没啥", false}, {"无论如何要坚持", false},
		// Statements and noise.
		{"收到", false}, {"谢谢老师！", false}, {"", false}, {"   ", false}, {"？？？", false}, {"😂😂", false}, {"/top", false}, {"/signup 我也来?", false},
		// English.
		{"How do I join the live class", true}, {"where is the recording", true}, {"Can you share the slides", true}, {"is there a class tomorrow", true},
		{"Does anyone know the fee", true}, {"How nice!", false}, {"Do it now", false}, {"thanks a lot", false}, {"I can do it", false},
	} {
		if got := IsQuestion(tc.text); got != tc.q {
			t.Errorf("IsQuestion(%q) = %v, want %v", tc.text, got, tc.q)
		}
	}
}

func cst() *time.Location { return time.FixedZone("CST", 8*3600) }

func TestResponseTargetClock(t *testing.T) {
	loc := cst()
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	day := ResponseTarget{Within: 10 * time.Minute, Hours: DefaultActive, Loc: loc} // 08:00–22:00
	night := ResponseTarget{Within: 30 * time.Minute, Hours: community.Window{From: community.Clock{Hour: 22}, To: community.Clock{Hour: 6}}, Loc: loc}
	always := ResponseTarget{Within: 10 * time.Minute, Loc: loc}
	for _, tc := range []struct {
		name       string
		r          ResponseTarget
		asked      time.Time
		start, due time.Time
	}{
		{"in the day", day, at(20, 9, 0), at(20, 9, 0), at(20, 9, 10)},
		{"at the close, the rest the next morning", day, at(20, 21, 55), at(20, 21, 55), at(21, 8, 5)},
		{"at night, from the next morning", day, at(20, 23, 30), at(21, 8, 0), at(21, 8, 10)},
		{"before the opening", day, at(20, 6, 59), at(20, 8, 0), at(20, 8, 10)},
		{"hours across midnight, inside", night, at(20, 23, 50), at(20, 23, 50), at(21, 0, 20)},
		{"hours across midnight, after them", night, at(20, 5, 50), at(20, 5, 50), at(20, 22, 20)},
		{"hours across midnight, before them", night, at(20, 12, 0), at(20, 22, 0), at(20, 22, 30)},
		{"always", always, at(20, 3, 0), at(20, 3, 0), at(20, 3, 10)},
	} {
		if got := tc.r.ClockStart(tc.asked); !got.Equal(tc.start) {
			t.Errorf("%s: clock starts %v, want %v", tc.name, got, tc.start)
		}
		if got := tc.r.Due(tc.asked); !got.Equal(tc.due) {
			t.Errorf("%s: due %v, want %v", tc.name, got, tc.due)
		}
		if w := tc.r.Waited(tc.asked, tc.due); w != tc.r.Within {
			t.Errorf("%s: waited %v until due, want %v", tc.name, w, tc.r.Within)
		}
	}
	// Waiting counts active time only.
	if w := day.Waited(at(20, 21, 50), at(21, 8, 30)); w != 40*time.Minute {
		t.Errorf("overnight wait %v, want 40m", w)
	}
	if w := day.Waited(at(20, 23, 0), at(21, 7, 0)); w != 0 {
		t.Errorf("answered before the clock started: %v", w)
	}
	if w := day.Waited(at(20, 9, 0), at(20, 8, 0)); w != 0 {
		t.Errorf("an answer before the question: %v", w)
	}
}

func TestAnswers(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, cst())
	q := Asked{Group: 1, Person: 10, ID: "q", At: t0, Due: t0.Add(10 * time.Minute)}
	for _, tc := range []struct {
		name string
		m    Later
		kind AnswerKind
		ok   bool
	}{
		{"a member's reply", Later{Group: 1, Person: 11, ReplyTo: "q", At: t0.Add(time.Hour)}, AnswerReply, true},
		{"a staff mention, late", Later{Group: 1, Person: 99, Staff: true, MentionsAsker: true, At: t0.Add(time.Hour)}, AnswerMention, true},
		{"staff in time", Later{Group: 1, Person: 99, Staff: true, At: t0.Add(5 * time.Minute)}, AnswerStaff, true},
		{"staff after the due time", Later{Group: 1, Person: 99, Staff: true, At: t0.Add(11 * time.Minute)}, "", false},
		{"a member's next message", Later{Group: 1, Person: 11, At: t0.Add(time.Minute)}, "", false},
		{"the asker's own reply", Later{Group: 1, Person: 10, ReplyTo: "q", At: t0.Add(time.Minute)}, "", false},
		{"another group", Later{Group: 2, Person: 99, Staff: true, ReplyTo: "q", At: t0.Add(time.Minute)}, "", false},
		{"before it", Later{Group: 1, Person: 99, Staff: true, At: t0.Add(-time.Minute)}, "", false},
	} {
		kind, ok := Answers(q, tc.m)
		if kind != tc.kind || ok != tc.ok {
			t.Errorf("%s: %q %v, want %q %v", tc.name, kind, ok, tc.kind, tc.ok)
		}
	}
	if !MentionsName("@小王 看群公告", "王", "小王") || !MentionsName("＠小王", "小王") || MentionsName("小王说的对", "小王") || MentionsName("@", "") {
		t.Error("MentionsName")
	}
}

// TestTrackQuestions: a hand-built day of one group — a question answered
// in time by a reply, one answered late by a mention, one asked at night
// answered by the first staff message in the morning, one never answered,
// a member calling staff by name — and the figures per group and for the
// assistant on duty.
func TestTrackQuestions(t *testing.T) {
	loc := cst()
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	target := ResponseTarget{Within: 10 * time.Minute, Hours: DefaultActive, Loc: loc}
	tr := &Tracker{Target: func(int64) ResponseTarget { return target }}
	mentions := func(people ...int64) func(int64) bool {
		return func(p int64) bool {
			for _, x := range people {
				if x == p {
					return true
				}
			}
			return false
		}
	}
	const staff = 99
	msgs := []Said{
		{Group: 1, Person: 10, ID: "a", Text: "请问作业交到哪里", At: at(20, 9, 0)},
		{Group: 1, Person: 11, ID: "b", Text: "交到群文件", ReplyTo: "a", At: at(20, 9, 4)}, // a: in time, by a member
		{Group: 1, Person: 12, ID: "c", Text: "直播回放在哪看？", At: at(20, 10, 0)},
		{Group: 1, Person: 13, ID: "d", Text: "我也想知道", At: at(20, 10, 3)},                                               // no answer
		{Group: 1, Person: staff, ID: "e", Text: "@小张 回放在公众号", Staff: true, Mentions: mentions(12), At: at(20, 10, 40)}, // c: late, by a mention
		{Group: 1, Person: 14, ID: "f", Text: "明天几点开课", At: at(20, 23, 10)},
		{Group: 1, Person: staff, ID: "g", Text: "早上好，今天九点开课", Staff: true, At: at(21, 8, 6)}, // f: in time, staff's first message
		{Group: 1, Person: 15, ID: "h", Text: "有没有人知道怎么开发票", At: at(21, 14, 0)},               // never answered
		{Group: 1, Person: 16, ID: "i", Text: "@店小二 收到了", CallsStaff: true, At: at(21, 15, 0)},
		{Group: 1, Person: staff, ID: "j", Text: "好的", ReplyTo: "i", Staff: true, At: at(21, 15, 2)}, // i: in time
		{Group: 1, Person: 17, ID: "k", Text: "谢谢大家", At: at(21, 16, 0)},                             // no question
	}
	var asked []*Question
	answered := map[string]AnswerKind{}
	for _, m := range msgs {
		done, q := tr.Step(m)
		for _, d := range done {
			answered[d.MessageID] = d.Kind
		}
		if q != nil {
			q.DutyPerson = staff
			asked = append(asked, q)
		}
	}
	ids := ""
	for _, q := range asked {
		ids += q.MessageID
	}
	if ids != "acfhi" {
		t.Fatalf("questions %q, want acfhi", ids)
	}
	want := map[string]AnswerKind{"a": AnswerReply, "c": AnswerMention, "f": AnswerStaff, "i": AnswerReply}
	for id, k := range want {
		if answered[id] != k {
			t.Errorf("question %s answered %q, want %q", id, answered[id], k)
		}
	}
	if len(answered) != len(want) {
		t.Errorf("answered %v", answered)
	}
	byID := map[string]*Question{}
	for _, q := range asked {
		byID[q.MessageID] = q
	}
	if w := byID["c"].Waited; w != 40*time.Minute {
		t.Errorf("c waited %v", w)
	}
	if w := byID["f"].Waited; w != 6*time.Minute || !byID["f"].StartsAt.Equal(at(21, 8, 0)) {
		t.Errorf("f waited %v from %v", w, byID["f"].StartsAt)
	}
	now := at(22, 15, 0) // a day on: h is unanswered for good
	states := map[string]QuestionState{}
	var all []Question
	for _, q := range asked {
		states[q.MessageID] = q.State(now)
		all = append(all, *q)
	}
	for id, st := range map[string]QuestionState{"a": QuestionInTime, "c": QuestionLate, "f": QuestionInTime, "h": QuestionUnanswered, "i": QuestionInTime} {
		if states[id] != st {
			t.Errorf("question %s is %s, want %s", id, states[id], st)
		}
	}
	if st := byID["h"].State(at(21, 14, 5)); st != QuestionWaiting {
		t.Errorf("h five minutes on: %s", st)
	}
	if st := byID["h"].State(at(21, 14, 30)); st != QuestionOverdue {
		t.Errorf("h half an hour on: %s", st)
	}
	f := Respond(all, now)
	if f.Questions != 5 || f.InTime != 3 || f.Late != 1 || f.Unanswered != 1 || f.Waiting != 0 || f.Answered != 4 {
		t.Fatalf("figures %+v", f)
	}
	// Waits 4m, 40m, 6m, 2m: the median is (4+6)/2.
	if f.Median != 5*time.Minute || f.Percent() != 60 {
		t.Errorf("median %v, rate %d%%", f.Median, f.Percent())
	}
	tr.Expire(now)
	if tr.Len() != 0 {
		t.Errorf("open after the horizon: %d", tr.Len())
	}
	if p := Respond(nil, now).Percent(); p != -1 {
		t.Errorf("no questions: %d%%", p)
	}
}

func TestMedian(t *testing.T) {
	if Median(nil) != 0 || Median([]time.Duration{3}) != 3 || Median([]time.Duration{5, 1, 3}) != 3 || Median([]time.Duration{4, 1, 3, 2}) != 2 {
		t.Error("Median")
	}
}

// FuzzResponseTarget: for any active hours and question time, the clock
// starts inside the hours, the due time is no earlier, and the active
// time until it is the target exactly.
func FuzzResponseTarget(f *testing.F) {
	f.Add(8*60, 22*60, 10, int64(0))
	f.Add(22*60, 6*60, 30, int64(86399))
	f.Add(0, 0, 5, int64(43200))
	f.Fuzz(func(t *testing.T, from, to, minutes int, second int64) {
		from, to = ((from%1440)+1440)%1440, ((to%1440)+1440)%1440
		minutes = 1 + ((minutes%1440)+1440)%1440
		loc := cst()
		r := ResponseTarget{Within: time.Duration(minutes) * time.Minute, Loc: loc,
			Hours: community.Window{From: community.Clock{Hour: from / 60, Minute: from % 60}, To: community.Clock{Hour: to / 60, Minute: to % 60}}}
		if r.Validate() != nil {
			t.Skip()
		}
		asked := time.Date(2026, 11, 20, 0, 0, 0, 0, loc).Add(time.Duration(((second%86400)+86400)%86400) * time.Second)
		start, due := r.ClockStart(asked), r.Due(asked)
		if start.Before(asked) || due.Before(start) || !r.Hours.Allows(start, loc) {
			t.Fatalf("%v: asked %v, start %v, due %v", r.Hours, asked, start, due)
		}
		if w := r.Waited(asked, due); w != r.Within {
			t.Fatalf("%v: asked %v, due %v, waited %v, want %v", r.Hours, asked, due, w, r.Within)
		}
	})
}

// BenchmarkTrackerStep: a message stepped through an organisation's
// tracker with 20,000 questions open in 500 groups (a busy day's
// unanswered questions), as the questions tracker steps every stored
// message.
func BenchmarkTrackerStep(b *testing.B) {
	loc := time.FixedZone("CST", 8*3600)
	target := ResponseTarget{Within: DefaultTarget, Hours: DefaultActive, Loc: loc}
	tr := Tracker{Target: func(int64) ResponseTarget { return target }}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, loc)
	for i := range 20000 {
		at := start.Add(time.Duration(i) * time.Second)
		tr.Add(&Question{GroupID: int64(i % 500), PersonID: int64(i), MessageID: fmt.Sprint(i), AskedAt: at, StartsAt: at, DueAt: at.Add(DefaultTarget)})
	}
	b.ResetTimer()
	for i := range b.N {
		tr.Step(Said{Group: int64(i % 500), Person: int64(100000 + i), ID: fmt.Sprint("m", i), Text: "收到", At: start.Add(6 * time.Hour)})
	}
}
