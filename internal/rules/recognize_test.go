package rules

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRecognisers runs each recogniser through Classify, so the hit, the
// words reported and the talking-about filter are checked together.
func TestRecognisers(t *testing.T) {
	e := NewEngine(nil, nil)
	e.SetModel(nil) // the words and recognisers; the model has its own tests
	tests := []struct {
		name, text string
		term       string // the recogniser's or the dictionary's term; "" for no hit
		category   string
	}{
		{"contact after a verb", "加我微信 abc1688 领资料", "contact-id", "ad"},
		{"bare channel and colon", "扣扣：123456789 进群领教程", "contact-id", "ad"},
		{"bare channel and space", "ＷＸ ｌｉｎｇ８８６ 专业代运营", "contact-id", "ad"},
		{"group number", "入Q群：87654321 免费学直播", "contact-id", "ad"},
		{"no channel inside a word", "vivo12345 手机怎么样", "", ""},
		{"no separator", "v12345 是型号", "", ""},
		{"spam domain", "内部券每天更新 s.click.quan-fl.top/abc", "spam-link", "ad"},
		{"spam domain upper case", "看这里 WWW.BONUS88.CC", "spam-link", "ad"},
		{"ordinary domain", "课件在 www.taobao.com 上", "", ""},
		{"short link", "点这里 t.cn/A6abcd", "short-link", "ad"},
		{"entry number", "帮忙tp，12号，感恩", "entry-number", "vote"},
		{"entry number by 编号", "拜托大家给宝宝点赞，编号36", "entry-number", "vote"},
		{"numbered building", "5号楼的业主明天去物业投票，谢谢配合", "", ""},
		{"number without begging", "18号选手唱得真好", "", ""},
		{"a date", "请在小程序上投票，截止10号，谢谢大家", "", ""},
		{"a plea for votes", "姐妹们今天打榜最后一天！每人至少投20票", "vote-plea", "vote"},
		{"votes still missing", "还差200票就能进决赛了，大家帮帮忙", "vote-plea", "vote"},
		{"praise", "物业小刘昨天帮我搬了半天东西，点个赞👍", "", ""},
		{"money still missing", "还差3万2，求大家帮帮忙🙏", "money-gap", "donation"},
		{"a sales target", "双十一还差3万的销售额，冲", "", ""},
		{"a plea about an illness", "求 助！！我妈突发脑溢血，ICU一天一万多", "money-gap", "donation"},
		{"a plea about a shop", "求助：店铺被扣分了怎么办", "", ""},
		{"hearsay and an alarm", "听说下个月起电动车一律没收", "hearsay-alarm", "rumor"},
		{"urgency and a dire alarm", "XX银行要倒闭了，赶快把钱拿出来", "hearsay-alarm", "rumor"},
		{"words are better evidence", "XX银行要倒闭了，赶紧去取", "赶紧去取", "rumor"},
		{"a notice of a water cut", "明天上午停水，赶紧储水", "", ""},
		{"a warning about a fund", "私人集资这种事别参与，理智追星", "", ""},
		{"an anti-drug poster", "社区禁毒宣传：冰毒、K粉都是毒品，发现请举报", "", ""},
		{"agitation", "包子下台！周六广场集合", "agitation", "politics"},
		{"a taboo date", "5月35日，不能忘记", "agitation", "politics"},
		{"a parade", "国庆游行的直播几点开始", "", ""},
		{"a government at work", "区政府门口的路修好了", "", ""},
		{"a drug deal", "邮票到货，要的私", "drug-deal", "drugs"},
		{"ice and a fridge", "冰箱到货了，明天送上门", "", ""},
		{"earnings pitch", "宝妈在家月入三万", "earnings", "ad"},
		{"a wage", "我现在月入三千，够花了", "", ""},
		{"滚 as a word", "滚，别在群里发这些", "滚", "abuse"},
		{"滚 in a word", "滚筒洗衣机哪个牌子好", "", ""},
		{"a warning names an ad", "有人私信我说能刷单返佣金，我直接拉黑了", "", ""},
		{"a warning with an id is still an ad", "别被骗了，刷单找我，扣扣：12345678", "contact-id", "ad"},
		{"the rules quoted", "群规写了禁止拉票和发水滴筹", "", ""},
		{"a debunked rumour", "辟谣：网传停水三天是假的，不要转发给家人", "", ""},
		{"a rumour that warns", "赶紧转发，这个电话是诈骗", "赶紧转发", "rumor"},
		{"quoted words", "那些说“内部消息”的都是骗人的", "", ""},
		{"a film title", "重看了《白痴》", "", ""},
		{"negated gambling", "活动室只娱乐不赌钱", "", ""},
		{"negated separatism", "坚决反对台独", "", ""},
		{"preaching with 不", "不信神的人躲不过大灾难", "不信神", "religion"},
		{"abuse with 不", "你真不要脸", "不要脸", "abuse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, norm := e.Classify(tt.text)
			if tt.term == "" {
				if len(hits) > 0 {
					t.Fatalf("%q (%q): %v, want no hit", tt.text, norm, hits)
				}
				return
			}
			i := slices.IndexFunc(hits, func(h Hit) bool { return h.Term == tt.term })
			if i < 0 {
				t.Fatalf("%q (%q): %v, want a %s hit", tt.text, norm, hits, tt.term)
			}
			if hits[i].Category != tt.category {
				t.Errorf("%q: category %s, want %s", tt.text, hits[i].Category, tt.category)
			}
		})
	}
}

