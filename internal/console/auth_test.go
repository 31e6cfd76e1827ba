package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/clientip"
	"github.com/qunzhu/qunzhu/internal/console"
)

// loginFrom signs user in with password, as the client at addr behind the
// proxy (X-Forwarded-For; "" for none), and returns the status.
func loginFrom(t *testing.T, base, user, password, addr string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, page := get(t, c, base+"/login")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no login form")
	}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"csrf": {m[1]}, "username": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// guess sends n wrong passwords at once and counts the answers by status.
func guess(t *testing.T, base, user string, n int, addr func(i int) string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := loginFrom(t, base, user, fmt.Sprint("guess ", i), addr(i))
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

// TestLoginLimitCountsFirst: 30 guesses sent at once — each is counted
// before its password is checked, so 10 are checked and 20 refused (they
// all passed the old check-then-count limit).
func TestLoginLimitCountsFirst(t *testing.T) {
	srv, _ := setup(t)
	codes := guess(t, srv.URL, "admin", 30, func(int) string { return "" })
	if codes[401] != 10 || codes[429] != 20 {
		t.Fatalf("30 simultaneous guesses: %v, want 10 checked (401) and 20 refused (429)", codes)
	}
	if code := loginFrom(t, srv.URL, "admin", "correct horse", ""); code != 429 {
		t.Fatalf("the right password from the locked address: %d, want 429", code)
	}
}

// TestLoginLimitBehindProxy: behind a trusted proxy each client is counted
// on its own (one client's guesses do not lock the others out), an account
// is limited however many addresses guess at it, and a client's
// X-Forwarded-For is ignored when it does not come from the proxy.
func TestLoginLimitBehindProxy(t *testing.T) {
	w := newWorld(t)
	proxy, err := clientip.New([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	w.srv.ClientAddr = proxy.Addr
	hash, _ := console.HashPassword("second pw!")
	if err := w.db.CreateUser(context.Background(), &access.User{OrgID: w.org.ID, Username: "second", PasswordHash: hash, Role: access.Manager}); err != nil {
		t.Fatal(err)
	}
	codes := guess(t, w.url, "nobody", 15, func(int) string { return "198.51.100.1" })
	if codes[401] != 10 || codes[429] != 5 {
		t.Fatalf("one client's 15 guesses: %v, want 10 and 5", codes)
	}
	if code := loginFrom(t, w.url, "admin", "correct horse", "198.51.100.2"); code != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy: %d, want a login", code)
	}
	// 25 addresses guess at one account: 20 are checked.
	codes = guess(t, w.url, "second", 25, func(i int) string { return fmt.Sprint("203.0.113.", i+1) })
	if codes[401] != 20 || codes[429] != 5 {
		t.Fatalf("25 addresses guessing at one account: %v, want 20 and 5", codes)
	}
	if code := loginFrom(t, w.url, "second", "second pw!", "192.0.2.9"); code != 429 {
		t.Fatalf("the resting account's right password: %d, want 429", code)
	}
	if code := loginFrom(t, w.url, "admin", "correct horse", "192.0.2.9"); code != http.StatusSeeOther {
		t.Fatalf("another account from the same address: %d", code)
	}

	// Without the proxy trusted, the header is the client's word: ignored.
	w2 := newWorld(t)
	w2.srv.ClientAddr = (&clientip.Resolver{}).Addr
	codes = guess(t, w2.url, "nobody", 12, func(i int) string { return fmt.Sprint("203.0.113.", i+1) })
	if codes[401] != 10 || codes[429] != 2 {
		t.Fatalf("forged X-Forwarded-For from an untrusted peer: %v, want 10 and 2", codes)
	}
}

// TestSessionEnds: a saved session cookie stops working after logout, a
// new password and disabling the account.
func TestSessionEnds(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	admin, err := w.db.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := console.HashPassword("second pw!")
	if err := w.db.CreateUser(ctx, &access.User{OrgID: w.org.ID, Username: "second", PasswordHash: hash, Role: access.Manager}); err != nil {
		t.Fatal(err)
	}
	// saved signs in and returns a copy of the session cookie.
	saved := func() (*http.Client, string) {
		t.Helper()
		c := w.user()
		u, _ := url.Parse(w.url)
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "qz_session" {
				return c, ck.Value
			}
		}
		t.Fatal("no session cookie")
		return nil, ""
	}
	works := func(cookie string) bool {
		t.Helper()
		req, _ := http.NewRequest("GET", w.url+"/", nil)
		req.AddCookie(&http.Cookie{Name: "qz_session", Value: cookie})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}

	c, cookie := saved()
	if !works(cookie) {
		t.Fatal("a fresh session does not work")
	}
	if code, _ := w.post(c, "/", "/logout", url.Values{}, true); code != 200 {
		t.Fatalf("logout: %d", code)
	}
	if works(cookie) {
		t.Fatal("a saved cookie works after logout")
	}

	_, cookie = saved()
	newHash, _ := console.HashPassword("a new password")
	if err := w.db.SetPassword(ctx, w.org.ID, admin.ID, newHash, "staff:second"); err != nil {
		t.Fatal(err)
	}
	if works(cookie) {
		t.Fatal("a saved cookie works after a new password")
	}
	if code, _ := login(t, client(t), w.url, "correct horse"); code != 401 {
		t.Fatalf("the old password: %d", code)
	}

	if err := w.db.SetPassword(ctx, w.org.ID, admin.ID, hash, "staff:second"); err != nil {
		t.Fatal(err)
	}
	c = client(t)
	if code, _ := login(t, c, w.url, "second pw!"); code != 200 {
		t.Fatalf("login: %d", code)
	}
	u, _ := url.Parse(w.url)
	cookie = c.Jar.Cookies(u)[0].Value
	if err := w.db.SetUserDisabled(ctx, w.org.ID, admin.ID, true, "staff:second"); err != nil {
		t.Fatal(err)
	}
	if works(cookie) {
		t.Fatal("a saved cookie works after the account was disabled")
	}
	if code, body := login(t, client(t), w.url, "second pw!"); code != 403 || !strings.Contains(body, "已停用") {
		t.Fatalf("a disabled account's right password: %d", code)
	}
}
