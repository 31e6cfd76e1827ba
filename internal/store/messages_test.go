package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestMessagesInTimeOrder: a group's message list is newest first by the
// time sent, also when older history was imported after newer messages
// (its ids are higher), and paging through it with the cursor the API
// hands out returns every message once.
func TestMessagesInTimeOrder(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		var pid int64
		insert := func(from, n int, base time.Time) {
			t.Helper()
			err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				if pid, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "张三"}); err != nil {
					return err
				}
				msgs := make([]community.Message, n)
				for i := range msgs {
					// Two messages a second: ties on the time are ordered by id.
					at := base.Add(time.Duration((from+i)/2) * time.Second)
					msgs[i] = community.Message{GroupID: g.ID, PersonID: pid, ExternalID: fmt.Sprintf("m%d", from+i), Kind: chat.KindText, Text: fmt.Sprint(from + i), SentAt: at}
				}
				return tx.InsertMessages(ctx, msgs)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		base := clk.Now().Add(-24 * time.Hour)
		insert(100, 100, base) // today's messages 100..199
		insert(0, 100, base)   // then the history before them, 0..99, imported later
		var got []string
		before := int64(0)
		for range 10 {
			page, err := db.Messages(ctx, g.ID, community.Page{Limit: 30, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				got = append(got, m.Text)
			}
			if len(page) < 30 {
				break
			}
			before = page[len(page)-1].ID
		}
		if len(got) != 200 {
			t.Fatalf("paged %d messages, want 200: %v", len(got), got)
		}
		for i, s := range got {
			if want := fmt.Sprint(199 - i); s != want {
				t.Fatalf("message %d of the list is %s, want %s (newest first by time): %v", i, s, want, got)
			}
		}
		// A cursor that is not one of the group's messages pages by id.
		page, err := db.Messages(ctx, g.ID, community.Page{Limit: 500, Before: 1 << 40})
		if err != nil || len(page) != 200 {
			t.Fatalf("foreign cursor: %d messages, %v", len(page), err)
		}
	})
}
