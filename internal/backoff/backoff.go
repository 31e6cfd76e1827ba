// Package backoff is how qunzhu waits before trying again — a platform
// connection that dropped, an action that failed to deliver: exponential
// from a base, capped, with ±20% jitter so that many connections do not
// retry in step.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Delay returns the wait before attempt n+1 after n failed attempts:
// base for n ≤ 1, doubling with each further failure up to max, then
// scaled by a random factor in [0.8, 1.2).
func Delay(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 {
		d = max
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Sleep waits for d or until ctx is done, and reports whether the wait ran
// its course (false: the context ended first). A d ≤ 0 does not wait.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
