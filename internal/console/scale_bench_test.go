package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// BenchmarkConsolePages serves the console over the generated organisation
// of the scale benchmarks (10,000 groups, 1M members, 10M messages by
// default; see the -scale.* flags and docs/benchmarks.md), rolled up to
// now, logged in through the real login as a manager, and reports each
// page's latency percentiles: as a running console serves them, and
// (_cold) as the first page of a console that has not read the rollups
// yet. It runs on SQLite and, with QUNZHU_TEST_POSTGRES set, on
// PostgreSQL.
func BenchmarkConsolePages(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) { consolePages(b, d) })
	}
}

func consolePages(b *testing.B, d store.Dialect) {
	s := storetest.ScaleFromFlags()
	start := time.Now()
	db, gen := storetest.ScaleDB(storetest.Kept{TB: b}, d, s, func() time.Time { return s.Now })
	ctx := context.Background()
	if _, err := db.Rollup(ctx, gen.OrgID, s.Now, s.Loc, 400); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d groups, %d members, %d messages ready and rolled up in %v", s.Groups, gen.Members, gen.Messages, time.Since(start).Round(time.Second))
	hash, err := console.HashPassword("correct horse")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.UserByName(ctx, "admin"); err != nil {
		if err := db.CreateUser(ctx, &access.User{OrgID: gen.OrgID, Username: "admin", PasswordHash: hash, Role: "manager"}); err != nil {
			b.Fatal(err)
		}
	}
	srv := &console.Server{Store: db, Health: db, Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return s.Now }, Location: s.Loc}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	fetch := func(path string) (int, string) {
		resp, err := c.Get(hs.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	_, page := fetch("/login")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.Fatal("login page without a CSRF field")
	}
	resp, err := c.PostForm(hs.URL+"/login", url.Values{"csrf": {m[1]}, "username": {"admin"}, "password": {"correct horse"}, "next": {"/"}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("login: %d", resp.StatusCode)
	}
	for _, p := range []struct{ name, path string }{
		{"dashboard", "/"},
		{"groups", "/groups"},
		{"groups_dead", "/groups?state=dead"},
		{"group_500", fmt.Sprintf("/groups/%d", gen.BigGroup)},
	} {
		b.Run(p.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				code, body := fetch(p.path)
				took = append(took, time.Since(t0))
				if code != http.StatusOK {
					b.Fatalf("GET %s: %d\n%.2000s", p.path, code, body)
				}
			}
			reportLatency(b, took)
		})
	}
	// The first page after the console starts: a new console, with no
	// reading of the rollups yet, for every request (the session cookie is
	// signed with the same key). After a rollup run a console shows its
	// reading before while it reads again in the background.
	u, _ := url.Parse(hs.URL)
	for _, p := range []struct{ name, path string }{{"dashboard_cold", "/"}, {"groups_cold", "/groups"}} {
		b.Run(p.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				b.StopTimer()
				h := (&console.Server{Store: db, Health: db, Key: srv.Key, Now: srv.Now, Location: s.Loc}).Handler()
				req := httptest.NewRequest("GET", p.path, nil)
				for _, ck := range jar.Cookies(u) {
					req.AddCookie(ck)
				}
				rec := httptest.NewRecorder()
				b.StartTimer()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				took = append(took, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s on a new console: %d", p.path, rec.Code)
				}
			}
			reportLatency(b, took)
		})
	}
}

// reportLatency reports the 50th, 95th and 99th percentiles of request
// times.
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50_ms")
	b.ReportMetric(at(0.95), "p95_ms")
	b.ReportMetric(at(0.99), "p99_ms")
}
