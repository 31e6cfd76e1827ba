package api_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestReadyzNamesTheReplicaAndConnectionsFollowTheList: /readyz says
// which replica answers and what it holds (to an admin token); bridges authenticate as the
// connections of the moment (one added in the console is known at once,
// one deleted is refused).
func TestReadyzNamesTheReplicaAndConnectionsFollowTheList(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	var mu sync.Mutex
	list := []api.Connection{{Name: "wx", Platform: "webhook", Token: "conn-secret-0123456789", Pulled: true}}
	s := &api.Server{Store: db, Decode: decodeArray, Ready: db.CheckSchema,
		ConnectionList: func() []api.Connection { mu.Lock(); defer mu.Unlock(); return list },
		Replica:        func() api.Replica { return api.Replica{ID: "web-1", Holds: []string{"qq", "tg"}} }}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	e := &env{srv: srv, db: db}
	ctx := context.Background()
	org := community.Org{Name: "学院", Slug: "acad"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	admin, err := db.CreateToken(ctx, org.ID, "ops", access.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	read, err := db.CreateToken(ctx, org.ID, "viewer", access.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	code, out := e.do(t, "GET", "/readyz", admin, "")
	if holds, _ := out["holds"].([]any); code != 200 || out["status"] != "ready" || out["replica"] != "web-1" || len(holds) != 2 || holds[1] != "tg" {
		t.Fatalf("readyz: %d %v", code, out)
	}
	// Anyone else — a load balancer, a read token — gets the status alone.
	for _, tok := range []string{"", read} {
		if code, out := e.do(t, "GET", "/readyz", tok, ""); code != 200 || len(out) != 1 || out["status"] != "ready" {
			t.Fatalf("readyz with token %q: %d %v, want the status alone", tok, code, out)
		}
	}
	if code, _ := e.do(t, "GET", "/api/v1/actions", "conn-secret-0123456789", ""); code != 200 {
		t.Fatalf("a listed bridge: %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/actions", "new-bridge-0123456789", ""); code != 401 {
		t.Fatalf("an unknown bridge: %d", code)
	}
	mu.Lock()
	list = []api.Connection{{Name: "nb", Platform: "webhook", Token: "new-bridge-0123456789", Pulled: true}}
	mu.Unlock()
	if code, _ := e.do(t, "GET", "/api/v1/actions", "new-bridge-0123456789", ""); code != 200 {
		t.Fatalf("a bridge added since: %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/actions", "conn-secret-0123456789", ""); code != 401 {
		t.Fatalf("a bridge deleted since: %d", code)
	}
}
