package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"加 微 信", "加微信"},
		{"加.微.信", "加微信"},
		{"加\u200b微\u200d信", "加微信"},
		{"➕薇信", "加微信"},
		{"＋V：abc123", "加v:abc123"[:0] + "加vabc123"},
		{"ＡＢＣ１２３", "abc123"},
		{"①③⑧", "138"},
		{"賭博網站", "赌博网站"},
		{"水 滴 筹", "水滴筹"},
		{"Hello, World!", "helloworld"},
		{"❤加❤我❤", "加我"},
		{"大家好👋", "大家好"},
	}
	var n Normalizer
	for _, tt := range tests {
		if got := string(n.Normalize(tt.in)); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	in := "请 加 薇 信"
	runes := n.Normalize(in)
	from, to := n.Span(1, len(runes))
	if in[from:to] != "加 薇 信" {
		t.Errorf("Span = %q, want the original 加 薇 信", in[from:to])
	}
}

func TestNormalizeAllocs(t *testing.T) {
	var n Normalizer
	msg := "大家好，加 薇 信 abc1688 领资料！Ｈｅｌｌｏ ①③⑧ 賭博"
	n.Normalize(msg)
	if a := testing.AllocsPerRun(100, func() { n.Normalize(msg) }); a != 0 {
		t.Fatalf("Normalize allocates %v times per message", a)
	}
}

func pats(terms ...string) []Pattern {
	var n Normalizer
	out := make([]Pattern, len(terms))
	for i, term := range terms {
		out[i] = Pattern{Term: term, Category: "c", Norm: slices.Clone(n.Normalize(term))}
	}
	return out
}

// naive finds every (pattern index, end) by brute force.
func naive(ps []Pattern, text []rune) []string {
	var out []string
	for end := 1; end <= len(text); end++ {
		for i, p := range ps {
			if len(p.Norm) > 0 && end >= len(p.Norm) && slices.Equal(text[end-len(p.Norm):end], p.Norm) {
				out = append(out, fmt.Sprintf("%d@%d", i, end))
			}
		}
	}
	slices.Sort(out)
	return out
}

func found(m *Matcher, ps []Pattern, text []rune) []string {
	var out []string
	m.Match(text, func(p *Pattern, end int) bool {
		for i := range ps {
			if &ps[i] == p {
				out = append(out, fmt.Sprintf("%d@%d", i, end))
			}
		}
		return true
	})
	slices.Sort(out)
	return out
}

func TestMatcher(t *testing.T) {
	ps := pats("he", "she", "his", "hers", "加微信", "微信", "信", "傻逼", "sb")
	m := NewMatcher(ps)
	var n Normalizer
	for _, text := range []string{"ushers", "加 薇 信领资料", "你是sb吗 傻逼", "", "hishershe"} {
		norm := n.Normalize(text)
		if got, want := found(m, ps, norm), naive(ps, norm); !slices.Equal(got, want) {
			t.Errorf("%q: matcher %v, naive %v", text, got, want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	ps := pats("加微信", "水滴筹", "投一票", "赌博")
	m := NewMatcher(ps)
	var n Normalizer
	text := n.Normalize("大家好，帮我家孩子投一票，谢谢！加 薇 信 领资料")
	count := 0
	fn := func(*Pattern, int) bool { count++; return true }
	if a := testing.AllocsPerRun(100, func() { m.Match(text, fn) }); a != 0 {
		t.Fatalf("Match allocates %v times", a)
	}
	if count == 0 {
		t.Fatal("nothing matched")
	}
}

func FuzzMatcher(f *testing.F) {
	f.Add("加微信", "请加 微信 号", "信")
	f.Add("abab", "abababab", "bab")
	f.Fuzz(func(t *testing.T, a, text, b string) {
		if strings.ContainsRune(a+b+text, '\uFFFD') {
			return
		}
		ps := pats(a, b, a+b)
		m := NewMatcher(ps)
		var n Normalizer
		norm := n.Normalize(text)
		if got, want := found(m, ps, norm), naive(ps, norm); !slices.Equal(got, want) {
			t.Fatalf("%q in %q: matcher %v, naive %v", []string{a, b}, text, got, want)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add("加 薇 信 abc1688")
	f.Add("ＡＢＣ①賭\u200b")
	f.Fuzz(func(t *testing.T, s string) {
		var n Normalizer
		out := string(n.Normalize(s))
		for i := range n.offs {
			if n.offs[i] < 0 || int(n.ends[i]) > len(s) || n.offs[i] >= n.ends[i] {
				t.Fatalf("bad span %d:%d for %q", n.offs[i], n.ends[i], s)
			}
		}
		// Folding is idempotent: normalised text normalises to itself.
		if again := string(n.Normalize(out)); again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(that) = %q", s, out, again)
		}
	})
}
