package console

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The health page: what the daily rollups flag in the user's groups and
// what staff do about it — alerts resolved, snoozed or followed to their
// group, each with its reason in words; dead and dormant groups archived;
// the inactive members of a group reviewed one by one and purged after an
// advance notice (docs/metrics.md).

// Maintenance purges inactive members and archives groups. The store
// implements it.
type Maintenance interface {
	PurgeProposal(ctx context.Context, orgID, groupID int64, now time.Time) ([]community.PurgeCandidate, error)
	PendingPurge(ctx context.Context, orgID, groupID int64) (community.Purge, bool, error)
	Purges(ctx context.Context, orgID int64, pendingOnly bool, limit int) ([]community.Purge, error)
	PurgeNotice(ctx context.Context, orgID, groupID int64, days int, exclude []int64, actor string) ([]community.PurgeCandidate, error)
	PurgeExecute(ctx context.Context, orgID, groupID int64, keep []int64, actor string) (int, error)
	PurgeWithdraw(ctx context.Context, orgID, groupID int64, actor string) error
	UpdateGroup(ctx context.Context, orgID, id int64, p community.GroupPatch, actor string) (community.Group, error)
}

func (s *Server) healthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /health", s.auth(s.needs("health", s.healthPage)))
	mux.HandleFunc("POST /alerts/{id}/resolve", s.auth(s.needs("health", s.may(access.HandleAlerts, s.alertAction(false)))))
	mux.HandleFunc("POST /alerts/{id}/snooze", s.auth(s.needs("health", s.may(access.HandleAlerts, s.alertAction(true)))))
	mux.HandleFunc("POST /health/groups/{id}/archive", s.auth(s.needs("health", s.may(access.ArchiveGroup, s.maintaining(s.onGroup(s.archiveDead))))))
	mux.HandleFunc("GET /health/purge", s.auth(s.needs("health", s.maintaining(s.purgePick))))
	mux.HandleFunc("GET /health/purge/{id}", s.auth(s.needs("health", s.maintaining(s.onGroup(s.purgePage)))))
	mux.HandleFunc("POST /health/purge/{id}/notice", s.auth(s.needs("health", s.may(access.ProposePurge, s.maintaining(s.onGroup(s.purgeNotice))))))
	mux.HandleFunc("POST /health/purge/{id}/execute", s.auth(s.needs("health", s.may(access.ProposePurge, s.maintaining(s.onGroup(s.purgeExecute))))))
	mux.HandleFunc("POST /health/purge/{id}/withdraw", s.auth(s.needs("health", s.may(access.ProposePurge, s.maintaining(s.onGroup(s.purgeWithdraw))))))
}

// maintaining wraps a page that purges or archives: without Maintenance it
// is not found.
func (s *Server) maintaining(h http.HandlerFunc) http.HandlerFunc {
	return s.requires(func() bool { return s.Maintenance != nil }, h)
}

// alertView is an alert with its reason in words.
type alertView struct {
	analytics.Alert
	Date   string
	Why    template.HTML // what the alert means, the member named as user content
	Change string        // the state it left, in words ("" when none)
	Until  string        // snoozed until, in the server's time
}

// attention is a group the rollups find dead, dormant or dying.
type attention struct {
	Group   community.Group
	State   analytics.GroupState
	Score   float64
	Members int
	Date    string // the rolled-up day
}

type healthData struct {
	Alerts    []alertView
	AllAlerts int // open alerts not snoozed, shown or not
	Snoozed   []alertView
	Groups    []attention
	AllGroups int               // groups that need attention, shown or not
	Purges    []community.Purge // pending, in the user's groups
	Choices   []community.Group // the groups whose inactive members the user may review
	MayAlerts bool
	MayPurge  bool
	MayArch   bool
	Snooze    []int // the snooze choices, in days
}

// How many alerts and groups the page lists (worst first); the groups
// page filters the rest by state.
const (
	maxAlertsShown = 100
	maxGroupsShown = 50
)

// snoozeDays are the snooze choices the page offers.
var snoozeDays = []int{1, 3, 7, 14}

// alertOrder is the order the page lists alerts in.
var alertOrder = []string{analytics.AlertDead, analytics.AlertDormant, analytics.AlertDying, analytics.AlertCoreQuiet}

// attentionStates are the states the page lists, worst first.
var attentionStates = []analytics.GroupState{analytics.GroupDead, analytics.GroupDormant, analytics.GroupDying}

