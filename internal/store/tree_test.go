package store_test

import (
	"strings"
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
		if _, err := db.UpdateNode(ctx, org.ID, root.ID, nil, &store1.ID, "test"); !errkind.Is(err, errkind.Invalid) || !strings.Contains(errkind.Message(err), "own descendant") {
			t.Fatalf("moving the root under its grandchild: %v, want invalid, saying it is a descendant", err)
		}
		if _, err := db.UpdateNode(ctx, org.ID, county.ID, nil, &county.ID, "test"); !errkind.Is(err, errkind.Invalid) || !strings.Contains(errkind.Message(err), "own parent") {
			t.Fatalf("moving a node under itself: %v, want invalid", err)
		}
		for _, bad := range []community.Node{
			{OrgID: org.ID, Name: "  ", Kind: community.NodeRegion},
			{OrgID: org.ID, Name: "x", Kind: "planet"},
			{OrgID: org.ID, Name: "x", ParentID: 99999},
			{OrgID: org.ID + 7, Name: "x", ParentID: root.ID},
		} {
			if err := db.AddNode(ctx, &bad, "test"); !errkind.Is(err, errkind.Invalid) {
				t.Errorf("AddNode(%+v): %v, want invalid", bad, err)
			}
		}
		name := "阳新县分院"
		zero := int64(0)
		n, err := db.UpdateNode(ctx, org.ID, county.ID, &name, &zero, "test")
		if err != nil || n.Name != name || n.ParentID != 0 {
			t.Fatalf("rename and move to the top: %+v, %v", n, err)
		}
		if _, err := db.UpdateNode(ctx, org.ID+7, county.ID, &name, nil, "test"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another org's node: %v", err)
		}
		log, _ := db.AuditLog(ctx, org.ID, community.Page{Limit: 1})
		if len(log) != 1 || log[0].Action != "node.update" || log[0].Actor != "test" || !strings.Contains(log[0].Detail, name) {
			t.Fatalf("the rename and move are not in the audit log: %+v", log)
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
