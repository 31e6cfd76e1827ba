package rules

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
)

//go:embed presets/*.toml
var presetFS embed.FS

// Preset returns a built-in rule set: "academy" (the default) or "owners".
func Preset(name string) (*RuleSet, error) {
	b, err := presetFS.ReadFile("presets/" + name + ".toml")
	if err != nil {
		return nil, fmt.Errorf("no preset %q (want academy or owners)", name)
	}
	return ParseRuleSet(name+".toml", b)
}

// Default is the built-in default rule set: the academy's.
func Default() *RuleSet {
	rs, err := Preset("academy")
	if err != nil {
		panic("rules: built-in preset: " + err.Error())
	}
	return rs
}

// compiled is what an Engine matches with; it is swapped whole.
type compiled struct {
	m     *Matcher
	allow *Matcher
}

// Engine holds the compiled dictionaries. Rebuilding (after a rules change)
// happens off the hot path; Swap installs the result atomically.
type Engine struct {
	cur  atomic.Pointer[compiled]
	pool sync.Pool // *scratch
}

type scratch struct {
	n     Normalizer
	hits  []Hit
	spans [][2]int
}

// Hit is one dictionary or pattern match.
type Hit struct {
	Category string
	Term     string // the dictionary term, or the recogniser's name
	Text     string // the words as the sender wrote them
}

// NewEngine compiles the built-in dictionary, the built-in allow phrases
// and any extra patterns and phrases.
func NewEngine(extra []Pattern, allow []string) *Engine {
	e := &Engine{}
	e.pool.New = func() any { return &scratch{} }
	e.Swap(extra, allow)
	return e
}

// Swap rebuilds the matchers with the built-ins plus extra and installs
// them atomically: evaluations in flight finish with the old ones.
func (e *Engine) Swap(extra []Pattern, allow []string) {
	ps := append(BuiltinDictionary(), extra...)
	var n Normalizer
	var aps []Pattern
	for _, a := range append(BuiltinAllow(), allow...) {
		if norm := slices.Clone(n.Normalize(a)); len(norm) > 0 {
			aps = append(aps, Pattern{Term: a, Category: "allow", Norm: norm})
		}
	}
	e.cur.Store(&compiled{m: NewMatcher(ps), allow: NewMatcher(aps)})
}

// Input is one message (or member event) to judge.
type Input struct {
	Text      string
	Kind      chat.MessageKind // "" for member events
	URL       string
	Role      string // owner, secretary, assistant, member
	UserID    string
	At        time.Time
	JoinedAt  time.Time
	Nickname  string // the member's group nickname, when known
	Mentions  int
	Offences  int // earlier offences within the escalation window
	Recent    int // the member's messages within the flood window, this one included
	Identical int // of which with this very text
	Join      bool
	Rename    bool
}

// Verdict is the decision about one input.
type Verdict struct {
	Action     Action
	Duration   time.Duration // for mute
	Category   string        // ad, religion, … a custom category, or a rule: content, quiet, nickname, flood, probation, mentions
	Rule       string        // the rule set and rule: "网商学院群规/categories.ad"
	Matched    []string      // the words as the sender wrote them
	Normalized string
	Reason     Text
}

// Classify lists the dictionary and pattern hits in text. It is the part
// of Evaluate that does not depend on a rule set.
func (e *Engine) Classify(text string) ([]Hit, string) {
	sc := e.pool.Get().(*scratch)
	defer e.pool.Put(sc)
	hits := e.classify(sc, text, nil)
	return slices.Clone(hits), string(sc.n.Normalize(text))
}

// classify fills sc.hits. allow are extra allowed link domains.
func (e *Engine) classify(sc *scratch, text string, domains []string) []Hit {
	c := e.cur.Load()
	norm := sc.n.Normalize(text)
	sc.hits, sc.spans = sc.hits[:0], sc.spans[:0]
	c.allow.Match(norm, func(p *Pattern, end int) bool {
		sc.spans = append(sc.spans, [2]int{end - len(p.Norm), end})
		return true
	})
	c.m.Match(norm, func(p *Pattern, end int) bool {
		start := end - len(p.Norm)
		for _, s := range sc.spans {
			if start >= s[0] && end <= s[1] {
				return true // inside an allowed phrase
			}
		}
		from, to := sc.n.Span(start, end)
		if asciiWord(p.Norm) && !wordBoundary(text, from, to) {
			return true // "sb" inside "usb"
		}
		sc.hits = append(sc.hits, Hit{Category: p.Category, Term: p.Term, Text: text[from:to]})
		return true
	})
	if from, to, ok := contactID(norm); ok {
		a, b := sc.n.Span(from, to)
		sc.hits = append(sc.hits, Hit{Category: "ad", Term: "contact-id", Text: text[a:b]})
	}
	if from, to, ok := phoneNumber(norm); ok && adContext(norm) {
		a, b := sc.n.Span(from, to)
		sc.hits = append(sc.hits, Hit{Category: "ad", Term: "phone", Text: text[a:b]})
	}
	if host, ok := shortLink(text, domains); ok {
		sc.hits = append(sc.hits, Hit{Category: "ad", Term: "short-link", Text: host})
	}
	return sc.hits
}

