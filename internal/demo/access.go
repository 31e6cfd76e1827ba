package demo

import (
	"context"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
)

// AccessStore is what seedAccess writes: console accounts and API tokens.
type AccessStore interface {
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	Groups(ctx context.Context, orgID int64) ([]community.Group, error)
	CreateUserAs(ctx context.Context, u *access.User, actor string) error
	SetUserDisabled(ctx context.Context, orgID, userID int64, disabled bool, actor string) error
	CreateTokenAs(ctx context.Context, orgID int64, name, scope, actor string) (access.Token, string, error)
	RevokeToken(ctx context.Context, orgID, id int64, actor string) error
}

// locked is the password hash of the demo's staff accounts: no password
// matches it, so they cannot sign in until a manager resets the password
// on the accounts page (which shows the new one).
const locked = "!"

// seedAccess gives the demo organisation the console accounts and API
// tokens of a team: the 阳新 branch's secretary, an assistant of one
// cohort, a viewer for the owners' committee, an assistant who left
// (disabled), a dashboard's read token, the operations centre's token and
// an old bridge's revoked admin token.
func seedAccess(ctx context.Context, db AccessStore, orgID int64) error {
	nodes, err := db.Nodes(ctx, orgID)
	if err != nil {
		return err
	}
	groups, err := db.Groups(ctx, orgID)
	if err != nil {
		return err
	}
	var branch, cohort, owners int64
	for _, n := range nodes {
		if n.Name == "阳新分院" {
			branch = n.ID
		}
	}
	for _, g := range groups {
		switch {
		case g.Kind == community.KindCohort && cohort == 0 && g.NodeID == branch:
			cohort = g.ID
		case g.Kind == community.KindOwners && owners == 0:
			owners = g.ID
		}
	}
	if branch == 0 || cohort == 0 || owners == 0 {
		return fmt.Errorf("demo accounts: no 阳新 branch, cohort or owners' group (%d, %d, %d)", branch, cohort, owners)
	}
	const by = "staff:admin"
	for _, u := range []access.User{
		{Username: "李秘书", Role: access.Secretary, ScopeNodeID: branch},
		{Username: "店小二小周", Role: access.Assistant, ScopeGroupID: cohort},
		{Username: "业委会", Role: access.Viewer, ScopeGroupID: owners},
		{Username: "前任助理", Role: access.Assistant, ScopeGroupID: cohort},
	} {
		u.OrgID, u.PasswordHash = orgID, locked
		if err := db.CreateUserAs(ctx, &u, by); err != nil {
			return fmt.Errorf("demo account %s: %w", u.Username, err)
		}
		if u.Username == "前任助理" {
			if err := db.SetUserDisabled(ctx, orgID, u.ID, true, by); err != nil {
				return err
			}
		}
	}
	for _, t := range []struct{ name, scope string }{
		{"旧桥接脚本", access.ScopeAdmin},
		{"数据看板", access.ScopeRead},
		{"运营中心", access.ScopeOps + "editor,reviewer,publisher"},
	} {
		tok, _, err := db.CreateTokenAs(ctx, orgID, t.name, t.scope, by)
		if err != nil {
			return fmt.Errorf("demo token %s: %w", t.name, err)
		}
		if t.name == "旧桥接脚本" {
			if err := db.RevokeToken(ctx, orgID, tok.ID, by); err != nil {
				return err
			}
		}
	}
	return nil
}