// reason puts an alert's reason in words: what its kind means, and the
// state the group left.
func (s *Server) reason(l Lang, a analytics.Alert) alertView {
	v := alertView{Alert: a, Date: a.Day.Start(s.Location).Format("2006-01-02"), Why: esc(T(l, "why_"+a.Kind))}
	if a.Kind == analytics.AlertCoreQuiet {
		v.Why = tfu(l, "why_core_quiet", a.PersonName)
	}
	var d struct{ From, To string }
	if json.Unmarshal([]byte(a.Detail), &d) == nil && d.From != "" {
		v.Change = tf(l, "alert_change", T(l, "hs_"+d.From), T(l, "hs_"+d.To))
	}
	if a.SnoozedUntil != nil {
		v.Until = a.SnoozedUntil.In(s.Location).Format("2006-01-02 15:04")
	}
	return v
}

func (s *Server) healthPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := healthData{MayAlerts: u.May(access.HandleAlerts), MayPurge: s.Maintenance != nil && u.May(access.ProposePurge),
		MayArch: s.Maintenance != nil && u.May(access.ArchiveGroup), Snooze: snoozeDays}
	alerts, err := s.Health.Alerts(ctx, u.OrgID, true, 1000)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	for _, a := range alerts {
		switch {
		case !sc.has(a.GroupID):
		case a.Snoozed(now):
			d.Snoozed = append(d.Snoozed, s.reason(l, a))
		default:
			d.Alerts = append(d.Alerts, s.reason(l, a))
		}
	}
	// A group's state first (dead, dormant, dying), then its quiet core
	// members; newest first within each.
	byKind := func(a, b alertView) int { return slices.Index(alertOrder, a.Kind) - slices.Index(alertOrder, b.Kind) }
	slices.SortStableFunc(d.Alerts, byKind)
	slices.SortStableFunc(d.Snoozed, byKind)
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	latest, err := s.latestHealth(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, g := range groups {
		if !sc.has(g.ID) || g.Lifecycle != community.Active {
			continue
		}
		d.Choices = append(d.Choices, g)
		if h, ok := latest[g.ID]; ok && slices.Contains(attentionStates, h.State) {
			d.Groups = append(d.Groups, attention{Group: g, State: h.State, Score: h.Health.Score, Members: h.Members, Date: h.Date.Format("01-02")})
		}
	}
	slices.SortStableFunc(d.Groups, func(a, b attention) int {
		return slices.Index(attentionStates, a.State) - slices.Index(attentionStates, b.State)
	})
	d.AllAlerts, d.AllGroups = len(d.Alerts), len(d.Groups)
	d.Alerts, d.Groups = d.Alerts[:min(len(d.Alerts), maxAlertsShown)], d.Groups[:min(len(d.Groups), maxGroupsShown)]
	if s.Maintenance != nil {
		purges, err := s.Maintenance.Purges(ctx, u.OrgID, true, 1000)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		for _, p := range purges {
			if sc.has(p.GroupID) {
				d.Purges = append(d.Purges, p)
			}
		}
	}
	p := s.page(r, u, T(l, "health"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "health", p)
}

// alertAction resolves an open alert, or snoozes it for the days the form
// picks, in the user's groups, and shows the health page.
func (s *Server) alertAction(snooze bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := userOf(r)
		l := langOf(r)
		id, err := pathID(r, "alert")
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		sc, err := s.scopeOf(r.Context(), u)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		open, err := s.Health.Alerts(r.Context(), u.OrgID, true, 10000)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		i := slices.IndexFunc(open, func(a analytics.Alert) bool { return a.ID == id })
		if i < 0 {
			s.renderError(w, r, errkind.New(errkind.NotFound, T(l, "no_such_alert")))
			return
		}
		if !sc.has(open[i].GroupID) {
			s.renderError(w, r, errOutOfScope)
			return
		}
		actor := "staff:" + u.Username
		f := flash{Key: "flash_alert_resolved", ID: id}
		if snooze {
			days, err := strconv.Atoi(r.PostFormValue("days"))
			if err != nil || !slices.Contains(snoozeDays, days) {
				s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "err_snooze_days")))
				return
			}
			err = s.Health.SnoozeAlert(r.Context(), u.OrgID, id, s.Now().AddDate(0, 0, days), actor)
			f = flash{Key: "flash_alert_snoozed", ID: int64(days)}
		} else {
			err = s.Health.ResolveAlert(r.Context(), u.OrgID, id, actor)
		}
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		s.setFlash(w, f)
		http.Redirect(w, r, "/health", http.StatusSeeOther)
	}
}

