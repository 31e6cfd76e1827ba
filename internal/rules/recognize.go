package rules

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Recognisers: what dictionaries cannot list — contact ids, phone numbers,
// links, "vote for number 18" — and what tells a message that talks about
// an offence ("刷单会被封店，别碰") from one that commits it. They run on the
// normalised runes (and, where punctuation matters, on the original text)
// and allocate nothing.

func hasPrefixAt(s []rune, i int, p []rune) bool {
	return i+len(p) <= len(s) && s[i] == p[0] && slices.Equal(s[i+1:i+len(p)], p[1:])
}

// Cues: the recognisers ask whether a message contains any word of a list
// (ad words, pleas, alarms, warnings…). The automaton of the allow phrases
// also holds all the lists and answers every such question in the same
// pass: classify collects the set of lists with a word in the message.
type cueList uint32

const (
	cueAd cueList = iota
	cueVoteAsk
	cueVoteThanks
	cueAppeal
	cueHelp
	cueIllness
	cueHearsay
	cueAlarm
	cueDire
	cueUrgency
	cueVoteVerb
	cueVoteNote
	cuePlea
	cueAbout
	cueReport
	cueDebunk
	cueEarn
	cueChannel
	cueRegime
	cueUprising
	cueTaboo
	cueDrugSlang
	cueDealing
	cueDone
	cueShort
	cueTitle
	cueCourse
	cuePrice
	cueSecondHand
	cueAsk
	cueCount
)

// cues is a set of cue lists.
type cues uint32

func (c cues) has(l cueList) bool { return c&(1<<l) != 0 }

func cueWords() [cueCount][][]rune {
	return [cueCount][][]rune{
		cueAd: adWords, cueVoteAsk: voteAsks, cueVoteThanks: voteThanks, cueAppeal: appealWords, cueHelp: helpWords,
		cueIllness: illnessWords, cueHearsay: hearsay, cueAlarm: alarms, cueDire: direAlarms, cueUrgency: urgencies,
		cueVoteVerb: voteVerbs, cueVoteNote: voteNotes, cuePlea: pleas, cueAbout: aboutMarkers, cueReport: reportMarkers,
		cueDebunk: debunkMarkers, cueEarn: earnVerbs, cueChannel: contactChannels,
		cueRegime: regimeWords, cueUprising: uprisingWords, cueTaboo: tabooDates, cueDrugSlang: drugSlang, cueDealing: dealing,
		cueDone: doneWords, cueShort: shortWords, cueTitle: staffTitles, cueCourse: courseWords, cuePrice: priceWords,
		cueSecondHand: secondHand, cueAsk: askWords,
	}
}

// cuePatterns are the cue words as patterns tagged with their list. The
// engine matches them in the same pass as the allow phrases (tagged
// allowTag).
var cuePatterns = sync.OnceValue(func() []Pattern {
	var ps []Pattern
	for l, ws := range cueWords() {
		for _, w := range ws {
			ps = append(ps, Pattern{Term: string(w), Category: "cue", Norm: w, Tag: uint32(l)})
		}
	}
	return ps
})

// allowTag tags an allow phrase in the automaton it shares with the cues.
const allowTag = uint32(cueCount)

func runesOf(ws ...string) [][]rune {
	out := make([][]rune, len(ws))
	for i, w := range ws {
		out[i] = []rune(w)
	}
	return out
}

