package api

import (
	"context"
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Analytics are the daily rollups the API reads (docs/metrics.md).
type Analytics interface {
	GroupDays(ctx context.Context, groupID int64, from, to analytics.Day, loc *time.Location) ([]analytics.GroupDay, error)
	LatestHealth(ctx context.Context, orgID int64, loc *time.Location) (map[int64]analytics.GroupDay, error)
	Alerts(ctx context.Context, orgID int64, openOnly bool, limit int) ([]analytics.Alert, error)
	ResolveAlert(ctx context.Context, orgID, id int64, actor string) error
	TopPosters(ctx context.Context, orgID, groupID int64, from, to analytics.Day, substantive bool, limit int) ([]analytics.PosterRank, error)
	Newcomers(ctx context.Context, groupID int64, since time.Time, loc *time.Location) ([]analytics.Stint, error)
	JoinsBySource(ctx context.Context, groupID int64, since time.Time) (map[string]int, error)
	PurgeProposal(ctx context.Context, orgID, groupID int64, now time.Time) ([]community.PurgeCandidate, error)
	PurgeNotice(ctx context.Context, orgID, groupID int64, days int, exclude []int64, actor string) ([]community.PurgeCandidate, error)
	PurgeExecute(ctx context.Context, orgID, groupID int64, keep []int64, actor string) (int, error)
	PendingPurge(ctx context.Context, orgID, groupID int64) (community.Purge, bool, error)
	PurgeWithdraw(ctx context.Context, orgID, groupID int64, actor string) error
	SnoozeAlert(ctx context.Context, orgID, id int64, until time.Time, actor string) error
	SetDailyTop(ctx context.Context, orgID, groupID int64, atMinute, size int, actor string) error
}

func (s *Server) analyticsRoutes(mux *http.ServeMux) {
	if s.Analytics == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/groups/{id}/health", s.tokenAuth(s.json(s.groupHealth)))
	mux.HandleFunc("GET /api/v1/groups/{id}/newcomers", s.tokenAuth(s.json(s.groupNewcomers)))
	mux.HandleFunc("GET /api/v1/groups/{id}/purge", s.tokenAuth(s.json(s.purgeProposal)))
	mux.HandleFunc("PUT /api/v1/groups/{id}/daily-top", s.tokenAuth(s.may(access.EditGroup, s.json(s.setDailyTop))))
	mux.HandleFunc("POST /api/v1/groups/{id}/purge/notice", s.tokenAuth(s.may(access.ProposePurge, s.json(s.purgeNotice))))
	mux.HandleFunc("POST /api/v1/groups/{id}/purge/execute", s.tokenAuth(s.may(access.ProposePurge, s.json(s.purgeExecute))))
	mux.HandleFunc("POST /api/v1/groups/{id}/purge/withdraw", s.tokenAuth(s.may(access.ProposePurge, s.json(s.purgeWithdraw))))
	mux.HandleFunc("GET /api/v1/health", s.tokenAuth(s.json(s.orgHealth)))
	mux.HandleFunc("GET /api/v1/alerts", s.tokenAuth(s.json(s.listAlerts)))
	mux.HandleFunc("POST /api/v1/alerts/{id}/resolve", s.tokenAuth(s.may(access.HandleAlerts, s.json(s.resolveAlert))))
	mux.HandleFunc("POST /api/v1/alerts/{id}/snooze", s.tokenAuth(s.may(access.HandleAlerts, s.json(s.snoozeAlert))))
	mux.HandleFunc("GET /api/v1/leaderboard/posters", s.tokenAuth(s.json(s.topPosters)))
}

// HealthJSON is a group's health on one day, with the score's parts.
type HealthJSON struct {
	Date           string  `json:"date"`
	State          string  `json:"state"`
	Score          float64 `json:"score"`
	Engagement     float64 `json:"engagement"`
	Stickiness     float64 `json:"stickiness"`
	Responsiveness float64 `json:"responsiveness"`
	Retention      float64 `json:"retention"`
	Spread         float64 `json:"spread"`
	Growth         float64 `json:"growth"`
	Members        int     `json:"members"`
	Messages       int     `json:"messages,omitempty"`
	MemberMessages int     `json:"member_messages,omitempty"`
	Communicators  int     `json:"communicators,omitempty"`
	Questions      int     `json:"questions,omitempty"`
	Answered       int     `json:"answered,omitempty"`
	Joins          int     `json:"joins,omitempty"`
	Leaves         int     `json:"leaves,omitempty"`
	// Source: where the message figures come from — "" the messages
	// qunzhu received, "stats" the platform's daily statistics of the
	// group, "owner_stats" none (the platform counted the owner's groups
	// together).
	Source string `json:"source,omitempty"`
}

func healthJSON(g analytics.GroupDay) HealthJSON {
	h := g.Health
	return HealthJSON{g.Date.Format(time.DateOnly), string(g.State), h.Score, h.Engagement, h.Stickiness, h.Responsiveness, h.Retention, h.Spread, h.Growth,
		g.Members, g.Messages, g.MemberMessages, g.Communicators, g.Questions, g.Answered, g.Joins, g.Leaves, g.Source}
}

func (s *Server) today() analytics.Day { return analytics.DayOf(s.now(), s.Location) }

// groupHealth is a group's daily figures, health and state for the last
// ?days= days (30 by default), oldest first.
func (s *Server) groupHealth(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.Store.Group(r.Context(), orgOf(r), id); err != nil {
		return 0, nil, err
	}
	n, err := intParam(r, "days", 30, 1, 400)
	if err != nil {
		return 0, nil, err
	}
	today := s.today()
	days, err := s.Analytics.GroupDays(r.Context(), id, today-analytics.Day(n-1), today, s.Location)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Days []HealthJSON `json:"days"`
	}{Days: []HealthJSON{}}
	for _, d := range days {
		out.Days = append(out.Days, healthJSON(d))
	}
	return http.StatusOK, out, nil
}

