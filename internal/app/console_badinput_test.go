package app_test

// Bad input never gets a 5xx (the brief: "clear errors for bad input: a
// 4xx that says what is wrong, never a 500"). After the crawl, the
// manager's session sends the console what a careless or hostile hand
// would: every GET route with path values that are not ids (letters,
// negative, huge, Chinese, a NUL), every query parameter of the pages and
// of their GET forms with such values, and every POST form the pages show
// (with the session's CSRF token) with all its fields set to each such
// value, empty among them — each parameter and each form at up to two of
// the paths of its route. Each answer must be below 500. It runs last:
// the forms it submits may change the demo.

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// hostile are the values sent where a page expects an id, a number, a
// date, a choice or a text.
var hostile = []string{
	"", "abc", "-1", "0", "99999999999999999999", "1.5", "2026-02-31", "25:61",
	"中文", "<script>alert(1)</script>", "'; DROP TABLE people; --", "\x00", strings.Repeat("长", 5000),
}

// hostilePost are the values each POST form is sent with (fewer: the
// forms are many, and each submission may write).
var hostilePost = []string{"", "abc", "-1", "99999999999999999999", "2026-02-31", "\x00", strings.Repeat("长", 5000)}

// hostilePath are the values put in a route's path parameters (escaped).
var hostilePath = []string{"abc", "-1", "0", "99999999999999999999", "1.5", "中文", "%00", "1%2F2"}

// skipForms are the POST actions not submitted, and why.
var skipForms = map[string]string{
	"/logout": "ends the session the rest of the test uses",
}

type form struct {
	page, method, action string
	fields               []string
	fixed                url.Values // hidden fields kept as they are (csrf)
}

// forms lists the forms of the crawled pages.
func forms(pages []crawled) []form {
	var out []form
	seen := map[string]bool{}
	for _, p := range pages {
		if p.doc == nil {
			continue
		}
		walk(p.doc, func(n *html.Node) {
			if n.DataAtom != atom.Form {
				return
			}
			f := form{page: p.url, method: strings.ToUpper(attr(n, "method")), action: attr(n, "action"), fixed: url.Values{}}
			if f.method == "" {
				f.method = "GET"
			}
			if f.action == "" {
				f.action = strings.SplitN(p.url, "?", 2)[0]
			}
			password := false
			walk(n, func(in *html.Node) {
				name := attr(in, "name")
				if name == "" || (in.DataAtom != atom.Input && in.DataAtom != atom.Select && in.DataAtom != atom.Textarea) {
					return
				}
				switch {
				case attr(in, "type") == "password":
					password = true
				case name == "csrf":
					f.fixed.Set(name, attr(in, "value"))
				case !slices.Contains(f.fields, name):
					f.fields = append(f.fields, name)
				}
			})
			key := f.method + " " + f.action + " " + strings.Join(f.fields, ",")
			if password || seen[key] || !strings.HasPrefix(f.action, "/") || skipForms[f.action] != "" {
				return
			}
			seen[key] = true
			out = append(out, f)
		})
	}
	return out
}

// badInput is TestConsolePages' last part.
func badInput(t *testing.T, c *crawler, pages []crawled) {
	sent := 0
	check := func(method, path string, body url.Values) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "POST" {
			resp, err = c.c.PostForm(c.base+path, body)
		} else {
			resp, err = c.c.Get(c.base + path)
		}
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		resp.Body.Close()
		sent++
		if resp.StatusCode >= 500 {
			shown := fmt.Sprint(body)
			if len(shown) > 200 {
				shown = shown[:200] + "…"
			}
			t.Errorf("%s %s %s: %d %q", method, path, shown, resp.StatusCode, b)
		}
		if resp.Request.URL.Path == "/login" {
			t.Fatalf("%s %s: the session ended", method, path)
		}
	}
	// Path parameters.
	param := regexp.MustCompile(`\{[a-z_]+\.{0,3}\}`)
	for _, p := range c.patterns {
		pattern := strings.TrimPrefix(p, "GET ")
		if !param.MatchString(pattern) {
			continue
		}
		for _, v := range hostilePath {
			check("GET", param.ReplaceAllString(pattern, v), nil)
		}
	}
	// Query parameters of the crawled pages and of their GET forms.
	queries := map[string][]string{}
	for _, p := range pages {
		u, err := url.Parse(p.url)
		if err != nil {
			continue
		}
		for k := range u.Query() {
			if !slices.Contains(queries[u.Path], k) {
				queries[u.Path] = append(queries[u.Path], k)
			}
		}
	}
	fs := forms(pages)
	for _, f := range fs {
		if f.method == "GET" {
			queries[f.action] = append(queries[f.action], f.fields...)
		}
	}
	// The same route is met at many paths (a group's page, each group's),
	// and the same form on many pages (a row's buttons): each parameter
	// of a route, and each form of a route with its fields, is sent the
	// values at up to two of its paths, not at all of them — the handler
	// is the same, and all of them took two and a half minutes.
	const perRoute = 2
	postRoutes := http.NewServeMux()
	for _, p := range consolePatterns(t, "POST") {
		postRoutes.Handle(p, http.NotFoundHandler())
	}
	routeOf := func(method, path string) string {
		r, err := http.NewRequest(method, c.base+path, nil)
		if err != nil {
			return method + " " + path
		}
		mux := c.routes
		if method == "POST" {
			mux = postRoutes
		}
		if _, p := mux.Handler(r); p != "" {
			return p
		}
		return method + " " + path
	}
	sentTo := map[string]int{}
	paths := slices.Sorted(maps.Keys(queries))
	for _, path := range paths {
		for _, k := range queries[path] {
			key := routeOf("GET", path) + " ?" + k
			if sentTo[key]++; sentTo[key] > perRoute {
				continue
			}
			for _, v := range hostile {
				check("GET", path+"?"+url.Values{k: {v}}.Encode(), nil)
			}
		}
	}
	// POST forms, with every field set to each value in turn.
	posts, routes := 0, map[string]bool{}
	for _, f := range fs {
		if f.method != "POST" {
			continue
		}
		route := routeOf("POST", f.action)
		routes[route] = true
		key := route + " " + strings.Join(f.fields, ",")
		if sentTo[key]++; sentTo[key] > perRoute {
			continue
		}
		posts++
		for _, v := range hostilePost {
			all := url.Values{}
			for k, vs := range f.fixed {
				all[k] = vs
			}
			for _, k := range f.fields {
				all.Set(k, v)
			}
			check("POST", f.action, all)
		}
	}
	if len(routes) < 20 {
		t.Errorf("found forms of %d POST routes on the crawled pages: the form reader is broken", len(routes))
	}
	t.Logf("%d requests, %d POST forms of %d routes", sent, posts, len(routes))
}

