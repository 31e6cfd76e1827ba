package app_test

// Every page of the console of `qunzhu demo`, read by a crawler (no
// browser: plain HTTP and an HTML parser), as a manager and as a secretary
// scoped to a branch, in Chinese and in English:
//
//   - Language: "Chinese means Chinese" (#16 §2). Outside what users wrote
//     (elements marked class="ud", text areas) a page shows no i18n key,
//     no internal reference (person:12, rule paths, categories.ad), no
//     English word on a Chinese page beyond the loanwords below, and no
//     Chinese on an English page. An element with a lang attribute is held
//     to its own language; <code> is exempt from the language checks
//     (commands, file names), not from the others.
//   - Populated: "the demo shows every feature alive" (#16 §3). Every
//     page's main content shows no empty-state message of the console's
//     table (the keys no_*, *_none, *_empty …) and every table has rows,
//     save the explicit exceptions below.
//
// The pages are the console's GET routes, read from its sources, so a new
// page is crawled without changing this test: the crawler follows the
// links from the dashboard and fails when a route was never reached.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// unreached are the GET routes no link leads to, and why.
var unreached = map[string]string{
	"GET /static/":            "stylesheets and scripts, not pages",
	"GET /login":              "read separately, before logging in",
	"GET /rules/replay/{id}":  "JSON the rules editor's script polls while a replay it started runs (TestBrowserRules)",
	"GET /health/purge":       "the health page's purge form asks for it with the group chosen; it redirects to /health/purge/{id}, which the crawler reads",
	"GET /invite-codes/short": "linked from the settings page only while invite codes shorter than today's minimum exist; the demo issues none (console TestShortCodes reads it)",
}

// loanwords are the Latin words a Chinese page may show outside user data
// and <code>: names of platforms, products and formats, units and
// abbreviations Chinese operators write in Latin letters.
var loanwords = map[string]bool{
	"qunzhu": true, "QQ": true, "Telegram": true, "Matrix": true, "OneBot": true, "NapCat": true, "Lagrange": true,
	"Element": true, "QCE": true, "BotFather": true, "Bot": true, "API": true, "App": true, "ID": true, "URL": true, "CSV": true, "JSON": true,
	"Excel": true, "PNG": true, "TOML": true, "KB": true, "MB": true, "KOL": true, "SOP": true, "K": true,
	"WebSocket": true, "Webhook": true, "Token": true, "Secret": true, "AgentId": true, "EncodingAESKey": true,
	"English": true, "AM": true, "PM": true,
}

// populatedExceptions are the empty-state messages a demo page may show,
// by route, and why.
var populatedExceptions = map[string]map[string]string{
	"GET /people/{id}": {
		"no_referrals":        "most members brought nobody in; the campaign's tree shows those who did",
		"no_seats":            "most members hold no partner seat; the partners page shows those who do",
		"log_empty":           "most members were never moderated; the moderation page lists those who were",
		"roles_sync_no_short": "says that the demo's simulated platform takes roles set by hand, not that a list is empty",
	},
	"GET /memberbot": {
		"bot_no_gate": "the demo's groups gate no newcomers: its simulated members can neither press a button nor send a code, and would all be removed; TestBrowserMemberBot turns the gate on and reads it in force",
	},
	"GET /groups/{id}/settings": {
		"check_kol_none": "the checklist says what a group still lacks; the 6th cohort's group has its key opinion leader",
		"invite_none":    "most groups have no invite link of their own; the 6th cohort's group has one",
	},
}

// crawled is one page the crawler read.
type crawled struct {
	url, pattern string
	status       int
	html         bool
	doc          *html.Node
}

type crawler struct {
	t        *testing.T
	base     string
	c        *http.Client
	routes   *http.ServeMux // the console's GET patterns, to tell a link's route
	patterns []string
	perRoute int // pages read per route
}

// consoleRoutes reads the console's GET patterns from its sources.
func consoleRoutes(t *testing.T) []string {
	t.Helper()
	return consolePatterns(t, "GET")
}

