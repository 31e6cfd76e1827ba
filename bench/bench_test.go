package main

import (
	"fmt"
	"testing"
)

// BenchmarkMatchers runs each matcher over a 100,000-message corpus at 1k,
// 10k and 50k terms, for profiling one of them:
//
//	go test -run XXX -bench 'Matchers/50000/qunzhu_\(normalised\)' -cpuprofile cpu.out
func BenchmarkMatchers(b *testing.B) {
	msgs := corpus(100_000)
	size := bytesOf(msgs)
	for _, terms := range []int{1_000, 10_000, 50_000} {
		dict := dictionary(terms, msgs)
		for _, m := range matchers {
			b.Run(fmt.Sprintf("%d/%s", terms, m.name), func(b *testing.B) {
				search := m.build(dict)
				b.SetBytes(int64(size / len(msgs)))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					search(msgs[i%len(msgs)], nil)
				}
			})
		}
	}
}
