package analytics

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update if the change is right):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestThreads: a hand-built day — a chain of five messages from three
// people (a reply to a reply counts in the first's chain), a chain of
// three, a chain of two (too small), a reply to yesterday's message (its
// own start), a cycle that must not hang.
func TestThreads(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, cst())
	m := func(id, reply string, person int64, text string, min int) ThreadMsg {
		return ThreadMsg{ID: id, ReplyTo: reply, Person: person, Name: map[int64]string{1: "小王", 2: "小李", 3: "小张"}[person], Text: text, At: t0.Add(time.Duration(min) * time.Minute)}
	}
	msgs := []ThreadMsg{
		m("a", "", 1, "直播间怎么挂小黄车？", 0),
		m("b", "a", 2, "先开橱窗", 1),
		m("c", "b", 1, "橱窗在哪开", 2),
		m("d", "c", 3, "创作者中心", 3),
		m("e", "a", 2, "还要交保证金", 4),
		m("f", "", 3, "今天的作业", 10),
		m("g", "f", 1, "收到", 11),
		m("h", "f", 2, "收到+1", 12),
		m("i", "", 1, "晚上见", 20),
		m("j", "i", 2, "见", 21),
		m("k", "yesterday", 3, "回昨天的", 30),
		m("x", "y", 1, "循环一", 40),
		m("y", "x", 2, "循环二", 41),
	}
	got := Threads(msgs, 5)
	want := []Thread{
		{RootID: "a", Starter: "小王", Text: "直播间怎么挂小黄车？", At: t0, Messages: 5, People: 3},
		{RootID: "f", Starter: "小张", Text: "今天的作业", At: t0.Add(10 * time.Minute), Messages: 3, People: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("threads\n%+v\nwant\n%+v", got, want)
	}
	if one := Threads(msgs, 1); len(one) != 1 || one[0].RootID != "a" {
		t.Errorf("the busiest: %+v", one)
	}
}

func TestTokens(t *testing.T) {
	fold := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "薇", "微")) }
	got := Tokens("直播带货，加薇信 Live2026 2026 哈哈哈 我们", fold)
	want := []string{"直播", "播带", "带货", "直播带", "播带货", "直播带货", "加微", "微信", "加微信", "live2026"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokens %q, want %q", got, want)
	}
	if got := Tokens("直播 直播", nil); !reflect.DeepEqual(got, []string{"直播"}) {
		t.Errorf("a term twice in a message: %q", got)
	}
}

// TestRankTerms: against a baseline of 30 days, a term the group uses every
// day scores nothing, a new one the most; a term inside a longer one of
// almost as many messages gives way to it; one message or one person is
// not enough.
func TestRankTerms(t *testing.T) {
	var msgs []TermMsg
	add := func(person int64, text string, n int) {
		for range n {
			msgs = append(msgs, TermMsg{Person: person, Text: text})
		}
	}
	add(1, "小黄车 怎么挂", 2)
	add(2, "小黄车挂不上", 2)
	add(3, "作业 已交", 4)
	add(1, "保证金", 5) // one person only
	add(4, "直播带货", 1)
	add(5, "直播带货", 1)
	add(6, "直播带货", 1)
	counts := CountTerms(msgs, nil)
	if c := counts["小黄车"]; c.Messages != 4 || c.People != 2 {
		t.Fatalf("小黄车: %+v", c)
	}
	base := map[string]int{"作业": 30, "已交": 29, "直播带货": 10}
	got := RankTerms(counts, base, 30, 5)
	var terms []string
	for _, x := range got {
		terms = append(terms, x.Term)
	}
	// 小黄车 (4 × ln 31) beats 直播带货 (3 × ln 31/11); 作业 and 已交 are
	// every day's; 小黄 and 黄车 give way to 小黄车; 保证金 has one sender.
	if want := []string{"小黄车", "直播带货"}; !reflect.DeepEqual(terms, want) {
		t.Fatalf("terms %q (%+v), want %q", terms, got, want)
	}
	if got[0].Score != 13.74 || got[0].BaseDays != 0 {
		t.Errorf("小黄车 %+v", got[0])
	}
	// A group's first day, without a baseline: the most used terms, each
	// as new (4 × ln 2, 3 × ln 2).
	first := RankTerms(counts, nil, 0, 3)
	if len(first) != 2 || first[0].Term != "小黄车" || first[0].Score != 2.77 || first[1].Term != "直播带货" || first[1].Score != 2.08 {
		t.Errorf("without a baseline: %+v", first)
	}
	top := TopTerms(counts, 4, 4)
	if want := map[string]int{"保证": 5, "保证金": 5, "证金": 5, "作业": 4}; !reflect.DeepEqual(top, want) {
		t.Errorf("top terms %v", top)
	}
}

func TestDigestRender(t *testing.T) {
	loc := cst()
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, loc)
	g := GroupDigest{GroupID: 1, Group: "阳新第6期学员群", Date: "2026-11-20", Messages: 128, MemberMessages: 110, Communicators: 23,
		Threads:   []Thread{{RootID: "a", Starter: "小王", Text: "直播间怎么挂小黄车？", At: t0.Add(9 * time.Hour), Messages: 12, People: 5}},
		Terms:     []Term{{Term: "小黄车", Messages: 9, People: 5}, {Term: "保证金", Messages: 4, People: 3}},
		Questions: 6, InTime: 4, Late: 1, MedianSeconds: 250,
		Open:       []DigestQuestion{{Asker: "小李", Text: "发票怎么开", AskedAt: t0.Add(21 * time.Hour), Duty: "店小二阿珍"}},
		Joined:     []string{"新人1", "新人2", "新人3", "新人4", "新人5", "新人6"},
		Left:       []string{"老李"},
		Removed:    []string{"卖货郎"},
		Moderation: []Count{{"delete", 3}, {"warn", 2}},
		Pushes:     []DigestPush{{PushID: 7, Title: "早高峰：直播带货的三个误区", SentAt: t0.Add(7*time.Hour + 30*time.Minute), Posts60: 14, Members: 8, Replies: 3, Clicks: 12, Visitors: 9, Links: 1, Followed: true}},
	}
	quiet := GroupDigest{GroupID: 2, Group: "黄州2015第四期", Date: "2026-11-20"}
	other := GroupDigest{GroupID: 3, Group: "万景城业主交流群", Date: "2026-11-20", Messages: 300, MemberMessages: 290, Communicators: 60, Terms: []Term{{Term: "停车位", Messages: 20, People: 12}}}
	o := Summarise("2026-11-20", []GroupDigest{other, quiet, g}, []DigestLeave{{Name: "老李", Group: "阳新第6期学员群"}})
	if o.Groups != 2 || o.QuietGroups != 1 || o.MemberMessages != 400 || o.Open != 1 || o.LeftN != 2 || o.Clicks != 12 || o.Lines[0].GroupID != 1 {
		t.Fatalf("summary %+v", o)
	}
	golden(t, "digest.golden", RenderGroup(g, loc)+"\n\n"+RenderGroup(quiet, loc)+"\n\n"+RenderOrg(o, 10, "https://qz.example.com/insights/digests/2026-11-20")+"\n")
}