// orgHealth is every group's latest health and state, and how many groups
// are in each state.
func (s *Server) orgHealth(w http.ResponseWriter, r *http.Request) (int, any, error) {
	latest, err := s.Analytics.LatestHealth(r.Context(), orgOf(r), s.Location)
	if err != nil {
		return 0, nil, err
	}
	type groupHealth struct {
		GroupID int64 `json:"group_id"`
		HealthJSON
	}
	out := struct {
		States map[string]int `json:"states"`
		Groups []groupHealth  `json:"groups"`
	}{States: map[string]int{}, Groups: []groupHealth{}}
	gs, err := s.Store.Groups(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	for _, g := range gs {
		if d, ok := latest[g.ID]; ok && d.State != "" {
			out.States[string(d.State)]++
			out.Groups = append(out.Groups, groupHealth{g.ID, healthJSON(d)})
		}
	}
	return http.StatusOK, out, nil
}

// AlertJSON is an alert as the API shows it.
type AlertJSON struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	GroupID    int64      `json:"group_id"`
	Group      string     `json:"group"`
	PersonID   int64      `json:"person_id,omitempty"`
	Person     string     `json:"person,omitempty"`
	Date       string     `json:"date"`
	Detail     string     `json:"detail,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	// SnoozedUntil: the alert is put off until then.
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	all := r.URL.Query().Get("all") == "1" || r.URL.Query().Get("all") == "true"
	list, err := s.Analytics.Alerts(r.Context(), orgOf(r), !all, int(limit))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Alerts []AlertJSON `json:"alerts"`
	}{Alerts: []AlertJSON{}}
	for _, a := range list {
		out.Alerts = append(out.Alerts, AlertJSON{a.ID, a.Kind, a.GroupID, a.GroupName, a.PersonID, a.PersonName, a.Day.Start(s.Location).Format(time.DateOnly), a.Detail, a.CreatedAt, a.ResolvedAt, a.SnoozedUntil})
	}
	return http.StatusOK, out, nil
}

func (s *Server) resolveAlert(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.Analytics.ResolveAlert(r.Context(), orgOf(r), id, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"resolved": id}, nil
}

// snoozeAlert puts an open alert off: POST /api/v1/alerts/{id}/snooze
// {"days":3} or {"until":"2026-12-01T09:00:00+08:00"} (at most 30 days).
func (s *Server) snoozeAlert(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Days  int    `json:"days"`
		Until string `json:"until"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	var until time.Time
	switch {
	case (in.Days != 0) == (in.Until != ""):
		return 0, nil, errkind.New(errkind.Invalid, "give days (1 to 30) or until (RFC 3339), one of the two")
	case in.Until != "":
		if until, err = time.Parse(time.RFC3339, in.Until); err != nil {
			return 0, nil, errkind.Errorf(errkind.Invalid, "until: not RFC 3339: %q", in.Until)
		}
	case in.Days < 1 || in.Days > 30:
		return 0, nil, errkind.Errorf(errkind.Invalid, "days: want 1 to 30, got %d", in.Days)
	default:
		until = s.now().AddDate(0, 0, in.Days)
	}
	if err := s.Analytics.SnoozeAlert(r.Context(), orgOf(r), id, until, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"snoozed": id, "until": until}, nil
}

