package rules

import (
	"slices"
)

// Pattern is one dictionary term.
type Pattern struct {
	Term     string // as written in the dictionary
	Category string
	Norm     []rune // the term normalised like messages are
}

// Matcher finds every dictionary term in normalised text in one pass: an
// Aho-Corasick automaton over runes, immutable once built, so any number of
// goroutines may use it. Matching allocates nothing.
type Matcher struct {
	pats  []Pattern
	root  []int32 // dense root transitions for runes < len(root); 0 = none
	first []int32 // edges of state s are edges[first[s]:first[s+1]], sorted by rune
	edges []edge
	fail  []int32
	out   []int32 // first output of a state: an index into outs, -1 for none
	outs  []output
}

type edge struct {
	r  rune
	to int32
}

type output struct {
	pat  int32
	next int32 // next output of the same state (via fail links), -1 at the end
}

const denseRoot = 1 << 16

// NewMatcher builds a matcher. Terms whose normal form is empty are
// refused by the dictionary loader, not here; they are skipped.
func NewMatcher(pats []Pattern) *Matcher {
	type node struct {
		next map[rune]int32
		pats []int32
	}
	nodes := []node{{next: map[rune]int32{}}}
	for i, p := range pats {
		if len(p.Norm) == 0 {
			continue
		}
		s := int32(0)
		for _, r := range p.Norm {
			t, ok := nodes[s].next[r]
			if !ok {
				t = int32(len(nodes))
				nodes = append(nodes, node{next: map[rune]int32{}})
				nodes[s].next[r] = t
			}
			s = t
		}
		nodes[s].pats = append(nodes[s].pats, int32(i))
	}
	m := &Matcher{pats: pats, root: make([]int32, denseRoot), first: make([]int32, len(nodes)+1), fail: make([]int32, len(nodes)), out: make([]int32, len(nodes))}
	// Flatten edges, sorted per state.
	for s := range nodes {
		m.first[s] = int32(len(m.edges))
		keys := make([]rune, 0, len(nodes[s].next))
		for r := range nodes[s].next {
			keys = append(keys, r)
		}
		slices.Sort(keys)
		for _, r := range keys {
			m.edges = append(m.edges, edge{r, nodes[s].next[r]})
		}
	}
	m.first[len(nodes)] = int32(len(m.edges))
	for r, t := range nodes[0].next {
		if r < denseRoot {
			m.root[r] = t
		}
	}
	// Failure links, breadth first; outputs chain through them.
	for i := range m.out {
		m.out[i] = -1
	}
	queue := []int32{}
	for _, e := range m.edges[m.first[0]:m.first[1]] {
		queue = append(queue, e.to)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range m.edges[m.first[s]:m.first[s+1]] {
			f := m.fail[s]
			for {
				if t := m.step(f, e.r); t >= 0 && (f != 0 || t != 0) {
					m.fail[e.to] = t
					break
				}
				if f == 0 {
					m.fail[e.to] = 0
					break
				}
				f = m.fail[f]
			}
			if m.fail[e.to] == e.to {
				m.fail[e.to] = 0
			}
			queue = append(queue, e.to)
		}
	}
	// Outputs: a state's own patterns, then those of its failure chain, as
	// one linked list built in BFS order so fail states are done first.
	order := bfs(m)
	for _, s := range order {
		next := int32(-1)
		if s != 0 {
			next = m.out[m.fail[s]]
		}
		own := nodes[s].pats
		for i := len(own) - 1; i >= 0; i-- {
			m.outs = append(m.outs, output{pat: own[i], next: next})
			next = int32(len(m.outs) - 1)
		}
		m.out[s] = next
	}
	return m
}

func bfs(m *Matcher) []int32 {
	order := []int32{0}
	for i := 0; i < len(order); i++ {
		s := order[i]
		for _, e := range m.edges[m.first[s]:m.first[s+1]] {
			order = append(order, e.to)
		}
	}
	return order
}

// step returns the goto transition of s on r, or -1.
func (m *Matcher) step(s int32, r rune) int32 {
	if s == 0 {
		if r < denseRoot {
			if t := m.root[r]; t != 0 {
				return t
			}
			return -1
		}
	}
	es := m.edges[m.first[s]:m.first[s+1]]
	switch len(es) {
	case 0:
		return -1
	case 1:
		if es[0].r == r {
			return es[0].to
		}
		return -1
	}
	if len(es) <= 8 {
		for _, e := range es {
			if e.r == r {
				return e.to
			}
		}
		return -1
	}
	lo, hi := 0, len(es)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if es[mid].r < r {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(es) && es[lo].r == r {
		return es[lo].to
	}
	return -1
}

// Match calls fn for every occurrence of every pattern in text, with the
// pattern and the rune index just after the occurrence. fn returns false to
// stop.
func (m *Matcher) Match(text []rune, fn func(p *Pattern, end int) bool) {
	s := int32(0)
	for i, r := range text {
		for {
			if t := m.step(s, r); t >= 0 {
				s = t
				break
			}
			if s == 0 {
				break
			}
			s = m.fail[s]
		}
		for o := m.out[s]; o >= 0; o = m.outs[o].next {
			if !fn(&m.pats[m.outs[o].pat], i+1) {
				return
			}
		}
	}
}

// Len returns the number of patterns.
func (m *Matcher) Len() int { return len(m.pats) }