// TestAllowedDomains: an operator's own domains are no spam, whatever
// their top-level domain, nor are their subdomains.
func TestAllowedDomains(t *testing.T) {
	e := NewEngine(nil, nil)
	sc := e.pool.Get().(*scratch)
	defer e.pool.Put(sc)
	for _, text := range []string{"报名 https://qunzhu.top/join", "课件 https://files.qunzhu.top/a.pdf"} {
		if hits := e.classify(sc, text, []string{"qunzhu.top"}); len(hits) > 0 {
			t.Errorf("%q: %v, want no hit", text, hits)
		}
	}
	if hits := e.classify(sc, "https://evilqunzhu.top/x", []string{"qunzhu.top"}); len(hits) == 0 {
		t.Error("evilqunzhu.top passed as qunzhu.top")
	}
}

// TestCategoryTieBreak: of two equally severe categories, the verdict names
// the specific one.
func TestCategoryTieBreak(t *testing.T) {
	e := NewEngine(nil, nil)
	v := e.Evaluate(Default(), Input{Text: "水滴筹求扩散，我妈等着救命钱", Kind: "text", Role: "member"})
	if v.Category != "donation" {
		t.Errorf("category %q (%v), want donation", v.Category, v.Matched)
	}
}

// FuzzClassify: any text is classified without panicking, and every hit
// quotes the text as sent.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"加我微信 abc1688", "扣扣：123", "帮忙tp，12号，感恩", "滚", "月入三万", "a.top", ".cc", "《白痴》", "不赌钱", "编号", "q群：", "\xff滚"} {
		f.Add(s)
	}
	e := NewEngine(nil, nil)
	f.Fuzz(func(t *testing.T, s string) {
		hits, _ := e.Classify(s)
		for _, h := range hits {
			if h.Text == "" || utf8.ValidString(s) && !strings.Contains(strings.ToLower(s), strings.ToLower(h.Text)) {
				t.Fatalf("%q: hit %+v does not quote the text", s, h)
			}
		}
	})
}

