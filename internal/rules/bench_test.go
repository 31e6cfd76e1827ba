package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// corpus makes chat-like messages: mostly Chinese, with emoji, digits,
// Latin words and links, a few percent of them ads.
func corpus(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"大家好", "老师讲得太好了", "今天的直播课几点开始", "拼多多", "抖音小店", "淘宝直通车出价", "👍", "🌹", "收到",
		"请问", "物业电话", "5栋电梯又坏了", "123", "2026", "ok", "thanks", "https://example.com/a/1", "团购草莓", "快递", "选品", "，", "。", "！"}
	ads := []string{"加 薇 信 abc1688", "➕V：zc888", "水滴筹", "帮我投一票"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := 2 + r.IntN(8); j > 0; j-- {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		if r.IntN(50) == 0 {
			b.WriteString(ads[r.IntN(len(ads))])
		}
		out[i] = b.String()
	}
	return out
}

// dictionary makes n distinct 2–5 character terms.
func dictionary(n int) []Pattern {
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	var ps []Pattern
	var nz Normalizer
	for len(ps) < n {
		var b strings.Builder
		for j := 2 + r.IntN(4); j > 0; j-- {
			b.WriteRune(rune(0x4E00 + r.IntN(3000)))
		}
		t := b.String()
		if seen[t] {
			continue
		}
		seen[t] = true
		ps = append(ps, Pattern{Term: t, Category: "custom", Norm: []rune(string(nz.Normalize(t)))})
	}
	return ps
}

// BenchmarkClassify measures the full path — normalisation, dictionary
// matching, recognisers — per message, with 1k, 10k and 50k extra terms.
func BenchmarkClassify(b *testing.B) {
	msgs := corpus(100_000)
	bytes := 0
	for _, m := range msgs {
		bytes += len(m)
	}
	for _, n := range []int{1_000, 10_000, 50_000} {
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			start := time.Now()
			e := NewEngine(dictionary(n), nil)
			b.ReportMetric(float64(time.Since(start).Milliseconds()), "build-ms")
			sc := e.pool.Get().(*scratch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.classify(sc, msgs[i%len(msgs)], nil)
			}
			el := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/el, "msgs/s")
			b.ReportMetric(float64(bytes)/float64(len(msgs))*float64(b.N)/el/1e6, "MB/s")
		})
	}
}

// BenchmarkEvaluate is one message through the default rule set.
func BenchmarkEvaluate(b *testing.B) {
	e := NewEngine(nil, nil)
	rs := Default()
	msgs := corpus(10_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Evaluate(rs, Input{Text: msgs[i%len(msgs)], Kind: chat.KindText, Role: "member"})
	}
}

// BenchmarkNewMatcher is the build of a 50k-term matcher.
func BenchmarkNewMatcher(b *testing.B) {
	ps := dictionary(50_000)
	b.ReportAllocs()
	for b.Loop() {
		NewMatcher(ps)
	}
}

// BenchmarkNormalize and BenchmarkMatch split the hot path: folding the
// corpus, and matching its folded form against 50k terms.
func BenchmarkNormalize(b *testing.B) {
	msgs := corpus(100_000)
	var n Normalizer
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n.Normalize(msgs[i%len(msgs)])
	}
}

func BenchmarkMatch(b *testing.B) {
	var n Normalizer
	var folded [][]rune
	for _, m := range corpus(100_000) {
		folded = append(folded, slices.Clone(n.Normalize(m)))
	}
	m := NewMatcher(append(BuiltinDictionary(), dictionary(50_000)...))
	hits := 0
	count := func(*Pattern, int) bool { hits++; return true }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Match(folded[i%len(folded)], count)
	}
}
