// Command genmodel trains the rules engine's statistical model and writes
// internal/rules/model.bin, which the engine embeds: nothing is trained at
// start-up.
//
//	go run ./internal/rules/genmodel -data DIR            # train, report on dev, write model.bin
//	go run ./internal/rules/genmodel -data DIR -dry -misses 20
//
// DIR holds the public data sets (see package datasets); the project's own
// corpora are embedded. Every message has a split (rules.Split): the model
// is trained on train; its thresholds, the gate and every setting below
// are chosen on dev. genmodel never reads test — the held-out test
// (go test ./internal/rules -run HeldOut) and docs/rules-eval.md do.
//
// Training is deterministic: the same data and settings give the same
// model.bin, byte for byte.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/rules/datasets"
)

var curves = flag.Bool("curves", false, "print each category's precision and false positives against the threshold on dev")

var scripts = []string{"zh", "en"}

var classes = append([]string{"clean"}, rules.Categories...)

const nClasses = 11

type config struct {
	logB, gateLog, seenLog int
	epochs                 int
	rate                   float64
	weights                map[string]float64
	support                float64
	warnPrecision          float64
	warnFP                 float64
	enforcePrecision       float64
	enforceFP              float64
	enforceMin             int
	gateRecall             float64
	clip                   float64
	l2                     float64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genmodel:", err)
		os.Exit(1)
	}
}

func run() error {
	var c config
	dir := flag.String("data", "", "directory of the public data sets (see package datasets)")
	out := flag.String("out", "internal/rules/model.bin", "where to write the model")
	dry := flag.Bool("dry", false, "train and report, but do not write the model")
	misses := flag.Int("misses", 0, "print this many dev misses and false positives per source")
	weights := flag.String("weights", "project=8,cold=0.5,lexicon=0.5,sms=2,davidson=0.5,janitr=2", "weight of each source's examples in training")
	flag.IntVar(&c.logB, "buckets", 16, "log2 of the model's buckets")
	flag.IntVar(&c.gateLog, "gate", 16, "log2 of the gate's buckets")
	flag.IntVar(&c.seenLog, "seen", 22, "log2 of the support bitmap's bits")
	flag.IntVar(&c.epochs, "epochs", 12, "passes over the training data")
	flag.Float64Var(&c.rate, "rate", 0.1, "learning rate")
	flag.Float64Var(&c.support, "support", 0.4, "share of a message's 2- and 3-grams seen in training the model needs (0: none)")
	flag.Float64Var(&c.warnPrecision, "warn-precision", 0.75, "dev precision the model's reports of a category need")
	flag.Float64Var(&c.warnFP, "warn-fp", 0.003, "share of dev's clean messages the model may report as one category")
	flag.Float64Var(&c.enforcePrecision, "enforce-precision", 0.995, "dev precision a category needs for the model to enforce it")
	flag.Float64Var(&c.enforceFP, "enforce-fp", 0.0005, "share of dev's clean messages (one more than seen) the model may report as a category it enforces")
	flag.IntVar(&c.enforceMin, "enforce-min", 100, "dev hits a category needs for the model to enforce it")
	flag.Float64Var(&c.gateRecall, "gate-recall", 0.995, "share of the model's reports on train and dev the gate must pass")
	flag.Float64Var(&c.l2, "l2", 1e-4, "L2 penalty on the weights a message touches")
	flag.Float64Var(&c.clip, "clip", 0, "clip weights at this magnitude before quantising (0: the largest)")
	flag.Parse()
	if *dir == "" {
		return fmt.Errorf("-data is required")
	}
	c.weights = map[string]float64{}
	for _, kv := range strings.Split(*weights, ",") {
		k, v, ok := strings.Cut(kv, "=")
		w, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil || w < 0 {
			return fmt.Errorf("-weights: %q", kv)
		}
		c.weights[k] = w
	}
	all, err := datasets.Load(*dir, "cold", "lexicon", "sms", "davidson", "janitr")
	if err != nil {
		return err
	}
	train, dev := splits(all)
	fmt.Fprintf(os.Stderr, "examples: %d train, %d dev (test left alone)\n", len(train), len(dev))
	about, err := provenance(*dir, os.Args[1:])
	if err != nil {
		return err
	}
	m, err := c.train(train, about)
	if err != nil {
		return err
	}
	// Thresholds on dev.
	m, err = c.thresholds(m, dev)
	if err != nil {
		return err
	}
	// The gate: pass nearly all of what the model reports.
	m = c.gate(m, append(slices.Clone(train), dev...))
	report(m, dev, *misses)
	if *dry {
		return nil
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", *out, len(b))
	return nil
}

// provenance describes the training: the command's settings (every flag,
// defaults included) and the SHA-256 of each data file read.
func provenance(dir string, args []string) (string, error) {
	var b strings.Builder
	b.WriteString("genmodel")
	flag.VisitAll(func(f *flag.Flag) {
		if f.Name != "data" && f.Name != "out" && f.Name != "dry" && f.Name != "misses" && f.Name != "curves" {
			fmt.Fprintf(&b, " -%s %s", f.Name, f.Value)
		}
	})
	b.WriteString("\n")
	files, err := datasets.Files(dir)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), f)
	}
	fmt.Fprintf(&b, "%x  internal/rules/corpus/*.tsv\n", datasets.ProjectHash())
	return b.String(), nil
}

