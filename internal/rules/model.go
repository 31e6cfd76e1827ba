package rules

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
)

// The model: what words and recognisers miss — a rumour told calmly, an
// appeal that only names the sum, a plea for votes in fans' slang, spam and
// abuse in English — a statistical model of how violations read catches
// more of. It is a multinomial logistic regression over hashed features of
// a message: the character 1- to 3-grams of its normalised text, its Latin
// words and pairs of words, and which of the recognisers' cue lists it
// holds (an alarm, a plea, hearsay…).
//
// It is trained offline, on public labelled data and the project's own
// corpora, by cmd genmodel (internal/rules/genmodel), which writes
// model.bin: weights quantised to 8 bits, per-category thresholds chosen on
// the dev split, and a small gate (below). The file is embedded and read
// on first use, in a few milliseconds; nothing is trained at start-up. What
// it was trained on, and how well it does on data it never saw, is in
// docs/rules-eval.md.
//
// A category's verdict from the model is a warning, whatever the rule
// set's action for the category — a guess is never grounds for removing a
// member — unless the model's precision for that category on held-out data
// is at least 99%: then, above that category's enforcement threshold, its
// verdict is the rule set's action (model.bin says which categories; the
// held-out test checks the 99%). The audit names the model ("model", with
// its confidence).

//go:embed model.bin
var modelFile []byte

// modelClasses are the model's outputs: clean, then the built-in
// categories.
var modelClasses = append([]string{"clean"}, Categories...)

const nClasses = 11

// Model is a trained classifier; immutable, safe for concurrent use.
//
// Scoring reads the weights quantised to 8 bits, offset by 128, packed in
// two 64-bit words per bucket: adding a feature's row is four masked 64-bit
// additions into 16-bit lanes (SWAR) instead of eleven. Most messages are
// clean, so a gate — a one-byte-per-bucket binary model of "clean or not",
// small enough to stay in the processor's cache — decides first whether
// the full model needs to look at all.
type Model struct {
	logB  uint
	rows  [][2]uint64
	scale float32
	bias  [nClasses]float32

	gateLog   uint
	gate      []int8
	gateScale float32
	gateBias  float32
	gateMin   float32 // the gate's logit below which a message is clean

	// seen marks the 2- and 3-grams of the training data: a message most of
	// whose grams the model never saw (prose unlike any chat) is not one it
	// can judge.
	seenLog uint
	seen    []uint64
	support float32

	// warn[s][c] is the log-odds of "not clean" at which category c is
	// reported in a message of script s (Chinese or Latin: the model is
	// surer of some things in one language than in the other); enforce,
	// when not 0, the log-odds at which the category's own action applies.
	warn, enforce [nScripts][nClasses]float32

	about string // how it was trained: settings and data (cmd genmodel)
}

// Feature hashing. Every feature is a 64-bit hash: its top bits choose the
// model's bucket, its low bits the support bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	seedWord  = 0x57A9D3C4B1E2F607
	seedPair  = 0x3C6EF372FE94F82B
	seedCue   = 0xA54FF53A5F1D36F1
)

func fmix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// The model judges a message with at least modelMinHan Chinese characters
// or modelMinWords Latin words: on a few letters ("v12345", a link) it is
// confident about nothing it knows.
const (
	modelMinHan   = 6
	modelMinWords = 4
)

// features holds the feature hashes of one message and what the model
// needs to know about them.
type features struct {
	h     []uint64 // h[:grams] are the 2- and 3-grams
	grams int
	han   int
	words int
}

// Scripts: a message is judged as Chinese unless it has more Latin words
// than Chinese characters.
const (
	scriptZh = iota
	scriptEn
	nScripts
)

var scriptNames = [nScripts]string{"zh", "en"}

func (f *features) script() int {
	if f.words > f.han {
		return scriptEn
	}
	return scriptZh
}

// enough reports whether the message has enough text for the model.
func (f *features) enough() bool { return f.han >= modelMinHan || f.words >= modelMinWords }

