// Package console is qunzhu's web console: server-rendered html/template
// pages with embedded assets (no CDN, works offline), in Chinese and
// English, usable on a phone.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the console reads.
type Store interface {
	community.Directory
	UserByName(ctx context.Context, username string) (access.User, error)
	Summary(ctx context.Context, orgID int64, since time.Time) (analytics.OrgSummary, error)
	Activity(ctx context.Context, orgID int64, since time.Time) (map[int64]analytics.GroupActivity, error)
	DailyMessages(ctx context.Context, orgID int64, now time.Time, n int, loc *time.Location) ([]analytics.DayCount, error)
	GroupMemberActivity(ctx context.Context, groupID int64, since time.Time) (map[int64]*analytics.MemberActivity, error)
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	ReportCases(ctx context.Context, orgID int64, status string) ([]community.ReportCase, error)
	DecideReport(ctx context.Context, orgID, caseID int64, uphold bool, action chat.ActionKind, note, actor string) error
	ModerationActions(ctx context.Context, orgID int64, limit int) ([]community.ModerationAction, error)
	AuditLog(ctx context.Context, orgID int64, p community.Page) ([]community.AuditEntry, error)
}

// Server serves the console.
type Server struct {
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// Key signs session cookies and CSRF tokens (at least 32 bytes).
	Key []byte
	// Secure marks cookies Secure (serve over HTTPS).
	Secure bool
	// Health, when set, shows group health, states and alerts from the
	// daily rollups.
	Health HealthSource
	// Newcomers, when set, adds retention and joins by source to group
	// pages.
	Newcomers NewcomerSource
	// Accounts, when set, lists console accounts and API tokens on the
	// settings page.
	Accounts AccountSource
	// Appeals, when set, shows managers the appeals queue on the
	// moderation page.
	Appeals AppealSource
	// Connections, when set, reports the platform connections and what is
	// wrong with each (managers see them on the dashboard).
	Connections func() []ConnectionStatus
	// Location renders times and days: the server's time zone;
	// content.DefaultZone's when nil.
	Location *time.Location
	// Rules previews the rules notice and tests messages on the rules page;
	// the page says the rules are not configured when nil. See
	// RulesFromRegistry.
	Rules RulesPreview
	// People names members who have left their groups (the moderation
	// log); without it they are named from current memberships or shown
	// by id.
	People PersonNames
	// Profiles, when set, shows members' profiles (/people/{id}) and links
	// member names to them.
	Profiles ProfileSource
	// Content, when set, shows the script library with its review
	// workflow (/scripts) and the push calendar (/pushes).
	Content ContentSource
	// Community, when set, shows the partner programme (/partners),
	// events (/events) and leaderboards (/leaderboards).
	Community CommunitySource
	// Lint, when set, adds the banned-category check to the scripts' lint
	// findings (the rules engine's categories).
	Lint content.CategoryMatcher

	figs    figuresCache // the last reading of the rollups, per organisation
	once    sync.Once
	tmpl    map[string]*template.Template
	limiter *loginLimiter
	dummy   []byte // a bcrypt hash compared against for unknown users
}

// HashPassword returns a bcrypt hash for a console password.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errkind.New(errkind.Invalid, "password: at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Location == nil {
			s.Location, _ = content.LoadZone("")
		}
		s.limiter = &loginLimiter{fails: map[string][]time.Time{}}
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
		funcs := template.FuncMap{
			"t":    func(l Lang, k string) string { return T(l, k) },
			"time": func(t time.Time) string { return t.In(s.Location).Format("2006-01-02 15:04") },
			"ago": func(l Lang, t *time.Time) string {
				if t == nil {
					return T(l, "never")
				}
				return t.In(s.Location).Format("01-02 15:04")
			},
			"in": func(l Lang, b Bilingual) string { return b.In(l) },
			"navItems": func(u *access.User, more bool) []navItem {
				var out []navItem
				for _, it := range nav {
					if it.More != more || !s.configured(it.Key) || (u != nil && u.Scoped() && managersOnly[it.Key]) {
						continue
					}
					out = append(out, it)
				}
				return out
			},
			// person names a person, linked to their profile when profiles
			// are shown.
			"person": func(id int64, name string) template.HTML {
				if s.Profiles == nil || id == 0 {
					return template.HTML(template.HTMLEscapeString(name))
				}
				return template.HTML(`<a href="/people/` + strconv.FormatInt(id, 10) + `">` + template.HTMLEscapeString(name) + `</a>`)
			},
			"inc": func(i int) int { return i + 1 },
			// last is a group's last message: a day when it comes from the
			// rollups, a time otherwise.
			"last": func(l Lang, t *time.Time, day bool) string {
				if t == nil {
					return T(l, "never")
				}
				if day {
					return t.In(s.Location).Format("01-02")
				}
				return t.In(s.Location).Format("01-02 15:04")
			},
			"tf": func(l Lang, k string, args ...any) string { return fmt.Sprintf(T(l, k), args...) },
			"pushRows": func(l Lang, rows []pushRow, sent bool) pushRowsData {
				return pushRowsData{Lang: l, Rows: rows, Sent: sent}
			},
			"groupTable": func(l Lang, rows []groupRow, sorts map[string]sortLink) groupTable {
				return groupTable{Lang: l, Rows: rows, Sorts: sorts}
			},
			"flash": func(l Lang, f *flash) string {
				if f.ID == 0 {
					return T(l, f.Key)
				}
				return fmt.Sprintf(T(l, f.Key), f.ID)
			},
		}
		s.tmpl = map[string]*template.Template{}
		for _, page := range []string{"login", "dashboard", "group", "error", "groups", "moderation", "audit", "rules", "rules_edit",
			"person", "scripts", "script", "pushes", "partners", "events", "event", "leaderboards", "tree", "settings"} {
			s.tmpl[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+page+".html"))
		}
	})
}

