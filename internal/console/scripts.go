package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The script library (剧本库) and its review: scripts by status, each with
// its text, history and lint findings, and the buttons a manager moves it
// through the workflow with, acting as the reviewer or the publisher.

// scriptStatuses are the library's tabs, in workflow order.
var scriptStatuses = []content.Status{content.Draft, content.Submitted, content.InReview, content.Approved, content.Scheduled, content.Published, content.Rejected}

// scriptMove is a workflow button: from a status to another, in a role.
type scriptMove struct {
	From, To content.Status
	Role     content.Role
	Key      string // the button's label
}

// scriptMoves are the moves the console offers: the reviewer's and the
// publisher's. Scheduling happens by planning a push.
var scriptMoves = []scriptMove{
	{content.Submitted, content.InReview, content.Reviewer, "move_review"},
	{content.InReview, content.Approved, content.Reviewer, "move_approve"},
	{content.InReview, content.Rejected, content.Reviewer, "move_reject"},
	{content.Scheduled, content.Published, content.Publisher, "move_publish"},
	{content.Scheduled, content.Approved, content.Publisher, "move_unschedule"},
}

// permission is what the move needs: a reviewer's move ReviewScript, a
// publisher's PlanPush.
func (m scriptMove) permission() access.Permission {
	if m.Role == content.Publisher {
		return access.PlanPush
	}
	return access.ReviewScript
}

const maxRejectReason = 500

type scriptTab struct {
	Status content.Status
	N      int
}

type scriptsData struct {
	Status  content.Status // the open tab; "" for all
	Tabs    []scriptTab
	All     int
	Scripts []content.Script
}

func (s *Server) scripts(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	status := content.Status(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains(scriptStatuses, status) {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "status: unknown script status %q", status))
		return
	}
	all, err := s.Content.Scripts(r.Context(), u.OrgID, "")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := scriptsData{Status: status, All: len(all)}
	counts := map[content.Status]int{}
	for _, sc := range all {
		counts[sc.Status]++
		if status == "" || sc.Status == status {
			d.Scripts = append(d.Scripts, sc)
		}
	}
	for _, st := range scriptStatuses {
		d.Tabs = append(d.Tabs, scriptTab{st, counts[st]})
	}
	s.render(w, http.StatusOK, "scripts", s.page(r, u, T(langOf(r), "scripts"), d))
}

// finding is a lint finding in the page's language.
type finding struct {
	content.Finding
	Text string
}

type scriptData struct {
	Script    content.Script
	Revisions []content.Revision
	Findings  []finding
	Moves     []scriptMove // what the reader may do with it now
	Reject    bool         // a rejection is among them (it needs a reason)
	Category  bool         // the banned-category check ran
}

func (s *Server) script(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	id, err := pathID(r, "script")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	sc, err := s.Content.Script(r.Context(), u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	revs, err := s.Content.Revisions(r.Context(), u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := scriptData{Script: sc, Revisions: revs, Category: s.Lint != nil}
	for _, f := range content.Lint(content.LintInput{Title: sc.Title, Body: sc.Body}, content.LintOptions{Matcher: s.Lint}) {
		text := f.Zh
		if l == En {
			text = f.En
		}
		d.Findings = append(d.Findings, finding{f, text})
	}
	for _, m := range scriptMoves {
		if m.From == sc.Status && u.May(m.permission()) {
			d.Moves = append(d.Moves, m)
			d.Reject = d.Reject || m.To == content.Rejected
		}
	}
	p := s.page(r, u, sc.Title, d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "script", p)
}

// moveScript moves a script as the reviewer or the publisher; the form
// names the status it moves from, so a stale page does not move a script
// that has moved on.
func (s *Server) moveScript(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := pathID(r, "script")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	from, to := content.Status(r.PostFormValue("from")), content.Status(r.PostFormValue("to"))
	i := slices.IndexFunc(scriptMoves, func(m scriptMove) bool { return m.From == from && m.To == to })
	if i < 0 {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "move: the console cannot move a script from %q to %q", from, to))
		return
	}
	m := scriptMoves[i]
	if err := s.permit(r, m.permission()); err != nil {
		s.renderError(w, r, err)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	back := "/scripts/" + strconv.FormatInt(id, 10)
	f := flash{Key: "flash_script_moved", ID: id}
	switch cur, err := s.Content.Script(r.Context(), u.OrgID, id); {
	case err != nil:
		s.renderError(w, r, err)
		return
	case cur.Status != m.From:
		f = flash{Key: "flash_script_stale", ID: id, Error: true}
	case m.To == content.Rejected && reason == "":
		f = flash{Key: "flash_need_reason", ID: id, Error: true}
	case utf8.RuneCountInString(reason) > maxRejectReason:
		f = flash{Key: "flash_note_long", ID: id, Error: true}
	default:
		if _, err := s.Content.MoveScript(r.Context(), u.OrgID, id, m.To, m.Role, "user:"+u.Username, reason); err != nil {
			if errkind.Of(err) == errkind.Internal {
				s.renderError(w, r, err)
				return
			}
			f = flash{Key: "flash_script_stale", ID: id, Error: true}
		}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
