package rules

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// The model: what words and recognisers miss — a rumour told calmly, an
// appeal that only names the sum, a plea for votes in fans' slang — a
// statistical model of how violations read catches more of. It is a
// multinomial logistic regression over hashed character 1- to 3-grams of the
// normalised text and the recognisers' cue lists present (an alarm, a plea,
// hearsay…), trained at first use (deterministically, in well under a
// second) on the labelled corpora embedded below, which are also what the
// evaluation measures (leave one corpus out: docs/rules-eval.md).
//
// The model only speaks when the dictionaries and recognisers found nothing
// and it is confident (modelThreshold), and its verdict is at most a warning
// whatever the rule set's action for the category: a guess is never grounds
// for removing a member. The audit names it ("model", with its confidence).

//go:embed corpus/*.tsv
var corpusFS embed.FS

// Sample is one labelled message of a corpus.
type Sample struct{ Label, Text string }

// Corpus reads one embedded labelled corpus ("own", "independent-1"…).
func Corpus(name string) ([]Sample, error) {
	b, err := corpusFS.ReadFile("corpus/" + name + ".tsv")
	if err != nil {
		return nil, fmt.Errorf("no corpus %q: %w", name, err)
	}
	var out []Sample
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		label, text, ok := strings.Cut(l, "\t")
		if !ok || label == "" || text == "" {
			return nil, fmt.Errorf("corpus/%s.tsv:%d: want label<TAB>message", name, line)
		}
		if label != "clean" && !IsBuiltinCategory(label) {
			return nil, fmt.Errorf("corpus/%s.tsv:%d: unknown label %q", name, line, label)
		}
		out = append(out, Sample{label, text})
	}
	return out, sc.Err()
}

// CorpusNames lists the embedded corpora.
func CorpusNames() []string {
	ents, _ := fs.Glob(corpusFS, "corpus/*.tsv")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(e, "corpus/"), ".tsv"))
	}
	return out
}

const (
	modelBuckets = 1 << 16 // hashed n-gram features
	// modelThreshold is the probability of "not clean" above which the model
	// flags a message. It and modelSupport were chosen leaving each corpus
	// out in turn (docs/rules-eval.md): with 0.98 and 0.4 the model adds
	// under half a percent of false positives on the corpus it did not see.
	modelThreshold = 0.98
	modelEpochs    = 20
	modelRate      = 0.2
	// modelSupport is the share of a message's 2- and 3-grams the model
	// must have seen in training: on prose unlike any group chat (a slide
	// deck's headings) it is otherwise confidently wrong.
	modelSupport = 0.4
)

// modelClasses are the model's outputs: clean, then the built-in
// categories.
var modelClasses = append([]string{"clean"}, Categories...)

const nClasses = 11

// Model is a trained classifier; immutable, safe for concurrent use.
// Training works on float32 weights; Predict reads them quantised to 8
// bits, offset by 128, packed in two 64-bit words per bucket (1 MB in all):
// adding a row is then four masked 64-bit additions into 16-bit lanes
// (SWAR) instead of eleven.
type Model struct {
	w     []float32 // training weights, dropped once quantised
	q     [modelBuckets][2]uint64
	scale float32
	// seen marks the 2- and 3-grams of the training samples (by a second,
	// wider hash): a message most of whose grams the model never saw is
	// not one it can judge.
	seen [seenBits / 64]uint64
}

const seenBits = 1 << 20

func seenBit(h uint64) uint32 { return uint32((h * 0x9E3779B97F4A7C15) >> 44) }

const lanes = 0x00FF00FF00FF00FF // the even bytes of a word, as 16-bit lanes

// FNV-1a over the runes of an n-gram; gramBucket finishes the hash of the
// gram of length n+1 (a 1-gram and the 2-gram it starts differ in n).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func gramBucket(h uint64, n int) uint32 {
	x := h ^ uint64(n)<<61
	x ^= x >> 29
	return uint32(x % modelBuckets)
}

// gramHashes calls f with the hash of every 2- and 3-gram of s.
func gramHashes(s []rune, f func(uint64)) {
	for i := range s {
		h := uint64(fnvOffset)
		for n := 0; n < 3 && i+n < len(s); n++ {
			h = (h ^ uint64(s[i+n])) * fnvPrime
			if n > 0 {
				f(h ^ uint64(n)<<61)
			}
		}
	}
}

// gramFeatures calls f with the bucket of every 1-, 2- and 3-gram of s
// (Predict inlines the loop).
func gramFeatures(s []rune, f func(uint32)) {
	for i := range s {
		h := uint64(fnvOffset)
		for n := 0; n < 3 && i+n < len(s); n++ {
			h = (h ^ uint64(s[i+n])) * fnvPrime
			f(gramBucket(h, n))
		}
	}
}

