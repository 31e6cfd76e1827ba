package console

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The push calendar: the next 7 days of pushes and the last 7 days across
// the account's groups, by day, with who is on duty, why a push was
// deferred, dropped, skipped or cancelled (in words), its receipt, and for
// sent ones what it drew; the duty roster's coverage on top. Whoever may
// plan pushes (access.PlanPush) plans a script into groups — picked by
// kind, node or list, within their scope — at a peak or a time, and moves
// or cancels a planned push (after a confirmation).

// contentRoutes registers the script library, the push calendar and the
// duty roster.
func (s *Server) contentRoutes(mux *http.ServeMux) {
	s.scriptsRoutes(mux)
	s.cadenceRoutes(mux)
	mux.HandleFunc("GET /pushes", s.auth(s.needs("pushes", s.pushes)))
	mux.HandleFunc("POST /pushes/plan", s.auth(s.needs("pushes", s.may(access.PlanPush, s.planPushes))))
	mux.HandleFunc("POST /pushes/{id}/cancel", s.auth(s.needs("pushes", s.may(access.PlanPush, s.cancelPush))))
	mux.HandleFunc("POST /pushes/{id}/move", s.auth(s.needs("pushes", s.may(access.PlanPush, s.movePush))))
	s.dutyRoutes(mux)
}

const calendarDays = 7

// pushRow is one push on the calendar.
type pushRow struct {
	content.PlannedPush
	Day      string // the day it is (or was) planned for
	Weekday  int
	DayStart bool // the first push of its day
	Deferred bool // planned later than asked
	Reasons  string
	Response *content.PushResponse
	Change   bool     // the account may move or cancel it
	Peaks    []string // its group's peaks, for moving it
}

// dutyRow is one assistant's share of the roster.
type dutyRow struct {
	Person     int64
	Name       string
	Upcoming   int // planned for the next 7 days
	Sent       int // sent in the last 7 days
	FollowedUp int // of those, followed up by them within 15 minutes
}

// planForm is what the planning form offers: the scripts that may go
// out, the groups, kinds and nodes of the account's scope, the peaks.
type planForm struct {
	Scripts []content.Script
	Script  int64 // preselected (?script=)
	Groups  []community.Group
	Kinds   []community.GroupKind
	Nodes   []nodeOption
	Tags    []community.Tag // the group tags (tags.go)
	Peaks   []string
	Date    string // tomorrow, in the console's zone
	Lang    Lang   // for the targets' template (parts.html)
}

type pushesData struct {
	Upcoming   []pushRow
	Past       []pushRow // sent, skipped, cancelled or dropped
	Duty       []dutyRow
	Unassigned int // upcoming pushes without anyone on duty
	Measured   int // sent pushes measured
	FollowedUp int // of those, followed up by staff
	Rate       int // percent
	CSV        string
	Cadences   bool      // the cadences page is there
	Plan       *planForm // for whom may plan
	// Links are the clicks of the last 7 days' pushes' links, by group.
	Links []content.GroupLinks
}

