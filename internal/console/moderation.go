package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// PersonNames names people by id. A person who left every group has no
// membership left to name them by.
type PersonNames interface {
	PersonNames(ctx context.Context, orgID int64, ids []int64) (map[int64]string, error)
}

// caseRow is an open report case in the review queue.
type caseRow struct {
	community.ReportCase
	Group  string
	Member string
}

// logRow is one line of the moderation log.
type logRow struct {
	community.ModerationAction
	Group  string
	Member string
}

type moderationData struct {
	Appeals []community.Appeal
	Cases   []caseRow
	Log     []logRow
	Actions []string // what upholding a report can do
	CSV     string
}

// decisions maps the review form's actions to the store's: a warning is a
// message sent to the group.
var decisions = map[string]chat.ActionKind{"none": "", "warn": chat.ActSend, "delete": chat.ActDelete, "kick": chat.ActKick, "ban": chat.ActBan}

// reviewActions is the order the review form offers them in.
var reviewActions = []string{"none", "warn", "delete", "kick", "ban"}

const (
	moderationLogRows = 100
	moderationCSVRows = 10000
	maxNote           = 500
)

// namer names groups and people for a page, reading each group's members
// at most once.
type namer struct {
	s       *Server
	ctx     context.Context
	orgID   int64
	groups  map[int64]string
	people  map[int64]string
	visited map[int64]bool
}

func (s *Server) namer(ctx context.Context, orgID int64) (*namer, error) {
	gs, err := s.Store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	n := &namer{s: s, ctx: ctx, orgID: orgID, groups: map[int64]string{}, people: map[int64]string{}, visited: map[int64]bool{}}
	for _, g := range gs {
		n.groups[g.ID] = g.Name
	}
	return n, nil
}

// learn names the given people: through People when configured, else
// through the current members of their groups (at most 50 groups).
func (n *namer) learn(pairs [][2]int64) error { // (group id, person id)
	if n.s.People != nil {
		var ids []int64
		for _, p := range pairs {
			ids = append(ids, p[1])
		}
		names, err := n.s.People.PersonNames(n.ctx, n.orgID, ids)
		if err != nil {
			return err
		}
		for id, name := range names {
			n.people[id] = name
		}
	}
	for _, p := range pairs {
		g, person := p[0], p[1]
		if _, ok := n.people[person]; ok || n.visited[g] || len(n.visited) >= 50 {
			continue
		}
		n.visited[g] = true
		members, err := n.s.Store.Members(n.ctx, g)
		if err != nil {
			return err
		}
		for _, m := range members {
			if _, ok := n.people[m.PersonID]; !ok {
				n.people[m.PersonID] = m.Name
			}
		}
	}
	return nil
}

func (n *namer) group(id int64) string {
	if name, ok := n.groups[id]; ok {
		return name
	}
	return "#" + strconv.FormatInt(id, 10)
}

func (n *namer) person(id int64) string {
	if name, ok := n.people[id]; ok && name != "" {
		return name
	}
	return "#" + strconv.FormatInt(id, 10)
}

