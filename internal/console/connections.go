package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The connections pages (managers): every platform connection, whether
// qunzhu.toml or the console defines it, with its state and the replica
// holding it; a form per platform to connect one without editing a file
// (its token checked with the platform before it is stored); and a page
// per connection that says what to do next — add the bot to a group,
// paste the address and token into NapCat, set the callback URL in the
// WeCom admin — with its settings (secrets only by their last four
// characters), and restart, stop, start and delete.

// ConnectionAdmin adds, changes and removes the console's connections;
// the service implements it. Errors about the form are *ConnectionError
// (errkind.Invalid); a connection of qunzhu.toml is refused (Forbidden).
type ConnectionAdmin interface {
	CreateConnection(ctx context.Context, in ConnectionInput) (ConnectionCreated, error)
	UpdateConnection(ctx context.Context, name string, in ConnectionInput) error
	RestartConnection(ctx context.Context, name, actor string) error
	SetConnectionEnabled(ctx context.Context, name string, on bool, actor string) error
	// DeleteConnection deletes it; its groups stay, disconnected.
	DeleteConnection(ctx context.Context, name, actor string) error
	// RenewConnectionSecret replaces the token a OneBot implementation or
	// a bridge authenticates with, returning the new one (shown once).
	RenewConnectionSecret(ctx context.Context, name, actor string) (ConnectionCreated, error)
}

// ConnectionInput is a connection form as posted.
type ConnectionInput struct {
	OrgID    int64
	Actor    string // "staff:<username>"
	Platform string
	Name     string
	// Fields are the form's settings by key (bot_token, mode, …). A
	// secret left empty on an edit keeps the stored one.
	Fields map[string]string
}

// ConnectionCreated is what creating a connection (or renewing its token)
// generated: secrets the platform side needs, shown this once.
type ConnectionCreated struct {
	Name    string
	Secrets []Revealed
}

// Revealed is a generated secret, shown once: Key is its setting.
type Revealed struct{ Key, Value string }

// ConnectionError is a form field the connection was refused for: Reason
// is an i18n key (conn_err_…), Detail the platform's or the check's own
// words, shown after it.
type ConnectionError struct {
	Field, Reason, Detail string
}

func (e *ConnectionError) Error() string {
	if e.Detail == "" {
		return e.Field + ": " + e.Reason
	}
	return e.Field + ": " + e.Reason + ": " + e.Detail
}

// The states of a connection (ConnectionDetail.State).
const (
	ConnOK       = "ok"       // it works
	ConnProblem  = "problem"  // it runs, and something is wrong (Problem says what)
	ConnStopped  = "stopped"  // stopped in the console, or disabled in the file
	ConnWaiting  = "waiting"  // no replica holds it yet
	ConnStarting = "starting" // just started here, not connected yet
	ConnBroken   = "broken"   // its settings cannot be used (Problem says why)
	ConnClash    = "clash"    // a console connection whose name qunzhu.toml took
)

// ConnectionDetail is what the connections pages show of a connection
// besides its name, platform and problem.
type ConnectionDetail struct {
	Source   string // "file" (qunzhu.toml: read-only here) or "console"
	Enabled  bool
	State    string // ConnOK, ConnProblem…
	Holder   string // the replica holding it; "" when none does
	HeldHere bool   // the replica that serves this page holds it
	// Settings are its settings by key, secrets masked (••••1234).
	Settings  map[string]string
	Info      map[string]string // what verifying it learnt (the bot's username)
	UpdatedAt time.Time
	// AddLink adds a Telegram bot to a group of the user's choice.
	AddLink string
}

// SetupSource keeps whether the first-run checklist was dismissed.
type SetupSource interface {
	SetupDismissed(ctx context.Context, orgID int64) (bool, error)
	DismissSetup(ctx context.Context, orgID int64, actor string) error
}