// consolePatterns lists the console's route patterns of a method, read
// from its sources.
func consolePatterns(t *testing.T, method string) []string {
	t.Helper()
	files, err := filepath.Glob("../console/*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.Handle(?:Func)?\("(` + method + ` [^"]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1])
		}
	}
	if len(out) < 30 {
		t.Fatalf("found %d %s routes in the console's sources: the pattern no longer matches them", len(out), method)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// consoleMessages reads the console's string table (i18n.go's messages)
// with go/parser: key → [zh, en].
func consoleMessages(t *testing.T) map[string][2]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../console/i18n.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "messages" || len(vs.Values) != 1 {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			kv := e.(*ast.KeyValueExpr)
			k, _ := strconv.Unquote(kv.Key.(*ast.BasicLit).Value)
			pair := kv.Value.(*ast.CompositeLit).Elts
			zh, _ := strconv.Unquote(pair[0].(*ast.BasicLit).Value)
			en, _ := strconv.Unquote(pair[1].(*ast.BasicLit).Value)
			out[k] = [2]string{zh, en}
		}
		return false
	})
	if len(out) < 300 {
		t.Fatalf("read %d messages from i18n.go", len(out))
	}
	return out
}

// newCrawler logs user in with lang chosen.
func newCrawler(t *testing.T, base, user, password, lang string, routes []string) *crawler {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &crawler{t: t, base: base, c: &http.Client{Jar: jar}, routes: http.NewServeMux(), patterns: routes, perRoute: 4}
	for _, p := range routes {
		c.routes.Handle(p, http.NotFoundHandler())
	}
	page := c.get("/login?lang=" + lang)
	if page.status != 200 {
		t.Fatalf("login page: %d", page.status)
	}
	csrf := attr(find(page.doc, func(n *html.Node) bool { return n.DataAtom == atom.Input && attr(n, "name") == "csrf" }), "value")
	resp, err := c.c.PostForm(base+"/login", url.Values{"csrf": {csrf}, "username": {user}, "password": {password}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" || resp.StatusCode != 200 {
		t.Fatalf("log in as %s: %d at %s", user, resp.StatusCode, resp.Request.URL)
	}
	return c
}

func (c *crawler) get(path string) crawled {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	page := crawled{url: path, status: resp.StatusCode, html: strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")}
	if !page.html {
		io.Copy(io.Discard, resp.Body)
		return page
	}
	if page.doc, err = html.Parse(resp.Body); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return page
}

// route is the console route of a path, "" when none.
func (c *crawler) route(path string) string {
	r, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		return ""
	}
	_, p := c.routes.Handler(r)
	return p
}

// crawl reads the console from its dashboard, following links (and
// images) up to perRoute pages a route, and fails on a page that does not
// answer 200 or a route it never reached.
func (c *crawler) crawl() []crawled {
	c.t.Helper()
	seen := map[string]bool{}
	count := map[string]int{}
	queue := []string{"/"}
	var out []crawled
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		u, err := url.Parse(path)
		if err != nil || seen[path] || u.Query().Has("lang") || u.Query().Get("format") == "csv" {
			continue
		}
		seen[path] = true
		route := c.route(u.Path)
		if route == "" || count[route] >= c.perRoute {
			continue
		}
		count[route]++
		page := c.get(path)
		page.pattern = route
		if page.status != 200 {
			c.t.Errorf("GET %s (%s): %d", path, route, page.status)
			continue
		}
		out = append(out, page)
		if page.doc == nil {
			continue
		}
		walk(page.doc, func(n *html.Node) {
			var link string
			switch n.DataAtom {
			case atom.A:
				link = attr(n, "href")
			case atom.Img:
				link = attr(n, "src")
			}
			if strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") {
				if i := strings.IndexByte(link, '#'); i >= 0 {
					link = link[:i]
				}
				queue = append(queue, link)
			}
		})
	}
	for _, p := range c.patterns {
		if count[p] == 0 && unreached[p] == "" {
			c.t.Errorf("no link leads to %s: link it from a page, or say in unreached why none does", p)
		}
	}
	return out
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		walk(ch, f)
	}
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if match(n) {
		return n
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if m := find(ch, match); m != nil {
			return m
		}
	}
	return nil
}

