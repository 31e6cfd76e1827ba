package console

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The duty roster (值班表): who of each group's staff take turns following
// its pushes up (店小二轮流配合话题互动), the pushes coming up with who is
// on duty and the prompt suggested for the time of day, and the last
// day's with whether they were followed up. Whoever may edit the roster
// (access.EditDutyRoster) sets a group's order, in their scope.

func (s *Server) dutyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /duty", s.auth(s.needs("duty", s.duty)))
	mux.HandleFunc("POST /duty/{id}", s.auth(s.needs("duty", s.may(access.EditDutyRoster, s.setRoster))))
}

// dutyHours is how far the board looks ahead and back.
const dutyHours = 24

// rosterView is one group's roster, with its staff to choose from.
type rosterView struct {
	content.Roster
	Staff []staffChoice // for whom may edit it
}

// staffChoice is one of a group's staff in the roster form.
type staffChoice struct {
	PersonID int64
	Name     string
	Role     string
	Order    int // their place on the roster, 0: not on it
}

type dutyData struct {
	Upcoming []content.DutyItem
	Sent     []content.DutyItem
	Rosters  []rosterView
	Edit     bool
}

func (s *Server) duty(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	board, err := s.Content.DutyBoard(ctx, u.OrgID, 0, now.Add(-dutyHours*time.Hour), now.Add(dutyHours*time.Hour))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := dutyData{Edit: u.May(access.EditDutyRoster)}
	for _, it := range board {
		switch {
		case !sc.has(it.GroupID):
		case it.SentAt != nil:
			d.Sent = append(d.Sent, it)
		default:
			d.Upcoming = append(d.Upcoming, it)
		}
	}
	sort.SliceStable(d.Sent, func(i, j int) bool { return d.Sent[i].SentAt.After(*d.Sent[j].SentAt) })
	rosters, err := s.Content.DutyRosters(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, ro := range rosters {
		if !sc.has(ro.GroupID) {
			continue
		}
		v := rosterView{Roster: ro}
		if d.Edit {
			order := map[int64]int{}
			if !ro.Default {
				for i, p := range ro.People {
					order[p.PersonID] = i + 1
				}
			}
			for _, m := range ro.Staff {
				v.Staff = append(v.Staff, staffChoice{PersonID: m.PersonID, Name: m.Name, Role: m.Role, Order: order[m.PersonID]})
			}
		}
		d.Rosters = append(d.Rosters, v)
	}
	p := s.page(r, u, T(l, "duty_roster"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "duty", p)
}

// setRoster sets a group's roster from the form: order_<person> is each
// staff member's place (1, 2, …), blank for not on it; none at all goes
// back to the group's assistants taking turns.
func (s *Server) setRoster(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	id, err := pathID(r, "group")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.inScope(ctx, u, id); err != nil {
		s.renderError(w, r, err)
		return
	}
	type place struct {
		person int64
		order  int
	}
	var places []place
	for k, vs := range r.PostForm {
		p, ok := strings.CutPrefix(k, "order_")
		if !ok || len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		person, err1 := strconv.ParseInt(p, 10, 64)
		order, err2 := strconv.Atoi(strings.TrimSpace(vs[0]))
		if err1 != nil || err2 != nil || order < 1 || order > content.MaxRoster {
			s.setFlash(w, flash{Key: "flash_roster_order", ID: content.MaxRoster, Error: true})
			http.Redirect(w, r, "/duty#roster-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		}
		places = append(places, place{person, order})
	}
	sort.Slice(places, func(i, j int) bool {
		if places[i].order != places[j].order {
			return places[i].order < places[j].order
		}
		return places[i].person < places[j].person
	})
	people := make([]int64, len(places))
	for i, p := range places {
		people[i] = p.person
	}
	f := flash{Key: "flash_roster_saved", ID: int64(len(people))}
	if len(people) == 0 {
		f = flash{Key: "flash_roster_default"}
	}
	if err := s.Content.SetDutyRoster(ctx, u.OrgID, id, people, "user:"+u.Username); err != nil {
		if !errkind.Is(err, errkind.Invalid) {
			s.renderError(w, r, err)
			return
		}
		f = flash{Key: "flash_roster_not_staff", Error: true}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/duty#roster-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// slotName names a peak in the page's language: the default ones
// translated, a custom one (早高峰) as its operator named it.
func slotName(l Lang, name string) string {
	if _, ok := messages["slot_"+name]; ok {
		return T(l, "slot_"+name)
	}
	return name
}
