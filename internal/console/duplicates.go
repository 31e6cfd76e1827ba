package console

import (
	"cmp"
	"context"
	"maps"
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

// The duplicates page (docs/metrics.md, "One member, several groups"):
// the members who sit in two or more groups of one family of the user's
// groups (the groups one template step made — a year's cohorts), or in
// more groups than the organisation's threshold, with the group each
// would stay in by its rule (the one joined first, or the one posted in
// most over 30 days) and those they would leave. The rule, the threshold
// and the family gate (a second group of a series refused at joining) are
// the organisation's settings, which a manager changes here. Per series,
// staff who may propose purges post the advance notice of their removal
// from the groups they would leave (a purge of kind duplicate, carried out
// or withdrawn on the health page's purge page of each group).

// DuplicateSource reads the seats of members in several groups and posts
// the notices of their removal. The store implements it.
type DuplicateSource interface {
	MemberSeats(ctx context.Context, orgID int64, now time.Time) ([]analytics.Seat, error)
	DuplicateNotice(ctx context.Context, orgID, family int64, rule analytics.KeepRule, days int, within []int64, actor string) ([]community.Purge, error)
	DuplicateSettings(ctx context.Context, orgID int64) (analytics.DuplicateSettings, error)
	SetDuplicateSettings(ctx context.Context, orgID int64, s analytics.DuplicateSettings, actor string) error
}

func (s *Server) duplicateRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /duplicates", s.auth(s.needs("duplicates", s.duplicatesPage)))
	mux.HandleFunc("POST /duplicates/notice", s.auth(s.needs("duplicates", s.may(access.ProposePurge, s.duplicateNotice))))
	mux.HandleFunc("POST /duplicates/settings", s.auth(s.needs("duplicates", s.managerOnly(s.may(access.ProposePurge, s.setDuplicateSettings)))))
}

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

// dupSeries is a family with members in two of its groups or more, and
// the notice the rule would post.
type dupSeries struct {
	ID      int64
	Groups  []dupGroup // by id
	Members int        // in two of its groups or more
	Leave   int        // seats the rule would free
}

type dupGroup struct {
	ID      int64
	Name    string
	Pending bool // a purge notice is pending there
}

type duplicatesData struct {
	Keep    string
	Overall int
	Gate    bool
	MaySet  bool // the user may change the settings
	MaxOver int
	// SettingsNow says the settings in words, for whom may not change them.
	SettingsNow string
	Rows        []dupRow
	Series      []dupSeries
	All         int // members listed or not
	Leave       int // seats the rule would free
	Truncated   bool
	MayNotice   bool
	Days        int // the notice period the form starts with
}

func (s *Server) duplicatesPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	set, err := s.Duplicates.DuplicateSettings(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := duplicatesData{Keep: string(set.Keep), Overall: set.Overall, Gate: set.FamilyGate, MaxOver: analytics.MaxOverall, Days: defaultNoticeDays,
		MayNotice: u.May(access.ProposePurge), MaySet: !u.Scoped() && u.May(access.ProposePurge)}
	if !d.MaySet {
		over, gate := T(l, "dup_overall_off"), T(l, "dup_gate_off")
		if set.Overall > 0 {
			over = tf(l, "dup_more_than", set.Overall)
		}
		if set.FamilyGate {
			gate = T(l, "dup_gate_on")
		}
		d.SettingsNow = tf(l, "dup_settings_now", T(l, "dup_keep_"+string(set.Keep)), over, gate)
	}
	sc, seats, err := s.seatsOf(ctx, u)
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
	if d.Series, err = s.dupSeries(ctx, u, dups); err != nil {
		s.renderError(w, r, err)
		return
	}
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
	p := s.page(r, u, T(l, "duplicates"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "duplicates", p)
}

// seatsOf reads the user's scope and the organisation's seats of members
// in several groups.
func (s *Server) seatsOf(ctx context.Context, u *access.User) (scope, []analytics.Seat, error) {
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return sc, nil, err
	}
	seats, err := s.Duplicates.MemberSeats(ctx, u.OrgID, s.Now())
	return sc, seats, err
}

