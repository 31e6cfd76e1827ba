package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// countingIngester accepts every event and stores nothing.
type countingIngester struct{ n atomic.Int64 }

func (c *countingIngester) IngestCount(_ context.Context, evs []chat.Event) (pipeline.Result, error) {
	c.n.Add(int64(len(evs)))
	return pipeline.Result{Accepted: len(evs)}, nil
}

// TestDecodingSlots: event bodies are decoded at most all cores but one at
// a time (at least one), so that requests do not take the writer's core
// to decode what it cannot store yet; the others wait for a slot, and
// every request is served.
func TestDecodingSlots(t *testing.T) {
	slots := max(1, runtime.GOMAXPROCS(0)-1)
	var inside, most atomic.Int64
	release := make(chan struct{})
	decode := func(r io.Reader, conn, platform string) ([]chat.Event, error) {
		n := inside.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		inside.Add(-1)
		return decodeArray(r, conn, platform)
	}
	in := &countingIngester{}
	s := &api.Server{Ingest: in, Decode: decode, Connections: []api.Connection{{Name: "wx", Platform: "webhook", Token: "conn-secret"}}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	var freed sync.Once
	free := func() { freed.Do(func() { close(release) }) }
	defer free() // before the server closes, which waits for its handlers

	requests := slots + 3
	var wg sync.WaitGroup
	codes := make([]int, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/events", strings.NewReader(oneEvent))
			req.Header.Set("Authorization", "Bearer conn-secret")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	// Every slot fills; no request decodes beyond them.
	for deadline := time.Now().Add(10 * time.Second); inside.Load() < int64(slots); {
		if time.Now().After(deadline) {
			t.Fatalf("%d decoding after 10 s, want %d", inside.Load(), slots)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a request past the slots to start decoding, were it allowed
	if n := inside.Load(); n != int64(slots) {
		t.Fatalf("%d requests decoding at once, want %d", n, slots)
	}
	free()
	wg.Wait()
	if m := most.Load(); m != int64(slots) {
		t.Fatalf("at most %d decoding at once, want %d", m, slots)
	}
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if n := in.n.Load(); n != int64(requests) {
		t.Fatalf("%d events ingested, want %d", n, requests)
	}
}
