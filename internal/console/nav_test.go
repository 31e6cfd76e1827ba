package console_test

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

func TestNavigation(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	for _, path := range []string{"/", "/groups", "/moderation", "/audit", "/rules", "/groups/" + itoa(w.cohort.ID)} {
		body := w.page(c, path)
		for _, link := range []string{`href="/"`, `href="/groups"`, `href="/moderation"`, `href="/audit"`, `href="/rules"`, `id="switch-lang"`} {
			if !strings.Contains(body, link) {
				t.Errorf("%s: navigation lacks %s", path, link)
			}
		}
		if strings.Count(body, `aria-current="page"`) != 1 {
			t.Errorf("%s: %d current navigation entries, want 1", path, strings.Count(body, `aria-current="page"`))
		}
	}
	if body := w.page(c, "/moderation?lang=en"); !strings.Contains(body, `href="/moderation" aria-current="page">Moderation`) || !strings.Contains(body, ">Audit log<") {
		t.Error("English navigation")
	}
	// The login page has no navigation.
	anon, _ := cookiejar.New(nil)
	if _, body := get(t, &http.Client{Jar: anon}, w.url+"/login"); strings.Contains(body, `href="/moderation"`) {
		t.Error("the login page shows the navigation")
	}
}
