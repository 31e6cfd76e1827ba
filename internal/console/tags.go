package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Tags and segments (docs/console/tags.md): named sets of groups or
// people, filled by hand and by rules (a kind, a part of the tree, a
// template's groups; how people joined, a campaign, a partner level, an
// activity status) that are read whenever the tag is used. Pushes aim at
// a group tag; the segment view lists — and exports — the members of a
// people tag, in a group tag's groups if asked, of the reader's groups
// only.
//
// Tags and their rules belong to the whole organisation: only an
// account with no scope that may edit groups changes them. Putting a
// group or person in by hand needs the same permission, on a group or
// person of the account's scope.

func (s *Server) tagRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /tags", s.auth(s.needs("tags", s.tagsPage)))
	mux.HandleFunc("POST /tags", s.auth(s.needs("tags", s.may(access.EditGroup, s.orgTags(s.createTag)))))
	mux.HandleFunc("GET /tags/segment", s.auth(s.needs("tags", s.segmentPage)))
	mux.HandleFunc("POST /tags/assign", s.auth(s.needs("tags", s.may(access.EditGroup, s.assignTag))))
	mux.HandleFunc("GET /tags/{id}", s.auth(s.needs("tags", s.tagPage)))
	mux.HandleFunc("POST /tags/{id}/rename", s.auth(s.needs("tags", s.may(access.EditGroup, s.orgTags(s.renameTag)))))
	mux.HandleFunc("POST /tags/{id}/delete", s.auth(s.needs("tags", s.may(access.EditGroup, s.orgTags(s.deleteTag)))))
	mux.HandleFunc("POST /tags/{id}/rules", s.auth(s.needs("tags", s.may(access.EditGroup, s.orgTags(s.addTagRule)))))
	mux.HandleFunc("POST /tags/{id}/rules/{rule}/delete", s.auth(s.needs("tags", s.may(access.EditGroup, s.orgTags(s.removeTagRule)))))
}

// orgTags wraps a change to the organisation's tags: a scoped account is
// refused (its rules would reach groups outside its part of the tree).
func (s *Server) orgTags(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if userOf(r).Scoped() {
			s.renderError(w, r, errkind.New(errkind.Forbidden, T(langOf(r), "tag_err_org")))
			return
		}
		h(w, r)
	}
}

// ruleView is a rule in words.
type ruleView struct {
	ID    int64
	Field string
	Label string
	UD    bool // the label is a name staff gave (a node, template, campaign, level)
}

type tagRow struct {
	community.Tag
	RuleViews []ruleView
}

// tagTable is the table of one subject's tags.
type tagTable struct {
	Lang  Lang
	Rows  []tagRow
	Count string // the count column's key
}

type tagsData struct {
	Groups, People tagTable
	MayEdit        bool
	Scoped         bool
}

// option is a choice of a select.
type option struct {
	Value, Label string
	UD           bool
}

// rulePicker is the form adding a rule on one field.
type rulePicker struct {
	Field   string
	Options []option
}

// tagNames names what rules name by id.
type tagNames struct {
	nodes, templates, campaigns, levels map[string]string
	nodeOptions                         []option
	choices                             community.TagChoices
}

func (s *Server) tagNames(ctx context.Context, orgID int64) (tagNames, error) {
	n := tagNames{nodes: map[string]string{}, templates: map[string]string{}, campaigns: map[string]string{}, levels: map[string]string{}}
	nodes, err := s.Store.Nodes(ctx, orgID)
	if err != nil {
		return n, err
	}
	ordered, depth := tree(nodes)
	for _, nd := range ordered {
		id := strconv.FormatInt(nd.ID, 10)
		n.nodes[id] = nd.Name
		n.nodeOptions = append(n.nodeOptions, option{Value: id, Label: strings.Repeat("— ", depth[nd.ID]) + nd.Name, UD: true})
	}
	if n.choices, err = s.Tags.TagChoices(ctx, orgID); err != nil {
		return n, err
	}
	for _, c := range []struct {
		list []community.TagChoice
		into map[string]string
	}{{n.choices.Templates, n.templates}, {n.choices.Campaigns, n.campaigns}, {n.choices.Levels, n.levels}} {
		for _, v := range c.list {
			c.into[strconv.FormatInt(v.ID, 10)] = v.Name
		}
	}
	return n, nil
}

