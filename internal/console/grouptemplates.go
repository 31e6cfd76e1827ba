package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Templates (/templates): the organisation's group templates with their
// steps in order, a form that applies one at a tree node, and the "to
// create" tasks of each application in the template's order — which are
// created, which are still to create, and which group was created before
// an earlier step's (the seed's order: lecturers' group, topic groups,
// enrolment, a group per cohort, all-hands). A task is bound to its group
// here when the group has another name than the task's.

// seedOrder is the seed's order of creating an academy's groups (3.2.3).
var seedOrder = []community.GroupKind{community.KindLecturer, community.KindTopic, community.KindEnrolment, community.KindCohort, community.KindAllHands}

// templateRows is how many steps the new-template form offers.
const templateRows = 6

type templateView struct {
	community.Template
	Groups int // groups one application asks for
}

// taskRow is a "to create" task with its group and whether it came out of
// the template's order.
type taskRow struct {
	community.GroupTask
	Group    string // the bound group's name
	Before   int    // created before the group of this step (0: in order)
	Bindable bool   // the account may bind it
}

// application is one application of a template: its tasks in order.
type application struct {
	ID       int64 // its first task's, for the page's anchors
	Template string
	Values   string // the variables' values, "阳新 · 2026"
	Node     string
	Tasks    []taskRow
	Done     int
	Flagged  int
}

// stepRow is a row of the new-template form (a failed form's values).
type stepRow struct {
	N                      int
	Kind                   community.GroupKind
	Pattern, Count, Topics string
}

type templatesData struct {
	Order     []community.GroupKind
	Templates []templateView
	Apps      []application
	Nodes     []treeOption // where the account may apply a template
	Groups    []treeOption // groups the account may bind a task to
	MayApply  bool
	MayCreate bool
	Kinds     []community.GroupKind
	// The new-template form, again with what was sent when it failed.
	Name, Variables string
	Steps           []stepRow
	Error           string
}

func (s *Server) templatesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTemplates(w, r, http.StatusOK, nil)
}

