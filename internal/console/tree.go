package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The tree and the groups in it, as workflows: create, rename, move and
// delete tree nodes; a group's kind, node, capacity, lifecycle, profile,
// invite link and checklist (groupsettings.go); templates and their "to
// create" tasks (grouptemplates.go); staff roles (roles.go). The domain
// and its rules are internal/community's and the store's; these handlers
// check who may do what where, and say in the reader's language what is
// wrong with a form.

// TreeSource is what the tree, group and role workflows read and write.
// internal/store implements it.
type TreeSource interface {
	AddNode(ctx context.Context, n *community.Node, actor string) error
	UpdateNode(ctx context.Context, orgID, id int64, name *string, parentID *int64, actor string) (community.Node, error)
	DeleteNode(ctx context.Context, orgID, id, moveTo int64, actor string) (community.NodeDeletion, error)
	UpdateGroup(ctx context.Context, orgID, id int64, p community.GroupPatch, actor string) (community.Group, error)
	GroupProfile(ctx context.Context, orgID, groupID int64) (community.Profile, error)
	SetGroupProfile(ctx context.Context, orgID int64, p community.Profile, actor string) (community.Profile, error)
	GroupChecklist(ctx context.Context, orgID, groupID int64) ([]community.CheckItem, error)
	InviteURL(ctx context.Context, groupID int64) (string, error)
	SetInviteURL(ctx context.Context, orgID, groupID int64, url, actor string) error
	SetGroupBotLang(ctx context.Context, orgID, groupID int64, lang, actor string) error
	Templates(ctx context.Context, orgID int64) ([]community.Template, error)
	CreateTemplate(ctx context.Context, t *community.Template, actor string) error
	ApplyTemplate(ctx context.Context, orgID, templateID, nodeID int64, vars map[string]string, actor string) ([]community.GroupTask, int, error)
	GroupTasks(ctx context.Context, orgID int64, status community.TaskStatus) ([]community.GroupTask, int, error)
	BindTask(ctx context.Context, orgID, taskID, groupID int64, actor string) (community.GroupTask, error)
	SetGroupRole(ctx context.Context, c community.RoleChange) (community.RoleChanged, error)
	FindPeople(ctx context.Context, orgID int64, text string, groups []int64, limit int) ([]community.PersonMatch, error)
}

func (s *Server) treeRoutes(mux *http.ServeMux) {
	w := func(p access.Permission, h formHandler) http.HandlerFunc {
		return s.auth(s.needs("structure", s.may(p, s.form(h))))
	}
	mux.HandleFunc("POST /tree/nodes", w(access.EditTree, s.createNode))
	mux.HandleFunc("POST /tree/nodes/{id}/rename", w(access.EditTree, s.renameNode))
	mux.HandleFunc("POST /tree/nodes/{id}/move", w(access.EditTree, s.moveNode))
	mux.HandleFunc("POST /tree/nodes/{id}/delete", w(access.EditTree, s.deleteNode))
	mux.HandleFunc("GET /groups/{id}/settings", s.auth(s.needs("structure", s.form(s.groupSettings))))
	mux.HandleFunc("POST /groups/{id}/settings", w(access.EditGroup, s.saveGroupSettings))
	mux.HandleFunc("POST /groups/{id}/archive", w(access.ArchiveGroup, s.archiveGroup))
	mux.HandleFunc("POST /groups/{id}/reopen", w(access.ArchiveGroup, s.reopenGroup))
	mux.HandleFunc("POST /groups/{id}/profile", w(access.EditGroup, s.saveProfile))
	mux.HandleFunc("POST /groups/{id}/kols", w(access.EditGroup, s.changeKOLs))
	mux.HandleFunc("POST /groups/{id}/invite-link", w(access.EditGroup, s.saveInviteLink))
	mux.HandleFunc("POST /groups/{id}/bot-lang", w(access.EditGroup, s.saveBotLang))
	mux.HandleFunc("POST /groups/{id}/roles", w(access.SetStaffRole, s.setRole)) // 群主 and 秘书长 need SetLeaderRole too (setRole)
	mux.HandleFunc("GET /templates", s.auth(s.needs("templates", s.form(s.templatesPage))))
	mux.HandleFunc("POST /templates", w(access.EditTemplates, s.createTemplate))
	mux.HandleFunc("POST /templates/{id}/apply", w(access.ApplyTemplate, s.applyTemplate))
	mux.HandleFunc("POST /templates/tasks/{id}/bind", w(access.ApplyTemplate, s.bindTask))
	mux.HandleFunc("GET /people", s.auth(s.needs("structure", s.form(s.findPeople))))
}

// formHandler is a page or form of these workflows: an error it returns
// is shown as the error page, or, a refusal, as a flash on the page the
// form leads back to.
type formHandler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) form(h formHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		var no refusal
		switch {
		case err == nil:
		case errors.As(err, &no):
			s.done(w, r, no.to, flash{Key: no.key, ID: no.n, Error: true})
		default:
			s.renderError(w, r, err)
		}
	}
}

