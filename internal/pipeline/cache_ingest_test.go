package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestIngesterCachesBounded: the ingester's group, people and membership
// caches stay within CacheLimit however many people and groups it sees,
// and what it then reads from the store is still right.
func TestIngesterCachesBounded(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "学院", Slug: "a"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, CacheLimit: 50, OrgFor: func(string) int64 { return org.ID }})
	go in.Run(ctx)
	send := func(i int, user string) {
		t.Helper()
		e := chat.Event{ID: fmt.Sprint("e", i), Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: fmt.Sprint("g", i%120), Time: t0,
			Sender: chat.User{ID: user, Name: user}, Message: &chat.Message{ID: fmt.Sprint("m", i), Kind: chat.KindText, Text: "hi"}}
		if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 400 {
		send(i, fmt.Sprint("u", i))
	}
	g, p, m := in.CacheSizes()
	if g > 50 || p > 50 || m > 50 || g == 0 || p == 0 || m == 0 {
		t.Fatalf("caches hold %d groups, %d people, %d memberships: want 1 to 50 each", g, p, m)
	}
	// A person forgotten by the cache is found again, not created twice.
	send(400, "u0")
	groups, err := db.Groups(ctx, org.ID)
	if err != nil || len(groups) != 120 {
		t.Fatalf("%d groups, want 120 (%v)", len(groups), err)
	}
	var people int
	db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM people").Scan(&people)
	if people != 400 {
		t.Fatalf("%d people, want 400", people)
	}
}
