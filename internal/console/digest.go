package console

import (
	"context"
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

// The daily digest page (docs/metrics.md, "The daily digest"): a day of
// the user's groups — the summary and a line per group with something to
// tell — and one group's day: its busiest threads, its terms of the day,
// its questions, joins and leaves, moderation and pushes. Managers choose
// when the digest is made and whether it is posted in the staff group.

// DigestSource reads the kept digests and their settings. The store
// implements it.
type DigestSource interface {
	DigestDays(ctx context.Context, orgID int64, limit int) ([]analytics.Day, error)
	GroupDigests(ctx context.Context, orgID int64, d analytics.Day) ([]analytics.GroupDigest, error)
	DigestSettings(ctx context.Context, orgID int64) (analytics.DigestSettings, error)
	SetDigestSettings(ctx context.Context, orgID int64, s analytics.DigestSettings, actor string) error
}

func (s *Server) digestRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /digest", s.auth(s.needs("digest", s.digestPage)))
	mux.HandleFunc("POST /digest/settings", s.auth(s.needs("digest", s.managerOnly(s.may(access.DigestSettings, s.setDigestSettings)))))
}

// dgDays is how many days the page offers.
const dgDays = 60

type dgDay struct {
	Value, Label string
}

type digestData struct {
	Day      string // YYYY-MM-DD
	Days     []dgDay
	GroupID  int64
	Summary  analytics.OrgDigest
	Group    *analytics.GroupDigest
	Times    map[string]string // the group's times of day (threads, questions, pushes), by key
	Settings *dgSettings       // when the user may change them
}

type dgSettings struct {
	Time         string
	Send, Groups bool
}

func (s *Server) digestPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	sc, gid, err := s.chosenGroup(ctx, u, q.Get("group"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := digestData{GroupID: gid, Times: map[string]string{}}
	days, err := s.Digests.DigestDays(ctx, u.OrgID, dgDays)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, day := range days {
		v := day.Start(s.Location).Format("2006-01-02")
		d.Days = append(d.Days, dgDay{Value: v, Label: v})
	}
	if !u.Scoped() && u.May(access.DigestSettings) {
		set, err := s.Digests.DigestSettings(ctx, u.OrgID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Settings = &dgSettings{Time: community.Clock{Hour: set.Minute / 60, Minute: set.Minute % 60}.String(), Send: set.Send, Groups: set.Groups}
	}
	var day analytics.Day
	switch v := q.Get("day"); {
	case v != "":
		t, err := time.ParseInLocation("2006-01-02", v, s.Location)
		if err != nil {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dg_err_day")))
			return
		}
		day = analytics.DayOf(t, s.Location)
	case len(days) > 0:
		day = days[0]
	}
	p := s.page(r, u, T(l, "digest"), &d)
	p.Flash = s.takeFlash(w, r)
	if day == 0 {
		s.render(w, http.StatusOK, "digest", p) // none made yet
		return
	}
	d.Day = day.Start(s.Location).Format("2006-01-02")
	all, err := s.Digests.GroupDigests(ctx, u.OrgID, day)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if len(all) == 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, T(l, "dg_no_day")))
		return
	}
	mine := all[:0]
	for _, g := range all {
		if sc.has(g.GroupID) {
			mine = append(mine, g)
		}
	}
	d.Summary = analytics.Summarise(d.Day, mine, analytics.ActiveLeavers(mine))
	if gid != 0 {
		i := slices.IndexFunc(mine, func(g analytics.GroupDigest) bool { return g.GroupID == gid })
		if i < 0 {
			s.renderError(w, r, errkind.New(errkind.NotFound, T(l, "dg_no_group")))
			return
		}
		g := mine[i]
		d.Group = &g
		clock := func(t time.Time) string { return t.In(s.Location).Format("15:04") }
		for i, t := range g.Threads {
			d.Times["t"+strconv.Itoa(i)] = clock(t.At)
		}
		for i, q := range g.Open {
			d.Times["q"+strconv.Itoa(i)] = clock(q.AskedAt)
		}
		for i, p := range g.Pushes {
			d.Times["p"+strconv.Itoa(i)] = clock(p.SentAt)
		}
	}
	s.render(w, http.StatusOK, "digest", p)
}

// setDigestSettings sets when the digest is made and whether it is posted.
func (s *Server) setDigestSettings(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	c, err := community.ParseClock(strings.TrimSpace(r.PostFormValue("time")))
	if err != nil {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dg_err_time")))
		return
	}
	set := analytics.DigestSettings{Minute: c.Hour*60 + c.Minute, Send: r.PostFormValue("send") == "1", Groups: r.PostFormValue("groups") == "1"}
	if err := s.Digests.SetDigestSettings(r.Context(), u.OrgID, set, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_dg_settings"})
	http.Redirect(w, r, "/digest", http.StatusSeeOther)
}
