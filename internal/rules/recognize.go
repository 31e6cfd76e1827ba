package rules

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Recognisers: what dictionaries cannot list — contact ids, phone numbers,
// links, "vote for number 18" — and what tells a message that talks about
// an offence ("刷单会被封店，别碰") from one that commits it. They run on the
// normalised runes (and, where punctuation matters, on the original text)
// and allocate nothing.

func hasPrefixAt(s []rune, i int, p []rune) bool {
	return i+len(p) <= len(s) && slices.Equal(s[i:i+len(p)], p)
}

// containsAny reports whether s contains one of words.
func containsAny(s []rune, words [][]rune) bool {
	for i := range s {
		for _, w := range words {
			if hasPrefixAt(s, i, w) {
				return true
			}
		}
	}
	return false
}

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
	contactChannels = runesOf("微信", "weixin", "vx", "wx", "v信", "微x", "v", "qq", "q", "扣扣", "企鹅", "微", "扣")
)

// contactID finds a contact channel followed by an id: "加微信 abc1688",
// "➕V：zhaocai888", "加q 2783619" (after 加, 联系, 私聊, 找), and also a
// channel with no verb when the sender marked the id with a colon or a
// space — "扣扣 123456789", "ＶＸ：ｍｍ６６８８", "入Q群：99887766". An id is 5
// or more letters and digits with a digit, or 6 or more letters.
func contactID(s []rune, n *Normalizer) (int, int, bool) {
	for i := range s {
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
			for k < len(s) && (s[k] == '号' || s[k] == '群' || s[k] == '裙') {
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
// colon, a space or a 号 — not with the dot or slash of a link
// (weixin.qq.com/s/…).
func (n *Normalizer) originalSeparated(a, b int) bool {
	if b >= len(n.offs) {
		return false
	}
	if n.out[b] == '号' || n.out[b] == '群' || n.out[b] == '裙' {
		return true
	}
	_, end := n.Span(a, a+1)
	gap := n.src[end:n.offs[b]]
	return gap != "" && strings.Trim(gap, " \t:：　=~～-") == ""
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

// adWords make a phone number an ad: a number alone is how neighbours
// share the property office's line.
var adWords = runesOf("出售", "兼职", "代理", "招聘", "贷款", "办理", "刷单", "日结", "加我", "有意者", "咨询热线", "批发", "招商",
	"找我", "联系我", "打我电话", "电话联系", "代办", "套现", "信用卡", "逾期", "量大", "包邮", "微信同号", "优惠")

func adContext(s []rune) bool { return containsAny(s, adWords) }

var shortHosts = []string{"t.cn/", "dwz.cn/", "url.cn/", "suo.im/", "bit.ly/", "tinyurl.com/", "is.gd/", "w.url.cn/", "c7.gg/", "u.nu/"}

// shortLink finds a link through a URL shortener, which hides where it goes.
func shortLink(text string, allowed []string) (string, bool) {
	if !strings.Contains(text, ".") {
		return "", false
	}
	for _, h := range shortHosts {
		if i := indexFold(text, h); i >= 0 && (i == 0 || !isASCIIAlnum(text[i-1])) {
			host := strings.TrimSuffix(h, "/")
			if slices.Contains(allowed, host) {
				continue
			}
			return host, true
		}
	}
	return "", false
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring ASCII
// case in s, without allocating.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		j := 0
		for ; j < len(needle); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == len(needle) {
			return i
		}
	}
	return -1
}

// spamTLDs are top-level domains that, in Chinese chat groups, are almost
// only spam, gambling and phishing landing pages; an operator's own domains
// go in allow.domains.
var spamTLDs = []string{"top", "xyz", "cc", "vip", "icu", "club", "bet", "win", "loan", "fun", "buzz", "cyou", "sbs", "rest", "bond", "live"}

// spamLink finds a host under one of spamTLDs: letters, digits, dots and
// hyphens ending in ".tld" followed by "/", the end or a non-host rune.
func spamLink(text string, allowed []string) (string, bool) {
	for i := 0; i < len(text); i++ {
		if text[i] != '.' || i == 0 || !hostByte(text[i-1]) {
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
	voteThanks = runesOf("帮我", "帮忙", "帮帮", "求", "拜托", "麻烦", "感恩", "助我", "亲们", "谢谢大家", "谢谢亲", "感谢大家", "先谢", "谢谢各位", "感谢各位")
	// Words after "N号" that make it a place, not an entry: 5号楼.
	numberedPlaces = []rune("楼院线门口地车店房铺机床厅柜台栋单元位桌线路")
)

// voteNumber recognises "帮忙tp，3號，感恩", "ｔｏｕ一下２６号，谢谢": an entry
// number, a vote verb and begging.
func voteNumber(s []rune) (int, int, bool) {
	from, to, ok := entryNumber(s)
	if !ok || !containsAny(s, voteAsks) || !containsAny(s, voteThanks) {
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
		switch {
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
func earnings(s []rune) (int, int, bool) {
	for i := range s {
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

// standaloneGun finds a message that opens with 滚 as a word: "滚，别在群里发"
// (滚动, 滚筒 and 滚烫 are words of their own).
func standaloneGun(text string) (int, int, bool) {
	t := strings.TrimLeft(text, " \t\r\n　")
	if !strings.HasPrefix(t, "滚") {
		return 0, 0, false
	}
	from := len(text) - len(t)
	rest := t[len("滚"):]
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
		"怎么回", "封店", "不需要", "防范", "警惕", "上当", "不要信", "不要相信", "群规", "违法")
	// A rumour is also a warning; only a debunking takes it back.
	debunkMarkers = runesOf("别信", "不要信", "不要相信", "辟谣", "谣言", "假消息", "是假的", "不实", "骗人的")
	// The categories a warning may name: the solicitations. Porn, drugs,
	// gambling and abuse are judged by their words alone.
	aboutCategories = []string{"ad", "vote", "donation"}
)

// talkingAbout removes the hits a warning or a question names rather than
// commits. payload is whether the message carries an id, a number or a
// link.
func talkingAbout(hits []Hit, s []rune, payload bool) []Hit {
	if payload || len(hits) == 0 {
		return hits
	}
	about, debunk := containsAny(s, aboutMarkers), containsAny(s, debunkMarkers)
	if !about && !debunk {
		return hits
	}
	return slices.DeleteFunc(hits, func(h Hit) bool {
		return about && slices.Contains(aboutCategories, h.Category) || debunk && h.Category == "rumor"
	})
}

var quotePairs = [][2]rune{{'"', '"'}, {'“', '”'}, {'「', '」'}, {'『', '』'}, {'\'', '\''}, {'‘', '’'}, {'《', '》'}}

// quoted reports whether text[from:to] is enclosed in quotation marks or
// title marks: "那些说“内部消息”的都是骗人的", 《白痴》.
func quoted(text string, from, to int) bool {
	if from == 0 || to >= len(text) {
		return false
	}
	open, _ := utf8.DecodeLastRuneInString(text[:from])
	closing, _ := utf8.DecodeRuneInString(text[to:])
	for _, q := range quotePairs {
		if open == q[0] && closing == q[1] {
			return true
		}
	}
	return false
}

// negations are what, right before an offence's words, turn them into
// their refusal: 不赌钱, 严禁吸毒, 远离黄赌毒, 反对台独. (Abuse and rumours
// are excepted by the caller: "不要脸" is abuse, "千万不要吃" a rumour, "不信
// 神的人躲不过大灾难" preaching.)
var negations = runesOf("不", "别", "勿", "戒", "拒绝", "远离", "严禁", "禁止", "反对", "打击", "防范", "谨防", "杜绝", "抵制", "举报", "不要", "不能", "不准", "不许")

// negated reports whether the words starting at s[start] follow a negation.
func negated(s []rune, start int) bool {
	for _, w := range negations {
		if start >= len(w) && hasPrefixAt(s, start-len(w), w) {
			return true
		}
	}
	return false
}
