package rules

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// TestModelPredict checks the packed, quantised scoring against a plain
// computation over the same quantised weights, on short messages, on one
// in English and on one long enough to flush the 16-bit lanes. (The
// support check is left on: these messages are like the training data.)
func TestModelPredict(t *testing.T) {
	m := BuiltinModel()
	var n Normalizer
	for _, text := range []string{
		"水滴筹求扩散，我妈等着救命钱",
		"明天上午九点上课，别迟到",
		"听一个在疾控的亲戚说，咱们这边已经有好几例了",
		"URGENT! You have won a 1 week FREE membership, call now to claim",
		strings.Repeat("我朋友在医院上班说这批疫苗有问题", 40), // > 256 features
	} {
		norm := n.Normalize(text)
		var f features
		f.extract(norm, text, findCues(norm))
		cat, q := m.predict(&f)
		// The reference: every feature's row, unpacked, summed in float64.
		var z [nClasses]float64
		for _, x := range f.h {
			row := m.rows[x>>(64-m.logB)]
			for c := range nClasses {
				z[c] += float64(int64(row[c/8]>>(8*(c%8))&0xFF) - 128)
			}
		}
		for c := range z {
			z[c] = z[c]*float64(m.scale)/math.Sqrt(float64(len(f.h))) + float64(m.bias[c])
		}
		best := 1
		for c := 2; c < nClasses; c++ {
			if z[c] > z[best] {
				best = c
			}
		}
		if z[0] >= z[best] {
			if cat != 0 {
				t.Errorf("%.20q: predict = %s %.4f, reference: clean", text, modelClasses[cat], q)
			}
			continue
		}
		sum := 0.0
		for c := 1; c < nClasses; c++ {
			sum += math.Exp(z[c])
		}
		want := math.Log(sum) - z[0]
		if cat != best || math.Abs(q-want) > 1e-3 {
			t.Errorf("%.20q: predict = %s %.4f, reference %s %.4f", text, modelClasses[cat], q, modelClasses[best], want)
		}
	}
}

// TestModelFile: the shipped model decodes, encodes to the same bytes, and
// a damaged file is refused.
func TestModelFile(t *testing.T) {
	m, err := LoadModel(modelFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil || !bytes.Equal(b, modelFile) {
		t.Fatalf("re-encoded model differs (%d bytes, was %d): %v", len(b), len(modelFile), err)
	}
	bad := bytes.Clone(modelFile)
	bad[len(bad)/2] ^= 1
	if _, err := LoadModel(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a damaged model: %v", err)
	}
	if _, err := LoadModel(modelFile[:100]); err == nil {
		t.Error("a truncated model was accepted")
	}
	if _, err := LoadModel([]byte("not a model at all, not at all")); err == nil {
		t.Error("garbage was accepted")
	}
}

// TestModelLoadsFast: reading the shipped model is a matter of
// milliseconds, not a training run (a generous bound: shared machines).
func TestModelLoadsFast(t *testing.T) {
	start := time.Now()
	for range 10 {
		if _, err := LoadModel(modelFile); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start) / 10; el > 200*time.Millisecond {
		t.Errorf("loading the model took %v", el)
	}
}

// TestModelOnlyWarns: a message only the model flags, in a category it does
// not enforce, gets a warning whatever the rule set does about the
// category, and the verdict says it was the model.
func TestModelOnlyWarns(t *testing.T) {
	e := NewEngine(nil, nil)
	text := "师父说每天念这个咒一百遍就能转运，大家都来学"
	hits, _ := e.Classify(text)
	if len(hits) != 1 || hits[0].Term != ModelTerm || hits[0].Enforce {
		t.Fatalf("%q: %v, want the model alone to find it, without enforcing", text, hits)
	}
	rs := Default()
	for _, c := range Categories {
		rs.Categories[c] = Kick
	}
	v := e.Evaluate(rs, Input{Text: text, Kind: "text", Role: "member"})
	if v.Action != Warn || !strings.Contains(v.Rule, "/model.") || len(v.Matched) != 1 || !strings.HasPrefix(v.Matched[0], "model ") {
		t.Errorf("verdict %+v, want a warning by the model", v)
	}
	e.SetModel(nil)
	if hits, _ := e.Classify(text); len(hits) != 0 {
		t.Errorf("without the model: %v", hits)
	}
}

// TestModelEnforces: above a category's enforcement threshold the model's
// verdict is the rule set's action for the category.
func TestModelEnforces(t *testing.T) {
	text := "师父说每天念这个咒一百遍就能转运，大家都来学"
	j := BuiltinModel().Judge(text)
	if !j.Reported {
		t.Fatalf("%q: %+v", text, j)
	}
	warn, _ := BuiltinModel().Thresholds()
	k := j.Script + "/" + j.Category
	m, err := BuiltinModel().WithThresholds(warn, map[string]float64{k: warn[k]})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(nil, nil)
	e.SetModel(m)
	rs := Default()
	rs.Categories[j.Category] = Kick
	if v := e.Evaluate(rs, Input{Text: text, Kind: "text", Role: "member"}); v.Action != Kick || !strings.Contains(v.Rule, "/model.") {
		t.Errorf("verdict %+v, want the category's action by the model", v)
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

// TestSplit: the split of a message depends on its normalised text only,
// and about a tenth of messages are held out.
func TestSplit(t *testing.T) {
	if Split("加微信 abc") != Split("加 薇 信 ABC") {
		t.Error("two spellings of one message fall in different splits")
	}
	counts := map[string]int{}
	for _, name := range CorpusNames() {
		s, _ := Corpus(name)
		for _, x := range s {
			counts[Split(x.Text)]++
		}
	}
	total := counts[SplitTrain] + counts[SplitDev] + counts[SplitTest]
	if f := float64(counts[SplitTest]) / float64(total); f < 0.07 || f > 0.13 {
		t.Errorf("test split %.1f%% of %d messages", 100*f, total)
	}
}