// refusal is what is wrong with a form that the operator can put right:
// the flash that says it (an i18n key, with a number) on the page to.
type refusal struct {
	to, key string
	n       int64
}

func (e refusal) Error() string { return "refused: " + e.key }

func refuse(to, key string) error { return refusal{to: to, key: key} }

// all runs reads in order and returns the first error.
func all(reads ...func() error) error {
	for _, read := range reads {
		if err := read(); err != nil {
			return err
		}
	}
	return nil
}

// actor is how the audit log names a console account.
func actor(u *access.User) string { return "staff:" + u.Username }

// changed tells the ingester to drop what it caches about groups and
// memberships after a write.
func (s *Server) changed() {
	if s.OnChange != nil {
		s.OnChange()
	}
}

// done redirects to a page that shows the outcome of a form once.
func (s *Server) done(w http.ResponseWriter, r *http.Request, to string, f flash) {
	s.setFlash(w, f)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// requiredID reads a form field holding an id; a missing or bad one is
// bad input (the forms always send one). zero allows 0 (none).
func requiredID(r *http.Request, field string, zero bool) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 || (id == 0 && !zero) {
		return 0, errkind.Errorf(errkind.Invalid, "%s: want an id, got %q", field, v)
	}
	return id, nil
}

// nodeScope is the part of the tree an account may edit: all of it for a
// manager; a secretary's node and the nodes below it, of which she may
// add under her own node but not rename, move or delete it (a manager set
// it as her scope); nothing for an account scoped to one group.
type nodeScope struct {
	all   bool
	root  int64
	nodes map[int64]bool
}

func nodeScopeOf(u *access.User, nodes []community.Node) nodeScope {
	if !u.Scoped() {
		return nodeScope{all: true}
	}
	if u.ScopeNodeID == 0 {
		return nodeScope{nodes: map[int64]bool{}}
	}
	return nodeScope{root: u.ScopeNodeID, nodes: subtree(nodes, u.ScopeNodeID)}
}

// has reports whether a node (0: the top of the tree) is in the scope.
func (ns nodeScope) has(id int64) bool { return ns.all || (id != 0 && ns.nodes[id]) }

// editable reports whether the account may rename, move or delete a node.
func (ns nodeScope) editable(id int64) bool { return ns.all || (ns.nodes[id] && id != ns.root) }

// errNodeOutOfScope refuses a node outside the account's part of the tree.
var errNodeOutOfScope = errkind.New(errkind.Forbidden, "这个节点不在你负责的范围内。This node is outside your part of the organisation.")

// treeOption is a choice of a form: a node or a group by its name (a node
// by its path).
type treeOption struct {
	ID    int64
	Label string
}

// nodePaths names each node by its path from the top: 公司 / 学院 / 阳新分院.
func nodePaths(nodes []community.Node) map[int64]string {
	byID := map[int64]community.Node{}
	for _, n := range nodes {
		byID[n.ID] = n
	}
	out := map[int64]string{}
	for _, n := range nodes {
		parts := []string{n.Name}
		for p, hops := n.ParentID, 0; p != 0 && hops < 64; p, hops = byID[p].ParentID, hops+1 {
			if _, ok := byID[p]; !ok {
				break
			}
			parts = append(parts, byID[p].Name)
		}
		slices.Reverse(parts)
		out[n.ID] = strings.Join(parts, " / ")
	}
	return out
}

// nodeOptions lists the nodes in the scope by path, in tree order,
// leaving out those in skip.
func nodeOptions(nodes []community.Node, ns nodeScope, skip map[int64]bool) []treeOption {
	ordered, _ := tree(nodes)
	paths := nodePaths(nodes)
	var out []treeOption
	for _, n := range ordered {
		if ns.has(n.ID) && !skip[n.ID] {
			out = append(out, treeOption{n.ID, paths[n.ID]})
		}
	}
	return out
}

// treeForm is a tree node form's context: the nodes, the account's scope
// and the node acted on (when the path names one).
type treeForm struct {
	u     *access.User
	nodes []community.Node
	ns    nodeScope
	node  community.Node
}

// nodeForm reads the account's tree and, for /tree/nodes/{id}/…, the node
// acted on, which must be one the account may edit.
func (s *Server) nodeForm(r *http.Request, withNode bool) (treeForm, error) {
	u := userOf(r)
	nodes, err := s.Store.Nodes(r.Context(), u.OrgID)
	if err != nil {
		return treeForm{}, err
	}
	f := treeForm{u: u, nodes: nodes, ns: nodeScopeOf(u, nodes)}
	if !withNode {
		return f, nil
	}
	id, err := pathID(r, "node")
	if err != nil {
		return f, err
	}
	i := slices.IndexFunc(nodes, func(n community.Node) bool { return n.ID == id })
	if i < 0 {
		return f, errkind.New(errkind.NotFound, "no such node")
	}
	f.node = nodes[i]
	if !f.ns.editable(id) {
		return f, errNodeOutOfScope
	}
	return f, nil
}

// nodeName reads a node's name from a form.
func nodeName(r *http.Request) (string, error) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return name, refuse(treePath, "flash_node_name")
	}
	return name, nil
}

