package rules

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
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

// pinyinIndex maps each character from pinyinFirst to pinyinLast to one
// plus the index of its reading in pinyinReadings (0: none); it is built
// from the generated table on first use (under a millisecond).
var pinyinIndex = sync.OnceValue(func() []uint16 {
	idx := make([]uint16, pinyinLast-pinyinFirst+1)
	for i, s := range pinyinReadings {
		for _, r := range s {
			if r >= utf8.RuneSelf {
				idx[r-pinyinFirst] = uint16(i + 1)
			}
		}
	}
	return idx
})

// pinyinReading returns the reading of entry i of pinyinReadings: its
// leading Latin letters.
func pinyinReading(i int) string {
	s := pinyinReadings[i]
	for j := 0; j < len(s); j++ {
		if s[j] >= utf8.RuneSelf {
			return s[:j]
		}
	}
	return s
}

// shortSpelt are the categories whose two-character terms are also matched
// spelt wholly in pinyin.
var shortSpelt = []string{"abuse", "ad", "porn", "donation", "vote"}

// notSpelt are whole-term spellings that are mostly other words or names.
var notSpelt = []string{"jianren", "chusheng", "hundan", "budan"}

// reading returns the toneless pinyin of one Han character (its first
// reading), or "" for anything else.
func reading(r rune) string {
	if r < 0x3400 || r > pinyinLast {
		return ""
	}
	if i := pinyinIndex()[r-pinyinFirst]; i > 0 {
		return pinyinReading(int(i) - 1)
	}
	return ""
}

// withPinyin returns pats followed by the pinyin spellings of each term
// (mixed spellings too when mixed is set). A spelling that equals a term
// already present is not added twice.
func withPinyin(pats []Pattern, mixed bool) []Pattern {
	return appendSpellings(pats, pats, mixed, patternKeys(pats))
}

func patternKeys(pats []Pattern) map[string]bool {
	seen := make(map[string]bool, len(pats))
	for _, p := range pats {
		seen[string(p.Norm)+"\x00"+p.Category] = true
	}
	return seen
}

// appendSpellings appends to out the spellings of pats that are not in
// seen (and adds them to it).
func appendSpellings(out, pats []Pattern, mixed bool, seen map[string]bool) []Pattern {
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

// allHan reports whether a normalised term is Chinese characters only.
func allHan(term []rune) bool {
	for _, r := range term {
		if r < 0x3400 {
			return false
		}
	}
	return len(term) > 0
}

// spelt holds the pinyin spellings of the operator's terms that are all
// Chinese characters. Fifty thousand terms make some forty thousand
// spellings, which cost more to compute and compile than all the rest at
// start-up, and most messages cannot hold one: a term of Chinese
// characters is spelt wholly in pinyin, five letters or more, starting a
// word. So the spellings are computed and compiled on the first message
// that holds such a run of letters (pinyinAhead), once.
type spelt struct {
	n     int // how many terms
	once  sync.Once
	terms []int32   // the all-Chinese terms, indices into eager
	eager []Pattern // the patterns compiled already, not to be repeated
	m     *Matcher
}

// matcher returns the matcher of the spellings, building it on first use.
func (s *spelt) matcher() *Matcher {
	s.once.Do(func() {
		terms := make([]Pattern, len(s.terms))
		for i, j := range s.terms {
			terms[i] = s.eager[j]
		}
		s.m = NewMatcher(appendSpellings(nil, terms, false, patternKeys(s.eager)))
		s.terms, s.eager = nil, nil
	})
	return s.m
}

// syllableTrie holds every reading of pinyinReadings as a trie of letters:
// node 0 is the root, next[node][letter] the child (0: none), and end marks
// the nodes that complete a syllable. Walking it from a position finds
// every syllable starting there in at most six steps.
type syllableTrie struct {
	next [][26]uint16
	end  []bool
}

// pinyinTrie is the trie of pinyinReadings.

var pinyinTrie = sync.OnceValue(func() *syllableTrie {
	t := &syllableTrie{next: make([][26]uint16, 1), end: make([]bool, 1)}
	for i := range pinyinReadings {
		s := pinyinReading(i)
		if s == "" || len(s) > 6 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") != "" {
			continue
		}
		u := 0
		for _, c := range []byte(s) {
			if t.next[u][c-'a'] == 0 {
				t.next[u][c-'a'] = uint16(len(t.next))
				t.next = append(t.next, [26]uint16{})
				t.end = append(t.end, false)
			}
			u = int(t.next[u][c-'a'])
		}
		t.end[u] = true
	}
	return t
})

