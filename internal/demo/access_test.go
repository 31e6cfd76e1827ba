package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/demo"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestSeedAccess: the demo has a team's console accounts (scoped, one
// disabled, none able to sign in until a manager resets its password) and
// API tokens (one revoked), so the accounts and tokens pages are not
// empty.
func TestSeedAccess(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "演示", Slug: "demo"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	// The tree and groups Seed makes, in small.
	branch := community.Node{OrgID: org.ID, Name: "阳新分院", Kind: community.NodeRegion}
	if err := db.CreateNode(ctx, &branch); err != nil {
		t.Fatal(err)
	}
	for i, g := range []community.Group{{NodeID: branch.ID, Kind: community.KindCohort, Name: "阳新第6期"}, {Kind: community.KindOwners, Name: "万景城业主群"}} {
		g.OrgID, g.Connection, g.Platform, g.ExternalID = org.ID, "sim", "sim", fmt.Sprint("g", i)
		if err := db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
	}
	if err := demo.SeedAccess(ctx, db, org.ID); err != nil {
		t.Fatal(err)
	}
	users, err := db.Users(ctx, org.ID)
	if err != nil || len(users) != 4 {
		t.Fatalf("users: %+v %v", users, err)
	}
	roles, disabled := map[access.Role]int{}, 0
	for _, u := range users {
		roles[u.Role]++
		if u.Disabled {
			disabled++
		}
		if !u.Scoped() || (u.ScopeNodeID == 0) == (u.ScopeGroupID == 0) {
			t.Errorf("%s is not scoped to one node or one group", u.Username)
		}
		if full, _ := db.UserByName(ctx, u.Username); full.PasswordHash != "!" {
			t.Errorf("%s can sign in with some password", u.Username)
		}
	}
	if roles[access.Secretary] != 1 || roles[access.Assistant] != 2 || roles[access.Viewer] != 1 || disabled != 1 {
		t.Fatalf("roles %v, %d disabled", roles, disabled)
	}
	tokens, err := db.Tokens(ctx, org.ID)
	revoked := 0
	for _, tk := range tokens {
		if tk.Revoked {
			revoked++
		}
	}
	if err != nil || len(tokens) != 3 || revoked != 1 {
		t.Fatalf("tokens: %+v %v", tokens, err)
	}
}
