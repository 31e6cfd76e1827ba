package store_test

import (
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestTreeEdits(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		root := nodes[0]
		county := community.Node{OrgID: org.ID, ParentID: root.ID, Name: "阳新", Kind: community.NodeRegion}
		if err := db.CreateNode(ctx, &county); err != nil {
			t.Fatal(err)
		}
		store1 := community.Node{OrgID: org.ID, ParentID: county.ID, Name: "兴国镇店", Kind: community.NodeStore}
		db.CreateNode(ctx, &store1)
		if _, err := db.UpdateNode(ctx, org.ID, root.ID, nil, &store1.ID); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("moving the root under its grandchild: %v, want invalid (cycle)", err)
		}
		if _, err := db.UpdateNode(ctx, org.ID, county.ID, nil, &county.ID); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("moving a node under itself: %v, want invalid", err)
		}
		name := "阳新县分院"
		zero := int64(0)
		n, err := db.UpdateNode(ctx, org.ID, county.ID, &name, &zero)
		if err != nil || n.Name != name || n.ParentID != 0 {
			t.Fatalf("rename and move to the top: %+v, %v", n, err)
		}
		if _, err := db.UpdateNode(ctx, org.ID+7, county.ID, &name, nil); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another org's node: %v", err)
		}

		kind := community.KindTopic
		capN := 300
		got, err := db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{NodeID: &store1.ID, Kind: &kind, Capacity: &capN}, "test")
		if err != nil || got.NodeID != store1.ID || got.Kind != kind || got.Capacity != 300 {
			t.Fatalf("update group: %+v, %v", got, err)
		}
		bad := community.GroupKind("party")
		if _, err := db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{Kind: &bad}, "test"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("unknown kind: %v", err)
		}
		far := int64(999)
		if _, err := db.UpdateGroup(ctx, org.ID, g.ID, community.GroupPatch{NodeID: &far, Kind: &kind}, "test"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("unknown node: %v", err)
		}
		// Nothing of a refused patch is applied.
		after, _ := db.Group(ctx, org.ID, g.ID)
		if after.NodeID != store1.ID {
			t.Fatalf("a refused patch changed the group: %+v", after)
		}
	})
}
