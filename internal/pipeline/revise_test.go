package pipeline_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// greeter welcomes the joins of one window in one delayed reply, each
// join revising it to name them all.
type greeter struct {
	mu    sync.Mutex
	names []string
}

func (d *greeter) Decide(_ context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	if in.Event.Type != chat.EventMemberJoined {
		return nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names = append(d.names, in.Event.Sender.Name)
	return []pipeline.Verdict{{Action: chat.ActSend, Key: "welcome:g1", Revise: true, NotBefore: t0.Add(time.Minute),
		Text: "欢迎 " + strings.Join(d.names, "、"), Image: "https://example.com/w.png"}}, nil
}

func TestRevisedReply(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			now := t0.Add(time.Second)
			db := storetest.Open(t, d, func() time.Time { return now })
			in := setup(t, db, pipeline.IngestConfig{Decider: &greeter{}})
			ctx := context.Background()
			ingest := func(evs ...chat.Event) {
				t.Helper()
				if err := in.Ingest(ctx, evs); err != nil {
					t.Fatal(err)
				}
			}
			claim := func() []chat.Action {
				t.Helper()
				items, err := db.ClaimActions(ctx, "wx", 10, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				var out []chat.Action
				for _, it := range items {
					out = append(out, it.Action)
					if err := db.CompleteAction(ctx, it.ID); err != nil {
						t.Fatal(err)
					}
				}
				return out
			}
			ingest(member("j1", chat.EventMemberJoined, "g1", "u1"))
			// Two joins of one batch revise it once, the last word kept.
			ingest(member("j2", chat.EventMemberJoined, "g1", "u2"), member("j3", chat.EventMemberJoined, "g1", "u3"))
			if got := claim(); len(got) != 0 {
				t.Fatalf("the welcome came before its window ended: %+v", got)
			}
			now = t0.Add(time.Minute + time.Second)
			got := claim()
			if len(got) != 1 || got[0].Text != "欢迎 用户u1、用户u2、用户u3" || got[0].Image != "https://example.com/w.png" || got[0].MessageID != "" {
				t.Fatalf("welcome = %+v, want one naming all three", got)
			}
			// Sent: a late revision changes nothing and sends nothing more.
			ingest(member("j4", chat.EventMemberJoined, "g1", "u4"))
			if got := claim(); len(got) != 0 {
				t.Fatalf("a sent welcome was sent again: %+v", got)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM outbox"); n != 1 {
				t.Fatalf("outbox rows = %d, want 1", n)
			}
		})
	}
}