func alnum(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

var (
	contactTriggers = runesOf("加", "联系", "私聊", "找", "搜")
	// Channels, longest first where one is a prefix of another. 薇, 威, V
	// and ❤ have been folded already (薇信 → 微信, V❤X → vx).
	contactChannels = runesOf("微信号", "微信", "weixin", "微xin", "vx", "wx", "v信", "微x", "v", "qq", "q", "扣扣", "企鹅", "群号", "微", "扣")
)

// contactID finds a contact channel followed by an id: "加微信 abc1688",
// "➕V：zhaocai888", "加q 2783619" (after 加, 联系, 私聊, 找), and also a
// channel with no verb when the sender marked the id with a colon or a
// space — "扣扣 123456789", "ＶＸ：ｍｍ６６８８", "入Q群：99887766". An id is 5
// or more letters and digits with a digit, or 6 or more letters.
func contactID(s []rune, n *Normalizer, c cues) (int, int, bool) {
	if !c.has(cueChannel) {
		return 0, 0, false
	}
	for i, r := range s {
		switch r {
		case '加', '联', '私', '找', '搜', '微', 'w', 'v', 'q', '扣', '企':
		default:
			continue // neither a verb nor a channel starts here
		}
		verb := false
		j := i
		for _, t := range contactTriggers {
			if hasPrefixAt(s, i, t) {
				verb, j = true, i+len(t)
				if j < len(s) && s[j] == '我' {
					j++
				}
				break
			}
		}
		for _, c := range contactChannels {
			if !hasPrefixAt(s, j, c) {
				continue
			}
			if !verb && (!channelStart(s, j, n) || !n.originalSeparated(j+len(c)-1, j+len(c))) {
				break // a bare "v" in "vivo12345" is no channel
			}
			k := j + len(c)
			for k < len(s) && (s[k] == '号' || s[k] == '群' || s[k] == '裙' || s[k] == '搜' || s[k] == '索') {
				k++
			}
			end := k
			digits := 0
			for end < len(s) && alnum(s[end]) && (end == k || n.joined(end-1, end)) {
				if s[end] <= '9' {
					digits++
				}
				end++
			}
			// Without a verb, an id of letters alone must be labelled with
			// a colon: "QQ account" is English, "扣扣：zhangsan" an id.
			if end-k >= 5 && (digits > 0 || end-k >= 6 && (verb || n.colonBefore(k))) {
				return min(i, j), end, true
			}
			break
		}
	}
	return 0, 0, false
}

// channelStart reports whether the channel at s[j] does not continue a
// Latin word of the message ("vivo", "eqq").
func channelStart(s []rune, j int, n *Normalizer) bool {
	if s[j] >= utf8.RuneSelf {
		return true
	}
	from, _ := n.Span(j, j+1)
	return from == 0 || !isASCIIAlnum(n.src[from-1])
}

// originalSeparated reports whether, in the original text, the sender set
// the id apart from the channel between normalised runes a and b: with a
// colon, a space, an emoji or a 号 — not with the dot or slash of a link
// (weixin.qq.com/s/…).
func (n *Normalizer) originalSeparated(a, b int) bool {
	if b >= len(n.offs) {
		return false
	}
	if r := n.out[b]; r == '号' || r == '群' || r == '裙' || r == '搜' {
		return true
	}
	_, end := n.Span(a, a+1)
	gap := n.src[end:n.offs[b]]
	return gap != "" && !strings.ContainsAny(gap, "./\\@#&?=%")
}

// colonBefore reports whether a colon stands right before normalised rune
// b in the original text.
func (n *Normalizer) colonBefore(b int) bool {
	gap := strings.TrimRight(n.src[:n.offs[b]], " 　")
	return strings.HasSuffix(gap, ":") || strings.HasSuffix(gap, "：")
}

// joined reports whether normalised runes a and a+1 = b were written
// together — nothing between them in the original text but _ or -: an id is
// one token ("zx_8888", also with zero-width characters inside; digits
// also in groups, "3371 2098"), not the words after a channel ("QQ through
// NapCat").
func (n *Normalizer) joined(a, b int) bool {
	_, end := n.Span(a, a+1)
	digits := n.out[a] <= '9' && n.out[b] <= '9' // 3371 2098 5: a number in groups
	for _, r := range n.src[end:n.offs[b]] {
		if !strings.ContainsRune("_-＿－", r) && !unicode.Is(unicode.Cf, r) && !(digits && unicode.IsSpace(r)) {
			return false
		}
	}
	return true
}

// digitOf reads a digit, also as a Chinese numeral (幺三八…, 壹贰叁…), as
// ads spell phone numbers to dodge filters.
func digitOf(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case numeralBits[numeralHash(r)>>6]&(1<<(numeralHash(r)&63)) == 0:
		return 0, false // most runes: no numeral has their hash
	}
	return numeralOf(r)
}

