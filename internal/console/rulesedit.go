package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// RulesEditor edits the rules files (organisation default, tree nodes,
// groups) behind the rules in force. Scopes are "default", "node:ID" and
// "group:ID".
type RulesEditor interface {
	// Editable reports whether rules can be edited (a rules directory is
	// configured).
	Editable() bool
	// Source is the scope's rules text ("" when it has none).
	Source(scope string) (string, error)
	// Preview renders group g's rules notice in zh and en as if the
	// scope's text were text, saving nothing; a bad text is an error with
	// file:line.
	Preview(ctx context.Context, g community.Group, scope, text string) (zh, en string, err error)
	// Save checks and saves the scope's text; it applies at once.
	Save(ctx context.Context, scope, text string) error
	// ReplayRules returns the rules each group would have, and the engine
	// to judge with, if the scope's text were text (rules.Replay of an
	// edit before it is saved); the rules in force do not change.
	ReplayRules(scope, text string) (func(community.Group) (*rules.RuleSet, error), *rules.Engine, error)
}

// Auditor records console changes in the audit log.
type Auditor interface {
	AppendAudit(ctx context.Context, e community.AuditEntry) error
}

func (p registryPreview) Editable() bool { return p.reg.Editable() }

func (p registryPreview) Source(scope string) (string, error) {
	sc, err := rules.ParseScope(scope)
	if err != nil {
		return "", err
	}
	return p.reg.Source(sc)
}

func (p registryPreview) Preview(_ context.Context, g community.Group, scope, text string) (string, string, error) {
	sc, err := rules.ParseScope(scope)
	if err != nil {
		return "", "", err
	}
	rs, err := p.reg.Preview(g, sc, text)
	if err != nil {
		return "", "", err
	}
	return rules.Notice(rs, "zh", g.Name), rules.Notice(rs, "en", g.Name), nil
}

func (p registryPreview) ReplayRules(scope, text string) (func(community.Group) (*rules.RuleSet, error), *rules.Engine, error) {
	sc, err := rules.ParseScope(scope)
	if err != nil {
		return nil, nil, err
	}
	e, err := p.reg.PreviewEngine(sc, text)
	if err != nil {
		return nil, nil, err
	}
	return func(g community.Group) (*rules.RuleSet, error) { return p.reg.Preview(g, sc, text) }, e, nil
}

func (p registryPreview) Save(ctx context.Context, scope, text string) error {
	sc, err := rules.ParseScope(scope)
	if err != nil {
		return err
	}
	return p.reg.Save(ctx, sc, text)
}

// maxRulesText bounds an edited rules file.
const maxRulesText = 64 << 10

type scopeChoice struct {
	Value string
	Name  string
}

type rulesEditData struct {
	Editable bool
	rulesScope
	Text      string
	NoticeZh  string
	NoticeEn  string
	Error     template.HTML // what is wrong with the text, in the reader's language
	Previewed bool
	CanSave   bool
	// The replay of the edit (rulesreplay.go): the periods offered, and
	// the job asked for, or gone when it has expired.
	ReplayDays []int
	Replay     *replayView
	ReplayGone bool
}

// editor returns the rules editor, or nil when the console has none.
func (s *Server) editor() RulesEditor {
	if e, ok := s.Rules.(RulesEditor); ok && e.Editable() {
		return e
	}
	return nil
}