// extract fills f with the features of a message: norm is its normalised
// text, text the original (for Latin words), cue the cue lists it holds.
func (f *features) extract(norm []rune, text string, cue cues) {
	h := f.h[:0]
	han, letters := 0, 0
	// 2- and 3-grams first (the support is counted over them), then
	// 1-grams.
	for i, r := range norm {
		if r >= 0x4E00 && r <= 0x9FFF {
			han++
		} else if r >= 'a' && r <= 'z' {
			letters++
		}
		if i+1 >= len(norm) {
			break
		}
		x := (uint64(fnvOffset) ^ uint64(r)) * fnvPrime
		x = (x ^ uint64(norm[i+1])) * fnvPrime
		h = append(h, fmix(x^2<<56))
		if i+2 < len(norm) {
			x = (x ^ uint64(norm[i+2])) * fnvPrime
			h = append(h, fmix(x^3<<56))
		}
	}
	grams := len(h)
	for _, r := range norm {
		h = append(h, fmix(((fnvOffset^uint64(r))*fnvPrime)^1<<56))
	}
	words := 0
	if letters > 0 {
		// Latin words of two letters or more, lower case, and each pair of
		// neighbours.
		var prev uint64
		for i := 0; i < len(text); {
			c := text[i] | 0x20
			if c < 'a' || c > 'z' {
				i++
				continue
			}
			w := uint64(fnvOffset ^ seedWord)
			j := i
			for ; j < len(text); j++ {
				c := text[j] | 0x20
				if c < 'a' || c > 'z' {
					break
				}
				w = (w ^ uint64(c)) * fnvPrime
			}
			if j-i >= 2 {
				words++
				h = append(h, fmix(w))
				if prev != 0 {
					h = append(h, fmix(prev*31^w^seedPair))
				}
				prev = w
			}
			i = j
		}
	}
	for l := range cueCount {
		if cue.has(l) {
			h = append(h, fmix(seedCue+uint64(l)))
		}
	}
	f.h, f.grams, f.han, f.words = h, grams, han, words
}

// ModelFeatures returns the feature hashes of a message as the model sees
// them, for training (cmd genmodel): the hashes, and how many of the first
// are the 2- and 3-grams the support is counted over. ok is false when the
// message has too little text for the model to judge.
func ModelFeatures(text string) (hashes []uint64, grams int, ok bool) {
	var n Normalizer
	norm := n.Normalize(text)
	var f features
	f.extract(norm, text, findCues(norm))
	return f.h, f.grams, f.enough()
}

// ModelScript returns "zh" or "en": which of the model's thresholds apply
// to a message (cmd genmodel chooses them per script).
func ModelScript(text string) string {
	var n Normalizer
	norm := n.Normalize(text)
	var f features
	f.extract(norm, text, 0)
	return scriptNames[f.script()]
}

const lanes = 0x00FF00FF00FF00FF // the even bytes of a word, as 16-bit lanes

// predict returns the likeliest category of a message (its class index, 0
// for clean) and the log-odds that it is not clean: log(P(not clean) /
// P(clean)), which unlike the probability does not round to 1 for the
// messages the model is surest of. It allocates nothing.
func (m *Model) predict(f *features) (int, float64) {
	if len(f.h) == 0 {
		return 0, math.Inf(-1)
	}
	norm := 1 / float32(math.Sqrt(float64(len(f.h))))
	if f.grams > 0 && m.support > 0 {
		known := 0
		mask := uint64(1)<<m.seenLog - 1
		for _, x := range f.h[:f.grams] {
			b := x & mask
			known += int(m.seen[b>>6] >> (b & 63) & 1)
		}
		if float32(known) < m.support*float32(f.grams) {
			return 0, math.Inf(-1)
		}
	}
	var z [nClasses]float32
	m.logits(f.h, norm, &z)
	best := 1
	for c := 2; c < nClasses; c++ {
		if z[c] > z[best] {
			best = c
		}
	}
	if z[0] >= z[best] {
		return 0, math.Inf(-1)
	}
	// log Σ_{c>0} e^{z_c} − z_0
	sum := 0.0
	for c := 1; c < nClasses; c++ {
		sum += math.Exp(float64(z[c] - z[best]))
	}
	return best, float64(z[best]-z[0]) + math.Log(sum)
}

