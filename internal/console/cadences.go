package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Cadences (定时推送, SOPs): a script pushed again and again — every day,
// every week on a weekday, on a group's day N or on each member's day N —
// listed in words with what each has done so far. Whoever may plan pushes
// (access.PlanPush) creates one with the push plan's pickers and pauses or
// resumes it. A cadence is planned later for every group it selects, not
// within anyone's scope, so a scoped account aims only where every group
// reached is hers: her groups by list, a tag all of whose groups are hers,
// or a node of her part of the tree; a kind alone reaches the whole
// organisation and is a manager's.

// CadenceSource stores cadences. *store.DB implements it.
type CadenceSource interface {
	Cadences(ctx context.Context, orgID int64) ([]content.CadenceInfo, error)
	CreateCadence(ctx context.Context, c *content.Cadence) error
	PauseCadence(ctx context.Context, orgID, id int64, pause bool, actor string) (content.Cadence, error)
}

// cadenceRoutes registers the cadences page and its forms.
func (s *Server) cadenceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /cadences", s.auth(s.needs("cadences", s.cadences)))
	mux.HandleFunc("POST /cadences", s.auth(s.needs("cadences", s.may(access.PlanPush, s.createCadence))))
	mux.HandleFunc("POST /cadences/{id}/pause", s.auth(s.needs("cadences", s.may(access.PlanPush, s.pauseCadence(true)))))
	mux.HandleFunc("POST /cadences/{id}/resume", s.auth(s.needs("cadences", s.may(access.PlanPush, s.pauseCadence(false)))))
}

// cadenceKinds are the repetitions in the form's order.
var cadenceKinds = []content.CadenceKind{content.Daily, content.Weekly, content.GroupDay, content.MemberDay}

// cadenceRow is a cadence as the page says it.
type cadenceRow struct {
	content.CadenceInfo
	Title   string // the script's
	When    string // "每周一 20:30（晚高峰）"
	Tag     string // the group tag's name; TagGone: the tag was deleted
	TagGone bool
	Kind    string // the groups' kind (without list or tag)
	Node    string // the node's name (without list or tag)
	Groups  []community.Group
	Change  bool // the account may pause or resume it
}

type cadencesData struct {
	Rows []cadenceRow
	Form *planForm // for whom may plan
	// Kinds and Weekdays are the form's choices.
	Kinds    []content.CadenceKind
	Weekdays []int
	Day      int
}

// cadenceTargets is what naming a cadence's targets and checking its
// scope read: the organisation's groups, nodes and tags.
type cadenceTargets struct {
	groups map[int64]community.Group
	nodes  map[int64]community.Node
	tags   map[int64]community.Tag
	tagged map[int64][]int64 // a tag's groups now; nil: gone
	mine   map[int64]bool    // the nodes of the account's part of the tree
}

func (s *Server) cadenceTargets(ctx context.Context, u *access.User) (*cadenceTargets, error) {
	t := &cadenceTargets{groups: map[int64]community.Group{}, nodes: map[int64]community.Node{}, tags: map[int64]community.Tag{}, tagged: map[int64][]int64{}}
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		t.groups[g.ID] = g
	}
	nodes, err := s.Store.Nodes(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		t.nodes[n.ID] = n
	}
	if u.Scoped() && u.ScopeNodeID != 0 {
		t.mine = subtree(nodes, u.ScopeNodeID)
	}
	tags, err := s.groupTags(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	for _, tg := range tags {
		t.tags[tg.ID] = tg
	}
	return t, nil
}

// cadenceList reads the account's scope, the organisation's cadences and
// what naming and checking their targets needs.
func (s *Server) cadenceList(ctx context.Context, u *access.User) (scope, []content.CadenceInfo, *cadenceTargets, error) {
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return sc, nil, nil, err
	}
	list, err := s.Cadences.Cadences(ctx, u.OrgID)
	if err != nil {
		return sc, nil, nil, err
	}
	t, err := s.cadenceTargets(ctx, u)
	return sc, list, t, err
}

