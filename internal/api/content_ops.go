package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Content operations: editable push slots, cadences (SOPs), the staff
// group duty reminders go to, and the duty board.
func (s *Server) contentOpsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/slots", s.tokenAuth(s.json(s.getSlots)))
	mux.HandleFunc("PUT /api/v1/slots", s.tokenAuth(s.may(access.PlanPush, s.json(s.putSlots))))
	mux.HandleFunc("GET /api/v1/groups/{id}/slots", s.tokenAuth(s.json(s.getSlots)))
	mux.HandleFunc("PUT /api/v1/groups/{id}/slots", s.tokenAuth(s.may(access.PlanPush, s.json(s.putSlots))))
	mux.HandleFunc("GET /api/v1/cadences", s.tokenAuth(s.json(s.listCadences)))
	mux.HandleFunc("POST /api/v1/cadences", s.tokenAuth(s.may(access.PlanPush, s.json(s.createCadence))))
	mux.HandleFunc("POST /api/v1/cadences/{id}/pause", s.tokenAuth(s.may(access.PlanPush, s.json(s.pauseCadence(true)))))
	mux.HandleFunc("POST /api/v1/cadences/{id}/resume", s.tokenAuth(s.may(access.PlanPush, s.json(s.pauseCadence(false)))))
	mux.HandleFunc("GET /api/v1/settings/staff-group", s.tokenAuth(s.json(s.getStaffGroup)))
	mux.HandleFunc("PUT /api/v1/settings/staff-group", s.tokenAuth(s.may(access.EditDutyRoster, s.json(s.putStaffGroup))))
	mux.HandleFunc("GET /api/v1/duty", s.tokenAuth(s.json(s.dutyBoard)))
	mux.HandleFunc("GET /api/v1/settings/content", s.tokenAuth(s.json(s.getContentSettings)))
	mux.HandleFunc("PUT /api/v1/settings/content", s.tokenAuth(s.may(access.ContentSettings, s.json(s.putContentSettings))))
	mux.HandleFunc("GET /api/v1/duty/rosters", s.tokenAuth(s.json(s.dutyRosters)))
	mux.HandleFunc("PUT /api/v1/groups/{id}/duty-roster", s.tokenAuth(s.opsRole("publisher")(s.json(s.putDutyRoster))))
}

// SlotJSON is one named push time.
type SlotJSON struct {
	Name string `json:"name"`
	At   string `json:"at"` // HH:MM
}

// SlotsJSON is the slots in force and where they come from: "default",
// "org" or "group".
type SlotsJSON struct {
	Zone   string     `json:"zone"`
	Slots  []SlotJSON `json:"slots"`
	Source string     `json:"source"`
}

func slotsJSON(c content.SlotConfig) SlotsJSON {
	out := SlotsJSON{Zone: c.Zone, Source: c.Source, Slots: []SlotJSON{}}
	for _, sl := range c.Slots {
		out.Slots = append(out.Slots, SlotJSON{sl.Name, sl.At.String()})
	}
	return out
}

// slotsScope is the group of /groups/{id}/slots, or 0 for /slots.
func (s *Server) slotsScope(r *http.Request) (int64, error) {
	if r.PathValue("id") == "" {
		return 0, nil
	}
	return pathID(r)
}

func (s *Server) getSlots(w http.ResponseWriter, r *http.Request) (int, any, error) {
	gid, err := s.slotsScope(r)
	if err != nil {
		return 0, nil, err
	}
	c, err := s.Content.Slots(r.Context(), orgOf(r), gid)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, slotsJSON(c), nil
}