// logits sums the quantised rows of the features into z, scaled by norm
// (one over the square root of their number, so that a long text is not
// surer than a short one only for its length), with the biases.
func (m *Model) logits(h []uint64, norm float32, z *[nClasses]float32) {
	var zi [nClasses]int32
	// 16-bit lanes: even and odd bytes of each word. A lane gains at most
	// 255 per feature, so they are flushed every 256 features.
	var e0, o0, e1, o1 uint64
	flush := func() {
		for k := range 4 {
			zi[2*k] += int32(e0>>(16*k)) & 0xFFFF
			zi[2*k+1] += int32(o0>>(16*k)) & 0xFFFF
		}
		for k := range 2 {
			zi[8+2*k] += int32(e1>>(16*k)) & 0xFFFF
		}
		zi[9] += int32(o1) & 0xFFFF
		e0, o0, e1, o1 = 0, 0, 0, 0
	}
	shift := 64 - m.logB
	for i, x := range h {
		row := &m.rows[x>>shift]
		e0 += row[0] & lanes
		o0 += row[0] >> 8 & lanes
		e1 += row[1] & lanes
		o1 += row[1] >> 8 & lanes
		if i%256 == 255 {
			flush()
		}
	}
	flush()
	for c, v := range zi {
		z[c] = float32(v-128*int32(len(h)))*m.scale*norm + m.bias[c]
	}
}

// The gate reads only the pairs of neighbouring runes of the normalised
// text and the cue lists, each hashed with one multiplication into a table
// of one byte per bucket (64 KB): it costs a few nanoseconds a rune, and
// the full model — its features hashed, its rows of 16 bytes in a table of
// a megabyte — runs only for the messages it lets through.

// gateBucket is the gate's bucket of the neighbours a, b (or of cue list
// a, with b = -1).
func gateBucket(a, b rune, log uint) uint32 {
	return uint32((uint64(a)<<32 | uint64(uint32(b))) * 0x9E3779B97F4A7C15 >> (64 - log))
}

// gateLogit returns the gate's score of a normalised text with its cue
// lists.
func (m *Model) gateLogit(norm []rune, cue cues) float32 {
	return m.gateLogitOf(gateSum(norm, m.gate, m.gateLog), len(norm), cue)
}

// gateSum sums the gate's weights of the neighbouring runes of norm.
func gateSum(norm []rune, gate []int8, log uint) int32 {
	s := int32(0)
	for i := 1; i < len(norm); i++ {
		s += int32(gate[gateBucket(norm[i-1], norm[i], log)])
	}
	return s
}

// gateLogitOf completes the gate's score of a normalised text of runes
// runes whose neighbours' weights sum to s (gateSum, or Matcher.matchSum
// in the automaton's pass).
func (m *Model) gateLogitOf(s int32, runes int, cue cues) float32 {
	n := max(runes-1, 0)
	log := m.gateLog
	// The cue lists present, lowest first: most messages have none.
	for c := uint32(cue) & (1<<cueCount - 1); c != 0; c &= c - 1 {
		l := bits.TrailingZeros32(c)
		s += int32(m.gate[gateBucket(0x110000+rune(l), -1, log)])
		n++
	}
	if n == 0 {
		return float32(math.Inf(-1))
	}
	root := float32(0)
	if n < len(gateRoots) {
		root = gateRoots[n]
	} else {
		root = float32(math.Sqrt(float64(n)))
	}
	return float32(s)*m.gateScale/root + m.gateBias
}

// gateRoots are the square roots of the counts of a chat message's
// neighbours, computed as gateLogitOf would: a square root costs as much as
// the rest of the gate's score.
var gateRoots = func() (r [512]float32) {
	for n := range r {
		r[n] = float32(math.Sqrt(float64(n)))
	}
	return r
}()

// passes reports whether the gate lets a message through to the model.
func (m *Model) passes(norm []rune, cue cues) bool { return m.gateLogit(norm, cue) >= m.gateMin }

// passesSum is passes for a text whose neighbours' weights were summed
// already (Matcher.matchSum).
func (m *Model) passesSum(s int32, runes int, cue cues) bool {
	return m.gateLogitOf(s, runes, cue) >= m.gateMin
}

// GateFeatures returns the gate's buckets of a message, for training (cmd
// genmodel): one per pair of neighbouring runes of the normalised text and
// one per cue list it holds, in a table of 1<<log buckets.
func GateFeatures(text string, log int) []uint32 {
	var n Normalizer
	norm := n.Normalize(text)
	var out []uint32
	for i := 1; i < len(norm); i++ {
		out = append(out, gateBucket(norm[i-1], norm[i], uint(log)))
	}
	cue := findCues(norm)
	for l := range cueCount {
		if cue.has(l) {
			out = append(out, gateBucket(0x110000+rune(l), -1, uint(log)))
		}
	}
	return out
}