// scopedGroup reads the {id} group and checks it is in the user's scope.
func (s *Server) scopedGroup(r *http.Request) (community.Group, error) {
	u := userOf(r)
	id, err := pathID(r, "group")
	if err != nil {
		return community.Group{}, err
	}
	g, err := s.Store.Group(r.Context(), u.OrgID, id)
	if err != nil {
		return g, err
	}
	sc, err := s.scopeOf(r.Context(), u)
	if err != nil {
		return g, err
	}
	if !sc.has(g.ID) {
		return g, errOutOfScope
	}
	return g, nil
}

// groupHandler handles a request about a group of the user's scope.
type groupHandler func(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group)

// onGroup reads the {id} group, checks it is in the user's scope, and
// hands it to h.
func (s *Server) onGroup(h groupHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, err := s.scopedGroup(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		h(w, r, userOf(r), langOf(r), g)
	}
}

// purgeURL is the purge page of a group.
func purgeURL(g community.Group) string { return "/health/purge/" + strconv.FormatInt(g.ID, 10) }

// archiveDead archives a group from the health page after the operator
// confirms: pushes, rules and the bot's answers stop there; its history and
// figures are kept.
func (s *Server) archiveDead(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group) {
	if g.Lifecycle == community.Archived {
		s.setFlash(w, flash{Key: "flash_archived_already", Error: true})
		http.Redirect(w, r, "/health", http.StatusSeeOther)
		return
	}
	if !s.confirmed(w, r, tf(l, "confirm_archive", g.Name), "/health") {
		return
	}
	archived := community.Archived
	if _, err := s.Maintenance.UpdateGroup(r.Context(), u.OrgID, g.ID, community.GroupPatch{Lifecycle: &archived}, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	if s.OnChange != nil {
		s.OnChange()
	}
	s.setFlash(w, flash{Key: "flash_archived"})
	http.Redirect(w, r, "/health", http.StatusSeeOther)
}

// purgeRow is a member on the purge page.
type purgeRow struct {
	PersonID    int64
	Name        string
	JoinedAt    time.Time
	LastMessage *time.Time
	Status      string // a pending notice's status; "" in a proposal
	Keep        string // in a duplicate purge, the group they stay in
}

type purgeData struct {
	Group    community.Group
	Pending  *community.Purge
	By       string // who posted the pending notice, as a person reads it
	Due      bool
	Rows     []purgeRow
	Days     int
	MayPurge bool
}

// actorName is who did something as the audit log records it
// ("staff:NAME", "api:TOKEN"), as a person reads it.
func actorName(l Lang, actor string) string {
	if name, ok := strings.CutPrefix(actor, "staff:"); ok {
		return name
	}
	if token, ok := strings.CutPrefix(actor, "api:"); ok {
		return tf(l, "actor_api", token)
	}
	return actor
}

// defaultNoticeDays is the notice period the form starts with.
const defaultNoticeDays = 7

// purgePage shows a group's inactive members: the proposal, each with a
// box to leave them out of the notice, or the pending notice with what
// became of each member named, a box to keep each still silent, and the
// buttons to carry it out (once the period is over) or withdraw it.
func (s *Server) purgePage(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group) {
	d := purgeData{Group: g, Days: defaultNoticeDays, MayPurge: u.May(access.ProposePurge)}
	p, ok, err := s.Maintenance.PendingPurge(r.Context(), u.OrgID, g.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if ok {
		d.Pending, d.Due, d.By = &p, p.Due(s.Now()), actorName(l, p.NoticedBy)
		for _, m := range p.Members {
			d.Rows = append(d.Rows, purgeRow{m.PersonID, m.Name, m.JoinedAt, m.LastMessage, m.Status, m.KeepName})
		}
	} else {
		list, err := s.Maintenance.PurgeProposal(r.Context(), u.OrgID, g.ID, s.Now())
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		for _, c := range list {
			d.Rows = append(d.Rows, purgeRow{c.PersonID, c.Name, c.JoinedAt, c.LastMessage, "", ""})
		}
	}
	p2 := s.page(r, u, T(l, "purge_title")+" · "+g.Name, d)
	p2.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "purge", p2)
}

// purgePick goes to the purge page of the group the health page's form
// picked.
func (s *Server) purgePick(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("group"), 10, 64)
	if err != nil || id <= 0 {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(langOf(r), "ev_err_group")))
		return
	}
	http.Redirect(w, r, "/health/purge/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// people reads the person ids a form checked under name.
func people(r *http.Request, name string) ([]int64, bool) {
	var out []int64
	for _, v := range r.PostForm[name] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, false
		}
		out = append(out, id)
	}
	return out, true
}

