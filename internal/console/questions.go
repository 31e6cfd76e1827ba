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

// The questions page (docs/metrics.md, "Questions and response time"):
// the members' questions waiting for an answer in the user's groups, the
// response rate and median wait per group and per assistant on duty, and
// each group's response target, which staff who may edit the group set.

// QuestionSource reads the tracked questions and the groups' response
// targets. The store implements it.
type QuestionSource interface {
	Questions(ctx context.Context, orgID int64, from, to time.Time, limit int) ([]analytics.Question, error)
	ResponseTargets(ctx context.Context, orgID int64, loc *time.Location) (map[int64]analytics.ResponseTarget, error)
	SetResponseTarget(ctx context.Context, orgID, groupID int64, t analytics.ResponseTarget, actor string) error
}

func (s *Server) questionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /questions", s.auth(s.needs("questions", s.questionsPage)))
	mux.HandleFunc("POST /questions/target/{id}", s.auth(s.needs("questions", s.may(access.EditGroup, s.onGroup(s.setQuestionTarget)))))
}

// qaPeriods are the page's lengths in days.
var qaPeriods = []int{1, 7, 30}

// qaMaxQuestions bounds the questions a page reads; qaListed how many of
// the settled ones it lists.
const (
	qaMaxQuestions = 20000
	qaListed       = 50
)

// qaRow is one line of a figures table: a group or an assistant.
type qaRow struct {
	ID      int64
	Name    string
	Target  string // a group's target in words
	Open    int    // questions waiting or overdue now
	Figures analytics.ResponseFigures
	Rate    string // in time, in percent ("–" when none was due)
	Median  string // minutes
}

// qaQuestion is a question as the page lists it.
type qaQuestion struct {
	analytics.Question
	State analytics.QuestionState
	Asked string
	Due   string
	Wait  string // the active minutes it waited (answered) or has waited
}

// qaTableView and qaListView are what the page's shared blocks read.
type qaTableView struct {
	Lang     Lang
	ID, Head string
	Rows     []qaRow
	Targets  bool // a table of groups, with their targets
}

type qaListView struct {
	Lang      Lang
	ID, Empty string
	Rows      []qaQuestion
}

type qaTarget struct {
	Group                  community.Group
	Minutes                int
	From, To               string
	Default                bool
	DefaultMinutes         int
	DefaultFrom, DefaultTo string
}

type questionsData struct {
	Days     int
	Periods  []int
	GroupID  int64
	Groups   []community.Group
	All      qaRow
	ByGroup  []qaRow
	ByDuty   []qaRow
	Open     []qaQuestion // overdue first, then waiting
	Settled  []qaQuestion // answered or unanswered for good, newest first
	Truncate bool         // more questions than the page reads
	Target   *qaTarget    // the chosen group's target, when the user may set it

	GroupTable, DutyTable qaTableView
	OpenList, SettledList qaListView
}