func (s *Server) connectionRoutes(mux *http.ServeMux) {
	manage := func(h http.HandlerFunc) http.HandlerFunc {
		return s.auth(s.may(access.ManageConnections, s.needs("connections", h)))
	}
	mux.HandleFunc("GET /connections", manage(s.connectionsPage))
	mux.HandleFunc("GET /connections/new", manage(s.newConnection))
	mux.HandleFunc("POST /connections", manage(s.createConnection))
	mux.HandleFunc("GET /connections/{name}", manage(s.connectionPage))
	mux.HandleFunc("POST /connections/{name}", manage(s.updateConnection))
	mux.HandleFunc("POST /connections/{name}/restart", manage(s.restartConnection))
	mux.HandleFunc("POST /connections/{name}/stop", manage(s.stopConnection))
	mux.HandleFunc("POST /connections/{name}/start", manage(s.startConnection))
	mux.HandleFunc("POST /connections/{name}/delete", manage(s.deleteConnection))
	mux.HandleFunc("POST /connections/{name}/token", manage(s.renewConnectionToken))
	mux.HandleFunc("POST /setup/dismiss", s.auth(s.may(access.ManageConnections, s.dismissSetup)))
}

// connField is a setting a connection form asks for.
type connField struct {
	Key      string
	Secret   bool     // shown masked, kept when left empty on an edit
	Required bool     // on creation
	Choices  []string // a select of these; a text field when empty
	Advanced bool     // under "advanced"
}

// connForms are the forms' fields per platform. Secrets qunzhu generates
// (a OneBot token, a bridge's token) are not asked for.
var connForms = map[string][]connField{
	"telegram": {{Key: "bot_token", Secret: true, Required: true}, {Key: "mode", Choices: []string{"polling", "webhook"}}, {Key: "api_url", Advanced: true}},
	"onebot":   {{Key: "self_id"}},
	"matrix":   {{Key: "homeserver", Required: true}, {Key: "access_token", Secret: true, Required: true}},
	"wecom": {{Key: "corp_id", Required: true}, {Key: "agent_id", Required: true}, {Key: "secret", Secret: true, Required: true},
		{Key: "callback_token", Secret: true, Required: true}, {Key: "encoding_aes_key", Secret: true, Required: true}, {Key: "api_url", Advanced: true}},
	"webhook": {{Key: "push_url"}},
}

// connPlatforms are the platforms offered, in order.
var connPlatforms = connections.Platforms

// formField is a field as the form shows it.
type formField struct {
	connField
	Lang     Lang
	Platform string
	Value    string // what was typed (never a secret's)
	Stored   string // a stored secret, masked
	Error    string // why it was refused, translated
}

type connForm struct {
	Lang     Lang
	Platform string
	Name     string
	Editing  bool
	Fields   []formField
	Error    string // a refusal not about one field
}

// formFor builds a platform's form, with the values posted (or stored).
func formFor(l Lang, platform, name string, values, stored map[string]string, err error) connForm {
	f := connForm{Lang: l, Platform: platform, Name: name, Editing: stored != nil}
	var ce *ConnectionError
	errors.As(err, &ce)
	placed := false
	for _, cf := range connForms[platform] {
		ff := formField{connField: cf, Lang: l, Platform: platform}
		if !cf.Secret {
			ff.Value = values[cf.Key]
		}
		if stored != nil {
			if cf.Secret {
				ff.Stored = stored[cf.Key]
			} else if _, posted := values[cf.Key]; !posted {
				ff.Value = stored[cf.Key]
			}
		}
		if ce != nil && ce.Field == cf.Key {
			ff.Error, placed = connErrText(l, ce), true
		}
		f.Fields = append(f.Fields, ff)
	}
	if err != nil && !placed {
		if ce != nil {
			f.Error = connErrText(l, ce)
		} else {
			f.Error = errkind.Message(err)
		}
	}
	return f
}

// HasAdvanced reports whether the form has fields under "advanced".
func (f connForm) HasAdvanced() bool {
	return slices.ContainsFunc(f.Fields, func(ff formField) bool { return ff.Advanced })
}

func connErrText(l Lang, e *ConnectionError) string {
	msg := T(l, e.Reason)
	if e.Detail != "" {
		msg += "（" + e.Detail + "）"
		if l == En {
			msg = T(l, e.Reason) + " (" + e.Detail + ")"
		}
	}
	return msg
}

// connectionList is the connections page's data.
type connectionList struct {
	Connections []ConnectionStatus
	Platforms   []string
	Groups      map[string]int // groups per connection
}

