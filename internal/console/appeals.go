package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// AppealSource is the appeals queue: removed or banned members asking to
// be let back in, decided by a manager.
type AppealSource interface {
	Appeals(ctx context.Context, orgID int64, status string) ([]community.Appeal, error)
	DecideAppeal(ctx context.Context, orgID, appealID int64, accept bool, note, actor string) error
}

// openAppeals lists the open appeals for the moderation page (managers).
func (s *Server) openAppeals(ctx context.Context, u *access.User) ([]community.Appeal, error) {
	if s.Appeals == nil || !u.May(access.BanOrgWide) {
		return nil, nil
	}
	return s.Appeals.Appeals(ctx, u.OrgID, "open")
}

// decideAppeal accepts (lifting the ban everywhere) or rejects an appeal:
// POST /moderation/appeals/{id} with decision=accept|reject and a note.
func (s *Server) decideAppeal(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 || s.Appeals == nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such appeal"))
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if utf8.RuneCountInString(note) > maxNote {
		s.setFlash(w, flash{Key: "flash_note_long", ID: id, Error: true})
		http.Redirect(w, r, "/moderation", http.StatusSeeOther)
		return
	}
	var accept bool
	switch r.PostFormValue("decision") {
	case "accept":
		accept = true
	case "reject":
	default:
		s.renderError(w, r, errkind.New(errkind.Invalid, "decision: want accept or reject"))
		return
	}
	f := flash{Key: "flash_appeal_rejected", ID: id}
	if accept {
		f.Key = "flash_appeal_accepted"
	}
	switch err := s.Appeals.DecideAppeal(r.Context(), u.OrgID, id, accept, note, "staff:"+u.Username); {
	case errkind.Is(err, errkind.Conflict):
		f = flash{Key: "flash_appeal_decided", ID: id, Error: true}
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/moderation", http.StatusSeeOther)
}