// numeralOf reads a Chinese numeral, or a rune that stands for one.
func numeralOf(r rune) (byte, bool) {
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

// numerals are the runes digitOf reads besides '0'–'9' (a test checks
// the two agree), and numeralBits a bit for each of their hashes: what
// lets digitOf turn most runes away before its switch.
const numerals = "零〇洞一壹幺妖二贰两三叁四肆五伍六陆七柒拐八捌九玖勾"

var numeralBits = func() (b [2]uint64) {
	for _, r := range numerals {
		h := numeralHash(r)
		b[h>>6] |= 1 << (h & 63)
	}
	return b
}()

func numeralHash(r rune) uint32 { return uint32(r) * 0x9E3779B1 >> 25 }

// phoneNumber finds a mainland mobile number: exactly 11 digits starting
// 13–19, digits or Chinese numerals. It probes every eleventh rune: a run
// of 11 digits must cover it, and most messages have few digits.
func phoneNumber(s []rune) (int, int, bool) {
	isDigit := func(r rune) bool { _, ok := digitOf(r); return ok }
	for i := 0; i+11 <= len(s); {
		if !isDigit(s[i+10]) {
			i += 11 // s[i+10] is no digit: no run of 11 covers i..i+10
			continue
		}
		// s[i-1] is no digit (the start, or a probe or run end before),
		// so the run through s[i+10] starts at i or later.
		j := i + 10
		for j > i && isDigit(s[j-1]) {
			j--
		}
		k := i + 11
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k-j == 11 {
			first, _ := digitOf(s[j])
			second, _ := digitOf(s[j+1])
			if first == 1 && second >= 3 {
				return j, k, true
			}
		}
		i = k + 1
	}
	return 0, 0, false
}

// adWords make a phone number an ad: a number alone is how neighbours
// share the property office's line.
var adWords = runesOf("出售", "兼职", "代理", "招聘", "贷款", "办理", "刷单", "日结", "加我", "有意者", "咨询热线", "批发", "招商",
	"找我", "联系我", "电话联系", "打我电话", "代办", "套现", "信用卡", "逾期", "量大", "包邮", "微信同号", "优惠",
	"咨询", "预约", "持证上岗", "专业", "承接", "全包", "厂家", "直销", "代运营", "付费", "福利", "加盟")

func adContext(c cues) bool { return c.has(cueAd) }

var shortHosts = []string{"t.cn/", "dwz.cn/", "url.cn/", "suo.im/", "bit.ly/", "tinyurl.com/", "is.gd/", "w.url.cn/", "c7.gg/", "u.nu/"}

// shortLink finds a link through a URL shortener, which hides where it goes:
// the first of shortHosts whose first occurrence in text (ignoring ASCII
// case) starts a word. Every host ends in a letter and a slash, so its
// occurrences end at the slashes of the text: only slashes after one of
// those letters are tried, each against every host.
func shortLink(text string, allowed []string) (string, bool) {
	if strings.IndexByte(text, '.') < 0 || strings.IndexByte(text, '/') < 0 {
		return "", false
	}
	var decided, found uint32 // by host: its first occurrence seen; it counts
	for j := 0; ; {
		k := strings.IndexByte(text[j:], '/')
		if k < 0 {
			break
		}
		end := j + k + 1
		j = end
		if end < 2 || !shortHostEnds[text[end-2]|0x20] {
			continue
		}
		for i, h := range shortHosts {
			from := end - len(h)
			if decided&(1<<i) != 0 || from < 0 || !equalFoldASCII(text[from:end], h) {
				continue
			}
			decided |= 1 << i
			if (from == 0 || !isASCIIAlnum(text[from-1])) && !slices.Contains(allowed, strings.TrimSuffix(h, "/")) {
				found |= 1 << i
			}
		}
	}
	if found == 0 {
		return "", false
	}
	return strings.TrimSuffix(shortHosts[bits.TrailingZeros32(found)], "/"), true
}

// shortHostEnds marks the letter before the slash of each of shortHosts.
var shortHostEnds = func() (ends [256]bool) {
	for _, h := range shortHosts {
		ends[h[len(h)-2]] = true
	}
	return ends
}()

// equalFoldASCII reports whether s equals the ASCII lower-case lower,
// ignoring ASCII case in s.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// spamTLDs are top-level domains that, in Chinese chat groups, are almost
// only spam, gambling and phishing landing pages; an operator's own domains
// go in allow.domains.
var spamTLDs = []string{"top", "xyz", "cc", "vip", "icu", "club", "bet", "win", "loan", "fun", "buzz", "cyou", "sbs", "rest", "bond", "live"}

// spamLink finds a host under one of spamTLDs: letters, digits, dots and
// hyphens ending in ".tld" followed by "/", the end or a non-host rune.
func spamLink(text string, allowed []string) (string, bool) {
	for i := 0; i < len(text); i++ {
		d := strings.IndexByte(text[i:], '.')
		if d < 0 {
			break
		}
		if i += d; i == 0 || !hostByte(text[i-1]) {
			continue
		}
		j := i + 1
		for j < len(text) && isASCIIAlnum(text[j]) {
			j++
		}
		if j < len(text) && (hostByte(text[j]) || text[j] == '.') {
			continue // not the last label
		}
		tld := strings.ToLower(text[i+1 : j])
		if !slices.Contains(spamTLDs, tld) {
			continue
		}
		k := i
		for k > 0 && (hostByte(text[k-1]) || text[k-1] == '.') {
			k--
		}
		host := strings.ToLower(text[k:j])
		if host == "" || host[0] == '.' || slices.ContainsFunc(allowed, func(d string) bool { return host == d || strings.HasSuffix(host, "."+d) }) {
			continue
		}
		return host, true
	}
	return "", false
}

func hostByte(b byte) bool { return isASCIIAlnum(b) || b == '-' || b == '_' }

var (
	// voteAsks are the verbs of a vote request; voteThanks the begging
	// around it. A message that numbers an entry ("18号", "编号19") and has
	// both is vote solicitation, however the words are spelt.
	voteAsks   = runesOf("投票", "投一", "投个", "投我", "投他", "投她", "投给", "tp", "tou", "拉票", "点赞", "助力", "打call")
	voteThanks = runesOf("帮我", "帮忙", "帮帮", "求", "拜托", "麻烦", "感恩", "助我", "亲们", "谢谢大家", "谢谢亲", "感谢大家", "先谢", "谢谢各位", "感谢各位",
		"链接", "长按", "扫码", "小程序", "入口")
	// Words after "N号" that make it a place, not an entry: 5号楼.
	numberedPlaces = []rune("楼院线门口地车店房铺机床厅柜台栋单元位桌线路")
)

// voteNumber recognises "帮忙tp，3號，感恩", "ｔｏｕ一下２６号，谢谢", "长按识别
// 小程序码投票，第23号": an entry number, a vote verb and begging or the way
// to the ballot.
func voteNumber(s []rune, c cues) (int, int, bool) {
	if !c.has(cueVoteAsk) || !c.has(cueVoteThanks) {
		return 0, 0, false
	}
	from, to, ok := entryNumber(s)
	if !ok {
		return 0, 0, false
	}
	return from, to, true
}

// entryNumber finds "18号", "第6号", "编号19", "no19" not followed by a place.
func entryNumber(s []rune) (int, int, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		date := i > 0 && strings.ContainsRune("月止至到于前", s[i-1]) || j+1 < len(s) && strings.ContainsRune("前后截晚早上下中开之", s[j+1])
		switch {
		case date: // 截止10号, 10号前: a day of the month
		case j-i <= 3 && j < len(s) && s[j] == '号' && (j+1 >= len(s) || !slices.Contains(numberedPlaces, s[j+1])):
			return i, j + 1, true
		case j-i <= 3 && i >= 2 && (hasPrefixAt(s, i-2, []rune("编号")) || hasPrefixAt(s, i-2, []rune("no"))):
			return i - 2, j, true
		}
		i = j
	}
	return 0, 0, false
}

