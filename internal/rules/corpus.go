package rules

import (
	"bufio"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
)

// The project's own labelled corpora (corpus/*.tsv): ordinary group chat,
// hard negatives and violations of every category, written by people who
// (except for "own") never saw the engine. They are one source of the
// model's training data among several (see cmd genmodel and
// docs/rules-eval.md), split like every source by Split.

//go:embed corpus/*.tsv
var corpusFS embed.FS

// Sample is one labelled message: "clean" or a built-in category.
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

// The splits of labelled data. Every source is split the same way, once
// and for all, so that what the model is trained on, what its thresholds
// are chosen on and what it is judged on never mix:
//
//	train  80%  the model's weights
//	dev    10%  every choice made while building it: thresholds, epochs,
//	            which sources and how much each weighs
//	test   10%  only measured (the held-out gate, docs/rules-eval.md);
//	            nothing is ever tuned on it
//
// A message's split is decided by a hash of its normalised text, so the
// same message written twice, or with other spacing, punctuation, width or
// script, always lands in the same split and never in two. A source that
// ships its own split (COLD) keeps it.
const (
	SplitTrain = "train"
	SplitDev   = "dev"
	SplitTest  = "test"
)

// Split returns the split of a labelled message: FNV-1a (64 bit) of the
// UTF-8 of its normalised text, modulo 10: 0–7 train, 8 dev, 9 test.
func Split(text string) string {
	var n Normalizer
	h := fnv.New64a()
	h.Write([]byte(string(n.Normalize(text))))
	switch h.Sum64() % 10 {
	case 8:
		return SplitDev
	case 9:
		return SplitTest
	}
	return SplitTrain
}
