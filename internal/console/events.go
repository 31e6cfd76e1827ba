package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Events (线下活动, from 接龙 sign-up lists): the open and recent ones
// across the user's groups with their counts, and each event's entries.

// recentEvents is how far back closed events are listed.
const recentEvents = 30 * 24 * time.Hour

type eventsData struct {
	Events []community.EventSummary
	CSV    string
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	all, err := s.Community.EventSummaries(ctx, u.OrgID, s.Now().Add(-recentEvents))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := eventsData{CSV: csvURL(r)}
	for _, e := range all {
		if sc.has(e.GroupID) {
			d.Events = append(d.Events, e)
		}
	}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(d.Events))
		for _, e := range d.Events {
			rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.Title, e.Group, s.csvTime(e.EventAt), e.Place, strconv.Itoa(e.Capacity),
				strconv.Itoa(e.In), strconv.Itoa(e.Waitlisted), strconv.Itoa(e.CheckedIn), openOrClosed(l, e.Closed)})
		}
		s.sendCSV(w, "qunzhu-events.csv", headers(l, "id", "title", "group", "event_at", "place", "capacity", "signed_up", "waitlisted", "checked_in", "state"), rows)
		return
	}
	s.render(w, http.StatusOK, "events", s.page(r, u, T(l, "events"), d))
}

func openOrClosed(l Lang, closed bool) string {
	if closed {
		return T(l, "closed")
	}
	return T(l, "open")
}

type eventData struct {
	Event      community.SignupList
	Group      string
	In         int
	Waitlisted int
	CheckedIn  int
	CSV        string
}

func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	id, err := pathID(r, "event")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ev, err := s.Community.Event(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if sc, err := s.scopeOf(ctx, u); err != nil {
		s.renderError(w, r, err)
		return
	} else if !sc.has(ev.GroupID) {
		s.renderError(w, r, errOutOfScope)
		return
	}
	g, err := s.Store.Group(ctx, u.OrgID, ev.GroupID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := eventData{Event: ev, Group: g.Name, CSV: csvURL(r)}
	for _, e := range ev.Entries {
		switch e.Status {
		case community.SignupIn:
			d.In++
		case community.SignupWaitlist:
			d.Waitlisted++
		}
		if e.CheckedIn {
			d.CheckedIn++
		}
	}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(ev.Entries))
		for _, e := range ev.Entries {
			rows = append(rows, []string{strconv.Itoa(e.N), e.Name, strconv.FormatInt(e.PersonID, 10), e.Note, T(l, "signup_"+e.Status), yesNo(l, e.CheckedIn)})
		}
		s.sendCSV(w, "qunzhu-event-"+strconv.FormatInt(id, 10)+".csv", headers(l, "number", "member", "person_id", "note", "state", "checked_in"), rows)
		return
	}
	s.render(w, http.StatusOK, "event", s.page(r, u, ev.Title, d))
}

func yesNo(l Lang, b bool) string {
	if b {
		return T(l, "yes")
	}
	return T(l, "no")
}