func (s *Server) moderation(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	n, err := s.namer(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	limit := moderationLogRows
	if wantsCSV(r) {
		limit = moderationCSVRows
	}
	acts, err := s.Store.ModerationActions(ctx, u.OrgID, limit)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var cases []community.ReportCase
	if !wantsCSV(r) {
		if cases, err = s.Store.ReportCases(ctx, u.OrgID, "open"); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	// A scoped user sees only their groups' cases and moderation.
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	cases = slices.DeleteFunc(cases, func(c community.ReportCase) bool { return !sc.has(c.GroupID) })
	acts = slices.DeleteFunc(acts, func(a community.ModerationAction) bool { return !sc.has(a.GroupID) })
	var pairs [][2]int64
	for _, c := range cases {
		pairs = append(pairs, [2]int64{c.GroupID, c.PersonID})
	}
	for _, a := range acts {
		pairs = append(pairs, [2]int64{a.GroupID, a.PersonID})
	}
	if err := n.learn(pairs); err != nil {
		s.renderError(w, r, err)
		return
	}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(acts))
		for _, a := range acts {
			rows = append(rows, []string{strconv.FormatInt(a.ID, 10), s.csvTime(&a.CreatedAt), n.group(a.GroupID), n.person(a.PersonID),
				a.Rule, a.Category, T(l, "act_"+string(a.Action)), a.Reason, a.Actor, a.MessageID})
		}
		s.sendCSV(w, "qunzhu-moderation.csv", headers(l, "id", "time", "group", "member", "rule", "category", "action", "reason", "actor", "message_id"), rows)
		return
	}
	d := moderationData{CSV: csvURL(r)}
	// The review form offers what the account may do: nothing to a viewer,
	// no ban to anyone but a manager.
	for _, a := range reviewActions {
		if u.May(access.Moderate) && u.May(access.DecisionPermission(a)) {
			d.Actions = append(d.Actions, a)
		}
	}
	for _, c := range cases {
		d.Cases = append(d.Cases, caseRow{ReportCase: c, Group: n.group(c.GroupID), Member: n.person(c.PersonID)})
	}
	for _, a := range acts {
		d.Log = append(d.Log, logRow{ModerationAction: a, Group: n.group(a.GroupID), Member: n.person(a.PersonID)})
	}
	if d.Appeals, err = s.openAppeals(ctx, u); err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, T(l, "moderation"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "moderation", p)
}

// decideReport upholds (with an action) or dismisses a report case.
func (s *Server) decideReport(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such report"))
		return
	}
	// Only a case in the account's part of the tree (a manager's is the
	// organisation).
	c, err := s.Store.ReportCase(r.Context(), u.OrgID, id)
	if errkind.Is(err, errkind.NotFound) {
		s.setFlash(w, flash{Key: "flash_no_report", ID: id, Error: true})
		http.Redirect(w, r, "/moderation", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.inScope(r.Context(), u, c.GroupID); err != nil {
		s.renderError(w, r, err)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	var f flash
	switch r.PostFormValue("decision") {
	case "dismiss":
		f = s.decide(r, u, id, false, "", note)
	case "uphold":
		// A ban is organisation-wide: only a manager's goes through.
		if err := s.permit(r, access.DecisionPermission(r.PostFormValue("action"))); err != nil {
			s.renderError(w, r, err)
			return
		}
		f = s.decideUphold(r, u, id, r.PostFormValue("action"), note)
	default:
		s.renderError(w, r, errkind.New(errkind.Invalid, "decision: want uphold or dismiss"))
		return
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/moderation", http.StatusSeeOther)
}

func (s *Server) decideUphold(r *http.Request, u *access.User, id int64, action, note string) flash {
	kind, ok := decisions[action]
	switch {
	case !ok:
		return flash{Key: "flash_need_action", ID: id, Error: true}
	case action == "warn" && note == "":
		return flash{Key: "flash_need_note", ID: id, Error: true}
	}
	return s.decide(r, u, id, true, kind, note)
}

// decide records a decision and returns the message to show for it.
func (s *Server) decide(r *http.Request, u *access.User, id int64, uphold bool, action chat.ActionKind, note string) flash {
	if utf8.RuneCountInString(note) > maxNote {
		return flash{Key: "flash_note_long", ID: id, Error: true}
	}
	err := s.Store.DecideReport(r.Context(), u.OrgID, id, uphold, action, note, "staff:"+u.Username)
	switch {
	case err == nil && uphold:
		return flash{Key: "flash_upheld", ID: id}
	case err == nil:
		return flash{Key: "flash_dismissed", ID: id}
	case errkind.Is(err, errkind.NotFound):
		return flash{Key: "flash_no_report", ID: id, Error: true}
	case errkind.Is(err, errkind.Conflict):
		return flash{Key: "flash_decided", ID: id, Error: true}
	}
	s.Logger.Error("decide report", "report", id, "err", err)
	return flash{Key: "flash_failed", ID: id, Error: true}
}
