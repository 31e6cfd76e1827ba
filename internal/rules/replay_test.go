package rules

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

func stored(xs []Stored) iter.Seq2[Stored, error] {
	return func(yield func(Stored, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

// TestReplay: counts by verdict and category, the ladder and flood from the
// messages' own times, staff by their role now, examples, and the
// difference from what was done.
func TestReplay(t *testing.T) {
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, cst)
	joined := day.Add(-30 * 24 * time.Hour)
	msg := func(id, person int64, text string, at time.Duration, done chat.ActionKind) Stored {
		return Stored{ID: id, GroupID: 1, PersonID: person, UserID: fmt.Sprint("u", person), Role: "member", Kind: chat.KindText, Text: text,
			At: day.Add(at), JoinedAt: joined, Done: done, GroupKind: "cohort"}
	}
	xs := []Stored{
		msg(1, 1, "老师讲得太好了", 0, ""),
		msg(2, 2, "加 薇 信 abc1688 领资料", time.Minute, chat.ActDelete),   // warned: the ad goes
		msg(3, 2, "加 薇 信 abc1688 领资料", time.Hour, ""),                 // second: mute (nothing was done then)
		msg(4, 2, "加 薇 信 abc1688 领资料", 2*time.Hour, chat.ActKick),     // third: kick, as was done
		msg(5, 3, "线上棋牌，稳赚不赔", 3*time.Hour, chat.ActKick),             // gambling: ban, harsher
		msg(6, 4, "今天的课件我整理好了，需要的同学私聊我", 4*time.Hour, chat.ActDelete), // deleted then; no ad in a cohort now
	}
	staff := msg(7, 5, "加我微信 abc12345 领资料", 5*time.Hour, chat.ActDelete)
	staff.Role = "assistant" // made staff after the history was imported
	xs = append(xs, staff)
	for i := range 10 { // flood: ten messages in ten seconds, two over the limit of eight
		xs = append(xs, msg(int64(100+i), 6, fmt.Sprint("第", i, "条"), 6*time.Hour+time.Duration(i)*time.Second, ""))
	}
	var progress []int
	r, err := Replay(context.Background(), ReplayOptions{Rules: Default(), Progress: func(n int) { progress = append(progress, n) }, ProgressEvery: 5}, stored(xs))
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != len(xs) || len(progress) < 2 || progress[len(progress)-1] != len(xs) {
		t.Fatalf("messages %d, progress %v", r.Messages, progress)
	}
	if got := r.Categories["ad"]; got[Warn] != 1 || got[Mute] != 1 || got[Kick] != 1 {
		t.Errorf("the ladder: %v", got)
	}
	if r.Categories["gambling"][Ban] != 1 || r.Categories["flood"][Mute] != 2 {
		t.Errorf("categories: %v", r.Categories)
	}
	if r.Verdicts[Allow] != len(xs)-6 {
		t.Errorf("allowed %d of %d: %v", r.Verdicts[Allow], len(xs), r.Verdicts)
	}
	// Against what was done: the warned ad (deleted both times), the kick
	// the same; the muted ad added; the ban harsher; the course material
	// and the assistant's message dropped; the flood's two mutes added.
	if r.Same != len(xs)-6 || r.Added != 3 || r.Harsher != 1 || r.Dropped != 2 || r.Milder != 0 {
		t.Errorf("same %d added %d harsher %d dropped %d milder %d: %v", r.Same, r.Added, r.Harsher, r.Dropped, r.Milder, r.Changes)
	}
	if r.Changes["kick → ban"] != 1 || r.Changes["delete → "] != 2 {
		t.Errorf("changes: %v", r.Changes)
	}
	ex := r.Examples["ban gambling"]
	if len(ex) != 1 || ex[0].ID != 5 || len(ex[0].Verdict.Matched) == 0 || ex[0].Verdict.Rule == "" {
		t.Errorf("examples: %+v", r.Examples)
	}
	if d := r.ChangeExamples["delete → "]; len(d) != 2 || d[0].ID != 6 {
		t.Errorf("change examples: %+v", d)
	}
}

// TestReplayStops: an error from the stream, or a context done, stops the
// replay with what was counted so far; rules per group come from RulesFor.
func TestReplayStops(t *testing.T) {
	boom := errors.New("the store went away")
	seq := func(yield func(Stored, error) bool) {
		for i := range 10 {
			if !yield(Stored{ID: int64(i), GroupID: int64(i % 2), Text: "你好", Kind: chat.KindText}, nil) {
				return
			}
		}
		yield(Stored{}, boom)
	}
	asked := map[int64]int{}
	r, err := Replay(context.Background(), ReplayOptions{RulesFor: func(g int64) (*RuleSet, error) { asked[g]++; return Default(), nil }}, seq)
	if !errors.Is(err, boom) || r.Messages != 10 || len(asked) != 2 || asked[0] != 1 {
		t.Errorf("err %v, messages %d, rules asked %v", err, r.Messages, asked)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	many := func(yield func(Stored, error) bool) {
		for i := 0; ; i++ {
			if !yield(Stored{Text: "你好", Kind: chat.KindText}, nil) {
				return
			}
		}
	}
	if _, err := Replay(ctx, ReplayOptions{Rules: Default(), ProgressEvery: 100}, many); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := Replay(context.Background(), ReplayOptions{}, many); err == nil {
		t.Error("no rules accepted")
	}
}

// BenchmarkReplay replays chat-like messages from a stream through the
// default rule set, flood and ladder included: msgs/s is the figure to
// hold against "a million messages in well under a minute".
func BenchmarkReplay(b *testing.B) {
	msgs := corpus(100_000)
	e := NewEngine(nil, nil)
	rs := Default()
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, cst)
	b.ResetTimer()
	seq := func(yield func(Stored, error) bool) {
		for i := 0; i < b.N; i++ {
			m := Stored{ID: int64(i), GroupID: int64(i % 500), PersonID: int64(i % 20_000), Role: "member", Kind: chat.KindText,
				Text: msgs[i%len(msgs)], At: day.Add(time.Duration(i) * time.Second), JoinedAt: day.Add(-time.Hour)}
			if !yield(m, nil) {
				return
			}
		}
	}
	r, err := Replay(context.Background(), ReplayOptions{Rules: rs, Engine: e}, seq)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(r.Messages)/b.Elapsed().Seconds(), "msgs/s")
}

// TestReplayPreview: a change not yet saved — naming a dictionary that no
// file named before — replays with its own rules and dictionaries, and
// the rules in force do not change.
func TestReplayPreview(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/words.txt", "团购接龙\tgroupbuy\n")
	r, err := NewRegistry(context.Background(), dir, nil, NewEngine(nil, nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := community.Group{ID: 3, Kind: community.KindCohort}
	text := "dictionaries = [\"words.txt\"]\n[categories]\ngroupbuy = \"delete\"\n"
	rs, err := r.Preview(g, Scope{Kind: "group", ID: 3}, text)
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.PreviewEngine(Scope{Kind: "group", ID: 3}, text)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), ReplayOptions{Rules: rs, Engine: e},
		stored([]Stored{{ID: 1, GroupID: 3, Kind: chat.KindText, Text: "团购接龙开始了"}, {ID: 2, GroupID: 3, Kind: chat.KindText, Text: "好的"}}))
	if err != nil || res.Categories["groupbuy"][Delete] != 1 || res.Added != 1 {
		t.Fatalf("preview replay: %+v %v", res, err)
	}
	if v := r.Engine().Evaluate(r.For(g), Input{Text: "团购接龙开始了", Kind: chat.KindText, Role: "member"}); v.Action != Allow {
		t.Errorf("the rules in force changed: %+v", v)
	}
	if _, err := r.PreviewEngine(Scope{Kind: "group", ID: 3}, "dictionaries = [\"missing.txt\"]\n"); err == nil {
		t.Error("a missing dictionary was accepted")
	}
}

// TestReplayStaffLadder: where the rules judge staff (exempt = ["owner"]),
// a 店小二's offences are judged but do not climb the ladder — what is
// recorded against a member in a group where she is staff now does not
// count, as the store's CountOffences has it; a member's do.
func TestReplayStaffLadder(t *testing.T) {
	rs, err := Merge(Default(), mustParse(t, "exempt = [\"owner\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, cst)
	var xs []Stored
	for i, role := range []string{"assistant", "assistant", "assistant", "member", "member", "member"} {
		person := int64(1)
		if role == "member" {
			person = 2
		}
		xs = append(xs, Stored{ID: int64(i), GroupID: 1, PersonID: person, Role: role, Kind: chat.KindText, Text: "加 薇 信 abc1688 领资料",
			At: day.Add(time.Duration(i) * time.Hour), JoinedAt: day.Add(-30 * 24 * time.Hour)})
	}
	r, err := Replay(context.Background(), ReplayOptions{Rules: rs}, stored(xs))
	if err != nil {
		t.Fatal(err)
	}
	// The assistant: warned three times; the member: warn, mute, kick.
	if got := r.Categories["ad"]; got[Warn] != 4 || got[Mute] != 1 || got[Kick] != 1 {
		t.Errorf("ad verdicts %v, want 4 warnings, a mute and a removal", got)
	}
}

func mustParse(t *testing.T, src string) *RuleSet {
	t.Helper()
	rs, err := ParseRuleSet("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