func (s *Server) connectionsPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	groups, err := s.Store.Groups(r.Context(), u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := connectionList{Connections: s.connectionStatuses(), Platforms: connPlatforms, Groups: map[string]int{}}
	for _, g := range groups {
		d.Groups[g.Connection]++
	}
	p := s.page(r, u, T(langOf(r), "connections"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "connections", p)
}

// connectionStatuses lists every connection, sorted by name.
func (s *Server) connectionStatuses() []ConnectionStatus {
	var out []ConnectionStatus
	if s.Connections != nil {
		out = s.Connections()
	}
	slices.SortStableFunc(out, func(a, b ConnectionStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// connection finds one by name; NotFound when there is none.
func (s *Server) connection(r *http.Request) (ConnectionStatus, error) {
	name := r.PathValue("name")
	for _, c := range s.connectionStatuses() {
		if c.Name == name && c.State != ConnClash {
			return c, nil
		}
	}
	return ConnectionStatus{}, errkind.Errorf(errkind.NotFound, "no connection %q", name)
}

func (s *Server) newConnection(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	platform := r.URL.Query().Get("platform")
	if !slices.Contains(connPlatforms, platform) {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "conn_err_platform")))
		return
	}
	s.newForm(w, r, http.StatusOK, formFor(l, platform, "", nil, nil, nil))
}

// newForm renders the form that adds a connection.
func (s *Server) newForm(w http.ResponseWriter, r *http.Request, status int, f connForm) {
	d := connectionPageData{New: true, Form: f, Conn: ConnectionStatus{Platform: f.Platform}}
	p := s.page(r, userOf(r), T(langOf(r), "conn_add_"+f.Platform), d)
	d.CSRF = p.CSRF
	p.Data, p.Nav = d, "connections"
	s.render(w, status, "connection", p)
}

// postedFields reads a platform form's fields.
func postedFields(r *http.Request, platform string) map[string]string {
	out := map[string]string{}
	for _, f := range connForms[platform] {
		if v, ok := r.PostForm[f.Key]; ok && len(v) > 0 {
			out[f.Key] = strings.TrimSpace(v[0])
		}
	}
	return out
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	platform, name := r.PostFormValue("platform"), strings.TrimSpace(r.PostFormValue("name"))
	if !slices.Contains(connPlatforms, platform) {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "conn_err_platform")))
		return
	}
	fields := postedFields(r, platform)
	created, err := s.ConnAdmin.CreateConnection(r.Context(), ConnectionInput{OrgID: u.OrgID, Actor: "staff:" + u.Username, Platform: platform, Name: name, Fields: fields})
	if err != nil {
		if !errkind.Is(err, errkind.Invalid) && !errkind.Is(err, errkind.Conflict) {
			s.renderError(w, r, err)
			return
		}
		s.newForm(w, r, http.StatusBadRequest, formFor(l, platform, name, fields, nil, err))
		return
	}
	if len(created.Secrets) == 0 {
		s.setFlash(w, flash{Key: "flash_conn_created"})
		http.Redirect(w, r, "/connections/"+url.PathEscape(created.Name), http.StatusSeeOther)
		return
	}
	// A generated token is shown now and never again: this page, not a
	// redirect, shows it.
	s.showConnection(w, r, created.Name, http.StatusCreated, created.Secrets, nil, nil)
}

// connectionPageData is a connection's page.
type connectionPageData struct {
	CSRF     string
	New      bool // the form that adds one
	Conn     ConnectionStatus
	Form     connForm
	Revealed []Revealed
	Groups   []community.Group
	// Where the platform side reaches qunzhu.
	ConnectURL  string // /connect/{name}: a OneBot reverse WebSocket (ws://…), a WeCom callback, a Telegram webhook
	EventsURL   string // a bridge's POST /api/v1/events
	ActionsURL  string // a bridge's GET /api/v1/actions
	AddLink     string // Telegram: add the bot to a group
	BaseURLSet  bool   // [server] base_url is configured (else the URLs are this request's host)
	CanEdit     bool   // a console connection
	SecretField string // the token RenewConnectionSecret replaces, "" when none
}

func (s *Server) connectionPage(w http.ResponseWriter, r *http.Request) {
	s.showConnection(w, r, r.PathValue("name"), http.StatusOK, nil, nil, nil)
}