func (s *Server) pushes(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	week := calendarDays * 24 * time.Hour
	list, err := s.Content.OrgPushes(ctx, u.OrgID, now.Add(-week), now.Add(week))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	resps, err := s.Content.PushResponses(ctx, u.OrgID, now.Add(-week), now)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	byPush := map[int64]*content.PushResponse{}
	var d pushesData
	for i := range resps {
		if sc.has(resps[i].GroupID) {
			byPush[resps[i].PushID] = &resps[i]
			d.Measured++
			if resps[i].FollowedUp {
				d.FollowedUp++
			}
		}
	}
	if d.Measured > 0 {
		d.Rate = d.FollowedUp * 100 / d.Measured
	}
	if d.Links, err = s.groupLinks(ctx, u.OrgID, sc, now.Add(-week), now); err != nil {
		s.renderError(w, r, err)
		return
	}
	duty := map[int64]*dutyRow{}
	dutyOf := func(p content.PlannedPush) *dutyRow {
		row := duty[p.DutyPerson]
		if row == nil {
			row = &dutyRow{Person: p.DutyPerson, Name: p.DutyName}
			duty[p.DutyPerson] = row
		}
		return row
	}
	plan := u.May(access.PlanPush)
	peaks := map[int64][]string{}
	for _, p := range list {
		if !sc.has(p.GroupID) {
			continue
		}
		row := pushRow{PlannedPush: p, Deferred: p.PlannedAt.After(p.WantAt), Reasons: reasonText(l, p.Reason)}
		switch {
		case p.Status == content.PushSent && p.SentAt != nil && !p.SentAt.After(now):
			row.Response = byPush[p.ID]
			row.Day, row.Weekday = s.day(*p.SentAt)
			d.Past = append(d.Past, row)
			if p.DutyPerson != 0 {
				dr := dutyOf(p)
				dr.Sent++
				if row.Response != nil && row.Response.ByDuty {
					dr.FollowedUp++
				}
			}
		case p.Status != content.PushSent && !p.PlannedAt.Before(now):
			row.Day, row.Weekday = s.day(p.PlannedAt)
			if row.Change = plan && p.Status.Open(); row.Change {
				if _, ok := peaks[p.GroupID]; !ok {
					cfg, err := s.Content.Slots(ctx, u.OrgID, p.GroupID)
					if err != nil {
						s.renderError(w, r, err)
						return
					}
					for _, sl := range cfg.Slots {
						peaks[p.GroupID] = append(peaks[p.GroupID], sl.Name)
					}
				}
				row.Peaks = peaks[p.GroupID]
			}
			d.Upcoming = append(d.Upcoming, row)
			if p.Status == content.PushPlanned {
				if p.DutyPerson == 0 {
					d.Unassigned++
				} else {
					dutyOf(p).Upcoming++
				}
			}
		case p.Status != content.PushSent:
			row.Day, row.Weekday = s.day(p.PlannedAt)
			d.Past = append(d.Past, row)
		}
	}
	// The past newest first, each list by day.
	when := func(p pushRow) time.Time {
		if p.SentAt != nil {
			return *p.SentAt
		}
		return p.PlannedAt
	}
	sort.SliceStable(d.Past, func(i, j int) bool { return when(d.Past[i]).After(when(d.Past[j])) })
	markDays(d.Upcoming)
	markDays(d.Past)
	for _, row := range duty {
		d.Duty = append(d.Duty, *row)
	}
	sort.Slice(d.Duty, func(i, j int) bool { return d.Duty[i].Person < d.Duty[j].Person })
	if wantsCSV(r) {
		var out [][]string
		for _, rows := range [][]pushRow{d.Upcoming, d.Past} {
			for _, p := range rows {
				posts, followed, clicks, visitors := "", "", "", ""
				if p.Response != nil {
					posts = strconv.Itoa(p.Response.Posts60)
					followed = strconv.FormatBool(p.Response.FollowedUp)
					if p.Response.Links > 0 {
						clicks, visitors = strconv.Itoa(p.Response.Clicks), strconv.Itoa(p.Response.Visitors)
					}
				}
				out = append(out, []string{strconv.FormatInt(p.ID, 10), p.Group, p.Title, p.Slot, s.csvTime(&p.PlannedAt), s.csvTime(p.SentAt),
					T(l, "ps_"+string(p.Status)), p.Reasons, p.DutyName, posts, followed, clicks, visitors})
			}
		}
		s.sendCSV(w, "qunzhu-pushes.csv", headers(l, "id", "group", "title", "slot", "planned", "sent", "status", "reason", "duty", "posts_60m", "followed_up", "link_clicks", "link_visitors"), out)
		return
	}
	d.CSV = csvURL(r)
	d.Cadences = s.configured("cadences")
	if plan {
		var known [][]string
		for _, names := range peaks {
			known = append(known, names)
		}
		sort.Slice(known, func(i, j int) bool { return strings.Join(known[i], ",") < strings.Join(known[j], ",") })
		if d.Plan, err = s.planForm(r, u, sc, now, known); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	p := s.page(r, u, T(l, "pushes"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "pushes", p)
}

// planForm gathers what the planning form offers the account.
func (s *Server) planForm(r *http.Request, u *access.User, sc scope, now time.Time, known [][]string) (*planForm, error) {
	ctx := r.Context()
	f := &planForm{Date: now.In(s.Location).AddDate(0, 0, 1).Format("2006-01-02"), Lang: langOf(r)}
	f.Script, _ = strconv.ParseInt(r.URL.Query().Get("script"), 10, 64)
	scripts, err := s.Content.Scripts(ctx, u.OrgID, "")
	if err != nil {
		return nil, err
	}
	for _, sc := range scripts {
		if sc.Status.Pushable() {
			f.Scripts = append(f.Scripts, sc)
		}
	}
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	peaks := map[string]bool{}
	for _, g := range groups {
		if g.Lifecycle != community.Active || !sc.has(g.ID) {
			continue
		}
		f.Groups = append(f.Groups, g)
		if !slices.Contains(f.Kinds, g.Kind) {
			f.Kinds = append(f.Kinds, g.Kind)
		}
	}
	// The peaks: the organisation's, and those of the groups on the
	// calendar (a group's own override among them). A peak only some
	// other group has is planned by its time.
	cfg, err := s.Content.Slots(ctx, u.OrgID, 0)
	if err != nil {
		return nil, err
	}
	add := func(name string) {
		if !peaks[name] {
			peaks[name] = true
			f.Peaks = append(f.Peaks, name)
		}
	}
	for _, sl := range cfg.Slots {
		add(sl.Name)
	}
	for _, names := range known {
		for _, n := range names {
			add(n)
		}
	}
	if f.Tags, err = s.groupTags(ctx, u.OrgID); err != nil {
		return nil, err
	}
	nodes, err := s.Store.Nodes(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	ordered, depth := tree(nodes)
	var mine map[int64]bool
	if u.Scoped() && u.ScopeNodeID != 0 {
		mine = subtree(nodes, u.ScopeNodeID)
	}
	for _, n := range ordered {
		if u.Scoped() && !mine[n.ID] {
			continue // a group-scoped account picks its one group
		}
		f.Nodes = append(f.Nodes, nodeOption{ID: strconv.FormatInt(n.ID, 10), Label: strings.Repeat("— ", depth[n.ID]) + n.Name})
	}
	return f, nil
}

// whenOf reads when a push is wanted from a form: a date and a peak, or
// a date and a time of day in the console's zone.
func (s *Server) whenOf(r *http.Request) (content.When, error) {
	date, slot, clock := strings.TrimSpace(r.PostFormValue("date")), r.PostFormValue("slot"), strings.TrimSpace(r.PostFormValue("time"))
	if clock == "" {
		w := content.When{Date: date, Slot: slot}
		return w, w.Check()
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, s.Location)
	if err != nil {
		return content.When{}, errkind.Errorf(errkind.Invalid, "%w", content.ErrNoTime)
	}
	return content.When{At: at}, nil
}

// planFlash says what a refused plan or move was refused for; ok is false
// for an error that is not the planner's to explain.
func planFlash(err error, id int64) (flash, bool) {
	for _, e := range []struct {
		err error
		key string
	}{{content.ErrNoTime, "flash_plan_when"}, {content.ErrNoPeak, "flash_plan_peak"}, {content.ErrNoGroup, "flash_plan_no_group"},
		{content.ErrNotApproved, "flash_plan_not_approved"}, {content.ErrNoFit, "flash_push_no_fit"}} {
		if errors.Is(err, e.err) {
			return flash{Key: e.key, ID: id, Error: true}, true
		}
	}
	return flash{}, false
}

// planPushes plans a script into the groups the form picks: the groups
// ticked, else every active group of the kind and/or under the node — of
// the account's scope only; a listed group outside it is refused.
func (s *Server) planPushes(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	script, err := strconv.ParseInt(r.PostFormValue("script"), 10, 64)
	if err != nil || script <= 0 {
		s.setFlash(w, flash{Key: "flash_plan_no_script", Error: true})
		http.Redirect(w, r, "/pushes#plan", http.StatusSeeOther)
		return
	}
	sel, err := s.planSelector(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	back := "/pushes?script=" + strconv.FormatInt(script, 10) + "#plan"
	when, err := s.whenOf(r)
	if err != nil {
		f, _ := planFlash(err, 0)
		s.setFlash(w, f)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	ps, err := content.PlanPushes(ctx, s.Content, content.PlanRequest{OrgID: u.OrgID, ScriptID: script, Select: sel, When: when, InScope: sc.has, Actor: "user:" + u.Username})
	if err != nil {
		if f, ok := planFlash(err, 0); ok && len(ps) == 0 {
			s.setFlash(w, f)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		if errkind.Is(err, errkind.Forbidden) {
			err = errOutOfScope
		}
		s.renderError(w, r, err)
		return
	}
	deferred := 0
	for _, p := range ps {
		if p.Status != content.PushPlanned || !p.PlannedAt.Equal(p.WantAt) {
			deferred++
		}
	}
	f := flash{Key: "flash_planned", ID: int64(len(ps))}
	if deferred > 0 {
		f = flash{Key: "flash_planned_deferred", ID: int64(deferred)}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/pushes", http.StatusSeeOther)
}

// planSelector reads the groups a planning form aims at (the push plan's
// and the cadences'): the groups ticked, a kind, a node and a group tag;
// a malformed value is a 400 in the reader's language.
func (s *Server) planSelector(r *http.Request) (content.Selector, error) {
	l := langOf(r)
	sel := content.Selector{Kind: r.PostFormValue("kind")}
	for _, v := range r.PostForm["group"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return sel, errkind.New(errkind.Invalid, T(l, "plan_err_group"))
		}
		sel.GroupIDs = append(sel.GroupIDs, id)
	}
	if v := r.PostFormValue("node"); v != "" {
		var err error
		if sel.NodeID, err = strconv.ParseInt(v, 10, 64); err != nil || sel.NodeID <= 0 {
			return sel, errkind.New(errkind.Invalid, T(l, "plan_err_node"))
		}
	}
	var err error
	sel.TagID, err = s.planTag(r)
	return sel, err
}

// pushOf reads the push of the path for a change by the account: one of
// its groups', still open.
func (s *Server) pushOf(w http.ResponseWriter, r *http.Request) (content.PlannedPush, scope, bool) {
	u := userOf(r)
	id, err := pathID(r, "push")
	if err != nil {
		s.renderError(w, r, err)
		return content.PlannedPush{}, scope{}, false
	}
	sc, err := s.scopeOf(r.Context(), u)
	if err != nil {
		s.renderError(w, r, err)
		return content.PlannedPush{}, sc, false
	}
	p, err := s.Content.Push(r.Context(), u.OrgID, id)
	switch {
	case err != nil:
		s.renderError(w, r, err)
		return p, sc, false
	case !sc.has(p.GroupID):
		s.renderError(w, r, errOutOfScope)
		return p, sc, false
	case !p.Status.Open():
		s.setFlash(w, flash{Key: "flash_push_stale", ID: id, Error: true})
		http.Redirect(w, r, "/pushes", http.StatusSeeOther)
		return p, sc, false
	}
	return p, sc, true
}

// cancelPush cancels a planned push, after the operator confirms.
func (s *Server) cancelPush(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	p, sc, ok := s.pushOf(w, r)
	if !ok {
		return
	}
	q := tf(l, "confirm_cancel_push", p.Title, p.Group, p.PlannedAt.In(s.Location).Format("2006-01-02 15:04"))
	if !s.confirmed(w, r, q, "/pushes") {
		return
	}
	f := flash{Key: "flash_push_cancelled", ID: p.ID}
	if _, err := content.CancelPush(r.Context(), s.Content, u.OrgID, p.ID, sc.has, "user:"+u.Username); err != nil {
		if !errkind.Is(err, errkind.Conflict) {
			s.renderError(w, r, err)
			return
		}
		f = flash{Key: "flash_push_stale", ID: p.ID, Error: true}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/pushes", http.StatusSeeOther)
}

// movePush moves a planned push to a peak on a date, or to a time, after
// the operator confirms; it is fitted into the group's day again.
func (s *Server) movePush(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	p, sc, ok := s.pushOf(w, r)
	if !ok {
		return
	}
	when, err := s.whenOf(r)
	if err != nil {
		f, _ := planFlash(err, p.ID)
		s.setFlash(w, f)
		http.Redirect(w, r, "/pushes", http.StatusSeeOther)
		return
	}
	to := when.Date + " " + slotName(l, when.Slot)
	if !when.At.IsZero() {
		to = when.At.In(s.Location).Format("2006-01-02 15:04")
	}
	q := tf(l, "confirm_move_push", p.Title, p.Group, p.PlannedAt.In(s.Location).Format("2006-01-02 15:04"), to)
	if !s.confirmed(w, r, q, "/pushes") {
		return
	}
	moved, err := content.MovePush(r.Context(), s.Content, u.OrgID, p.ID, when, sc.has, "user:"+u.Username)
	f := flash{Key: "flash_push_moved", ID: p.ID}
	switch {
	case err == nil && moved.Reason != "":
		f.Key = "flash_push_moved_deferred"
	case err == nil:
	case errors.Is(err, content.ErrNoFit), errors.Is(err, content.ErrNoPeak), errors.Is(err, content.ErrNotApproved):
		f, _ = planFlash(err, p.ID)
	case errkind.Is(err, errkind.Conflict):
		f = flash{Key: "flash_push_stale", ID: p.ID, Error: true}
	default:
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/pushes", http.StatusSeeOther)
}

// reasonText says a push's reason codes in the page's language.
func reasonText(l Lang, reason string) string {
	var out []string
	for _, c := range content.Reasons(reason) {
		if _, ok := messages["pr_"+c]; ok {
			out = append(out, T(l, "pr_"+c))
		} else {
			out = append(out, c) // a reason from before reasons were codes
		}
	}
	return strings.Join(out, T(l, "list_sep"))
}

// markDays marks the first row of each day.
func markDays(rows []pushRow) {
	for i := range rows {
		rows[i].DayStart = i == 0 || rows[i].Day != rows[i-1].Day
	}
}

// day returns the date and the weekday of a time in the console's zone.
func (s *Server) day(t time.Time) (string, int) {
	t = t.In(s.Location)
	return t.Format("2006-01-02"), int(t.Weekday())
}

// pushRowsData is what the calendar's row template gets.
type pushRowsData struct {
	Lang Lang
	CSRF string
	Rows []pushRow
	Sent bool
}
