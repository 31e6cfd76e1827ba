// Package ratelimit counts attempts per key in a sliding window: failed
// console logins per client address and per account, public join links
// per address.
//
// An attempt is counted when it is reserved, before the work it guards
// (a bcrypt comparison takes a tenth of a second): thirty guesses sent at
// once see each other's reservations, so no more than the limit get
// through. An attempt that turns out not to count (a successful login) is
// released afterwards.
package ratelimit

import (
	"sync"
	"time"
)

// Window allows Max attempts per key in any Period.
type Window struct {
	Max    int
	Period time.Duration

	mu    sync.Mutex
	hits  map[string][]time.Time
	swept time.Time
}

// New returns a window allowing max attempts per key in any period.
func New(max int, period time.Duration) *Window {
	return &Window{Max: max, Period: period, hits: map[string][]time.Time{}}
}

// Reservation is a counted attempt, which Release takes back.
type Reservation struct {
	w   *Window
	key string
	at  time.Time
}

// Reserve counts an attempt under key at now, unless key has had Max
// attempts in the Period before now: then nothing is counted and ok is
// false.
func (w *Window) Reserve(key string, now time.Time) (r Reservation, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweep(now)
	recent := w.recent(key, now)
	if len(recent) >= w.Max {
		w.hits[key] = recent
		return Reservation{}, false
	}
	w.hits[key] = append(recent, now)
	return Reservation{w: w, key: key, at: now}, true
}

// Release takes the attempt back (it did not count: the login succeeded).
// Releasing twice, or the zero Reservation, does nothing.
func (r *Reservation) Release() {
	if r.w == nil {
		return
	}
	w := r.w
	r.w = nil
	w.mu.Lock()
	defer w.mu.Unlock()
	hits := w.hits[r.key]
	for i, t := range hits {
		if t.Equal(r.at) {
			w.hits[r.key] = append(hits[:i:i], hits[i+1:]...)
			break
		}
	}
	if len(w.hits[r.key]) == 0 {
		delete(w.hits, r.key)
	}
}

// recent is key's attempts within the Period before now.
func (w *Window) recent(key string, now time.Time) []time.Time {
	hits := w.hits[key]
	i := 0
	for i < len(hits) && now.Sub(hits[i]) >= w.Period {
		i++
	}
	return hits[i:]
}

// sweep drops the keys whose attempts have all aged out, once a Period, so
// that the keys a window holds are bounded by the attempts of one Period.
func (w *Window) sweep(now time.Time) {
	if now.Sub(w.swept) < w.Period {
		return
	}
	w.swept = now
	for k := range w.hits {
		if len(w.recent(k, now)) == 0 {
			delete(w.hits, k)
		}
	}
}

// Keys is how many keys the window holds (for tests and metrics).
func (w *Window) Keys() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.hits)
}
