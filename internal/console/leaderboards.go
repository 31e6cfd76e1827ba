package console

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Leaderboards: the top posters over a day, a week or a month (from the
// daily rollups), by messages or by substantive posts, across the user's
// groups or in one; and the top inviters by qualified referrals over the
// same time.

const leaderboardRows = 20

// periods are the leaderboards' lengths in days.
var periods = map[string]int{"day": 1, "week": 7, "month": 30}

type leaderGroup struct {
	ID   int64
	Name string
}

// chosenGroup reads the user's scope and a page's optional ?group=
// filter v: 0 when empty, else a group id in the scope.
func (s *Server) chosenGroup(ctx context.Context, u *access.User, v string) (scope, int64, error) {
	sc, err := s.scopeOf(ctx, u)
	if err != nil || v == "" {
		return sc, 0, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return sc, 0, errkind.Errorf(errkind.Invalid, "group: want a group id, got %q", v)
	}
	if !sc.has(id) {
		return sc, 0, errOutOfScope
	}
	return sc, id, nil
}

// rankTable is a leaderboard: people with two figures each.
type rankTable struct {
	Lang  Lang
	ID    string
	Title string
	Cols  [2]string // the figures' column keys
	Rows  []rankRow
}

type rankRow struct {
	PersonID int64
	Name     string
	A, B     int
}

type leaderboardsData struct {
	Period      string
	Periods     []string
	Substantive bool
	GroupID     int64
	Groups      []leaderGroup
	From, To    string // the days covered
	Posters     rankTable
	Inviters    rankTable
	Points      rankTable // points.go
	PointsBy    string    // month or all
	CSV         string
}

func (s *Server) leaderboards(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	d := leaderboardsData{Period: q.Get("period"), Periods: []string{"day", "week", "month"}, Substantive: q.Get("substantive") == "1"}
	if d.Period == "" {
		d.Period = "week"
	}
	days, ok := periods[d.Period]
	if !ok {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "period: want day, week or month, got %q", d.Period))
		return
	}
	sc, gid, err := s.chosenGroup(ctx, u, q.Get("group"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.GroupID = gid
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var mine []int64
	for _, g := range groups {
		if sc.has(g.ID) {
			d.Groups = append(d.Groups, leaderGroup{g.ID, g.Name})
			mine = append(mine, g.ID)
		}
	}
	now := s.Now()
	to := analytics.DayOf(now, s.Location)
	from := to - analytics.Day(days-1)
	d.From, d.To = from.Start(s.Location).Format("2006-01-02"), to.Start(s.Location).Format("2006-01-02")
	var posters []analytics.PosterRank
	switch {
	case d.GroupID != 0 || sc.all:
		posters, err = s.Community.TopPosters(ctx, u.OrgID, d.GroupID, from, to, d.Substantive, leaderboardRows)
	default:
		posters, err = s.topPostersIn(r, u.OrgID, mine, from, to, d.Substantive)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	inviters, err := s.topInviters(r, u.OrgID, sc, d.GroupID, from.Start(s.Location))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Posters = rankTable{Lang: l, ID: "posters", Title: "top_posters", Cols: [2]string{"messages", "substantive"}}
	for _, p := range posters {
		d.Posters.Rows = append(d.Posters.Rows, rankRow{p.PersonID, p.Name, p.Messages, p.Substantive})
	}
	d.Inviters = rankTable{Lang: l, ID: "inviters", Title: "top_inviters", Cols: [2]string{"invited", "qualified"}}
	for _, p := range inviters {
		d.Inviters.Rows = append(d.Inviters.Rows, rankRow{p.PersonID, p.Name, p.Invited, p.Qualified})
	}
	switch d.PointsBy = q.Get("points"); d.PointsBy {
	case "":
		d.PointsBy = "month"
	case "month", "all":
	default:
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "积分榜只能按本月或累计排。points: want month or all, got %q", d.PointsBy))
		return
	}
	if d.Points, err = s.pointsBoard(ctx, l, u.OrgID, sc, d.GroupID, mine, d.PointsBy); err != nil {
		s.renderError(w, r, err)
		return
	}
	if wantsCSV(r) {
		// The boards in one file: the board, the rank, the person, and
		// the figures in the board's own two columns.
		var out [][]string
		tables := []rankTable{d.Posters, d.Inviters, d.Points}
		for k, t := range tables {
			for i, row := range t.Rows {
				figs := make([]string, 2*len(tables))
				figs[2*k], figs[2*k+1] = strconv.Itoa(row.A), strconv.Itoa(row.B)
				out = append(out, append([]string{T(l, t.Title), strconv.Itoa(i + 1), strconv.FormatInt(row.PersonID, 10), row.Name}, figs...))
			}
		}
		s.sendCSV(w, "qunzhu-leaderboards-"+d.From+"-"+d.To+".csv",
			headers(l, "board", "rank", "id", "name", "messages", "substantive", "invited", "qualified", "points_month", "points_total"), out)
		return
	}
	d.CSV = csvURL(r)
	s.render(w, http.StatusOK, "leaderboards", s.page(r, u, T(l, "leaderboards"), d))
}

// topPostersIn ranks posters across some groups: each group's ranks
// summed.
func (s *Server) topPostersIn(r *http.Request, orgID int64, groups []int64, from, to analytics.Day, substantive bool) ([]analytics.PosterRank, error) {
	sum := map[int64]*analytics.PosterRank{}
	for _, g := range groups {
		ranks, err := s.Community.TopPosters(r.Context(), orgID, g, from, to, substantive, 1000)
		if err != nil {
			return nil, err
		}
		for _, p := range ranks {
			if t := sum[p.PersonID]; t != nil {
				t.Messages += p.Messages
				t.Substantive += p.Substantive
			} else {
				p := p
				sum[p.PersonID] = &p
			}
		}
	}
	out := make([]analytics.PosterRank, 0, len(sum))
	for _, p := range sum {
		out = append(out, *p)
	}
	key := func(p analytics.PosterRank) int {
		if substantive {
			return p.Substantive
		}
		return p.Messages
	}
	sort.Slice(out, func(i, j int) bool {
		if key(out[i]) != key(out[j]) {
			return key(out[i]) > key(out[j])
		}
		return out[i].PersonID < out[j].PersonID
	})
	return out[:min(len(out), leaderboardRows)], nil
}

// topInviters ranks inviters; with a group, or for a scoped user, only
// people who have been in that group, or in one of theirs.
func (s *Server) topInviters(r *http.Request, orgID int64, sc scope, groupID int64, since time.Time) ([]community.InviterRank, error) {
	if groupID == 0 && sc.all {
		return s.Community.TopInviters(r.Context(), orgID, since, leaderboardRows)
	}
	all, err := s.Community.TopInviters(r.Context(), orgID, since, 0)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	ids := make([]int64, len(all))
	for i, rk := range all {
		ids[i] = rk.PersonID
	}
	groups, err := s.Community.PersonGroups(r.Context(), orgID, ids)
	if err != nil {
		return nil, err
	}
	var out []community.InviterRank
	for _, rk := range all {
		for _, g := range groups[rk.PersonID] {
			if (groupID == 0 && sc.has(g)) || g == groupID {
				out = append(out, rk)
				break
			}
		}
		if len(out) == leaderboardRows {
			break
		}
	}
	return out, nil
}