// renderTemplates renders the page; form is the new-template form's data
// when it is shown again with an error.
func (s *Server) renderTemplates(w http.ResponseWriter, r *http.Request, status int, form *templatesData) error {
	u := userOf(r)
	ctx := r.Context()
	l := langOf(r)
	var (
		ts     []community.Template
		tasks  []community.GroupTask
		bound  int
		nodes  []community.Node
		groups []community.Group
		sc     scope
	)
	if err := all(
		func() (err error) { ts, err = s.Tree.Templates(ctx, u.OrgID); return },
		func() (err error) { tasks, bound, err = s.Tree.GroupTasks(ctx, u.OrgID, ""); return },
		func() (err error) { nodes, err = s.Store.Nodes(ctx, u.OrgID); return },
		func() (err error) { groups, err = s.Store.Groups(ctx, u.OrgID); return },
		func() (err error) { sc, err = s.scopeOf(ctx, u); return },
	); err != nil {
		return err
	}
	if bound > 0 {
		s.changed()
	}
	ns := nodeScopeOf(u, nodes)
	d := templatesData{Order: seedOrder, MayApply: u.May(access.ApplyTemplate), MayCreate: u.May(access.EditTemplates), Kinds: community.GroupKinds,
		Nodes: nodeOptions(nodes, ns, nil)}
	if form != nil {
		d.Name, d.Variables, d.Steps, d.Error = form.Name, form.Variables, form.Steps, form.Error
	} else {
		for i := range templateRows {
			row := stepRow{N: i + 1, Kind: community.KindCustom}
			if i < len(seedOrder) {
				row.Kind = seedOrder[i]
			}
			d.Steps = append(d.Steps, row)
		}
	}
	names := map[int64]string{}
	created := map[int64]time.Time{}
	boundTo := map[int64]bool{}
	for _, t := range tasks {
		boundTo[t.GroupID] = true
	}
	for _, g := range groups {
		names[g.ID], created[g.ID] = g.Name, g.CreatedAt
		if sc.has(g.ID) && !boundTo[g.ID] && g.Lifecycle == community.Active {
			d.Groups = append(d.Groups, treeOption{g.ID, g.Name})
		}
	}
	slices.SortFunc(d.Groups, func(a, b treeOption) int { return strings.Compare(a.Label, b.Label) })
	tplName := map[int64]string{}
	for _, t := range ts {
		tplName[t.ID] = t.Name
		plan, _ := t.Plan(placeholders(t.Variables))
		d.Templates = append(d.Templates, templateView{Template: t, Groups: len(plan)})
	}
	paths := nodePaths(nodes)
	late := community.OutOfOrder(tasks, created)
	apps := map[string]*application{}
	var order []string
	for _, t := range tasks {
		// A scoped account sees the tasks placed in its part of the tree
		// and those bound to its groups.
		if !ns.has(t.NodeID) && !(t.GroupID != 0 && sc.has(t.GroupID)) {
			continue
		}
		key := t.Application()
		a := apps[key]
		if a == nil {
			a = &application{ID: t.ID, Template: tplName[t.TemplateID], Values: values(t), Node: paths[t.NodeID]}
			apps[key] = a
			order = append(order, key)
		}
		row := taskRow{GroupTask: t, Group: names[t.GroupID], Before: late[t.ID], Bindable: d.MayApply && t.Status == community.TaskOpen && ns.has(t.NodeID)}
		if t.Status == community.TaskDone {
			a.Done++
		}
		if row.Before != 0 {
			a.Flagged++
		}
		a.Tasks = append(a.Tasks, row)
	}
	// The newest application first: the one just made is at the top.
	slices.Reverse(order)
	for _, key := range order {
		a := apps[key]
		slices.SortStableFunc(a.Tasks, func(x, y taskRow) int {
			if x.Step != y.Step {
				return x.Step - y.Step
			}
			return int(x.ID - y.ID)
		})
		d.Apps = append(d.Apps, *a)
	}
	p := s.page(r, u, T(l, "templates"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, status, "grouptemplates", p)
	return nil
}

// placeholders gives each variable a value that names it, to count a
// template's groups.
func placeholders(vars []string) map[string]string {
	out := map[string]string{}
	for _, v := range vars {
		out[v] = v
	}
	return out
}

// values shows a task's variables' values in the template's order of
// keys: "阳新 · 2026".
func values(t community.GroupTask) string {
	keys := make([]string, 0, len(t.Vars))
	for k := range t.Vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vs := make([]string, len(keys))
	for i, k := range keys {
		vs[i] = t.Vars[k]
	}
	return strings.Join(vs, " · ")
}

// splitList reads a list typed in one field, separated by commas (either
// width), 、 or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\u3000' || r == ';' || r == '；'
	})
}

// createTemplate saves a new template from the form: a name, its variables
// and up to templateRows steps (a step without a pattern is left out).
// What the domain refuses is shown with the form again.
func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	l := langOf(r)
	form := templatesData{Name: strings.TrimSpace(r.PostFormValue("name")), Variables: r.PostFormValue("variables")}
	t := community.Template{OrgID: u.OrgID, Name: form.Name, Variables: splitList(form.Variables)}
	for i := 1; i <= templateRows; i++ {
		n := strconv.Itoa(i)
		row := stepRow{N: i, Kind: community.GroupKind(r.PostFormValue("kind_" + n)), Pattern: strings.TrimSpace(r.PostFormValue("pattern_" + n)),
			Count: strings.TrimSpace(r.PostFormValue("count_" + n)), Topics: r.PostFormValue("topics_" + n)}
		form.Steps = append(form.Steps, row)
		if row.Pattern == "" {
			continue
		}
		step := community.TemplateStep{Kind: row.Kind, Pattern: row.Pattern, Topics: splitList(row.Topics)}
		if row.Count != "" {
			c, err := strconv.Atoi(row.Count)
			if err != nil || c < 1 {
				form.Error = fmt.Sprintf(T(l, "template_bad_count"), i)
				return s.renderTemplates(w, r, http.StatusBadRequest, &form)
			}
			step.Count = c
		}
		t.Steps = append(t.Steps, step)
	}
	err := s.Tree.CreateTemplate(r.Context(), &t, actor(u))
	switch {
	case errkind.Is(err, errkind.Invalid), errkind.Is(err, errkind.Conflict):
		form.Error = T(l, "template_refused") + errkind.Message(err)
		return s.renderTemplates(w, r, http.StatusBadRequest, &form)
	case err != nil:
		return err
	}
	s.done(w, r, "/templates", flash{Key: "flash_template_created"})
	return nil
}

