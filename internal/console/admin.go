package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Administration, for managers (access.ManageAccounts, ManageTokens): the
// console accounts — created with a role and a part of the tree picked by
// name, a new password shown once, disabled and enabled — and the API
// tokens — created with their scope, the secret shown once, revoked. A
// new password and disabling end the account's sessions at once; a
// revoked token authenticates nothing from then on.

func (s *Server) adminRoutes(mux *http.ServeMux) {
	accounts := func(h http.HandlerFunc) http.HandlerFunc {
		return s.auth(s.needs("accounts", s.may(access.ManageAccounts, h)))
	}
	tokens := func(h http.HandlerFunc) http.HandlerFunc {
		return s.auth(s.needs("accounts", s.may(access.ManageTokens, h)))
	}
	mux.HandleFunc("GET /accounts", accounts(s.accounts))
	mux.HandleFunc("POST /accounts", accounts(s.createAccount))
	mux.HandleFunc("POST /accounts/{id}/password", accounts(s.resetPassword))
	mux.HandleFunc("POST /accounts/{id}/disable", accounts(s.setDisabled(true)))
	mux.HandleFunc("POST /accounts/{id}/enable", accounts(s.setDisabled(false)))
	mux.HandleFunc("GET /tokens", tokens(s.tokens))
	mux.HandleFunc("POST /tokens", tokens(s.createToken))
	mux.HandleFunc("POST /tokens/{id}/revoke", tokens(s.revokeToken))
}

// consoleRoles are the roles an account may have, in the form's order.
var consoleRoles = []access.Role{access.Manager, access.Secretary, access.Assistant, access.Viewer}

// accountForm is what the create form was sent with, to show it again
// with what is wrong.
type accountForm struct {
	Username string
	Role     access.Role
	Scope    string // "", "node:ID" or "group:ID"
}

type accountsData struct {
	Users  []accountRow
	Roles  []access.Role
	Nodes  []scopeChoice // "node:ID", named by their path
	Groups []scopeChoice // "group:ID", named by the group
	Form   accountForm
	Error  string
	Me     int64
}

// scopeNames names the parts of the tree an account may be given: every
// node by its path ("湖北农夫电商 / 阳新县"), every group by its name.
func (s *Server) scopeNames(ctx context.Context, l Lang, orgID int64) (nodes, groups []scopeChoice, name map[string]template.HTML, err error) {
	ns, err := s.Store.Nodes(ctx, orgID)
	if err != nil {
		return nil, nil, nil, err
	}
	gs, err := s.Store.Groups(ctx, orgID)
	if err != nil {
		return nil, nil, nil, err
	}
	name = map[string]template.HTML{"": esc(T(l, "acct_whole_org"))}
	paths := nodePaths(ns)
	for _, n := range ns {
		v := fmt.Sprintf("node:%d", n.ID)
		nodes = append(nodes, scopeChoice{v, paths[n.ID]})
		name[v] = esc(T(l, "acct_scope_node")+" · ") + ud(paths[n.ID])
	}
	slices.SortFunc(nodes, func(a, b scopeChoice) int { return strings.Compare(a.Name, b.Name) })
	for _, g := range gs {
		if g.Lifecycle == community.Archived {
			continue
		}
		v := fmt.Sprintf("group:%d", g.ID)
		groups = append(groups, scopeChoice{v, g.Name})
		name[v] = esc(T(l, "acct_scope_group")+" · ") + ud(g.Name)
	}
	return nodes, groups, name, nil
}

// scopeValue is an account's part of the tree as the form names it.
func scopeValue(u access.User) string {
	switch {
	case u.ScopeNodeID != 0:
		return fmt.Sprintf("node:%d", u.ScopeNodeID)
	case u.ScopeGroupID != 0:
		return fmt.Sprintf("group:%d", u.ScopeGroupID)
	}
	return ""
}

func (s *Server) accounts(w http.ResponseWriter, r *http.Request) {
	s.showAccounts(w, r, http.StatusOK, accountForm{Role: access.Secretary}, "")
}

