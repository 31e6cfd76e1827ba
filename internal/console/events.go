package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Events (线下活动, from 接龙 sign-up lists): the open and recent ones
// across the user's groups with their counts, and each event's sign-ups
// and waitlist. Staff open an event in one of their groups (announced
// there and in the others they pick, where members sign up too), close
// it, call it off (its sign-ups are told in the chat) and check people in
// at the door from a phone. An event is run by the staff of the group it
// was opened in; a scoped account sees the events of any of its groups.

// EventRunner opens, closes and cancels events and checks people in. The
// store implements it.
type EventRunner interface {
	OpenEvent(ctx context.Context, r community.EventRequest) (community.SignupList, error)
	EventChange(ctx context.Context, orgID, id int64, op string, personID int64, actor string) (community.SignupList, error)
	CancelEvent(ctx context.Context, orgID, id int64, reason, actor string) (community.SignupList, error)
}

func (s *Server) eventsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /events", s.auth(s.needs("events", s.events)))
	mux.HandleFunc("POST /events", s.auth(s.needs("events", s.may(access.RunEvents, s.running(s.openEvent)))))
	mux.HandleFunc("GET /events/{id}", s.auth(s.needs("events", s.event)))
	mux.HandleFunc("GET /events/{id}/checkin", s.auth(s.needs("events", s.may(access.RunEvents, s.running(s.onEvent(s.checkinPage))))))
	mux.HandleFunc("POST /events/{id}/checkin", s.auth(s.needs("events", s.may(access.RunEvents, s.running(s.onEvent(s.checkIn(community.EventCheckIn)))))))
	mux.HandleFunc("POST /events/{id}/undo-checkin", s.auth(s.needs("events", s.may(access.RunEvents, s.running(s.onEvent(s.checkIn(community.EventUndoCheckIn)))))))
	mux.HandleFunc("POST /events/{id}/close", s.auth(s.needs("events", s.may(access.RunEvents, s.running(s.onEvent(s.closeEvent))))))
	mux.HandleFunc("POST /events/{id}/cancel", s.auth(s.needs("events", s.may(access.RunEvents, s.running(s.onEvent(s.cancelEvent))))))
}

// running wraps a page that changes events: without a runner it is not
// found.
func (s *Server) running(h http.HandlerFunc) http.HandlerFunc {
	return s.requires(func() bool { return s.Events != nil }, h)
}

// requires wraps a page that needs what set reports is configured: without
// it the page is not found.
func (s *Server) requires(set func() bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !set() {
			s.renderError(w, r, errkind.New(errkind.NotFound, "not configured"))
			return
		}
		h(w, r)
	}
}

// eventHandler handles a request about an event the user runs.
type eventHandler func(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, ev community.SignupList)

// onEvent reads the {id} event, checks the user runs it (its own group is
// in their scope), and hands it to h.
func (s *Server) onEvent(h eventHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ev, _, err := s.loadEvent(r, true)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		h(w, r, userOf(r), langOf(r), ev)
	}
}

// eventURL is the page of an event.
func eventURL(ev community.SignupList) string { return "/events/" + strconv.FormatInt(ev.ID, 10) }

// recentEvents is how far back closed events are listed.
const recentEvents = 30 * 24 * time.Hour

type eventRow struct {
	community.EventSummary
	Also  []string // the names of the other groups it is announced in
	State badge
}

// badge is a state as a page shows it.
type badge struct{ Class, Text string }

type eventsData struct {
	Events []eventRow
	CSV    string
	Form   *eventForm // the open form; nil when the user may not open events
}

// eventForm is the form that opens an event, with what was typed and
// what is wrong with it.
type eventForm struct {
	Groups []community.Group // the active groups in the user's scope
	// ByName: the other groups are typed by name (too many groups to list
	// as boxes).
	ByName    bool
	AlsoNames string
	Title     string
	At        string // datetime-local: 2006-01-02T15:04
	Place     string
	Capacity  string
	Group     int64
	Also      []int64
	Announce  bool
	Error     string
}

func (f *eventForm) Has(id int64) bool { return slices.Contains(f.Also, id) }

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	s.renderEvents(w, r, http.StatusOK, nil)
}

