package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// A group's settings page (/groups/{id}/settings): its checklist (the five
// things every community settles and the gaps to fix), its kind, node,
// capacity and lifecycle (a temporary group's end, archiving), its profile
// with the key opinion leaders picked by name, its invite link, and the
// template task it was created for.

// checkRow is a checklist line in the reader's language.
type checkRow struct {
	Key    string
	Label  string
	Five   bool
	Status string // done, missing, ok, flagged
	Detail template.HTML
}

// personRef is a person named on the page.
type personRef struct {
	ID      int64
	Name    string
	Present bool // still a member of the group
}

type groupSettingsData struct {
	Group     community.Group
	Path      string // the node's path, "" when not placed
	Checklist []checkRow
	Five      int // of the five, settled
	Gaps      int // flagged
	Profile   community.Profile
	KOLs      []personRef
	KOLQuery  string
	KOLFound  []community.Member // members matching KOLQuery, not KOLs yet
	Invite    string
	Kinds     []community.GroupKind
	Nodes     []treeOption
	Unplace   bool   // the account may take the group out of the tree
	Ends      string // the end as a datetime-local value
	EndsText  string // and as the page shows it
	Expired   bool   // the end has passed
	Task      *community.GroupTask
	Template  string
	MayEdit   bool
	MayArch   bool
}

// groupForm loads the group of /groups/{id}/… that the account acts on:
// unknown is not found, outside the account's scope forbidden.
func (s *Server) groupForm(r *http.Request) (*access.User, community.Group, error) {
	u := userOf(r)
	id, err := pathID(r, "group")
	if err != nil {
		return u, community.Group{}, err
	}
	g, err := s.Store.Group(r.Context(), u.OrgID, id)
	if err != nil {
		return u, g, err
	}
	sc, err := s.scopeOf(r.Context(), u)
	if err != nil {
		return u, g, err
	}
	if !sc.has(g.ID) {
		return u, g, errOutOfScope
	}
	return u, g, nil
}

// settingsURL is the settings page a form leads back to, where its top
// shows the outcome; section is the form's (a confirmation's 取消 leads
// to it).
func settingsURL(id int64, section string) string {
	if section == "" {
		return fmt.Sprintf("/groups/%d/settings", id)
	}
	return fmt.Sprintf("/groups/%d/settings#%s", id, section)
}

// endLayout is the datetime-local form value.
const endLayout = "2006-01-02T15:04"

func (s *Server) groupSettings(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := langOf(r)
	var (
		nodes   []community.Node
		items   []community.CheckItem
		prof    community.Profile
		members []community.Member
		invite  string
		tasks   []community.GroupTask
		bound   int
		ts      []community.Template
	)
	if err := all(
		func() (err error) { nodes, err = s.Store.Nodes(ctx, u.OrgID); return },
		func() (err error) { items, err = s.Tree.GroupChecklist(ctx, u.OrgID, g.ID); return },
		func() (err error) { prof, err = s.Tree.GroupProfile(ctx, u.OrgID, g.ID); return },
		func() (err error) { members, err = s.Store.Members(ctx, g.ID); return },
		func() (err error) { invite, err = s.Tree.InviteURL(ctx, g.ID); return },
		func() (err error) { tasks, bound, err = s.Tree.GroupTasks(ctx, u.OrgID, community.TaskDone); return },
		func() (err error) { ts, err = s.Tree.Templates(ctx, u.OrgID); return },
	); err != nil {
		return err
	}
	if bound > 0 {
		s.changed()
	}
	paths := nodePaths(nodes)
	ns := nodeScopeOf(u, nodes)
	d := groupSettingsData{Group: g, Path: paths[g.NodeID], Profile: prof, Invite: invite, Kinds: community.GroupKinds,
		Nodes: nodeOptions(nodes, ns, nil), Unplace: ns.all, MayEdit: u.May(access.EditGroup), MayArch: u.May(access.ArchiveGroup)}
	if g.ExpiresAt != nil {
		d.Ends, d.EndsText = g.ExpiresAt.In(s.Location).Format(endLayout), g.ExpiresAt.In(s.Location).Format("2006-01-02 15:04")
		d.Expired = !g.ExpiresAt.After(s.Now())
	}
	if d.KOLs, err = s.kolRefs(ctx, u.OrgID, prof.KOLs, members); err != nil {
		return err
	}
	present := 0
	for _, k := range d.KOLs {
		if k.Present {
			present++
		}
	}
	d.KOLQuery = strings.TrimSpace(r.URL.Query().Get("kol"))
	if d.KOLQuery != "" {
		for _, m := range matchMembers(members, d.KOLQuery, 20) {
			if !slices.Contains(prof.KOLs, m.PersonID) {
				d.KOLFound = append(d.KOLFound, m)
			}
		}
	}
	for _, it := range items {
		row := checkRow{Key: it.Key, Label: it.LabelZH, Five: it.Five, Status: it.Status(), Detail: s.checkDetail(l, it, g, prof, members, paths, present)}
		if l == En {
			row.Label = it.LabelEN
		}
		if it.Five && it.Done {
			d.Five++
		}
		if !it.Five && !it.Done {
			d.Gaps++
		}
		d.Checklist = append(d.Checklist, row)
	}
	if i := slices.IndexFunc(tasks, func(t community.GroupTask) bool { return t.GroupID == g.ID }); i >= 0 {
		d.Task = &tasks[i]
		if j := slices.IndexFunc(ts, func(t community.Template) bool { return t.ID == d.Task.TemplateID }); j >= 0 {
			d.Template = ts[j].Name
		}
	}
	p := s.page(r, u, g.Name, d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "group_settings", p)
	return nil
}