// rulesEdit shows a rules file for editing (GET) and previews or saves an
// edit (POST, op=preview|save): the preview renders the chosen group's
// notice from the edited text; a save applies at once, as a changed file
// does, and is recorded in the audit log.
func (s *Server) rulesEdit(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	ed := s.editor()
	d := rulesEditData{Editable: ed != nil, CanSave: u.May(access.EditRules)}
	if ed == nil {
		s.render(w, http.StatusOK, "rules_edit", s.page(r, u, T(l, "rules_edit"), d))
		return
	}
	get := r.URL.Query().Get
	if r.Method == http.MethodPost {
		get = r.PostFormValue
	}
	rsc, err := s.rulesScopes(r, u, get)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.rulesScope = rsc

	if s.Replay != nil {
		d.ReplayDays = replayDays
	}
	if r.Method != http.MethodPost {
		if d.Text, err = ed.Source(d.Scope); err != nil {
			s.renderError(w, r, err)
			return
		}
		if id := r.URL.Query().Get("replay"); id != "" {
			// The replay of an edit: the edit, not the file, in the box.
			if j := s.replays.get(id, u.ID, s.Now()); j != nil && j.scope == d.Scope {
				d.Text, d.Replay, d.Previewed = j.text, j.view(l, s.Location), true
			} else {
				d.ReplayGone = true
			}
		}
		d.NoticeZh, d.NoticeEn, _ = ed.Preview(ctx, d.Group, d.Scope, d.Text)
		p := s.page(r, u, T(l, "rules_edit"), d)
		p.Flash = s.takeFlash(w, r)
		s.render(w, http.StatusOK, "rules_edit", p)
		return
	}
	d.Text = r.PostFormValue("text")
	if utf8.RuneCountInString(d.Text) > maxRulesText {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "rules text: at most %d characters", maxRulesText))
		return
	}
	status := http.StatusOK
	d.Previewed = true
	if d.NoticeZh, d.NoticeEn, err = ed.Preview(ctx, d.Group, d.Scope, d.Text); err != nil {
		d.Error, status = rulesErrorText(l, err), http.StatusUnprocessableEntity
	}
	if op, ok := strings.CutPrefix(r.PostFormValue("op"), "replay-"); ok && d.Error == "" {
		days, err := strconv.Atoi(op)
		if err != nil {
			s.renderError(w, r, errkind.Errorf(errkind.Invalid, "replay %q: want replay-7 or replay-30", op))
			return
		}
		id, err := s.startReplay(ctx, u, ed, d.Scope, d.Text, d.Group.ID, days)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/rules/edit?scope=%s&group=%d&replay=%s", d.Scope, d.Group.ID, id), http.StatusSeeOther)
		return
	}
	if r.PostFormValue("op") == "save" && d.Error == "" {
		if err := s.permit(r, access.EditRules); err != nil {
			s.renderError(w, r, err)
			return
		}
		if err := ed.Save(ctx, d.Scope, d.Text); err != nil {
			d.Error, status = rulesErrorText(l, err), http.StatusUnprocessableEntity
		} else {
			if a, ok := s.Store.(Auditor); ok {
				if err := a.AppendAudit(ctx, community.AuditEntry{OrgID: u.OrgID, Actor: "staff:" + u.Username, Action: "rules.edit", Subject: d.Scope,
					Detail: community.Detail("characters", utf8.RuneCountInString(d.Text))}); err != nil {
					s.Logger.Error("audit a rules edit", "err", err)
				}
			}
			s.setFlash(w, flash{Key: "flash_rules_saved"})
			http.Redirect(w, r, fmt.Sprintf("/rules/edit?scope=%s&group=%d", d.Scope, d.Group.ID), http.StatusSeeOther)
			return
		}
	}
	s.render(w, status, "rules_edit", s.page(r, u, T(l, "rules_edit"), d))
}

// rulesScope is the rules file a page edits: the scopes the account may
// edit, the one chosen, and the groups to preview it for.
type rulesScope struct {
	Groups []community.Group
	Group  community.Group // the group chosen (the first when none is)
	Scopes []scopeChoice
	Scope  string // "default", "node:ID" or "group:ID"
}

// scopeFilter is the form that chooses a rules page's scope and group
// (the template rules-scope-filter).
type scopeFilter struct {
	rulesScope
	Lang       Lang
	Action     string // the page's path
	GroupLabel string // the i18n key of the group's label
}

// Filter is the scope and group form of the page at action.
func (d rulesScope) Filter(l Lang, action, groupLabel string) scopeFilter {
	return scopeFilter{rulesScope: d, Lang: l, Action: action, GroupLabel: groupLabel}
}

// rulesScopes reads the scope and group a request chooses (get: the
// query's or the form's values) and checks them: a scoped account edits
// the rules of its own groups and of the tree nodes at and below its own,
// never the organisation's default.
func (s *Server) rulesScopes(r *http.Request, u *access.User, get func(string) string) (rulesScope, error) {
	ctx, l := r.Context(), langOf(r)
	var d rulesScope
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return d, err
	}
	all, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return d, err
	}
	groups := slices.DeleteFunc(all, func(g community.Group) bool { return !sc.has(g.ID) })
	d.Groups = groups
	if len(groups) > 0 {
		d.Group = groups[0]
	}
	if id := get("group"); id != "" {
		gid, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return d, errkind.New(errkind.NotFound, "no such group")
		}
		if d.Group, err = s.Store.Group(ctx, u.OrgID, gid); err != nil {
			return d, err
		}
		if !sc.has(d.Group.ID) {
			return d, errOutOfScope
		}
	}
	nodes, err := s.Store.Nodes(ctx, u.OrgID)
	if err != nil {
		return d, err
	}
	if !u.Scoped() {
		d.Scopes = []scopeChoice{{"default", T(l, "scope_default")}}
	}
	var mine map[int64]bool // the nodes a scoped account may edit
	if u.ScopeNodeID != 0 {
		mine = subtree(nodes, u.ScopeNodeID)
	}
	for _, n := range nodes {
		if !u.Scoped() || mine[n.ID] {
			d.Scopes = append(d.Scopes, scopeChoice{fmt.Sprintf("node:%d", n.ID), T(l, "scope_node") + " · " + n.Name})
		}
	}
	if d.Group.ID != 0 {
		d.Scopes = append(d.Scopes, scopeChoice{fmt.Sprintf("group:%d", d.Group.ID), T(l, "scope_group") + " · " + d.Group.Name})
	}
	d.Scope = get("scope")
	if d.Scope == "" && len(d.Scopes) > 0 {
		d.Scope = d.Scopes[0].Value
	}
	scope, err := rules.ParseScope(d.Scope)
	if err != nil {
		return d, err
	}
	switch {
	case !u.Scoped():
	case scope.Kind == "node" && mine[scope.ID], scope.Kind == "group" && sc.has(scope.ID):
	default:
		// Another group's or node's rules, or the organisation's default.
		return d, errOutOfScope
	}
	return d, nil
}