// topPosters is the posters' leaderboard: ?period=day|week|month (the last
// 1, 7 or 30 days including today), ?group=ID, ?substantive=1 (posts of
// three lines or more), ?limit=.
func (s *Server) topPosters(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := r.URL.Query()
	days := map[string]int{"": 7, "day": 1, "week": 7, "month": 30}
	n, ok := days[q.Get("period")]
	if !ok {
		return 0, nil, errkind.Errorf(errkind.Invalid, "period %q: want day, week or month", q.Get("period"))
	}
	group, err := intParam(r, "group", 0, 0, 1<<62)
	if err != nil {
		return 0, nil, err
	}
	if group != 0 {
		if _, err := s.Store.Group(r.Context(), orgOf(r), group); err != nil {
			return 0, nil, err
		}
	}
	limit, err := intParam(r, "limit", 10, 1, 100)
	if err != nil {
		return 0, nil, err
	}
	sub := q.Get("substantive") == "1" || q.Get("substantive") == "true"
	today := s.today()
	list, err := s.Analytics.TopPosters(r.Context(), orgOf(r), group, today-analytics.Day(n-1), today, sub, int(limit))
	if err != nil {
		return 0, nil, err
	}
	type poster struct {
		Rank        int    `json:"rank"`
		PersonID    int64  `json:"person_id"`
		Name        string `json:"name"`
		Messages    int    `json:"messages"`
		Substantive int    `json:"substantive"`
	}
	out := struct {
		Posters []poster `json:"posters"`
	}{Posters: []poster{}}
	for i, p := range list {
		out.Posters = append(out.Posters, poster{i + 1, p.PersonID, p.Name, p.Messages, p.Substantive})
	}
	return http.StatusOK, out, nil
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// groupNewcomers is newcomer retention and joins by source for the last
// ?days= days (90 by default): GET /api/v1/groups/{id}/newcomers.
func (s *Server) groupNewcomers(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	days, err := intParam(r, "days", 90, 1, 400)
	if err != nil {
		return 0, nil, err
	}
	since := s.now().AddDate(0, 0, -int(days))
	stints, err := s.Analytics.Newcomers(r.Context(), g.ID, since, s.Location)
	if err != nil {
		return 0, nil, err
	}
	joins, err := s.Analytics.JoinsBySource(r.Context(), g.ID, since)
	if err != nil {
		return 0, nil, err
	}
	ret := analytics.Retain(stints, s.now(), s.Location)
	type horizon struct {
		Cohort   int     `json:"cohort"`
		Strict   float64 `json:"strict"`
		Rolling  float64 `json:"rolling"`
		Survival float64 `json:"survival"`
	}
	out := struct {
		Newcomers int                `json:"newcomers"`
		Retention map[string]horizon `json:"retention"`
		Joins     map[string]int     `json:"joins_by_source"`
	}{Newcomers: len(stints), Retention: map[string]horizon{}, Joins: map[string]int{}}
	for i, name := range []string{"d1", "d7", "d30"} {
		out.Retention[name] = horizon{ret.Cohort[i], ret.Strict[i], ret.Rolling[i], ret.Survival[i]}
	}
	for src, n := range joins {
		if src == "" {
			src = "unknown"
		}
		out.Joins[src] += n
	}
	return http.StatusOK, out, nil
}

// purgeProposal lists a group's inactive members (zombies) a purge would
// remove, and the pending notice if there is one: GET
// /api/v1/groups/{id}/purge.
func (s *Server) purgeProposal(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Analytics.PurgeProposal(r.Context(), orgOf(r), g.ID, s.now())
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{"group_id": g.ID, "members": purgeJSON(list)}
	p, ok, err := s.Analytics.PendingPurge(r.Context(), orgOf(r), g.ID)
	if err != nil {
		return 0, nil, err
	}
	if ok {
		out["pending"] = pendingJSON(p)
	}
	return http.StatusOK, out, nil
}

type purgeMember struct {
	PersonID    int64      `json:"person_id"`
	Name        string     `json:"name"`
	JoinedAt    time.Time  `json:"joined_at"`
	LastMessage *time.Time `json:"last_message,omitempty"`
}

func purgeJSON(list []community.PurgeCandidate) []purgeMember {
	out := []purgeMember{}
	for _, c := range list {
		out = append(out, purgeMember{c.PersonID, c.Name, c.JoinedAt, c.LastMessage})
	}
	return out
}

// PendingPurgeJSON is a pending notice: its members with their status
// (excluded, named, spoke, left).
type PendingPurgeJSON struct {
	ID          int64             `json:"id"`
	Days        int               `json:"days"`
	NoticedAt   time.Time         `json:"noticed_at"`
	RemoveAfter time.Time         `json:"remove_after"`
	NoticedBy   string            `json:"noticed_by"`
	Members     []PurgeMemberJSON `json:"members"`
}

// PurgeMemberJSON is a member of a pending notice.
type PurgeMemberJSON struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	Status   string `json:"status"` // excluded, named, spoke, left
}

