package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Points (the member bot's check-ins, substantive posts and staff's
// awards) on the console: a points board on /leaderboards, and on a
// member's profile (/people/{id}) their latest points and a form for
// staff who may moderate (access.Moderate) to award points in one of
// the member's groups in their scope — as /award does in the chat,
// audited as points.award, once per form shown (a form sent twice
// awards once).

// PointsStore reads and awards points; the store implements it (read
// through Store, as BotPoints is).
type PointsStore interface {
	// PointsHistory lists a member's latest points, the newest first.
	PointsHistory(ctx context.Context, personID int64, limit int) ([]pipeline.PointsEntry, error)
	// TopPoints ranks an organisation's members by points in some
	// groups (nil: all), with this month's since monthStart; byMonth
	// orders by this month's, else all time's.
	TopPoints(ctx context.Context, orgID int64, groups []int64, monthStart string, byMonth bool, limit int) ([]memberbot.BoardRow, error)
	// AwardPoints records an award once per Ref, audited.
	AwardPoints(ctx context.Context, p pipeline.PointsEntry) (bool, error)
}

// pointsHistoryRows is how many of a member's latest points the profile
// shows.
const pointsHistoryRows = 15

func (s *Server) pointsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /people/{id}/points", s.auth(s.may(access.Moderate, s.awardPoints)))
}

// pointsLogRow is one of a member's points in the profile's history.
type pointsLogRow struct {
	pipeline.PointsEntry
	Group string
}

// awardForm is the profile's award form: the member's groups the reader
// may award in, and the form's once-only reference.
type awardForm struct {
	Groups []leaderGroup
	Ref    string
}

// pointsBoard is the leaderboards' points board: this month's and all
// time's points, ordered by this month's (by "all": all time's).
func (s *Server) pointsBoard(ctx context.Context, l Lang, orgID int64, sc scope, groupID int64, mine []int64, by string) (rankTable, error) {
	t := rankTable{Lang: l, ID: "points", Title: "top_points", Cols: [2]string{"points_month", "points_total"}}
	ps, ok := s.Store.(PointsStore)
	if !ok {
		return t, nil
	}
	groups := mine
	switch {
	case groupID != 0:
		groups = []int64{groupID}
	case sc.all:
		groups = nil
	case groups == nil:
		groups = []int64{}
	}
	rows, err := ps.TopPoints(ctx, orgID, groups, s.Now().In(s.Location).Format("2006-01")+"-01", by != "all", leaderboardRows)
	if err != nil {
		return t, err
	}
	for _, b := range rows {
		t.Rows = append(t.Rows, rankRow{b.PersonID, b.Name, b.Month, b.Total})
	}
	return t, nil
}

// personPoints fills the profile's points history and award form.
func (s *Server) personPoints(ctx context.Context, u *access.User, sc scope, id int64, n *namer, d *personData) error {
	ps, ok := s.Store.(PointsStore)
	if !ok {
		return nil
	}
	hist, err := ps.PointsHistory(ctx, id, pointsHistoryRows)
	if err != nil {
		return err
	}
	for _, h := range hist {
		if sc.has(h.GroupID) {
			d.PointsLog = append(d.PointsLog, pointsLogRow{PointsEntry: h, Group: n.group(h.GroupID)})
		}
	}
	if !u.May(access.Moderate) {
		return nil
	}
	f := &awardForm{Ref: newAwardRef()}
	for _, st := range d.Stints {
		if st.LeftAt == nil && sc.has(st.GroupID) {
			f.Groups = append(f.Groups, leaderGroup{st.GroupID, st.Group})
		}
	}
	if len(f.Groups) > 0 {
		d.Award = f
	}
	return nil
}

func newAwardRef() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// awardArgs reads the award form: the group, the points (from
// -MaxAward to MaxAward, not 0), the reason and the form's reference.
func awardArgs(r *http.Request) (group int64, points int, reason, ref string, err error) {
	group, err = strconv.ParseInt(r.PostFormValue("group"), 10, 64)
	if err != nil || group <= 0 {
		return 0, 0, "", "", errkind.New(errkind.Invalid, "请选择一个群。group: choose one of the member's groups")
	}
	points, err = strconv.Atoi(strings.TrimSpace(r.PostFormValue("points")))
	if err != nil || points == 0 || points > memberbot.MaxAward || points < -memberbot.MaxAward {
		return 0, 0, "", "", errkind.Errorf(errkind.Invalid, "分数要是 -%d 到 %d 之间、不为 0 的整数。points: want a whole number from -%d to %d, not 0",
			memberbot.MaxAward, memberbot.MaxAward, memberbot.MaxAward, memberbot.MaxAward)
	}
	reason = strings.TrimSpace(r.PostFormValue("reason"))
	if utf8.RuneCountInString(reason) > 100 || strings.ContainsAny(reason, "\r\n") {
		return 0, 0, "", "", errkind.New(errkind.Invalid, "原因最多 100 个字，写在一行里。reason: one line of at most 100 characters")
	}
	ref = r.PostFormValue("ref")
	if len(ref) != 24 || strings.Trim(ref, "0123456789abcdef") != "" {
		return 0, 0, "", "", errkind.New(errkind.Invalid, "表单已失效，请刷新页面再提交。ref: the form is out of date; reload the page and send it again")
	}
	return group, points, reason, ref, nil
}

// awardPoints awards a member points in one of their groups.
func (s *Server) awardPoints(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	ps, ok := s.Store.(PointsStore)
	if !ok || s.Profiles == nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "not configured"))
		return
	}
	id, err := pathID(r, "person")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	group, points, reason, ref, err := awardArgs(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.inScope(ctx, u, group); err != nil {
		s.renderError(w, r, err)
		return
	}
	prof, err := s.Profiles.PersonProfile(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	in := false
	for _, st := range prof.Stints {
		in = in || st.GroupID == group && st.LeftAt == nil
	}
	if !in {
		s.renderError(w, r, errkind.New(errkind.Invalid, "这位成员不在这个群里。group: the member is not in this group"))
		return
	}
	if _, err := ps.AwardPoints(ctx, pipeline.PointsEntry{GroupID: group, PersonID: id, Day: s.Now().In(s.Location).Format("2006-01-02"),
		Points: points, Ref: "console:" + ref, Actor: "staff:" + u.Username, ActorName: u.Username, Reason: reason, At: s.Now()}); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_points_awarded"})
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10)+"#person-points-card", http.StatusSeeOther)
}
