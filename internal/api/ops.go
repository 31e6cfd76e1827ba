package api

import (
	"net/http"

	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
)

// The operations centre's roles (editor, reviewer, publisher; any member
// may contribute) are held by API tokens: an admin token may act in every
// role, an "ops:editor,reviewer" token only in its own, and a read token in
// none. The content routes check the role an action needs.

// opsRole lets a request through when its token may act in one of roles.
func (s *Server) opsRole(roles ...string) func(http.HandlerFunc) http.HandlerFunc {
	return func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !tokenCan(r, roles...) {
				writeError(w, r, s.Logger, errkind.Errorf(errkind.Forbidden, "this token may not act as %s", joinOr(roles)))
				return
			}
			h(w, r)
		}
	}
}

// tokenCan reports whether the request's token may act in one of roles.
func tokenCan(r *http.Request, roles ...string) bool {
	t, _ := r.Context().Value(tokenKey{}).(store.Token)
	for _, role := range roles {
		if t.Can(role) {
			return true
		}
	}
	return false
}

func joinOr(xs []string) string {
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
		case i == len(xs)-1:
			out += " or "
		default:
			out += ", "
		}
		out += x
	}
	return out
}
