package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/ratelimit"
)

// The pages' frame: templates with their functions, the navigation,
// and rendering a page or an error.

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
		s.loginByAddr = ratelimit.New(loginPerAddr, loginWindow)
		s.loginByAccount = ratelimit.New(loginPerAccount, loginWindow)
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
					if p, ok := navNeeds[it.Key]; ok && u != nil && !u.May(p) {
						continue
					}
					out = append(out, it)
				}
				return out
			},
			// person names a person, linked to their profile when profiles
			// are shown, as user content.
			"person": func(id int64, name string) template.HTML {
				if s.Profiles == nil || id == 0 {
					return ud(name)
				}
				return template.HTML(`<a class="ud" href="/people/` + strconv.FormatInt(id, 10) + `">` + template.HTMLEscapeString(name) + `</a>`)
			},
			// may reports whether the account may do p (the permission
			// table): pages offer only the forms their reader may send.
			"may": func(u *access.User, p string) bool { return u != nil && u.May(access.Permission(p)) },
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
			"pushRows": func(l Lang, csrf string, rows []pushRow, sent bool) pushRowsData {
				return pushRowsData{Lang: l, CSRF: csrf, Rows: rows, Sent: sent}
			},
			"reasons": reasonText,
			"slot":    slotName,
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
		for k, f := range i18nFuncs() {
			funcs[k] = f
		}
		s.tmpl = map[string]*template.Template{}
		// Every template but the layout and its parts is a page.
		files, err := fs.Glob(templateFS, "templates/*.html")
		if err != nil {
			panic(err)
		}
		for _, f := range files {
			page := strings.TrimSuffix(path.Base(f), ".html")
			if page == "layout" || page == "parts" {
				continue
			}
			s.tmpl[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", f))
		}
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
	Refresh  int    // seconds after which the page reloads itself (0: never)
	Data     any
}

// navItem is an entry of the navigation bar; More entries make its second
// row (members, content and the community programme), so that the bar
// stays two short rows on a phone.
type navItem struct {
	Key, URL string
	More     bool
}

var nav = []navItem{{"dashboard", "/", false}, {"groups", "/groups", false}, {"tree", "/tree", false}, {"moderation", "/moderation", false}, {"audit", "/audit", false}, {"rules", "/rules", false}, {"memberbot", "/memberbot", true},
	{"scripts", "/scripts", true}, {"pushes", "/pushes", true}, {"cadences", "/cadences", true}, {"duty", "/duty", true}, {"events", "/events", true}, {"partners", "/partners", true}, {"growth", "/growth", true}, {"leaderboards", "/leaderboards", true}, {"settings", "/settings", true},
	{"health", "/health", false},
	{"questions", "/questions", false},
	{"digest", "/digest", true},
	{"duplicates", "/duplicates", true},
	{"churn", "/churn", true},
	{"tags", "/tags", true},
	{"templates", "/templates", true}, {"connections", "/connections", true}, {"import", "/import", true},
	{"accounts", "/accounts", true}}

// managersOnly are the entries a scoped user is not offered.
var managersOnly = map[string]bool{"audit": true, "partners": true, "settings": true, "connections": true, "accounts": true}

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
	// The same path as requested, still escaped: the decoded path of
	// /%2F%2Fevil.example/x would be a link to evil.example.
	here, ok := localURL(r.URL.EscapedPath())
	if !ok {
		here = "/"
	}
	p := page{Lang: l, OtherURL: here + "?" + q.Encode(), User: u, Title: title, Nav: navOf(r.URL.Path), Data: data}
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
	case errkind.Conflict:
		status, msg = http.StatusConflict, errkind.Message(err)
	default:
		s.Logger.Error("console request failed", "path", r.URL.Path, "err", err)
	}
	title, body := errorIn(langOf(r), msg)
	s.render(w, status, "error", s.page(r, nil, title, body))
}