// putSlots sets the organisation's slots or a group's override; an empty
// list removes them (the group falls back to the organisation's, the
// organisation to the defaults).
func (s *Server) putSlots(w http.ResponseWriter, r *http.Request) (int, any, error) {
	gid, err := s.slotsScope(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Zone  string     `json:"zone"`
		Slots []SlotJSON `json:"slots"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	var set *content.SlotSet
	if len(in.Slots) > 0 {
		set = &content.SlotSet{Zone: in.Zone}
		for _, sl := range in.Slots {
			c, err := community.ParseClock(sl.At)
			if err != nil {
				return 0, nil, errkind.Errorf(errkind.Invalid, "slot %q: %v", sl.Name, err)
			}
			set.Slots = append(set.Slots, content.Slot{Name: sl.Name, At: c})
		}
	}
	c, err := s.Content.SetSlots(r.Context(), orgOf(r), gid, set, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, slotsJSON(c), nil
}

// CadenceJSON is a cadence as the API shows it.
type CadenceJSON struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name,omitempty"`
	ScriptID  int64      `json:"script_id"`
	GroupIDs  []int64    `json:"group_ids"`
	Kind      string     `json:"kind,omitempty"` // the groups' kind
	NodeID    int64      `json:"node_id,omitempty"`
	TagID     int64      `json:"tag_id,omitempty"` // a group tag, resolved at each planning
	Cadence   string     `json:"cadence"`          // daily, weekly, group_day, member_day
	Slot      string     `json:"slot"`
	Weekday   *int       `json:"weekday,omitempty"`
	Day       *int       `json:"day,omitempty"`
	Quiet     string     `json:"quiet,omitempty"` // narrows the groups' own quiet hours
	Paused    bool       `json:"paused"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	Runs      int        `json:"runs"`
	Deferred  int        `json:"deferred"`
	Dropped   int        `json:"dropped"`
	LastRun   *time.Time `json:"last_run,omitempty"`
}

func cadenceJSON(c content.CadenceInfo) CadenceJSON {
	out := CadenceJSON{ID: c.ID, Name: c.Name, ScriptID: c.ScriptID, GroupIDs: c.Select.GroupIDs, Kind: c.Select.Kind, NodeID: c.Select.NodeID, TagID: c.Select.TagID,
		Cadence: string(c.Kind), Slot: c.Slot, Paused: c.Paused, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt,
		Runs: c.Runs, Deferred: c.Deferred, Dropped: c.Dropped, LastRun: c.LastRun}
	if out.GroupIDs == nil {
		out.GroupIDs = []int64{}
	}
	if c.Quiet != (community.Window{}) {
		out.Quiet = c.Quiet.String()
	}
	switch c.Kind {
	case content.Weekly:
		wd := int(c.Weekday)
		out.Weekday = &wd
	case content.GroupDay, content.MemberDay:
		d := c.Day
		out.Day = &d
	}
	return out
}

func (s *Server) listCadences(w http.ResponseWriter, r *http.Request) (int, any, error) {
	list, err := s.Content.Cadences(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Cadences []CadenceJSON `json:"cadences"`
	}{Cadences: []CadenceJSON{}}
	for _, c := range list {
		out.Cadences = append(out.Cadences, cadenceJSON(c))
	}
	return http.StatusOK, out, nil
}

// createCadence stores a cadence; the scheduler plans its occurrences a
// day ahead into ordinary pushes (GET /api/v1/groups/{id}/pushes shows
// them, deferrals included).
func (s *Server) createCadence(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		Name     string  `json:"name"`
		ScriptID int64   `json:"script_id"`
		GroupIDs []int64 `json:"group_ids"`
		Kind     string  `json:"kind"`
		NodeID   int64   `json:"node_id"`
		TagID    int64   `json:"tag_id"`
		Cadence  string  `json:"cadence"`
		Slot     string  `json:"slot"`
		Weekday  int     `json:"weekday"`
		Day      int     `json:"day"`
		Quiet    string  `json:"quiet"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	c := content.Cadence{OrgID: orgOf(r), ScriptID: in.ScriptID, Name: in.Name, Select: content.Selector{GroupIDs: in.GroupIDs, Kind: in.Kind, NodeID: in.NodeID, TagID: in.TagID},
		Kind: content.CadenceKind(in.Cadence), Slot: in.Slot, Weekday: time.Weekday(in.Weekday), Day: in.Day, CreatedBy: actorOf(r)}
	if in.Quiet != "" {
		q, err := community.ParseWindow(in.Quiet)
		if err != nil {
			return 0, nil, errkind.Errorf(errkind.Invalid, "quiet: %v", err)
		}
		c.Quiet = q
	}
	if err := s.Content.CreateCadence(r.Context(), &c); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, cadenceJSON(content.CadenceInfo{Cadence: c}), nil
}

func (s *Server) pauseCadence(pause bool) jsonHandler {
	return func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		id, err := pathID(r)
		if err != nil {
			return 0, nil, err
		}
		c, err := s.Content.PauseCadence(r.Context(), orgOf(r), id, pause, actorOf(r))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, cadenceJSON(content.CadenceInfo{Cadence: c}), nil
	}
}