var (
	earnVerbs = runesOf("月入", "月赚", "日入", "日赚", "年入", "周入", "躺赚", "轻松赚")
	earnUnits = []rune("万w") // 月入三千 is a neighbour's wage, 月入三万 a pitch
)

// earnings recognises the money-making pitch "月入三万", "月入2w", "年入百万":
// an earnings verb, an amount and a unit of ten thousand.
func earnings(s []rune, c cues) (int, int, bool) {
	if !c.has(cueEarn) {
		return 0, 0, false
	}
	for i, r := range s {
		switch r {
		case '月', '日', '年', '周', '躺', '轻':
		default:
			continue
		}
		for _, v := range earnVerbs {
			if !hasPrefixAt(s, i, v) {
				continue
			}
			j := i + len(v)
			k := j
			for k < len(s) && k-j < 6 {
				if _, ok := digitOf(s[k]); !ok && s[k] != '十' && s[k] != '百' && s[k] != '几' {
					break
				}
				k++
			}
			if k > j && k < len(s) && slices.Contains(earnUnits, s[k]) {
				return i, k + 1, true
			}
		}
	}
	return 0, 0, false
}

// amountAt reads an amount at s[i]: digits or Chinese numerals (and 十百千),
// optionally followed by 万, 千, 元, 块, w. It returns the end.
// A sum of money needs a unit or three digits, and no unit of something
// else after it (还差200票 is votes).
func amountAt(s []rune, i int) (int, bool) {
	k := i
	for k < len(s) && k-i < 8 {
		if _, ok := digitOf(s[k]); !ok && s[k] != '十' && s[k] != '百' && s[k] != '千' && s[k] != '几' {
			break
		}
		k++
	}
	if k == i {
		return i, false
	}
	digits := k - i
	unit := false
	for k < len(s) && (s[k] == '万' || s[k] == '元' || s[k] == '块' || s[k] == 'w' || s[k] == '多') {
		unit = unit || s[k] != '多'
		k++
	}
	if !unit && (digits < 3 || k < len(s) && strings.ContainsRune("票名单件个人位天次号", s[k])) {
		return i, false
	}
	return k, true
}

