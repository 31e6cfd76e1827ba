package rules

import (
	"math/bits"
	"slices"
)

// Pattern is one dictionary term.
type Pattern struct {
	Term     string // as written in the dictionary
	Category string
	Norm     []rune // the term normalised like messages are
	// Pinyin marks a spelling generated from Term (see withPinyin): its
	// Latin ends must lie on word boundaries of the message.
	Pinyin bool
	// Tag is the caller's: the recognisers' cue lists keep their index here.
	Tag uint32
}

// Matcher finds every dictionary term in normalised text in one pass: an
// Aho-Corasick automaton over runes, immutable once built, so any number of
// goroutines may use it. Matching allocates nothing.
//
// The automaton is laid out as a double-array trie: each rune that occurs
// in a term has a small code (the most frequent the smallest), and the
// goto transition of state s on code c is state base(s)+c when that
// cell's check is s. One transition is thus two loads from one array of
// 16-byte cells, whatever the number of children, and a rune no term
// contains sends the automaton straight back to the root.
type Matcher struct {
	pats  []Pattern
	codes *[denseCodes]uint16 // code of each rune of the BMP; 0: in no term
	high  []rune              // alphabet runes outside the BMP, sorted
	hcode int32               // code of high[0]; high[i] has hcode+i
	size  int32               // codes are 1..size
	cells []cell              // state 0 is the root
	outs  []output
	// root is the root's transition on each code (0: none), for the
	// transitions that fail back to the root, as most do: one load that
	// does not wait for the state, instead of two that do.
	root []int32
}

// cell is one state of the double array (or a free cell, check < 0).
type cell struct {
	base  int32 // children are at base+code
	check int32 // the parent state; -1 for a free cell
	fail  int32 // the failure link
	out   int32 // first output: an index into outs, -1 for none
}

type output struct {
	pat  int32
	next int32 // next output of the same state (via fail links), -1 at the end
}

// denseCodes is the size of the dense rune→code table: the Basic
// Multilingual Plane, where nearly every normalised rune lies.
const denseCodes = 1 << 16

// NewMatcher builds a matcher. Terms whose normal form is empty are
// refused by the dictionary loader, not here; they are skipped.
func NewMatcher(pats []Pattern) *Matcher {
	m := &Matcher{pats: pats}
	t := buildTrie(pats)
	m.alphabet(t)
	m.layout(t)
	m.failures(t)
	m.rootTable()
	return m
}

// rootTable sets root from the cells.
func (m *Matcher) rootTable() {
	m.root = make([]int32, m.size+1)
	for c := int32(1); c <= m.size; c++ {
		m.root[c] = max(m.step(0, c), 0)
	}
}

// trie is the plain trie the double array is built from. Children are
// linked in rune order: first child, next sibling.
type trie struct {
	label []rune  // the rune on the edge into each node
	first []int32 // first child, -1 for a leaf
	last  []int32 // last child
	next  []int32 // next sibling, -1 for the last
	pats  [][]int32

	state []int32 // trie node → state, once laid out
	order []int32 // trie nodes breadth first
}

// buildTrie inserts the terms in sorted order, so a term shares its prefix
// with the one before it and each new child comes after its siblings: no
// lookups at all.
func buildTrie(pats []Pattern) *trie {
	idx := make([]int32, 0, len(pats))
	size := 1
	for i, p := range pats {
		if len(p.Norm) > 0 {
			idx = append(idx, int32(i))
			size += len(p.Norm)
		}
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := slices.Compare(pats[a].Norm, pats[b].Norm); c != 0 {
			return c
		}
		return int(a - b) // equal terms keep their order
	})
	t := &trie{
		label: make([]rune, 0, size), first: make([]int32, 0, size), last: make([]int32, 0, size),
		next: make([]int32, 0, size), pats: make([][]int32, 0, size),
	}
	t.add(-1, 0)
	path := []int32{0} // path[d]: the node at depth d of the previous term
	var prev []rune
	for _, i := range idx {
		w := pats[i].Norm
		l := 0
		for l < len(w) && l < len(prev) && w[l] == prev[l] {
			l++
		}
		path = path[:l+1]
		for _, r := range w[l:] {
			path = append(path, t.add(path[len(path)-1], r))
		}
		end := path[len(w)]
		t.pats[end] = append(t.pats[end], i)
		prev = w
	}
	return t
}

// add appends a node under parent (-1 for the root), after its siblings.
func (t *trie) add(parent int32, r rune) int32 {
	v := int32(len(t.label))
	t.label = append(t.label, r)
	t.first = append(t.first, -1)
	t.last = append(t.last, -1)
	t.next = append(t.next, -1)
	t.pats = append(t.pats, nil)
	if parent >= 0 {
		if t.last[parent] < 0 {
			t.first[parent] = v
		} else {
			t.next[t.last[parent]] = v
		}
		t.last[parent] = v
	}
	return v
}