// dupSeries sums the duplicates up by family, each group marked when a
// purge notice is pending there; by the first group's id.
func (s *Server) dupSeries(ctx context.Context, u *access.User, dups []analytics.Duplicate) ([]dupSeries, error) {
	pending := map[int64]bool{}
	if s.Maintenance != nil {
		purges, err := s.Maintenance.Purges(ctx, u.OrgID, true, 1000)
		if err != nil {
			return nil, err
		}
		for _, p := range purges {
			pending[p.GroupID] = true
		}
	}
	byID := map[int64]*dupSeries{}
	var order []int64
	for _, dup := range dups {
		for _, f := range dup.Families {
			ser := byID[f.Family]
			if ser == nil {
				ser = &dupSeries{ID: f.Family}
				byID[f.Family] = ser
				order = append(order, f.Family)
			}
			ser.Members++
			ser.Leave += len(f.Seats) - 1
			for _, st := range f.Seats {
				if !slices.ContainsFunc(ser.Groups, func(g dupGroup) bool { return g.ID == st.Group }) {
					ser.Groups = append(ser.Groups, dupGroup{ID: st.Group, Name: st.GroupName, Pending: pending[st.Group]})
				}
			}
		}
	}
	out := make([]dupSeries, 0, len(order))
	for _, id := range order {
		ser := byID[id]
		slices.SortFunc(ser.Groups, func(a, b dupGroup) int { return cmp.Compare(a.ID, b.ID) })
		out = append(out, *ser)
	}
	slices.SortFunc(out, func(a, b dupSeries) int { return cmp.Compare(a.Groups[0].ID, b.Groups[0].ID) })
	return out, nil
}

// duplicateNotice posts, once confirmed, the advance notice of removing
// the members of a series in two of its groups or more from all but the
// one the rule keeps.
func (s *Server) duplicateNotice(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	family, err := strconv.ParseInt(r.PostFormValue("family"), 10, 64)
	if err != nil || family <= 0 {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dup_err_family")))
		return
	}
	rule := analytics.KeepRule(r.PostFormValue("keep"))
	if !rule.Valid() {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dup_err_keep")))
		return
	}
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil || days < community.MinPurgeDays || days > community.MaxPurgeDays {
		s.renderError(w, r, errkind.New(errkind.Invalid, tf(l, "err_purge_days", community.MinPurgeDays, community.MaxPurgeDays)))
		return
	}
	back := "/duplicates"
	sc, seats, err := s.seatsOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	// What the notice would do, to confirm: the store works it out again
	// when it posts.
	members, groups := 0, map[int64]bool{}
	for _, dup := range analytics.FindDuplicates(seats, 0, rule) {
		for _, f := range dup.Families {
			if f.Family != family {
				continue
			}
			members++
			for _, st := range f.Seats {
				if !sc.has(st.Group) {
					s.renderError(w, r, errOutOfScope)
					return
				}
				if st.Group != f.Keep {
					groups[st.Group] = true
				}
			}
		}
	}
	if members == 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, T(l, "dup_err_family")))
		return
	}
	if !s.confirmed(w, r, tf(l, "dup_confirm_notice", len(groups), members, days), back) {
		return
	}
	var within []int64
	if !sc.all {
		within = slices.Collect(maps.Keys(sc.groups))
	}
	purges, err := s.Duplicates.DuplicateNotice(ctx, u.OrgID, family, rule, days, within, "staff:"+u.Username)
	if err != nil {
		s.purgeRefused(w, r, err, back)
		return
	}
	s.setFlash(w, flash{Key: "flash_dup_noticed", ID: int64(len(purges))})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// setDuplicateSettings saves the organisation's duplicate settings: the
// group a duplicate stays in, from how many groups a member is in too
// many, and whether a second group of a series is refused at joining.
func (s *Server) setDuplicateSettings(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	set := analytics.DuplicateSettings{Keep: analytics.KeepRule(r.PostFormValue("keep")), FamilyGate: r.PostFormValue("gate") == "1"}
	if !set.Keep.Valid() {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dup_err_keep")))
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("overall")))
	if err != nil || !analytics.ValidOverall(n) {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "dup_err_overall")))
		return
	}
	set.Overall = n
	if err := s.Duplicates.SetDuplicateSettings(r.Context(), u.OrgID, set, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_dup_settings"})
	http.Redirect(w, r, "/duplicates", http.StatusSeeOther)
}
