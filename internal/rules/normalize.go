// Package rules is qunzhu's 群规 engine: text normalisation that defeats
// the usual evasions, a multi-pattern matcher over built-in and operator
// dictionaries, rule sets inherited down the organisation tree, the
// evaluation of one message against a rule set, and the rules notice
// rendered from the same rule set, so text and enforcement never disagree.
package rules

import (
	"slices"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalizer folds text into the form dictionaries are matched against:
// NFKC and width folding, lower case, no zero-width or format characters,
// no spaces or punctuation inserted between characters, traditional
// characters as simplified, and look-alikes used to dodge filters (➕, 薇,
// 威…) as the character they imitate. It keeps, for every normalised rune,
// the byte offset of the original rune it came from, so a match can be
// reported as the sender wrote it.
//
// A Normalizer reuses its buffers: it is not safe for concurrent use; keep
// one per goroutine.
type Normalizer struct {
	out   []rune
	offs  []int32 // offs[i]: byte offset in src of the rune out[i] came from
	src   string  // the text last normalised
	table *foldTables
	enc   [utf8.UTFMax]byte
	// letters counts the Latin letters of the text last normalised.
	letters int
}

// Folder returns a function that folds a word as Normalize does, into a
// string: what the digest's terms are counted in, so that 薇信 and 微信
// are one term. Like a Normalizer, it is not safe for concurrent use.
func Folder() func(string) string {
	var n Normalizer
	return func(s string) string { return string(n.Normalize(s)) }
}

// Normalize folds s. The result is valid until the next call.
func (n *Normalizer) Normalize(s string) []rune {
	if n.table == nil {
		n.table = foldTable()
	}
	n.src = s
	// Every rune folded by table lookup takes at least one byte of s and
	// gives at most one rune, so with room for len(s)-i more runes at byte
	// i the loop can store by index; a rune that folds into several (rare)
	// goes through fold, after which the room is restored.
	if min(cap(n.out), cap(n.offs)) < len(s) {
		n.out, n.offs = make([]rune, 0, len(s)+16), make([]int32, 0, len(s)+16)
	}
	out, offs := n.room()
	bmpTable, emoji := &n.table.bmp, &n.table.emoji
	j, letters := 0, 0
	for i := 0; i < len(s); {
		var f rune
		size := 1
		if c := s[i]; c < utf8.RuneSelf {
			f = rune(bmpTable[c])
		} else if c >= 0xE1 && c <= 0xEF && c != 0xED && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			// Three bytes, no overlong or surrogate possible: most CJK.
			f, size = rune(bmpTable[uint16(c)<<12|uint16(s[i+1]&0x3F)<<6|uint16(s[i+2]&0x3F)]), 3
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r < bmp:
				f = rune(bmpTable[r])
			case r >= emojiFirst && r < emojiFirst+emojiSize:
				f = rune(emoji[r-emojiFirst])
			default:
				f = complexFold
			}
		}
		if f == complexFold {
			r, _ := utf8.DecodeRuneInString(s[i:])
			n.out, n.offs = out[:j], offs[:j]
			n.fold(r, int32(i))
			for _, f := range n.out[j:] {
				if uint32(f-'a') < 26 {
					letters++
				}
			}
			n.out = slices.Grow(n.out, len(s)-i-size)
			n.offs = slices.Grow(n.offs, len(s)-i-size)
			j = len(n.out)
			out, offs = n.room()
			i += size
			continue
		}
		// Store unconditionally (there is room) and keep the rune unless it
		// was dropped (f == 0).
		out[j], offs[j] = f, int32(i)
		j += int(uint32(-f) >> 31)
		if uint32(f-'a') < 26 {
			letters++
		}
		i += size
	}
	n.out, n.offs, n.letters = out[:j], offs[:j], letters
	return n.out
}

// room returns out and offs extended to their common capacity.
func (n *Normalizer) room() ([]rune, []int32) {
	k := min(cap(n.out), cap(n.offs))
	return n.out[:k], n.offs[:k]
}

const bmp = 1 << 16

// The emoji blocks, folded by table lookup too: emoji are common in chat
// and all fold to nothing.
const (
	emojiFirst = 0x1F000
	emojiSize  = 0x1000
)

// complexFold marks a rune that folds into several runes, into one beyond
// the Basic Multilingual Plane, or one outside the tables: such runes take
// the slow path (fold). U+FFFF is a noncharacter, which folds to nothing,
// so no rune's one-rune result is ever mistaken for it.
const complexFold = 0xFFFF

// foldTables hold 16 bits a rune (128 KB for the BMP rather than 256): the
// table is read for every rune of every message, and the smaller it is,
// the more of it stays in the processor's cache beside the automaton.
type foldTables struct {
	bmp   [bmp]uint16
	emoji [emojiSize]uint16
}

