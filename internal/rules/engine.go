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

// presetNames are the built-in rule sets.
var presetNames = []string{"academy", "owners"}

// Preset returns a built-in rule set: "academy" (the default) or "owners".
func Preset(name string) (*RuleSet, error) {
	b, err := presetFS.ReadFile("presets/" + name + ".toml")
	if err != nil || !slices.Contains(presetNames, name) {
		return nil, fmt.Errorf("no preset %q (want academy or owners)", name)
	}
	rs, err := ParseRuleSet(name+".toml", b)
	if err != nil {
		return nil, err
	}
	rs.Preset = name
	return rs, nil
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
	// m holds the dictionary terms (tagged dictTag), the allow phrases
	// (allowTag) and the recognisers' cue words (their list): one pass
	// over a message finds them all.
	m     *Matcher
	spelt *spelt // pinyin spellings of the operator's all-Chinese terms
	// What a dictionary cache (cache.go) needs to rebuild spelt: the
	// dictionary terms are m.pats[:nDict], and later their indices of the
	// operator's all-Chinese terms, spelt on demand.
	nDict int
	later []int32
}

// dictTag tags a dictionary term in the engine's automaton.
const dictTag = allowTag + 1

// Engine holds the compiled dictionaries. Rebuilding (after a rules change)
// happens off the hot path; Swap installs the result atomically.
type Engine struct {
	cur   atomic.Pointer[compiled]
	model atomic.Pointer[Model] // nil: the shipped model, or none once SetModel(nil)
	// noModel: SetModel(nil) was called (words and recognisers only).
	noModel atomic.Bool
	pool    sync.Pool // *scratch
}

type scratch struct {
	n     Normalizer
	hits  []Hit
	spans [][2]int
	feats features
	terms []termAt
	// Of the message last classified: its cue lists, and whether it
	// carries what a solicitation carries (an id, a number, a link).
	cue     cues
	payload bool
}

// termAt is a dictionary term found, and the rune index after it.
type termAt struct {
	p   *Pattern
	end int
}

// Hit is one dictionary or pattern match.
type Hit struct {
	Category string
	Term     string  // the dictionary term, or the recogniser's name
	Text     string  // the words as the sender wrote them
	Score    float64 // the model's confidence, for a hit of the model
	Margin   float64 // the same as log-odds
	// Enforce marks a hit of the model confident enough, in a category
	// where its held-out precision is at least 99%, for the category's own
	// action; every other hit of the model only warns.
	Enforce bool
	// done: the words are followed by a mark of the completed action
	// (了, 过): "扫码加了物业管家的企业微信" tells what one did.
	done bool
}

// addShape records a recogniser of a message's shape (hearsay with an
// alarm, a plea for votes…), whose evidence is the whole message, unless
// words of the same category were found already: they are better evidence.
func (sc *scratch) addShape(category, term, text string) {
	if !slices.ContainsFunc(sc.hits, func(h Hit) bool { return h.Category == category }) {
		sc.hits = append(sc.hits, Hit{Category: category, Term: term, Text: text})
	}
}

// SetModel replaces the statistical model (nil: none).
func (e *Engine) SetModel(m *Model) {
	e.noModel.Store(m == nil)
	e.model.Store(m)
}

// currentModel returns the model in use: the one set, or the shipped one,
// loaded on first use (a few milliseconds), or nil.
func (e *Engine) currentModel() *Model {
	if m := e.model.Load(); m != nil || e.noModel.Load() {
		return m
	}
	return builtinModel()
}

// NewEngine compiles the built-in dictionary, the built-in allow phrases
// and any extra patterns and phrases.
func NewEngine(extra []Pattern, allow []string) *Engine {
	return newEngine(compile(extra, allow))
}

func newEngine(c *compiled) *Engine {
	e := &Engine{}
	e.pool.New = func() any { return &scratch{} }
	e.cur.Store(c)
	return e
}

// Swap rebuilds the matchers with the built-ins plus extra and installs
// them atomically: evaluations in flight finish with the old ones.
func (e *Engine) Swap(extra []Pattern, allow []string) { e.cur.Store(compile(extra, allow)) }

