package main

import (
	"bytes"
	"testing"

	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/rules/datasets"
)

// TestTrainDeterministic: the same data and settings give the same
// model.bin, byte for byte, and the file reads back.
func TestTrainDeterministic(t *testing.T) {
	xs, err := datasets.Project()
	if err != nil {
		t.Fatal(err)
	}
	train, dev := splits(xs)
	for _, x := range append(train, dev...) {
		if x.Split == rules.SplitTest {
			t.Fatalf("a test message to train on: %+v", x)
		}
	}
	c := config{logB: 12, gateLog: 10, seenLog: 16, epochs: 2, rate: 0.1, weights: map[string]float64{}, support: 0.4,
		warnPrecision: 0.75, warnFP: 0.003, enforcePrecision: 0.995, enforceFP: 0.0005, enforceMin: 100, gateRecall: 0.995, l2: 1e-4}
	build := func() []byte {
		m, err := c.train(train, "test")
		if err != nil {
			t.Fatal(err)
		}
		if m, err = c.thresholds(m, dev); err != nil {
			t.Fatal(err)
		}
		b, err := c.gate(m, dev).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := build(), build()
	if !bytes.Equal(a, b) {
		t.Fatal("two trainings on the same data differ")
	}
	m, err := rules.LoadModel(a)
	if err != nil || m.About() != "test" {
		t.Fatalf("the model does not read back: %v", err)
	}
}