func attr(n *html.Node, name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

// segment is a piece of a page's text outside user data: an element's own
// text, or an attribute a reader sees.
type segment struct {
	text  string
	lang  string // zh or en
	code  bool   // inside <code>: commands, file names
	where string
}

// segments returns the text a reader sees outside user data, in its
// language.
func segments(doc *html.Node, lang string) []segment {
	var out []segment
	var visit func(n *html.Node, lang string, code bool, where string)
	visit = func(n *html.Node, lang string, code bool, where string) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Head, atom.Textarea:
				return
			}
			if hasClass(n, "ud") {
				return
			}
			if l := attr(n, "lang"); l != "" {
				lang = "en"
				if strings.HasPrefix(l, "zh") {
					lang = "zh"
				}
			}
			code = code || n.DataAtom == atom.Code || n.DataAtom == atom.Kbd
			where = n.Data
			if id := attr(n, "id"); id != "" {
				where += "#" + id
			}
			for _, a := range []string{"title", "placeholder", "aria-label", "alt"} {
				if v := attr(n, a); v != "" {
					out = append(out, segment{v, lang, code, where + "[" + a + "]"})
				}
			}
			if n.DataAtom == atom.Input && (attr(n, "type") == "submit" || attr(n, "type") == "button") {
				out = append(out, segment{attr(n, "value"), lang, code, where + "[value]"})
			}
		}
		if n.Type == html.TextNode {
			if s := strings.TrimSpace(n.Data); s != "" {
				out = append(out, segment{s, lang, code, where})
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			visit(ch, lang, code, where)
		}
	}
	visit(doc, lang, false, "")
	return out
}

var (
	latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z'’]*`)
	cjk       = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303F}\x{FF01}-\x{FF5E}]`)
	keyLike   = regexp.MustCompile(`\b[a-z]+(?:_[a-z0-9]+)+\b|\bperm\.[a-z_.]+`)
	rawRef    = regexp.MustCompile(`\b(?:person|group|staff|user|api|script|push|node|campaign|code|event):[\w-]+|\b(?:categories|banned)\.\w+|[^\s/]+/(?:categories|banned|command)\b|\{"`)
)

// languageProblems lists what is wrong with the text of a page in lang.
func languageProblems(doc *html.Node, lang string) []string {
	var out []string
	for _, s := range segments(doc, lang) {
		bad := func(what string, words []string) {
			out = append(out, fmt.Sprintf("%s %q in <%s>: %q", what, words, s.where, s.text))
		}
		if w := rawRef.FindAllString(s.text, -1); w != nil {
			bad("internal reference", w)
		}
		if s.code {
			continue
		}
		if w := keyLike.FindAllString(s.text, -1); w != nil {
			bad("untranslated key or code", w)
		}
		switch s.lang {
		case "zh":
			var foreign []string
			for _, w := range latinWord.FindAllString(s.text, -1) {
				if !loanwords[w] {
					foreign = append(foreign, w)
				}
			}
			if foreign != nil {
				bad("English on a Chinese page", foreign)
			}
		case "en":
			if w := cjk.FindAllString(s.text, -1); w != nil {
				bad("Chinese on an English page", w)
			}
		}
	}
	return out
}

// emptyStates are the console's messages that say a list or section has
// nothing to show, in lang, as patterns (a %d matches a number).
func emptyStates(msgs map[string][2]string, lang string) map[string]*regexp.Regexp {
	key := regexp.MustCompile(`^no_|_none$|_empty$|^none_|_nothing$|^nothing_|_no_`)
	i := 0
	if lang == "en" {
		i = 1
	}
	out := map[string]*regexp.Regexp{}
	for k, m := range msgs {
		if !key.MatchString(k) || strings.HasPrefix(k, "flash_") || strings.HasPrefix(k, "err_") {
			continue
		}
		re := regexp.QuoteMeta(m[i])
		re = regexp.MustCompile(`%[-+ 0#]*\d*(?:\.\d+)?[dsvf]`).ReplaceAllString(strings.ReplaceAll(re, `%%`, `%`), `.+?`)
		out[k] = regexp.MustCompile(re)
	}
	return out
}

// text is the text content of a node.
func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// inSelect reports whether a node is a choice of a form's list, which
// names things rather than saying a list is empty.
func inSelect(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.DataAtom == atom.Select {
			return true
		}
	}
	return false
}

// emptiness lists the empty-state messages a page's main content shows
// (by key) and its tables without rows (by id).
func emptiness(doc *html.Node, empty map[string]*regexp.Regexp) (keys, tables []string) {
	main := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Main })
	if main == nil {
		return nil, nil
	}
	var body strings.Builder
	for ch := main.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode && attr(ch, "id") == "flash" {
			continue
		}
		walk(ch, func(n *html.Node) {
			if n.Type == html.TextNode && !inSelect(n) {
				body.WriteString(n.Data)
				body.WriteByte(' ')
			}
		})
		body.WriteByte(' ')
	}
	all := strings.Join(strings.Fields(body.String()), " ")
	for k, re := range empty {
		if re.MatchString(all) {
			keys = append(keys, k)
		}
	}
	walk(main, func(n *html.Node) {
		if n.DataAtom != atom.Table {
			return
		}
		rows := 0
		walk(n, func(r *html.Node) {
			if r.DataAtom == atom.Tr && r.Parent != nil && r.Parent.DataAtom == atom.Tbody {
				rows++
			}
		})
		if rows == 0 {
			id := attr(n, "id")
			if id == "" {
				id = "(a table without an id)"
			}
			tables = append(tables, id)
		}
	})
	sort.Strings(keys)
	return keys, tables
}

