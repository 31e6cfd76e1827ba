package pipeline_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// tenure is a replica's hold on a connection, ended by the test.
type tenure struct {
	holder string
	fence  atomic.Int64
	ended  atomic.Bool
}

func (t *tenure) Fence() (string, int64, bool) { return t.holder, t.fence.Load(), !t.ended.Load() }

// handOff is a platform that ends its replica's tenure after n calls, as
// a lease lost in the middle of a batch would.
type handOff struct {
	recorder
	after  int
	tenure *tenure
	once   sync.Once
}

func (h *handOff) Do(ctx context.Context, a chat.Action) error {
	err := h.recorder.Do(ctx, a)
	if len(h.delivered()) >= h.after {
		h.once.Do(func() { h.tenure.ended.Store(true) })
	}
	return err
}

// TestDispatchFencedByTheConnectionLease: two replicas' dispatchers serve
// one connection. Only the lease's holder claims its actions; when its
// tenure ends in the middle of a batch it sends nothing more and hands
// the rest back, which the new holder (a greater fence) sends at once:
// every action once, none by two replicas.
func TestDispatchFencedByTheConnectionLease(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, ok, err := db.AcquireConnection(ctx, "wx", "a", "", time.Minute, 0)
		if err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		ta, tb := &tenure{holder: "a"}, &tenure{holder: "b"}
		ta.fence.Store(l.Fence)
		tb.fence.Store(l.Fence) // b claims with a's fence but its own name: refused
		a := &handOff{after: 3, tenure: ta}
		b := &recorder{}
		if err := db.Enqueue(ctx, sends(10, func(int) string { return "g" })); err != nil {
			t.Fatal(err)
		}
		// A lease of the outbox longer than the test: only a hand-back
		// lets b have a's claimed actions in time.
		cfg := pipeline.DispatchConfig{Outbox: db, PollInterval: 5 * time.Millisecond, Lease: time.Hour}
		da, db2 := pipeline.NewDispatcher(cfg), pipeline.NewDispatcher(cfg)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); da.Serve(cctx, pipeline.Route{Adapter: a, Tenure: ta}) }()
		go func() { defer wg.Done(); db2.Serve(cctx, pipeline.Route{Adapter: b, Tenure: tb}) }()
		waitFor(t, "a's tenure to end", func() bool { return ta.ended.Load() })
		time.Sleep(50 * time.Millisecond) // b polls; it may claim nothing yet
		if n := len(b.delivered()); n != 0 {
			t.Fatalf("b sent %d actions without holding the connection", n)
		}
		// b takes the connection over from a (gone).
		l2, ok, err := db.AcquireConnection(ctx, "wx", "b", "", time.Minute, l.Fence)
		if err != nil || !ok || l2.Fence != l.Fence+1 {
			t.Fatalf("takeover: %+v %v %v", l2, ok, err)
		}
		tb.fence.Store(l2.Fence)
		waitFor(t, "all ten actions", func() bool { return len(a.delivered())+len(b.delivered()) >= 10 })
		time.Sleep(50 * time.Millisecond)
		cancel()
		wg.Wait()
		seen := map[string]string{}
		for who, calls := range map[string][]call{"a": a.delivered(), "b": b.delivered()} {
			for _, c := range calls {
				if other, twice := seen[c.a.Key]; twice {
					t.Fatalf("action %s sent by %s and %s", c.a.Key, other, who)
				}
				seen[c.a.Key] = who
			}
		}
		if len(seen) != 10 || len(a.delivered()) != 3 {
			t.Fatalf("a sent %d, b %d: want 3 and 7", len(a.delivered()), len(b.delivered()))
		}
		// The dispatcher that lost the connection stopped serving it.
		c, _ := db.OutboxCounts(ctx)
		if c["done"] != 10 {
			t.Fatalf("outbox %v, want 10 done", c)
		}
	})
}

// stuck is a platform whose first call hangs until the dispatcher stops.
type stuck struct {
	recorder
	entered chan struct{}
	once    sync.Once
}

func (s *stuck) Do(ctx context.Context, a chat.Action) error {
	s.once.Do(func() { close(s.entered) })
	<-ctx.Done()
	return ctx.Err()
}

// TestDispatchStopHandsBackWhatItClaimed: a dispatcher that stops (a
// shutdown, or a tenure that ends) returns the actions it claimed and did
// not send, including a batch claimed ahead, instead of leaving them to
// their lease: the next holder sends them at once, not an outbox lease
// later.
func TestDispatchStopHandsBackWhatItClaimed(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		first := sends(5, func(int) string { return "g" })
		if err := db.Enqueue(ctx, first); err != nil {
			t.Fatal(err)
		}
		p := &stuck{entered: make(chan struct{})}
		cfg := pipeline.DispatchConfig{Outbox: db, PollInterval: 5 * time.Millisecond, Lease: time.Hour}
		d := pipeline.NewDispatcher(cfg)
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { d.Serve(cctx, pipeline.Route{Adapter: p}); close(done) }()
		<-p.entered
		more := sends(5, func(int) string { return "h" })
		for i := range more {
			more[i].Key = "more-" + more[i].Key
		}
		if err := db.Enqueue(ctx, more); err != nil {
			t.Fatal(err)
		}
		leased := func() int { return count(t, db, "SELECT COUNT(*) FROM outbox WHERE lease_until > 0") }
		waitFor(t, "the next batch claimed ahead", func() bool { return leased() == 10 })
		cancel()
		<-done
		// The call cut short may or may not have reached the platform:
		// it alone stays leased (sent again when its lease runs out).
		if n := leased(); n != 1 {
			t.Fatalf("%d actions still leased after the stop, want 1 (the call in flight)", n)
		}
		got, err := db.ClaimActions(ctx, "wx", 100, time.Minute)
		if err != nil || len(got) != 9 {
			t.Fatalf("claimed %d (%v) after the stop, want the 9 not sent", len(got), err)
		}
	})
}
