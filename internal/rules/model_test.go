package rules

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestModelPredict checks the packed, quantised scoring against a plain
// computation over the same quantised weights, on short messages and on one
// long enough to flush the 16-bit lanes.
func TestModelPredict(t *testing.T) {
	m := builtinModel()
	var n Normalizer
	for _, text := range []string{
		"水滴筹求扩散，我妈等着救命钱",
		"明天上午九点上课，别迟到",
		"听一个在疾控的亲戚说，咱们这边已经有好几例了",
		strings.Repeat("我朋友在医院上班说这批疫苗有问题", 40), // > 256 n-grams
	} {
		norm := slices.Clone(n.Normalize(text))
		cue := findCues(norm)
		cat, p := m.Predict(norm, cue)
		var z [nClasses]float32
		add := func(b uint32) {
			for c := range nClasses {
				v := int64(m.q[b][c/8]>>(8*(c%8))&0xFF) - 128
				z[c] += float32(v) * m.scale
			}
		}
		gramFeatures(norm, add)
		for l := range cueCount {
			if cue.has(l) {
				add(cueBucket(l))
			}
		}
		best := 1
		for c := 2; c < nClasses; c++ {
			if z[c] > z[best] {
				best = c
			}
		}
		var probs [nClasses]float64
		softmax(&z, &probs)
		want := 1 - probs[0]
		if z[0] >= z[best] {
			want = 0
		}
		if cat != modelClasses[best] || math.Abs(p-want) > 1e-4 {
			t.Errorf("%.20q: Predict = %s %.5f, reference %s %.5f", text, cat, p, modelClasses[best], want)
		}
	}
}

// TestModelDeterministic: the same samples always give the same model, so a
// verdict never changes between restarts.
func TestModelDeterministic(t *testing.T) {
	s, err := Corpus("own")
	if err != nil {
		t.Fatal(err)
	}
	a, b := TrainModel(s), TrainModel(s)
	if a.scale != b.scale || a.q != b.q {
		t.Error("two trainings on the same corpus differ")
	}
}

// TestModelOnlyWarns: a message only the model flags gets a warning,
// whatever the rule set does about its category, and the verdict says it
// was the model.
func TestModelOnlyWarns(t *testing.T) {
	e := NewEngine(nil, nil)
	// Preaching the academy's rules delete; no dictionary word is in it.
	text := "师父说每天念这个咒一百遍就能转运，大家都来学"
	hits, _ := e.Classify(text)
	if len(hits) != 1 || hits[0].Term != ModelTerm || hits[0].Category != "religion" {
		t.Fatalf("%q: %v, want the model alone to find religion", text, hits)
	}
	v := e.Evaluate(Default(), Input{Text: text, Kind: "text", Role: "member"})
	if v.Action != Warn || !strings.Contains(v.Rule, "/model.") || len(v.Matched) != 1 || !strings.HasPrefix(v.Matched[0], "model ") {
		t.Errorf("verdict %+v, want a warning by the model", v)
	}
	e.SetModel(nil)
	if hits, _ := e.Classify(text); len(hits) != 0 {
		t.Errorf("without the model: %v", hits)
	}
}

func TestCorpusErrors(t *testing.T) {
	if _, err := Corpus("nope"); err == nil {
		t.Error("no error for a missing corpus")
	}
	for _, name := range CorpusNames() {
		if _, err := Corpus(name); err != nil {
			t.Error(err)
		}
	}
}