var (
	// A sum still missing or already raised: 还差8万, 缺口还有9万, 已经筹了12万.
	gapWords = runesOf("还差", "就差", "缺口", "筹了", "筹到", "已筹", "已集", "集了", "目标", "捐")
	// A plea for help with an illness is an appeal even without a sum.
	helpWords    = runesOf("求助", "救救", "求求大家")
	illnessWords = runesOf("病", "手术", "icu", "医", "透析", "癌", "脑溢血", "白血病", "尿毒症", "烧伤", "车祸")
	// What makes it an appeal rather than a sales target.
	appealWords = runesOf("病", "手术", "医", "治疗", "救", "透析", "icu", "癌", "烧伤", "困难", "帮帮", "求助", "爱心", "捐", "善款", "求大家",
		"援手", "集资", "应援", "卖房", "走投无路", "没办法")
)

// donationGap recognises an appeal that only names the money: "还差3万2，求
// 大家帮帮忙", "筹到了六成，缺口还有9万多，医生说下个月必须手术".
func donationGap(s []rune, c cues) (int, int, bool) {
	if c.has(cueHelp) && c.has(cueIllness) {
		return 0, len(s), true
	}
	if !c.has(cueAppeal) {
		return 0, 0, false
	}
	for i := range s {
		for _, w := range gapWords {
			if !hasPrefixAt(s, i, w) {
				continue
			}
			// The amount follows within a few runes (还差最后1万, 缺口还有9万).
			for j := i + len(w); j < len(s) && j <= i+len(w)+4; j++ {
				if end, ok := amountAt(s, j); ok && end > j {
					return i, end, true
				}
			}
		}
	}
	return 0, 0, false
}

var (
	// Hearsay: where an alarming claim says it comes from.
	hearsay = runesOf("据说", "听说", "听一个", "内部文件", "内部群", "内部人员", "流出", "亲口说", "透露", "朋友说", "亲戚说",
		"没公布", "瞒着", "压下来", "报道的", "转自", "截图", "我朋友在", "的朋友说",
		"说是", "知情人士", "刚收到的", "刚看到的", "专家说", "压消息", "封锁消息", "不让说")
	// Alarms: what rumours claim. Passed on as hearsay, any of them.
	alarms = runesOf("致癌", "倒闭", "停水", "停电", "停课", "清零", "没收", "收费", "地震", "辐射", "毒素", "不孕", "重金属", "超标", "病死",
		"跑路", "关闭", "清退", "污染", "病毒", "确诊", "封城", "拆迁", "涨价", "冻结", "中毒", "死了",
		"取消", "停业", "合并", "被抓", "泄露",
		"罚款", "禁止", "封锁")
	// With a call to act at once, only the dire ones: the property office
	// announcing a water cut also says "赶紧储水".
	direAlarms = runesOf("致癌", "倒闭", "地震", "辐射", "毒素", "不孕", "重金属", "病死", "跑路", "清零", "冻结", "封城", "中毒", "清退")
	// Urgency: what rumours want done at once.
	urgencies = runesOf("赶紧", "赶快", "务必", "速度", "千万别", "千万不要")
)

// hearsayAlarm recognises a rumour by its shape: an alarm passed on as
// hearsay ("我同学的表哥在交警队，说下个月起电动车一律没收"), or an alarm with
// a call to act at once ("存款只保50万，赶紧去取").
func hearsayAlarm(c cues) bool {
	return c.has(cueAlarm) && c.has(cueHearsay) || c.has(cueDire) && c.has(cueUrgency)
}

var (
	// Not 点赞: "物业小刘帮我搬了东西，点个赞" is praise.
	voteVerbs = runesOf("投票", "投我", "投给", "助力", "打call", "打榜", "打投", "拉票", "求票", "投满", "好评", "五星")
	voteNotes = runesOf("点赞率", "点赞量", "投票结果", "投票功能", "投票时间", "投票箱")
	pleas     = runesOf("帮我", "帮忙", "帮帮", "帮点", "拜托", "求", "麻烦", "谁有空", "姐妹们", "家人们", "每人", "每个人")
)

// votePlea recognises a plea for votes without an entry number: "谁有空帮我
// 女儿点个赞", "还差200票就能进决赛了", "姐妹们今天打榜最后一天".
func votePlea(s []rune, c cues) bool {
	if c.has(cueVoteNote) {
		return false
	}
	if c.has(cueVoteVerb) && c.has(cuePlea) {
		return true
	}
	if !c.has(cueShort) {
		return false // no 还差 or 就差
	}
	for i := range s {
		if hasPrefixAt(s, i, []rune("还差")) || hasPrefixAt(s, i, []rune("就差")) {
			k := i + 2
			for k < len(s) && k-i < 8 {
				if _, ok := digitOf(s[k]); !ok && s[k] != '十' && s[k] != '百' && s[k] != '几' {
					break
				}
				k++
			}
			if k > i+2 && k < len(s) && s[k] == '票' {
				return true
			}
		}
	}
	return false
}

