package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

var groupID int64

func setup(t *testing.T) (*httptest.Server, int64) {
	t.Helper()
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	ctx := context.Background()
	org := community.Org{Name: "学院", Slug: "a"}
	db.CreateOrg(ctx, &org)
	other := community.Org{Name: "别家", Slug: "b"}
	db.CreateOrg(ctx, &other)
	g := community.Group{OrgID: org.ID, Connection: "sim", Platform: "sim", ExternalID: "g1", Name: "NF-阳新第6期微营销培训群", Kind: community.KindCohort}
	db.CreateGroup(ctx, &g)
	groupID = g.ID
	// Two members of 40 days' standing: one spoke yesterday, one never.
	for i, spoke := range []bool{true, false} {
		p := community.Person{OrgID: org.ID, Name: fmt.Sprint("成员", i)}
		db.CreatePerson(ctx, &p)
		db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p.ID, JoinedAt: now.Add(-40 * 24 * time.Hour)})
		if spoke {
			db.Ingest(ctx, func(tx pipeline.Tx) error {
				return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: p.ID, ExternalID: "m1", Kind: chat.KindText, Text: "大家好", SentAt: now.Add(-24 * time.Hour)}})
			})
		}
	}
	foreign := community.Group{OrgID: other.ID, Connection: "sim", Platform: "sim", ExternalID: "g2", Name: "别家的群"}
	db.CreateGroup(ctx, &foreign)
	hash, err := console.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &access.User{OrgID: org.ID, Username: "admin", PasswordHash: hash, Role: "manager"}); err != nil {
		t.Fatal(err)
	}
	s := &console.Server{Store: db, Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, foreign.ID
}

func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func login(t *testing.T, c *http.Client, base, pw string) (int, string) {
	t.Helper()
	_, page := get(t, c, base+"/login")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page has no CSRF field:\n%s", page)
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "username": {"admin"}, "password": {pw}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoginAndDashboard(t *testing.T) {
	srv, foreignID := setup(t)
	c := client(t)
	if code, body := get(t, c, srv.URL+"/"); code != 200 || !strings.Contains(body, `action="/login"`) {
		t.Fatalf("anonymous dashboard: %d, want the login page", code)
	}
	if code, body := login(t, c, srv.URL, "wrong password"); code != 401 || !strings.Contains(body, "用户名或密码错误") {
		t.Fatalf("wrong password: %d", code)
	}
	code, body := login(t, c, srv.URL, "correct horse")
	if code != 200 || !strings.Contains(body, "NF-阳新第6期微营销培训群") || strings.Contains(body, "别家的群") {
		t.Fatalf("dashboard after login: %d\n%s", code, body)
	}
	if !strings.Contains(body, "<svg") || !strings.Contains(body, "学员群") {
		t.Fatal("dashboard lacks its chart or translated group kind")
	}
	if code, body := get(t, c, srv.URL+"/?lang=en"); code != 200 || !strings.Contains(body, "Dashboard") || !strings.Contains(body, "cohort") {
		t.Fatalf("English dashboard: %d", code)
	}
	if _, body := get(t, c, srv.URL+"/"); !strings.Contains(body, "Dashboard") {
		t.Fatal("language choice was not remembered")
	}
	if code, body := get(t, c, srv.URL+"/groups/"+itoa(groupID)); code != 200 || !strings.Contains(body, "st-active") || !strings.Contains(body, "st-zombie") || !strings.Contains(body, "大家好") {
		t.Fatalf("group page: %d, want an active and a zombie member\n%s", code, body)
	}
	if code, _ := get(t, c, srv.URL+"/groups/"+itoa(foreignID)); code != 404 {
		t.Fatalf("another organisation's group: %d, want 404", code)
	}
	// A logout without the CSRF token is refused.
	resp, _ := c.PostForm(srv.URL+"/logout", url.Values{})
	if resp.StatusCode != 403 {
		t.Fatalf("logout without CSRF: %d, want 403", resp.StatusCode)
	}
}

func TestLoginCSRFAndRateLimit(t *testing.T) {
	srv, _ := setup(t)
	c := client(t)
	resp, _ := c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {"correct horse"}})
	if resp.StatusCode != 403 {
		t.Fatalf("login without the form token: %d, want 403", resp.StatusCode)
	}
	for i := 0; i < 10; i++ {
		login(t, c, srv.URL, "guess")
	}
	if code, body := login(t, c, srv.URL, "correct horse"); code != 429 || !strings.Contains(body, "15") {
		t.Fatalf("11th attempt: %d, want 429", code)
	}
}

func TestTamperedSession(t *testing.T) {
	srv, _ := setup(t)
	c := client(t)
	login(t, c, srv.URL, "correct horse")
	u, _ := url.Parse(srv.URL)
	for _, tamper := range []func(string) string{
		func(v string) string { // one character changed
			b := []byte(v)
			b[len(b)-1] ^= 1
			return string(b)
		},
		func(string) string { return "" },
		// The signed cookies of before: name|expiry|nonce|signature.
		func(string) string { return "admin|9999999999|0011223344556677|c2lnbmF0dXJl" },
	} {
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "qz_session" {
				ck.Value = tamper(ck.Value)
				c.Jar.SetCookies(u, []*http.Cookie{ck})
			}
		}
		if _, body := get(t, c, srv.URL+"/"); !strings.Contains(body, `action="/login"`) {
			t.Fatal("a tampered session cookie was accepted")
		}
		login(t, c, srv.URL, "correct horse")
	}
}

func TestState(t *testing.T) {
	g := community.Group{Lifecycle: community.Active}
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	tests := []struct {
		last *time.Time
		want string
	}{{nil, "dead"}, {at(day), "active"}, {at(14 * day), "dormant"}, {at(30 * day), "dead"}}
	for _, tt := range tests {
		if got := console.State(g, tt.last, now); got != tt.want {
			t.Errorf("State(last=%v) = %s, want %s", tt.last, got, tt.want)
		}
	}
	g.Lifecycle = community.Archived
	if console.State(g, at(day), now) != "archived" {
		t.Error("archived group not shown archived")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