func (s *Server) questionsPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	q := r.URL.Query()
	d := questionsData{Days: 7, Periods: qaPeriods}
	days, err := periodDays(l, q.Get("days"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Days = days
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
	names := map[int64]community.Group{}
	for _, g := range groups {
		if sc.has(g.ID) && g.Lifecycle != community.Archived {
			d.Groups = append(d.Groups, g)
		}
		names[g.ID] = g
	}
	if _, ok := names[d.GroupID]; d.GroupID != 0 && !ok {
		s.renderError(w, r, errkind.New(errkind.NotFound, T(l, "qa_no_group")))
		return
	}
	targets, err := s.Questions.ResponseTargets(ctx, u.OrgID, s.Location)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	// The days of the period end today; today counts as the first.
	from := analytics.DayOf(now, s.Location) - analytics.Day(d.Days-1)
	mine, truncated, err := s.questionsIn(ctx, u.OrgID, sc, d.GroupID, from.Start(s.Location))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Truncate = truncated
	d.All = qaFigures(l, mine, now)
	byGroup, byDuty := map[int64][]analytics.Question{}, map[int64][]analytics.Question{}
	dutyName := map[int64]string{}
	for _, q := range mine {
		byGroup[q.GroupID] = append(byGroup[q.GroupID], q)
		byDuty[q.DutyPerson] = append(byDuty[q.DutyPerson], q)
		dutyName[q.DutyPerson] = q.DutyName
		v := qaQuestion{Question: q, State: q.State(now), Asked: q.AskedAt.In(s.Location).Format("01-02 15:04"), Due: q.DueAt.In(s.Location).Format("01-02 15:04")}
		t := qaTargetOf(targets, q.GroupID, s.Location)
		if q.AnsweredAt != nil {
			v.Wait = qaMinutes(q.Waited)
		} else {
			v.Wait = qaMinutes(t.Waited(q.StartsAt, now))
		}
		switch v.State {
		case analytics.QuestionWaiting, analytics.QuestionOverdue:
			d.Open = append(d.Open, v)
		default:
			if len(d.Settled) < qaListed {
				d.Settled = append(d.Settled, v)
			}
		}
	}
	// Overdue before waiting; the longest waiting first within each.
	slices.SortStableFunc(d.Open, func(a, b qaQuestion) int {
		if a.State != b.State {
			return slices.Index(analytics.QuestionStates, a.State) - slices.Index(analytics.QuestionStates, b.State)
		}
		return a.AskedAt.Compare(b.AskedAt)
	})
	for id, qs := range byGroup {
		row := qaFigures(l, qs, now)
		row.ID, row.Name = id, names[id].Name
		t := qaTargetOf(targets, id, s.Location)
		row.Target = tf(l, "qa_target_words", int(t.Within/time.Minute), qaHours(l, t.Hours))
		d.ByGroup = append(d.ByGroup, row)
	}
	for id, qs := range byDuty {
		row := qaFigures(l, qs, now)
		row.ID, row.Name = id, dutyName[id]
		if id == 0 {
			row.Name = T(l, "qa_nobody_on_duty")
		}
		d.ByDuty = append(d.ByDuty, row)
	}
	// Most questions waiting first, then most asked, then by name.
	order := func(a, b qaRow) int {
		if a.Open != b.Open {
			return b.Open - a.Open
		}
		if a.Figures.Questions != b.Figures.Questions {
			return b.Figures.Questions - a.Figures.Questions
		}
		return strings.Compare(a.Name, b.Name)
	}
	slices.SortFunc(d.ByGroup, order)
	slices.SortFunc(d.ByDuty, order)
	d.GroupTable = qaTableView{Lang: l, ID: "qa-group-table", Head: "group", Rows: d.ByGroup, Targets: true}
	d.DutyTable = qaTableView{Lang: l, ID: "qa-duty-table", Head: "qa_duty", Rows: d.ByDuty}
	d.OpenList = qaListView{Lang: l, ID: "qa-open-list", Empty: "qa_none_waiting", Rows: d.Open}
	d.SettledList = qaListView{Lang: l, ID: "qa-settled-list", Empty: "qa_none", Rows: d.Settled}
	if d.GroupID != 0 && u.May(access.EditGroup) {
		t := qaTargetOf(targets, d.GroupID, s.Location)
		_, set := targets[d.GroupID]
		d.Target = &qaTarget{Group: names[d.GroupID], Minutes: int(t.Within / time.Minute), From: t.Hours.From.String(), To: t.Hours.To.String(), Default: !set,
			DefaultMinutes: int(analytics.DefaultTarget / time.Minute), DefaultFrom: analytics.DefaultActive.From.String(), DefaultTo: analytics.DefaultActive.To.String()}
	}
	p := s.page(r, u, T(l, "questions"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "questions", p)
}

// questionsIn reads the questions asked since from in the user's scope
// (in one group unless group is 0), and whether there were more than the
// page reads.
func (s *Server) questionsIn(ctx context.Context, orgID int64, sc scope, group int64, from time.Time) ([]analytics.Question, bool, error) {
	all, err := s.Questions.Questions(ctx, orgID, from, s.Now().Add(time.Second), qaMaxQuestions)
	if err != nil {
		return nil, false, err
	}
	mine := all[:0]
	for _, q := range all {
		if sc.has(q.GroupID) && (group == 0 || q.GroupID == group) {
			mine = append(mine, q)
		}
	}
	return mine, len(all) == qaMaxQuestions, nil
}

// dashboardQuestions are the dashboard's figures of the last 7 days'
// questions in the user's groups; nil without the questions page.
func (s *Server) dashboardQuestions(ctx context.Context, l Lang, orgID int64, sc scope) (*qaRow, error) {
	if s.Questions == nil {
		return nil, nil
	}
	from := analytics.DayOf(s.Now(), s.Location) - 6
	qs, _, err := s.questionsIn(ctx, orgID, sc, 0, from.Start(s.Location))
	if err != nil {
		return nil, err
	}
	row := qaFigures(l, qs, s.Now())
	return &row, nil
}

// periodDays reads a page's ?days= period: 1, 7 or 30 (7 when empty).
func periodDays(l Lang, v string) (int, error) {
	if v == "" {
		return 7, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || !slices.Contains(qaPeriods, n) {
		return 0, errkind.New(errkind.Invalid, T(l, "qa_err_days"))
	}
	return n, nil
}

// qaTargetOf is a group's response target, the default when it set none.
func qaTargetOf(targets map[int64]analytics.ResponseTarget, group int64, loc *time.Location) analytics.ResponseTarget {
	if t, ok := targets[group]; ok {
		return t
	}
	return analytics.ResponseTarget{Within: analytics.DefaultTarget, Hours: analytics.DefaultActive, Loc: loc}
}

// qaHours says a group's active hours.
func qaHours(l Lang, w community.Window) string {
	if w.From == w.To {
		return T(l, "qa_all_day")
	}
	return w.String()
}

// qaMinutes says a wait in minutes.
func qaMinutes(d time.Duration) string {
	return strconv.FormatFloat(analytics.ResponseFigures{Median: d}.MedianMinutes(), 'f', -1, 64)
}

// qaFigures sums questions up into a row.
func qaFigures(l Lang, qs []analytics.Question, now time.Time) qaRow {
	f := analytics.Respond(qs, now)
	row := qaRow{Figures: f, Rate: "–", Median: "–"}
	for _, q := range qs {
		if st := q.State(now); st == analytics.QuestionWaiting || st == analytics.QuestionOverdue {
			row.Open++
		}
	}
	if p := f.Percent(); p >= 0 {
		row.Rate = strconv.Itoa(p) + "%"
	}
	if f.Answered > 0 {
		row.Median = tf(l, "qa_minutes", qaMinutes(f.Median))
	}
	return row
}

// setQuestionTarget sets a group's response target from the page's form:
// minutes, and the active hours (from = to: all day).
func (s *Server) setQuestionTarget(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, g community.Group) {
	back := "/questions?group=" + strconv.FormatInt(g.ID, 10)
	minutes, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes")))
	if err != nil {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "qa_err_minutes")))
		return
	}
	from, err1 := community.ParseClock(strings.TrimSpace(r.PostFormValue("from")))
	to, err2 := community.ParseClock(strings.TrimSpace(r.PostFormValue("to")))
	if err1 != nil || err2 != nil {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "qa_err_hours")))
		return
	}
	t := analytics.ResponseTarget{Within: time.Duration(minutes) * time.Minute, Hours: community.Window{From: from, To: to}, Loc: s.Location}
	if err := t.Validate(); err != nil {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "qa_err_target")))
		return
	}
	if err := s.Questions.SetResponseTarget(r.Context(), u.OrgID, g.ID, t, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_qa_target_set", ID: int64(minutes)})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
