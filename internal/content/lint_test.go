package content

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// rulesMatcher adapts the rules engine to a CategoryMatcher: this is how
// the submission handler passes the live engine in.
func rulesMatcher(e *rules.Engine) CategoryMatcher {
	return CategoryMatcherFunc(func(text string) []CategoryHit {
		hits, _ := e.Classify(text)
		out := make([]CategoryHit, 0, len(hits))
		for _, h := range hits {
			if h.Term != rules.ModelTerm { // a lint shows words, not guesses
				out = append(out, CategoryHit{Category: h.Category, Term: h.Term, Text: h.Text})
			}
		}
		return out
	})
}

// lintCase is one script in testdata/lint: "# key: value" header lines
// (want, kind, title, url, id), then the body, then optionally a line
// "--- excerpt ---" and the excerpt.
type lintCase struct {
	name string
	id   int64
	want []Code
	in   LintInput
}

func readLintCase(path string) (lintCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return lintCase{}, fmt.Errorf("read case: %w", err)
	}
	c := lintCase{name: strings.TrimSuffix(filepath.Base(path), ".txt")}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "# "); i++ {
		key, val, ok := strings.Cut(strings.TrimPrefix(lines[i], "# "), ":")
		if !ok {
			return c, fmt.Errorf("%s:%d: want \"# key: value\"", path, i+1)
		}
		val = strings.TrimSpace(val)
		switch key {
		case "want":
			for _, f := range strings.Fields(val) {
				c.want = append(c.want, Code(f))
			}
		case "kind":
			if c.in.Kind, err = ParseKind(val); err != nil {
				return c, fmt.Errorf("%s:%d: %w", path, i+1, err)
			}
		case "title":
			c.in.Title = val
		case "url":
			c.in.URL = val
		case "id":
			if c.id, err = strconv.ParseInt(val, 10, 64); err != nil {
				return c, fmt.Errorf("%s:%d: id: %w", path, i+1, err)
			}
		default:
			return c, fmt.Errorf("%s:%d: unknown header %q", path, i+1, key)
		}
	}
	body, excerpt, _ := strings.Cut(strings.Join(lines[i:], "\n"), "--- excerpt ---\n")
	c.in.Body, c.in.Excerpt = strings.TrimRight(body, "\n"), strings.TrimRight(excerpt, "\n")
	return c, nil
}

