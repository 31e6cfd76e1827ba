// Command bench compares qunzhu's dictionary matcher with three public
// Aho-Corasick libraries in one run, on one generated corpus: speed, memory
// and build time at 1k, 10k and 50k terms, and agreement on which terms
// each message contains. It is a separate module so the peers never become
// dependencies of qunzhu.
//
//	cd bench && go run . [-messages 1000000] [-passes 3]
//	cd bench && go run . -whole DIR      # whole processes: qunzhu check against ./anknown
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	bobu "github.com/BobuSumisu/aho-corasick"
	anknown "github.com/anknown/ahocorasick"
	cloudflare "github.com/cloudflare/ahocorasick"

	"github.com/qunzhu/qunzhu/internal/rules"
)

func main() {
	n := flag.Int("messages", 1_000_000, "messages in the corpus")
	check := flag.Int("check", 20_000, "messages on which all matchers must agree")
	passes := flag.Int("passes", 3, "passes over the corpus per matcher; the fastest is reported")
	write := flag.String("write", "", "write the corpus (lines.txt) and the 50k-term dictionaries into this directory, and exit")
	wholeDir := flag.String("whole", "", "time whole processes — qunzhu check against ./anknown — with the files in this directory, and exit")
	runs := flag.Int("runs", 5, "with -whole: counted runs of each program")
	flag.Parse()
	msgs := corpus(*n)
	if *write != "" || *wholeDir != "" {
		var err error
		if *write != "" {
			err = writeFiles(*write, msgs)
		} else {
			err = whole(*wholeDir, msgs, *runs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	size := bytesOf(msgs)
	fmt.Printf("corpus: %d messages, %.1f MB (mostly Chinese, emoji, digits, Latin, links; 2%% ads)\n", len(msgs), float64(size)/1e6)
	fmt.Printf("machine: %s/%s, %d CPU, %s; one core per matcher, fastest of %d passes\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *passes)
	runtime.GOMAXPROCS(1)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "terms\tmatcher\tbuild\tmemory\tMB/s\tmsgs/s\thits\t")
	for _, terms := range []int{1_000, 10_000, 50_000} {
		dict := dictionary(terms, msgs)
		for _, m := range matchers {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			search := m.build(dict)
			build := time.Since(start)
			runtime.GC()
			runtime.ReadMemStats(&after)
			mem := float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc)) / (1 << 20)
			// The fastest of a few passes: the machine may be shared, and
			// a neighbour's burst should not decide the figure.
			hits, el := 0, math.Inf(1)
			for range *passes {
				hits = 0
				start = time.Now()
				for _, msg := range msgs {
					hits += search(msg, nil)
				}
				el = min(el, time.Since(start).Seconds())
			}
			fmt.Fprintf(tw, "%d\t%s\t%v\t%.1f MB\t%.1f\t%.0f\t%d\t\n", terms, m.name, build.Round(time.Millisecond), mem, float64(size)/el/1e6, float64(len(msgs))/el, hits)
			runtime.KeepAlive(search)
		}
		if err := agree(dict, msgs[:min(*check, len(msgs))]); err != nil {
			tw.Flush()
			fmt.Fprintln(os.Stderr, "DISAGREEMENT:", err)
			os.Exit(1)
		}
	}
	tw.Flush()
	fmt.Printf("\nAll matchers agree on the terms found in each of the first %d messages (raw text).\n", *check)
	fmt.Println("qunzhu (normalised) folds width, case, zero-width characters, separators, traditional characters and look-alikes before matching; the others match raw text.")
}

// writeFiles writes the corpus, one message a line, and two dictionaries
// of 50,000 terms, one term a line, for timing whole processes: `qunzhu
// check --dict FILE --count < lines.txt` against ./anknown. dict-50k.txt is
// the matcher comparison's (words cut from the corpus, so that nearly every
// line holds a term); dict-50k-ops.txt is more like an operator's list:
// the corpus's ad phrases and random terms, held by a few lines in a
// hundred.
func writeFiles(dir string, msgs []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, lines []string) error {
		return os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	if err := write("lines.txt", msgs); err != nil {
		return err
	}
	// Only terms qunzhu check accepts (emoji-only terms fold to nothing),
	// each once after folding.
	var nz rules.Normalizer
	seen := map[string]bool{}
	var dict []string
	for _, d := range dictionary(60_000, msgs) {
		norm := string(nz.Normalize(d))
		if len(norm) >= 2 && !seen[norm] && len(dict) < 50_000 {
			seen[norm] = true
			dict = append(dict, d)
		}
	}
	if err := write("dict-50k.txt", dict); err != nil {
		return err
	}
	ads := []string{"水滴筹", "投一票", "扫码进群", "稳赚不赔"}
	ops := slices.Clone(ads)
	for _, d := range dict {
		if len(ops) == 50_000 {
			break
		}
		if !slices.Contains(parts, d) && !slices.Contains(ads, d) && d != "微信" {
			ops = append(ops, d)
		}
	}
	return write("dict-50k-ops.txt", ops)
}

// searcher reports how many term occurrences (or distinct terms, for
// matchers that only report those) a message contains; into, when not nil,
// receives the distinct terms found.
type searcher func(msg string, into map[string]bool) int

type matcher struct {
	name  string
	build func(dict []string) searcher
}

var matchers = []matcher{
	{"qunzhu (normalised)", func(dict []string) searcher {
		var nz rules.Normalizer
		ps := make([]rules.Pattern, 0, len(dict))
		for _, d := range dict {
			ps = append(ps, rules.Pattern{Term: d, Category: "c", Norm: slices.Clone(nz.Normalize(d))})
		}
		m := rules.NewMatcher(ps)
		return func(msg string, into map[string]bool) int {
			n := 0
			m.Match(nz.Normalize(msg), func(p *rules.Pattern, _ int) bool {
				n++
				if into != nil {
					into[p.Term] = true
				}
				return true
			})
			return n
		}
	}},
	{"qunzhu (raw)", func(dict []string) searcher {
		ps := make([]rules.Pattern, 0, len(dict))
		for _, d := range dict {
			ps = append(ps, rules.Pattern{Term: d, Category: "c", Norm: []rune(d)})
		}
		m := rules.NewMatcher(ps)
		buf := make([]rune, 0, 256)
		return func(msg string, into map[string]bool) int {
			buf = buf[:0]
			for _, r := range msg {
				buf = append(buf, r)
			}
			n := 0
			m.Match(buf, func(p *rules.Pattern, _ int) bool {
				n++
				if into != nil {
					into[p.Term] = true
				}
				return true
			})
			return n
		}
	}},
	{"anknown/ahocorasick", func(dict []string) searcher {
		words := make([][]rune, len(dict))
		for i, d := range dict {
			words[i] = []rune(d)
		}
		m := new(anknown.Machine)
		if err := m.Build(words); err != nil {
			panic(err)
		}
		return func(msg string, into map[string]bool) int {
			terms := m.MultiPatternSearch([]rune(msg), false)
			if into != nil {
				for _, t := range terms {
					into[string(t.Word)] = true
				}
			}
			return len(terms)
		}
	}},
	{"BobuSumisu/aho-corasick", func(dict []string) searcher {
		t := bobu.NewTrieBuilder().AddStrings(dict).Build()
		return func(msg string, into map[string]bool) int {
			ms := t.MatchString(msg)
			if into != nil {
				for _, m := range ms {
					into[m.MatchString()] = true
				}
			}
			return len(ms)
		}
	}},
	{"cloudflare/ahocorasick", func(dict []string) searcher {
		m := cloudflare.NewStringMatcher(dict)
		return func(msg string, into map[string]bool) int {
			idx := m.Match([]byte(msg))
			if into != nil {
				for _, i := range idx {
					into[dict[i]] = true
				}
			}
			return len(idx) // distinct terms only
		}
	}},
}

// agree checks every matcher finds the same distinct terms in each message
// (qunzhu's normalised matcher is left out: it finds more, by design).
func agree(dict []string, msgs []string) error {
	var ss []searcher
	for _, m := range matchers[1:] {
		ss = append(ss, m.build(dict))
	}
	for _, msg := range msgs {
		var want map[string]bool
		for i, s := range ss {
			got := map[string]bool{}
			s(msg, got)
			if i == 0 {
				want = got
				continue
			}
			if !sameSet(want, got) {
				return fmt.Errorf("%q: %s found %v, %s found %v", msg, matchers[1].name, keys(want), matchers[i+1].name, keys(got))
			}
		}
	}
	return nil
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var parts = []string{"大家好", "老师讲得太好了", "今天的直播课几点开始", "拼多多的推广", "抖音小店", "淘宝直通车出价", "👍", "🌹🌹", "收到",
	"请问", "物业电话", "5栋电梯又坏了", "123", "2026", "ok", "thanks", "https://example.com/a/1", "团购草莓", "快递", "选品",
	"，", "。", "！", "农村电商", "乡村振兴", "详情页", "主图", "转化率", "复购", "私域流量", "社群运营", "打卡", "作业", "晚上8点半"}

var ads = []string{"加 薇 信 abc1688", "➕V：zc888", "水滴筹", "帮我投一票", "扫码进群领资料", "线上棋牌稳赚不赔"}

// bytesOf is the size of msgs in bytes.
func bytesOf(msgs []string) int {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return n
}

// corpus makes chat-like messages, deterministically.
func corpus(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	var b strings.Builder
	for i := range out {
		b.Reset()
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

// dictionary makes n distinct terms: words cut from the corpus (so there
// are hits) and random 2–5 character Chinese strings.
func dictionary(n int, msgs []string) []string {
	r := rand.New(rand.NewPCG(3, uint64(n)))
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] && len(out) < n {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, p := range append(slices.Clone(parts[:20]), "微信", "水滴筹", "投一票", "扫码进群", "稳赚不赔") {
		add(p)
	}
	for len(out) < n {
		var b strings.Builder
		for j := 2 + r.IntN(4); j > 0; j-- {
			b.WriteRune(rune(0x4E00 + r.IntN(3000)))
		}
		add(b.String())
	}
	return out
}