// pinyinStarts marks the pairs of letters a syllable can start with (and
// the letters that are syllables of their own, with a zero second
// letter): most runs of Latin letters are rejected on their first two.
var pinyinStarts = sync.OnceValue(func() *[27 * 27]bool {
	var out [27 * 27]bool
	for i := range pinyinReadings {
		s := pinyinReading(i)
		if s == "" {
			continue
		}
		second := 0
		if len(s) > 1 {
			second = int(s[1]-'a') + 1
		}
		out[int(s[0]-'a'+1)*27+second] = true
	}
	return &out
})

// pinyinAhead reports whether a normalised text holds, starting a word of
// the original, a run of Latin letters of which at least the first
// minPinyinLetters read as a sequence of pinyin syllables: where a
// spelling of an all-Chinese term could match.
func pinyinAhead(norm []rune, n *Normalizer) bool {
	if n.letters < minPinyinLetters {
		return false // most messages: too few letters for any spelling
	}
	var syl *syllableTrie
	var reach [64]bool
	starts := pinyinStarts()
	isLetter := func(r rune) bool { return r >= 'a' && r <= 'z' }
	for p := 0; p < len(norm); {
		if !isLetter(norm[p]) {
			p++
			continue
		}
		// A run of letters, norm[p:e], read once; a word of the original
		// starts at p and wherever the byte before is no letter or digit.
		e := p + 1
		for e < len(norm) && isLetter(norm[e]) {
			e++
		}
		for q := p; q < e; q++ {
			if q > p {
				if from := n.offs[q]; from > 0 && isASCIIAlnum(n.src[from-1]) {
					continue // inside a word of the original
				}
			}
			end := min(e, q+len(reach)-1)
			if end-q < minPinyinLetters {
				break // and so are the rest of the run
			}
			if first := int(norm[q]-'a'+1) * 27; !starts[first+int(norm[q+1]-'a'+1)] && !starts[first] {
				continue
			}
			if syl == nil {
				syl = pinyinTrie()
			}
			if syllablesAhead(norm[q:end], syl, &reach) {
				return true
			}
		}
		p = e
	}
	return false
}

// syllablesAhead reports whether letters start with a sequence of pinyin
// syllables at least minPinyinLetters long; reach is its scratch space,
// one more than the letters.
func syllablesAhead(letters []rune, syl *syllableTrie, reach *[64]bool) bool {
	// Which offsets a sequence of syllables reaches.
	clear(reach[:])
	reach[0] = true
	for i := range letters {
		if !reach[i] {
			continue
		}
		u := uint16(0)
		for l := 1; l <= 6 && i+l <= len(letters); l++ {
			if u = syl.next[u][letters[i+l-1]-'a']; u == 0 {
				break
			}
			if syl.end[u] {
				if i+l >= minPinyinLetters {
					return true
				}
				reach[i+l] = true
			}
		}
	}
	return false
}

// spellings lists the pinyin spellings of a normalised term: nil unless it
// has at least two Han characters and nothing but Han characters, Latin
// letters and digits.
func spellings(term []rune, category string, mixed bool) [][]rune {
	return spell(term, mixed, slices.Contains(shortSpelt, category))
}

// spell is spellings; short keeps the whole-pinyin spellings of
// two-character terms.
func spell(term []rune, mixed, short bool) [][]rune {
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
			if letters < minPinyinLetters || han == 2 && !short || slices.Contains(notSpelt, string(sp)) {
				continue
			}
		}
		if !slices.ContainsFunc(out, func(o []rune) bool { return slices.Equal(o, sp) }) {
			out = append(out, sp)
		}
	}
	return out
}