func TestPhoneNumberRuns(t *testing.T) {
	var n Normalizer
	tests := []struct {
		text, want string
	}{
		{"13800138000", "13800138000"},
		{"电话13800138000，有事打", "13800138000"},
		{"一三八 二七七六 五四三一", "13827765431"},
		{"订单号 2024 电话 15912345678", "15912345678"},
		{"138001380001", ""}, // 12 digits: an order number
		{"1380013800", ""},   // 10
		{"12800138000", ""},  // 12… is no mobile prefix
		{"订单998，电话13800138000 abc", "13800138000"},
		{"998 13800138000", ""},      // spaces fold away: one run of 14 digits
		{"20241130138001380001", ""}, // digits on both sides
		{"", ""},
	}
	for _, tt := range tests {
		norm := n.Normalize(tt.text)
		from, to, ok := phoneNumber(norm)
		got := ""
		if ok {
			for _, r := range norm[from:to] {
				d, _ := digitOf(r)
				got += string(rune('0' + d))
			}
		}
		if got != tt.want {
			t.Errorf("phoneNumber(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestMayQuote: the fast look for quotation marks agrees with quotePairs.
func TestMayQuote(t *testing.T) {
	for _, q := range quotePairs {
		for _, r := range q {
			if !mayQuote("前" + string(r) + "后") {
				t.Errorf("%c not seen", r)
			}
		}
	}
	for _, s := range []string{"大家好。明天见！", "…—、，：；", "plain text"} {
		if mayQuote(s) {
			t.Errorf("%q has no quotation mark", s)
		}
	}
}

// shortLinkByIndex is shortLink as it was written first — strings.Index for
// each host — kept as the reference FuzzShortLink compares with.
func shortLinkByIndex(text string, allowed []string) (string, bool) {
	if strings.IndexByte(text, '.') < 0 || strings.IndexByte(text, '/') < 0 {
		return "", false
	}
	lower := []byte(text)
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	for _, h := range shortHosts {
		if i := strings.Index(string(lower), h); i >= 0 && (i == 0 || !isASCIIAlnum(text[i-1])) {
			host := strings.TrimSuffix(h, "/")
			if slices.Contains(allowed, host) {
				continue
			}
			return host, true
		}
	}
	return "", false
}

func FuzzShortLink(f *testing.F) {
	for _, s := range []string{"点这里 t.cn/A6abcd", "at.cn/x t.cn/y", "T.CN/abc", "https://bit.ly/x", "见 dwz.cn/ 和 t.cn/", "a/t.cn/", "xt.cn/ t.cn/", "url.cn/ w.url.cn/", "tinyurl.com/abc is.gd/", "no link here"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, allowT bool) {
		var allowed []string
		if allowT {
			allowed = []string{"t.cn", "url.cn"}
		}
		h1, ok1 := shortLink(text, allowed)
		h2, ok2 := shortLinkByIndex(text, allowed)
		if h1 != h2 || ok1 != ok2 {
			t.Fatalf("shortLink(%q) = %q %v, by index %q %v", text, h1, ok1, h2, ok2)
		}
	})
}

// shortLink keeps a bit for each host, and tries a slash only after the
// letter that ends a host: the hosts must allow both.
func TestShortHosts(t *testing.T) {
	if len(shortHosts) > 32 {
		t.Fatalf("%d short hosts: shortLink keeps them in 32 bits", len(shortHosts))
	}
	for _, h := range shortHosts {
		if h != strings.ToLower(h) || len(h) < 2 || !strings.HasSuffix(h, "/") || h[len(h)-2] == '/' {
			t.Errorf("short host %q: want lower case, ending in one slash", h)
		}
	}
}

// digitOf's filter lets every numeral through: numerals lists exactly the
// runes numeralOf reads.
func TestNumerals(t *testing.T) {
	for r := rune(0); r <= 0x2FFFF; r++ {
		d, ok := numeralOf(r)
		if ok != strings.ContainsRune(numerals, r) {
			t.Errorf("%q: numeralOf says %v, numerals %v", r, ok, !ok)
		}
		if e, eok := digitOf(r); ok && (e != d || !eok) {
			t.Errorf("%q: digitOf %d %v, numeralOf %d", r, e, eok, d)
		}
	}
}

// standaloneGunByTrim is standaloneGun as it was first written (trimming
// the spaces with strings.TrimLeft): FuzzStandaloneGun compares the two.
func standaloneGunByTrim(text string) (int, int, bool) {
	if !strings.Contains(text[:min(len(text), 16)], "滚") {
		return 0, 0, false
	}
	t := strings.TrimLeft(text, " \t\r\n　")
	if !strings.HasPrefix(t, "滚") {
		return 0, 0, false
	}
	return gunAlone(text, len(text)-len(t))
}

func FuzzStandaloneGun(f *testing.F) {
	for _, s := range []string{"滚", "滚，别在群里发", "  滚吧", "\t\r\n　滚!", "　　　　滚", "　　　　　滚", "      滚。", "             滚", "              滚", "打滚", "滚蛋", "", " ", "滚\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, b, ok := standaloneGun(text)
		c, d, ok2 := standaloneGunByTrim(text)
		if a != c || b != d || ok != ok2 {
			t.Fatalf("standaloneGun(%q) = %d %d %v, by trimming %d %d %v", text, a, b, ok, c, d, ok2)
		}
	})
}

// mayQuoteBytes is mayQuote as it was first written, a byte at a time:
// FuzzMayQuote compares the two.
func mayQuoteBytes(text string) bool {
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '"', '\'':
			return true
		case 0xE2: // “ ” ‘ ’: E2 80 9C, 9D, 98, 99
			if i+2 < len(text) && text[i+1] == 0x80 && text[i+2]&^0x05 == 0x98 {
				return true
			}
		case 0xE3: // 《 》 「 」 『 』: E3 80 8A–8F
			if i+2 < len(text) && text[i+1] == 0x80 && text[i+2] >= 0x8A && text[i+2] <= 0x8F {
				return true
			}
		}
	}
	return false
}

