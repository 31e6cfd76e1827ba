package content

import (
	"math/bits"
	"strings"
	"unicode"
)

// Near-duplicate detection.
//
// A script's fingerprint is a 64-bit SimHash: the text is folded (lower
// case, full-width letters and digits as ASCII, everything but letters and
// digits dropped, so spacing, punctuation and emoji do not matter), cut into
// overlapping character shingles of ShingleSize runes (Chinese has no
// spaces, so characters rather than words; the same for English keeps one
// scheme), each shingle hashed to 64 bits, and bit i of the fingerprint set
// when more shingles have bit i set than clear. Texts that share most of
// their shingles get fingerprints that differ in few bits, so the Hamming
// distance between two fingerprints (Distance) estimates how different the
// texts are: 0 for the same folded text, about 32 for unrelated texts.
//
// DefaultMaxDistance is the distance at or under which Lint calls a script a
// near-duplicate. It was chosen on the labelled pairs in simhash_test.go:
// a script of one or two hundred characters with a few words edited, a
// sentence added or dropped, numbers changed or the punctuation redone lands
// at 0–10; different scripts, including two on the same subject (two posts
// about courses, two owners' notices), land at 26–36. For unrelated texts
// the distance is Binomial(64, ½), so 12 or less happens about once in four
// million pairs: a script compared with 10,000 pushed ones is wrongly called
// a near-duplicate of an unrelated one about once in 400 lints, and the
// reviewer sees the script it is said to repeat. Very short texts are noisy,
// so near-duplicates are only looked for when the folded text has at least
// MinFingerprintRunes runes; the exact check (ExactFingerprint) has no such
// floor.
//
// Fingerprints are meant to be stored: FingerprintVersion changes whenever
// the folding, the shingles or the hash change, and stored fingerprints of
// an older version must be recomputed from the scripts' text.
const (
	ShingleSize         = 3
	DefaultMaxDistance  = 12
	MinFingerprintRunes = 20
	FingerprintVersion  = 1
)

// Fingerprint returns the 64-bit SimHash of text (0 for text with no
// letters or digits).
func Fingerprint(text string) uint64 {
	return simhash(foldText(text))
}

// Distance is the Hamming distance between two fingerprints: the number of
// bits in which they differ, from 0 to 64.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// ExactFingerprint is a 64-bit hash of the folded text: two texts that
// differ only in spacing, punctuation, case or width have the same one.
func ExactFingerprint(text string) uint64 {
	return hashRunes(fnvOffset, foldText(text))
}

// foldText keeps the letters and digits of s, lower case, with full-width
// ASCII folded to ASCII.
func foldText(s string) []rune {
	out := make([]rune, 0, len(s)/2)
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		out = append(out, unicode.ToLower(r))
	}
	return out
}

func simhash(rs []rune) uint64 {
	if len(rs) == 0 {
		return 0
	}
	n := min(ShingleSize, len(rs))
	var votes [64]int32
	for i := 0; i+n <= len(rs); i++ {
		h := hashRunes(fnvOffset, rs[i:i+n])
		for b := range votes {
			votes[b] += int32(h>>b&1)*2 - 1
		}
	}
	var f uint64
	for b, v := range votes {
		if v > 0 {
			f |= 1 << b
		}
	}
	return f
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashRunes is FNV-1a over the runes' code points (four bytes each),
// followed by a finaliser that spreads every input bit over all 64 output
// bits: FNV alone leaves the high bits of short inputs poorly mixed, and
// SimHash needs every bit to be a fair coin.
func hashRunes(h uint64, rs []rune) uint64 {
	for _, r := range rs {
		for k := 0; k < 4; k++ {
			h ^= uint64(byte(r >> (8 * k)))
			h *= fnvPrime
		}
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Pushed is what near-duplicate detection needs of a script that was
// already pushed: the store keeps these two numbers with the script.
type Pushed struct {
	ScriptID int64  `json:"script_id"`
	SimHash  uint64 `json:"simhash"`
	Exact    uint64 `json:"exact"`
}

// NewPushed fingerprints a script the way Lint compares it: the body and
// the excerpt, and for the exact check the link as well.
func NewPushed(id int64, in LintInput) Pushed {
	sim, exact, _ := fingerprints(in)
	return Pushed{ScriptID: id, SimHash: sim, Exact: exact}
}

// fingerprints returns the SimHash and the exact hash of a script, and the
// number of folded runes the SimHash was computed over.
func fingerprints(in LintInput) (sim, exact uint64, runes int) {
	text := in.Body
	if in.Excerpt != "" {
		text += "\n" + in.Excerpt
	}
	folded := foldText(text)
	exact = hashRunes(fnvOffset, folded)
	if u := strings.TrimSpace(in.URL); u != "" {
		exact = hashRunes(exact, []rune(u))
	}
	return simhash(folded), exact, len(folded)
}