// GateLogit returns the gate's score of a message (cmd genmodel sets the
// gate's minimum from it), and whether the message has enough text for
// the model.
func (m *Model) GateLogit(text string) (float32, bool) {
	var n Normalizer
	norm := n.Normalize(text)
	var f features
	cue := findCues(norm)
	f.extract(norm, text, cue)
	return m.gateLogit(norm, cue), f.enough()
}

// WithGate returns a copy of the model whose gate passes messages scoring
// at least min.
func (m *Model) WithGate(min float32) *Model {
	out := *m
	out.gateMin = min
	return &out
}

// Judgement is what the model says about one message.
type Judgement struct {
	Category string  // "" when clean
	Script   string  // "zh" or "en": which thresholds apply
	Margin   float64 // the log-odds that it is not clean
	Score    float64 // the same as a probability
	// Reported: Margin reaches the category's threshold.
	Reported bool
	// Enforce: Margin reaches the category's enforcement threshold (the
	// model's precision for it on held-out data is at least 99%).
	Enforce bool
}

// Judge returns what the model says about a message, whatever the words
// say (the engine asks it only when they found nothing).
func (m *Model) Judge(text string) Judgement {
	var n Normalizer
	norm := n.Normalize(text)
	cue := findCues(norm)
	if !m.passes(norm, cue) {
		return Judgement{}
	}
	var f features
	f.extract(norm, text, cue)
	if !f.enough() {
		return Judgement{}
	}
	return m.judge(&f)
}

func (m *Model) judge(f *features) Judgement {
	c, q := m.predict(f)
	if c == 0 {
		return Judgement{}
	}
	s := f.script()
	return Judgement{Category: modelClasses[c], Script: scriptNames[s], Margin: q, Score: 1 / (1 + math.Exp(-q)),
		Reported: q >= float64(m.warn[s][c]), Enforce: m.enforce[s][c] != 0 && q >= float64(m.enforce[s][c])}
}

var cueOnly = sync.OnceValue(func() *Matcher { return NewMatcher(cuePatterns()) })

// findCues returns the cue lists present in norm (for Judge and training;
// classify gets them from its allow pass).
func findCues(norm []rune) cues {
	var c cues
	cueOnly().Match(norm, func(p *Pattern, _ int) bool {
		c |= 1 << p.Tag
		return true
	})
	return c
}

// ModelTerm is the Term of a hit from the model (Hit.Score is its
// confidence). Uses that need evidence in words, such as the lint of push
// scripts, leave such hits out.
const ModelTerm = "model"

// builtinModel is the shipped model, read from model.bin on first use.
var builtinModel = sync.OnceValue(func() *Model {
	m, err := LoadModel(modelFile)
	if err != nil {
		panic("rules: the embedded model: " + err.Error())
	}
	return m
})

// BuiltinModel returns the shipped model.
func BuiltinModel() *Model { return builtinModel() }

// ModelSpec is a trained model before quantisation (cmd genmodel).
type ModelSpec struct {
	LogBuckets int       // the model has 1<<LogBuckets buckets
	Weights    []float32 // bucket-major: Weights[b*11+c], c indexing "clean" then Categories
	Bias       []float32 // per class
	// Clip: weights beyond ±Clip are clipped before quantising (0: the
	// largest weight).
	Clip     float32
	GateLog  int
	Gate     []float32 // one weight per gate bucket (GateFeatures)
	GateBias float32
	GateMin  float32
	SeenLog  int
	Seen     []uint64 // 1<<SeenLog bits
	Support  float32
	// Thresholds by script and category ("zh/ad", "en/abuse"), as
	// log-odds of "not clean"; a category without one is never reported
	// (Warn) or only warned about (Enforce) in that script.
	Warn, Enforce map[string]float64
	// About says how the model was trained: the settings and the data,
	// with their checksums.
	About string
}