// renderEvents renders the events page; form is the open form as it was
// sent (nil: a blank one).
func (s *Server) renderEvents(w http.ResponseWriter, r *http.Request, status int, form *eventForm) {
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
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	d := eventsData{CSV: csvURL(r)}
	for _, e := range all {
		if !slices.ContainsFunc(e.Groups(), sc.has) {
			continue
		}
		row := eventRow{EventSummary: e, State: eventBadge(l, e.SignupList)}
		for _, id := range e.AlsoIn {
			row.Also = append(row.Also, names[id])
		}
		d.Events = append(d.Events, row)
	}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(d.Events))
		for _, e := range d.Events {
			rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.Title, e.Group, strings.Join(e.Also, "、"), s.csvTime(e.EventAt), e.Place, strconv.Itoa(e.Capacity),
				strconv.Itoa(e.In), strconv.Itoa(e.Waitlisted), strconv.Itoa(e.CheckedIn), e.State.Text})
		}
		s.sendCSV(w, "qunzhu-events.csv", headers(l, "id", "title", "group", "also_in", "event_at", "place", "capacity", "signed_up", "waitlisted", "checked_in", "state"), rows)
		return
	}
	if s.Events != nil && u.May(access.RunEvents) {
		if form == nil {
			form = &eventForm{Announce: true}
		}
		form.Groups = activeIn(groups, sc)
		form.ByName = len(form.Groups) > maxGroupBoxes
		d.Form = form
	}
	p := s.page(r, u, T(l, "events"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, status, "events", p)
}

// maxGroupBoxes is how many groups the open form lists as boxes to
// announce an event in; with more, they are typed by name.
const maxGroupBoxes = 200

// activeIn returns the active groups in a scope.
func activeIn(groups []community.Group, sc scope) []community.Group {
	var out []community.Group
	for _, g := range groups {
		if sc.has(g.ID) && g.Lifecycle == community.Active {
			out = append(out, g)
		}
	}
	return out
}

// groupsNamed finds the active groups of the user's scope named in a list
// (separated by commas, 、 or lines); unknown is the first name that is
// none of them.
func (s *Server) groupsNamed(r *http.Request, list string) (ids []int64, unknown string, err error) {
	u := userOf(r)
	sc, err := s.scopeOf(r.Context(), u)
	if err != nil {
		return nil, "", err
	}
	groups, err := s.Store.Groups(r.Context(), u.OrgID)
	if err != nil {
		return nil, "", err
	}
	byName := map[string]int64{}
	for _, g := range activeIn(groups, sc) {
		byName[g.Name] = g.ID
	}
	for _, name := range strings.FieldsFunc(list, func(c rune) bool { return strings.ContainsRune(",，、;；\n\r", c) }) {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		id, ok := byName[name]
		if !ok {
			return nil, name, nil
		}
		ids = append(ids, id)
	}
	return ids, "", nil
}

// eventBadge is an event's state: open, closed or cancelled.
func eventBadge(l Lang, e community.SignupList) badge {
	switch {
	case e.Cancelled:
		return badge{"dead", T(l, "ev_cancelled")}
	case e.Closed:
		return badge{"", T(l, "closed")}
	}
	return badge{"active", T(l, "open")}
}

// openEvent opens an event from the form: in a group of the user's scope,
// announced there and in the other groups picked (all in scope).
func (s *Server) openEvent(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	f := &eventForm{Title: strings.TrimSpace(r.PostFormValue("title")), At: strings.TrimSpace(r.PostFormValue("at")), Place: strings.TrimSpace(r.PostFormValue("place")),
		Capacity: strings.TrimSpace(r.PostFormValue("capacity")), Announce: r.PostFormValue("announce") == "yes"}
	req := community.EventRequest{OrgID: u.OrgID, Title: f.Title, Place: f.Place, Announce: f.Announce, Actor: "staff:" + u.Username}
	bad := func(key string, args ...any) {
		f.Error = tf(l, key, args...)
		s.renderEvents(w, r, http.StatusBadRequest, f)
	}
	var err error
	if f.Group, err = strconv.ParseInt(r.PostFormValue("group"), 10, 64); err != nil || f.Group <= 0 {
		bad("ev_err_group")
		return
	}
	req.GroupID = f.Group
	for _, v := range r.PostForm["also"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad("ev_err_group")
			return
		}
		if id != f.Group && !slices.Contains(f.Also, id) {
			f.Also = append(f.Also, id)
		}
	}
	if f.AlsoNames = strings.TrimSpace(r.PostFormValue("also_names")); f.AlsoNames != "" {
		ids, unknown, err := s.groupsNamed(r, f.AlsoNames)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if unknown != "" {
			bad("ev_err_group_name", unknown)
			return
		}
		for _, id := range ids {
			if id != f.Group && !slices.Contains(f.Also, id) {
				f.Also = append(f.Also, id)
			}
		}
	}
	req.AlsoIn = f.Also
	switch {
	case f.Title == "":
		bad("ev_err_title")
		return
	case utf8.RuneCountInString(f.Title) > community.MaxEventTitle:
		bad("ev_err_title_long", community.MaxEventTitle)
		return
	case utf8.RuneCountInString(f.Place) > community.MaxEventPlace:
		bad("ev_err_place_long", community.MaxEventPlace)
		return
	case len(f.Also) > community.MaxEventGroups:
		bad("ev_err_groups", community.MaxEventGroups)
		return
	}
	if f.Capacity != "" {
		n, err := strconv.Atoi(f.Capacity)
		if err != nil || n < 0 || n > community.MaxEventCapacity {
			bad("ev_err_capacity", community.MaxEventCapacity)
			return
		}
		req.Capacity = n
	}
	if f.At != "" {
		at, err := time.ParseInLocation("2006-01-02T15:04", f.At, s.Location)
		if err != nil {
			bad("ev_err_at")
			return
		}
		if at.Before(s.Now()) {
			bad("ev_err_at_past")
			return
		}
		req.At = &at
	}
	sc, err := s.scopeOf(r.Context(), u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if !sc.has(f.Group) || slices.ContainsFunc(f.Also, func(id int64) bool { return !sc.has(id) }) {
		s.renderError(w, r, errOutOfScope)
		return
	}
	ev, err := s.Events.OpenEvent(r.Context(), req)
	switch errkind.Of(err) {
	case "":
	case errkind.NotFound:
		bad("ev_err_group")
		return
	case errkind.Conflict:
		f.Error = errkind.Message(err) // names the group and its open list, in both languages
		s.renderEvents(w, r, http.StatusConflict, f)
		return
	default:
		s.renderError(w, r, err)
		return
	}
	key := "flash_event_opened_quiet"
	if req.Announce {
		key = "flash_event_opened"
	}
	s.setFlash(w, flash{Key: key, ID: int64(len(ev.Groups()))})
	http.Redirect(w, r, eventURL(ev), http.StatusSeeOther)
}

