package importer

import (
	"context"
	"os"
	"runtime/metrics"
	"testing"

	"github.com/qunzhu/qunzhu/internal/importer/importertest"
)

// exportFile writes an export of n messages to a temporary file.
func exportFile(tb testing.TB, n int) (string, int64) {
	tb.Helper()
	return importertest.TelegramFile(tb, tb.TempDir(), n)
}

// liveHeap is the heap in use after the last collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// readExport reads the file at path once (a Validate pass) and returns
// the events and the largest live heap seen between batches.
func readExport(tb testing.TB, path string) (events int, peak uint64) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	batches := 0
	sum, err := Validate(context.Background(), f, Options{Connection: "c", Progress: func(Progress) {
		if batches++; batches%50 == 0 {
			peak = max(peak, liveHeap())
		}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return sum.Events, max(peak, liveHeap())
}

// TestTelegramMemoryIsFlat reads a 200,000-message export (about 50 MB):
// the live heap stays a small fraction of the file, as it must for a
// stream (a tree of it would be several times its size).
func TestTelegramMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 50 MB file")
	}
	const n = 200_000
	path, size := exportFile(t, n)
	events, peak := readExport(t, path)
	if events < n {
		t.Fatalf("%d events from %d messages", events, n)
	}
	if limit := uint64(size) / 8; peak > limit {
		t.Fatalf("live heap reached %d MB reading a %d MB file (limit %d MB)", peak>>20, size>>20, limit>>20)
	}
	t.Logf("%d MB file, live heap at most %.1f MB", size>>20, float64(peak)/(1<<20))
}

// BenchmarkTelegramMillion parses a generated export of 1,000,000
// messages (about 250 MB) per iteration: msgs/s, allocations, and the
// largest live heap (which must not grow with the file).
func BenchmarkTelegramMillion(b *testing.B) {
	const n = 1_000_000
	path, size := exportFile(b, n)
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		events, p := readExport(b, path)
		if events < n {
			b.Fatalf("%d events", events)
		}
		peak = max(peak, p)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-live-MB")
}
