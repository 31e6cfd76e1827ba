package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The duplicates page (docs/metrics.md, "One member, several groups"):
// the members who sit in two or more groups of one family of the user's
// groups (the groups one template step made — a year's cohorts), or in
// more groups than a chosen number, with the group each would stay in by
// the chosen rule (the one joined first, or the one posted in most over
// 30 days) and those they would leave.

// DuplicateSource reads the seats of members in several groups. The store
// implements it.
type DuplicateSource interface {
	MemberSeats(ctx context.Context, orgID int64, now time.Time) ([]analytics.Seat, error)
}

func (s *Server) duplicateRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /duplicates", s.auth(s.needs("duplicates", s.duplicatesPage)))
}

// dupOverall are the choices of "in more than N groups" (0: off).
var dupOverall = []int{0, 3, 5, 10}

// dupListed bounds the members the page lists.
const dupListed = 500

type dupFamily struct {
	Seats []dupSeat
}

type dupSeat struct {
	analytics.Seat
	Joined string
	Keep   bool
}

type dupRow struct {
	Person   int64
	Name     string
	Groups   int
	Overall  bool
	Families []dupFamily
	Others   []dupSeat // seats in no family of theirs with two groups
}

type duplicatesData struct {
	Keep      string
	Overall   int
	Overalls  []int
	Rows      []dupRow
	All       int // members listed or not
	Leave     int // seats the rule would free
	Truncated bool
}

func (s *Server) duplicatesPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	d := duplicatesData{Keep: string(analytics.KeepEarliest), Overalls: dupOverall}
	if v := q.Get("keep"); v != "" {
		if !analytics.KeepRule(v).Valid() {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dup_err_keep")))
			return
		}
		d.Keep = v
	}
	if v := q.Get("overall"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 0 && n < 2) || n > 100 {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dup_err_overall")))
			return
		}
		d.Overall = n
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	seats, err := s.Duplicates.MemberSeats(ctx, u.OrgID, s.Now())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	mine := seats[:0]
	for _, st := range seats {
		if sc.has(st.Group) {
			mine = append(mine, st)
		}
	}
	dups := analytics.FindDuplicates(mine, d.Overall, analytics.KeepRule(d.Keep))
	d.All = len(dups)
	day := func(t time.Time) string { return t.In(s.Location).Format("2006-01-02") }
	for _, dup := range dups {
		d.Leave += len(dup.Remove())
		if len(d.Rows) == dupListed {
			d.Truncated = true
			continue
		}
		row := dupRow{Person: dup.Person, Name: dup.Name, Groups: len(dup.Seats), Overall: dup.Overall}
		inFamily := map[int64]bool{}
		for _, f := range dup.Families {
			var fam dupFamily
			for _, st := range f.Seats {
				fam.Seats = append(fam.Seats, dupSeat{Seat: st, Joined: day(st.JoinedAt), Keep: st.Group == f.Keep})
				inFamily[st.Group] = true
			}
			row.Families = append(row.Families, fam)
		}
		for _, st := range dup.Seats {
			if !inFamily[st.Group] {
				row.Others = append(row.Others, dupSeat{Seat: st, Joined: day(st.JoinedAt)})
			}
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, http.StatusOK, "duplicates", s.page(r, u, T(l, "duplicates"), d))
}
