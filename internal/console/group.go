package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// A group's page: its members with their activity, health, newcomers and
// its pushes of the last and next week.

type groupData struct {
	Health    *groupHealth
	Newcomers *groupNewcomers
	Schedule  []content.PlannedPush // this group's pushes of the last and next 7 days
	Pushes    bool                  // the schedule is known
	Group     community.Group
	State     string
	Members   []memberRow
	Messages  []community.Message
	Counts    []statusCount
	Roles     *groupRoles // the staff card (roles.go); nil without the structure workflows
	Settings  bool        // link the group's settings page
	Tags      *tagPicker  // the tags card (tags.go); nil without tags
	// Disconnected: its connection was deleted or stopped (connections.go).
	Disconnected bool
}

// memberRow is a member with their activity status (analytics.Classify).
type memberRow struct {
	community.Member
	Status string
	Tier   string
	Last   *time.Time
}

type statusCount struct {
	Status string
	N      int
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such group"))
		return
	}
	g, err := s.Store.Group(r.Context(), u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.inScope(r.Context(), u, g.ID); err != nil {
		s.renderError(w, r, err)
		return
	}
	members, err := s.Store.Members(r.Context(), g.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	act, err := s.Store.GroupMemberActivity(r.Context(), g.ID, now.Add(-90*24*time.Hour))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	counts := map[string]int{}
	rows := make([]memberRow, 0, len(members))
	for _, m := range members {
		row := memberRow{Member: m}
		a := act[m.PersonID]
		if a != nil {
			row.Last = a.Last
		}
		row.Status, row.Tier = s.classify(m.Membership, a, now)
		counts[row.Status]++
		rows = append(rows, row)
	}
	var cs []statusCount
	for _, st := range []string{"active", "new", "quiet", "lurker", "zombie", "staff"} {
		if counts[st] > 0 {
			cs = append(cs, statusCount{st, counts[st]})
		}
	}
	msgs, err := s.Store.Messages(r.Context(), g.ID, community.Page{Limit: 50})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var last *time.Time
	if len(msgs) > 0 {
		last = &msgs[0].SentAt
	}
	health, err := s.groupHealth(r.Context(), langOf(r), g.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	newcomers, err := s.groupNewcomers(r.Context(), g.ID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := groupData{Health: health, Newcomers: newcomers, Group: g, State: State(g, last, now), Members: rows, Messages: msgs, Counts: cs}
	d.Disconnected = s.disconnected(g.Connection)
	if s.Content != nil {
		week := 7 * 24 * time.Hour
		all, err := s.Content.OrgPushes(r.Context(), u.OrgID, now.Add(-week), now.Add(week))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Pushes = true
		for _, p := range all {
			if p.GroupID == g.ID {
				d.Schedule = append(d.Schedule, p)
			}
		}
	}
	p := s.page(r, u, g.Name, nil)
	d.Roles, d.Settings = s.groupRolesOf(r, p, g, members), s.configured("structure")
	if d.Tags, err = s.tagPickerOf(r.Context(), u, p, community.TagGroups, g.ID); err != nil {
		s.renderError(w, r, err)
		return
	}
	p.Data, p.Flash = d, s.takeFlash(w, r)
	s.render(w, http.StatusOK, "group", p)
}