// kolRefs names a profile's key opinion leaders, those who left the
// group too.
func (s *Server) kolRefs(ctx context.Context, orgID int64, kols []int64, members []community.Member) ([]personRef, error) {
	names := map[int64]string{}
	for _, m := range members {
		names[m.PersonID] = m.Name
	}
	var gone []int64
	for _, id := range kols {
		if _, ok := names[id]; !ok {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 && s.People != nil {
		more, err := s.People.PersonNames(ctx, orgID, gone)
		if err != nil {
			return nil, err
		}
		for id, n := range more {
			names[id] = n
		}
	}
	var out []personRef
	for _, id := range kols {
		_, in := inGroup(members, id)
		out = append(out, personRef{ID: id, Name: nameOr(names, id), Present: in})
	}
	return out, nil
}

// checkDetail says in the reader's language what a checklist line found.
// Names and what the operator wrote are marked as user content.
func (s *Server) checkDetail(l Lang, it community.CheckItem, g community.Group, p community.Profile, members []community.Member, paths map[int64]string, presentKOLs int) template.HTML {
	staff := func(role community.Role, none string) template.HTML {
		var ns []string
		for _, m := range members {
			if m.Role == role {
				ns = append(ns, string(ud(m.Name)))
			}
		}
		if len(ns) == 0 {
			return esc(T(l, none))
		}
		return template.HTML(strings.Join(ns, template.HTMLEscapeString(T(l, "list_sep"))))
	}
	text := func(v string) template.HTML {
		if v == "" {
			return esc(T(l, "check_not_set"))
		}
		return ud(v)
	}
	switch it.Key {
	case "positioning":
		return text(p.Positioning)
	case "threshold":
		return text(p.Threshold)
	case "goal":
		return text(p.Goal)
	case "rules":
		switch p.Rules {
		case "":
			return esc(T(l, "check_rules_unset"))
		case community.RulesInherited:
			return esc(T(l, "check_rules_inherited"))
		}
		return esc(T(l, "check_rules_own"))
	case "kol":
		if len(p.KOLs) == 0 {
			return esc(T(l, "check_kol_none"))
		}
		return esc(fmt.Sprintf(T(l, "check_kol_present"), presentKOLs, len(p.KOLs)))
	case "owner":
		return staff(community.RoleOwner, "check_no_owner")
	case "assistant":
		return staff(community.RoleAssistant, "check_no_assistant")
	case "capacity":
		return esc(fmt.Sprintf(T(l, "check_capacity"), g.Members, g.Capacity))
	case "node":
		if g.NodeID == 0 {
			return esc(T(l, "check_unplaced"))
		}
		return ud(paths[g.NodeID])
	case "end_date":
		switch {
		case g.Kind != community.KindTemporary:
			return esc(T(l, "check_not_temporary"))
		case g.ExpiresAt == nil:
			return esc(T(l, "check_no_end"))
		}
		return esc(fmt.Sprintf(T(l, "check_ends"), g.ExpiresAt.In(s.Location).Format("2006-01-02 15:04")))
	}
	return ""
}

// inGroup finds a person among the members.
func inGroup(members []community.Member, person int64) (community.Member, bool) {
	i := slices.IndexFunc(members, func(m community.Member) bool { return m.PersonID == person })
	if i < 0 {
		return community.Member{}, false
	}
	return members[i], true
}

func nameOr(names map[int64]string, id int64) string {
	if n := names[id]; n != "" {
		return n
	}
	return "#" + strconv.FormatInt(id, 10)
}

// matchMembers picks the members whose name or nickname contains q (Latin
// letters in any case), at most limit, exact names first.
func matchMembers(members []community.Member, q string, limit int) []community.Member {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	var exact, part []community.Member
	for _, m := range members {
		switch {
		case strings.ToLower(m.Name) == q:
			exact = append(exact, m)
		case strings.Contains(strings.ToLower(m.Name), q) || strings.Contains(strings.ToLower(m.Nickname), q):
			part = append(part, m)
		}
	}
	out := append(exact, part...)
	return out[:min(len(out), limit)]
}

// saveGroupSettings sets a group's kind, node, capacity and end (a
// temporary group must have one, in the future).
func (s *Server) saveGroupSettings(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	back := settingsURL(g.ID, "")
	kind := community.GroupKind(r.PostFormValue("kind"))
	if !kind.Valid() {
		return errkind.Errorf(errkind.Invalid, "kind: unknown group kind %q", kind)
	}
	node, err := requiredID(r, "node", true)
	if err != nil {
		return err
	}
	if node != g.NodeID {
		nodes, err := s.Store.Nodes(r.Context(), u.OrgID)
		if err != nil {
			return err
		}
		if ns := nodeScopeOf(u, nodes); !ns.has(node) && !(node == 0 && ns.all) {
			return errNodeOutOfScope
		}
	}
	capN, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("capacity")))
	if err != nil || capN < 2 || capN > 100000 {
		return refuse(back, "flash_capacity")
	}
	var ends *time.Time
	if v := strings.TrimSpace(r.PostFormValue("ends")); v != "" {
		t, err := time.ParseInLocation(endLayout, v, s.Location)
		switch {
		case err != nil:
			return refuse(back, "flash_end_bad")
		case !t.After(s.Now()) && (g.ExpiresAt == nil || !g.ExpiresAt.Equal(t)):
			return refuse(back, "flash_end_past")
		}
		ends = &t
	}
	if kind == community.KindTemporary && ends == nil {
		return refuse(back, "flash_end_required")
	}
	patch := community.GroupPatch{Kind: &kind, NodeID: &node, Capacity: &capN, ExpiresAt: &ends}
	if _, err := s.Tree.UpdateGroup(r.Context(), u.OrgID, g.ID, patch, actor(u)); err != nil {
		return err
	}
	s.changed()
	s.done(w, r, back, flash{Key: "flash_group_saved"})
	return nil
}

