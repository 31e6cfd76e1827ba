package console

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// nasty are redirect targets that lead off the site in some browser.
var nasty = []string{
	"", "evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
	"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
	"/ /evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/\u0085/evil.example",
	"https://evil.example/", "javascript:alert(1)", "http:/evil.example", "/%", "/a\\b",
}

func TestSafeNext(t *testing.T) {
	for _, n := range nasty {
		if got := safeNext(n); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", n, got)
		}
	}
	for _, n := range []string{"/", "/groups", "/groups/12?sort=name&dir=desc", "/people/3#referrals", "/%2F%2Fevil.example", "/rules/edit?scope=group:3&group=3", "/%E7%BE%A4"} {
		if got := safeNext(n); got != n {
			t.Errorf("safeNext(%q) = %q, want it kept", n, got)
		}
	}
}

func TestLocalReferer(t *testing.T) {
	for ref, want := range map[string]string{
		"": "/",
		"http://console.example/groups?sort=name":   "/groups?sort=name",
		"https://console.example/moderation":        "/moderation",
		"http://console.example":                    "/",
		"http://evil.example/groups":                "/",
		"http://console.example//evil.example/x":    "/",
		"http://console.example/%2F%2Fevil.example": "/%2F%2Fevil.example",
		"http://console.example/\\evil.example":     "/%5Cevil.example", // escaped: a path on this site
		"javascript://console.example/%0aalert(1)":  "/",
		"http://console.example/a%0d%0aLocation:x":  "/a%0d%0aLocation:x",
		"//console.example/groups":                  "/",
	} {
		r := httptest.NewRequest("POST", "http://console.example/x", nil)
		r.Header.Set("Referer", ref)
		if got := localReferer(r); got != want {
			t.Errorf("Referer %q: %q, want %q", ref, got, want)
		}
	}
}

// TestLanguageLinkStaysLocal: the other language's link is built from the
// path as requested, still escaped; /%2F%2Fevil%2Fx once made
// href="///evil/x".
func TestLanguageLinkStaysLocal(t *testing.T) {
	s := &Server{}
	s.init()
	for path, want := range map[string]string{
		"/groups?sort=name":           "/groups?lang=en&sort=name",
		"/%2F%2Fevil%2Fx":             "/%2F%2Fevil%2Fx?lang=en",
		"/%5Cevil.example":            "/%5Cevil.example?lang=en",
		"/%09/evil.example":           "/%09/evil.example?lang=en",
		"/x?next=//evil.example":      "/x?lang=en&next=%2F%2Fevil.example",
		"/%E7%BE%A4?lang=zh":          "/%E7%BE%A4?lang=en",
		"/%2f%2fevil.example%2fx?a=1": "/%2f%2fevil.example%2fx?a=1&lang=en",
	} {
		r := httptest.NewRequest("GET", path, nil)
		got := s.page(r, nil, "", nil).OtherURL
		if got != want {
			t.Errorf("%s: the language link is %q, want %q", path, got, want)
		}
		if strings.HasPrefix(got, "//") || strings.Contains(got, "\\") {
			t.Errorf("%s: %q leaves the site", path, got)
		}
	}
}
