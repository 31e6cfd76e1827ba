package rules

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRecognisers runs each recogniser through Classify, so the hit, the
// words reported and the talking-about filter are checked together.
func TestRecognisers(t *testing.T) {
	e := NewEngine(nil, nil)
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
