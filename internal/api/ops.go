package api

import (
	"net/http"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
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
	t, _ := r.Context().Value(tokenKey{}).(access.Token)
	for _, role := range roles {
		if t.Can(role) {
			return true
		}
	}
	return false
}

// tokenIsAdmin reports whether the request's token is an admin token: it
// may approve a script the lint flags (with a reason), as a console
// manager may (access.OverrideLint).
func tokenIsAdmin(r *http.Request) bool {
	t, _ := r.Context().Value(tokenKey{}).(access.Token)
	return t.Scope == access.ScopeAdmin
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

// CardJSON is a script's link or article card and media.
type CardJSON struct {
	LinkURL   string `json:"link_url,omitempty"`
	LinkTitle string `json:"link_title,omitempty"`
	Excerpt   string `json:"excerpt,omitempty"`
	MediaURL  string `json:"media_url,omitempty"`
}

// setScriptCard sets a script's card: PUT /api/v1/scripts/{id}/card
// {"link_url","link_title","excerpt","media_url"}; all empty removes it.
func (s *Server) setScriptCard(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in CardJSON
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	c := content.ScriptCard{LinkURL: in.LinkURL, LinkTitle: in.LinkTitle, Excerpt: in.Excerpt, MediaURL: in.MediaURL}
	if err := s.Content.SetScriptCard(r.Context(), orgOf(r), id, c, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return s.getScriptCard(w, r)
}

func (s *Server) getScriptCard(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.Content.Script(r.Context(), orgOf(r), id); err != nil {
		return 0, nil, err
	}
	c, err := s.Content.ScriptCardOf(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"script": id, "card": CardJSON{c.LinkURL, c.LinkTitle, c.Excerpt, c.MediaURL}}, nil
}