func TestConsolePages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	routes := consoleRoutes(t)
	msgs := consoleMessages(t)
	demo, data, password := startDemo(t)
	dir := t.TempDir()
	// A secretary of the 阳新 branch, created with the real command.
	var yangxin string
	{
		c := newCrawler(t, demo.url, "admin", password, "zh", routes)
		tree := c.get("/tree")
		n := find(tree.doc, func(n *html.Node) bool {
			return n.DataAtom == atom.Option && strings.HasSuffix(strings.TrimSpace(text(n)), "阳新分院")
		})
		if yangxin = attr(n, "value"); yangxin == "" {
			t.Fatal("no 阳新分院 among the tree's nodes")
		}
	}
	// The alerts, the health page and the leaderboards read the daily
	// rollups, which the service brings up to date a few seconds after it
	// starts, a day at a time: the crawl waits for the dashboard's alerts
	// and for the health page's groups that need attention (the last
	// days' states).
	{
		c := newCrawler(t, demo.url, "admin", password, "zh", routes)
		empty := emptyStates(msgs, "zh")
		for _, w := range []struct{ path, key string }{{"/", "no_alerts"}, {"/health", "attention_none"}} {
			for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
				keys, _ := emptiness(c.get(w.path).doc, map[string]*regexp.Regexp{w.key: empty[w.key]})
				if len(keys) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s says %s two minutes after the demo started: the rollup did not run", w.path, w.key)
				}
			}
		}
	}
	const secName = "yangxin-sec"
	secretary := userAdd(t, dir, data, secName, "--role", "secretary", "--node", yangxin)

	var managerZh []crawled
	var manager *crawler
	for _, who := range []struct{ user, password string }{{"admin", password}, {secName, secretary}} {
		for _, lang := range []string{"zh", "en"} {
			t.Run("Language/"+who.user+"/"+lang, func(t *testing.T) {
				c := newCrawler(t, demo.url, who.user, who.password, lang, routes)
				if who.user != "admin" {
					c.patterns = nil // a secretary is refused some routes: no route is required
				}
				pages := c.crawl()
				if who.user == "admin" && lang == "zh" {
					managerZh, manager = pages, c
				}
				login := newCrawler(t, demo.url, who.user, who.password, lang, routes).get("/login")
				pages = append(pages, login)
				for _, p := range pages {
					if p.doc == nil {
						continue
					}
					for _, problem := range languageProblems(p.doc, lang) {
						t.Errorf("%s: %s", p.url, problem)
					}
				}
				t.Logf("%d pages", len(pages))
			})
		}
	}
	t.Run("Populated", func(t *testing.T) {
		if managerZh == nil {
			t.Skip("the manager's crawl failed")
		}
		empty := emptyStates(msgs, "zh")
		type finding struct {
			url          string
			keys, tables []string
		}
		byRoute := map[string][]finding{}
		for _, p := range managerZh {
			if p.doc == nil {
				continue
			}
			keys, tables := emptiness(p.doc, empty)
			keys = slices.DeleteFunc(keys, func(k string) bool { return populatedExceptions[p.pattern][k] != "" })
			byRoute[p.pattern] = append(byRoute[p.pattern], finding{p.url, keys, tables})
		}
		for route, fs := range byRoute {
			// A route is populated when one of its pages is.
			if slices.ContainsFunc(fs, func(f finding) bool { return len(f.keys) == 0 && len(f.tables) == 0 }) {
				continue
			}
			for _, f := range fs {
				t.Errorf("%s (%s): says %v; tables without rows %v", f.url, route, f.keys, f.tables)
			}
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		if managerZh == nil { // run alone (-run TestConsolePages/BadInput)
			manager = newCrawler(t, demo.url, "admin", password, "zh", routes)
			managerZh = manager.crawl()
		}
		manager.t = t
		badInput(t, manager, managerZh)
	})
	t.Run("BadAPIInput", func(t *testing.T) {
		badAPI(t, demo.url, tokenAdd(t, dir, data, "坏输入", "admin"), dataFile(t, filepath.Dir(data), "bridge.token"))
	})
}