// splits returns the train split and the messages of the dev split (the
// lexicon's terms are not messages); never the test split.
func splits(all []datasets.Example) (train, dev []datasets.Example) {
	for _, x := range all {
		switch x.Split {
		case rules.SplitTrain:
			train = append(train, x)
		case rules.SplitDev:
			if !x.Term {
				dev = append(dev, x)
			}
		}
	}
	return train, dev
}

func (c *config) sourceWeight(src string) float64 {
	k, _, _ := strings.Cut(src, "/")
	if w, ok := c.weights[k]; ok {
		return w
	}
	return 1
}

type doc struct {
	class int
	w     float32
	h     []uint64
	gate  []uint32
}

// train fits the model and the gate to the training split.
func (c *config) train(train []datasets.Example, about string) (*rules.Model, error) {
	nb, ng := 1<<c.logB, 1<<c.gateLog
	seen := make([]uint64, 1<<c.seenLog/64)
	var docs []doc
	for _, x := range train {
		cl := slices.Index(classes, x.Label)
		w := c.sourceWeight(x.Source)
		if cl < 0 || w == 0 {
			continue
		}
		h, grams, _ := rules.ModelFeatures(x.Text)
		if !x.Term {
			mask := uint64(1)<<c.seenLog - 1
			for _, v := range h[:grams] {
				b := v & mask
				seen[b>>6] |= 1 << (b & 63)
			}
		}
		docs = append(docs, doc{cl, float32(w), h, rules.GateFeatures(x.Text, c.gateLog)})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	wts := make([]float32, nb*nClasses)
	bias := make([]float32, nClasses)
	gate := make([]float32, ng)
	gbias := float32(0)
	shiftB := 64 - uint(c.logB)
	l2 := float32(c.l2)
	for ep := range c.epochs {
		rate := float32(c.rate / (1 + float64(ep)/2))
		rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		for _, d := range docs {
			if len(d.h) == 0 {
				continue
			}
			// The model, over features of value 1/√n (rules.Model.logits).
			x := float32(1 / math.Sqrt(float64(len(d.h))))
			var z [nClasses]float64
			for _, v := range d.h {
				row := wts[int(v>>shiftB)*nClasses:][:nClasses]
				for c := range nClasses {
					z[c] += float64(row[c])
				}
			}
			for c := range nClasses {
				z[c] = z[c]*float64(x) + float64(bias[c])
			}
			p := softmax(z)
			for cl := range nClasses {
				g := p[cl]
				if cl == d.class {
					g--
				}
				if math.Abs(g) < 1e-4 {
					continue
				}
				step := rate * d.w * float32(g)
				bias[cl] -= step / 10
				step *= x
				for _, v := range d.h {
					i := int(v>>shiftB)*nClasses + cl
					wts[i] -= step + rate*l2*wts[i]
				}
			}
			// The gate: clean or not, a miss of a violation costing twice
			// a false alarm.
			y, gw := float32(0), d.w
			if d.class != 0 {
				y, gw = 1, 2*d.w
			}
			if len(d.gate) == 0 {
				continue
			}
			gx := float32(1 / math.Sqrt(float64(len(d.gate))))
			s := 0.0
			for _, v := range d.gate {
				s += float64(gate[v])
			}
			s = s*float64(gx) + float64(gbias)
			g := float32(1/(1+math.Exp(-s))) - y
			gstep := rate * gw * g
			gbias -= gstep / 10
			gstep *= gx
			for _, v := range d.gate {
				gate[v] -= gstep + rate*l2*gate[v]
			}
		}
		fmt.Fprintf(os.Stderr, "epoch %d done\n", ep+1)
	}
	warn := map[string]float64{}
	for _, cat := range rules.Categories {
		for _, s := range scripts {
			warn[s+"/"+cat] = 1e-3
		}
	}
	return rules.NewModel(rules.ModelSpec{LogBuckets: c.logB, Weights: wts, Bias: bias, Clip: float32(c.clip),
		GateLog: c.gateLog, Gate: gate, GateBias: gbias, GateMin: -1e9,
		SeenLog: c.seenLog, Seen: seen, Support: float32(c.support), Warn: warn, About: about})
}

func softmax(z [nClasses]float64) [nClasses]float64 {
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	var p [nClasses]float64
	sum := 0.0
	for i, v := range z {
		p[i] = math.Exp(v - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// judged is one dev message as the engine sees it with a model that
// reports every guess (threshold 0.5).
type judged struct {
	x      datasets.Example
	script string
	words  map[string]bool // categories the words and recognisers found
	model  string          // the model's category, "" for none
	score  float64
	gateOK bool
}

func judge(m *rules.Model, xs []datasets.Example) []judged {
	e := rules.NewEngine(nil, nil)
	e.SetModel(m)
	out := make([]judged, 0, len(xs))
	for _, x := range xs {
		hits, _ := e.Classify(x.Text)
		j := judged{x: x, script: rules.ModelScript(x.Text), words: map[string]bool{}}
		for _, h := range hits {
			if h.Term == rules.ModelTerm {
				j.model, j.score = h.Category, h.Margin
			} else {
				j.words[h.Category] = true
			}
		}
		out = append(out, j)
	}
	return out
}

// thresholds chooses each category's reporting threshold — the lowest at
// which the model's own reports of it on dev are right often enough and
// hit few enough clean messages — and its enforcement threshold, where the
// dev precision reaches enforcePrecision on enough reports and almost no
// clean message is hit. Precision alone would not do: it depends on how
// many violations the data holds (half of COLD is offensive; a group's
// chat has a few percent), the share of clean messages hit does not.
func (c *config) thresholds(m *rules.Model, dev []datasets.Example) (*rules.Model, error) {
	js := judge(m, dev)
	warn, enforce := map[string]float64{}, map[string]float64{}
	for _, script := range scripts {
		clean := 0
		for _, j := range js {
			if j.x.Label == "clean" && j.script == script {
				clean++
			}
		}
		for _, cat := range rules.Categories {
			k := script + "/" + cat
			var hits []judged
			for _, j := range js {
				if j.model == cat && j.script == script {
					hits = append(hits, j)
				}
			}
			sort.Slice(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
			tp, fp, cfp := 0, 0, 0
			for i, j := range hits {
				switch j.x.Label {
				case cat:
					tp++
				case "clean":
					cfp++
					fp++
				default:
					fp++
				}
				if i+1 < len(hits) && hits[i+1].score == j.score {
					continue
				}
				// Laplace's penalty: one false report more than seen, so a
				// handful of lucky reports do not make a threshold.
				prec := float64(tp) / float64(tp+fp+1)
				cleanRate := float64(cfp) / float64(max(clean, 1))
				if *curves && (i < 10 || i%(1+len(hits)/20) == 0) {
					fmt.Fprintf(os.Stderr, "    %-11s t=%.4f tp=%d fp=%d clean=%d (%.3f%%) prec=%.3f\n", k, j.score, tp, fp, cfp, 100*cleanRate, prec)
				}
				if prec >= c.warnPrecision && cleanRate <= c.warnFP {
					warn[k] = max(minMargin, j.score)
				}
				// Enforcing also assumes one clean message hit beyond those
				// seen: zero hits among few clean messages is no evidence.
				if prec >= c.enforcePrecision && float64(cfp+1)/float64(max(clean, 1)) <= c.enforceFP && tp >= c.enforceMin {
					enforce[k] = max(minMargin, j.score)
				}
			}
		}
	}
	fmt.Fprintln(os.Stderr, "thresholds (dev):")
	for _, script := range scripts {
		for _, cat := range rules.Categories {
			k := script + "/" + cat
			fmt.Fprintf(os.Stderr, "  %-11s warn %s enforce %s\n", k, fmtT(warn, k), fmtT(enforce, k))
		}
	}
	return m.WithThresholds(warn, enforce)
}

// minMargin is the lowest threshold: the model at least twice as sure the
// message breaks a rule as that it does not.
const minMargin = 0.7

func fmtT(m map[string]float64, k string) string {
	if v, ok := m[k]; ok {
		return fmt.Sprintf("%.4f", v)
	}
	return "never "
}

// gate sets the gate's minimum so that it passes gateRecall of what the
// model reports on train and dev.
func (c *config) gate(m *rules.Model, xs []datasets.Example) *rules.Model {
	var logits []float32
	for _, j := range judge(m, xs) {
		if j.model == "" {
			continue
		}
		if l, ok := m.GateLogit(j.x.Text); ok {
			logits = append(logits, l)
		}
	}
	if len(logits) == 0 {
		return m
	}
	slices.Sort(logits)
	min := logits[int(float64(len(logits))*(1-c.gateRecall))]
	passed := 0
	for _, j := range judge(m, xs) {
		if j.model == "" {
			if l, ok := m.GateLogit(j.x.Text); ok && l >= min {
				passed++
			}
		}
	}
	fmt.Fprintf(os.Stderr, "gate: minimum %.3f passes %.1f%% of %d reports; %d of the %d messages without a report\n",
		min, 100*(1-c.gateRecall), len(logits), passed, len(xs)-len(logits))
	return m.WithGate(min - 1e-3)
}

// report prints, per source of dev (and for the project's corpora
// together), recall and false positives of the words alone and with the
// model, and per category the precision and recall of both together and
// how often the model's own reports were right.
func report(m *rules.Model, dev []datasets.Example, misses int) {
	type stat struct{ viol, wordsFound, found, clean, wordsFP, fp int }
	bySrc := map[string]*stat{}
	type cstat struct{ tp, fp, fn, mtp, mfp int }
	byCat := map[string]*cstat{}
	for _, cat := range rules.Categories {
		byCat[cat] = &cstat{}
	}
	shown := map[string]int{}
	for _, j := range judge(m, dev) {
		src, _, _ := strings.Cut(j.x.Source, "/")
		all := map[string]bool{}
		for k := range j.words {
			all[k] = true
		}
		if j.model != "" {
			all[j.model] = true
		}
		for _, name := range []string{src, j.x.Source} {
			s := bySrc[name]
			if s == nil {
				s = &stat{}
				bySrc[name] = s
			}
			if j.x.Label == "clean" {
				s.clean++
				s.wordsFP += b2i(len(j.words) > 0)
				s.fp += b2i(len(all) > 0)
			} else {
				s.viol++
				s.wordsFound += b2i(j.words[j.x.Label])
				s.found += b2i(all[j.x.Label])
			}
			if src == j.x.Source {
				break // a source without parts
			}
		}
		switch {
		case j.x.Label == "clean" && len(all) > 0 && shown[src] < misses:
			shown[src]++
			fmt.Printf("FP   %-22s %v %s %.2f\t%s\n", j.x.Source, keys(j.words), j.model, j.score, j.x.Text)
		case j.x.Label != "clean" && !all[j.x.Label] && shown[src] < misses:
			shown[src]++
			fmt.Printf("MISS %-22s %s: %v %s %.2f\t%s\n", j.x.Source, j.x.Label, keys(j.words), j.model, j.score, j.x.Text)
		}
		if cs := byCat[j.x.Label]; cs != nil {
			if all[j.x.Label] {
				cs.tp++
			} else {
				cs.fn++
			}
		}
		for k := range all {
			if cs := byCat[k]; cs != nil && k != j.x.Label {
				cs.fp++
			}
		}
		if j.model != "" {
			if j.model == j.x.Label {
				byCat[j.model].mtp++
			} else {
				byCat[j.model].mfp++
			}
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dev source\tviolations\tclean\twords recall\twords FP\trecall\tFP\t")
	for _, src := range slices.Sorted(maps.Keys(bySrc)) {
		s := bySrc[src]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", src, s.viol, s.clean, pct(s.wordsFound, s.viol), pct(s.wordsFP, s.clean), pct(s.found, s.viol), pct(s.fp, s.clean))
	}
	fmt.Fprintln(tw, "\ncategory\tprecision\trecall\tmodel's reports\tof them right\t")
	for _, cat := range rules.Categories {
		cs := byCat[cat]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t\n", cat, pct(cs.tp, cs.tp+cs.fp), pct(cs.tp, cs.tp+cs.fn), cs.mtp+cs.mfp, pct(cs.mtp, cs.mtp+cs.mfp))
	}
	tw.Flush()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pct(a, b int) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func keys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
