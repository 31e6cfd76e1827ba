package content

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a script is pushed as.
type Kind string

const (
	KindText    Kind = "text"
	KindLink    Kind = "link"    // a link or article card
	KindForward Kind = "forward" // a forwarded message or chat record
	KindMedia   Kind = "media"   // a picture or video with a caption
)

// ParseKind reads a kind; "" is text.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case "":
		return KindText, nil
	case KindText, KindLink, KindForward, KindMedia:
		return k, nil
	}
	return "", fmt.Errorf("script kind %q: want text, link, forward or media", s)
}

// LintInput is a script as submitted.
//
// Body is what the push says. The sender's own words are told from pasted
// material by the usual conventions: lines starting with ">", a long
// passage in 「」『』“” or "" quotes, what follows a source line (原文：,
// 转自, 摘自, 来源：, Source:, Quote: …) and a long passage after a link,
// each until a comment line (点评：, 我的看法, My take: …). Excerpt, when
// the client has it apart, is the card's excerpt or the forwarded material
// as it will be shown: all of it counts as pasted. A Kind other than the
// four is linted as text; ParseKind validates one.
type LintInput struct {
	Title   string // the library title, or the card's title for a link
	Body    string
	Kind    Kind
	URL     string
	Excerpt string
}

// Severity is how strongly a finding suggests the script not go out as is.
type Severity string

const (
	SeverityInfo  Severity = "info"
	SeverityWarn  Severity = "warn"
	SeverityBlock Severity = "block"
)

// Code names a finding; codes are stable and may be stored and filtered on.
type Code string

const (
	CodeTooShort            Code = "too_short"
	CodePasteWithoutComment Code = "paste_without_comment"
	CodeForwardWithoutNote  Code = "forward_without_note"
	CodeBannedCategory      Code = "banned_category"
	CodeHardSelling         Code = "hard_selling"
	CodeDuplicate           Code = "duplicate"
	CodeNearDuplicate       Code = "near_duplicate"
)

// Codes lists every finding code, in the order Lint reports them.
func Codes() []Code {
	return []Code{CodeForwardWithoutNote, CodePasteWithoutComment, CodeTooShort, CodeBannedCategory, CodeHardSelling, CodeDuplicate, CodeNearDuplicate}
}

// Finding is one thing a reviewer should look at.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Zh       string   `json:"zh"`
	En       string   `json:"en"`
	Evidence Evidence `json:"evidence"`
}

// Evidence backs a finding; only the fields that bear on its code are set.
type Evidence struct {
	OwnLines    int      `json:"own_lines,omitempty"`    // lines in the sender's own words
	OwnChars    int      `json:"own_chars,omitempty"`    // letters and digits in them
	PastedChars int      `json:"pasted_chars,omitempty"` // characters quoted or pasted
	Category    string   `json:"category,omitempty"`
	Terms       []string `json:"terms,omitempty"` // words as written: banned terms, selling cues
	Score       int      `json:"score,omitempty"`
	ScriptID    int64    `json:"script_id,omitempty"` // the pushed script it repeats
	Distance    int      `json:"distance,omitempty"`  // Hamming distance of the fingerprints
	Similarity  float64  `json:"similarity,omitempty"`
}

// CategoryHit is one match of the rules dictionaries: the category, the
// dictionary term and the words as the sender wrote them.
type CategoryHit struct {
	Category string
	Term     string
	Text     string
}

// CategoryMatcher finds dictionary categories in text, evasions included.
// The rules engine is one (see CategoryMatcherFunc); content does not
// import it, so the live engine, reloaded with each rules change, is passed
// in by whoever wires the submission.
type CategoryMatcher interface {
	Categories(text string) []CategoryHit
}

// CategoryMatcherFunc adapts a function to a CategoryMatcher.
type CategoryMatcherFunc func(text string) []CategoryHit

// Categories calls f.
func (f CategoryMatcherFunc) Categories(text string) []CategoryHit { return f(text) }

