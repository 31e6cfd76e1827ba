package rules

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The FAQ's keys are matched like the rules' words: normalised (課表 is
// 课表, "ＫＥ　ＢＩＡＯ" is "kebiao"), and each key of Chinese characters
// also spelt in toneless pinyin, wholly or in any mix with the characters
// (kebiao, ke表, 课biao) — a key is an operator's word, so its two-character
// spellings are kept whatever the category (the rules keep them only for
// abuse and ads). Latin keys and spellings match whole words only.

// phraseIndex is an FAQ's compiled keys, built on first use.
type phraseIndex struct {
	once sync.Once
	m    *Matcher
}

// normalizers lends Normalizers to concurrent matches.
var normalizers = sync.Pool{New: func() any { return &Normalizer{} }}

func (f *FAQ) compiled() *Matcher {
	ix := f.index
	if ix == nil { // an FAQ not checked (built by hand): compile now
		ix = &phraseIndex{}
		f.index = ix
	}
	ix.once.Do(func() {
		var n Normalizer
		var pats []Pattern
		seen := map[string]bool{}
		for i, e := range f.Entries {
			if e.Off {
				continue
			}
			for _, k := range e.Keys {
				norm := []rune(string(n.Normalize(k)))
				if len(norm) == 0 {
					continue
				}
				p := Pattern{Term: k, Category: "faq", Norm: norm, Tag: uint32(i)}
				pats = append(pats, p)
				for _, sp := range spell(norm, true, true) {
					key := string(sp) + "\x00" + strconv.Itoa(i)
					if !seen[key] {
						seen[key] = true
						pats = append(pats, Pattern{Term: k, Category: "faq", Norm: sp, Pinyin: true, Tag: uint32(i)})
					}
				}
			}
		}
		ix.m = NewMatcher(pats)
	})
	return ix.m
}

// Ask finds the entry a message asks for: the one whose key matched is
// the longest (the most specific), the first in order among equals; ok is
// false when no key matches. term is the key as written.
func (f *FAQ) Ask(text string) (entry int, term string, ok bool) {
	if len(f.Entries) == 0 || text == "" {
		return 0, "", false
	}
	m := f.compiled()
	if m.Len() == 0 {
		return 0, "", false
	}
	n := normalizers.Get().(*Normalizer)
	defer normalizers.Put(n)
	norm := n.Normalize(text)
	best, bestLen := -1, 0
	m.Match(norm, func(p *Pattern, end int) bool {
		from, to := n.Span(end-len(p.Norm), end)
		if asciiWord(p.Norm) && !wordBoundary(text, from, to) || p.Pinyin && !pinyinBoundary(p.Norm, text, from, to) {
			return true
		}
		l := utf8.RuneCountInString(p.Term)
		if i := int(p.Tag); l > bestLen || l == bestLen && i < best {
			best, bestLen, term = i, l, p.Term
		}
		return true
	})
	if best < 0 {
		return 0, "", false
	}
	return best, term, true
}

// Note finds the entry a member calls by name ("/课表", "#課表", "课表"):
// names are compared normalised.
func (f *FAQ) Note(name string) (int, bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, false
	}
	n := normalizers.Get().(*Normalizer)
	defer normalizers.Put(n)
	want := string(n.Normalize(name))
	if want == "" {
		return 0, false
	}
	for i, e := range f.Entries {
		if !e.Off && string(n.Normalize(strings.TrimSpace(e.Name))) == want {
			return i, true
		}
	}
	return 0, false
}
