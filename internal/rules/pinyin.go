package rules

import (
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// Pinyin evasion: a sender who knows the group filters 加微信 writes
// "jia wei xin", "+weixin" or "加wei信"; one who knows 傻逼 is filtered writes
// "shabi". Messages are normalised (spaces, punctuation and case are gone,
// "+" is 加), so each dictionary term only needs its pinyin spellings as
// extra patterns of the same category: the whole term in toneless pinyin,
// and — for the built-in terms, which are short and few — every mix of
// characters and pinyin syllables.
//
// Pinyin spellings are Latin letters, so a generated pattern that begins or
// ends with a letter only matches where the sender's text has a word
// boundary there ("shabi" but not "shabiz"). Pinyin is ambiguous — every
// syllable is many characters — so a term spelt wholly in pinyin must have
// at least minPinyinLetters letters ("dubo", "qusi" are too often
// something else), a two-character term is spelt wholly in pinyin only in
// the categories where that evasion is common and the spelling rarely means
// anything else (bingdu is 冰毒 but mostly 病毒, bocai is 博彩 but mostly
// 菠菜), and each character takes its first reading only: the later
// readings of heteronyms produce more accidents than catches.

const (
	minPinyinLetters = 5
	// maxMixedRunes is the longest built-in term whose mixed spellings are
	// generated (2^n of them).
	maxMixedRunes = 4
)

var pinyinArgs = sync.OnceValue(func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal // no tones; ü as v
	return a
})

// shortSpelt are the categories whose two-character terms are also matched
// spelt wholly in pinyin.
var shortSpelt = []string{"abuse", "ad", "porn", "donation", "vote"}

// notSpelt are whole-term spellings that are mostly other words or names.
var notSpelt = []string{"jianren", "chusheng", "hundan", "budan"}

// reading returns the toneless pinyin of one Han character, or "" for
// anything else.
func reading(r rune) string {
	if r < 0x3400 {
		return ""
	}
	if p := pinyin.SinglePinyin(r, pinyinArgs()); len(p) > 0 {
		return p[0]
	}
	return ""
}

// withPinyin returns pats followed by the pinyin spellings of each term
// (mixed spellings too when mixed is set). A spelling that equals a term
// already present is not added twice.
func withPinyin(pats []Pattern, mixed bool) []Pattern {
	seen := make(map[string]bool, len(pats))
	for _, p := range pats {
		seen[string(p.Norm)+"\x00"+p.Category] = true
	}
	out := pats
	for _, p := range pats {
		for _, sp := range spellings(p.Norm, p.Category, mixed) {
			key := string(sp) + "\x00" + p.Category
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Pattern{Term: p.Term, Category: p.Category, Norm: sp, Pinyin: true})
		}
	}
	return out
}

// spellings lists the pinyin spellings of a normalised term: nil unless it
// has at least two Han characters and nothing but Han characters, Latin
// letters and digits.
func spellings(term []rune, category string, mixed bool) [][]rune {
	han := 0
	read := make([]string, len(term))
	for i, r := range term {
		switch {
		case r < utf8.RuneSelf:
			if !alnum(r) {
				return nil
			}
		default:
			if read[i] = reading(r); read[i] == "" {
				return nil
			}
			han++
		}
	}
	if han < 2 {
		return nil
	}
	// Which characters are spelt: all of them, or (mixed) any non-empty
	// subset of them.
	all := uint(1)<<len(term) - 1
	masks := []uint{all}
	if mixed && len(term) <= maxMixedRunes {
		masks = masks[:0]
		for m := uint(1); m <= all; m++ {
			masks = append(masks, m)
		}
	}
	var out [][]rune
	for _, mask := range masks {
		var sp []rune
		spelt, letters := 0, 0
		for i, r := range term {
			if mask&(1<<i) == 0 || read[i] == "" {
				sp = append(sp, r)
				continue
			}
			sp = append(sp, []rune(read[i])...)
			spelt++
			letters += len(read[i])
		}
		if spelt == 0 {
			continue // only Latin letters marked: the term itself
		}
		if spelt == han && len(term) == han {
			// The whole term in pinyin.
			if letters < minPinyinLetters || han == 2 && !slices.Contains(shortSpelt, category) || slices.Contains(notSpelt, string(sp)) {
				continue
			}
		}
		if !slices.ContainsFunc(out, func(o []rune) bool { return slices.Equal(o, sp) }) {
			out = append(out, sp)
		}
	}
	return out
}