// LintOptions configure Lint. Zero thresholds take the defaults; a
// negative threshold turns its check off.
type LintOptions struct {
	Matcher  CategoryMatcher // nil: no category check
	Banned   []string        // categories flagged; nil: DefaultBannedCategories
	Blocking []string        // banned categories flagged as block; nil: DefaultBlockingCategories
	Pushed   []Pushed        // scripts already pushed

	MinOwnLines       int // own lines below which a script is too short: 3
	MinLineChars      int // letters and digits for a line to count as one: 4
	LongPasteChars    int // pasted characters that make a long paste: 300
	MinCommentChars   int // own letters and digits a long paste needs: 30
	SellingScore      int // selling score flagged as warn: 4
	SellingBlockScore int // and as block: 8
	MaxDistance       int // fingerprint distance of a near-duplicate: DefaultMaxDistance
}

// DefaultBannedCategories are the rules categories a push must not touch.
func DefaultBannedCategories() []string {
	return []string{"ad", "porn", "gambling", "drugs", "politics", "rumor", "abuse", "religion", "vote", "donation"}
}

// DefaultBlockingCategories are the banned categories reported as block.
func DefaultBlockingCategories() []string { return []string{"porn", "gambling", "drugs", "politics"} }

func (o LintOptions) withDefaults() LintOptions {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.MinOwnLines, 3)
	def(&o.MinLineChars, 4)
	def(&o.LongPasteChars, 300)
	def(&o.MinCommentChars, 30)
	def(&o.SellingScore, 4)
	def(&o.SellingBlockScore, 8)
	def(&o.MaxDistance, DefaultMaxDistance)
	if o.Banned == nil {
		o.Banned = DefaultBannedCategories()
	}
	if o.Blocking == nil {
		o.Blocking = DefaultBlockingCategories()
	}
	return o
}

