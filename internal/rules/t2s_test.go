package rules

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestT2SSentences(t *testing.T) {
	tests := []struct{ trad, simp string }{
		{"願主賜福給你、歡迎來我們的查經班", "愿主赐福给你、欢迎来我们的查经班"},
		{"轉發擴散：水庫要洩洪了", "转发扩散：水库要泄洪了"},
		{"遊行示威，週六廣場見", "游行示威，周六广场见"},
		{"澀情影片免費看", "涩情影片免费看"},
		{"關於我們", "关于我们"},
		{"網購詐騙，謹慎轉賬", "网购诈骗，谨慎转账"},
		{"一齣戲", "一出戏"},
	}
	var n Normalizer
	for _, tt := range tests {
		trad := string(n.Normalize(tt.trad))
		simp := string(n.Normalize(tt.simp))
		if trad != simp {
			t.Errorf("Normalize(%q) = %q, but Normalize(%q) = %q", tt.trad, trad, tt.simp, simp)
		}
	}
}

func TestT2SKeepsSimplified(t *testing.T) {
	// Ordinary simplified text: none of it is folded (no character here is
	// a look-alike either), in particular not 乾→干, 著→着, 吒→咤, 薹→苔,
	// 发/面/干 are not "traditionalised" or shifted.
	for _, s := range []string{
		"著名的乾隆皇帝", "乾坤", "头发", "面条", "干净", "哪吒", "蒜薹", "瞭望", "慰藉", "覆盖",
		"什么", "于是", "后来", "里面", "只有", "台湾", "余下", "制造", "钟表",
	} {
		var n Normalizer
		if got := string(n.Normalize(s)); got != s {
			t.Errorf("Normalize(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestT2SOverrides(t *testing.T) {
	// The hand-written pairs win: OpenCC has 帳→帐, the project 帳→账.
	if s, ok := t2s('帳'); !ok || s != '帐' {
		t.Fatalf("t2s(帳) = %c, %v; the generated table changed", s, ok)
	}
	var n Normalizer
	if got := string(n.Normalize("帳號")); got != "账号" {
		t.Errorf("Normalize(帳號) = %q, want 账号", got)
	}
}

func TestT2STable(t *testing.T) {
	tab := t2sRunes()
	if len(tab.from) < 3000 || len(tab.from) != len(tab.to) || utf8.RuneCountInString(t2sPairs) != 2*len(tab.from) {
		t.Fatalf("table decoded to %d and %d runes", len(tab.from), len(tab.to))
	}
	if !slices.IsSorted(tab.from) || len(slices.Compact(slices.Clone(tab.from))) != len(tab.from) {
		t.Fatal("t2sPairs is not sorted by strictly increasing traditional rune")
	}
	if tab.from[0] != t2sFirst || tab.from[len(tab.from)-1] != t2sLast {
		t.Errorf("bounds %U..%U, table %U..%U", t2sFirst, t2sLast, tab.from[0], tab.from[len(tab.from)-1])
	}
	for _, r := range "乾吒薹甯苧著么" {
		if s, ok := t2s(r); ok {
			t.Errorf("t2s(%c) = %c; it is a simplified character", r, s)
		}
	}
	var n Normalizer
	for i, from := range tab.from {
		to := tab.to[i]
		if from == to {
			t.Errorf("%c maps to itself", from)
		}
		if s, ok := t2s(from); !ok || s != to {
			t.Errorf("t2s(%c) = %c, %v, want %c", from, s, ok, to)
		}
		if _, ok := t2s(to); ok {
			t.Errorf("%c→%c, and %c is folded again", from, to, to)
		}
		// Folding is idempotent, the overrides and look-alikes included.
		once := string(n.Normalize(string(from)))
		if twice := string(n.Normalize(once)); twice != once {
			t.Errorf("%c folds to %q, which folds to %q", from, once, twice)
		}
	}
}

// TestT2SSparesGB2312 guards the exclusions when the table is regenerated:
// a character of GB 2312's hanzi rows is in ordinary simplified use, so
// the table may fold only the ones reviewed in gent2s (traditional forms
// or variants whose simplified use is rare).
func TestT2SSparesGB2312(t *testing.T) {
	const reviewed = "後捱摺於榘菸醣麴麽夥徵"
	enc := simplifiedchinese.GBK.NewEncoder()
	var folded []string
	for _, from := range t2sRunes().from {
		b, err := enc.Bytes([]byte(string(from)))
		if err != nil || len(b) != 2 || b[0] < 0xB0 || b[0] > 0xF7 || b[1] < 0xA1 {
			continue // not a GB 2312 hanzi
		}
		if !strings.ContainsRune(reviewed, from) {
			s, _ := t2s(from)
			folded = append(folded, string(from)+"→"+string(s))
		}
	}
	if len(folded) > 0 {
		t.Errorf("the table folds GB 2312 characters not reviewed: %v; exclude them in gent2s or add them to reviewed", folded)
	}
}