// Handler returns the console's routes.
func (s *Server) Handler() http.Handler {
	s.init()
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(http.FileServerFS(static))))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.auth(s.logout))
	mux.HandleFunc("GET /{$}", s.auth(s.dashboard))
	mux.HandleFunc("GET /groups", s.auth(s.groups))
	mux.HandleFunc("GET /groups/{id}", s.auth(s.group))
	mux.HandleFunc("GET /moderation", s.auth(s.moderation))
	mux.HandleFunc("POST /moderation/reports/{id}", s.auth(s.decideReport))
	mux.HandleFunc("POST /moderation/appeals/{id}", s.auth(s.managerOnly(s.decideAppeal)))
	mux.HandleFunc("POST /alerts/{id}/resolve", s.auth(s.resolveAlert))
	mux.HandleFunc("GET /tree", s.auth(s.treePage))
	mux.HandleFunc("GET /settings", s.auth(s.managerOnly(s.needs("settings", s.settings))))
	mux.HandleFunc("GET /audit", s.auth(s.managerOnly(s.audit)))
	mux.HandleFunc("GET /rules", s.auth(s.rulesPage))
	mux.HandleFunc("GET /rules/edit", s.auth(s.managerOnly(s.rulesEdit)))
	mux.HandleFunc("POST /rules/edit", s.auth(s.managerOnly(s.rulesEdit)))
	mux.HandleFunc("GET /people/{id}", s.auth(s.person))
	mux.HandleFunc("GET /scripts", s.auth(s.needs("scripts", s.scripts)))
	mux.HandleFunc("GET /scripts/{id}", s.auth(s.needs("scripts", s.script)))
	mux.HandleFunc("POST /scripts/{id}/move", s.auth(s.managerOnly(s.needs("scripts", s.moveScript))))
	mux.HandleFunc("GET /pushes", s.auth(s.needs("pushes", s.pushes)))
	mux.HandleFunc("GET /partners", s.auth(s.managerOnly(s.needs("partners", s.partners))))
	mux.HandleFunc("GET /events", s.auth(s.needs("events", s.events)))
	mux.HandleFunc("GET /events/{id}", s.auth(s.needs("events", s.event)))
	mux.HandleFunc("GET /leaderboards", s.auth(s.needs("leaderboards", s.leaderboards)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, errkind.New(errkind.NotFound, T(langOf(r), "not_found")))
	})
	return s.lang(mux)
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// lang remembers an explicit ?lang= choice in a cookie.
func (s *Server) lang(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
			http.SetCookie(w, &http.Cookie{Name: "qz_lang", Value: l, Path: "/", MaxAge: 365 * 86400, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure})
		}
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Lang     Lang
	OtherURL string // the same page in the other language
	User     *access.User
	CSRF     string
	Title    string
	Nav      string // the navigation entry of this page
	Flash    *flash // the outcome of the last form, shown once
	Data     any
}

// navItem is an entry of the navigation bar; More entries make its second
// row (members, content and the community programme), so that the bar
// stays two short rows on a phone.
type navItem struct {
	Key, URL string
	More     bool
}

var nav = []navItem{{"dashboard", "/", false}, {"groups", "/groups", false}, {"tree", "/tree", false}, {"moderation", "/moderation", false}, {"audit", "/audit", false}, {"rules", "/rules", false},
	{"scripts", "/scripts", true}, {"pushes", "/pushes", true}, {"events", "/events", true}, {"partners", "/partners", true}, {"leaderboards", "/leaderboards", true}, {"settings", "/settings", true}}

