package console

import (
	"context"
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// The churn log (docs/metrics.md, "One member, several groups; churn"):
// who left the user's groups or was removed, after how long, when they
// last posted, whether they were active (a regular or better) — the
// losses worth a call — and, for a staff member who left, who could take
// over their group.

// ChurnSource reads the leaves and a group's possible successors. The
// store implements it.
type ChurnSource interface {
	Leaves(ctx context.Context, orgID int64, from, to time.Time, loc *time.Location) ([]analytics.Leave, error)
	Candidates(ctx context.Context, groupID int64, now time.Time) ([]analytics.Candidate, error)
}

func (s *Server) churnRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /churn", s.auth(s.needs("churn", s.churnPage)))
}

// churnListed bounds the leaves the page lists.
const churnListed = 300

type churnRow struct {
	analytics.Leave
	Left      string
	Last      string
	Days      int  // tenure in whole days
	Active    bool // formerly active
	Successor *analytics.Candidate
}

type churnData struct {
	Days        int
	Periods     []int
	ActiveOnly  bool
	Rows        []churnRow
	All, Active int
	Removed     int
	Staff       []churnRow // staff who left, with a suggested successor
}

func (s *Server) churnPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	d := churnData{Days: 7, Periods: qaPeriods, ActiveOnly: q.Get("active") == "1"}
	days, err := periodDays(l, q.Get("days"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Days = days
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	from := (analytics.DayOf(now, s.Location) - analytics.Day(d.Days-1)).Start(s.Location)
	leaves, err := s.Churn.Leaves(ctx, u.OrgID, from, now.Add(time.Second), s.Location)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, lv := range leaves {
		if !sc.has(lv.GroupID) {
			continue
		}
		row := churnRow{Leave: lv, Left: lv.LeftAt.In(s.Location).Format("01-02 15:04"), Last: T(l, "never"), Days: int(lv.Tenure() / (24 * time.Hour)), Active: lv.FormerlyActive(s.Location)}
		if lv.LastMessage != nil {
			row.Last = lv.LastMessage.In(s.Location).Format("2006-01-02")
		}
		d.All++
		if row.Active {
			d.Active++
		}
		if lv.Removed {
			d.Removed++
		}
		if lv.StaffLeft() {
			cands, err := s.Churn.Candidates(ctx, lv.GroupID, now)
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			if c, ok := analytics.Successor(cands, lv.PersonID); ok {
				row.Successor = &c
			}
			d.Staff = append(d.Staff, row)
		}
		if (!d.ActiveOnly || row.Active) && len(d.Rows) < churnListed {
			d.Rows = append(d.Rows, row)
		}
	}
	s.render(w, http.StatusOK, "churn", s.page(r, u, T(l, "churn"), d))
}
