package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestPinyinSpellings(t *testing.T) {
	e := NewEngine(nil, nil)
	e.SetModel(nil) // the words and recognisers; the model has its own tests
	tests := []struct {
		text, category string // category "" for none
	}{
		// Caught: whole terms and mixes of characters and syllables.
		{"jia wei xin 领资料", "ad"},
		{"JiaWeiXin: abc888", "ad"},
		{"+weixin 送资料", "ad"},
		{"加wei信，有惊喜", "ad"},
		{"你个shabi", "abuse"},
		{"sha逼一个", "abuse"},
		{"nao can", "abuse"},
		{"shui di chou 求扩散", "donation"},
		{"水滴chou，帮帮忙", "donation"},
		{"yue pao 吗", "porn"},
		{"liu he cai 内部资料", "gambling"},
		// Not caught: a spelling inside a longer Latin word, short or
		// ambiguous spellings, pinyin that is mostly another word.
		{"shabiz", ""},
		{"我的邮箱 xshabi@163.com", ""},
		{"bingdu 又来了，电脑中毒了", ""}, // 病毒, not 冰毒
		{"bocai 今天多少钱", ""},      // 菠菜
		{"yazhou 杯", ""},         // 亚洲
		{"qusi", ""},
		{"USB 接口坏了", ""},
		{"weixin 支付怎么开通", ""},
	}
	for _, tt := range tests {
		hits, norm := e.Classify(tt.text)
		var cats []string
		for _, h := range hits {
			cats = append(cats, h.Category)
		}
		switch {
		case tt.category == "" && len(hits) > 0:
			t.Errorf("%q (%q): hit %v, want nothing", tt.text, norm, hits)
		case tt.category != "" && !slices.Contains(cats, tt.category):
			t.Errorf("%q (%q): categories %v, want %s", tt.text, norm, cats, tt.category)
		}
	}
}

func TestSpellingsOfTerms(t *testing.T) {
	var n Normalizer
	str := func(sps [][]rune) []string {
		var out []string
		for _, s := range sps {
			out = append(out, string(s))
		}
		return out
	}
	// Mixed spellings of a built-in three-character term: every subset.
	got := str(spellings(slices.Clone(n.Normalize("加微信")), "ad", true))
	for _, want := range []string{"jiaweixin", "jia微信", "加wei信", "加微xin", "加weixin"} {
		if !slices.Contains(got, want) {
			t.Errorf("加微信: %v lacks %q", got, want)
		}
	}
	if len(got) != 7 {
		t.Errorf("加微信: %d spellings %v, want 7 (2^3 - 1)", len(got), got)
	}
	// An operator's term: the whole term only.
	if got := str(spellings(slices.Clone(n.Normalize("全能神教")), "religion", false)); !slices.Equal(got, []string{"quannengshenjiao"}) {
		t.Errorf("全能神教: %v", got)
	}
	// Too short, a category where a two-character spelling is ambiguous,
	// one Han character, characters pinyin does not cover.
	for _, c := range []struct{ term, cat string }{{"去死", "abuse"}, {"冰毒", "drugs"}, {"k粉", "drugs"}, {"加v", "ad"}, {"av", "porn"}} {
		if got := spellings(slices.Clone(n.Normalize(c.term)), c.cat, false); got != nil {
			t.Errorf("%s: %v, want none", c.term, str(got))
		}
	}
}

// TestReadings: the generated table gives go-pinyin's first reading,
// without tones, ü written v.
func TestReadings(t *testing.T) {
	for r, want := range map[rune]string{'微': "wei", '信': "xin", '绿': "lv", '重': "zhong", 'a': "", '😀': ""} {
		if got := reading(r); got != want {
			t.Errorf("reading(%c) = %q, want %q", r, got, want)
		}
	}
}

// TestOperatorSpellingsLater: the spellings of an operator's all-Chinese
// terms are compiled on the first message that can hold one, and match
// from then on; English, links and ids do not call for them.
func TestOperatorSpellingsLater(t *testing.T) {
	var n Normalizer
	extra := []Pattern{
		{Term: "团购接龙", Category: "groupbuy", Norm: slices.Clone(n.Normalize("团购接龙"))},
		{Term: "V信群", Category: "groupbuy", Norm: slices.Clone(n.Normalize("V信群"))},
	}
	e := NewEngine(extra, nil)
	e.SetModel(nil)
	c := e.cur.Load()
	for _, text := range []string{"thanks for the link https://example.com/a/1", "加 abc1688", "ok", "Join our VIP crypto group today"} {
		if pinyinAhead(n.Normalize(text), &n) {
			t.Errorf("%q calls for the spellings", text)
		}
		e.Classify(text)
	}
	if c.spelt.m != nil {
		t.Fatal("the spellings were compiled for messages that cannot hold one")
	}
	// A term mixing letters and characters is spelt at once.
	if hits, _ := e.Classify("vxinqun 来"); len(hits) != 1 || hits[0].Category != "groupbuy" {
		t.Errorf("mixed term spelt: %v", hits)
	}
	for _, tt := range []struct {
		text string
		hit  bool
	}{
		{"tuan gou jie long 开始了", true},
		{"tuangoujielong", true},
		{"xtuangoujielong", false}, // inside a longer word
		{"团购接龙开始了", true},
	} {
		hits, _ := e.Classify(tt.text)
		if got := len(hits) == 1 && hits[0].Category == "groupbuy"; got != tt.hit {
			t.Errorf("%q: %v, want a hit: %v", tt.text, hits, tt.hit)
		}
	}
	if c.spelt.m == nil {
		t.Error("the spellings were never compiled")
	}
}

