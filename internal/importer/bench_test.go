package importer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"
	"time"
)

// writeTelegramExport writes a Telegram Desktop export of one supergroup
// with n messages from 500 members: texts, links, photos, replies, joins.
func writeTelegramExport(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprint(bw, "{\n \"name\": \"压力测试群\",\n \"type\": \"private_supergroup\",\n \"id\": 1234567890,\n \"messages\": [")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range n {
		if i > 0 {
			bw.WriteString(",")
		}
		at := base + int64(i)
		date := time.Unix(at, 0).UTC().Format("2006-01-02T15:04:05")
		u := i % 500
		head := fmt.Sprintf("\n  {\n   \"id\": %d,\n   \"type\": \"%%s\",\n   \"date\": \"%s\",\n   \"date_unixtime\": \"%d\",\n", i+1, date, at)
		switch {
		case i%1000 == 0:
			fmt.Fprintf(bw, head, "service")
			fmt.Fprintf(bw, "   \"actor\": \"成员%d\",\n   \"actor_id\": \"user%d\",\n   \"action\": \"invite_members\",\n   \"members\": [\"成员%d\", \"新人%d\"],\n   \"text\": \"\"\n  }", u, 100000+u, (u+1)%500, i)
		case i%10 == 0:
			fmt.Fprintf(bw, head, "message")
			fmt.Fprintf(bw, "   \"from\": \"成员%d\",\n   \"from_id\": \"user%d\",\n   \"reply_to_message_id\": %d,\n   \"text\": [\n    \"路线在这里 \",\n    {\n     \"type\": \"link\",\n     \"text\": \"https://example.org/r/%d\"\n    }\n   ]\n  }", u, 100000+u, i, i)
		case i%17 == 0:
			fmt.Fprintf(bw, head, "message")
			fmt.Fprintf(bw, "   \"from\": \"成员%d\",\n   \"from_id\": \"user%d\",\n   \"photo\": \"photos/photo_%d@01-01-2024_00-00-00.jpg\",\n   \"width\": 1280,\n   \"height\": 960,\n   \"text\": \"\"\n  }", u, 100000+u, i)
		default:
			fmt.Fprintf(bw, head, "message")
			fmt.Fprintf(bw, "   \"from\": \"成员%d\",\n   \"from_id\": \"user%d\",\n   \"text\": \"第%d条消息：周末一起去爬山吧，记得带水和雨衣。\"\n  }", u, 100000+u, i)
		}
	}
	bw.WriteString("\n ]\n}\n")
	return bw.Flush()
}

// exportFile writes an export of n messages to a temporary file.
func exportFile(tb testing.TB, n int) (string, int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "result.json")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := writeTelegramExport(f, n); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, st.Size()
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