type eventData struct {
	Event      community.SignupList
	Group      string
	Also       []community.Group // the other groups it is announced in
	In         []community.SignupEntry
	Waitlist   []community.SignupEntry
	Cancelled  []community.SignupEntry
	CheckedIn  int
	CSV        string
	State      badge
	Run        bool // the user may change it
	CheckinURL string
	// The entries as the tables show them.
	InTable, WaitTable, CancelTable entryTable
}

// entryTable is a table of an event's entries.
type entryTable struct {
	Lang Lang
	ID   string
	Rows []community.SignupEntry
}

// loadEvent reads the {id} event and checks the user may see it (one of
// its groups is theirs) or, with run, run it (its own group is theirs).
func (s *Server) loadEvent(r *http.Request, run bool) (community.SignupList, scope, error) {
	u := userOf(r)
	ctx := r.Context()
	id, err := pathID(r, "event")
	if err != nil {
		return community.SignupList{}, scope{}, err
	}
	ev, err := s.Community.Event(ctx, u.OrgID, id)
	if err != nil {
		return ev, scope{}, err
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return ev, sc, err
	}
	if (run && !sc.has(ev.GroupID)) || !slices.ContainsFunc(ev.Groups(), sc.has) {
		return ev, sc, errOutOfScope
	}
	return ev, sc, nil
}

func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	ev, sc, err := s.loadEvent(r, false)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	g, err := s.Store.Group(ctx, u.OrgID, ev.GroupID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := eventData{Event: ev, Group: g.Name, CSV: csvURL(r), CheckedIn: ev.CheckedIn(), State: eventBadge(l, ev), Run: s.Events != nil && u.May(access.RunEvents) && sc.has(ev.GroupID) && !ev.Cancelled,
		CheckinURL: eventURL(ev) + "/checkin"}
	for _, id := range ev.AlsoIn {
		a, err := s.Store.Group(ctx, u.OrgID, id)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Also = append(d.Also, a)
	}
	for _, e := range ev.Entries {
		switch e.Status {
		case community.SignupIn:
			d.In = append(d.In, e)
		case community.SignupWaitlist:
			d.Waitlist = append(d.Waitlist, e)
		default:
			d.Cancelled = append(d.Cancelled, e)
		}
	}
	d.InTable, d.WaitTable, d.CancelTable = entryTable{l, "entries", d.In}, entryTable{l, "waiting", d.Waitlist}, entryTable{l, "withdrawn", d.Cancelled}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(ev.Entries))
		for _, e := range ev.Entries {
			rows = append(rows, []string{strconv.Itoa(e.N), e.Name, strconv.FormatInt(e.PersonID, 10), e.Note, T(l, "signup_"+e.Status), yesNo(l, e.CheckedIn)})
		}
		s.sendCSV(w, "qunzhu-event-"+strconv.FormatInt(ev.ID, 10)+".csv", headers(l, "number", "member", "person_id", "note", "state", "checked_in"), rows)
		return
	}
	p := s.page(r, u, ev.Title, d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "event", p)
}

func yesNo(l Lang, b bool) string {
	if b {
		return T(l, "yes")
	}
	return T(l, "no")
}

type checkinData struct {
	Event     community.SignupList
	Query     string
	Rows      []community.SignupEntry // signed up, matching the search
	Waiting   []community.SignupEntry // on the waitlist, matching the search
	In        int
	CheckedIn int
}

