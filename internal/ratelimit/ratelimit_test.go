package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	w := New(3, time.Minute)
	var rs []Reservation
	for i := range 3 {
		r, ok := w.Reserve("a", t0.Add(time.Duration(i)*time.Second))
		if !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		rs = append(rs, r)
	}
	if _, ok := w.Reserve("a", t0.Add(3*time.Second)); ok {
		t.Fatal("a fourth attempt in the minute went through")
	}
	if _, ok := w.Reserve("b", t0); !ok {
		t.Fatal("another key is limited too")
	}
	// Releasing takes an attempt back, once.
	rs[1].Release()
	rs[1].Release()
	if _, ok := w.Reserve("a", t0.Add(4*time.Second)); !ok {
		t.Fatal("a released attempt still counts")
	}
	if _, ok := w.Reserve("a", t0.Add(5*time.Second)); ok {
		t.Fatal("releasing twice freed two attempts")
	}
	// Refused attempts are not counted: the window slides a minute after
	// the first attempt, not after the last refusal.
	if _, ok := w.Reserve("a", t0.Add(time.Minute)); !ok {
		t.Fatal("the window did not slide")
	}
	var zero Reservation
	zero.Release()
}

// TestReserveBeforeWork: attempts sent at once are counted as they are
// reserved, so no more than Max get through however many arrive together.
func TestReserveBeforeWork(t *testing.T) {
	w := New(10, 15*time.Minute)
	now := time.Now()
	var mu sync.Mutex
	through := 0
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := w.Reserve("203.0.113.7", now); ok {
				time.Sleep(10 * time.Millisecond) // the guarded work
				mu.Lock()
				through++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if through != 10 {
		t.Fatalf("%d of 30 simultaneous attempts got through, want 10", through)
	}
}

// TestSweep: keys whose attempts aged out are dropped, so a flood of
// one-off keys does not grow the window for ever.
func TestSweep(t *testing.T) {
	w := New(5, time.Minute)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range 1000 {
		w.Reserve(fmt.Sprint("user", i), t0)
	}
	if w.Keys() != 1000 {
		t.Fatalf("%d keys", w.Keys())
	}
	w.Reserve("late", t0.Add(2*time.Minute))
	if w.Keys() != 1 {
		t.Fatalf("%d keys after the sweep, want 1", w.Keys())
	}
}
