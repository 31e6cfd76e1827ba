package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Offline events (线下活动): the sign-up lists members fill in the chat
// (群接龙), opened, closed, cancelled and checked in from here too.

// EventJSON is an event as the API shows it.
type EventJSON struct {
	ID         int64            `json:"id"`
	GroupID    int64            `json:"group_id"`
	Title      string           `json:"title"`
	Capacity   int              `json:"capacity,omitempty"`
	At         *time.Time       `json:"at,omitempty"`
	Place      string           `json:"place,omitempty"`
	AlsoIn     []int64          `json:"also_in,omitempty"` // the other groups it is announced in
	Closed     bool             `json:"closed"`
	Cancelled  bool             `json:"cancelled"`
	SignedUp   int              `json:"signed_up"`
	Waitlisted int              `json:"waitlisted"`
	CheckedIn  int              `json:"checked_in"`
	Entries    []EventEntryJSON `json:"entries,omitempty"`
}

// EventEntryJSON is one place on an event's list.
type EventEntryJSON struct {
	N         int    `json:"n"`
	PersonID  int64  `json:"person_id"`
	Name      string `json:"name"`
	Note      string `json:"note,omitempty"`
	Status    string `json:"status"` // in, waitlist, cancelled
	CheckedIn bool   `json:"checked_in"`
}

func eventJSON(l community.SignupList, withEntries bool) EventJSON {
	e := EventJSON{ID: l.ID, GroupID: l.GroupID, Title: l.Title, Capacity: l.Capacity, At: l.EventAt, Place: l.Place, AlsoIn: l.AlsoIn, Closed: l.Closed, Cancelled: l.Cancelled}
	for _, en := range l.Entries {
		switch en.Status {
		case community.SignupIn:
			e.SignedUp++
		case community.SignupWaitlist:
			e.Waitlisted++
		}
		if en.CheckedIn {
			e.CheckedIn++
		}
		if withEntries {
			e.Entries = append(e.Entries, EventEntryJSON{en.N, en.PersonID, en.Name, en.Note, en.Status, en.CheckedIn})
		}
	}
	return e
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Admin.Events(r.Context(), orgOf(r), g.ID)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Events []EventJSON `json:"events"`
	}{Events: []EventJSON{}}
	for _, l := range list {
		full, err := s.Admin.Event(r.Context(), orgOf(r), l.ID)
		if err != nil {
			return 0, nil, err
		}
		out.Events = append(out.Events, eventJSON(full, false))
	}
	return http.StatusOK, out, nil
}

func (s *Server) openEvent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Title       string  `json:"title"`
		Capacity    int     `json:"capacity"`
		At          string  `json:"at"`
		Place       string  `json:"place"`
		TempGroupID int64   `json:"temp_group_id"`
		AlsoIn      []int64 `json:"also_in"`
		Announce    *bool   `json:"announce"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	req := community.EventRequest{OrgID: orgOf(r), GroupID: g.ID, Title: in.Title, Capacity: in.Capacity, Place: in.Place, TempGroupID: in.TempGroupID,
		AlsoIn: in.AlsoIn, Announce: in.Announce == nil || *in.Announce, Actor: actorOf(r)}
	if in.At != "" {
		t, err := time.Parse(time.RFC3339, in.At)
		if err != nil {
			return 0, nil, errkind.Errorf(errkind.Invalid, "at: not RFC 3339: %q", in.At)
		}
		req.At = &t
	}
	l, err := s.Admin.OpenEvent(r.Context(), req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, eventJSON(l, true), nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	l, err := s.Admin.Event(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventJSON(l, true), nil
}

// changeEvent closes an event, or cancels, checks in or takes back the
// check-in of a person: POST /api/v1/events/{id}/{close|cancel|checkin|
// undo-checkin} with {"person_id":…} (none for close).
func (s *Server) changeEvent(op string) jsonHandler {
	return func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		id, err := pathID(r)
		if err != nil {
			return 0, nil, err
		}
		var in struct {
			PersonID int64 `json:"person_id"`
		}
		if op != "close" {
			if err := s.decodeBody(w, r, &in); err != nil {
				return 0, nil, err
			}
			if in.PersonID <= 0 {
				return 0, nil, errkind.New(errkind.Invalid, "person_id is required")
			}
		}
		l, err := s.Admin.EventChange(r.Context(), orgOf(r), id, op, in.PersonID, actorOf(r))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, eventJSON(l, true), nil
	}
}

// cancelEvent calls an event off and tells its groups, naming everyone
// signed up: POST /api/v1/events/{id}/cancel-event {"reason":"…"} (the
// body is optional).
func (s *Server) cancelEvent(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := s.decodeOptional(w, r, &in); err != nil {
		return 0, nil, err
	}
	l, err := s.Admin.CancelEvent(r.Context(), orgOf(r), id, in.Reason, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventJSON(l, true), nil
}

// Group eligibility: who may join a group (partners of one level only).

func (s *Server) getEligibility(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	e, err := s.Admin.Eligibility(r.Context(), orgOf(r), g.ID)
	if err != nil {
		return 0, nil, err
	}
	if e == nil {
		return http.StatusOK, map[string]any{"group_id": g.ID, "open": true}, nil
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "open": false, "level_id": e.LevelID, "level": e.LevelName, "handling": e.Handling,
		"grace_seconds": int64(e.Grace / time.Second)}, nil
}

// putEligibility sets the rule: {"level_id":…, "handling":"refuse|grace|approve",
// "grace":"24h"}.
func (s *Server) putEligibility(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		LevelID  int64  `json:"level_id"`
		Handling string `json:"handling"`
		Grace    string `json:"grace"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	var grace time.Duration
	if in.Grace != "" {
		if grace, err = time.ParseDuration(in.Grace); err != nil {
			return 0, nil, errkind.Errorf(errkind.Invalid, "grace: want a duration like 24h, got %q", in.Grace)
		}
	}
	if err := s.Admin.SetEligibility(r.Context(), orgOf(r), g.ID, in.LevelID, in.Handling, grace, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return s.getEligibility(w, r)
}