type staffGroupJSON struct {
	GroupID int64 `json:"group_id"` // 0: none
}

func (s *Server) getStaffGroup(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := s.Content.StaffGroup(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, staffGroupJSON{id}, nil
}

// putStaffGroup sets the group duty reminders are posted in (0: none;
// the reminders are still recorded and on GET /api/v1/duty).
func (s *Server) putStaffGroup(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in staffGroupJSON
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.GroupID < 0 {
		return 0, nil, errkind.New(errkind.Invalid, "group_id: want a group id, or 0 for none")
	}
	if err := s.Content.SetStaffGroup(r.Context(), orgOf(r), in.GroupID, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, in, nil
}

// DutyJSON is a push on the duty board.
type DutyJSON struct {
	PushID       int64      `json:"push_id"`
	ScriptID     int64      `json:"script_id"`
	Title        string     `json:"title"`
	GroupID      int64      `json:"group_id"`
	Group        string     `json:"group"`
	Slot         string     `json:"slot,omitempty"`
	PlannedAt    time.Time  `json:"planned_at"`
	SentAt       *time.Time `json:"sent_at,omitempty"`
	DutyPerson   int64      `json:"duty_person"`
	Duty         string     `json:"duty"`
	Prompt       string     `json:"prompt"`
	Reminded     bool       `json:"reminded"`
	StaffGroupID int64      `json:"staff_group_id,omitempty"`
	FollowedUp   *bool      `json:"followed_up,omitempty"`
	ByDuty       *bool      `json:"by_duty,omitempty"`
	FollowUpSecs int        `json:"follow_up_seconds,omitempty"`
	Posts60      int        `json:"posts_60m,omitempty"`
	Replies      int        `json:"replies,omitempty"`
}

// dutyBoard shows an assistant (?person_id=, everyone's when left out)
// the pushes they are on duty for: coming up in the next ?hours= (24 by
// default), and sent in the last as many hours, each with the prompt
// suggested for its slot and, once sent, whether staff and the assistant
// followed it up within 15 minutes.
func (s *Server) dutyBoard(w http.ResponseWriter, r *http.Request) (int, any, error) {
	hours, err := intParam(r, "hours", 24, 1, 168)
	if err != nil {
		return 0, nil, err
	}
	var person int64
	if v := r.URL.Query().Get("person_id"); v != "" {
		if person, err = strconv.ParseInt(v, 10, 64); err != nil || person <= 0 {
			return 0, nil, errkind.Errorf(errkind.Invalid, "person_id %q: want a positive whole number", v)
		}
	}
	now := s.now()
	span := time.Duration(hours) * time.Hour
	list, err := s.Content.DutyBoard(r.Context(), orgOf(r), person, now.Add(-span), now.Add(span))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Upcoming []DutyJSON `json:"upcoming"`
		Sent     []DutyJSON `json:"sent"`
	}{Upcoming: []DutyJSON{}, Sent: []DutyJSON{}}
	for _, d := range list {
		j := DutyJSON{PushID: d.PushID, ScriptID: d.ScriptID, Title: d.Title, GroupID: d.GroupID, Group: d.Group, Slot: d.Slot, PlannedAt: d.PlannedAt, SentAt: d.SentAt,
			DutyPerson: d.DutyPerson, Duty: d.DutyName, Prompt: d.Prompt, Reminded: d.Reminded, StaffGroupID: d.StaffGroup}
		if d.Response == nil {
			out.Upcoming = append(out.Upcoming, j)
			continue
		}
		followed, byDuty := d.Response.FollowedUp, d.Response.ByDuty
		j.FollowedUp, j.ByDuty, j.FollowUpSecs, j.Posts60, j.Replies = &followed, &byDuty, int(d.Response.FollowUp/time.Second), d.Response.Posts60, d.Response.Replies
		out.Sent = append(out.Sent, j)
	}
	return http.StatusOK, out, nil
}

// ContentSettingsJSON is the organisation's content settings.
type ContentSettingsJSON struct {
	// SelfApproval lets the writer of a script approve it (a team of one).
	SelfApproval bool `json:"self_approval"`
}

func (s *Server) getContentSettings(w http.ResponseWriter, r *http.Request) (int, any, error) {
	set, err := s.Content.ContentSettings(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ContentSettingsJSON{set.SelfApproval}, nil
}

// putContentSettings sets the separation of duties: PUT
// /api/v1/settings/content {"self_approval": true} lets a team of one
// approve its own scripts.
func (s *Server) putContentSettings(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		SelfApproval *bool `json:"self_approval"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.SelfApproval == nil {
		return 0, nil, errkind.New(errkind.Invalid, "self_approval: required (true or false)")
	}
	if err := s.Content.SetSelfApproval(r.Context(), orgOf(r), *in.SelfApproval, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ContentSettingsJSON{*in.SelfApproval}, nil
}

// RosterJSON is a group's duty roster.
type RosterJSON struct {
	GroupID   int64        `json:"group_id"`
	Group     string       `json:"group"`
	People    []RosterItem `json:"people"`
	Default   bool         `json:"default"` // none set: the group's assistants take turns
	UpdatedBy string       `json:"updated_by,omitempty"`
	UpdatedAt *time.Time   `json:"updated_at,omitempty"`
}

// RosterItem is one person on a roster.
type RosterItem struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
}

func rosterJSON(ro content.Roster) RosterJSON {
	out := RosterJSON{GroupID: ro.GroupID, Group: ro.Group, People: []RosterItem{}, Default: ro.Default, UpdatedBy: ro.UpdatedBy, UpdatedAt: ro.UpdatedAt}
	for _, p := range ro.People {
		out.People = append(out.People, RosterItem{p.PersonID, p.Name})
	}
	return out
}

func (s *Server) dutyRosters(w http.ResponseWriter, r *http.Request) (int, any, error) {
	list, err := s.Content.DutyRosters(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Rosters []RosterJSON `json:"rosters"`
	}{Rosters: []RosterJSON{}}
	for _, ro := range list {
		out.Rosters = append(out.Rosters, rosterJSON(ro))
	}
	return http.StatusOK, out, nil
}

// putDutyRoster sets who of a group's staff take turns being on duty for
// its pushes, in order: PUT /api/v1/groups/{id}/duty-roster
// {"person_ids": [12, 15]}; an empty list goes back to all its assistants.
// The group's planned pushes get their new person on duty.
func (s *Server) putDutyRoster(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		PersonIDs []int64 `json:"person_ids"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.Content.SetDutyRoster(r.Context(), orgOf(r), id, in.PersonIDs, actorOf(r)); err != nil {
		return 0, nil, err
	}
	list, err := s.Content.DutyRosters(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	for _, ro := range list {
		if ro.GroupID == id {
			return http.StatusOK, rosterJSON(ro), nil
		}
	}
	return http.StatusOK, RosterJSON{GroupID: id, People: []RosterItem{}, Default: true}, nil
}
