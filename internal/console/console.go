// Package console is qunzhu's web console: server-rendered html/template
// pages with embedded assets (no CDN, works offline), in Chinese and
// English, usable on a phone.
package console

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/ratelimit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the console reads.
type Store interface {
	community.Directory
	UserByName(ctx context.Context, username string) (access.User, error)
	CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error)
	SessionUser(ctx context.Context, token string) (access.User, access.Session, error)
	EndSession(ctx context.Context, token string) error
	Summary(ctx context.Context, orgID int64, since time.Time) (analytics.OrgSummary, error)
	Activity(ctx context.Context, orgID int64, since time.Time) (map[int64]analytics.GroupActivity, error)
	DailyMessages(ctx context.Context, orgID int64, now time.Time, n int, loc *time.Location) ([]analytics.DayCount, error)
	GroupMemberActivity(ctx context.Context, groupID int64, since time.Time) (map[int64]*analytics.MemberActivity, error)
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	ReportCases(ctx context.Context, orgID int64, status string) ([]community.ReportCase, error)
	ReportCase(ctx context.Context, orgID, id int64) (community.ReportCase, error)
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
	// Questions, when set, shows members' questions, how soon they are
	// answered, and the groups' response targets.
	Questions QuestionSource
	// Digests, when set, shows the daily digests and their settings.
	Digests DigestSource
	// Duplicates, when set, lists members in several groups of a family.
	Duplicates DuplicateSource
	// Churn, when set, shows the churn log.
	Churn ChurnSource
	// Tags, when set, offers tags on groups and people, pushes aimed at
	// a group tag and the segment view with its export (/tags).
	Tags community.Tagger
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
	// Cadences, when set with Content, lists the recurring pushes and
	// offers to create, pause and resume them (/cadences).
	Cadences CadenceSource
	// Community, when set, shows the partner programme (/partners),
	// events (/events) and leaderboards (/leaderboards).
	Community CommunitySource
	// Lint, when set, adds the banned-category check to the scripts' lint
	// findings (the rules engine's categories).
	Lint content.CategoryMatcher
	// Imports, when set, offers the import of chat exports (/import) and
	// the merge proposals that follow; MaxUpload caps an upload (bytes).
	Imports   ImportSource
	MaxUpload int64
	// ShortCodes, when set, lists invite codes shorter than the ones issued
	// now and replaces them (/invite-codes/short).
	ShortCodes ShortCodeSource
	// ClientAddr finds a request's client (clientip.Resolver.Addr: behind
	// a trusted proxy, from X-Forwarded-For); the peer's address when nil.
	ClientAddr func(*http.Request) netip.Addr
	// Events, when set with Community, lets staff open, close and cancel
	// events and check people in.
	Events EventRunner
	// Maintenance, when set with Health, lets staff purge inactive members
	// and archive dead groups from the health page.
	Maintenance Maintenance
	// Tree, when set, offers the tree and group workflows: editing the
	// tree, a group's settings, templates and their tasks, staff roles and
	// the people search.
	Tree TreeSource
	// Caps reports a connection's capabilities: whether roles set in the
	// console sync to the platform (chat.ActSetRole). Nil: none do.
	Caps func(connection string) chat.Capabilities
	// OnChange is called after a write the ingester caches (a group's
	// node, kind or lifecycle, members' roles).
	OnChange func()
	// Partners, when set, runs the partner programme (/partners): levels,
	// admissions, seats and waitlists, eligibility cases.
	Partners PartnerSource
	// Growth, when set, runs referral growth (/growth): campaigns, invite
	// codes, referral trees and posters.
	Growth GrowthSource
	// BaseURL is the console's public address ([server] base_url), which
	// join links on posters start with; the request's own when empty.
	BaseURL string
	// Replay, when set, lets the rules editor replay an edit over the
	// stored messages before it is saved (rulesreplay.go).
	Replay ReplaySource
	// ConnAdmin, when set, lets managers add, change and remove platform
	// connections (/connections); Setup keeps the dashboard's first-run
	// checklist.
	ConnAdmin ConnectionAdmin
	Setup     SetupSource

	figs                        figuresCache // the last reading of the rollups, per organisation
	replays                     replayJobs   // the rules editor's replays
	once                        sync.Once
	tmpl                        map[string]*template.Template
	loginByAddr, loginByAccount *ratelimit.Window
	dummy                       []byte // a bcrypt hash compared against for unknown users
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
	mux.HandleFunc("POST /moderation/reports/{id}", s.auth(s.may(access.Moderate, s.decideReport)))
	mux.HandleFunc("POST /moderation/appeals/{id}", s.auth(s.may(access.BanOrgWide, s.decideAppeal)))
	mux.HandleFunc("GET /tree", s.auth(s.treePage))
	mux.HandleFunc("GET /settings", s.auth(s.managerOnly(s.needs("settings", s.settings))))
	mux.HandleFunc("POST /settings/bot-lang", s.auth(s.managerOnly(s.may(access.EditGroup, s.saveOrgBotLang))))
	mux.HandleFunc("GET /audit", s.auth(s.managerOnly(s.audit)))
	mux.HandleFunc("GET /rules", s.auth(s.rulesPage))
	mux.HandleFunc("GET /rules/edit", s.auth(s.may(access.EditRules, s.rulesEdit)))
	mux.HandleFunc("POST /rules/edit", s.auth(s.may(access.EditRules, s.rulesEdit)))
	s.rulesReplayRoutes(mux)
	mux.HandleFunc("GET /people/{id}", s.auth(s.person))
	s.pointsRoutes(mux)
	s.contentRoutes(mux)
	s.partnersRoutes(mux)
	s.growthRoutes(mux)
	mux.HandleFunc("GET /leaderboards", s.auth(s.needs("leaderboards", s.leaderboards)))
	s.importRoutes(mux)
	s.eventsRoutes(mux)
	s.healthRoutes(mux)
	s.questionRoutes(mux)
	s.digestRoutes(mux)
	s.duplicateRoutes(mux)
	s.churnRoutes(mux)
	s.tagRoutes(mux)
	s.treeRoutes(mux)
	s.connectionRoutes(mux)
	s.adminRoutes(mux)
	s.codeRoutes(mux)
	s.botRoutes(mux)
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