// purgeNotice posts the advance notice naming the members the form kept
// checked; the others of the proposal are left out.
func (s *Server) purgeNotice(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group) {
	back := purgeURL(g)
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil || days < community.MinPurgeDays || days > community.MaxPurgeDays {
		s.renderError(w, r, errkind.New(errkind.Invalid, tf(l, "err_purge_days", community.MinPurgeDays, community.MaxPurgeDays)))
		return
	}
	named, ok := people(r, "person")
	if !ok {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "ev_err_person")))
		return
	}
	if len(named) == 0 {
		s.setFlash(w, flash{Key: "flash_purge_nobody", Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	list, err := s.Maintenance.PurgeProposal(r.Context(), u.OrgID, g.ID, s.Now())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var exclude []int64
	for _, c := range list {
		if !slices.Contains(named, c.PersonID) {
			exclude = append(exclude, c.PersonID)
		}
	}
	for _, id := range named {
		if !slices.ContainsFunc(list, func(c community.PurgeCandidate) bool { return c.PersonID == id }) {
			s.setFlash(w, flash{Key: "flash_purge_changed", Error: true})
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
	}
	if !s.confirmed(w, r, tf(l, "confirm_purge_notice", g.Name, len(named), days), back) {
		return
	}
	if _, err := s.Maintenance.PurgeNotice(r.Context(), u.OrgID, g.ID, days, exclude, "staff:"+u.Username); err != nil {
		s.purgeRefused(w, r, err, back)
		return
	}
	s.setFlash(w, flash{Key: "flash_purge_noticed", ID: int64(len(named))})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// purgeRefused shows a refusal the page can explain in a flash (the
// proposal or notice changed meanwhile); other errors as an error page.
func (s *Server) purgeRefused(w http.ResponseWriter, r *http.Request, err error, back string) {
	switch errkind.Of(err) {
	case errkind.Conflict, errkind.Invalid:
		s.setFlash(w, flash{Key: "flash_purge_changed", Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
	default:
		s.renderError(w, r, err)
	}
}

// purgeExecute carries out the pending notice after its period, keeping
// the members the form checked.
func (s *Server) purgeExecute(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group) {
	back := purgeURL(g)
	keep, ok := people(r, "keep")
	if !ok {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "ev_err_person")))
		return
	}
	p, pending, err := s.Maintenance.PendingPurge(r.Context(), u.OrgID, g.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if !pending || !p.Due(s.Now()) {
		s.setFlash(w, flash{Key: "flash_purge_not_due", Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	out := 0
	for _, m := range p.Members {
		if m.Status == community.PurgeNamed && !slices.Contains(keep, m.PersonID) {
			out++
		}
	}
	question := "confirm_purge_execute"
	if p.Kind == community.PurgeDuplicate {
		question = "confirm_dup_execute"
	}
	if !s.confirmed(w, r, tf(l, question, out, g.Name, len(keep)), back) {
		return
	}
	n, err := s.Maintenance.PurgeExecute(r.Context(), u.OrgID, g.ID, keep, "staff:"+u.Username)
	if err != nil {
		s.purgeRefused(w, r, err, back)
		return
	}
	f := flash{Key: "flash_purge_done", ID: int64(n)}
	if n == 0 {
		f.Key = "flash_purge_done_none"
	}
	s.setFlash(w, f)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// purgeWithdraw withdraws the pending notice; the group is told.
func (s *Server) purgeWithdraw(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group) {
	back := purgeURL(g)
	if !s.confirmed(w, r, tf(l, "confirm_purge_withdraw", g.Name), back) {
		return
	}
	if err := s.Maintenance.PurgeWithdraw(r.Context(), u.OrgID, g.ID, "staff:"+u.Username); err != nil {
		s.purgeRefused(w, r, err, back)
		return
	}
	s.setFlash(w, flash{Key: "flash_purge_withdrawn"})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
