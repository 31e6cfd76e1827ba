package content

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Scripts for the labelled pairs: two about the same course and two
// owners' notices, so "different" includes different texts on one subject.
const (
	shopCourse    = `周三晚上八点，直通车实操课开讲。这次不讲概念，直接拿三位学员的店铺现场拆：关键词怎么选、出价怎么调、点击率低的时候先查主图还是先查人群。上次课后小李按这个方法改了标题和主图，两周点击率从百分之一点二涨到了百分之二点六。想旁听的同学提前十分钟进直播间，把自己店铺最近七天的数据截个图准备好，课上有时间就帮大家看。`
	shopCourse2   = `下周一的选品课改到晚上七点半。这节课讲怎么从生意参谋里找蓝海词：先看搜索人气和在线商品数的比值，再看近三十天的趋势，最后结合自己的供应链判断能不能做。课前请把你想做的三个类目写在群里，老师会挑几个有代表性的现场分析。没有开店的同学也可以听，先学会看数据，以后少走弯路。`
	ownersWater   = `各位业主：接物业通知，本周六上午九点到下午三点，五栋和六栋因二次供水水箱清洗停水。请大家提前储水，关好家里的水龙头，避免来水时跑水。清洗完成后前几分钟的水可能发黄，放一会儿就好。有老人独居的邻居，麻烦楼里的朋友帮忙提醒一下。有问题可以在群里说，我们统一汇总给物业。`
	ownersParking = `各位邻居：地库B区的充电桩下周起收费，每度电一块二，服务费另计。业委会跟物业谈了两轮，争取到了夜间十点以后半价。充电车位只给电动车用，燃油车长期占用的，物业会先电话提醒，三次以上贴告知单。大家对收费标准有意见的，可以在周五前填群里的问卷，我们汇总后再去谈。`
	englishNote   = `Quick note for everyone joining Thursday's workshop on product photos: bring your phone, a white sheet of paper and one product you actually sell. We will shoot with window light only, no studio gear, and then compare the same product on a plain and a busy background. Last month the group that did this saw their click-through rate go up within a week.`
)

func TestFingerprintLabelledPairs(t *testing.T) {
	similar := []struct{ name, a, b string }{
		{"a few characters edited", shopCourse, strings.NewReplacer("八点", "七点", "小李", "小王", "两周", "三周").Replace(shopCourse)},
		{"punctuation and spacing redone", shopCourse, strings.NewReplacer("，", ", ", "。", "!\n", "：", " : ").Replace(shopCourse)},
		{"a sentence added", ownersWater, ownersWater + "谢谢大家配合。"},
		{"a clause dropped", ownersWater, strings.Replace(ownersWater, "，避免来水时跑水", "", 1)},
		{"numbers changed", ownersParking, strings.NewReplacer("一块二", "一块五", "十点", "十一点", "三次", "两次").Replace(ownersParking)},
		{"english words edited", englishNote, strings.NewReplacer("Thursday's", "Friday's", "white sheet", "white board", "a week", "two weeks").Replace(englishNote)},
		{"full-width and case", englishNote, strings.ToUpper(englishNote)},
	}
	for _, c := range similar {
		d := Distance(Fingerprint(c.a), Fingerprint(c.b))
		t.Logf("similar %-32s %2d", c.name, d)
		if d > DefaultMaxDistance {
			t.Errorf("%s: distance %d, want at most %d", c.name, d, DefaultMaxDistance)
		}
	}
	texts := map[string]string{"shopCourse": shopCourse, "shopCourse2": shopCourse2, "ownersWater": ownersWater, "ownersParking": ownersParking, "englishNote": englishNote}
	names := []string{"shopCourse", "shopCourse2", "ownersWater", "ownersParking", "englishNote"}
	for i, a := range names {
		for _, b := range names[i+1:] {
			d := Distance(Fingerprint(texts[a]), Fingerprint(texts[b]))
			t.Logf("different %s/%s %2d", a, b, d)
			if d < 2*DefaultMaxDistance {
				t.Errorf("%s and %s: distance %d, want well over %d", a, b, d, DefaultMaxDistance)
			}
		}
	}
}