// NewModel quantises a trained model.
func NewModel(s ModelSpec) (*Model, error) {
	nb := 1 << s.LogBuckets
	if s.LogBuckets < 8 || s.LogBuckets > 24 || len(s.Weights) != nb*nClasses || len(s.Bias) != nClasses {
		return nil, errors.New("model: weights do not match the bucket count and classes")
	}
	if s.GateLog < 8 || s.GateLog > 24 || len(s.Gate) != 1<<s.GateLog {
		return nil, errors.New("model: gate weights do not match its bucket count")
	}
	if s.SeenLog < 6 || s.SeenLog > 30 || len(s.Seen) != 1<<s.SeenLog/64 {
		return nil, errors.New("model: the support bitmap does not match its size")
	}
	m := &Model{logB: uint(s.LogBuckets), rows: make([][2]uint64, nb), gateLog: uint(s.GateLog), gate: make([]int8, len(s.Gate)),
		gateBias: s.GateBias, gateMin: s.GateMin, seenLog: uint(s.SeenLog), seen: slices.Clone(s.Seen), support: s.Support, about: s.About}
	copy(m.bias[:], s.Bias)
	top := s.Clip
	if top <= 0 {
		for _, v := range s.Weights {
			top = max(top, v, -v)
		}
	}
	if top == 0 {
		top = 1
	}
	m.scale = top / 127
	for b := range nb {
		for c := range nClasses {
			v := uint64(quantise(s.Weights[b*nClasses+c], m.scale) + 128)
			m.rows[b][c/8] |= v << (8 * (c % 8))
		}
	}
	gtop := float32(0)
	for _, v := range s.Gate {
		gtop = max(gtop, v, -v)
	}
	if gtop == 0 {
		gtop = 1
	}
	m.gateScale = gtop / 127
	for i, v := range s.Gate {
		m.gate[i] = int8(quantise(v, m.gateScale))
	}
	if err := m.setThresholds(s.Warn, s.Enforce); err != nil {
		return nil, err
	}
	return m, nil
}

func quantise(v, scale float32) int64 {
	return min(127, max(-127, int64(math.Round(float64(v/scale)))))
}

// never is a threshold no message reaches.
const never = 1e6

func (m *Model) setThresholds(warn, enforce map[string]float64) error {
	m.warn, m.enforce = [nScripts][nClasses]float32{}, [nScripts][nClasses]float32{}
	for s := range nScripts {
		for c := 1; c < nClasses; c++ {
			m.warn[s][c] = never
		}
	}
	key := func(k string) (int, int, bool) {
		script, cat, _ := strings.Cut(k, "/")
		s, c := slices.Index(scriptNames[:], script), slices.Index(modelClasses, cat)
		return s, c, s >= 0 && c >= 1
	}
	for k, t := range warn {
		s, c, ok := key(k)
		if !ok || t <= 0 || t >= never {
			return fmt.Errorf("model: warning threshold %v for %q: want zh/CATEGORY or en/CATEGORY and log-odds in (0, %v)", t, k, never)
		}
		m.warn[s][c] = float32(t)
	}
	for k, t := range enforce {
		s, c, ok := key(k)
		if !ok || t <= 0 || t >= never || float32(t) < m.warn[s][c] {
			return fmt.Errorf("model: enforcement threshold %v for %q: want zh/CATEGORY or en/CATEGORY and log-odds in (0, %v), not below the warning's", t, k, never)
		}
		m.enforce[s][c] = float32(t)
	}
	return nil
}

// WithThresholds returns a copy of the model with other thresholds (cmd
// genmodel chooses them on the dev split).
func (m *Model) WithThresholds(warn, enforce map[string]float64) (*Model, error) {
	out := *m
	if err := out.setThresholds(warn, enforce); err != nil {
		return nil, err
	}
	return &out, nil
}

// Thresholds returns the thresholds by script and category ("zh/ad",
// "en/abuse"), as log-odds of "not clean": of reporting (absent: never
// reported), and of enforcing (absent: the model only ever warns).
func (m *Model) Thresholds() (warn, enforce map[string]float64) {
	warn, enforce = map[string]float64{}, map[string]float64{}
	for s := range nScripts {
		for c := 1; c < nClasses; c++ {
			k := scriptNames[s] + "/" + modelClasses[c]
			if m.warn[s][c] < never {
				warn[k] = float64(m.warn[s][c])
			}
			if m.enforce[s][c] != 0 {
				enforce[k] = float64(m.enforce[s][c])
			}
		}
	}
	return warn, enforce
}

// About says how the model was trained: the settings and the data, with
// their checksums.
func (m *Model) About() string { return m.about }

