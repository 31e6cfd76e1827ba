package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// claim claims evs in a batch of their own and returns which were new.
func claim(t testing.TB, db *store.DB, evs []chat.Event, at time.Time) []bool {
	t.Helper()
	var fresh []bool
	err := db.Ingest(context.Background(), func(tx pipeline.Tx) error {
		var err error
		fresh, err = tx.ClaimEvents(context.Background(), evs, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fresh
}

func events(conn string, ids ...int) []chat.Event {
	evs := make([]chat.Event, len(ids))
	for i, id := range ids {
		evs[i] = chat.Event{ID: fmt.Sprintf("e%d", id), Connection: conn, Type: chat.EventMessage}
	}
	return evs
}

// TestClaimEventsRedelivered: batches larger than one statement's rows
// (chunk), wholly new and then mixed with keys stored already and keys
// repeated in the batch, in every statement of it. Each event is new
// exactly once, and the keys of a mixed batch are stored once.
func TestClaimEventsRedelivered(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		var first []int
		for i := range 1200 {
			first = append(first, 2*i) // e0, e2, … e2398
		}
		if fresh := claim(t, db, events("bridge", first...), clk.Now()); slices.Contains(fresh, false) {
			t.Fatalf("a first batch of new events: %d of %d reported as seen before", countFalse(fresh), len(fresh))
		}
		// e0 … e2399: every other one stored already, and the last 100 of the
		// new ones repeated at the end.
		var mixed []int
		for i := range 2400 {
			mixed = append(mixed, i)
		}
		for i := 2201; i < 2400; i += 2 {
			mixed = append(mixed, i)
		}
		fresh := claim(t, db, events("bridge", mixed...), clk.Now())
		for i, id := range mixed {
			if want := id%2 == 1 && i < 2400; fresh[i] != want {
				t.Fatalf("event e%d (position %d): new = %v, want %v", id, i, fresh[i], want)
			}
		}
		// The same ids on another connection are other events.
		if fresh := claim(t, db, events("other", 0, 1, 2), clk.Now()); slices.Contains(fresh, false) {
			t.Fatalf("the same ids on another connection: %v", fresh)
		}
		if fresh := claim(t, db, events("bridge", mixed...), clk.Now()); slices.Contains(fresh, true) {
			t.Fatalf("a batch delivered again: %d of %d reported new", len(fresh)-countFalse(fresh), len(fresh))
		}
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM events").Scan(&n); err != nil || n != 2403 {
			t.Fatalf("events stored = %d, %v; want 2403", n, err)
		}
	})
}

func countFalse(bs []bool) int {
	n := 0
	for _, b := range bs {
		if !b {
			n++
		}
	}
	return n
}

// BenchmarkClaimEvents: a batch of 2,000 new events' keys claimed and
// committed on SQLite, the ingest's first statement (see ClaimEvents).
func BenchmarkClaimEvents(b *testing.B) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	db := storetest.Open(b, store.SQLite, func() time.Time { return now })
	next := 0
	batch := func() []chat.Event {
		ids := make([]int, 2000)
		for i := range ids {
			ids[i] = next
			next++
		}
		return events("bridge", ids...)
	}
	for range 100 {
		claim(b, db, batch(), now)
	}
	for b.Loop() {
		b.StopTimer()
		evs := batch()
		b.StartTimer()
		claim(b, db, evs, now)
	}
}