// compile builds the automaton of the built-ins plus extra.
func compile(extra []Pattern, allow []string) *compiled {
	// The built-in terms with every mix of characters and pinyin, the
	// operator's terms, and the spellings of those that mix characters
	// with letters or digits; the spellings of the others wait for a
	// message that can hold one.
	builtin := withPinyin(BuiltinDictionary(), true)
	ps := append(builtin, extra...)
	var later []int32
	var mixed []Pattern
	for i, p := range extra {
		if allHan(p.Norm) {
			later = append(later, int32(len(builtin)+i))
		} else {
			mixed = append(mixed, p)
		}
	}
	if len(mixed) > 0 {
		ps = appendSpellings(ps, mixed, false, patternKeys(ps))
	}
	var n Normalizer
	var aps []Pattern
	for _, a := range append(BuiltinAllow(), allow...) {
		if norm := slices.Clone(n.Normalize(a)); len(norm) > 0 {
			aps = append(aps, Pattern{Term: a, Category: "allow", Norm: norm, Tag: allowTag})
		}
	}
	aps = append(aps, cuePatterns()...)
	all := make([]Pattern, 0, len(ps)+len(aps))
	for _, p := range ps {
		p.Tag = dictTag
		all = append(all, p)
	}
	return withSpelt(NewMatcher(append(all, aps...)), len(ps), later)
}