// TestPinyinAhead: runs of letters that read as pinyin call for the
// spellings, others do not.
func TestPinyinAhead(t *testing.T) {
	var n Normalizer
	for text, want := range map[string]bool{
		"jia wei xin": true, "aoyun hui": true, "e'ma'ma ok": true, "加shuidichou": true,
		"thanks a lot": false, "https://example.com": false, "vivo12345": false, "xtuangou": false, "abc tuangou": true, "ab": false,
	} {
		if got := pinyinAhead(n.Normalize(text), &n); got != want {
			t.Errorf("pinyinAhead(%q) = %v", text, got)
		}
	}
}

// The trie holds exactly the readings: every reading, and no other string
// of up to three letters or of a reading and one more letter.
func TestSyllableTrie(t *testing.T) {
	readings := map[string]bool{}
	for i := range pinyinReadings {
		if s := pinyinReading(i); s != "" {
			readings[s] = true
		}
	}
	tr := pinyinTrie()
	in := func(s string) bool {
		u := uint16(0)
		for _, c := range []byte(s) {
			if u = tr.next[u][c-'a']; u == 0 {
				return false
			}
		}
		return tr.end[u]
	}
	var words []string
	for r := range readings {
		words = append(words, r)
		for c := 'a'; c <= 'z'; c++ {
			words = append(words, r+string(c))
		}
	}
	for a := 'a'; a <= 'z'; a++ {
		words = append(words, string(a))
		for b := 'a'; b <= 'z'; b++ {
			words = append(words, string([]rune{a, b}))
			for c := 'a'; c <= 'z'; c++ {
				words = append(words, string([]rune{a, b, c}))
			}
		}
	}
	for _, w := range words {
		if got := in(w); got != (readings[w] && len(w) <= 6) {
			t.Errorf("%q in the trie: %v", w, got)
		}
	}
}

// pinyinAheadByPosition is pinyinAhead as it was first written, measuring
// the run of letters again from every start: FuzzPinyinAhead compares the
// two.
func pinyinAheadByPosition(norm []rune, n *Normalizer) bool {
	if n.letters < minPinyinLetters {
		return false
	}
	var reach [64]bool
	for p := 0; p < len(norm); p++ {
		if norm[p] < 'a' || norm[p] > 'z' {
			continue
		}
		if p > 0 && norm[p-1] >= 'a' && norm[p-1] <= 'z' {
			if from := n.offs[p]; from > 0 && isASCIIAlnum(n.src[from-1]) {
				continue
			}
		}
		end := p
		for end < len(norm) && end-p < len(reach)-1 && norm[end] >= 'a' && norm[end] <= 'z' {
			end++
		}
		if end-p < minPinyinLetters {
			continue
		}
		if st, first := pinyinStarts(), int(norm[p]-'a'+1)*27; !st[first+int(norm[p+1]-'a'+1)] && !st[first] {
			continue
		}
		if syllablesAhead(norm[p:end], pinyinTrie(), &reach) {
			return true
		}
	}
	return false
}

func FuzzPinyinAhead(f *testing.F) {
	for _, s := range []string{"", "加weixin", "jia wei xin", "https://example.com/a/1", "thanks", "ok", "wx:abc", "Shabi", "a-shabi", "xxshabi",
		"ｗｅｉｘｉｎ", "wei_xin", "weixin" + strings.Repeat("a", 70) + " weixin", strings.Repeat("b", 70) + "zhongguo", "u.nu/shanghai 上海", "abcde fghij", "é weixin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var n Normalizer
		norm := n.Normalize(text)
		if got, want := pinyinAhead(norm, &n), pinyinAheadByPosition(norm, &n); got != want {
			t.Fatalf("pinyinAhead(%q) = %v, position by position %v", text, got, want)
		}
	})
}