// archiveGroup archives a group after confirmation: rules and pushes stop,
// its history stays.
func (s *Server) archiveGroup(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	if !s.confirmed(w, r, fmt.Sprintf(T(langOf(r), "confirm_archive"), g.Name), settingsURL(g.ID, "lifecycle")) {
		return nil
	}
	return s.setLifecycle(w, r, u, g, community.Archived, "flash_group_archived")
}

// reopenGroup makes an archived group active again; a group whose end has
// passed needs a new end first (else it would be archived again at once).
func (s *Server) reopenGroup(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	if g.ExpiresAt != nil && !g.ExpiresAt.After(s.Now()) {
		return refuse(settingsURL(g.ID, ""), "flash_reopen_expired")
	}
	return s.setLifecycle(w, r, u, g, community.Active, "flash_group_reopened")
}

func (s *Server) setLifecycle(w http.ResponseWriter, r *http.Request, u *access.User, g community.Group, to community.Lifecycle, key string) error {
	if _, err := s.Tree.UpdateGroup(r.Context(), u.OrgID, g.ID, community.GroupPatch{Lifecycle: &to}, actor(u)); err != nil {
		return err
	}
	s.changed()
	s.done(w, r, settingsURL(g.ID, ""), flash{Key: key})
	return nil
}

// profileOf reads a group's profile and members, keeping on its list of
// key opinion leaders only those still in the group (a profile names only
// members) and counting those dropped.
func (s *Server) profileOf(ctx context.Context, orgID, groupID int64) (community.Profile, []community.Member, int, error) {
	var p community.Profile
	var members []community.Member
	if err := all(
		func() (err error) { p, err = s.Tree.GroupProfile(ctx, orgID, groupID); return },
		func() (err error) { members, err = s.Store.Members(ctx, groupID); return },
	); err != nil {
		return p, nil, 0, err
	}
	n := len(p.KOLs)
	p.KOLs = slices.DeleteFunc(p.KOLs, func(id int64) bool { _, in := inGroup(members, id); return !in })
	return p, members, n - len(p.KOLs), nil
}