// matches reports whether an entry matches a search: its number, or part
// of its name or note, in any case.
func matches(e community.SignupEntry, q string) bool {
	if q == "" || strconv.Itoa(e.N) == q {
		return true
	}
	q = strings.ToLower(q)
	return strings.Contains(strings.ToLower(e.Name), q) || strings.Contains(strings.ToLower(e.Note), q)
}

// checkinPage is the list at the door: everyone signed up with a button
// each (those still to come first), and a search by name or number.
func (s *Server) checkinPage(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, ev community.SignupList) {
	d := checkinData{Event: ev, Query: strings.TrimSpace(r.URL.Query().Get("q")), In: ev.Count(), CheckedIn: ev.CheckedIn()}
	for _, e := range ev.Entries {
		if !matches(e, d.Query) {
			continue
		}
		switch e.Status {
		case community.SignupIn:
			d.Rows = append(d.Rows, e)
		case community.SignupWaitlist:
			d.Waiting = append(d.Waiting, e)
		}
	}
	// Those still to come first, in their order; then those here.
	slices.SortStableFunc(d.Rows, func(a, b community.SignupEntry) int {
		if a.CheckedIn == b.CheckedIn {
			return 0
		}
		if a.CheckedIn {
			return 1
		}
		return -1
	})
	p := s.page(r, u, T(l, "ev_checkin")+" · "+ev.Title, d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "event_checkin", p)
}

// checkIn checks a person in, or takes the check-in back, and returns to
// the check-in page with the search kept.
func (s *Server) checkIn(op string) eventHandler {
	return func(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, ev community.SignupList) {
		person, err := strconv.ParseInt(r.PostFormValue("person"), 10, 64)
		i := slices.IndexFunc(ev.Entries, func(e community.SignupEntry) bool { return e.PersonID == person })
		if err != nil || i < 0 {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "ev_err_person")))
			return
		}
		back := eventURL(ev) + "/checkin"
		if q := strings.TrimSpace(r.PostFormValue("q")); q != "" {
			back += "?q=" + url.QueryEscape(q)
		}
		back += "#p-" + strconv.FormatInt(person, 10)
		f := flash{Key: "flash_checked_in", ID: int64(ev.Entries[i].N)}
		if op == community.EventUndoCheckIn {
			f.Key = "flash_checkin_undone"
		}
		if _, err := s.Events.EventChange(r.Context(), u.OrgID, ev.ID, op, person, "staff:"+u.Username); err != nil {
			if errkind.Of(err) == errkind.Internal {
				s.renderError(w, r, err)
				return
			}
			f = flash{Key: "flash_checkin_refused", ID: int64(ev.Entries[i].N), Error: true}
		}
		s.setFlash(w, f)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// closeEvent stops sign-ups; the final list is posted in the event's
// groups.
func (s *Server) closeEvent(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, ev community.SignupList) {
	back := eventURL(ev)
	if !s.confirmed(w, r, tf(l, "ev_confirm_close", ev.Title, len(ev.Groups())), back) {
		return
	}
	f := flash{Key: "flash_event_closed", ID: int64(len(ev.Groups()))}
	if _, err := s.Events.EventChange(r.Context(), u.OrgID, ev.ID, community.EventClose, 0, "staff:"+u.Username); err != nil {
		if errkind.Of(err) != errkind.Conflict {
			s.renderError(w, r, err)
			return
		}
		f = flash{Key: "flash_event_not_open", Error: true}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// cancelEvent calls the event off, after the operator confirms: each of
// its groups is told, naming everyone signed up or waiting.
func (s *Server) cancelEvent(w http.ResponseWriter, r *http.Request, u *access.User, l Lang, ev community.SignupList) {
	back := eventURL(ev)
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if utf8.RuneCountInString(reason) > community.MaxCancelReason {
		s.renderError(w, r, errkind.New(errkind.Invalid, tf(l, "ev_err_reason_long", community.MaxCancelReason)))
		return
	}
	told := len(ev.Entries) - len(slices.DeleteFunc(slices.Clone(ev.Entries), func(e community.SignupEntry) bool { return e.Status != community.SignupCancelled }))
	if !s.confirmed(w, r, tf(l, "ev_confirm_cancel", ev.Title, told, len(ev.Groups())), back) {
		return
	}
	f := flash{Key: "flash_event_cancelled", ID: int64(told)}
	if told == 0 {
		f.Key = "flash_event_cancelled_none"
	}
	if _, err := s.Events.CancelEvent(r.Context(), u.OrgID, ev.ID, reason, "staff:"+u.Username); err != nil {
		if errkind.Of(err) != errkind.Conflict {
			s.renderError(w, r, err)
			return
		}
		f = flash{Key: "flash_event_was_cancelled", Error: true}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, back, http.StatusSeeOther)
}