// showConnection renders a connection's page; values and err are an edit
// form refused.
func (s *Server) showConnection(w http.ResponseWriter, r *http.Request, name string, status int, revealed []Revealed, values map[string]string, formErr error) {
	u := userOf(r)
	l := langOf(r)
	r.SetPathValue("name", name)
	c, err := s.connection(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	groups, err := s.Store.Groups(r.Context(), u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := connectionPageData{Conn: c, Revealed: revealed, CanEdit: c.Source == "console", BaseURLSet: s.BaseURL != ""}
	for _, g := range groups {
		if g.Connection == c.Name {
			d.Groups = append(d.Groups, g)
		}
	}
	base := s.baseURL(r)
	d.ConnectURL = base + "/connect/" + url.PathEscape(c.Name)
	if c.Platform == "onebot" {
		d.ConnectURL = "ws" + strings.TrimPrefix(d.ConnectURL, "http")
		d.SecretField = "access_token"
	}
	if c.Platform == "webhook" {
		d.EventsURL, d.ActionsURL, d.SecretField = base+"/api/v1/events", base+"/api/v1/actions", "token"
	}
	d.AddLink = c.AddLink
	if d.CanEdit {
		d.Form = formFor(l, c.Platform, c.Name, values, c.Settings, formErr)
	}
	if revealed == nil && c.Enabled && c.State != ConnOK && c.Platform == "onebot" {
		// Waiting for NapCat or Lagrange to connect: the page looks again
		// every few seconds, without JavaScript.
		w.Header().Set("Refresh", "3")
	}
	p := s.page(r, u, c.Name, d)
	d.CSRF = p.CSRF
	p.Data, p.Nav = d, "connections"
	if status == http.StatusOK {
		p.Flash = s.takeFlash(w, r)
	}
	s.render(w, status, "connection", p)
}

// baseURL is where the platforms reach this service: [server] base_url,
// else this request's host.
func (s *Server) baseURL(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimRight(s.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	c, err := s.connection(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	fields := postedFields(r, c.Platform)
	err = s.ConnAdmin.UpdateConnection(r.Context(), c.Name, ConnectionInput{OrgID: u.OrgID, Actor: "staff:" + u.Username, Platform: c.Platform, Name: c.Name, Fields: fields})
	if err != nil {
		if !errkind.Is(err, errkind.Invalid) {
			s.renderError(w, r, err)
			return
		}
		s.showConnection(w, r, c.Name, http.StatusBadRequest, nil, fields, err)
		return
	}
	s.doneConnection(w, r, c.Name, "flash_conn_saved")
}

func (s *Server) doneConnection(w http.ResponseWriter, r *http.Request, name, key string) {
	s.setFlash(w, flash{Key: key})
	http.Redirect(w, r, "/connections/"+url.PathEscape(name), http.StatusSeeOther)
}

func (s *Server) restartConnection(w http.ResponseWriter, r *http.Request) {
	s.connectionAction(w, r, "", func(ctx context.Context, name, actor string) error {
		return s.ConnAdmin.RestartConnection(ctx, name, actor)
	}, "flash_conn_restarted")
}

func (s *Server) startConnection(w http.ResponseWriter, r *http.Request) {
	s.connectionAction(w, r, "", func(ctx context.Context, name, actor string) error {
		return s.ConnAdmin.SetConnectionEnabled(ctx, name, true, actor)
	}, "flash_conn_started")
}

func (s *Server) stopConnection(w http.ResponseWriter, r *http.Request) {
	s.connectionAction(w, r, "conn_confirm_stop", func(ctx context.Context, name, actor string) error {
		return s.ConnAdmin.SetConnectionEnabled(ctx, name, false, actor)
	}, "flash_conn_stopped")
}

// connectionAction does one of a connection's buttons, asking first when
// question (an i18n key with the name and its groups) is set.
func (s *Server) connectionAction(w http.ResponseWriter, r *http.Request, question string, do func(ctx context.Context, name, actor string) error, done string) {
	u := userOf(r)
	c, ok := s.consoleConnection(w, r)
	if !ok {
		return
	}
	if question != "" {
		n, err := s.groupsOn(r.Context(), u.OrgID, c.Name)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		l := langOf(r)
		if !s.confirmed(w, r, strings.NewReplacer("{name}", c.Name, "{groups}", itoa(n)).Replace(T(l, question)), "/connections/"+url.PathEscape(c.Name)) {
			return
		}
	}
	if err := do(r.Context(), c.Name, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	if done == "flash_conn_deleted" {
		s.setFlash(w, flash{Key: done})
		http.Redirect(w, r, "/connections", http.StatusSeeOther)
		return
	}
	s.doneConnection(w, r, c.Name, done)
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request) {
	s.connectionAction(w, r, "conn_confirm_delete", s.ConnAdmin.DeleteConnection, "flash_conn_deleted")
}

// consoleConnection finds the console connection a button acts on; a
// file's is refused (403), an unknown one not found.
func (s *Server) consoleConnection(w http.ResponseWriter, r *http.Request) (ConnectionStatus, bool) {
	c, err := s.connection(r)
	if err == nil && c.Source != "console" {
		err = errkind.New(errkind.Forbidden, strings.ReplaceAll(T(langOf(r), "conn_file_readonly"), "`", ""))
	}
	if err != nil {
		s.renderError(w, r, err)
		return c, false
	}
	return c, true
}

func (s *Server) renewConnectionToken(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	c, ok := s.consoleConnection(w, r)
	if !ok {
		return
	}
	if !s.confirmed(w, r, strings.ReplaceAll(T(langOf(r), "conn_confirm_token"), "{name}", c.Name), "/connections/"+url.PathEscape(c.Name)) {
		return
	}
	created, err := s.ConnAdmin.RenewConnectionSecret(r.Context(), c.Name, "staff:"+u.Username)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.showConnection(w, r, c.Name, http.StatusOK, created.Secrets, nil, nil)
}

// groupsOn counts the organisation's groups on a connection.
func (s *Server) groupsOn(ctx context.Context, orgID int64, name string) (int, error) {
	groups, err := s.Store.Groups(ctx, orgID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range groups {
		if g.Connection == name {
			n++
		}
	}
	return n, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// disconnected reports whether a group's connection is gone (deleted) or
// stopped: the group stays, and its page says so.
func (s *Server) disconnected(name string) bool {
	if s.Connections == nil {
		return false
	}
	for _, c := range s.Connections() {
		if c.Name == name {
			return !c.Enabled || c.State == ConnClash
		}
	}
	return true
}

// The first-run checklist on the dashboard (managers): connect a platform,
// add the bot to a group, give the group its kind and rules, invite staff
// accounts. Each step ticks itself from what is there, and the checklist
// goes away when all are done or a manager dismisses it.

type setupStep struct {
	Key  string // setup_<key> names it
	Done bool
	Link string // where to do it
	// Hint says how, for the step's platform (the add-to-group link of a
	// Telegram bot, the QQ account to invite…).
	Hint string
}

type setupChecklist struct {
	Steps []setupStep
	Done  int
}

// setup works out the checklist; nil when it is done, dismissed or not
// the reader's (scoped accounts do not set the organisation up).
func (s *Server) setup(ctx context.Context, l Lang, u *access.User) (*setupChecklist, error) {
	if s.Setup == nil || s.ConnAdmin == nil || u.Scoped() {
		return nil, nil
	}
	if dismissed, err := s.Setup.SetupDismissed(ctx, u.OrgID); err != nil || dismissed {
		return nil, err
	}
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	var conns []ConnectionStatus
	for _, c := range s.connectionStatuses() {
		if c.Enabled && c.Platform != "sim" {
			conns = append(conns, c)
		}
	}
	staff := false
	if s.Accounts != nil {
		users, err := s.Accounts.Users(ctx, u.OrgID)
		if err != nil {
			return nil, err
		}
		staff = len(users) > 1
	}
	connect := setupStep{Key: "connect", Done: len(conns) > 0, Link: "/connections"}
	add := setupStep{Key: "add_bot", Done: len(groups) > 0, Link: "/connections"}
	if len(conns) > 0 {
		c := conns[0]
		add.Link = "/connections/" + url.PathEscape(c.Name)
		add.Hint = T(l, "setup_hint_"+c.Platform)
		if c.AddLink != "" {
			add.Link = c.AddLink
		}
	}
	kind := setupStep{Key: "kind", Link: "/groups"}
	for _, g := range groups {
		if g.Kind != community.KindCustom && g.Kind != "" {
			kind.Done = true
			break
		}
	}
	if !kind.Done && len(groups) > 0 {
		kind.Link = "/groups/" + itoa(int(groups[0].ID))
	}
	invite := setupStep{Key: "staff", Done: staff, Link: "/settings#accounts"}
	c := &setupChecklist{Steps: []setupStep{connect, add, kind, invite}}
	for _, st := range c.Steps {
		if st.Done {
			c.Done++
		}
	}
	if c.Done == len(c.Steps) {
		return nil, nil
	}
	return c, nil
}

func (s *Server) dismissSetup(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if s.Setup == nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "not configured"))
		return
	}
	if err := s.Setup.DismissSetup(r.Context(), u.OrgID, "staff:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_setup_dismissed"})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
