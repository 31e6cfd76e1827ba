package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Staff roles, set from a group's page and from a person's: 群主, 秘书长,
// 店小二 or member. Only a manager appoints or removes a 群主 or a 秘书长
// (access.SetLeaderRole); a secretary makes members 店小二 and back
// (access.SetStaffRole), in her own groups. A group has exactly one 群主:
// appointing one moves the role (the store does it in one transaction).
// Where the platform can make admins, the change is synced; where it
// cannot, the page says so.

// roleControl is the role forms of one member of one group.
type roleControl struct {
	Lang     Lang
	CSRF     string
	GroupID  int64
	PersonID int64
	Name     string
	Role     community.Role
	Back     string
	// Choices are the roles the account may give here (not the current
	// one, not owner); Owner: it may make them the group's owner;
	// FormerOwner: the group has another owner now, who becomes a member
	// or a secretary.
	Choices     []community.Role
	Owner       bool
	FormerOwner bool
}

// Editable reports whether the account may change anything here.
func (c roleControl) Editable() bool { return len(c.Choices) > 0 || c.Owner }

// syncs reports whether a connection's platform makes staff admins.
func (s *Server) syncs(connection string) bool {
	return s.Caps != nil && s.Caps(connection).Can(chat.ActSetRole)
}

// roleControlOf works out the role forms the account gets for a member;
// owners are the group's members with the owner role.
func roleControlOf(p page, u *access.User, groupID int64, m community.Member, owners []int64, back string) roleControl {
	c := roleControl{Lang: p.Lang, CSRF: p.CSRF, GroupID: groupID, PersonID: m.PersonID, Name: m.Name, Role: m.Role, Back: back}
	leader := u.May(access.SetLeaderRole)
	if m.Role == community.RoleOwner || (m.Role.Leader() && !leader) || (!u.May(access.SetStaffRole) && !leader) {
		return c // the owner changes only by appointing another
	}
	for _, r := range []community.Role{community.RoleSecretary, community.RoleAssistant, community.RoleMember} {
		if r != m.Role && (leader || !r.Leader()) {
			c.Choices = append(c.Choices, r)
		}
	}
	c.Owner = leader
	c.FormerOwner = slices.ContainsFunc(owners, func(id int64) bool { return id != m.PersonID })
	return c
}

// ownersOf lists the members with the owner role.
func ownersOf(members []community.Member) []int64 {
	var out []int64
	for _, m := range members {
		if m.Role == community.RoleOwner {
			out = append(out, m.PersonID)
		}
	}
	return out
}

// groupRoles is the staff card of a group's page: its staff, a search
// among its members by name, and each one's role forms.
type groupRoles struct {
	Staff   []roleControl
	Query   string
	Found   []roleControl
	Matches int // members matching the query, before the cut
	Syncs   bool
	Editing bool // the account may change some role
}

// maxRoleMatches is how many members a search on the group page shows.
const maxRoleMatches = 20

// groupRolesOf builds a group page's staff card.
func (s *Server) groupRolesOf(r *http.Request, p page, g community.Group, members []community.Member) *groupRoles {
	if !s.configured("structure") {
		return nil
	}
	u := userOf(r)
	back := fmt.Sprintf("/groups/%d", g.ID)
	owners := ownersOf(members)
	d := &groupRoles{Syncs: s.syncs(g.Connection), Query: strings.TrimSpace(r.URL.Query().Get("who")),
		Editing: u.May(access.SetStaffRole) || u.May(access.SetLeaderRole)}
	rank := map[community.Role]int{community.RoleOwner: 0, community.RoleSecretary: 1, community.RoleAssistant: 2}
	for _, m := range members {
		if m.Role.Staff() {
			d.Staff = append(d.Staff, roleControlOf(p, u, g.ID, m, owners, back))
		}
	}
	slices.SortStableFunc(d.Staff, func(a, b roleControl) int { return rank[a.Role] - rank[b.Role] })
	if d.Query != "" {
		found := matchMembers(members, d.Query, len(members))
		d.Matches = len(found)
		for _, m := range found[:min(len(found), maxRoleMatches)] {
			d.Found = append(d.Found, roleControlOf(p, u, g.ID, m, owners, fmt.Sprintf("/groups/%d?who=%s", g.ID, url.QueryEscape(d.Query))))
		}
	}
	return d
}

