package app_test

// Bad input never gets a 5xx (the brief: "clear errors for bad input: a
// 4xx that says what is wrong, never a 500"). After the crawl, the
// manager's session sends the console what a careless or hostile hand
// would: every GET route with path values that are not ids (letters,
// negative, huge, Chinese, a NUL), every query parameter of the pages and
// of their GET forms with such values, and every POST form the pages show
// (with the session's CSRF token) with all its fields set to each such
// value, empty among them. Each answer must be below 500. It runs last:
// the forms it submits may change the demo.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

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
	for path, keys := range queries {
		for _, k := range keys {
			for _, v := range hostile {
				check("GET", path+"?"+url.Values{k: {v}}.Encode(), nil)
			}
		}
	}
	// POST forms, with every field set to each value in turn.
	posts := 0
	for _, f := range fs {
		if f.method != "POST" {
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
	if posts < 20 {
		t.Errorf("found %d POST forms on the crawled pages: the form reader is broken", posts)
	}
	t.Logf("%d requests, %d POST forms", sent, posts)
}