func FuzzMayQuote(f *testing.F) {
	for _, s := range []string{"", "\"", "'", "前“后", "前”", "《白痴》", "1234567“", "12345678“", "123456“", "1234567\xe2\x80", "。。。。。。", "「", "』x",
		"\xe3\x80\x8a", "\xe3\x80\x89", "\xe3\x80\x90", "\xe2\x80\x9c", "\xe2\x80\x9b", "aaaaaaa\xe3\x80\x8f", "abcdefghijklmnop'", "\x00\x01\x21\x23\xe1\xe4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := mayQuote(text), mayQuoteBytes(text); got != want {
			t.Fatalf("mayQuote(%q) = %v, byte by byte %v", text, got, want)
		}
	})
}

// negationEndBits turns no rune of negationEnds away.
func TestNegationEndBits(t *testing.T) {
	for r := rune(0); r <= 0x2FFFF; r++ {
		if negationEndBits[r&255>>6]&(1<<(r&63)) == 0 && slices.Contains(negationEnds, r) {
			t.Errorf("%q ends a negation, but its bit is clear", r)
		}
	}
}

// talkingAboutByDeleteFunc is talkingAbout as it was first written, with
// slices.DeleteFunc: TestTalkingAboutLoop compares the two.
func talkingAboutByDeleteFunc(hits []Hit, norm []rune, c cues, payload bool) []Hit {
	if payload || len(hits) == 0 {
		return hits
	}
	about, report, debunk := c.has(cueAbout) || c.has(cueSecondHand), c.has(cueReport), c.has(cueDebunk)
	done := c.has(cueDone) && !c.has(cueShort) && !c.has(cuePlea) && !c.has(cueHelp)
	about = about || asking(norm, c)
	return slices.DeleteFunc(hits, func(h Hit) bool {
		return about && slices.Contains(aboutCategories, h.Category) ||
			report && slices.Contains(reportCategories, h.Category) ||
			debunk && (h.Category == "rumor" || h.Category == "donation") ||
			done && h.Category == "donation" ||
			h.done && h.Category == "ad"
	})
}

func TestTalkingAboutLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 8))
	cats := append(slices.Clone(Categories), "custom")
	norms := [][]rune{nil, []rune("请问这个怎么办"), []rune("大家好")}
	for range 20000 {
		hits := make([]Hit, r.IntN(6))
		for i := range hits {
			hits[i] = Hit{Category: cats[r.IntN(len(cats))], Term: string(rune('a' + i)), done: r.IntN(3) == 0}
		}
		var c cues
		for _, l := range []cueList{cueAbout, cueSecondHand, cueReport, cueDebunk, cueDone, cueShort, cuePlea, cueHelp} {
			if r.IntN(4) == 0 {
				c |= 1 << l
			}
		}
		norm, payload := norms[r.IntN(len(norms))], r.IntN(5) == 0
		want := talkingAboutByDeleteFunc(slices.Clone(hits), norm, c, payload)
		got := talkingAbout(slices.Clone(hits), norm, c, payload)
		if !slices.Equal(got, want) {
			t.Fatalf("hits %v, cues %b: %v, by DeleteFunc %v", hits, c, got, want)
		}
	}
}