// managersOnly are the entries a scoped user is not offered.
var managersOnly = map[string]bool{"audit": true, "partners": true, "settings": true}

// navOf returns the navigation entry a path belongs to: a member's
// profile belongs to the groups.
func navOf(path string) string {
	if path == "/" {
		return "dashboard"
	}
	section, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if section == "people" {
		return "groups"
	}
	return section
}

func (s *Server) page(r *http.Request, u *access.User, title string, data any) page {
	l := langOf(r)
	other := "en"
	if l == En {
		other = "zh"
	}
	q := r.URL.Query()
	q.Set("lang", other)
	p := page{Lang: l, OtherURL: r.URL.Path + "?" + q.Encode(), User: u, Title: title, Nav: navOf(r.URL.Path), Data: data}
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.CSRF = s.csrfToken(c.Value)
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	var b strings.Builder
	if err := s.tmpl[name].Execute(&b, p); err != nil {
		s.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := T(langOf(r), "error")
	switch errkind.Of(err) {
	case errkind.NotFound:
		status, msg = http.StatusNotFound, T(langOf(r), "not_found")
	case errkind.Invalid:
		status, msg = http.StatusBadRequest, errkind.Message(err)
	case errkind.Forbidden:
		status, msg = http.StatusForbidden, errkind.Message(err)
	default:
		s.Logger.Error("console request failed", "path", r.URL.Path, "err", err)
	}
	s.render(w, status, "error", s.page(r, nil, msg, msg))
}

// Sessions are signed cookies: user id, expiry, HMAC.

const sessionCookie = "qz_session"
const sessionTTL = 12 * time.Hour

func (s *Server) sign(v string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) newSession(username string) string {
	var nonce [8]byte
	rand.Read(nonce[:])
	v := url.QueryEscape(username) + "|" + strconv.FormatInt(s.Now().Add(sessionTTL).Unix(), 10) + "|" + hex.EncodeToString(nonce[:])
	return v + "|" + s.sign(v)
}

func (s *Server) checkSession(c string) (string, bool) {
	i := strings.LastIndexByte(c, '|')
	if i < 0 {
		return "", false
	}
	v, sig := c[:i], c[i+1:]
	if subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign(v))) != 1 {
		return "", false
	}
	parts := strings.Split(v, "|")
	if len(parts) != 3 {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.Now().Unix() > exp {
		return "", false
	}
	name, err := url.QueryUnescape(parts[0])
	return name, err == nil
}

func (s *Server) csrfToken(session string) string { return s.sign("csrf|" + session) }

type userKey struct{}

// auth requires a session; POSTs also need the session's CSRF token.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		name, ok := "", false
		if err == nil {
			name, ok = s.checkSession(c.Value)
		}
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		u, err := s.Store.UserByName(r.Context(), name)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(c.Value))) != 1 {
			s.renderError(w, r, errkind.New(errkind.Forbidden, "CSRF token missing or wrong: reload the page and try again"))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, &u)))
	}
}

func userOf(r *http.Request) *access.User { return r.Context().Value(userKey{}).(*access.User) }

// loginLimiter allows 10 failed logins per client address per 15 minutes.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

const loginWindow, loginMax = 15 * time.Minute, 10

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

func (l *loginLimiter) blocked(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.fails[addr][:0]
	for _, t := range l.fails[addr] {
		if now.Sub(t) < loginWindow {
			recent = append(recent, t)
		}
	}
	l.fails[addr] = recent
	return len(recent) >= loginMax
}

func (l *loginLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	l.fails[addr] = append(l.fails[addr], now)
	l.mu.Unlock()
}

type loginData struct {
	Next  string
	Error string
}

// The login form uses a double-submit token: a random cookie repeated in
// the form.
const loginCookie = "qz_login"

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.Secure, MaxAge: 3600})
	p := s.page(r, nil, T(langOf(r), "login"), loginData{Next: safeNext(r.FormValue("next")), Error: msg})
	p.CSRF = tok
	s.render(w, status, "login", p)
}