func (s *Server) deleteEligibility(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.Admin.ClearEligibility(r.Context(), orgOf(r), g.ID, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "open": true}, nil
}

func (s *Server) listEligibilityCases(w http.ResponseWriter, r *http.Request) (int, any, error) {
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "approved", "rejected", "removed", "qualified":
	default:
		return 0, nil, errkind.Errorf(errkind.Invalid, "status %q: want pending, approved, rejected, removed or qualified", status)
	}
	list, err := s.Admin.EligibilityCases(r.Context(), orgOf(r), status)
	if err != nil {
		return 0, nil, err
	}
	type caseJSON struct {
		ID        int64      `json:"id"`
		GroupID   int64      `json:"group_id"`
		Group     string     `json:"group"`
		PersonID  int64      `json:"person_id"`
		Person    string     `json:"person"`
		Handling  string     `json:"handling"`
		Status    string     `json:"status"`
		DueAt     *time.Time `json:"due_at,omitempty"`
		CreatedAt time.Time  `json:"created_at"`
		DecidedBy string     `json:"decided_by,omitempty"`
	}
	out := struct {
		Cases []caseJSON `json:"cases"`
	}{Cases: []caseJSON{}}
	for _, c := range list {
		out.Cases = append(out.Cases, caseJSON{c.ID, c.GroupID, c.Group, c.PersonID, c.Person, c.Handling, c.Status, c.DueAt, c.CreatedAt, c.DecidedBy})
	}
	return http.StatusOK, out, nil
}

func (s *Server) decideEligibility(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Approve *bool `json:"approve"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.Approve == nil {
		return 0, nil, errkind.New(errkind.Invalid, "approve: true or false is required")
	}
	if err := s.Admin.DecideEligibility(r.Context(), orgOf(r), id, *in.Approve, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"case": id, "approved": *in.Approve}, nil
}

// campaignGrowth is a campaign's referral K-factor and cycle time.
func (s *Server) campaignGrowth(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	g, err := s.Admin.CampaignGrowth(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"campaign_id": g.CampaignID, "name": g.Name, "members": g.Members, "inviters": g.Inviters,
		"invitations": g.Invitations, "qualified": g.Qualified, "k_factor": g.K, "cycle_median_hours": g.CycleMedian.Hours()}, nil
}

// mergePeople makes two people one: POST /api/v1/people/{id}/merge
// {"into": N} moves everything of person id to N and deletes id.
func (s *Server) mergePeople(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Into int64 `json:"into"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.Into <= 0 {
		return 0, nil, errkind.New(errkind.Invalid, "into: the id of the person to keep is required")
	}
	if err := s.Admin.MergePeople(r.Context(), orgOf(r), id, in.Into, actorOf(r)); err != nil {
		return 0, nil, err
	}
	if s.OnChange != nil {
		s.OnChange() // the ingester's caches hold the merged person
	}
	return http.StatusOK, map[string]any{"merged": id, "into": in.Into}, nil
}

