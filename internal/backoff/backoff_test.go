package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	for _, tc := range []struct {
		n         int
		base, max time.Duration
		want      time.Duration // before jitter
	}{
		{0, time.Second, time.Minute, time.Second},
		{1, time.Second, time.Minute, time.Second},
		{2, time.Second, time.Minute, 2 * time.Second},
		{4, time.Second, time.Minute, 8 * time.Second},
		{7, time.Second, time.Minute, time.Minute},
		{1000, time.Second, time.Minute, time.Minute}, // no overflow however many failures
		{3, time.Second, 64 * time.Second, 4 * time.Second},
		{1, 2 * time.Second, time.Second, time.Second}, // the cap wins over the base
	} {
		for range 50 {
			d := Delay(tc.n, tc.base, tc.max)
			lo, hi := time.Duration(float64(tc.want)*0.8), time.Duration(float64(tc.want)*1.2)
			if d < lo || d >= hi {
				t.Fatalf("Delay(%d, %v, %v) = %v, want within 20%% of %v", tc.n, tc.base, tc.max, d, tc.want)
			}
		}
	}
}

// TestDelayJitters: retries spread out rather than all waiting the same.
func TestDelayJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[Delay(3, time.Second, time.Minute)] = true
	}
	if len(seen) < 2 {
		t.Fatalf("20 delays took %d distinct values", len(seen))
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep with a live context reported it was cut short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on an ended context waited")
	}
	if Sleep(ctx, 0) || !Sleep(context.Background(), 0) {
		t.Error("Sleep(0) must report the context's state without waiting")
	}
}