// alphabet gives every rune on a trie edge a code from 1: the runes of the
// Basic Multilingual Plane first, the most frequent first, so that children
// pack densely; then any others, in rune order.
func (m *Matcher) alphabet(t *trie) {
	freq := map[rune]int{}
	for _, r := range t.label[1:] {
		freq[r]++
	}
	// Normalised text holds no surrogates, so at most 63,488 runes of the
	// BMP can occur: their codes fit in 16 bits.
	var dense []rune
	for r := range freq {
		if uint32(r) < denseCodes {
			dense = append(dense, r)
		} else {
			m.high = append(m.high, r)
		}
	}
	slices.SortFunc(dense, func(a, b rune) int {
		if freq[a] != freq[b] {
			return freq[b] - freq[a]
		}
		return int(a - b)
	})
	slices.Sort(m.high)
	m.codes = new([denseCodes]uint16)
	for i, r := range dense {
		m.codes[r] = uint16(i + 1)
	}
	m.hcode = int32(len(dense) + 1)
	m.size = int32(len(dense) + len(m.high))
}

// code returns the code of r, 0 if no term contains it.
func (m *Matcher) code(r rune) int32 {
	if uint32(r) < denseCodes {
		return int32(m.codes[uint16(r)])
	}
	return m.highCodeOf(r)
}

func (m *Matcher) highCodeOf(r rune) int32 {
	if i, ok := slices.BinarySearch(m.high, r); ok {
		return m.hcode + int32(i)
	}
	return 0
}

// layout places the trie in the double array: each node's children at the
// lowest base where all their cells are free, the nodes with the most
// children first (they are the hardest to fit, and fit best into an
// emptier array). A child's state is its parent's base plus its code, so
// the bases can be chosen in any order and the states read off after.
func (m *Matcher) layout(t *trie) {
	type child struct {
		code int32
		node int32
	}
	kids := make([][]child, len(t.label))
	var inner []int32
	for u := range t.label {
		if t.first[u] < 0 {
			continue // a leaf: base 0, which no child's check can match
		}
		var ks []child
		for v := t.first[u]; v >= 0; v = t.next[v] {
			ks = append(ks, child{m.code(t.label[v]), v})
		}
		slices.SortFunc(ks, func(a, b child) int { return int(a.code - b.code) })
		kids[u] = ks
		inner = append(inner, int32(u))
	}
	if len(inner) > 1 { // the root first, if it has children; if not, there is nothing else
		slices.SortStableFunc(inner[1:], func(a, b int32) int { return len(kids[b]) - len(kids[a]) })
	}
	free := &freeCells{}
	free.grow(int(m.size) + 1)
	free.take(0) // the root
	bases := make([]int32, len(t.label))
	var codes []int32
	var maxBase int32
	for _, u := range inner {
		ks := kids[u]
		codes = codes[:0]
		for _, k := range ks {
			codes = append(codes, k.code)
		}
		b := free.fit(codes)
		for _, k := range ks {
			free.take(b + k.code)
		}
		bases[u] = b
		maxBase = max(maxBase, b)
	}
	// States, checks and bases, breadth first from the root.
	free.grow(int(maxBase + m.size + 1)) // every probe base+code lands inside
	states := make([]int32, len(t.label))
	order := []int32{0}
	for i := 0; i < len(order); i++ {
		u := order[i]
		su := states[u]
		free.cells[su].base = bases[u]
		for _, k := range kids[u] {
			sv := bases[u] + k.code
			free.cells[sv].check = su
			states[k.node] = sv
			order = append(order, k.node)
		}
	}
	m.cells = free.cells
	t.state = states
	t.order = order
}

// freeCells is the double array while it is being laid out, with a bitmap
// of the cells still free.
type freeCells struct {
	cells     []cell
	used      []uint64
	first     int32 // no free cell below
	lastMulti int32 // the base of the last node with several children
}

func (f *freeCells) grow(n int) {
	if n <= len(f.cells) {
		return
	}
	if n > cap(f.cells) {
		cells := make([]cell, len(f.cells), max(n, 2*cap(f.cells)))
		copy(cells, f.cells)
		f.cells = cells
	}
	old := len(f.cells)
	f.cells = f.cells[:n]
	for i := old; i < n; i++ {
		f.cells[i] = cell{check: -1, out: -1}
	}
	if words := (n + 63) / 64; words > len(f.used) {
		f.used = append(f.used, make([]uint64, words-len(f.used))...)
	}
}

