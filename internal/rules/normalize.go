// Package rules is qunzhu's 群规 engine: text normalisation that defeats
// the usual evasions, a multi-pattern matcher over built-in and operator
// dictionaries, rule sets inherited down the organisation tree, the
// evaluation of one message against a rule set, and the rules notice
// rendered from the same rule set, so text and enforcement never disagree.
package rules

import (
	"sync"
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
	out  []rune
	offs []int32 // offs[i]: byte offset in the input of out[i]
	ends []int32 // ends[i]: byte offset just after the original rune
	enc  [utf8.UTFMax]byte
}

// Normalize folds s. The result is valid until the next call.
func (n *Normalizer) Normalize(s string) []rune {
	n.out, n.offs, n.ends = n.out[:0], n.offs[:0], n.ends[:0]
	table := foldTable()
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r < bmp {
			switch f := table[r]; f {
			case 0: // dropped
			case complexFold:
				n.fold(r, int32(i), int32(i+size))
			default:
				n.emit(f, int32(i), int32(i+size))
			}
		} else {
			n.fold(r, int32(i), int32(i+size))
		}
		i += size
	}
	return n.out
}

const bmp = 1 << 16

// complexFold marks a rune that folds into several runes.
const complexFold = -1

// foldTable is the one-rune result of folding each rune of the Basic
// Multilingual Plane (0: dropped, complexFold: several runes), computed
// once from fold itself so the two can never disagree.
var foldTable = sync.OnceValue(func() *[bmp]rune {
	var t [bmp]rune
	var n Normalizer
	for r := rune(0); r < bmp; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates never decode
		}
		n.out, n.offs, n.ends = n.out[:0], n.offs[:0], n.ends[:0]
		n.fold(r, 0, 1)
		switch len(n.out) {
		case 0:
		case 1:
			t[r] = n.out[0]
		default:
			t[r] = complexFold
		}
	}
	return &t
})

// Span returns the original byte range of normalised runes [from, to).
func (n *Normalizer) Span(from, to int) (int, int) {
	if from >= to || to > len(n.offs) {
		return 0, 0
	}
	return int(n.offs[from]), int(n.ends[to-1])
}

func (n *Normalizer) emit(r rune, start, end int32) {
	n.out = append(n.out, r)
	n.offs = append(n.offs, start)
	n.ends = append(n.ends, end)
}

// fold appends the normalised form of one input rune.
func (n *Normalizer) fold(r rune, start, end int32) {
	if r < utf8.RuneSelf { // ASCII fast path
		switch {
		case r >= 'A' && r <= 'Z':
			n.emit(r+'a'-'A', start, end)
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			n.emit(r, start, end)
		case r == '+':
			n.emit('加', start, end)
		case r == '@':
			n.emit('@', start, end)
		}
		return // spaces and punctuation vanish
	}
	if m, ok := variants[r]; ok {
		if m != 0 {
			n.emit(m, start, end)
		}
		return
	}
	if unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || unicode.Is(unicode.Mn, r) {
		return
	}
	// NFKC: full-width letters and digits, circled digits, ligatures,
	// compatibility ideographs.
	if r >= 0x4E00 && r <= 0x9FFF { // CJK unified ideographs are NFKC-normal
		n.emitPlain(r, start, end)
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
				n.emitPlain(q, start, end)
				continue
			}
			n.fold(q, start, end)
		}
		return
	}
	n.emitPlain(r, start, end)
}

func (n *Normalizer) emitPlain(r rune, start, end int32) {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		if unicode.IsUpper(r) {
			r = unicode.ToLower(r)
			if m, ok := variants[r]; ok {
				if m != 0 {
					n.emit(m, start, end)
				}
				return
			}
		}
		if s, ok := simplified[r]; ok {
			r = s
		}
		n.emit(r, start, end)
	case unicode.IsNumber(r): // other number forms NFKC left alone
		n.emit(r, start, end)
	}
	// Everything else — punctuation, symbols, emoji — is a separator.
}
