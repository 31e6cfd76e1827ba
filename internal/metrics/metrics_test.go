package metrics

import (
	"bytes"
	"flag"
	"os"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestExposition(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("qunzhu_events_total", "Events ingested.")
	c.Add(41)
	c.Inc()
	g := r.Gauge("qunzhu_queue", "Queue depth.")
	g.Set(7)
	g.Dec()
	r.GaugeFunc("qunzhu_up", "Always 1.", func() float64 { return 1 })
	r.LabeledFunc("qunzhu_outbox", "Outbox actions by status.", "status", func() map[string]float64 {
		return map[string]float64{"pending": 3, `we"ird\`: 1}
	})
	h := r.Histogram("qunzhu_decision_seconds", "Rules decision time.", []float64{0.001, 0.01})
	for _, v := range []float64{0.0005, 0.005, 0.5} {
		h.Observe(v)
	}
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/exposition.golden"
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("exposition:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestDuplicatePanics(t *testing.T) {
	r := NewRegistry()
	r.Counter("x", "")
	defer func() {
		if recover() == nil {
			t.Fatal("registering a name twice must panic")
		}
	}()
	r.Gauge("x", "")
}

func TestConcurrentAdds(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("c", "")
	h := r.Histogram("h", "", []float64{1})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				c.Inc()
				h.Observe(0.5)
			}
		}()
	}
	wg.Wait()
	if c.Value() != 8000 || h.count.Load() != 8000 || h.sum.Value() != 4000 {
		t.Fatalf("counter %v, histogram count %d sum %v", c.Value(), h.count.Load(), h.sum.Value())
	}
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().Counter("c", "")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.Inc()
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewRegistry().Histogram("h", "", []float64{.001, .01, .1, 1})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Observe(0.05)
	}
}