// standaloneGun finds a message that opens with 滚 as a word: "滚，别在群里发"
// (滚动, 滚筒 and 滚烫 are words of their own).
func standaloneGun(text string) (int, int, bool) {
	// 滚 within the first 16 bytes, after nothing but spaces: skip them
	// by hand (TrimLeft with a set of runes cost more than the rest).
	from := 0
	for from < len(text) && from < 16 {
		if c := text[from]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			from++
		} else if strings.HasPrefix(text[from:], "　") {
			from += len("　")
		} else {
			break
		}
	}
	if from+len("滚") > 16 || !strings.HasPrefix(text[from:], "滚") {
		return 0, 0, false
	}
	return gunAlone(text, from)
}

// gunAlone reports whether the 滚 at text[from:] stands alone: at the end,
// or before a pause or a particle.
func gunAlone(text string, from int) (int, int, bool) {
	rest := text[from+len("滚"):]
	if rest == "" {
		return from, from + len("滚"), true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	if strings.ContainsRune(" ，,。.!！~～、…", r) || r == '吧' || r == '啊' || r == '!' {
		return from, from + len("滚"), true
	}
	return 0, 0, false
}

// Talking about an offence. A message that warns of a scam, quotes the
// rules or asks whether something is allowed names the offence without
// committing it — unless it carries what a real solicitation carries: an
// id, a phone number or a link.
var (
	aboutMarkers = runesOf("骗", "套路", "别信", "别碰", "当心", "谨防", "提防", "拉黑", "举报", "禁止", "违规", "违者", "允许吗",
		"不允许", "怎么回", "封店", "封号", "不需要", "防范", "警惕", "上当", "不要信", "不要相信", "群规", "违法", "公示", "核实",
		"别参与", "叫停", "请勿", "声明", "挪用", "正规渠道",
		"别搞", "不搞", "别买", "别点", "别加", "私下", "盗号", "新闻",
		"提醒一下", "提醒大家", "管理员", "直接踢", "踢出", "踢了", "就踢", "谁再", "移出群")
	// Reports and warnings name drugs, gambling, porn and cults too: a
	// poster, the news, a film.
	reportMarkers = runesOf("宣传", "举报", "警方", "新闻", "团伙", "抓获", "破获", "打掉", "电影", "邪教", "警惕", "防范", "禁毒", "报警", "被抓",
		"通报", "查获", "刑拘", "派出所",
		"沉迷", "欠债", "不碰", "远离", "戒赌")
	// A rumour is also a warning; only a debunking takes it back.
	// Notices are forwarded too: a missing neighbour, a police warning.
	debunkMarkers = runesOf("别信", "不要信", "不要相信", "辟谣", "谣言", "假消息", "是假的", "不实", "骗人的",
		"寻人", "寻狗", "寻猫", "失物招领", "民警提醒", "派出所提醒", "物业提醒", "社区提醒")
	// The categories a warning may name: the solicitations.
	aboutCategories  = []string{"ad", "vote", "donation"}
	reportCategories = []string{"drugs", "gambling", "porn", "religion", "donation"}
)

var (
	// What was done already: a donation made, an appeal that reached its
	// goal, a drive that ended. Told as done, with nothing still missing
	// and no plea, a donation is a report, not an appeal.
	doneWords = runesOf("已捐", "捐了", "捐过", "捐完", "已经捐", "筹满", "筹齐", "已筹齐", "圆满结束", "已结束", "已经结束", "已完成", "已送达", "已转交")
	// What is still missing.
	shortWords = runesOf("还差", "就差", "缺口", "还缺", "还需", "还要")
	// Neighbours passing on what they no longer need.
	secondHand = runesOf("闲置", "二手", "免费送", "送人", "转让", "自提", "自取", "上门取")
	// A question of how, why or where.
	askWords = runesOf("怎么", "为什么", "为啥", "哪里", "哪儿", "如何")
)

// asking reports whether a message ends as a question of how, why or
// where: "扫码领券的那个链接怎么打不开了？" asks about an ad, it is none.
func asking(norm []rune, c cues) bool {
	if !c.has(cueAsk) || len(norm) == 0 {
		return false
	}
	switch norm[len(norm)-1] {
	case '?', '？', '吗', '呢', '啊', '了':
		return true
	}
	return false
}

// talkingAbout removes the hits a warning, a report or a question names
// rather than commits, those that tell what was done ("扫码加了物业管家的
// 企业微信", "我已经给王阿姨家捐了500") and a neighbour's offer of what they
// no longer need. payload is whether the message carries an id, a number
// or a link.
func talkingAbout(hits []Hit, norm []rune, c cues, payload bool) []Hit {
	if payload || len(hits) == 0 {
		return hits
	}
	about, report, debunk := c.has(cueAbout) || c.has(cueSecondHand), c.has(cueReport), c.has(cueDebunk)
	done := c.has(cueDone) && !c.has(cueShort) && !c.has(cuePlea) && !c.has(cueHelp)
	about = about || asking(norm, c)
	// slices.DeleteFunc, by hand: its function took each Hit by value.
	out := hits[:0]
	for i := range hits {
		h := &hits[i]
		if about && slices.Contains(aboutCategories, h.Category) ||
			report && slices.Contains(reportCategories, h.Category) ||
			debunk && (h.Category == "rumor" || h.Category == "donation") ||
			done && h.Category == "donation" ||
			h.done && h.Category == "ad" {
			continue
		}
		if len(out) < i {
			out = append(out, *h)
		} else {
			out = out[:i+1]
		}
	}
	clear(hits[len(out):])
	return out
}

var quotePairs = [][2]rune{{'"', '"'}, {'“', '”'}, {'「', '」'}, {'『', '』'}, {'\'', '\''}, {'‘', '’'}, {'《', '》'}}

// mayQuote reports whether text holds any quotation or title mark of
// quotePairs: most messages hold none, and then no words of theirs are
// quoted. It reads eight bytes at a time and looks at them one by one
// only when one of them is a byte such a mark starts with (FuzzMayQuote
// compares it with the plain byte loop, mayQuoteBytes in the tests).
func mayQuote(text string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(text); i += 8 {
		b := text[i : i+8]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		// A byte of w equal to c makes w^(c*ones) have a zero byte, whose
		// high bit (x-ones)&^x&highs sets — and perhaps that of the byte
		// above it, which quoteAt then turns away.
		x, y, z, v := w^('"'*ones), w^('\''*ones), w^(0xE2*ones), w^(0xE3*ones)
		for m := ((x-ones)&^x | (y-ones)&^y | (z-ones)&^z | (v-ones)&^v) & highs; m != 0; m &= m - 1 {
			if quoteAt(text, i+bits.TrailingZeros64(m)/8) {
				return true
			}
		}
	}
	for ; i < len(text); i++ {
		if quoteAt(text, i) {
			return true
		}
	}
	return false
}

// quoteAt reports whether a mark of quotePairs starts at text[i].
func quoteAt(text string, i int) bool {
	switch text[i] {
	case '"', '\'':
		return true
	case 0xE2: // “ ” ‘ ’: E2 80 9C, 9D, 98, 99
		return i+2 < len(text) && text[i+1] == 0x80 && text[i+2]&^0x05 == 0x98
	case 0xE3: // 《 》 「 」 『 』: E3 80 8A–8F
		return i+2 < len(text) && text[i+1] == 0x80 && text[i+2] >= 0x8A && text[i+2] <= 0x8F
	}
	return false
}

// quoted reports whether text[from:to] lies inside quotation or title
// marks within one sentence: 那些说“内部消息”的, 《白痴》, 别说“加我微信更便宜”.
func quoted(text string, from, to int) bool {
	const reach = 120 // bytes to look either way: a quoted phrase, not a paragraph
	open := rune(0)
	for i, n := from, 0; i > 0 && n < reach; {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		i, n = i-size, n+size
		if sentenceEnd(r) {
			return false
		}
		if q, ok := quoteOpening(r); ok {
			open = q
			break
		}
		if isClosingQuote(r) {
			return false // the quote before closed already
		}
	}
	if open == 0 {
		return false
	}
	for i, n := to, 0; i < len(text) && n < reach; {
		r, size := utf8.DecodeRuneInString(text[i:])
		i, n = i+size, n+size
		if r == open {
			return true
		}
		if sentenceEnd(r) {
			return false
		}
	}
	return false
}

// quoteOpening returns the closing mark of an opening one.
func quoteOpening(r rune) (rune, bool) {
	for _, q := range quotePairs {
		if r == q[0] {
			return q[1], true
		}
	}
	return 0, false
}

func isClosingQuote(r rune) bool {
	for _, q := range quotePairs {
		if r == q[1] && q[0] != q[1] {
			return true
		}
	}
	return false
}

func sentenceEnd(r rune) bool { return r == '。' || r == '\n' || r == '！' || r == '？' }

// negations are what, right before an offence's words, turn them into
// their refusal: 不赌钱, 严禁吸毒, 远离黄赌毒, 反对台独. (Abuse, rumours and
// preaching are excepted by the caller: "不要脸" is abuse, "千万不要吃" a
// rumour, "不信神的人躲不过大灾难" preaching.)
var negations = runesOf("不", "别", "勿", "戒", "没", "没有", "拒绝", "远离", "严禁", "禁止", "反对", "打击", "防范", "谨防", "杜绝", "抵制", "举报", "不要", "不能", "不准", "不许")

// negationEnds are the last runes of the negations: most words follow
// none of them, and need no further look.
var negationEnds = func() []rune {
	var out []rune
	for _, w := range negations {
		if r := w[len(w)-1]; !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}()

// negationEndBits has bit r&255 set for every rune r of negationEnds: a
// word after a rune whose bit is clear follows no negation, which one load
// tells instead of a look through the list.
var negationEndBits = func() (b [4]uint64) {
	for _, r := range negationEnds {
		b[r&255>>6] |= 1 << (r & 63)
	}
	return b
}()

// negated reports whether the words starting at s[start] follow a negation.
func negated(s []rune, start int) bool {
	if start == 0 {
		return false
	}
	if r := s[start-1]; negationEndBits[r&255>>6]&(1<<(r&63)) == 0 || !slices.Contains(negationEnds, r) {
		return false
	}
	for _, w := range negations {
		if start >= len(w) && hasPrefixAt(s, start-len(w), w) {
			return true
		}
	}
	return false
}

// selfDirected reports whether the abuse starting at s[start] is said of
// oneself: "我真是个猪脑子", "我就是个废物".
func selfDirected(s []rune, start int) bool {
	for _, w := range selfWords {
		if start >= len(w) && hasPrefixAt(s, start-len(w), w) {
			return true
		}
	}
	return false
}

var selfWords = runesOf("我真是个", "我就是个", "我是个", "我真是", "我这个", "我个")

var (
	// Who political agitation is aimed at, and what it calls for. Both in
	// one message is agitation; either alone is everyday talk (政府 fixing
	// a road, a parade 游行).
	regimeWords = runesOf("政府", "政权", "共产党", "共党", "中共", "体制", "制度", "当官的", "官员", "领导人", "上面的", "高层", "中央", "主席",
		"包子", "维尼", "庆丰", "赵家", "共惨党", "共cd", "g党", "gcd", "zf", "政fu", "省委", "市委", "区政府", "市政府", "镇政府", "这个国家", "这国家")
	uprisingWords = runesOf("推翻", "下台", "倒台", "反抗", "游行", "上街", "罢市", "罢工", "串联", "组织起来", "联合起来", "变天", "全杀了", "拉出来",
		"堵路", "集合", "静坐", "造反", "革命", "必亡", "完蛋", "末日", "撑不了", "自己动手", "审判", "抗议", "示威", "换人", "倒掉")
	// Dates and names that stand for 1989.
	tabooDates = runesOf("5月35日", "五月三十五", "坦克人", "天安门那年", "八九那年", "89那年", "六四", "64那天", "6月4日那天")
)

// agitation recognises a call against the regime: a target and an uprising
// in one message ("包子下台", "周一全市业主去省委堵路"), or a taboo date.
func agitation(c cues) bool {
	return c.has(cueRegime) && c.has(cueUprising) || c.has(cueTaboo)
}

var (
	// Street names of drugs — those that are not everyday words on their
	// own (冰 alone is ice, 糖果 sweets) — and the language of dealing.
	drugSlang = runesOf("溜冰", "❄", "🧊", "叶子", "邮票", "四号", "白面", "白粉", "麻古", "麻姑", "快乐丸", "神仙水", "上头", "加了料", "加料", "k粉",
		"罂粟", "大麻", "冰毒", "嗨药", "飞一下", "吸一口", "止咳水", "类固醇", "安眠药", "吗啡", "芬太尼", "曲马多")
	dealing = runesOf("有货", "到货", "现货", "老地方", "老客户", "纯度", "同城", "可送", "能送", "私聊", "私我", "懂的", "要的", "价格", "一克", "一颗",
		"一张", "批发", "新到", "匀我", "包安全", "不用处方", "无需处方", "一箱", "种子", "出售", "学生价")
)

// drugDeal recognises an offer of drugs by its slang and the language of
// dealing: "邮票到货，要的私", "❄️到货，老地方见".
func drugDeal(c cues) bool { return c.has(cueDrugSlang) && c.has(cueDealing) }
