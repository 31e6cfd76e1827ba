package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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

func TestMatcherEmpty(t *testing.T) {
	for _, ps := range [][]Pattern{nil, pats(" ", "！")} {
		m := NewMatcher(ps)
		m.Match([]rune("加微信"), func(*Pattern, int) bool {
			t.Fatal("an empty matcher matched")
			return false
		})
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
	f.Add("ﬃ㍻👍🌹\U0001F1E8\U00020000\xed\xa0\x80\xe4\xb8")
	f.Fuzz(func(t *testing.T, s string) {
		var n Normalizer
		out := string(n.Normalize(s))
		letters := 0
		for _, r := range out {
			if r >= 'a' && r <= 'z' {
				letters++
			}
		}
		if n.letters != letters {
			t.Fatalf("Normalize(%q): %d letters counted, %d in %q", s, n.letters, letters, out)
		}
		for i := range n.offs {
			if from, to := n.Span(i, i+1); from < 0 || to > len(s) || from >= to {
				t.Fatalf("bad span %d:%d for %q", from, to, s)
			}
		}
		// The table-driven loop folds exactly like fold, rune by rune.
		want, spans := foldEach(s)
		if out != string(want) {
			t.Fatalf("Normalize(%q) = %q, folding rune by rune gives %q", s, out, string(want))
		}
		for i, sp := range spans {
			if from, to := n.Span(i, i+1); from != sp[0] || to != sp[1] {
				t.Fatalf("%q: span of rune %d is %d:%d, want %d:%d", s, i, from, to, sp[0], sp[1])
			}
		}
		// Folding is idempotent: normalised text normalises to itself.
		if again := string(n.Normalize(out)); again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(that) = %q", s, out, again)
		}
	})
}

// foldEach is Normalize without its tables: fold on every rune, with the
// original byte range of each normalised rune.
func foldEach(s string) ([]rune, [][2]int) {
	var n Normalizer
	var spans [][2]int
	for i, r := range s {
		before := len(n.out)
		n.fold(r, int32(i))
		_, size := utf8.DecodeRuneInString(s[i:])
		for range n.out[before:] {
			spans = append(spans, [2]int{i, i + size})
		}
	}
	return n.out, spans
}

// TestMatcherMany checks the double array against brute force with many
// terms over a small alphabet, so that states crowd each other: ASCII,
// CJK, look-alike-free symbols and runes beyond the BMP.
func TestMatcherMany(t *testing.T) {
	alphabet := []rune("ab1加微信群水滴筹\U00020000\U0002A6B0")
	r := rand.New(rand.NewPCG(5, 6))
	word := func(max int) []rune {
		w := make([]rune, 1+r.IntN(max))
		for i := range w {
			w[i] = alphabet[r.IntN(len(alphabet))]
		}
		return w
	}
	for round := range 20 {
		var ps []Pattern
		for i := range 50 + round*100 {
			w := word(6)
			ps = append(ps, Pattern{Term: fmt.Sprint(i), Norm: w})
		}
		m := NewMatcher(ps)
		for range 50 {
			text := word(60)
			if got, want := found(m, ps, text), naive(ps, text); !slices.Equal(got, want) {
				t.Fatalf("round %d, %q: matcher %v, naive %v", round, string(text), got, want)
			}
		}
	}
}