// Lint checks a script when it is submitted, against what the training
// deck asks of a push (炮弹):
//
//   - a push carries the sender's own words: at least three lines of
//     handwritten comment (三行以上手写评论), not just a thumbs-up or an
//     emoji (too_short);
//   - a long paste (大段粘贴) or a shared article needs that comment too
//     (paste_without_comment), and a forward or a link never goes out bare
//     (无注解转发, forward_without_note);
//   - no advertising, open or disguised (广告、硬广、直接推销: hard_selling),
//     and none of the categories the group rules ban (黄赌毒、反动言论…:
//     banned_category);
//   - pushes are ammunition to be used sparingly (炮弹省着用): the same
//     thing is not pushed twice (duplicate, near_duplicate).
//
// Lint only flags: every Finding has a severity, and a reviewer decides.
// too_short is left out when forward_without_note or paste_without_comment
// already asks for the sender's own words. Findings come in the order of
// Codes, banned categories by name; nothing found is an empty slice. Lint
// is deterministic and safe for concurrent use if the matcher is.
func Lint(in LintInput, opts LintOptions) []Finding {
	o := opts.withDefaults()
	in.Body = strings.ReplaceAll(in.Body, "\r\n", "\n")
	p := splitOwn(in.Body, o.LongPasteChars)
	p.pasted += countChars(in.Excerpt)
	own, ownChars := ownLines(p.own, o.MinLineChars)
	ev := Evidence{OwnLines: own, OwnChars: ownChars, PastedChars: p.pasted}

	out := []Finding{}
	commented := false // a finding already asks for the sender's own words
	if (in.Kind == KindForward || in.Kind == KindLink) && own == 0 {
		out = append(out, Finding{Code: CodeForwardWithoutNote, Severity: SeverityWarn,
			Zh:       "转发或链接没有一句自己的注解：先写几行你的看法再发（不发无注解转发）。",
			En:       "A forward or link without a word of your own: add a few lines of what you think of it first.",
			Evidence: ev})
		commented = true
	}
	if o.LongPasteChars > 0 && o.MinCommentChars > 0 && p.pasted >= o.LongPasteChars && ownChars < o.MinCommentChars {
		out = append(out, Finding{Code: CodePasteWithoutComment, Severity: SeverityWarn,
			Zh:       fmt.Sprintf("粘贴或引用了 %d 字，自己的点评只有 %d 字（至少 %d 字）：大段粘贴要配上自己的点评。", p.pasted, ownChars, o.MinCommentChars),
			En:       fmt.Sprintf("%d characters pasted or quoted with only %d characters of your own comment (at least %d): a long paste needs your own commentary.", p.pasted, ownChars, o.MinCommentChars),
			Evidence: ev})
		commented = true
	}
	if !commented && o.MinOwnLines > 0 && own < o.MinOwnLines {
		sev := SeverityWarn
		if in.Kind == KindMedia {
			sev = SeverityInfo // the picture or video says part of it
		}
		out = append(out, Finding{Code: CodeTooShort, Severity: sev,
			Zh:       fmt.Sprintf("自己的话只有 %d 行，至少要 %d 行（三行以上的手写点评）。", own, o.MinOwnLines),
			En:       fmt.Sprintf("Only %d line(s) in your own words; a push needs at least %d (a handwritten comment of three lines or more).", own, o.MinOwnLines),
			Evidence: ev})
	}
	whole := strings.Join(nonEmpty(in.Title, in.Body, in.Excerpt, in.URL), "\n")
	if o.Matcher != nil {
		out = append(out, bannedFindings(o.Matcher.Categories(whole), o)...)
	}
	if o.SellingScore > 0 {
		if score, cues := sellingScore(whole); score >= o.SellingScore {
			sev := SeverityWarn
			if o.SellingBlockScore > 0 && score >= o.SellingBlockScore {
				sev = SeverityBlock
			}
			out = append(out, Finding{Code: CodeHardSelling, Severity: sev,
				Zh:       fmt.Sprintf("像硬广、直接推销（得分 %d，%d 分起算）：%s。推送要给群员价值，不是卖货单。", score, o.SellingScore, strings.Join(cues, "、")),
				En:       fmt.Sprintf("Reads like a hard sell (score %d, flagged from %d): %s. A push should give members value, not a sales pitch.", score, o.SellingScore, strings.Join(cues, ", ")),
				Evidence: Evidence{Terms: cues, Score: score}})
		}
	}
	if f, ok := duplicateFinding(in, o); ok {
		out = append(out, f)
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// categoryName is a rules built-in category in words; another is its name.
func categoryName(c string) (zh, en string) {
	switch c {
	case "ad":
		return "广告", "advertising"
	case "porn":
		return "色情", "pornography"
	case "gambling":
		return "赌博", "gambling"
	case "drugs":
		return "毒品", "drugs"
	case "politics":
		return "反动言论", "political agitation"
	case "rumor":
		return "谣言", "rumours"
	case "abuse":
		return "骂人、人身攻击", "abuse"
	case "religion":
		return "宗教", "religion"
	case "vote":
		return "无关投票", "vote solicitation"
	case "donation":
		return "劝捐", "donation solicitation"
	}
	return c, c
}

// bannedFindings turns matcher hits into one finding per banned category,
// by category name, with the words as written in order of appearance.
func bannedFindings(hits []CategoryHit, o LintOptions) []Finding {
	terms := map[string][]string{}
	for _, h := range hits {
		if !slices.Contains(o.Banned, h.Category) {
			continue
		}
		w := strings.TrimSpace(h.Text)
		if w == "" {
			w = h.Term
		}
		if !slices.Contains(terms[h.Category], w) {
			terms[h.Category] = append(terms[h.Category], w)
		}
	}
	cats := make([]string, 0, len(terms))
	for c, ts := range terms {
		cats = append(cats, c)
		// "➕薇信" and "➕薇信 lucky8899" are one finding: keep the longer.
		var keep []string
		for _, t := range ts {
			if !slices.ContainsFunc(ts, func(u string) bool { return u != t && strings.Contains(u, t) }) {
				keep = append(keep, t)
			}
		}
		terms[c] = keep
	}
	slices.Sort(cats)
	var out []Finding
	for _, c := range cats {
		sev := SeverityWarn
		if slices.Contains(o.Blocking, c) {
			sev = SeverityBlock
		}
		zh, en := categoryName(c)
		out = append(out, Finding{Code: CodeBannedCategory, Severity: sev,
			Zh:       fmt.Sprintf("含有群规禁止的%s内容：%s。", zh, strings.Join(terms[c], "、")),
			En:       fmt.Sprintf("Contains %s, which the group rules ban: %s.", en, strings.Join(terms[c], ", ")),
			Evidence: Evidence{Category: c, Terms: terms[c]}})
	}
	return out
}

// duplicateFinding compares the script with those already pushed: the same
// folded text (and link) is a duplicate; otherwise the nearest fingerprint
// within MaxDistance, ties to the lower script id, is a near-duplicate.
func duplicateFinding(in LintInput, o LintOptions) (Finding, bool) {
	sim, exact, runes := fingerprints(in)
	if runes == 0 && strings.TrimSpace(in.URL) == "" {
		return Finding{}, false
	}
	same, best, bestD := -1, -1, 65
	for i, p := range o.Pushed {
		if p.Exact == exact {
			if same < 0 || p.ScriptID < o.Pushed[same].ScriptID {
				same = i
			}
			continue
		}
		if o.MaxDistance < 0 || runes < MinFingerprintRunes {
			continue
		}
		if d := Distance(sim, p.SimHash); d < bestD || d == bestD && p.ScriptID < o.Pushed[best].ScriptID {
			best, bestD = i, d
		}
	}
	if same >= 0 {
		p := o.Pushed[same]
		return Finding{Code: CodeDuplicate, Severity: SeverityBlock,
			Zh:       fmt.Sprintf("与已推送的剧本 #%d 内容相同：炮弹省着用，同一条不要再推。", p.ScriptID),
			En:       fmt.Sprintf("The same as script #%d, already pushed: pushes are ammunition, do not fire the same one twice.", p.ScriptID),
			Evidence: Evidence{ScriptID: p.ScriptID, Similarity: 1}}, true
	}
	if best < 0 || bestD > o.MaxDistance {
		return Finding{}, false
	}
	p := o.Pushed[best]
	similarity := float64(64-bestD) / 64
	return Finding{Code: CodeNearDuplicate, Severity: SeverityWarn,
		Zh:       fmt.Sprintf("与已推送的剧本 #%d 高度相似（相似度 %.0f%%，指纹相差 %d 位）：炮弹省着用，别换汤不换药地重推。", p.ScriptID, similarity*100, bestD),
		En:       fmt.Sprintf("Nearly the same as script #%d, already pushed (%.0f%% similar, fingerprints %d bits apart): pushes are ammunition, do not re-fire one lightly edited.", p.ScriptID, similarity*100, bestD),
		Evidence: Evidence{ScriptID: p.ScriptID, Distance: bestD, Similarity: similarity}}, true
}

// Own words and pasted material.

// ownSplit is a body cut into the sender's own text and the pasted rest.
type ownSplit struct {
	own    []string // lines in the sender's own words
	pasted int      // characters of pasted material
}

// Source lines start pasted material; comment lines end it. Both are
// matched at the start of a trimmed, lower-cased line: a heading only when
// it is the whole line or a colon follows it ("原文：", not "原文写得好"),
// a from-mark always ("转自某公众号").
var (
	sourceHeadings = []string{"原文", "原文如下", "以下为原文", "以下是原文", "全文如下", "附原文", "来源", "出处", "source", "quote", "original", "excerpt", "from"}
	sourceFroms    = []string{"转自", "摘自", "转载自", "转载于", "【转】", "[转]", "【转载】", "via ", "forwarded from"}
	commentMarks   = []string{"点评", "我的点评", "【点评】", "评论：", "我的看法", "我想说", "我的感想", "感想：", "小结", "my take", "my comment", "comment:", "note:", "my note"}
	quotePairs     = [][2]rune{{'「', '」'}, {'『', '』'}, {'“', '”'}, {'"', '"'}}
	urlPattern     = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s，。！？、）)」』”]+`)
)

// splitOwn separates the sender's own lines from pasted material. longPaste
// is how long a quoted passage or the text after a link must be to count as
// pasted (a short quote is part of the sender's own sentence).
func splitOwn(body string, longPaste int) ownSplit {
	var s ownSplit
	quoteMin := 60 // a quoted passage this long is a paste, not a phrase
	if longPaste > 0 && longPaste < quoteMin {
		quoteMin = longPaste
	}
	body, s.pasted = cutQuotes(body, quoteMin)

	const (
		modeOwn = iota
		modeSource
		modeAfterLink
	)
	mode := modeOwn
	var region []string // lines after a link, decided at the region's end
	flush := func() {
		if n := countChars(strings.Join(region, "\n")); longPaste > 0 && n >= longPaste {
			s.pasted += n
		} else {
			s.own = append(s.own, region...)
		}
		region = nil
	}
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		low := strings.ToLower(t)
		switch {
		case hasAnyPrefix(low, commentMarks):
			if mode == modeAfterLink {
				flush()
			}
			mode = modeOwn
			s.own = append(s.own, t)
		case strings.HasPrefix(t, ">") || strings.HasPrefix(t, "＞"):
			s.pasted += countChars(t)
		case isSourceLine(low):
			if mode == modeAfterLink {
				flush()
			}
			mode = modeSource
			s.pasted += countChars(urlPattern.ReplaceAllString(t, ""))
		case mode == modeSource:
			s.pasted += countChars(t)
		case urlPattern.MatchString(t):
			if mode == modeAfterLink {
				flush()
			}
			mode = modeAfterLink
			s.own = append(s.own, t) // URLs are dropped when counting
		case mode == modeAfterLink:
			region = append(region, t)
		default:
			s.own = append(s.own, t)
		}
	}
	if mode == modeAfterLink {
		flush()
	}
	return s
}

// cutQuotes removes quoted passages of at least min characters from body,
// leaving a line break in their place, and returns the rest and the
// characters removed. Quotes nest; an unclosed quote runs to the end of the
// body. It takes time linear in the body, whatever the quotes.
func cutQuotes(body string, min int) (string, int) {
	rs := []rune(body)
	closing := quoteSpans(rs)
	chars := make([]int, len(rs)+1) // letters and digits before each rune
	for i, r := range rs {
		chars[i+1] = chars[i]
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			chars[i+1]++
		}
	}
	var b strings.Builder
	pasted := 0
	for i := 0; i < len(rs); i++ {
		end, open := closing[i]
		if open && end < 0 {
			end = len(rs) - 1
		}
		if n := chars[end+1] - chars[i+1]; open && n >= min {
			pasted += n
			b.WriteByte('\n')
			i = end
			continue
		}
		b.WriteRune(rs[i])
	}
	return b.String(), pasted
}

// quoteSpans maps the index of every opening quote mark to the index of
// the mark that closes it, or -1 if none does.
func quoteSpans(rs []rune) map[int]int {
	spans := map[int]int{}
	for _, q := range quotePairs {
		var open []int
		for i, r := range rs {
			switch {
			case r == q[1] && len(open) > 0 && (q[0] != q[1] || len(open) == 1):
				spans[open[len(open)-1]] = i
				open = open[:len(open)-1]
			case r == q[0]:
				open = append(open, i)
			}
		}
		for _, i := range open {
			spans[i] = -1
		}
	}
	return spans
}

func isSourceLine(low string) bool {
	if hasAnyPrefix(low, sourceFroms) {
		return true
	}
	for _, h := range sourceHeadings {
		if rest, ok := strings.CutPrefix(low, h); ok && (rest == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "：")) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ownLines counts the lines of own text that carry at least minChars
// letters and digits once links are removed, and the letters and digits of
// all own text.
func ownLines(lines []string, minChars int) (n, chars int) {
	for _, l := range lines {
		c := countChars(urlPattern.ReplaceAllString(l, ""))
		chars += c
		if c >= minChars {
			n++
		}
	}
	return n, chars
}

// countChars counts letters and digits.
func countChars(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// Hard selling.

// sellingCue is one sign of a sales pitch. Words are matched in the text
// lower-cased with spaces removed (Chinese) or squeezed to one (English, at
// word boundaries).
type sellingCue struct {
	weight int
	zh     []string // matched without spaces
	en     []string // matched at word boundaries
}

// sellingCues: 2 for what only a sales pitch says, 1 for what an ordinary
// post may say once. No single cue reaches the default threshold of 4.
var sellingCues = []sellingCue{
	{2, []string{"下单", "购买链接", "购买地址", "拍下", "秒杀", "抢购", "优惠券", "领券", "券后", "到手价", "私聊下单", "私信下单", "加微信下单", "加我下单", "立即购买", "马上抢", "手慢无", "清仓"}, []string{"buy now", "order now", "shop now", "discount code", "coupon", "promo code", "dm to order", "dm me to order", "add to cart", "limited stock"}},
	{1, []string{"限时", "优惠", "特价", "折扣", "打折", "包邮", "仅剩", "库存有限", "名额有限", "赶紧", "抓紧", "原价", "现价", "爆款", "福利价", "加微信", "私聊我", "扫码购买", "最低价", "全网最低", "团购价", "活动价"}, []string{"limited time", "sale", "deal", "free shipping", "best price", "lowest price", "only today", "hurry", "dm me", "order today"}},
}

var (
	// A price: a currency sign before a number, or a unit after it.
	pricePattern = regexp.MustCompile(`(?i)[¥￥$€£]\s*\d+(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:元|块|rmb|usd|dollars?|yuan)`)
	// A discount: 8折, 八折, 30% off.
	discountPattern = regexp.MustCompile(`(?i)(?:\d+(?:\.\d+)?|[一二三四五六七八九])\s*折|\d+\s*%\s*off`)
)

// prices finds up to two prices in s, leaving out 元旦, 元宵 and 元素.
func prices(s string) []string {
	var out []string
	for _, m := range pricePattern.FindAllStringIndex(s, -1) {
		next, _ := utf8.DecodeRuneInString(s[m[1]:])
		if next == '旦' || next == '宵' || next == '素' {
			continue
		}
		if out = append(out, strings.TrimSpace(s[m[0]:m[1]])); len(out) == 2 {
			break
		}
	}
	return out
}

// sellingScore scores text for hard selling and lists the cues found in a
// fixed order. A cue inside one already found (优惠 in 优惠券) adds nothing.
func sellingScore(text string) (int, []string) {
	squeezed := strings.ToLower(strings.Join(strings.Fields(text), " "))
	bare := strings.ReplaceAll(squeezed, " ", "")
	score := 0
	var cues []string
	add := func(w int, cue string) {
		for _, c := range cues {
			if strings.Contains(c, cue) {
				return
			}
		}
		score += w
		cues = append(cues, cue)
	}
	if ps := prices(squeezed); len(ps) > 0 {
		add(2, ps[0])
		if len(ps) > 1 { // 原价 199 现价 99: a price list
			add(1, ps[1])
		}
	}
	if d := discountPattern.FindString(squeezed); d != "" {
		add(2, d)
	}
	for _, c := range sellingCues {
		for _, w := range c.zh {
			if strings.Contains(bare, w) {
				add(c.weight, w)
			}
		}
		for _, w := range c.en {
			if containsWord(squeezed, w) {
				add(c.weight, w)
			}
		}
	}
	if n := strings.Count(text, "!") + strings.Count(text, "！"); n >= 3 {
		w := 1
		if n >= 6 {
			w = 2
		}
		add(w, fmt.Sprintf("!×%d", n))
	}
	return score, cues
}

// containsWord reports whether w occurs in s with no ASCII letter or digit
// right before or after it.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		from, to := i+j, i+j+len(w)
		if (from == 0 || !isWordByte(s[from-1])) && (to == len(s) || !isWordByte(s[to])) {
			return true
		}
		i = from + 1
	}
}

func isWordByte(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
