package console

import (
	"context"
	"net/http"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Console roles are scoped to the group tree: a manager sees the whole
// organisation; a secretary, assistant or viewer sees only the groups under
// one tree node, or one group, and is refused every other group's page.

// scope is what a user may see.
type scope struct {
	all    bool
	groups map[int64]bool
}

func (sc scope) has(groupID int64) bool { return sc.all || sc.groups[groupID] }

// scopeOf works out the groups a user may see.
func (s *Server) scopeOf(ctx context.Context, u *access.User) (scope, error) {
	if !u.Scoped() {
		return scope{all: true}, nil
	}
	sc := scope{groups: map[int64]bool{}}
	if u.ScopeGroupID != 0 {
		sc.groups[u.ScopeGroupID] = true
		return sc, nil
	}
	nodes, err := s.Store.Nodes(ctx, u.OrgID)
	if err != nil {
		return sc, err
	}
	under := subtree(nodes, u.ScopeNodeID)
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return sc, err
	}
	for _, g := range groups {
		if g.NodeID != 0 && under[g.NodeID] {
			sc.groups[g.ID] = true
		}
	}
	return sc, nil
}

// inScope checks that the groups lie in the user's part of the tree:
// errOutOfScope when one does not.
func (s *Server) inScope(ctx context.Context, u *access.User, groups ...int64) error {
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if !sc.has(g) {
			return errOutOfScope
		}
	}
	return nil
}

// errOutOfScope refuses a page outside the user's part of the tree.
var errOutOfScope = errkind.New(errkind.Forbidden, "这个群不在你负责的范围内。This group is outside your part of the organisation.")

// may wraps a handler that does what needs permission p: the account's
// role must allow it (access.Allowed); the handler still checks that what
// it acts on lies in the account's scope.
func (s *Server) may(p access.Permission, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.permit(r, p); err != nil {
			s.renderError(w, r, err)
			return
		}
		h(w, r)
	}
}

// permit refuses, in the reader's language, what the account's role may
// not do.
func (s *Server) permit(r *http.Request, p access.Permission) error {
	u := userOf(r)
	if u.May(p) {
		return nil
	}
	lang := langOf(r)
	return errkind.Errorf(errkind.Forbidden, T(lang, "not_permitted"), T(lang, "urole_"+string(u.Role)), T(lang, "perm."+string(p)))
}

// managerOnly wraps a page only managers may see.
func (s *Server) managerOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if userOf(r).Scoped() {
			s.renderError(w, r, errkind.New(errkind.Forbidden, "只有整个组织的管理者可以打开这个页面。Only a manager of the whole organisation may open this page."))
			return
		}
		h(w, r)
	}
}