// treePath is where a tree form leads back to: the tree page, whose top
// shows the form's outcome. (A node's anchor would scroll the outcome out
// of sight on a phone; a confirmation's 取消 leads to it.)
const treePath = "/tree"

// nodeAnchor is a node on the tree page.
func nodeAnchor(id int64) string { return fmt.Sprintf("/tree#node-%d", id) }

// placeable reports whether the account may put something under parent
// (0: the top of the tree, for a manager).
func (f treeForm) placeable(parent int64) error {
	switch {
	case parent == 0 && f.ns.all:
		return nil
	case !f.ns.has(parent):
		return errNodeOutOfScope
	case !slices.ContainsFunc(f.nodes, func(n community.Node) bool { return n.ID == parent }):
		return errkind.New(errkind.Invalid, "no such node")
	}
	return nil
}

func (s *Server) createNode(w http.ResponseWriter, r *http.Request) error {
	f, err := s.nodeForm(r, false)
	if err != nil {
		return err
	}
	parent, err := requiredID(r, "parent", true)
	if err != nil {
		return err
	}
	kind := community.NodeKind(r.PostFormValue("kind"))
	if !kind.Valid() {
		return errkind.Errorf(errkind.Invalid, "kind: unknown node kind %q", kind)
	}
	if err := f.placeable(parent); err != nil {
		return err
	}
	name, err := nodeName(r)
	if err != nil {
		return err
	}
	n := community.Node{OrgID: f.u.OrgID, ParentID: parent, Name: name, Kind: kind}
	if err := s.Tree.AddNode(r.Context(), &n, actor(f.u)); err != nil {
		return err
	}
	s.done(w, r, treePath, flash{Key: "flash_node_created"})
	return nil
}

func (s *Server) renameNode(w http.ResponseWriter, r *http.Request) error {
	f, err := s.nodeForm(r, true)
	if err != nil {
		return err
	}
	name, err := nodeName(r)
	if err != nil {
		return err
	}
	if _, err := s.Tree.UpdateNode(r.Context(), f.u.OrgID, f.node.ID, &name, nil, actor(f.u)); err != nil {
		return err
	}
	s.done(w, r, treePath, flash{Key: "flash_node_renamed"})
	return nil
}

func (s *Server) moveNode(w http.ResponseWriter, r *http.Request) error {
	f, err := s.nodeForm(r, true)
	if err != nil {
		return err
	}
	parent, err := requiredID(r, "parent", true)
	if err != nil {
		return err
	}
	if err := f.placeable(parent); err != nil {
		return err
	}
	if parent == f.node.ID || subtree(f.nodes, f.node.ID)[parent] {
		// A node cannot go under itself or what is below it.
		return refuse(treePath, "flash_node_cycle")
	}
	if _, err := s.Tree.UpdateNode(r.Context(), f.u.OrgID, f.node.ID, nil, &parent, actor(f.u)); err != nil {
		return err
	}
	s.done(w, r, treePath, flash{Key: "flash_node_moved"})
	return nil
}

// deleteNode deletes a node after confirmation, moving what it holds (its
// child nodes, groups, the console accounts scoped to it and the tasks
// placed at it) to the node the form names.
func (s *Server) deleteNode(w http.ResponseWriter, r *http.Request) error {
	f, err := s.nodeForm(r, true)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := langOf(r)
	moveTo, err := requiredID(r, "move_to", true)
	if err != nil {
		return err
	}
	groups, err := s.Store.Groups(ctx, f.u.OrgID)
	if err != nil {
		return err
	}
	children, held := 0, 0
	for _, n := range f.nodes {
		if n.ParentID == f.node.ID {
			children++
		}
	}
	for _, g := range groups {
		if g.NodeID == f.node.ID {
			held++
		}
	}
	switch {
	case moveTo != 0 && !f.ns.has(moveTo):
		return errNodeOutOfScope
	case moveTo != 0 && subtree(f.nodes, f.node.ID)[moveTo]:
		return refuse(treePath, "flash_node_move_below")
	case moveTo == 0 && children+held > 0:
		return refuse(treePath, "flash_node_holds")
	}
	paths := nodePaths(f.nodes)
	q := fmt.Sprintf(T(l, "confirm_node_delete"), paths[f.node.ID])
	if moveTo != 0 {
		q = fmt.Sprintf(T(l, "confirm_node_delete_move"), paths[f.node.ID], children, held, paths[moveTo])
	}
	if !s.confirmed(w, r, q, nodeAnchor(f.node.ID)) {
		return nil
	}
	d, err := s.Tree.DeleteNode(ctx, f.u.OrgID, f.node.ID, moveTo, actor(f.u))
	if errkind.Is(err, errkind.Conflict) {
		// Console accounts or tasks without a place to go, or partner
		// seats at the node.
		return refuse(treePath, "flash_node_conflict")
	}
	if err != nil {
		return err
	}
	s.changed()
	s.done(w, r, treePath, flash{Key: "flash_node_deleted", ID: int64(d.Groups)})
	return nil
}