func asciiWord(rs []rune) bool {
	for _, r := range rs {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIIAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// wordBoundary reports whether text[from:to] is not part of a longer Latin
// word in the original text.
func wordBoundary(text string, from, to int) bool {
	return (from == 0 || !isASCIIAlnum(text[from-1])) && (to >= len(text) || !isASCIIAlnum(text[to]))
}

var contactTriggers = [][]rune{[]rune("加"), []rune("联系"), []rune("私聊"), []rune("找")}
var contactChannels = [][]rune{[]rune("微信"), []rune("vx"), []rune("wx"), []rune("v"), []rune("qq"), []rune("q"), []rune("扣扣"), []rune("企鹅"), []rune("微")}

func hasPrefixAt(s []rune, i int, p []rune) bool {
	return i+len(p) <= len(s) && slices.Equal(s[i:i+len(p)], p)
}

func alnum(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

// contactID finds "加微信 abc1688", "➕V：zhaocai888", "加q 2783619": a
// contact channel followed by an id of 5 or more letters and digits.
func contactID(s []rune) (int, int, bool) {
	for i := range s {
		for _, t := range contactTriggers {
			if !hasPrefixAt(s, i, t) {
				continue
			}
			j := i + len(t)
			if j < len(s) && s[j] == '我' {
				j++
			}
			for _, c := range contactChannels {
				if !hasPrefixAt(s, j, c) {
					continue
				}
				k := j + len(c)
				if k < len(s) && s[k] == '号' {
					k++
				}
				end := k
				digits := 0
				for end < len(s) && alnum(s[end]) {
					if s[end] <= '9' {
						digits++
					}
					end++
				}
				if end-k >= 5 && (digits > 0 || end-k >= 6) {
					return i, end, true
				}
			}
		}
	}
	return 0, 0, false
}

// digitOf reads a digit, also as a Chinese numeral (幺三八…, 壹贰叁…), as
// ads spell phone numbers to dodge filters.
func digitOf(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	}
	switch r {
	case '零', '〇', '洞':
		return 0, true
	case '一', '壹', '幺', '妖':
		return 1, true
	case '二', '贰', '两':
		return 2, true
	case '三', '叁':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆':
		return 6, true
	case '七', '柒', '拐':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖', '勾':
		return 9, true
	}
	return 0, false
}

// phoneNumber finds a mainland mobile number: 11 digits starting 13–19,
// digits or Chinese numerals.
func phoneNumber(s []rune) (int, int, bool) {
	run := 0
	var first, second byte
	for i, r := range s {
		d, ok := digitOf(r)
		if ok {
			switch run {
			case 0:
				first = d
			case 1:
				second = d
			}
			run++
			continue
		}
		if run == 11 && first == 1 && second >= 3 {
			return i - 11, i, true
		}
		run = 0
	}
	if n := len(s); run == 11 && first == 1 && second >= 3 {
		return n - 11, n, true
	}
	return 0, 0, false
}

var adWords = [][]rune{[]rune("出售"), []rune("兼职"), []rune("代理"), []rune("招聘"), []rune("贷款"), []rune("办理"), []rune("刷单"), []rune("日结"), []rune("加我"), []rune("有意者"), []rune("咨询热线"), []rune("批发"), []rune("招商")}

func adContext(s []rune) bool {
	for i := range s {
		for _, w := range adWords {
			if hasPrefixAt(s, i, w) {
				return true
			}
		}
	}
	return false
}

var shortHosts = []string{"t.cn/", "dwz.cn/", "url.cn/", "suo.im/", "bit.ly/", "tinyurl.com/", "is.gd/", "w.url.cn/", "c7.gg/", "u.nu/"}

// shortLink finds a link through a URL shortener, which hides where it goes.
func shortLink(text string, allowed []string) (string, bool) {
	if !strings.Contains(text, ".") {
		return "", false
	}
	low := strings.ToLower(text)
	for _, h := range shortHosts {
		if i := strings.Index(low, h); i >= 0 && (i == 0 || !isASCIIAlnum(low[i-1])) {
			host := strings.TrimSuffix(h, "/")
			if slices.Contains(allowed, host) {
				continue
			}
			return host, true
		}
	}
	return "", false
}