// apiBodies are the request bodies every API route is sent: none,
// malformed, of the wrong JSON type, empty (every field missing), an
// unknown field.
var apiBodies = []string{"", "{", "[]", "null", `"x"`, "{}", `{"unknown": 1}`, `[{}]`}

// hostileQuery are the values the API's query parameters are sent (all of
// them to every GET route: a route ignores the ones it does not read).
var hostileQuery = []string{"", "abc", "-1", "99999999999999999999", "2026-02-31", "\x00"}

// badAPI sends every HTTP API route (read from internal/api's sources)
// hostile path values, the query parameters docs/openapi.yaml names with
// hostile values, and the bodies above, with an admin token (and the
// bridge's token for the bridge's routes). Each answer must be below 500.
func badAPI(t *testing.T, base, token, bridge string) {
	files, err := filepath.Glob("../api/*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.Handle(?:Func)?\("((GET|POST|PUT|PATCH|DELETE) (/api/v1/[^"]+))"`)
	var routes [][]string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		routes = append(routes, re.FindAllStringSubmatch(string(b), -1)...)
	}
	if len(routes) < 50 {
		t.Fatalf("found %d API routes in internal/api's sources: the pattern no longer matches them", len(routes))
	}
	spec, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var queries []string
	for _, m := range regexp.MustCompile(`\{name: ([a-z_]+), in: query`).FindAllStringSubmatch(string(spec), -1) {
		if !slices.Contains(queries, m[1]) {
			queries = append(queries, m[1])
		}
	}
	param := regexp.MustCompile(`\{[a-z_]+\.{0,3}\}`)
	sent := 0
	took := map[string]time.Duration{}
	send := func(method, path, body string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			return // a path net/http itself refuses to build
		}
		tok := token
		if strings.HasPrefix(path, "/api/v1/events") || strings.HasPrefix(path, "/api/v1/actions") {
			tok = bridge
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return
		}
		defer func() { took[method+" "+strings.SplitN(path, "?", 2)[0]] += time.Since(start) }()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		resp.Body.Close()
		sent++
		if resp.StatusCode >= 500 {
			t.Errorf("%s %s %q: %d %q", method, path, body, resp.StatusCode, b)
		}
	}
	for _, r := range routes {
		method, pattern := r[2], r[3]
		paths := []string{param.ReplaceAllString(pattern, "1")}
		if param.MatchString(pattern) {
			for _, v := range hostilePath {
				paths = append(paths, param.ReplaceAllString(pattern, v))
			}
		}
		for i, p := range paths {
			switch {
			case method == "GET":
				send(method, p, "")
			case i == 0: // every body on a plausible path
				for _, b := range apiBodies {
					send(method, p, b)
				}
			default:
				send(method, p, "{}")
			}
		}
		if method == "GET" {
			for _, q := range queries {
				for _, v := range hostileQuery {
					send(method, paths[0]+"?"+url.Values{q: {v}}.Encode(), "")
				}
			}
		}
	}
	slow := slices.Collect(maps.Keys(took))
	slices.SortFunc(slow, func(a, b string) int { return int(took[b] - took[a]) })
	for _, k := range slow[:min(8, len(slow))] {
		t.Logf("%v in %s", took[k].Round(time.Millisecond), k)
	}
	t.Logf("%d API requests over %d routes", sent, len(routes))
}

// tokenAdd makes an API token with the real command.
func tokenAdd(t *testing.T, dir, data, name, scope string) string {
	t.Helper()
	cfg := filepath.Join(dir, "tokens.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "token", "add", name, "--scope", scope, "--config", cfg)
	cmd.Env = append(os.Environ(), "QUNZHU_CONFIG=")
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`: (qz_\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("token add %s: %v\n%s", name, err, out)
	}
	return string(m[1])
}