// showAccounts renders the accounts page, with the create form as sent
// and what is wrong with it (msg, already translated) when status is 400.
func (s *Server) showAccounts(w http.ResponseWriter, r *http.Request, status int, form accountForm, msg string) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	users, err := s.Accounts.Users(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := accountsData{Roles: consoleRoles, Form: form, Error: msg, Me: u.ID}
	var names map[string]template.HTML
	if d.Nodes, d.Groups, names, err = s.scopeNames(ctx, l, u.OrgID); err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, a := range users {
		d.Users = append(d.Users, accountRow{User: a, Scope: names[scopeValue(a)]})
	}
	p := s.page(r, u, T(l, "accounts"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, status, "accounts", p)
}

// createAccount creates an account with a generated password, which the
// answer shows once: POST /accounts with username, role and scope.
func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	form := accountForm{Username: strings.TrimSpace(r.PostFormValue("username")), Role: access.Role(r.PostFormValue("role")), Scope: r.PostFormValue("scope")}
	a := access.User{OrgID: u.OrgID, Username: form.Username, Role: form.Role}
	kind, id, _ := strings.Cut(form.Scope, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	switch {
	case form.Scope == "":
	case err == nil && n > 0 && kind == "node":
		a.ScopeNodeID = n
	case err == nil && n > 0 && kind == "group":
		a.ScopeGroupID = n
	default:
		s.showAccounts(w, r, http.StatusBadRequest, form, T(l, "acct_bad_scope"))
		return
	}
	switch {
	case access.ValidUsername(a.Username) != nil:
		s.showAccounts(w, r, http.StatusBadRequest, form, T(l, "acct_bad_name"))
		return
	case !slices.Contains(consoleRoles, a.Role):
		s.showAccounts(w, r, http.StatusBadRequest, form, T(l, "acct_bad_role"))
		return
	case a.Role == access.Manager && form.Scope != "":
		s.showAccounts(w, r, http.StatusBadRequest, form, T(l, "acct_manager_scope"))
		return
	case a.Role != access.Manager && form.Scope == "":
		s.showAccounts(w, r, http.StatusBadRequest, form, T(l, "acct_need_scope"))
		return
	}
	password := NewPassword()
	if a.PasswordHash, err = HashPassword(password); err != nil {
		s.renderError(w, r, err)
		return
	}
	switch err := s.Accounts.CreateUserAs(r.Context(), &a, "staff:"+u.Username); {
	case errkind.Is(err, errkind.Conflict):
		s.showAccounts(w, r, http.StatusConflict, form, T(l, "acct_taken"))
		return
	case errkind.Is(err, errkind.NotFound), errkind.Is(err, errkind.Invalid):
		s.showAccounts(w, r, http.StatusBadRequest, form, T(l, "acct_bad_scope"))
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	s.showSecret(w, r, secretView{Title: T(l, "acct_created"), Who: a.Username, What: T(l, "acct_password"), Secret: password, Note: T(l, "acct_password_note"), Back: "/accounts"})
}

// account reads the account {id} of the path, in the manager's
// organisation.
func (s *Server) account(r *http.Request) (access.User, error) {
	id, err := pathID(r, "account")
	if err != nil {
		return access.User{}, err
	}
	return s.Accounts.User(r.Context(), userOf(r).OrgID, id)
}

// resetPassword gives an account a new generated password, shown once,
// and ends its sessions: POST /accounts/{id}/password (confirmed).
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	a, err := s.account(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if !s.confirmed(w, r, fmt.Sprintf(T(l, "acct_reset_q"), a.Username), "/accounts") {
		return
	}
	password := NewPassword()
	hash, err := HashPassword(password)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := s.Accounts.SetPassword(r.Context(), u.OrgID, a.ID, hash, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.showSecret(w, r, secretView{Title: T(l, "acct_reset_done"), Who: a.Username, What: T(l, "acct_password"), Secret: password, Note: T(l, "acct_reset_note"), Back: "/accounts"})
}

// setDisabled disables (confirmed; it ends the account's sessions) or
// enables an account. A manager does not disable her own account, nor the
// last enabled manager (the store refuses).
func (s *Server) setDisabled(disable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := userOf(r)
		l := langOf(r)
		a, err := s.account(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		f := flash{Key: "flash_acct_enabled"}
		if disable {
			if a.ID == u.ID {
				s.setFlash(w, flash{Key: "flash_acct_self", Error: true})
				http.Redirect(w, r, "/accounts", http.StatusSeeOther)
				return
			}
			if !s.confirmed(w, r, fmt.Sprintf(T(l, "acct_disable_q"), a.Username), "/accounts") {
				return
			}
			f.Key = "flash_acct_disabled"
		}
		conflict := flash{Key: "flash_acct_unchanged", Error: true}
		if disable && a.Role == access.Manager && !a.Disabled {
			conflict.Key = "flash_acct_last_manager"
		}
		err = s.Accounts.SetUserDisabled(r.Context(), u.OrgID, a.ID, disable, "staff:"+u.Username)
		s.doneOrRefused(w, r, err, f, conflict, "/accounts")
	}
}

// doneOrRefused ends a form that changed something: it flashes ok, or
// conflict when the change was refused as a conflict (made already, or
// not allowed now), and goes back; any other error is the error page.
func (s *Server) doneOrRefused(w http.ResponseWriter, r *http.Request, err error, ok, conflict flash, back string) {
	switch {
	case errkind.Is(err, errkind.Conflict):
		ok = conflict
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, ok)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// tokenForm is what the create form was sent with.
type tokenForm struct {
	Name  string
	Scope string   // admin, read or ops
	Roles []string // the operations-centre roles of an ops token
}

type tokensData struct {
	Tokens   []access.TokenInfo
	Scopes   []string // the form's choices: read, admin, ops
	OpsRoles []opsRole
	Form     tokenForm
	Error    string
}

// opsRole is an operations-centre role in the form.
type opsRole struct {
	Name     string
	Selected bool
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	s.showTokens(w, r, http.StatusOK, tokenForm{Scope: access.ScopeRead}, "")
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, status int, form tokenForm, msg string) {
	u := userOf(r)
	l := langOf(r)
	list, err := s.Accounts.Tokens(r.Context(), u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := tokensData{Scopes: []string{access.ScopeRead, access.ScopeAdmin, "ops"}, Form: form, Error: msg}
	for _, r := range access.OpsRoles {
		d.OpsRoles = append(d.OpsRoles, opsRole{r, slices.Contains(form.Roles, r)})
	}
	d.Tokens = list
	p := s.page(r, u, T(l, "api_tokens"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, status, "tokens", p)
}

// createToken creates an API token and shows its secret once: POST
// /tokens with name, scope (admin, read, ops) and, for ops, roles.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	form := tokenForm{Name: strings.TrimSpace(r.PostFormValue("name")), Scope: r.PostFormValue("scope"), Roles: r.PostForm["roles"]}
	scope := form.Scope
	switch {
	case access.ValidTokenName(form.Name) != nil:
		s.showTokens(w, r, http.StatusBadRequest, form, T(l, "token_bad_name"))
		return
	case scope == "ops" && len(form.Roles) == 0:
		s.showTokens(w, r, http.StatusBadRequest, form, T(l, "token_need_roles"))
		return
	case scope == "ops":
		scope = access.ScopeOps + strings.Join(form.Roles, ",")
	}
	if access.ValidScope(scope) != nil {
		s.showTokens(w, r, http.StatusBadRequest, form, T(l, "token_bad_scope"))
		return
	}
	_, secret, err := s.Accounts.CreateTokenAs(r.Context(), u.OrgID, form.Name, scope, "staff:"+u.Username)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.showSecret(w, r, secretView{Title: T(l, "token_created"), Who: form.Name + " · " + tokenScope(l, scope), What: T(l, "token_secret"), Secret: secret, Note: T(l, "token_secret_note"), Back: "/tokens"})
}

// revokeToken revokes a token (confirmed): POST /tokens/{id}/revoke.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	id, err := pathID(r, "token")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	list, err := s.Accounts.Tokens(r.Context(), u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	i := slices.IndexFunc(list, func(t access.TokenInfo) bool { return t.ID == id })
	if i < 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such token"))
		return
	}
	if !s.confirmed(w, r, fmt.Sprintf(T(l, "token_revoke_q"), list[i].Name), "/tokens") {
		return
	}
	err = s.Accounts.RevokeToken(r.Context(), u.OrgID, id, "staff:"+u.Username)
	s.doneOrRefused(w, r, err, flash{Key: "flash_token_revoked"}, flash{Key: "flash_token_was_revoked", Error: true}, "/tokens")
}

// secretView is a secret shown once: a new account's or a reset password,
// a new API token.
type secretView struct {
	Title  string // what happened
	Who    string // the account or the token
	What   string // what the secret is
	Secret string
	Note   string // what to do with it
	Back   string
}

// showSecret renders a secret once; the answer is not cached.
func (s *Server) showSecret(w http.ResponseWriter, r *http.Request, v secretView) {
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "secret", s.page(r, userOf(r), v.Title, v))
}
