package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Invite codes shorter than the ones issued now (community.MinCodeLength)
// could be found by trying codes at the public join link. They keep
// working — they are printed on posters — and this page offers to replace
// each with a generated one (access.ManageGrowth; a scoped account, the
// codes of its groups).

// ShortCodeSource lists the short invite codes and replaces them.
type ShortCodeSource interface {
	ShortInviteCodes(ctx context.Context, orgID int64) ([]community.InviteCodeInfo, error)
	RegenerateInviteCode(ctx context.Context, orgID, id int64, actor string) (community.InviteCode, error)
}

func (s *Server) codeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /invite-codes/short", s.auth(s.needs("short_codes", s.may(access.ManageGrowth, s.shortCodes))))
	mux.HandleFunc("POST /invite-codes/{id}/regenerate", s.auth(s.needs("short_codes", s.may(access.ManageGrowth, s.regenerateCode))))
}

type shortCodesData struct {
	Codes []community.InviteCodeInfo
	Min   int
}

// myShortCodes are the short codes the account may replace: a code for a
// group of its scope (a manager's scope is every code).
func (s *Server) myShortCodes(ctx context.Context, u *access.User) ([]community.InviteCodeInfo, error) {
	codes, err := s.ShortCodes.ShortInviteCodes(ctx, u.OrgID)
	if err != nil || !u.Scoped() {
		return codes, err
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(codes, func(c community.InviteCodeInfo) bool { return c.GroupID == 0 || !sc.has(c.GroupID) }), nil
}

func (s *Server) shortCodes(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	codes, err := s.myShortCodes(r.Context(), u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, T(langOf(r), "short_codes"), shortCodesData{Codes: codes, Min: community.MinCodeLength})
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "invite_codes", p)
}

// regenerateCode replaces a short code (confirmed: the old one stops
// working) and shows the new one: POST /invite-codes/{id}/regenerate.
func (s *Server) regenerateCode(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	id, err := pathID(r, "invite code")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	codes, err := s.myShortCodes(r.Context(), u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	i := slices.IndexFunc(codes, func(c community.InviteCodeInfo) bool { return c.ID == id })
	if i < 0 {
		// Not a short code, replaced already, or not the account's.
		s.renderError(w, r, errkind.New(errkind.NotFound, T(l, "short_code_gone")))
		return
	}
	if !s.confirmed(w, r, fmt.Sprintf(T(l, "short_code_q"), codes[i].Code), "/invite-codes/short") {
		return
	}
	c, err := s.ShortCodes.RegenerateInviteCode(r.Context(), u.OrgID, id, "staff:"+u.Username)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.showSecret(w, r, secretView{Title: T(l, "short_code_done"), Who: codes[i].Code + " → " + c.Code, What: T(l, "short_code_new"), Secret: c.Code,
		Note: T(l, "short_code_note"), Back: "/invite-codes/short"})
}
