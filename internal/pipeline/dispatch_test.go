package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// recorder is a fake platform: it records what it is asked to do and fails
// as scripted.
type recorder struct {
	mu    sync.Mutex
	calls []call
	fail  map[string][]error // action key → errors for successive attempts
}

type call struct {
	at time.Time
	a  chat.Action
}

func (r *recorder) Name() string                    { return "wx" }
func (r *recorder) Platform() string                { return "fake" }
func (r *recorder) Capabilities() chat.Capabilities { return chat.AllActions() }
func (r *recorder) Run(ctx context.Context, _ chat.Sink) error {
	<-ctx.Done()
	return nil
}
func (r *recorder) Do(_ context.Context, a chat.Action) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if errs := r.fail[a.Key]; len(errs) > 0 {
		r.fail[a.Key] = errs[1:]
		return errs[0]
	}
	r.calls = append(r.calls, call{time.Now(), a})
	return nil
}

func (r *recorder) delivered() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func sends(n int, group func(i int) string) []chat.Action {
	out := make([]chat.Action, n)
	for i := range out {
		out[i] = chat.Action{Key: fmt.Sprintf("k%03d", i), Connection: "wx", Kind: chat.ActSend, Group: group(i), Text: fmt.Sprint(i)}
	}
	return out
}

func runDispatcher(t *testing.T, db *store.DB, route pipeline.Route, cfg pipeline.DispatchConfig) (stop func()) {
	t.Helper()
	cfg.Outbox = db
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 10 * time.Millisecond
	}
	cfg.PollInterval = 5 * time.Millisecond
	d := pipeline.NewDispatcher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx, []pipeline.Route{route}); close(done) }()
	return func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: a shared, busy machine
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDispatchRetriesAndGivesUp(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec := &recorder{fail: map[string][]error{
			"k000": {errors.New("connection reset"), errors.New("timeout")},              // succeeds on the 3rd attempt
			"k001": {fmt.Errorf("kick: %w", chat.ErrPermanent)},                          // dead at once
			"k002": {errors.New("a"), errors.New("b"), errors.New("c"), errors.New("d")}, // dead after 3 attempts
		}}
		if err := db.Enqueue(ctx, sends(4, func(int) string { return "g" })); err != nil {
			t.Fatal(err)
		}
		stop := runDispatcher(t, db, pipeline.Route{Adapter: rec}, pipeline.DispatchConfig{MaxAttempts: 3})
		defer stop()
		waitFor(t, "the outbox to settle", func() bool {
			c, _ := db.OutboxCounts(ctx)
			return c["pending"] == 0
		})
		c, _ := db.OutboxCounts(ctx)
		if c["done"] != 2 || c["dead"] != 2 {
			t.Fatalf("outbox = %v, want 2 done and 2 dead", c)
		}
		dead, _ := db.OutboxItems(ctx, pipeline.OutboxDead, 10)
		for _, it := range dead {
			if it.LastError == "" {
				t.Errorf("dead action %s has no error recorded", it.Action.Key)
			}
		}
		got := map[string]bool{}
		for _, c := range rec.delivered() {
			got[c.a.Key] = true
		}
		if !got["k000"] || !got["k003"] || got["k001"] || got["k002"] {
			t.Fatalf("delivered %v", got)
		}
	})
}

func TestDispatchGroupWindowNeverExceeded(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	// 3 groups × 8 actions, at most 3 per group per 300ms.
	acts := sends(24, func(i int) string { return fmt.Sprintf("g%d", i%3) })
	if err := db.Enqueue(ctx, acts); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	per := 300 * time.Millisecond
	stop := runDispatcher(t, db, pipeline.Route{Adapter: rec, GroupCount: 3, GroupPer: per}, pipeline.DispatchConfig{})
	waitFor(t, "all 24 deliveries", func() bool { return len(rec.delivered()) == 24 })
	stop()
	byGroup := map[string][]call{}
	for _, c := range rec.delivered() {
		byGroup[c.a.Group] = append(byGroup[c.a.Group], c)
	}
	for g, cs := range byGroup {
		for i := 3; i < len(cs); i++ {
			if gap := cs[i].at.Sub(cs[i-3].at); gap < per-5*time.Millisecond {
				t.Errorf("group %s: 4 sends within %v (limit 3 per %v)", g, gap, per)
			}
		}
		for i := 1; i < len(cs); i++ { // order within a group is kept
			if cs[i].a.Key < cs[i-1].a.Key {
				t.Errorf("group %s: %s delivered after %s", g, cs[i].a.Key, cs[i-1].a.Key)
			}
		}
	}
}

func TestDispatchConnectionRate(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	if err := db.Enqueue(ctx, sends(30, func(i int) string { return fmt.Sprint("g", i) })); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	start := time.Now()
	stop := runDispatcher(t, db, pipeline.Route{Adapter: rec, Rate: 50, Burst: 5}, pipeline.DispatchConfig{})
	waitFor(t, "30 deliveries", func() bool { return len(rec.delivered()) == 30 })
	stop()
	// 5 at once, then 25 more at 50/s: at least 0.5s.
	if el := time.Since(start); el < 450*time.Millisecond {
		t.Fatalf("30 actions at 50/s burst 5 took %v, want ≥ 0.5s", el)
	}
}

// A burst as large as the rate (the configuration's default) still never
// puts more than Rate sends in any one second.
func TestDispatchNeverExceedsRatePerSecond(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	const rate, n = 200, 450
	acts := make([]chat.Action, n)
	for i := range acts {
		acts[i] = chat.Action{Key: fmt.Sprintf("r%04d", i), Connection: "wx", Kind: chat.ActSend, Group: fmt.Sprint("g", i), Text: "x"}
	}
	if err := db.Enqueue(ctx, acts); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	stop := runDispatcher(t, db, pipeline.Route{Adapter: rec, Rate: rate, Burst: rate}, pipeline.DispatchConfig{})
	waitFor(t, "all deliveries", func() bool { return len(rec.delivered()) == n })
	stop()
	cs := rec.delivered()
	for i := rate; i < len(cs); i++ {
		if gap := cs[i].at.Sub(cs[i-rate].at); gap < time.Second {
			t.Fatalf("%d sends within %v (limit %d a second)", rate+1, gap, rate)
		}
	}
	if span := cs[len(cs)-1].at.Sub(cs[0].at); span > 3*time.Second {
		t.Fatalf("%d sends at %d/s took %v: the limiter is too slow", n, rate, span)
	}
}

func TestDispatchRetryAfterPausesConnection(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	if err := db.Enqueue(ctx, sends(3, func(i int) string { return fmt.Sprint("g", i) })); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{fail: map[string][]error{"k000": {&chat.RetryAfterError{After: 300 * time.Millisecond, Err: errors.New("429")}}}}
	start := time.Now()
	stop := runDispatcher(t, db, pipeline.Route{Adapter: rec}, pipeline.DispatchConfig{})
	waitFor(t, "3 deliveries", func() bool { return len(rec.delivered()) == 3 })
	stop()
	for _, c := range rec.delivered() {
		if c.at.Sub(start) < 290*time.Millisecond {
			t.Fatalf("%s delivered %v after start, inside the platform's retry-after pause", c.a.Key, c.at.Sub(start))
		}
	}
}