// label puts a rule into words.
func (n tagNames) label(l Lang, r community.TagRule) ruleView {
	v := ruleView{ID: r.ID, Field: r.Field}
	named := func(m map[string]string) {
		v.UD = true
		if v.Label = m[r.Value]; v.Label == "" {
			v.Label, v.UD = T(l, "tag_gone"), false
		}
	}
	switch r.Field {
	case community.RuleKind:
		v.Label = T(l, "kind_"+r.Value)
	case community.RuleSource:
		v.Label = T(l, "src_"+r.Value)
	case community.RuleStatus:
		v.Label = T(l, "st_"+r.Value)
	case community.RuleNode:
		named(n.nodes)
	case community.RuleTemplate:
		named(n.templates)
	case community.RuleCampaign:
		named(n.campaigns)
	case community.RuleLevel:
		named(n.levels)
	}
	return v
}

// pickers lists the rule forms of a subject, each with its values.
func (n tagNames) pickers(l Lang, subject community.TagSubject) []rulePicker {
	ids := func(list []community.TagChoice) []option {
		var out []option
		for _, c := range list {
			out = append(out, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name, UD: true})
		}
		return out
	}
	var out []rulePicker
	for _, f := range community.RuleFields[subject] {
		p := rulePicker{Field: f}
		switch f {
		case community.RuleKind:
			for _, k := range community.GroupKinds {
				p.Options = append(p.Options, option{Value: string(k), Label: T(l, "kind_"+string(k))})
			}
		case community.RuleNode:
			p.Options = n.nodeOptions
		case community.RuleTemplate:
			p.Options = ids(n.choices.Templates)
		case community.RuleSource:
			for _, src := range []chat.JoinSource{chat.SourcePulledIn, chat.SourceEvent, chat.SourceReferral, chat.SourcePromo, chat.SourceUnknown} {
				p.Options = append(p.Options, option{Value: string(src), Label: T(l, "src_"+string(src))})
			}
		case community.RuleCampaign:
			p.Options = ids(n.choices.Campaigns)
		case community.RuleLevel:
			p.Options = ids(n.choices.Levels)
		case community.RuleStatus:
			for _, st := range community.PersonStatuses {
				p.Options = append(p.Options, option{Value: st, Label: T(l, "st_"+st)})
			}
		}
		if len(p.Options) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// within lists the groups of a scope, nil for all.
func (sc scope) within() []int64 {
	if sc.all {
		return nil
	}
	out := make([]int64, 0, len(sc.groups))
	for id := range sc.groups {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// tagCount counts what a tag holds that the reader sees: groups of their
// scope; members of their groups.
func (s *Server) tagCount(ctx context.Context, u *access.User, sc scope, t community.Tag) (int, error) {
	if t.Subject == community.TagGroups {
		list, err := s.Tags.TaggedGroups(ctx, u.OrgID, t.ID)
		n := 0
		for _, v := range list {
			if sc.has(v.ID) {
				n++
			}
		}
		return n, err
	}
	list, err := s.Tags.SegmentMembers(ctx, u.OrgID, community.Segment{PersonTag: t.ID}, sc.within(), s.Now(), s.Location)
	return len(list), err
}

func (s *Server) tagsPage(w http.ResponseWriter, r *http.Request) {
	u, l, ctx := userOf(r), langOf(r), r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	tags, err := s.Tags.Tags(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	names, err := s.tagNames(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := tagsData{MayEdit: u.May(access.EditGroup) && !u.Scoped(), Scoped: u.Scoped(),
		Groups: tagTable{Lang: l, Count: "tag_groups_count"}, People: tagTable{Lang: l, Count: "tag_people_count"}}
	for _, t := range tags {
		row := tagRow{Tag: t}
		if row.Count, err = s.tagCount(ctx, u, sc, t); err != nil {
			s.renderError(w, r, err)
			return
		}
		for _, rl := range t.Rules {
			row.RuleViews = append(row.RuleViews, names.label(l, rl))
		}
		if t.Subject == community.TagGroups {
			d.Groups.Rows = append(d.Groups.Rows, row)
		} else {
			d.People.Rows = append(d.People.Rows, row)
		}
	}
	p := s.page(r, u, T(l, "tags"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "tags", p)
}

// heldGroup is a group a tag holds.
type heldGroup struct {
	community.Group
	ByHand, ByRule bool
}

type tagData struct {
	Tag       community.Tag
	Rules     []ruleView
	Pickers   []rulePicker
	MayEdit   bool // rename, delete, rules
	MayTag    bool // put in and take out by hand
	Groups    []heldGroup
	AddGroups []community.Group // the reader's groups not put in by hand
	Members   []segmentRow
	Hidden    int // groups held outside the reader's scope
	Listed    int // members not listed past tagListed
}

// tagListed bounds the members a tag's page lists.
const tagListed = 200

func (s *Server) tagPage(w http.ResponseWriter, r *http.Request) {
	u, l, ctx := userOf(r), langOf(r), r.Context()
	t, ok := s.tagOfPath(w, r)
	if !ok {
		return
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	names, err := s.tagNames(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := tagData{Tag: t, MayEdit: u.May(access.EditGroup) && !u.Scoped(), MayTag: u.May(access.EditGroup)}
	for _, rl := range t.Rules {
		d.Rules = append(d.Rules, names.label(l, rl))
	}
	if d.MayEdit {
		d.Pickers = names.pickers(l, t.Subject)
	}
	if t.Subject == community.TagGroups {
		err = s.tagGroupsOf(ctx, u, sc, &d)
	} else {
		err = s.tagMembersOf(ctx, u, sc, &d)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, t.Name, d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "tag", p)
}

// tagGroupsOf fills a group tag's page: the groups it holds of the
// reader's scope (and how many others), the reader's active groups not
// put in by hand.
func (s *Server) tagGroupsOf(ctx context.Context, u *access.User, sc scope, d *tagData) error {
	held, err := s.Tags.TaggedGroups(ctx, u.OrgID, d.Tag.ID)
	if err != nil {
		return err
	}
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		i := slices.IndexFunc(held, func(v community.Tagged) bool { return v.ID == g.ID })
		switch {
		case i >= 0 && !sc.has(g.ID):
			d.Hidden++
		case i >= 0:
			d.Groups = append(d.Groups, heldGroup{Group: g, ByHand: held[i].ByHand, ByRule: held[i].ByRule})
		}
		if sc.has(g.ID) && (i < 0 || !held[i].ByHand) && g.Lifecycle == community.Active {
			d.AddGroups = append(d.AddGroups, g)
		}
	}
	return nil
}

// tagMembersOf fills a member tag's page: its members in the reader's
// groups, the first tagListed of them.
func (s *Server) tagMembersOf(ctx context.Context, u *access.User, sc scope, d *tagData) error {
	members, err := s.Tags.SegmentMembers(ctx, u.OrgID, community.Segment{PersonTag: d.Tag.ID}, sc.within(), s.Now(), s.Location)
	if err != nil {
		return err
	}
	held, err := s.Tags.TaggedPeople(ctx, u.OrgID, d.Tag.ID, s.Now(), s.Location)
	d.Members, d.Listed = s.segmentRows(members, held, tagListed), len(members)
	return err
}

// tagOfPath reads the tag of the path; false when it answered an error.
func (s *Server) tagOfPath(w http.ResponseWriter, r *http.Request) (community.Tag, bool) {
	id, err := pathID(r, "tag")
	if err == nil {
		var t community.Tag
		if t, err = s.Tags.Tag(r.Context(), userOf(r).OrgID, id); err == nil {
			return t, true
		}
	}
	s.renderError(w, r, err)
	return community.Tag{}, false
}

// tagPath is a tag's page.
func tagPath(id int64) string { return "/tags/" + strconv.FormatInt(id, 10) }

// tagNameOf reads and checks a form's tag name.
func tagNameOf(r *http.Request) (string, error) {
	name, err := community.CheckTagName(r.PostFormValue("name"))
	if err != nil {
		return "", errkind.New(errkind.Invalid, tf(langOf(r), "tag_err_name", community.MaxTagName))
	}
	return name, nil
}

// tagRefused answers a refused change: a taken name as a flash on back,
// anything else as an error page.
func (s *Server) tagRefused(w http.ResponseWriter, r *http.Request, err error, back string) {
	if errkind.Is(err, errkind.Conflict) {
		s.setFlash(w, flash{Key: "flash_tag_conflict", Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	s.renderError(w, r, err)
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) {
	u, l := userOf(r), langOf(r)
	name, err := tagNameOf(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	subject := community.TagSubject(r.PostFormValue("subject"))
	if !subject.Valid() {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "tag_err_subject")))
		return
	}
	t := community.Tag{OrgID: u.OrgID, Name: name, Subject: subject, CreatedBy: "user:" + u.Username}
	if err := s.Tags.CreateTag(r.Context(), &t); err != nil {
		s.tagRefused(w, r, err, "/tags")
		return
	}
	s.setFlash(w, flash{Key: "flash_tag_created"})
	http.Redirect(w, r, tagPath(t.ID), http.StatusSeeOther)
}

func (s *Server) renameTag(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := pathID(r, "tag")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	name, err := tagNameOf(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.Tags.RenameTag(r.Context(), u.OrgID, id, name, "user:"+u.Username); err != nil {
		s.tagRefused(w, r, err, tagPath(id))
		return
	}
	s.setFlash(w, flash{Key: "flash_tag_renamed"})
	http.Redirect(w, r, tagPath(id), http.StatusSeeOther)
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) {
	u, l, ctx := userOf(r), langOf(r), r.Context()
	t, ok := s.tagOfPath(w, r)
	if !ok {
		return
	}
	id := t.ID
	if !s.confirmed(w, r, tf(l, "tag_confirm_delete", t.Name), tagPath(id)) {
		return
	}
	if err := s.Tags.DeleteTag(ctx, u.OrgID, id, "user:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_tag_deleted"})
	http.Redirect(w, r, "/tags", http.StatusSeeOther)
}

func (s *Server) addTagRule(w http.ResponseWriter, r *http.Request) {
	u, l, ctx := userOf(r), langOf(r), r.Context()
	t, ok := s.tagOfPath(w, r)
	if !ok {
		return
	}
	id := t.ID
	rl := community.TagRule{TagID: id, Field: r.PostFormValue("field"), Value: r.PostFormValue("value")}
	if rl.Check(t.Subject) != nil {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "tag_err_rule")))
		return
	}
	if err := s.Tags.AddTagRule(ctx, u.OrgID, &rl, "user:"+u.Username); err != nil {
		if errkind.Is(err, errkind.Conflict) {
			s.setFlash(w, flash{Key: "flash_tag_rule_exists", Error: true})
			http.Redirect(w, r, tagPath(id), http.StatusSeeOther)
			return
		}
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_tag_rule_added"})
	http.Redirect(w, r, tagPath(id), http.StatusSeeOther)
}

func (s *Server) removeTagRule(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := pathID(r, "tag")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rule, err := strconv.ParseInt(r.PathValue("rule"), 10, 64)
	if err != nil || rule <= 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such rule"))
		return
	}
	if err := s.Tags.RemoveTagRule(r.Context(), u.OrgID, id, rule, "user:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_tag_rule_removed"})
	http.Redirect(w, r, tagPath(id), http.StatusSeeOther)
}

// assignTag puts a group or person in a tag by hand, or takes them out
// (on=0): from the tag's page, the group's or the member's. The group,
// or one of the person's groups, must be in the account's scope.
func (s *Server) assignTag(w http.ResponseWriter, r *http.Request) {
	u, l, ctx := userOf(r), langOf(r), r.Context()
	tagID, err := strconv.ParseInt(r.PostFormValue("tag"), 10, 64)
	if err != nil || tagID <= 0 {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "tag_err_choose")))
		return
	}
	on := r.PostFormValue("on") != "0"
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	actor := "user:" + u.Username
	var back string
	if v := r.PostFormValue("group"); v != "" {
		g, gerr := strconv.ParseInt(v, 10, 64)
		if gerr != nil || g <= 0 {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "tag_err_group")))
			return
		}
		if !sc.has(g) {
			s.renderError(w, r, errOutOfScope)
			return
		}
		if err = s.Tags.SetGroupTag(ctx, u.OrgID, tagID, g, on, actor); err == nil {
			back = "/groups/" + strconv.FormatInt(g, 10) + "#tags"
		}
	} else {
		p, perr := strconv.ParseInt(r.PostFormValue("person"), 10, 64)
		if perr != nil || p <= 0 {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "tag_err_group")))
			return
		}
		if ok, err := s.personInScope(ctx, u, sc, p); err != nil {
			s.renderError(w, r, err)
			return
		} else if !ok {
			s.renderError(w, r, errOutOfScope)
			return
		}
		if err = s.Tags.SetPersonTag(ctx, u.OrgID, tagID, p, on, actor); err == nil {
			back = "/people/" + strconv.FormatInt(p, 10) + "#tags"
		}
	}
	if errkind.Is(err, errkind.Invalid) {
		err = errkind.New(errkind.Invalid, T(l, "tag_err_subject"))
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if r.PostFormValue("from") == "tag" {
		back = tagPath(tagID)
	}
	key := "flash_tag_added"
	if !on {
		key = "flash_tag_removed"
	}
	s.setFlash(w, flash{Key: key})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// personInScope reports whether a person has been in one of the
// account's groups.
func (s *Server) personInScope(ctx context.Context, u *access.User, sc scope, id int64) (bool, error) {
	if sc.all {
		return true, nil
	}
	if s.Profiles == nil {
		return false, nil
	}
	groups, err := s.Profiles.PersonGroups(ctx, u.OrgID, []int64{id})
	return inScope(sc, groups[id]), err
}

// tagPicker is the tags card of a group's or member's page: the tags
// holding it and a form to put it in another by hand.
type tagPicker struct {
	Lang    Lang
	CSRF    string
	Field   string // "group" or "person"
	ID      int64
	Held    []community.HeldTag
	Options []community.Tag // tags of the subject it is not in by hand
	May     bool
}

// tagPickerOf builds the tags card of a group or person; nil without tags.
func (s *Server) tagPickerOf(ctx context.Context, u *access.User, p page, subject community.TagSubject, id int64) (*tagPicker, error) {
	if s.Tags == nil {
		return nil, nil
	}
	tp := &tagPicker{Lang: p.Lang, CSRF: p.CSRF, Field: "group", ID: id, May: u.May(access.EditGroup)}
	var err error
	if subject == community.TagPeople {
		tp.Field = "person"
		tp.Held, err = s.Tags.PersonTagsOf(ctx, u.OrgID, id, s.Now(), s.Location)
	} else {
		tp.Held, err = s.Tags.GroupTagsOf(ctx, u.OrgID, id)
	}
	if err != nil {
		return nil, err
	}
	all, err := s.Tags.Tags(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		if t.Subject == subject && !slices.ContainsFunc(tp.Held, func(h community.HeldTag) bool { return h.ID == t.ID && h.ByHand }) {
			tp.Options = append(tp.Options, t)
		}
	}
	return tp, nil
}

// groupTags lists the organisation's group tags, nil without tags.
func (s *Server) groupTags(ctx context.Context, orgID int64) ([]community.Tag, error) {
	if s.Tags == nil {
		return nil, nil
	}
	all, err := s.Tags.Tags(ctx, orgID)
	var out []community.Tag
	for _, t := range all {
		if t.Subject == community.TagGroups {
			out = append(out, t)
		}
	}
	return out, err
}

// planTag reads the group tag a push plan aims at: 0 for none; a group
// tag of the organisation, else a 400 in the reader's language.
func (s *Server) planTag(r *http.Request) (int64, error) {
	v := r.PostFormValue("tag")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err == nil && id > 0 {
		var tags []community.Tag
		if tags, err = s.groupTags(r.Context(), userOf(r).OrgID); err != nil {
			return 0, err
		}
		if slices.ContainsFunc(tags, func(t community.Tag) bool { return t.ID == id }) {
			return id, nil
		}
	}
	return 0, errkind.New(errkind.Invalid, T(langOf(r), "seg_err_groups"))
}