// TrainModel fits a model to samples: SGD over the samples in a fixed
// shuffled order, so the same samples always give the same model.
func TrainModel(samples []Sample) *Model {
	m := &Model{w: make([]float32, modelBuckets*nClasses)}
	var n Normalizer
	type doc struct {
		class int
		feats []uint32
	}
	docs := make([]doc, 0, len(samples))
	for _, s := range samples {
		c := slices.Index(modelClasses, s.Label)
		if c < 0 {
			continue
		}
		var fs []uint32
		norm := n.Normalize(s.Text)
		gramFeatures(norm, func(b uint32) { fs = append(fs, b) })
		cue := findCues(norm)
		for l := range cueCount {
			if cue.has(l) {
				fs = append(fs, cueBucket(l))
			}
		}
		docs = append(docs, doc{c, fs})
		gramHashes(norm, func(h uint64) {
			b := seenBit(h)
			m.seen[b/64] |= 1 << (b % 64)
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var p [nClasses]float64
	for range modelEpochs {
		rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		for _, d := range docs {
			m.probs(d.feats, &p)
			for c := range nClasses {
				g := p[c]
				if c == d.class {
					g--
				}
				if g == 0 {
					continue
				}
				step := float32(modelRate * g)
				for _, b := range d.feats {
					m.w[int(b)*nClasses+c] -= step
				}
			}
		}
	}
	m.quantise()
	return m
}

// quantise fills q from w and drops w.
func (m *Model) quantise() {
	top := float32(0)
	for _, v := range m.w {
		top = max(top, v, -v)
	}
	if top == 0 {
		top = 1
	}
	m.scale = top / 127
	for b := range modelBuckets {
		for c := range nClasses {
			v := uint64(int64(math.Round(float64(m.w[b*nClasses+c]/m.scale))) + 128)
			m.q[b][c/8] |= v << (8 * (c % 8))
		}
	}
	m.w = nil
}

// probs fills p with the class probabilities of the features.
func (m *Model) probs(feats []uint32, p *[nClasses]float64) {
	var z [nClasses]float32
	for _, b := range feats {
		row := m.w[int(b)*nClasses : int(b)*nClasses+nClasses]
		for c := range nClasses {
			z[c] += row[c]
		}
	}
	softmax(&z, p)
}

func softmax(z *[nClasses]float32, p *[nClasses]float64) {
	mx := z[0]
	for _, v := range z[1:] {
		mx = max(mx, v)
	}
	sum := 0.0
	for c, v := range z {
		p[c] = math.Exp(float64(v - mx))
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}

// cueBucket is the feature of a cue list present in the message.
func cueBucket(l cueList) uint32 { return gramBucket((fnvOffset^uint64(0xC0E0+l))*fnvPrime, 3) }

var cueOnly = sync.OnceValue(func() *Matcher { return NewMatcher(cuePatterns()) })

// findCues returns the cue lists present in norm (training only; classify
// gets them from its allow pass).
func findCues(norm []rune) cues {
	var c cues
	cueOnly().Match(norm, func(p *Pattern, _ int) bool {
		c |= 1 << p.Tag
		return true
	})
	return c
}

// Predict returns the most likely category of the normalised text with the
// recognisers' cue lists found in it, and the probability that it is not
// clean — 0 when clean is the likeliest class, as it is for most messages,
// which then cost no exponentials. It allocates nothing.
func (m *Model) Predict(norm []rune, cue cues) (string, float64) {
	var zi [nClasses]int32
	// 16-bit lanes: even and odd bytes of each word. A lane gains at most
	// 255 per n-gram, so they are flushed every 256 n-grams.
	var e0, o0, e1, o1 uint64
	grams, known, total := 0, 0, 0
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
	for i := range norm {
		h := uint64(fnvOffset)
		for n := 0; n < 3 && i+n < len(norm); n++ {
			h = (h ^ uint64(norm[i+n])) * fnvPrime
			if n > 0 {
				b := seenBit(h ^ uint64(n)<<61)
				total++
				known += int(m.seen[b/64] >> (b % 64) & 1)
			}
			row := &m.q[gramBucket(h, n)]
			e0 += row[0] & lanes
			o0 += row[0] >> 8 & lanes
			e1 += row[1] & lanes
			o1 += row[1] >> 8 & lanes
			if grams++; grams%256 == 0 {
				flush()
			}
		}
	}
	for l := range cueCount {
		if cue.has(l) {
			row := &m.q[cueBucket(l)]
			e0 += row[0] & lanes
			o0 += row[0] >> 8 & lanes
			e1 += row[1] & lanes
			o1 += row[1] >> 8 & lanes
			grams++
		}
	}
	flush()
	var z [nClasses]float32
	for c, v := range zi {
		z[c] = float32(v-128*int32(grams)) * m.scale
	}
	best := 1
	for c := 2; c < nClasses; c++ {
		if z[c] > z[best] {
			best = c
		}
	}
	if z[0] >= z[best] || float64(known) < modelSupport*float64(total) {
		return modelClasses[best], 0
	}
	var p [nClasses]float64
	softmax(&z, &p)
	return modelClasses[best], 1 - p[0]
}

// builtinModel is the model trained on every embedded corpus.
var builtinModel = sync.OnceValue(func() *Model {
	var all []Sample
	for _, name := range CorpusNames() {
		s, err := Corpus(name)
		if err != nil {
			panic("rules: " + err.Error())
		}
		all = append(all, s...)
	}
	return TrainModel(all)
})

// modelMinHan is the fewest Chinese characters a message needs for the
// model to judge it: it learned from Chinese sentences, and on a few
// letters ("v12345", a link) it is confident about nothing it knows.
const modelMinHan = 6

// enoughHan reports whether norm has modelMinHan Chinese characters.
func enoughHan(norm []rune) bool {
	n := 0
	for _, r := range norm {
		if r >= 0x4E00 && r <= 0x9FFF {
			if n++; n >= modelMinHan {
				return true
			}
		}
	}
	return false
}

// ModelTerm is the Term of a hit from the model (Hit.Score is its
// confidence). Uses that need evidence in words, such as the lint of push
// scripts, leave such hits out.
const ModelTerm = "model"
