package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestPendingActionWaits: an action the platform accepted but has not
// carried out (a 群发 waiting for the group owner) stays pending with what
// it waits for — for longer than the attempts allow — and is done once
// the platform says so.
func TestPendingActionWaits(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	waiting := &chat.PendingError{State: "waiting for the owner to confirm", CheckAfter: time.Millisecond}
	r := &recorder{fail: map[string][]error{}}
	for range 8 {
		r.fail["push:1"] = append(r.fail["push:1"], waiting)
	}
	r.fail["push:2"] = []error{waiting, errors.New("network down"), errors.New("network down")}
	if err := db.Enqueue(ctx, []chat.Action{
		{Key: "push:1", Connection: "wx", Kind: chat.ActSend, Group: "g1", Text: "a"},
		{Key: "push:2", Connection: "wx", Kind: chat.ActSend, Group: "g2", Text: "b"},
	}); err != nil {
		t.Fatal(err)
	}
	stop := runDispatcher(t, db, pipeline.Route{Adapter: r}, pipeline.DispatchConfig{MaxAttempts: 3})
	defer stop()
	// push:1 waits 8 times with 3 attempts allowed; push:2 waits once,
	// then fails twice and goes through on its third attempt.
	waitFor(t, "both delivered", func() bool { return len(r.delivered()) == 2 })
	// The platform's answer comes before the outbox row says done: wait
	// for the row, not only for the delivery.
	var done []pipeline.OutboxItem
	waitFor(t, "both done in the outbox", func() bool {
		var err error
		done, err = db.OutboxItems(ctx, pipeline.OutboxDone, 10)
		return err == nil && len(done) == 2
	})
	for _, it := range done {
		if it.LastError != "" {
			t.Errorf("%s done with %q", it.Action.Key, it.LastError)
		}
	}
}

// TestPendingStateShows: while waiting, the action is pending with what
// it waits for, and no error.
func TestPendingStateShows(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	r := &recorder{fail: map[string][]error{"push:1": {&chat.PendingError{For: chat.PendingOwnerConfirm, State: "waiting for zhangsan", CheckAfter: time.Hour}}}}
	db.Enqueue(ctx, []chat.Action{{Key: "push:1", Connection: "wx", Kind: chat.ActSend, Group: "g1", Text: "a"}})
	stop := runDispatcher(t, db, pipeline.Route{Adapter: r}, pipeline.DispatchConfig{MaxAttempts: 1})
	defer stop()
	waitFor(t, "the pending state", func() bool {
		items, _ := db.OutboxItems(ctx, pipeline.OutboxPending, 10)
		return len(items) == 1 && items[0].PendingReason == "waiting for zhangsan" && items[0].PendingFor == chat.PendingOwnerConfirm &&
			items[0].LastError == "" && items[0].Attempts == 0
	})
	if dead, _ := db.OutboxItems(ctx, pipeline.OutboxDead, 10); len(dead) != 0 {
		t.Fatalf("a pending action died: %+v", dead)
	}
}
