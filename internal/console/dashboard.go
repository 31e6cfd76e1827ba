package console

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The dashboard: the organisation's headline figures, its most active
// groups, charts from the rollups, health and the connections' state.

// groupRow is one line of the dashboard's group table.
type groupRow struct {
	community.Group
	analytics.GroupActivity
	State   string
	Node    string // the tree node's name
	LastDay bool   // LastAt is the day of the last member message (from the rollups)
}

// dashboardGroups is how many groups the dashboard lists, the most active
// first; /groups lists them all.
const dashboardGroups = 20

type dashboardData struct {
	Summary     analytics.OrgSummary
	Groups      []groupRow // the most active
	AllGroups   int        // the groups the user sees
	Figures     *weekFigures
	Chart       template.HTML
	CommChart   template.HTML // communicators per day (from the rollups)
	JoinsChart  template.HTML // joins per day (from the rollups)
	Joined      int           // over 30 days
	Left        int
	Growth      bool // Joined and Left are known
	Health      *dashboardHealth
	Questions   *qaRow // the last 7 days' questions (questions.go)
	Connections []ConnectionStatus
	Setup       *setupChecklist // the first-run checklist (connections.go)
}

// State returns a group's state for the console: archived, dead (no member
// message for 30 days), dormant (14 days) or active.
func State(g community.Group, last *time.Time, now time.Time) string {
	switch {
	case g.Lifecycle == community.Archived:
		return "archived"
	case last == nil || now.Sub(*last) >= 30*24*time.Hour:
		return "dead"
	case now.Sub(*last) >= 14*24*time.Hour:
		return "dormant"
	}
	return "active"
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	now := s.Now()
	week := now.Add(-7 * 24 * time.Hour)
	figs, err := s.figures(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rows, _, _, err := s.groupRows(r, u, groupFilter{Sort: "messages", Dir: "desc"}, figs)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := dashboardData{Groups: rows[:min(len(rows), dashboardGroups)], AllGroups: len(rows), Figures: figs}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Health, err = s.dashboardHealth(ctx, u, sc); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Questions, err = s.dashboardQuestions(ctx, langOf(r), u.OrgID, sc); err != nil {
		s.renderError(w, r, err)
		return
	}
	if u.Scoped() {
		// The organisation's figures are not theirs to see: their groups'.
		for _, g := range rows {
			d.Summary.Groups++
			d.Summary.Members += g.Group.Members
			d.Summary.Messages += g.Messages
			d.Summary.Communicators += g.Communicators
		}
	} else if figs.Rollup {
		// The groups and members are counted as the group table counts
		// them; the week from the rollups.
		for _, g := range rows {
			d.Summary.Groups++
			d.Summary.Members += g.Group.Members
		}
		d.Summary.Messages, d.Summary.Communicators = figs.Messages, figs.Communicators
		if ms, ok := s.Store.(interface {
			ModerationsSince(ctx context.Context, orgID int64, since time.Time) (int, error)
		}); ok {
			if d.Summary.Moderations, err = ms.ModerationsSince(ctx, u.OrgID, week); err != nil {
				s.renderError(w, r, err)
				return
			}
		}
		d.Chart = BarChart(figs.Daily, T(langOf(r), "messages_per_day"))
		d.CommChart = BarChart(figs.DailyComm, T(langOf(r), "communicators_per_day"))
		d.JoinsChart = BarChart(figs.DailyJoins, T(langOf(r), "joins_per_day"))
		d.Joined, d.Left, d.Growth = figs.Joined, figs.Left, true
	} else {
		if d.Summary, err = s.Store.Summary(ctx, u.OrgID, week); err != nil {
			s.renderError(w, r, err)
			return
		}
		days, err := s.Store.DailyMessages(ctx, u.OrgID, now, 30, s.Location)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Chart = BarChart(days, T(langOf(r), "messages_per_day"))
	}
	if !u.Scoped() {
		if s.Connections != nil {
			d.Connections = s.Connections()
		}
	}
	if d.Setup, err = s.setup(ctx, langOf(r), u); err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, T(langOf(r), "dashboard"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "dashboard", p)
}