func readLintCases(t testing.TB, pattern string) []lintCase {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases at %s (%v)", pattern, err)
	}
	var cs []lintCase
	for _, p := range paths {
		c, err := readLintCase(p)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

func testOptions(t testing.TB) LintOptions {
	t.Helper()
	var pushed []Pushed
	for _, c := range readLintCases(t, filepath.Join("testdata", "lint", "pushed", "*.txt")) {
		if c.id == 0 {
			t.Fatalf("pushed script %s has no id", c.name)
		}
		pushed = append(pushed, NewPushed(c.id, c.in))
	}
	return LintOptions{Matcher: rulesMatcher(rules.NewEngine(nil, nil)), Pushed: pushed}
}

func codes(fs []Finding) []Code {
	out := []Code{}
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestLintCases(t *testing.T) {
	opts := testOptions(t)
	for _, c := range readLintCases(t, filepath.Join("testdata", "lint", "*.txt")) {
		t.Run(c.name, func(t *testing.T) {
			got := Lint(c.in, opts)
			if want := append([]Code{}, c.want...); !slices.Equal(codes(got), want) {
				t.Errorf("codes %v, want %v\n%s", codes(got), want, dump(got))
			}
			for _, f := range got {
				if f.Zh == "" || f.En == "" || f.Severity == "" {
					t.Errorf("%s: message or severity missing: %+v", f.Code, f)
				}
			}
			golden := filepath.Join("testdata", "lint", c.name+".golden")
			b := []byte(dump(got))
			if *update {
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s", golden, b)
			}
		})
	}
}

func dump(fs []Finding) string {
	b, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

// find returns the first finding with code c.
func find(fs []Finding, c Code) (Finding, bool) {
	for _, f := range fs {
		if f.Code == c {
			return f, true
		}
	}
	return Finding{}, false
}

func TestLintEvidence(t *testing.T) {
	opts := testOptions(t)
	cs := map[string]lintCase{}
	for _, c := range readLintCases(t, filepath.Join("testdata", "lint", "*.txt")) {
		cs[c.name] = c
	}
	lint := func(name string) []Finding {
		c, ok := cs[name]
		if !ok {
			t.Fatalf("no case %s", name)
		}
		return Lint(c.in, opts)
	}

	f, _ := find(lint("banned-gambling-evasion"), CodeBannedCategory)
	if f.Evidence.Category != "ad" || f.Severity != SeverityWarn || !slices.ContainsFunc(f.Evidence.Terms, func(s string) bool { return strings.Contains(s, "➕薇") }) {
		t.Errorf("ad finding: %+v (want the evasion ➕薇❤信 as written)", f)
	}
	fs := lint("banned-gambling-evasion")
	if g := fs[1]; g.Evidence.Category != "gambling" || g.Severity != SeverityBlock || !slices.Contains(g.Evidence.Terms, "百 家 乐") || !slices.Contains(g.Evidence.Terms, "彩金") {
		t.Errorf("gambling finding: %+v", g)
	}

	f, _ = find(lint("near-duplicate-class"), CodeNearDuplicate)
	if f.Evidence.ScriptID != 101 || f.Evidence.Distance == 0 || f.Evidence.Distance > DefaultMaxDistance || f.Evidence.Similarity < 0.8 {
		t.Errorf("near-duplicate evidence: %+v", f.Evidence)
	}
	f, _ = find(lint("duplicate-water"), CodeDuplicate)
	if f.Evidence.ScriptID != 102 || f.Severity != SeverityBlock {
		t.Errorf("duplicate: %+v", f)
	}

	f, _ = find(lint("hard-selling-zh"), CodeHardSelling)
	for _, cue := range []string{"¥99", "秒杀", "优惠券", "到手价", "私聊下单", "购买链接", "手慢无"} {
		if !slices.Contains(f.Evidence.Terms, cue) {
			t.Errorf("hard selling cues %v lack %q", f.Evidence.Terms, cue)
		}
	}
	if f.Severity != SeverityBlock || f.Evidence.Score < 8 {
		t.Errorf("hard selling: severity %s score %d, want block at 8 or more", f.Severity, f.Evidence.Score)
	}
	f, _ = find(lint("hard-selling-en"), CodeHardSelling)
	for _, cue := range []string{"$12.99", "40% off", "buy now", "discount code", "limited time", "dm me to order"} {
		if !slices.Contains(f.Evidence.Terms, cue) {
			t.Errorf("english hard selling cues %v lack %q", f.Evidence.Terms, cue)
		}
	}

	f, _ = find(lint("paste-article-source"), CodePasteWithoutComment)
	if f.Evidence.PastedChars < 300 || f.Evidence.OwnChars != 4 || f.Evidence.OwnLines != 1 {
		t.Errorf("paste evidence: %+v", f.Evidence)
	}
	f, _ = find(lint("too-short-media"), CodeTooShort)
	if f.Severity != SeverityInfo || f.Evidence.OwnLines != 1 {
		t.Errorf("a media caption that is too short: %+v", f)
	}
	f, _ = find(lint("too-short-english"), CodeTooShort)
	if f.Severity != SeverityWarn || f.Evidence.OwnLines != 2 {
		t.Errorf("too short: %+v", f)
	}
}

func TestLintOptions(t *testing.T) {
	two := LintInput{Kind: KindText, Body: "明天上午九点大扫除，请大家把楼道里的杂物收回家。\n物业会安排保洁，谢谢配合。"}
	if got := codes(Lint(two, LintOptions{})); !slices.Equal(got, []Code{CodeTooShort}) {
		t.Errorf("two lines with defaults: %v, want too_short", got)
	}
	if got := codes(Lint(two, LintOptions{MinOwnLines: 2})); len(got) != 0 {
		t.Errorf("two lines with MinOwnLines 2: %v, want nothing", got)
	}
	if got := codes(Lint(two, LintOptions{MinOwnLines: -1})); len(got) != 0 {
		t.Errorf("too_short turned off: %v", got)
	}
	// Short lines do not count as lines of commentary.
	thumbs := LintInput{Kind: KindText, Body: "赞\n好文\n👍👍👍\n值得一看"}
	f, _ := find(Lint(thumbs, LintOptions{}), CodeTooShort)
	if f.Evidence.OwnLines != 1 {
		t.Errorf("赞/好文/👍/值得一看: %d own lines, want 1 (%+v)", f.Evidence.OwnLines, f)
	}
	if got := codes(Lint(thumbs, LintOptions{MinLineChars: 1, MinOwnLines: 3})); len(got) != 0 {
		t.Errorf("with MinLineChars 1 the short lines count: %v", got)
	}

	selling := LintInput{Kind: KindText, Body: "今晚秒杀，到手价99元。\n喜欢的可以看看。\n不喜欢的忽略就好。"}
	if got := codes(Lint(selling, LintOptions{})); !slices.Equal(got, []Code{CodeHardSelling}) {
		t.Errorf("selling with defaults: %v", got)
	}
	if got := codes(Lint(selling, LintOptions{SellingScore: 20})); len(got) != 0 {
		t.Errorf("selling under a higher threshold: %v", got)
	}

	// A matcher that reports a category outside Banned is ignored.
	m := CategoryMatcherFunc(func(string) []CategoryHit {
		return []CategoryHit{{Category: "vote", Term: "投票", Text: "投票"}, {Category: "custom", Term: "x", Text: "x"}}
	})
	body := LintInput{Kind: KindText, Body: "这周的业委会会议改到周四晚上。\n地点还是会所二楼。\n议题是充电桩收费。"}
	if got := Lint(body, LintOptions{Matcher: m}); len(got) != 1 || got[0].Evidence.Category != "vote" || got[0].Severity != SeverityWarn {
		t.Errorf("vote hit: %+v", got)
	}
	if got := Lint(body, LintOptions{Matcher: m, Banned: []string{"custom"}, Blocking: []string{"custom"}}); len(got) != 1 || got[0].Evidence.Category != "custom" || got[0].Severity != SeverityBlock || got[0].Zh == "" {
		t.Errorf("custom category: %+v", got)
	}

	// Near-duplicates: off with a negative distance, and ties go to the
	// lower script id.
	p := NewPushed(9, LintInput{Body: ownersWater})
	q := NewPushed(4, LintInput{Body: ownersWater})
	edited := LintInput{Kind: KindText, Body: strings.Replace(ownersWater, "九点", "十点", 1)}
	f, _ = find(Lint(edited, LintOptions{Pushed: []Pushed{p, q}}), CodeNearDuplicate)
	if f.Evidence.ScriptID != 4 {
		t.Errorf("tie: script %d, want 4", f.Evidence.ScriptID)
	}
	if _, ok := find(Lint(edited, LintOptions{Pushed: []Pushed{p}, MaxDistance: -1}), CodeNearDuplicate); ok {
		t.Error("near-duplicate check turned off still reports")
	}
	// Short texts are only checked for exact duplicates.
	short := LintInput{Kind: KindText, Body: "今晚八点开会"}
	if _, ok := find(Lint(short, LintOptions{Pushed: []Pushed{NewPushed(1, LintInput{Body: "今晚九点开会"})}}), CodeNearDuplicate); ok {
		t.Error("a short text was called a near-duplicate")
	}
	if f, ok := find(Lint(short, LintOptions{Pushed: []Pushed{NewPushed(8, short), NewPushed(5, short)}}), CodeDuplicate); !ok || f.Evidence.ScriptID != 5 {
		t.Errorf("a short exact duplicate pushed twice: %+v, want script 5", f)
	}
	// The same link with no words is a duplicate; another link is not.
	link := LintInput{Kind: KindLink, URL: "https://example.com/a/1"}
	if _, ok := find(Lint(link, LintOptions{Pushed: []Pushed{NewPushed(3, link)}}), CodeDuplicate); !ok {
		t.Error("the same bare link pushed twice was missed")
	}
	other := LintInput{Kind: KindLink, URL: "https://example.com/a/2"}
	if _, ok := find(Lint(other, LintOptions{Pushed: []Pushed{NewPushed(3, link)}}), CodeDuplicate); ok {
		t.Error("another link was called a duplicate")
	}
}

func TestSellingScore(t *testing.T) {
	tests := []struct {
		text  string
		score int
		cues  []string
	}{
		{"周六团购草莓，35元一箱。", 2, []string{"35元"}},
		{"元旦快乐！2026元旦假期安排见群公告", 0, nil},
		{"限时报名，周五截止", 1, []string{"限时"}},
		{"优惠券领了吗", 2, []string{"优惠券"}}, // 优惠 inside 优惠券 adds nothing
		{"The deal is simple: read, then ask.", 1, []string{"deal"}},
		{"wholesale ideal", 0, nil},
		{"原价199，现价99元，8折！！！", 7, []string{"99元", "8折", "原价", "现价", "!×3"}},
		{"Hurry!!!!!! Buy now for $5", 7, []string{"$5", "buy now", "hurry", "!×6"}},
	}
	for _, tt := range tests {
		score, cues := sellingScore(tt.text)
		if score != tt.score || !slices.Equal(cues, tt.cues) {
			t.Errorf("sellingScore(%q) = %d %q, want %d %q", tt.text, score, cues, tt.score, tt.cues)
		}
	}
	// No single cue reaches the default threshold.
	def := LintOptions{}.withDefaults()
	for _, c := range sellingCues {
		if c.weight >= def.SellingScore {
			t.Errorf("a single cue of weight %d would be flagged alone", c.weight)
		}
	}
}

func TestSplitOwn(t *testing.T) {
	long := strings.Repeat("这是一段从公众号复制过来的文字。", 25) // 375 characters
	tests := []struct {
		name         string
		body         string
		own, pasted  int
		ownLinesWant int
	}{
		{"plain", "第一行自己的话\n第二行自己的话", 14, 0, 2},
		{"short quote stays own", "老师说“先做基本功”，我很认同。", 12, 0, 1},
		{"long quote is pasted", "老师说：“" + long + "”我很认同。", 7, 375, 1},
		{"unclosed quote runs to the end", "他说「" + long, 2, 375, 0},
		{"quote lines", "> 引用第一行内容\n＞ 引用第二行内容\n我的看法如下", 6, 14, 1},
		{"source until comment", "好文\n原文：\n" + long + "\n点评：写得好的地方有三点", 13, 377, 1},
		{"a sentence about the original stays own", "原文写得很好，我补充三点\n第一是选品", 16, 0, 2},
		{"a from-mark needs no colon", "转自农夫电商公众号\n" + long, 0, 384, 0},
		{"short text after a link stays own", "https://example.com/x\n这篇文章我推荐大家读", 10, 0, 1},
		{"long text after a link is pasted", "推荐一篇\nhttps://example.com/x\n" + long, 4, 375, 1},
		{"a second link closes the region", "https://example.com/x\n" + long + "\nhttps://example.com/y\n短评一句话", 5, 375, 1},
	}
	for _, tt := range tests {
		s := splitOwn(tt.body, 300)
		n, chars := ownLines(s.own, 4)
		if chars != tt.own || s.pasted != tt.pasted || n != tt.ownLinesWant {
			t.Errorf("%s: own %d chars in %d lines, pasted %d; want %d in %d, %d", tt.name, chars, n, s.pasted, tt.own, tt.ownLinesWant, tt.pasted)
		}
	}
}

func TestParseKind(t *testing.T) {
	for s, want := range map[string]Kind{"": KindText, "text": KindText, " Link ": KindLink, "forward": KindForward, "media": KindMedia} {
		if k, err := ParseKind(s); err != nil || k != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", s, k, err, want)
		}
	}
	if _, err := ParseKind("video"); err == nil || !strings.Contains(err.Error(), `"video"`) {
		t.Errorf("ParseKind(video): %v", err)
	}
}

func TestLintEmpty(t *testing.T) {
	got := Lint(LintInput{}, LintOptions{})
	if got == nil || !slices.Equal(codes(got), []Code{CodeTooShort}) {
		t.Errorf("empty script: %#v", got)
	}
	clean := LintInput{Kind: KindText, Body: "今天的课后作业：\n一、写出你店铺的三个核心卖点；\n二、找两家同类目店铺对比主图；\n三、周五前发到群里互相点评。"}
	if got := Lint(clean, LintOptions{}); got == nil || len(got) != 0 {
		t.Errorf("clean script: %#v, want an empty, non-nil slice", got)
	}
}

// TestLintLargeInput lints pathological bodies of a few hundred kilobytes:
// quote marks that never close, or nest a hundred thousand deep, once made
// the quote scan quadratic (minutes); now each takes well under a second.
func TestLintLargeInput(t *testing.T) {
	opts := testOptions(t)
	for _, body := range []string{
		strings.Repeat("“", 200000),
		strings.Repeat("\"a", 100000),
		strings.Repeat("「", 100000) + strings.Repeat("」", 100000),
		strings.Repeat("https://example.com/c\n", 20000),
		"原文：\n" + strings.Repeat("字\n", 100000),
	} {
		if got := Lint(LintInput{Body: body, Kind: KindText}, opts); len(got) == 0 {
			t.Errorf("%.20q…: no finding", body)
		}
	}
}

func FuzzLint(f *testing.F) {
	opts := testOptions(f)
	for _, c := range readLintCases(f, filepath.Join("testdata", "lint", "*.txt")) {
		f.Add(c.in.Title, c.in.Body, string(c.in.Kind), c.in.URL, c.in.Excerpt)
	}
	f.Add("", "“「『\"", "forward", "http://", ">")
	f.Add("t", "原文：\n> x\nhttps://a.b\n点评：", "link", "t.cn/x", "\xff")
	known := Codes()
	f.Fuzz(func(t *testing.T, title, body, kind, url, excerpt string) {
		in := LintInput{Title: title, Body: body, Kind: Kind(kind), URL: url, Excerpt: excerpt}
		a := Lint(in, opts)
		b := Lint(in, opts)
		if dump(a) != dump(b) {
			t.Fatalf("not deterministic:\n%s\n%s", dump(a), dump(b))
		}
		seen := map[Code]bool{}
		for _, f := range a {
			if !slices.Contains(known, f.Code) {
				t.Fatalf("unknown code %q", f.Code)
			}
			if f.Code != CodeBannedCategory && seen[f.Code] {
				t.Fatalf("code %s twice", f.Code)
			}
			seen[f.Code] = true
			if f.Severity != SeverityInfo && f.Severity != SeverityWarn && f.Severity != SeverityBlock {
				t.Fatalf("severity %q", f.Severity)
			}
			if f.Zh == "" || f.En == "" {
				t.Fatalf("%s without a message", f.Code)
			}
		}
		if seen[CodeTooShort] && (seen[CodeForwardWithoutNote] || seen[CodePasteWithoutComment]) {
			t.Fatal("too_short with a more specific finding about the sender's own words")
		}
		if seen[CodeDuplicate] && seen[CodeNearDuplicate] {
			t.Fatal("duplicate and near_duplicate together")
		}
	})
}

func BenchmarkLint(b *testing.B) {
	opts := testOptions(b)
	var body strings.Builder
	for body.Len() < 2048 {
		body.WriteString(shopCourse)
		body.WriteString("\n")
		body.WriteString(ownersWater)
		body.WriteString("\n")
	}
	in := LintInput{Title: "两千字节的剧本", Body: body.String()[:2048], Kind: KindText}
	pushed := make([]Pushed, 10000)
	for i := range pushed {
		pushed[i] = Pushed{ScriptID: int64(i + 1), SimHash: uint64(i) * 0x9e3779b97f4a7c15, Exact: uint64(i)}
	}
	opts.Pushed = pushed
	b.SetBytes(int64(len(in.Body)))
	b.ReportAllocs()
	for b.Loop() {
		Lint(in, opts)
	}
}
