package pipeline_test

import (
	"context"
	"fmt"
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

// asker counts every message as a question about its text.
type asker struct{}

func (asker) Decide(_ context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	if m := in.Event.Message; m != nil {
		in.Asked(m.Text)
	}
	return nil, nil
}

// TestAsksCounted: the questions a decider recognises are counted per
// group and day (the server's), in the ingest transaction, and ranked.
func TestAsksCounted(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		now := t0.Add(time.Second) // the events are live
		in := setup(t, db, pipeline.IngestConfig{Decider: asker{}, Now: func() time.Time { return now }, Location: t0.Location()})
		ctx := context.Background()
		at := func(e chat.Event, d time.Duration) chat.Event { e.Time = t0.Add(d); return e }
		// Two batches on one day, then the next day (the server's: 00:30 CST).
		if err := in.Ingest(ctx, []chat.Event{msg("a", "g1", "u1", "课表"), msg("b", "g1", "u2", "课表"), msg("c", "g1", "u3", "作业")}); err != nil {
			t.Fatal(err)
		}
		if err := in.Ingest(ctx, []chat.Event{msg("d", "g1", "u1", "作业"), msg("e", "g1", "u1", "作业"), msg("f", "g2", "u1", "课表")}); err != nil {
			t.Fatal(err)
		}
		now = t0.Add(16*time.Hour + 30*time.Minute)
		if err := in.Ingest(ctx, []chat.Event{at(msg("g", "g1", "u1", "课表"), 16*time.Hour+30*time.Minute)}); err != nil {
			t.Fatal(err)
		}
		groups, err := db.Groups(ctx, 1)
		if err != nil || len(groups) != 2 {
			t.Fatalf("groups %v %v", groups, err)
		}
		g1 := groups[0].ID
		if groups[0].ExternalID != "g1" {
			g1 = groups[1].ID
		}
		all, err := db.TopAsks(ctx, g1, "2026-11-25", 10)
		if err != nil || fmt.Sprint(all) != "[{作业 3} {课表 3}]" {
			t.Fatalf("since the first day: %v %v", all, err)
		}
		next, err := db.TopAsks(ctx, g1, "2026-11-26", 10)
		if err != nil || fmt.Sprint(next) != "[{课表 1}]" {
			t.Fatalf("the next day: %v %v", next, err)
		}
	})
}