// setRole sets a member's role from a role form: POST
// /groups/{id}/roles person=…&role=…[&former_owner=…][&back=…].
func (s *Server) setRole(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := langOf(r)
	person, err := requiredID(r, "person", false)
	if err != nil {
		return err
	}
	role := community.Role(r.PostFormValue("role"))
	former := community.Role(r.PostFormValue("former_owner"))
	if !role.Valid() || (former != "" && former != community.RoleMember && former != community.RoleSecretary) {
		return errkind.New(errkind.Invalid, "role: want owner, secretary, assistant or member; former_owner: member or secretary")
	}
	back := safeNext(r.PostFormValue("back"))
	if back == "/" {
		back = fmt.Sprintf("/groups/%d", g.ID)
	}
	members, err := s.Store.Members(ctx, g.ID)
	if err != nil {
		return err
	}
	m, in := inGroup(members, person)
	if !in {
		return errkind.New(errkind.NotFound, T(l, "role_not_member"))
	}
	// 群主 and 秘书长 are a manager's to give and take away.
	need := access.SetStaffRole
	if role.Leader() || m.Role.Leader() {
		need = access.SetLeaderRole
	}
	if err := s.permit(r, need); err != nil {
		return err
	}
	if m.Role == community.RoleOwner && role != community.RoleOwner {
		return refuse(back, "flash_role_owner_stays")
	}
	if role == community.RoleOwner && m.Role != community.RoleOwner && !s.confirmed(w, r, ownerQuestion(l, m, g, members, former), back) {
		return nil
	}
	syncs := s.syncs(g.Connection)
	res, err := s.Tree.SetGroupRole(ctx, community.RoleChange{OrgID: u.OrgID, GroupID: g.ID, PersonID: person, Role: role, FormerOwner: former, Sync: syncs, Actor: actor(u)})
	if errkind.Is(err, errkind.Conflict) {
		return refuse(back, "flash_role_owner_stays")
	}
	if err != nil {
		return err
	}
	s.changed()
	f := flash{Key: "flash_role_set"}
	switch {
	case res.From == role:
		f.Key = "flash_role_same"
	case !syncs && (res.From.Staff() != role.Staff() || res.FormerOwner != 0):
		f.Key = "flash_role_set_local"
	case res.Synced > 0:
		f = flash{Key: "flash_role_synced", ID: int64(res.Synced)}
	}
	s.done(w, r, back, f)
	return nil
}

// ownerQuestion asks to confirm a new owner, naming the present one and
// what they become.
func ownerQuestion(l Lang, m community.Member, g community.Group, members []community.Member, former community.Role) string {
	var others []string
	for _, o := range members {
		if o.Role == community.RoleOwner {
			others = append(others, o.Name)
		}
	}
	if len(others) == 0 {
		return fmt.Sprintf(T(l, "confirm_owner"), m.Name, g.Name)
	}
	if former == "" {
		former = community.RoleMember
	}
	return fmt.Sprintf(T(l, "confirm_owner_move"), m.Name, g.Name, strings.Join(others, T(l, "list_sep")), T(l, "role_"+string(former)))
}

// personRoles adds the role forms to a person's open stints in the
// account's scope (the person page).
func (s *Server) personRoles(ctx context.Context, r *http.Request, p page, person int64, stints []stintRow) error {
	if !s.configured("structure") {
		return nil
	}
	u := userOf(r)
	for i := range stints {
		st := &stints[i]
		if st.LeftAt != nil {
			continue
		}
		g, err := s.Store.Group(ctx, u.OrgID, st.GroupID)
		if err != nil {
			return err
		}
		members, err := s.Store.Members(ctx, st.GroupID)
		if err != nil {
			return err
		}
		m, in := inGroup(members, person)
		if !in {
			continue
		}
		c := roleControlOf(p, u, st.GroupID, m, ownersOf(members), fmt.Sprintf("/people/%d", person))
		st.Roles = &c
		st.Syncs = s.syncs(g.Connection)
	}
	return nil
}

// peopleData is the people search page.
type peopleData struct {
	Query string
	Found []personFound
	More  bool
}

type personFound struct {
	community.PersonMatch
	GroupNames []string
}

// maxPeopleFound is how many people a search lists.
const maxPeopleFound = 50

// findPeople is the people search: GET /people?q=王 finds people by name,
// nickname or platform name among those in the account's groups.
func (s *Server) findPeople(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	ctx := r.Context()
	d := peopleData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if d.Query != "" {
		var sc scope
		var n *namer
		if err := all(
			func() (err error) { sc, err = s.scopeOf(ctx, u); return },
			func() (err error) { n, err = s.namer(ctx, u.OrgID); return },
		); err != nil {
			return err
		}
		var in []int64
		if !sc.all {
			in = []int64{}
			for id := range sc.groups {
				in = append(in, id)
			}
			slices.Sort(in)
		}
		found, err := s.Tree.FindPeople(ctx, u.OrgID, d.Query, in, maxPeopleFound+1)
		if err != nil {
			return err
		}
		d.More = len(found) > maxPeopleFound
		for _, f := range found[:min(len(found), maxPeopleFound)] {
			pf := personFound{PersonMatch: f}
			for _, g := range f.Groups {
				if sc.has(g) {
					pf.GroupNames = append(pf.GroupNames, n.group(g))
				}
			}
			d.Found = append(d.Found, pf)
		}
	}
	s.render(w, http.StatusOK, "people", s.page(r, u, T(langOf(r), "people_search"), d))
	return nil
}
