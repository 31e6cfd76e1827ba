package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// fakeLinks holds one short link and records its visitors.
type fakeLinks struct {
	code, url string
	visitors  []string
}

func (f *fakeLinks) FollowLink(_ context.Context, code, visitor string) (string, error) {
	if code != f.code {
		return "", errkind.New(errkind.NotFound, "no such link")
	}
	f.visitors = append(f.visitors, visitor)
	return f.url, nil
}

// TestFollowLink: a short link redirects to its stored address only,
// whatever the request adds; an unknown code is a 404; the visitor is
// hashed — the same browser and address alike within a day, another
// browser or the next day not — and never sent as written.
func TestFollowLink(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	links := &fakeLinks{code: "AbCdE12345", url: "https://mp.weixin.qq.com/s/abc?x=1"}
	srv := &api.Server{Links: links, LinkKey: []byte("secret"), Now: func() time.Time { return now }}
	h := srv.Handler()
	get := func(path, ua string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = "203.0.113.7:5555"
		r.Header.Set("User-Agent", ua)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, path := range []string{"/l/AbCdE12345", "/l/AbCdE12345?to=https://evil.example/", "/l/AbCdE12345?url=//evil.example"} {
		w := get(path, "微信")
		if w.Code != http.StatusFound || w.Header().Get("Location") != links.url || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("GET %s: %d %q", path, w.Code, w.Header().Get("Location"))
		}
	}
	if w := get("/l/NoSuchCode", "微信"); w.Code != http.StatusNotFound || w.Header().Get("Location") != "" {
		t.Fatalf("an unknown code: %d %q", w.Code, w.Header().Get("Location"))
	}
	get("/l/AbCdE12345", "Safari")
	now = now.Add(24 * time.Hour)
	get("/l/AbCdE12345", "微信")
	v := links.visitors
	if len(v) != 5 || v[0] != v[1] || v[1] != v[2] || v[3] == v[0] || v[4] == v[0] || len(v[0]) != 32 {
		t.Fatalf("visitors: %q", v)
	}
}
