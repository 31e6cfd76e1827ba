// Package metrics is a small, dependency-free registry that writes the
// Prometheus text exposition format (0.0.4). Hot paths are lock-free.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metrics and writes them.
type Registry struct {
	mu      sync.Mutex
	metrics map[string]metric
}

type metric interface {
	write(w *bufio.Writer, name string)
	kind() string
	help() string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{metrics: map[string]metric{}} }

// register adds m; a duplicate name is a programmer error and panics.
func (r *Registry) register(name string, m metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.metrics[name]; dup {
		panic("metrics: duplicate metric " + name)
	}
	r.metrics[name] = m
}

// Counter is a monotonically increasing count.
type Counter struct {
	v    atomic.Uint64 // float64 bits
	name string
	h    string
}

// Add adds d (must not be negative).
func (c *Counter) Add(d float64) {
	for {
		old := c.v.Load()
		if c.v.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Inc adds 1.
func (c *Counter) Inc() { c.Add(1) }

// Value returns the count.
func (c *Counter) Value() float64 { return math.Float64frombits(c.v.Load()) }

func (c *Counter) write(w *bufio.Writer, name string) { writeSample(w, name, "", c.Value()) }
func (c *Counter) kind() string                       { return "counter" }
func (c *Counter) help() string                       { return c.h }

// Counter registers a counter.
func (r *Registry) Counter(name, help string) *Counter {
	c := &Counter{name: name, h: help}
	r.register(name, c)
	return c
}

// Gauge is a value that goes up and down.
type Gauge struct{ Counter }

// Set sets the value.
func (g *Gauge) Set(v float64) { g.v.Store(math.Float64bits(v)) }

// Dec subtracts 1.
func (g *Gauge) Dec() { g.Add(-1) }

func (g *Gauge) kind() string { return "gauge" }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string) *Gauge {
	g := &Gauge{Counter{name: name, h: help}}
	r.register(name, g)
	return g
}

type funcMetric struct {
	k, h string
	f    func() float64
}

func (m funcMetric) write(w *bufio.Writer, name string) { writeSample(w, name, "", m.f()) }
func (m funcMetric) kind() string                       { return m.k }
func (m funcMetric) help() string                       { return m.h }

// GaugeFunc registers a gauge read by f at each scrape.
func (r *Registry) GaugeFunc(name, help string, f func() float64) {
	r.register(name, funcMetric{"gauge", help, f})
}

// CounterFunc registers a counter read by f at each scrape (for totals kept
// elsewhere, such as the pipeline's atomics).
func (r *Registry) CounterFunc(name, help string, f func() float64) {
	r.register(name, funcMetric{"counter", help, f})
}

// LabeledFunc registers a gauge with one label whose values and samples f
// returns at each scrape.
func (r *Registry) LabeledFunc(name, help, label string, f func() map[string]float64) {
	r.register(name, labeledFunc{help, label, f})
}

type labeledFunc struct {
	h, label string
	f        func() map[string]float64
}

func (m labeledFunc) write(w *bufio.Writer, name string) {
	vals := m.f()
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		writeSample(w, name, m.label+`="`+escape(k)+`"`, vals[k])
	}
}
func (m labeledFunc) kind() string { return "gauge" }
func (m labeledFunc) help() string { return m.h }

// Histogram counts observations into cumulative buckets.
type Histogram struct {
	bounds []float64
	counts []atomic.Uint64
	sum    Counter
	count  atomic.Uint64
	h      string
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	if i < len(h.counts) {
		h.counts[i].Add(1)
	}
	h.sum.Add(v)
	h.count.Add(1)
}

func (h *Histogram) write(w *bufio.Writer, name string) {
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		writeSample(w, name+"_bucket", `le="`+formatFloat(b)+`"`, float64(cum))
	}
	n := h.count.Load()
	writeSample(w, name+"_bucket", `le="+Inf"`, float64(n))
	writeSample(w, name+"_sum", "", h.sum.Value())
	writeSample(w, name+"_count", "", float64(n))
}
func (h *Histogram) kind() string { return "histogram" }
func (h *Histogram) help() string { return h.h }

// Histogram registers a histogram with the given upper bounds (ascending).
func (r *Registry) Histogram(name, help string, bounds []float64) *Histogram {
	if !sort.Float64sAreSorted(bounds) {
		panic("metrics: histogram " + name + ": bounds must ascend")
	}
	h := &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)), h: help}
	r.register(name, h)
	return h
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func writeSample(w *bufio.Writer, name, labels string, v float64) {
	w.WriteString(name)
	if labels != "" {
		w.WriteByte('{')
		w.WriteString(labels)
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

// WriteTo writes every metric, sorted by name.
func (r *Registry) WriteTo(out io.Writer) (int64, error) {
	r.mu.Lock()
	names := make([]string, 0, len(r.metrics))
	for n := range r.metrics {
		names = append(names, n)
	}
	ms := make(map[string]metric, len(r.metrics))
	for k, v := range r.metrics {
		ms[k] = v
	}
	r.mu.Unlock()
	sort.Strings(names)
	cw := &countWriter{w: out}
	w := bufio.NewWriter(cw)
	for _, n := range names {
		m := ms[n]
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", n, strings.ReplaceAll(m.help(), "\n", " "), n, m.kind())
		m.write(w, n)
	}
	err := w.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Handler serves the registry.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.WriteTo(w)
	})
}
