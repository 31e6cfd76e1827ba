package rules

import (
	"slices"
	"sync"
)

// The lookup over the generated t2sPairs (t2s_table.go).

// t2sRunes is t2sPairs decoded once: from is sorted, to[i] is the
// simplified form of from[i].
var t2sRunes = sync.OnceValue(func() (t struct{ from, to []rune }) {
	rs := []rune(t2sPairs)
	t.from, t.to = make([]rune, 0, len(rs)/2), make([]rune, 0, len(rs)/2)
	for i := 0; i+1 < len(rs); i += 2 {
		t.from, t.to = append(t.from, rs[i]), append(t.to, rs[i+1])
	}
	return t
})

// t2s returns the simplified form of the traditional character r, and
// whether t2sPairs has one.
func t2s(r rune) (rune, bool) {
	if r < t2sFirst || r > t2sLast {
		return r, false
	}
	t := t2sRunes()
	if i, ok := slices.BinarySearch(t.from, r); ok {
		return t.to[i], true
	}
	return r, false
}