// saveProfile saves the group's positioning, threshold, rules and goal.
// Key opinion leaders who have left the group are taken off the list; the
// flash counts them.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	back := settingsURL(g.ID, "")
	p, _, dropped, err := s.profileOf(r.Context(), u.OrgID, g.ID)
	if err != nil {
		return err
	}
	p.Positioning, p.Threshold, p.Goal = r.PostFormValue("positioning"), r.PostFormValue("threshold"), r.PostFormValue("goal")
	for _, v := range []string{p.Positioning, p.Threshold, p.Goal} {
		if utf8.RuneCountInString(strings.TrimSpace(v)) > community.MaxProfileText {
			return refusal{to: back, key: "flash_profile_long", n: community.MaxProfileText}
		}
	}
	switch r.PostFormValue("rules") {
	case "":
		p.Rules = ""
	case "inherited":
		p.Rules = community.RulesInherited
	case "own":
		p.Rules = "group:" + strconv.FormatInt(g.ID, 10)
	default:
		return errkind.New(errkind.Invalid, "rules: want inherited, own or nothing")
	}
	if _, err := s.Tree.SetGroupProfile(r.Context(), u.OrgID, p, actor(u)); err != nil {
		return err
	}
	f := flash{Key: "flash_profile_saved"}
	if dropped > 0 {
		f = flash{Key: "flash_profile_saved_dropped", ID: int64(dropped)}
	}
	s.done(w, r, back, f)
	return nil
}

// changeKOLs adds a member, picked by name, to the group's key opinion
// leaders, or takes one off.
func (s *Server) changeKOLs(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	back := settingsURL(g.ID, "")
	person, err := requiredID(r, "person", false)
	if err != nil {
		return err
	}
	p, members, _, err := s.profileOf(r.Context(), u.OrgID, g.ID)
	if err != nil {
		return err
	}
	key := "flash_kol_added"
	switch r.PostFormValue("op") {
	case "add":
		_, in := inGroup(members, person)
		switch {
		case !in:
			return refuse(back, "flash_kol_not_member")
		case len(p.KOLs) >= community.MaxKOLs && !slices.Contains(p.KOLs, person):
			return refusal{to: back, key: "flash_kol_many", n: community.MaxKOLs}
		case !slices.Contains(p.KOLs, person):
			p.KOLs = append(p.KOLs, person)
		}
	case "remove":
		p.KOLs = slices.DeleteFunc(p.KOLs, func(id int64) bool { return id == person })
		key = "flash_kol_removed"
	default:
		return errkind.New(errkind.Invalid, "op: want add or remove")
	}
	if _, err := s.Tree.SetGroupProfile(r.Context(), u.OrgID, p, actor(u)); err != nil {
		return err
	}
	s.done(w, r, back, flash{Key: key})
	return nil
}

// saveInviteLink sets the group's own invite link or QR-code image, where
// join links (群活码) send newcomers; removing it asks first.
func (s *Server) saveInviteLink(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	back := settingsURL(g.ID, "")
	url := strings.TrimSpace(r.PostFormValue("url"))
	if url == "" && !s.confirmed(w, r, fmt.Sprintf(T(langOf(r), "confirm_invite_remove"), g.Name), settingsURL(g.ID, "invite")) {
		return nil
	}
	err = s.Tree.SetInviteURL(r.Context(), u.OrgID, g.ID, url, actor(u))
	switch {
	case errkind.Is(err, errkind.Invalid):
		return refuse(back, "flash_invite_bad")
	case err != nil:
		return err
	case url == "":
		s.done(w, r, back, flash{Key: "flash_invite_removed"})
	default:
		s.done(w, r, back, flash{Key: "flash_invite_saved"})
	}
	return nil
}

// saveBotLang sets the language the bot writes in in the group.
func (s *Server) saveBotLang(w http.ResponseWriter, r *http.Request) error {
	u, g, err := s.groupForm(r)
	if err != nil {
		return err
	}
	back := settingsURL(g.ID, "")
	lang := r.PostFormValue("lang")
	if !community.ValidBotLang(lang) {
		return refuse(back, "flash_bot_lang_bad")
	}
	if err := s.Tree.SetGroupBotLang(r.Context(), u.OrgID, g.ID, lang, actor(u)); err != nil {
		return err
	}
	s.changed()
	s.done(w, r, back, flash{Key: "flash_bot_lang_saved"})
	return nil
}