// foldTable returns the one-rune result of folding each rune of the Basic
// Multilingual Plane and of the emoji blocks (0: dropped, complexFold:
// several runes or one beyond the BMP), computed once from fold itself so the two can never
// disagree — or read, by a dictionary cache this very binary wrote
// (cache.go), with the automaton.
func foldTable() *foldTables {
	if t := folds.Load(); t != nil {
		return t
	}
	folds.CompareAndSwap(nil, computedFolds())
	return folds.Load()
}

// folds is the table in use: computed, or installed from a cache before
// the first message.
var folds atomic.Pointer[foldTables]

var computedFolds = sync.OnceValue(func() *foldTables {
	t := &foldTables{}
	var n Normalizer
	one := func(r rune) uint16 {
		n.out, n.offs = n.out[:0], n.offs[:0]
		n.fold(r, 0)
		switch {
		case len(n.out) == 0:
			return 0
		case len(n.out) == 1 && n.out[0] < complexFold:
			return uint16(n.out[0])
		}
		return complexFold
	}
	for r := rune(0); r < bmp; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates never decode
		}
		t.bmp[r] = one(r)
	}
	for i := range t.emoji {
		t.emoji[i] = one(emojiFirst + rune(i))
	}
	return t
})

// Span returns the original byte range of normalised runes [from, to).
func (n *Normalizer) Span(from, to int) (int, int) {
	if from >= to || to > len(n.offs) {
		return 0, 0
	}
	last := int(n.offs[to-1])
	// The size of the rune there, as Normalize read it: its three-byte
	// case inline (most Chinese), the rest decoded.
	size := 1
	if s := n.src[last:]; len(s) > 2 && s[0] >= 0xE1 && s[0] <= 0xEF && s[0] != 0xED && s[1]&0xC0 == 0x80 && s[2]&0xC0 == 0x80 {
		size = 3
	} else if len(s) > 0 && s[0] >= utf8.RuneSelf {
		_, size = utf8.DecodeRuneInString(s)
	}
	return int(n.offs[from]), last + size
}

func (n *Normalizer) emit(r rune, start int32) {
	n.out = append(n.out, r)
	n.offs = append(n.offs, start)
}

// fold appends the normalised form of one input rune.
func (n *Normalizer) fold(r rune, start int32) {
	if r < utf8.RuneSelf { // ASCII fast path
		switch {
		case r >= 'A' && r <= 'Z':
			n.emit(r+'a'-'A', start)
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			n.emit(r, start)
		case r == '+':
			n.emit('加', start)
		case r == '@':
			n.emit('@', start)
		}
		return // spaces and punctuation vanish
	}
	if m, ok := variants[r]; ok {
		if m != 0 {
			n.emit(m, start)
		}
		return
	}
	if unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || unicode.Is(unicode.Mn, r) {
		return
	}
	// NFKC: full-width letters and digits, circled digits, ligatures,
	// compatibility ideographs.
	if r >= 0x4E00 && r <= 0x9FFF { // CJK unified ideographs are NFKC-normal
		n.emitPlain(r, start)
		return
	}
	rb := utf8.AppendRune(n.enc[:0], r)
	if d := norm.NFKC.Properties(rb).Decomposition(); len(d) > 0 {
		// The compatibility decomposition (the D of NFKD): full-width
		// letters, circled digits, ligatures, compatibility ideographs.
		for j := 0; j < len(d); {
			q, sz := utf8.DecodeRune(d[j:])
			j += sz
			if q == r {
				n.emitPlain(q, start)
				continue
			}
			n.fold(q, start)
		}
		return
	}
	n.emitPlain(r, start)
}

func (n *Normalizer) emitPlain(r rune, start int32) {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		if unicode.IsUpper(r) {
			r = unicode.ToLower(r)
			if m, ok := variants[r]; ok {
				if m != 0 {
					n.emit(m, start)
				}
				return
			}
		}
		// Traditional to simplified: the hand-written pairs win over the
		// table generated from OpenCC.
		if s, ok := simplified[r]; ok {
			r = s
		} else if s, ok := t2s(r); ok {
			// The simplified form may be a look-alike in turn (摳 is 抠,
			// which is 扣): fold it like the rune itself would be.
			if m, ok := variants[s]; ok {
				if m != 0 {
					n.emit(m, start)
				}
				return
			}
			r = s
		}
		n.emit(r, start)
	case unicode.IsNumber(r): // other number forms NFKC left alone
		n.emit(r, start)
	}
	// Everything else — punctuation, symbols, emoji — is a separator.
}