// withSpelt completes a compiled automaton whose first nDict patterns are
// the dictionary terms, of which later are spelt on demand.
func withSpelt(m *Matcher, nDict int, later []int32) *compiled {
	return &compiled{m: m, spelt: &spelt{n: len(later), terms: later, eager: m.pats[:nDict]}, nDict: nDict, later: later}
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
	// The context (see context.go). Lecturer: the sender teaches in this
	// group. ToStaff: the message replies to or mentions one of the
	// group's staff. GroupKind: the kind of group (community.GroupKind:
	// "cohort", "owners"…; "" when unknown).
	Lecturer  bool
	ToStaff   bool
	GroupKind string
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
	// Model: the verdict is the statistical model's (a warning, unless
	// the model enforces the category).
	Model bool
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
	sc.hits, sc.spans, sc.terms = sc.hits[:0], sc.spans[:0], sc.terms[:0]
	var cue cues
	// One pass: the allow phrases and cue words at once, and the model's
	// gate summed over the same runes; the terms wait until every allow
	// phrase is known (an allow phrase can end after a term inside it).
	model := e.currentModel()
	var gate []int8
	var log uint
	if model != nil {
		gate, log = model.gate, model.gateLog
	}
	gateSum := c.m.matchSum(norm, gate, log, func(p *Pattern, end int) bool {
		switch p.Tag {
		case dictTag:
			sc.terms = append(sc.terms, termAt{p, end})
		case allowTag:
			sc.spans = append(sc.spans, [2]int{end - len(p.Norm), end})
		default:
			cue |= 1 << p.Tag
		}
		return true
	})
	quotes := 0 // 0: not looked yet, 1: none in the message, 2: some
	match := func(p *Pattern, end int) bool {
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
		if p.Pinyin && !pinyinBoundary(p.Norm, text, from, to) {
			return true // "shabi" inside "shabiz"
		}
		if p.Category == "abuse" && selfDirected(norm, start) {
			return true // 我真是个猪脑子: about oneself
		}
		if negated(norm, start) && p.Category != "abuse" && p.Category != "rumor" && p.Category != "religion" {
			return true // 不赌钱, 远离毒品, 反对台独
		}
		if quotes == 0 {
			quotes = 1
			if mayQuote(text) {
				quotes = 2
			}
		}
		if quotes == 2 && quoted(text, from, to) {
			return true // 那些说“内部消息”的, 《白痴》: named, not meant
		}
		sc.hits = append(sc.hits, Hit{Category: p.Category, Term: p.Term, Text: text[from:to], done: end < len(norm) && (norm[end] == '了' || norm[end] == '过')})
		return true
	}
	for _, t := range sc.terms {
		match(t.p, t.end)
	}
	if c.spelt.n > 0 && pinyinAhead(norm, &sc.n) {
		c.spelt.matcher().Match(norm, match)
	}
	payload := false
	if from, to, ok := contactID(norm, &sc.n, cue); ok {
		a, b := sc.n.Span(from, to)
		sc.hits = append(sc.hits, Hit{Category: "ad", Term: "contact-id", Text: text[a:b]})
		payload = true
	}
	if from, to, ok := phoneNumber(norm); ok {
		payload = true
		if adContext(cue) {
			a, b := sc.n.Span(from, to)
			sc.hits = append(sc.hits, Hit{Category: "ad", Term: "phone", Text: text[a:b]})
		}
	}
	// Both kinds of link need a dot: most lines have none, and are
	// searched for one once rather than by each.
	if strings.IndexByte(text, '.') >= 0 {
		if host, ok := shortLink(text, domains); ok {
			sc.hits = append(sc.hits, Hit{Category: "ad", Term: "short-link", Text: host})
			payload = true
		}
		if host, ok := spamLink(text, domains); ok {
			sc.hits = append(sc.hits, Hit{Category: "ad", Term: "spam-link", Text: host})
			payload = true
		}
	}
	if from, to, ok := voteNumber(norm, cue); ok {
		a, b := sc.n.Span(from, to)
		sc.hits = append(sc.hits, Hit{Category: "vote", Term: "entry-number", Text: text[a:b]})
	}
	if from, to, ok := donationGap(norm, cue); ok {
		a, b := sc.n.Span(from, to)
		sc.hits = append(sc.hits, Hit{Category: "donation", Term: "money-gap", Text: text[a:b]})
	}
	if hearsayAlarm(cue) {
		sc.addShape("rumor", "hearsay-alarm", text)
	}
	if agitation(cue) {
		sc.addShape("politics", "agitation", text)
	}
	if drugDeal(cue) {
		sc.addShape("drugs", "drug-deal", text)
	}
	if votePlea(norm, cue) {
		sc.addShape("vote", "vote-plea", text)
	}
	if from, to, ok := earnings(norm, cue); ok {
		a, b := sc.n.Span(from, to)
		sc.hits = append(sc.hits, Hit{Category: "ad", Term: "earnings", Text: text[a:b]})
	}
	if from, to, ok := standaloneGun(text); ok {
		sc.hits = append(sc.hits, Hit{Category: "abuse", Term: "滚", Text: text[from:to]})
	}
	// The model speaks where words found nothing, or only an ad: a porn or
	// gambling offer also carries a contact id.
	if !slices.ContainsFunc(sc.hits, func(h Hit) bool { return h.Category != "ad" }) {
		if m := model; m != nil && m.passesSum(gateSum, len(norm), cue) {
			sc.feats.extract(norm, text, cue)
			if sc.feats.enough() {
				if j := m.judge(&sc.feats); j.Reported && (j.Category != "ad" || len(sc.hits) == 0) {
					sc.hits = append(sc.hits, Hit{Category: j.Category, Term: ModelTerm, Text: text, Score: j.Score, Margin: j.Margin, Enforce: j.Enforce})
				}
			}
		}
	}
	sc.hits = talkingAbout(sc.hits, norm, cue, payload)
	sc.cue, sc.payload = cue, payload
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

// pinyinBoundary reports whether the Latin ends of a pinyin spelling lie on
// word boundaries of text[from:to].
func pinyinBoundary(norm []rune, text string, from, to int) bool {
	if norm[0] < utf8.RuneSelf && from > 0 && isASCIIAlnum(text[from-1]) {
		return false
	}
	return norm[len(norm)-1] >= utf8.RuneSelf || to >= len(text) || !isASCIIAlnum(text[to])
}

func isASCIIAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// wordBoundary reports whether text[from:to] is not part of a longer Latin
// word in the original text.
func wordBoundary(text string, from, to int) bool {
	return (from == 0 || !isASCIIAlnum(text[from-1])) && (to >= len(text) || !isASCIIAlnum(text[to]))
}