// tagGroups returns a tag's groups now (cached); ok is false for a tag
// that is gone.
func (s *Server) tagGroups(ctx context.Context, orgID int64, t *cadenceTargets, tag int64) ([]int64, bool, error) {
	if ids, ok := t.tagged[tag]; ok {
		return ids, ids != nil, nil
	}
	ids, err := s.Content.TagGroups(ctx, orgID, tag)
	switch {
	case errkind.Is(err, errkind.NotFound), errkind.Is(err, errkind.Invalid):
		t.tagged[tag] = nil
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	if ids == nil {
		ids = []int64{}
	}
	t.tagged[tag] = ids
	return ids, true, nil
}

// aims reports whether every group a selector reaches, now and later, is
// within the account's scope.
func (s *Server) aims(ctx context.Context, u *access.User, sc scope, t *cadenceTargets, sel content.Selector) (bool, error) {
	if sc.all {
		return true, nil
	}
	if !sel.Explicit() {
		// A kind or node selects at each planning: only a node of her part
		// of the tree stays hers.
		return sel.NodeID != 0 && t.mine[sel.NodeID], nil
	}
	for _, g := range sel.GroupIDs {
		if !sc.has(g) {
			return false, nil
		}
	}
	if sel.TagID != 0 {
		ids, ok, err := s.tagGroups(ctx, u.OrgID, t, sel.TagID)
		if err != nil || !ok {
			return false, err
		}
		for _, g := range ids {
			if !sc.has(g) {
				return false, nil
			}
		}
	}
	return true, nil
}

// cadenceWhen says when a cadence pushes: its repetition and its peak's
// time (the organisation's; a peak only some groups have by its name).
func cadenceWhen(l Lang, c content.Cadence, slots content.SlotConfig) string {
	at := slotName(l, c.Slot)
	if sl, ok := slots.Find(c.Slot); ok {
		at = tf(l, "cad_at_slot", sl.At.String(), slotName(l, c.Slot))
	}
	switch c.Kind {
	case content.Daily:
		return tf(l, "cad_when_daily", at)
	case content.Weekly:
		return tf(l, "cad_when_weekly", T(l, "cad_wd_"+strconv.Itoa(int(c.Weekday))), at)
	case content.GroupDay:
		return tf(l, "cad_when_group_day", c.Day, at)
	case content.MemberDay:
		return tf(l, "cad_when_member_day", c.Day, at)
	}
	return string(c.Kind)
}

func (s *Server) cadences(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	sc, list, t, err := s.cadenceList(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	slots, err := s.Content.Slots(ctx, u.OrgID, 0)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	titles := map[int64]string{}
	scripts, err := s.Content.Scripts(ctx, u.OrgID, "")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, sc := range scripts {
		titles[sc.ID] = sc.Title
	}
	plan := u.May(access.PlanPush)
	var d cadencesData
	for _, c := range list {
		ok, err := s.aims(ctx, u, sc, t, c.Select)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if !ok {
			continue // reaches groups that are not the account's
		}
		// One whose tag was deleted aims nowhere: paused for good.
		row := cadenceRow{CadenceInfo: c, Title: titles[c.ScriptID], When: cadenceWhen(l, c.Cadence, slots), Change: plan && c.Select.Aims()}
		for _, id := range c.Select.GroupIDs {
			if g, ok := t.groups[id]; ok {
				row.Groups = append(row.Groups, g)
			}
		}
		if c.Select.TagID != 0 {
			tg, ok := t.tags[c.Select.TagID]
			row.Tag, row.TagGone = tg.Name, !ok
		}
		if !c.Select.Explicit() {
			row.Kind = c.Select.Kind
			if c.Select.NodeID != 0 {
				row.Node = t.nodes[c.Select.NodeID].Name
			}
		}
		d.Rows = append(d.Rows, row)
	}
	if plan {
		if d.Form, err = s.planForm(r, u, sc, s.Now(), nil); err != nil {
			s.renderError(w, r, err)
			return
		}
		// A scoped account is offered the tags she may aim at.
		tags := d.Form.Tags[:0:0]
		for _, tg := range d.Form.Tags {
			ok, err := s.aims(ctx, u, sc, t, content.Selector{TagID: tg.ID})
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			if ok {
				tags = append(tags, tg)
			}
		}
		d.Form.Tags = tags
		d.Kinds, d.Weekdays, d.Day = cadenceKinds, []int{1, 2, 3, 4, 5, 6, 0}, 1
	}
	p := s.page(r, u, T(l, "cadences"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "cadences", p)
}

// cadenceOf reads a cadence from the form; a bad value is a 400 in the
// reader's language, a target outside the account's scope a 403.
func (s *Server) cadenceOf(r *http.Request, u *access.User, sc scope) (content.Cadence, error) {
	ctx := r.Context()
	l := langOf(r)
	bad := func(key string) (content.Cadence, error) {
		return content.Cadence{}, errkind.New(errkind.Invalid, T(l, key))
	}
	c := content.Cadence{OrgID: u.OrgID, Name: strings.TrimSpace(r.PostFormValue("name")), Kind: content.CadenceKind(r.PostFormValue("cadence")),
		Slot: r.PostFormValue("slot"), CreatedBy: "user:" + u.Username}
	f, err := s.planForm(r, u, sc, s.Now(), nil)
	if err != nil {
		return c, err
	}
	id, _ := strconv.ParseInt(r.PostFormValue("script"), 10, 64)
	if !slices.ContainsFunc(f.Scripts, func(sc content.Script) bool { return sc.ID == id }) {
		return bad("cad_err_script")
	}
	c.ScriptID = id
	if len([]rune(c.Name)) > 100 {
		return bad("cad_err_name")
	}
	if !slices.Contains(cadenceKinds, c.Kind) {
		return bad("cad_err_kind")
	}
	if !slices.Contains(f.Peaks, c.Slot) {
		return bad("cad_err_slot")
	}
	num := func(field string, lo, hi int) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
		return n, err == nil && n >= lo && n <= hi
	}
	var ok bool
	switch c.Kind {
	case content.Weekly:
		var wd int
		if wd, ok = num("weekday", 0, 6); !ok {
			return bad("cad_err_weekday")
		}
		c.Weekday = time.Weekday(wd)
	case content.GroupDay:
		if c.Day, ok = num("day", 0, content.MaxCadenceDay); !ok {
			return bad("cad_err_group_day")
		}
	case content.MemberDay:
		if c.Day, ok = num("day", 1, content.MaxCadenceDay); !ok {
			return bad("cad_err_member_day")
		}
	}
	if c.Select, err = s.planSelector(r); err != nil {
		return c, err
	}
	if c.Select.Kind != "" && !community.GroupKind(c.Select.Kind).Valid() {
		return bad("cad_err_group_kind")
	}
	if !c.Select.Aims() {
		return bad("cad_err_targets")
	}
	t, err := s.cadenceTargets(ctx, u)
	if err != nil {
		return c, err
	}
	for _, g := range c.Select.GroupIDs {
		if _, ok := t.groups[g]; !ok {
			return bad("cad_err_targets")
		}
	}
	if _, ok := t.nodes[c.Select.NodeID]; c.Select.NodeID != 0 && !ok {
		return bad("cad_err_targets")
	}
	if ok, err := s.aims(ctx, u, sc, t, c.Select); err != nil {
		return c, err
	} else if !ok {
		return c, errkind.New(errkind.Forbidden, T(l, "cad_err_scope"))
	}
	return c, nil
}

// createCadence stores a cadence; the scheduler plans its occurrences a
// day ahead into ordinary pushes.
func (s *Server) createCadence(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	sc, err := s.scopeOf(r.Context(), u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	c, err := s.cadenceOf(r, u, sc)
	if err == nil {
		err = s.Cadences.CreateCadence(r.Context(), &c)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_cadence_created"})
	http.Redirect(w, r, "/cadences#cadence-"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// pauseCadence pauses or resumes a cadence of the account's scope.
func (s *Server) pauseCadence(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := userOf(r)
		ctx := r.Context()
		id, err := pathID(r, "cadence")
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		sc, list, t, err := s.cadenceList(ctx, u)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		i := slices.IndexFunc(list, func(c content.CadenceInfo) bool { return c.ID == id })
		if i < 0 {
			s.renderError(w, r, errkind.New(errkind.NotFound, "no such cadence"))
			return
		}
		if ok, err := s.aims(ctx, u, sc, t, list[i].Select); err != nil || !ok {
			if err == nil {
				err = errkind.New(errkind.Forbidden, T(langOf(r), "cad_err_scope"))
			}
			s.renderError(w, r, err)
			return
		}
		if !pause && !list[i].Select.Aims() {
			s.renderError(w, r, errkind.New(errkind.Conflict, T(langOf(r), "cad_err_nowhere")))
			return
		}
		if _, err := s.Cadences.PauseCadence(ctx, u.OrgID, id, pause, "user:"+u.Username); err != nil {
			s.renderError(w, r, err)
			return
		}
		f := flash{Key: "flash_cadence_resumed"}
		if pause {
			f.Key = "flash_cadence_paused"
		}
		s.setFlash(w, f)
		http.Redirect(w, r, "/cadences#cadence-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	}
}