// setMemberRole changes a member's role: PUT /api/v1/groups/{id}/members/
// {person}/role {"role":"assistant"}. A group has exactly one owner:
// {"role":"owner","former_owner":"secretary"} moves the role, and the
// current owner becomes a member (the default) or a secretary. Staff
// become admins on platforms that have them (the change is synced through
// the outbox); "synced" counts the platform calls queued, and
// "platform_syncs" says whether the group's platform can make them at all.
func (s *Server) setMemberRole(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	person, err := strconv.ParseInt(r.PathValue("person"), 10, 64)
	if err != nil || person <= 0 {
		return 0, nil, errkind.Errorf(errkind.Invalid, "person %q: want a positive whole number", r.PathValue("person"))
	}
	var in struct {
		Role        string `json:"role"`
		FormerOwner string `json:"former_owner"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if err := tokenOf(r).Check(access.StaffPermission(in.Role)); err != nil {
		return 0, nil, err
	}
	if in.FormerOwner != "" && in.Role != string(community.RoleOwner) {
		return 0, nil, errkind.New(errkind.Invalid, "former_owner: only with role owner (it says what the current owner becomes)")
	}
	syncs := s.Caps != nil && s.Caps(g.Connection).Can(chat.ActSetRole)
	res, err := s.Admin.SetGroupRole(r.Context(), community.RoleChange{OrgID: orgOf(r), GroupID: g.ID, PersonID: person, Role: community.Role(in.Role),
		FormerOwner: community.Role(in.FormerOwner), Sync: syncs, Actor: actorOf(r)})
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{"group_id": g.ID, "person_id": person, "role": in.Role, "from": res.From, "synced": res.Synced, "platform_syncs": syncs}
	if res.FormerOwner != 0 {
		former := community.RoleMember
		if in.FormerOwner != "" {
			former = community.Role(in.FormerOwner)
		}
		out["former_owner"] = map[string]any{"person_id": res.FormerOwner, "role": former}
	}
	return http.StatusOK, out, nil
}

// findPeople finds people by name: GET /api/v1/people?q=王&limit=20 (a
// person's name, a nickname in a group or a name on a platform).
func (s *Server) findPeople(w http.ResponseWriter, r *http.Request) (int, any, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return 0, nil, errkind.New(errkind.Invalid, "q: required, a name or part of one")
	}
	limit, err := intParam(r, "limit", 20, 1, 200)
	if err != nil {
		return 0, nil, err
	}
	found, err := s.Admin.FindPeople(r.Context(), orgOf(r), q, nil, int(limit))
	if err != nil {
		return 0, nil, err
	}
	type personJSON struct {
		ID     int64   `json:"id"`
		Name   string  `json:"name"`
		Groups []int64 `json:"groups"`
	}
	out := struct {
		People []personJSON `json:"people"`
	}{People: []personJSON{}}
	for _, p := range found {
		if p.Groups == nil {
			p.Groups = []int64{}
		}
		out.People = append(out.People, personJSON{p.ID, p.Name, p.Groups})
	}
	return http.StatusOK, out, nil
}

// listAppeals is the appeals queue: GET /api/v1/appeals?status=open.
func (s *Server) listAppeals(w http.ResponseWriter, r *http.Request) (int, any, error) {
	status := r.URL.Query().Get("status")
	switch status {
	case "", "open", "accepted", "rejected":
	default:
		return 0, nil, errkind.Errorf(errkind.Invalid, "status %q: want open, accepted or rejected", status)
	}
	list, err := s.Admin.Appeals(r.Context(), orgOf(r), status)
	if err != nil {
		return 0, nil, err
	}
	type appealJSON struct {
		ID        int64     `json:"id"`
		PersonID  int64     `json:"person_id"`
		Person    string    `json:"person"`
		Text      string    `json:"text"`
		Status    string    `json:"status"`
		Banned    bool      `json:"banned"`
		DecidedBy string    `json:"decided_by,omitempty"`
		Note      string    `json:"note,omitempty"`
		CreatedAt time.Time `json:"created_at"`
	}
	out := struct {
		Appeals []appealJSON `json:"appeals"`
	}{Appeals: []appealJSON{}}
	for _, a := range list {
		out.Appeals = append(out.Appeals, appealJSON{a.ID, a.PersonID, a.Person, a.Text, a.Status, a.Banned, a.DecidedBy, a.Note, a.CreatedAt})
	}
	return http.StatusOK, out, nil
}