// findTemplate finds one of the organisation's templates.
func (s *Server) findTemplate(r *http.Request, orgID int64) (community.Template, error) {
	id, err := pathID(r, "template")
	if err != nil {
		return community.Template{}, err
	}
	ts, err := s.Tree.Templates(r.Context(), orgID)
	if err != nil {
		return community.Template{}, err
	}
	if i := slices.IndexFunc(ts, func(t community.Template) bool { return t.ID == id }); i >= 0 {
		return ts[i], nil
	}
	return community.Template{}, errkind.New(errkind.NotFound, "no such template")
}

// applyTemplate turns a template into "to create" tasks at a node in the
// account's part of the tree.
func (s *Server) applyTemplate(w http.ResponseWriter, r *http.Request) error {
	f, err := s.nodeForm(r, false)
	if err != nil {
		return err
	}
	t, err := s.findTemplate(r, f.u.OrgID)
	if err != nil {
		return err
	}
	node, err := requiredID(r, "node", false)
	if err != nil {
		return err
	}
	if err := f.placeable(node); err != nil {
		return err
	}
	vars := map[string]string{}
	for _, v := range t.Variables {
		val := strings.TrimSpace(r.PostFormValue("var_" + v))
		if val == "" {
			return refuse("/templates", "flash_apply_values")
		}
		vars[v] = val
	}
	_, created, err := s.Tree.ApplyTemplate(r.Context(), f.u.OrgID, t.ID, node, vars, actor(f.u))
	switch {
	case errkind.Is(err, errkind.Invalid):
		// A value that makes a name too long, or a node gone meanwhile.
		return refuse("/templates", "flash_apply_refused")
	case err != nil:
		return err
	}
	s.changed()
	if created == 0 {
		s.done(w, r, "/templates", flash{Key: "flash_apply_nothing"})
		return nil
	}
	s.done(w, r, "/templates", flash{Key: "flash_applied", ID: int64(created)})
	return nil
}

// bindTask binds an open task to the group created for it under another
// name.
func (s *Server) bindTask(w http.ResponseWriter, r *http.Request) error {
	f, err := s.nodeForm(r, false)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id, err := pathID(r, "task")
	if err != nil {
		return err
	}
	group, err := requiredID(r, "group", false)
	if err != nil {
		return err
	}
	var tasks []community.GroupTask
	var sc scope
	if err := all(
		func() (err error) { tasks, _, err = s.Tree.GroupTasks(ctx, f.u.OrgID, ""); return },
		func() (err error) { sc, err = s.scopeOf(ctx, f.u); return },
		func() error {
			if _, err := s.Store.Group(ctx, f.u.OrgID, group); errkind.Is(err, errkind.NotFound) {
				return errkind.New(errkind.Invalid, "group: no such group")
			} else {
				return err
			}
		},
	); err != nil {
		return err
	}
	i := slices.IndexFunc(tasks, func(t community.GroupTask) bool { return t.ID == id })
	switch {
	case i < 0:
		return errkind.New(errkind.NotFound, "no such task")
	case !f.ns.has(tasks[i].NodeID):
		return errNodeOutOfScope
	case !sc.has(group):
		return errOutOfScope
	}
	_, err = s.Tree.BindTask(ctx, f.u.OrgID, id, group, actor(f.u))
	if errkind.Is(err, errkind.Conflict) {
		return refuse("/templates", "flash_bind_taken")
	}
	if err != nil {
		return err
	}
	s.changed()
	s.done(w, r, "/templates", flash{Key: "flash_bound"})
	return nil
}
