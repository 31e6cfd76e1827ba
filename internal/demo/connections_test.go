package demo

import (
	"context"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestSeedConnections: the demo's console shows a connection added in the
// console (a partner's relay) next to the file's, stored as the console
// stores one.
func TestSeedConnections(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite, nil)
	org := community.Org{Name: "演示", Slug: "demo"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	if err := seedConnections(ctx, db, org); err != nil {
		t.Fatal(err)
	}
	defs, err := db.ConnectionDefs(ctx)
	if err != nil || len(defs) != 1 {
		t.Fatalf("connections: %v %v", defs, err)
	}
	d := defs[0]
	if d.Name != "partner-relay" || d.Platform != "webhook" || !d.Enabled || d.Source != connections.FromConsole || len(d.Token) < 16 || d.OrgID != org.ID {
		t.Fatalf("the partner's relay: %+v", d)
	}
}