func TestFingerprintFolding(t *testing.T) {
	if got := Fingerprint("ＡＢＣ，ｄｅｆ１２３"); got != Fingerprint("abc def 123") {
		t.Errorf("full-width and punctuation change the fingerprint: %x", got)
	}
	if got := ExactFingerprint("看 看，这个！"); got != ExactFingerprint("看看这个") {
		t.Errorf("exact fingerprint depends on punctuation: %x", got)
	}
	if ExactFingerprint(ownersWater) == ExactFingerprint(ownersWater+"谢谢") {
		t.Error("exact fingerprint ignores an added word")
	}
	if Fingerprint("") != 0 || Fingerprint("！？…… 👍") != 0 {
		t.Error("text without letters or digits should have fingerprint 0")
	}
	if Fingerprint("好") == 0 || Fingerprint("好的") == 0 {
		t.Error("a text shorter than a shingle should still be fingerprinted")
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b uint64
		want int
	}{
		{0, 0, 0},
		{0, ^uint64(0), 64},
		{0b1011, 0b0001, 2},
		{1 << 63, 1, 2},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%x, %x) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if Distance(tt.a, tt.b) != Distance(tt.b, tt.a) {
			t.Errorf("Distance(%x, %x) is not symmetric", tt.a, tt.b)
		}
	}
	for _, s := range []string{shopCourse, ownersWater, englishNote} {
		for _, u := range []string{shopCourse2, ownersParking} {
			if Distance(Fingerprint(s), Fingerprint(u)) != Distance(Fingerprint(u), Fingerprint(s)) {
				t.Error("Distance of fingerprints is not symmetric")
			}
		}
	}
}

func TestNewPushed(t *testing.T) {
	in := LintInput{Body: ownersWater, Kind: KindText}
	p := NewPushed(7, in)
	if p.ScriptID != 7 || p.SimHash != Fingerprint(ownersWater) || p.Exact != ExactFingerprint(ownersWater) {
		t.Errorf("NewPushed = %+v, want the body's fingerprints", p)
	}
	withURL := NewPushed(7, LintInput{Body: ownersWater, URL: "https://example.com/notice/1"})
	if withURL.Exact == p.Exact || withURL.SimHash != p.SimHash {
		t.Errorf("the link should change the exact fingerprint only: %+v vs %+v", withURL, p)
	}
	withExcerpt := NewPushed(7, LintInput{Body: ownersWater, Excerpt: ownersParking})
	if withExcerpt.SimHash == p.SimHash {
		t.Error("the excerpt should be fingerprinted with the body")
	}
}

func FuzzFingerprint(f *testing.F) {
	for _, s := range []string{"", "好", shopCourse, englishNote, "ＡＢＣ１２３", "\xff\xfe", "a\u200bb"} {
		f.Add(s, "谢谢")
	}
	f.Fuzz(func(t *testing.T, s, extra string) {
		a, b := Fingerprint(s), Fingerprint(s+extra)
		if Fingerprint(s) != a || ExactFingerprint(s) != ExactFingerprint(s) {
			t.Fatal("fingerprint is not deterministic")
		}
		d := Distance(a, b)
		if d < 0 || d > 64 || d != Distance(b, a) {
			t.Fatalf("Distance(%x, %x) = %d", a, b, d)
		}
		// Spacing and punctuation never matter.
		if Fingerprint(strings.Join(strings.Fields(s), " ")+"，。") != Fingerprint(strings.ReplaceAll(s, " ", "")) && utf8.ValidString(s) {
			t.Fatalf("spacing changes the fingerprint of %q", s)
		}
		if len(foldText(s)) == 0 && a != 0 {
			t.Fatalf("text with no letters or digits has fingerprint %x", a)
		}
	})
}