// safeNext keeps redirects on this site.
func safeNext(n string) string {
	if n == "" || !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, "\\") {
		return "/"
	}
	return n
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.showLogin(w, r, http.StatusForbidden, "CSRF token missing or wrong: reload the page and try again")
		return
	}
	addr := clientAddr(r)
	if s.limiter.blocked(addr, s.Now()) {
		s.showLogin(w, r, http.StatusTooManyRequests, T(l, "too_many"))
		return
	}
	u, err := s.Store.UserByName(r.Context(), r.PostFormValue("username"))
	if err == nil {
		err = bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(r.PostFormValue("password")))
	} else if errkind.Is(err, errkind.NotFound) {
		// Spend the same time as a wrong password.
		bcrypt.CompareHashAndPassword(s.dummy, []byte(r.PostFormValue("password")))
	}
	if err != nil {
		if !errkind.Is(err, errkind.NotFound) && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			s.Logger.Error("login", "err", err)
		}
		s.limiter.fail(addr, s.Now())
		s.showLogin(w, r, http.StatusUnauthorized, T(l, "bad_login"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.newSession(u.Username), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure, MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// groupRow is one line of the dashboard's group table.
type groupRow struct {
	community.Group
	analytics.GroupActivity
	State   string
	Node    string // the tree node's name
	LastDay bool   // LastAt is the day of the last member message (from the rollups)
}

// dashboardGroups is how many groups the dashboard lists, the most active
// first; /groups lists them all.
const dashboardGroups = 20

type dashboardData struct {
	Summary     analytics.OrgSummary
	Groups      []groupRow // the most active
	AllGroups   int        // the groups the user sees
	Figures     *weekFigures
	Chart       template.HTML
	CommChart   template.HTML // communicators per day (from the rollups)
	JoinsChart  template.HTML // joins per day (from the rollups)
	Joined      int           // over 30 days
	Left        int
	Growth      bool // Joined and Left are known
	Health      *dashboardHealth
	Connections []ConnectionStatus
}

// State returns a group's state for the console: archived, dead (no member
// message for 30 days), dormant (14 days) or active.
func State(g community.Group, last *time.Time, now time.Time) string {
	switch {
	case g.Lifecycle == community.Archived:
		return "archived"
	case last == nil || now.Sub(*last) >= 30*24*time.Hour:
		return "dead"
	case now.Sub(*last) >= 14*24*time.Hour:
		return "dormant"
	}
	return "active"
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	now := s.Now()
	week := now.Add(-7 * 24 * time.Hour)
	figs, err := s.figures(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rows, _, _, err := s.groupRows(r, u, groupFilter{Sort: "messages", Dir: "desc"}, figs)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := dashboardData{Groups: rows[:min(len(rows), dashboardGroups)], AllGroups: len(rows), Figures: figs}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Health, err = s.dashboardHealth(ctx, u, sc); err != nil {
		s.renderError(w, r, err)
		return
	}
	if u.Scoped() {
		// The organisation's figures are not theirs to see: their groups'.
		for _, g := range rows {
			d.Summary.Groups++
			d.Summary.Members += g.Group.Members
			d.Summary.Messages += g.Messages
			d.Summary.Communicators += g.Communicators
		}
	} else if figs.Rollup {
		// The groups and members are counted as the group table counts
		// them; the week from the rollups.
		for _, g := range rows {
			d.Summary.Groups++
			d.Summary.Members += g.Group.Members
		}
		d.Summary.Messages, d.Summary.Communicators = figs.Messages, figs.Communicators
		if ms, ok := s.Store.(interface {
			ModerationsSince(ctx context.Context, orgID int64, since time.Time) (int, error)
		}); ok {
			if d.Summary.Moderations, err = ms.ModerationsSince(ctx, u.OrgID, week); err != nil {
				s.renderError(w, r, err)
				return
			}
		}
		d.Chart = BarChart(figs.Daily, T(langOf(r), "messages_per_day"))
		d.CommChart = BarChart(figs.DailyComm, T(langOf(r), "communicators_per_day"))
		d.JoinsChart = BarChart(figs.DailyJoins, T(langOf(r), "joins_per_day"))
		d.Joined, d.Left, d.Growth = figs.Joined, figs.Left, true
	} else {
		if d.Summary, err = s.Store.Summary(ctx, u.OrgID, week); err != nil {
			s.renderError(w, r, err)
			return
		}
		days, err := s.Store.DailyMessages(ctx, u.OrgID, now, 30, s.Location)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Chart = BarChart(days, T(langOf(r), "messages_per_day"))
	}
	if !u.Scoped() {
		if s.Connections != nil {
			d.Connections = s.Connections()
		}
	}
	p := s.page(r, u, T(langOf(r), "dashboard"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "dashboard", p)
}

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
	if sc, err := s.scopeOf(r.Context(), u); err != nil {
		s.renderError(w, r, err)
		return
	} else if !sc.has(g.ID) {
		s.renderError(w, r, errOutOfScope)
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
	s.render(w, http.StatusOK, "group", s.page(r, u, g.Name, d))
}