func (f *freeCells) isFree(i int32) bool {
	if int(i) >= len(f.cells) {
		return true
	}
	return f.used[i>>6]&(1<<(i&63)) == 0
}

func (f *freeCells) take(i int32) {
	f.grow(int(i) + 1)
	f.used[i>>6] |= 1 << (i & 63)
	for !f.isFree(f.first) {
		f.first++
	}
}

// freeBits returns the free/used state of cells x..x+63 as bits, 1 free.
func (f *freeCells) freeBits(x int32) uint64 {
	w, sh := int(x>>6), uint(x&63)
	var lo, hi uint64
	if w < len(f.used) {
		lo = f.used[w]
	}
	if w+1 < len(f.used) {
		hi = f.used[w+1]
	}
	return ^(lo>>sh | hi<<(64-sh))
}

// fit returns the lowest base b ≥ 0 such that the cells b+c are free for
// every c in codes (sorted), testing 64 bases at a time.
func (f *freeCells) fit(codes []int32) int32 {
	from := max(0, f.first-codes[0])
	if len(codes) > 1 {
		// Nodes come with the most children first, and several children
		// rarely fit below where the last such node did: start there.
		from = max(from, f.lastMulti)
	}
	for b := from; ; b += 64 {
		ok := ^uint64(0)
		for _, c := range codes {
			if ok &= f.freeBits(b + c); ok == 0 {
				break
			}
		}
		if ok != 0 {
			b += int32(bits.TrailingZeros64(ok))
			if len(codes) > 1 {
				f.lastMulti = b
			}
			return b
		}
	}
}

// step returns the goto transition of state s on code c, or -1.
func (m *Matcher) step(s, c int32) int32 {
	if t := m.cells[s].base + c; m.cells[t].check == s {
		return t
	}
	return -1
}

// failures sets the failure links and the output lists, breadth first so a
// state's failure target is complete before the state.
func (m *Matcher) failures(t *trie) {
	for _, u := range t.order {
		su := t.state[u]
		for v := t.first[u]; v >= 0; v = t.next[v] {
			c, sv := m.code(t.label[v]), t.state[v]
			f := int32(0)
			if su != 0 {
				for f = m.cells[su].fail; ; f = m.cells[f].fail {
					if g := m.step(f, c); g >= 0 {
						f = g
						break
					}
					if f == 0 {
						break
					}
				}
			}
			m.cells[sv].fail = f
		}
		// Outputs: the state's own patterns, then those of its failure
		// chain, as one linked list.
		next := int32(-1)
		if su != 0 {
			next = m.cells[m.cells[su].fail].out
		}
		own := t.pats[u]
		for i := len(own) - 1; i >= 0; i-- {
			m.outs = append(m.outs, output{pat: own[i], next: next})
			next = int32(len(m.outs) - 1)
		}
		m.cells[su].out = next
	}
}

// Match calls fn for every occurrence of every pattern in text, with the
// pattern and the rune index just after the occurrence. fn returns false to
// stop.
func (m *Matcher) Match(text []rune, fn func(p *Pattern, end int) bool) {
	m.matchSum(text, nil, 0, fn)
}

// matchSum is Match that also returns, when gate is not nil, the sum of
// gate[gateBucket(text[i-1], text[i], log)] over the neighbouring runes of
// text (what the model's gate reads, Model.gateLogit): summed in the same
// pass, its loads overlap the automaton's instead of coming after them.
// The sum covers all of text even when fn stops the matching.
func (m *Matcher) matchSum(text []rune, gate []int8, log uint, fn func(p *Pattern, end int) bool) int32 {
	cells, codes, root := m.cells, m.codes, m.root
	s, sum := int32(0), int32(0)
	for i, r := range text {
		if gate != nil && i > 0 {
			sum += int32(gate[gateBucket(text[i-1], r, log)])
		}
		var c int32
		if uint32(r) < denseCodes {
			c = int32(codes[uint16(r)])
		} else {
			c = m.highCodeOf(r)
		}
		if c == 0 {
			s = 0 // no term contains r
			continue
		}
		// Follow the failure links until a state has the transition, or
		// the root, whose transitions are in a table of their own.
		t := int32(-1)
		for s != 0 {
			if u := cells[s].base + c; cells[u].check == s {
				t = u
				break
			}
			s = cells[s].fail
		}
		if t < 0 {
			t = root[c]
		}
		s = t
		for o := cells[s].out; o >= 0; o = m.outs[o].next {
			if !fn(&m.pats[m.outs[o].pat], i+1) {
				if gate != nil {
					sum += gateSum(text[i:], gate, log)
				}
				return sum
			}
		}
	}
	return sum
}

// Len returns the number of patterns.
func (m *Matcher) Len() int { return len(m.pats) }