// The file format of model.bin, little-endian:
//
//	"QZMODEL1"
//	u8 log2 buckets, u8 log2 gate buckets, u8 log2 support bits, u8 classes (11)
//	f32 scale, gate scale, gate bias, gate minimum, support
//	f32 × 11 biases
//	f32 × 2 × 11 warning, then enforcement thresholds, Chinese then Latin
//	    script (log-odds; warning 1e6: never; enforcement 0: none)
//	u32 n, then n × (u32 bucket, 11 × i8): the buckets with a non-zero weight
//	i8 × gate buckets
//	u64 × support bits/64
//	u32 n, then n bytes of UTF-8: how it was trained
//	u32 CRC-32 (IEEE) of everything before
var modelMagic = []byte("QZMODEL1")

// MarshalBinary encodes the model as model.bin.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.Write(modelMagic)
	b.Write([]byte{byte(m.logB), byte(m.gateLog), byte(m.seenLog), nClasses})
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w([]float32{m.scale, m.gateScale, m.gateBias, m.gateMin, m.support})
	w(m.bias)
	w(m.warn)
	w(m.enforce)
	const zero = 0x8080808080808080
	n := 0
	for _, r := range m.rows {
		if r[0] != zero || r[1]&0xFFFFFF != 0x808080 {
			n++
		}
	}
	w(uint32(n))
	var row [4 + nClasses]byte
	for i, r := range m.rows {
		if r[0] == zero && r[1]&0xFFFFFF == 0x808080 {
			continue
		}
		binary.LittleEndian.PutUint32(row[:4], uint32(i))
		for c := range nClasses {
			row[4+c] = byte(r[c/8]>>(8*(c%8))) - 128
		}
		b.Write(row[:])
	}
	w(m.gate)
	w(m.seen)
	w(uint32(len(m.about)))
	b.WriteString(m.about)
	w(crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes(), nil
}

// LoadModel decodes model.bin.
func LoadModel(data []byte) (*Model, error) {
	bad := func(what string) (*Model, error) { return nil, fmt.Errorf("model: %s", what) }
	if len(data) < len(modelMagic)+4+4 || !bytes.Equal(data[:len(modelMagic)], modelMagic) {
		return bad("not a model file")
	}
	if crc32.ChecksumIEEE(data[:len(data)-4]) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return bad("checksum mismatch")
	}
	r := bytes.NewReader(data[len(modelMagic) : len(data)-4])
	var head [4]byte
	r.Read(head[:])
	if head[3] != nClasses || head[0] < 8 || head[0] > 24 || head[1] < 8 || head[1] > 24 || head[2] < 6 || head[2] > 30 {
		return bad("unsupported layout")
	}
	m := &Model{logB: uint(head[0]), gateLog: uint(head[1]), seenLog: uint(head[2])}
	rd := func(v any) error { return binary.Read(r, binary.LittleEndian, v) }
	var f [5]float32
	var n uint32
	if rd(&f) != nil || rd(&m.bias) != nil || rd(&m.warn) != nil || rd(&m.enforce) != nil || rd(&n) != nil {
		return bad("truncated header")
	}
	m.scale, m.gateScale, m.gateBias, m.gateMin, m.support = f[0], f[1], f[2], f[3], f[4]
	nb := 1 << m.logB
	if int(n) > nb || r.Len() < int(n)*(4+nClasses) {
		return bad("truncated weights")
	}
	m.rows = make([][2]uint64, nb)
	for i := range m.rows {
		m.rows[i] = [2]uint64{0x8080808080808080, 0x808080}
	}
	rest := data[len(data)-4-r.Len() : len(data)-4]
	for i := 0; i < int(n); i++ {
		row := rest[i*(4+nClasses):]
		b := binary.LittleEndian.Uint32(row)
		if int(b) >= nb {
			return bad("bucket out of range")
		}
		var q [2]uint64
		for c := range nClasses {
			q[c/8] |= uint64(row[4+c]+128) << (8 * (c % 8))
		}
		m.rows[b] = q
	}
	rest = rest[int(n)*(4+nClasses):]
	ng, ns := 1<<m.gateLog, 1<<m.seenLog/64
	if len(rest) < ng+8*ns+4 {
		return bad("truncated tables")
	}
	if na := int(binary.LittleEndian.Uint32(rest[ng+8*ns:])); len(rest) != ng+8*ns+4+na {
		return bad("wrong size")
	}
	m.about = string(rest[ng+8*ns+4:])
	m.gate = make([]int8, ng)
	for i := range m.gate {
		m.gate[i] = int8(rest[i])
	}
	m.seen = make([]uint64, ns)
	for i := range m.seen {
		m.seen[i] = binary.LittleEndian.Uint64(rest[ng+8*i:])
	}
	return m, nil
}