func pendingJSON(p community.Purge) PendingPurgeJSON {
	out := PendingPurgeJSON{ID: p.ID, Days: p.Days, NoticedAt: p.NoticedAt, RemoveAfter: p.RemoveAfter, NoticedBy: p.NoticedBy}
	for _, m := range p.Members {
		out.Members = append(out.Members, PurgeMemberJSON{m.PersonID, m.Name, m.Status})
	}
	return out
}

// purgeNotice posts the advance notice, naming the proposal's members but
// those excluded: POST /api/v1/groups/{id}/purge/notice {"days":7,
// "exclude":[person ids]}.
func (s *Server) purgeNotice(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Days    int     `json:"days"`
		Exclude []int64 `json:"exclude"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	list, err := s.Analytics.PurgeNotice(r.Context(), orgOf(r), g.ID, in.Days, in.Exclude, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "days": in.Days, "members": purgeJSON(list)}, nil
}

// purgeExecute removes, after the notice period, the named members who did
// not speak up, but those kept: POST /api/v1/groups/{id}/purge/execute
// {"keep":[person ids]} (the body is optional). Nothing is ever removed
// without this call.
func (s *Server) purgeExecute(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Keep []int64 `json:"keep"`
	}
	if err := s.decodeOptional(w, r, &in); err != nil {
		return 0, nil, err
	}
	n, err := s.Analytics.PurgeExecute(r.Context(), orgOf(r), g.ID, in.Keep, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "removed": n}, nil
}

// purgeWithdraw withdraws the pending notice and tells the group: POST
// /api/v1/groups/{id}/purge/withdraw.
func (s *Server) purgeWithdraw(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.Analytics.PurgeWithdraw(r.Context(), orgOf(r), g.ID, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "withdrawn": true}, nil
}

// setDailyTop posts the day's top posters into the group at a time:
// PUT /api/v1/groups/{id}/daily-top {"at":"21:00","size":10}; size 0 turns
// it off.
func (s *Server) setDailyTop(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	in := struct {
		At   string `json:"at"`
		Size *int   `json:"size"`
	}{}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	size := 10
	if in.Size != nil {
		size = *in.Size
	}
	minute := 0
	if size > 0 {
		t, err := time.Parse("15:04", in.At)
		if err != nil {
			return 0, nil, errkind.Errorf(errkind.Invalid, "at: want a time of day like 21:00, got %q", in.At)
		}
		minute = t.Hour()*60 + t.Minute()
	}
	if err := s.Analytics.SetDailyTop(r.Context(), orgOf(r), g.ID, minute, size, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "at": in.At, "size": size}, nil
}
