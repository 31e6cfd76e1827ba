package app_test

// The hardening of #12 against the real binary: who may act, login
// limits, sessions that end, redirects, file modes.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// consoleClient is a browser-like client of the console that does not
// follow redirects.
type consoleClient struct {
	t    *testing.T
	base string
	c    *http.Client
	xff  string // the X-Forwarded-For a trusted proxy would add, if any
}

func newConsoleClient(t *testing.T, base string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var formCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and returns the status, the Location and the body.
func (c *consoleClient) do(method, path string, form url.Values) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.xff != "" {
		req.Header.Set("X-Forwarded-For", c.xff)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// csrf reads the form token of the page at path.
func (c *consoleClient) csrf(path string) string {
	c.t.Helper()
	code, _, page := c.do("GET", path, nil)
	m := formCSRF.FindStringSubmatch(page)
	if code != 200 || m == nil {
		c.t.Fatalf("GET %s: %d, no form token", path, code)
	}
	return m[1]
}

// login signs in and returns the status and where it leads.
func (c *consoleClient) login(user, password, next string) (int, string) {
	c.t.Helper()
	code, loc, _ := c.do("POST", "/login", url.Values{"csrf": {c.csrf("/login")}, "username": {user}, "password": {password}, "next": {next}})
	return code, loc
}

// post sends a console form with the token of the page at from.
func (c *consoleClient) post(from, path string, form url.Values) (int, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf(from))
	code, _, body := c.do("POST", path, form)
	return code, body
}

// session is the client's session cookie.
func (c *consoleClient) session() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == "qz_session" {
			return ck.Value
		}
	}
	return ""
}

// works reports whether a saved session cookie still opens the console.
func works(t *testing.T, base, cookie string) bool {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.AddCookie(&http.Cookie{Name: "qz_session", Value: cookie})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// qunzhu runs a command of the binary in dir and returns its output.
func qunzhu(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "QUNZHU_CONFIG=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("qunzhu %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var passwordRE = regexp.MustCompile(`(?:password 密码|新密码): (\S+)`)

// addUser creates a console account with the CLI and returns its password.
func addUser(t *testing.T, dir string, args ...string) string {
	t.Helper()
	m := passwordRE.FindStringSubmatch(qunzhu(t, dir, append([]string{"user", "add"}, args...)...))
	if m == nil {
		t.Fatalf("user add %v printed no password", args)
	}
	return m[1]
}

func adminPassword(t *testing.T, dir string) string {
	t.Helper()
	return dataFile(t, dir, "admin.password")
}

// TestViewerCannotBanEndToEnd is #12's case: a viewer scoped to one group
// upheld a report with "ban" — an organisation-wide ban, enforced in
// groups outside her scope — and with "warn" made the bot post her text.
// Both are refused now; a manager's ban goes through.
func TestViewerCannotBanEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir, "serve", "--migrate")
	now := time.Now()
	old := now.Add(-10 * 24 * time.Hour).Format(time.RFC3339)
	for _, events := range []string{
		fmt.Sprintf(`[{"id":"j1","type":"member_joined","group":"g1","group_name":"阳新学员群","time":%[1]q,"sender":{"id":"reporter","name":"老学员"}},
		  {"id":"j2","type":"member_joined","group":"g2","group_name":"大冶业主群","time":%[1]q,"sender":{"id":"rumour","name":"小王"}},
		  {"id":"m1","type":"message","group":"g1","time":%[2]q,"sender":{"id":"rumour","name":"小王"},"message":{"id":"bad","kind":"text","text":"明天的课取消了"}}]`, old, now.Format(time.RFC3339)),
		fmt.Sprintf(`[{"id":"m2","type":"message","group":"g1","time":%q,"sender":{"id":"reporter","name":"老学员"},"message":{"id":"r1","kind":"text","text":"举报","reply_to":"bad"}}]`, now.Format(time.RFC3339)),
	} {
		if code, res := call(t, "POST", p.url+"/api/v1/events", bridgeToken, events); code != 200 {
			t.Fatalf("events: %d %v", code, res)
		}
	}
	admin := adminToken(t, dir)
	_, res := call(t, "GET", p.url+"/api/v1/reports", admin, "")
	reports, _ := res["reports"].([]any)
	if len(reports) != 1 {
		t.Fatalf("reports: %v", res)
	}
	report := reports[0].(map[string]any)
	caseID, groupID := int(report["id"].(float64)), int(report["group_id"].(float64))
	cfg := filepath.Join(dir, "qunzhu.toml")
	pw := addUser(t, dir, "viewer", "--role", "viewer", "--group", fmt.Sprint(groupID), "--config", cfg)

	v := newConsoleClient(t, p.url)
	if code, loc := v.login("viewer", pw, "/moderation"); code != 303 || loc != "/moderation" {
		t.Fatalf("viewer login: %d %s", code, loc)
	}
	if _, _, page := v.do("GET", "/moderation", nil); !strings.Contains(page, "明天的课取消了") || strings.Contains(page, fmt.Sprintf(`action="/moderation/reports/%d"`, caseID)) {
		t.Fatal("the viewer does not see the report, or is offered the review form")
	}
	for _, form := range []url.Values{
		{"decision": {"uphold"}, "action": {"ban"}, "note": {"封了"}},
		{"decision": {"uphold"}, "action": {"warn"}, "note": {"机器人替我说的话"}},
		{"decision": {"dismiss"}},
	} {
		if code, body := v.post("/moderation", fmt.Sprintf("/moderation/reports/%d", caseID), form); code != 403 || !strings.Contains(body, "只读") {
			t.Errorf("the viewer's %v: %d, want 403", form, code)
		}
	}
	if _, res := call(t, "GET", p.url+"/api/v1/reports", admin, ""); len(res["reports"].([]any)) != 1 {
		t.Fatalf("the viewer's refused decisions closed the case: %v", res)
	}
	if code, res := call(t, "GET", p.url+"/api/v1/actions", bridgeToken, ""); code != 200 || strings.Contains(fmt.Sprint(res), "机器人替我说的话") || strings.Contains(fmt.Sprint(res), `kind:ban`) {
		t.Fatalf("the viewer's refused decisions reached the chat: %v", res)
	}
	// A read token is refused the same decision through the API.
	read := regexp.MustCompile(`qz_\S+`).FindString(qunzhu(t, dir, "token", "add", "dashboard", "--scope", "read", "--config", cfg))
	if code, res := call(t, "POST", fmt.Sprintf("%s/api/v1/reports/%d/decision", p.url, caseID), read, `{"uphold":true,"action":"ban","note":"x"}`); code != 403 {
		t.Fatalf("a read token's ban: %d %v", code, res)
	}

	// The manager bans: the ban is organisation-wide, so the other group
	// removes the member too.
	m := newConsoleClient(t, p.url)
	if code, _ := m.login("admin", adminPassword(t, dir), "/"); code != 303 {
		t.Fatalf("admin login: %d", code)
	}
	if code, body := m.post("/moderation", fmt.Sprintf("/moderation/reports/%d", caseID), url.Values{"decision": {"uphold"}, "action": {"ban"}, "note": {"造谣"}}); code != 303 {
		t.Fatalf("the manager's ban: %d\n%s", code, body)
	}
	if _, res := call(t, "GET", p.url+"/api/v1/reports?status=upheld", admin, ""); len(res["reports"].([]any)) != 1 {
		t.Fatalf("after the manager's ban: %v", res)
	}
	// Organisation-wide: joining a group far from the viewer's scope, the
	// member is banned there at once — what the viewer's "ban" did.
	join := fmt.Sprintf(`[{"id":"j3","type":"member_joined","group":"g3","group_name":"黄石门店群","time":%q,"sender":{"id":"rumour","name":"小王"}}]`, time.Now().Format(time.RFC3339))
	if code, res := call(t, "POST", p.url+"/api/v1/events", bridgeToken, join); code != 200 {
		t.Fatalf("join: %d %v", code, res)
	}
	_, res = call(t, "GET", p.url+"/api/v1/actions", bridgeToken, "")
	banned := false
	for _, a := range res["actions"].([]any) {
		a := a.(map[string]any)
		banned = banned || a["kind"] == "ban" && a["group"] == "g3" && a["user"] == "rumour"
	}
	if !banned {
		t.Fatalf("the organisation ban was not enforced in another group: %v", res)
	}
}

// TestLoginLimitEndToEnd: 30 guesses sent at once are counted before the
// password is checked: 10 are checked and 20 refused. Behind the trusted
// proxy, another client is not locked out, and an account guessed at from
// many addresses rests after 20.
func TestLoginLimitEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	cfg, _ := os.ReadFile(filepath.Join(dir, "qunzhu.toml"))
	os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(strings.Replace(string(cfg), "[server]\n", "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n", 1)), 0o600)
	p := start(t, dir, "serve", "--migrate")
	guesses := func(n int, user string, from func(i int) string) map[int]int {
		t.Helper()
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newConsoleClient(t, p.url)
				c.xff = from(i)
				code, _ := c.login(user, fmt.Sprint("guess-", i), "/")
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}
	if codes := guesses(30, "admin", func(int) string { return "198.51.100.7" }); codes[401] != 10 || codes[429] != 20 {
		t.Fatalf("30 simultaneous guesses from one client: %v, want 10 checked (401) and 20 refused (429)", codes)
	}
	locked := newConsoleClient(t, p.url)
	locked.xff = "198.51.100.7"
	if code, _ := locked.login("admin", adminPassword(t, dir), "/"); code != 429 {
		t.Fatalf("the right password from the locked client: %d, want 429", code)
	}
	other := newConsoleClient(t, p.url)
	other.xff = "198.51.100.8"
	if code, _ := other.login("admin", adminPassword(t, dir), "/"); code != 303 {
		t.Fatalf("another client behind the proxy: %d, want a login", code)
	}
	// The account has 10 failures; 10 more from ten addresses, then it rests.
	if codes := guesses(15, "admin", func(i int) string { return fmt.Sprint("203.0.113.", i+1) }); codes[401] != 10 || codes[429] != 5 {
		t.Fatalf("guesses at one account from 15 addresses: %v, want 10 and 5", codes)
	}
	fresh := newConsoleClient(t, p.url)
	fresh.xff = "192.0.2.55"
	if code, _ := fresh.login("admin", adminPassword(t, dir), "/"); code != 429 {
		t.Fatalf("the resting account from a new address: %d, want 429", code)
	}
}

// TestSessionsEndEndToEnd: a saved session cookie stops working after
// logout, after `qunzhu user passwd`, and after `qunzhu user disable`.
func TestSessionsEndEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir, "serve", "--migrate")
	cfg := filepath.Join(dir, "qunzhu.toml")
	pw := addUser(t, dir, "boss2", "--role", "manager", "--config", cfg)
	signIn := func(user, password string) *consoleClient {
		t.Helper()
		c := newConsoleClient(t, p.url)
		if code, _ := c.login(user, password, "/"); code != 303 || c.session() == "" {
			t.Fatalf("%s login: %d", user, code)
		}
		return c
	}

	c := signIn("boss2", pw)
	saved := c.session()
	if !works(t, p.url, saved) {
		t.Fatal("a fresh session does not work")
	}
	if code, _ := c.post("/", "/logout", url.Values{}); code != 303 {
		t.Fatalf("logout: %d", code)
	}
	if works(t, p.url, saved) {
		t.Fatal("a saved cookie works after logout")
	}

	saved = signIn("boss2", pw).session()
	out := qunzhu(t, dir, "user", "passwd", "boss2", "--config", cfg)
	if works(t, p.url, saved) {
		t.Fatalf("a saved cookie works after user passwd:\n%s", out)
	}
	pw = passwordRE.FindStringSubmatch(out)[1]

	saved = signIn("boss2", pw).session()
	qunzhu(t, dir, "user", "disable", "boss2", "--config", cfg)
	if works(t, p.url, saved) {
		t.Fatal("a saved cookie works after user disable")
	}
	if code, _ := newConsoleClient(t, p.url).login("boss2", pw, "/"); code != 403 {
		t.Fatalf("a disabled account's login: %d, want 403", code)
	}
	qunzhu(t, dir, "user", "enable", "boss2", "--config", cfg)
	signIn("boss2", pw)

	// A revoked API token stops working at once.
	tok := regexp.MustCompile(`qz_\S+`).FindString(qunzhu(t, dir, "token", "add", "ci", "--scope", "read", "--config", cfg))
	if code, _ := call(t, "GET", p.url+"/api/v1/groups", tok, ""); code != 200 {
		t.Fatalf("a new token: %d", code)
	}
	qunzhu(t, dir, "token", "revoke", "ci", "--config", cfg)
	if code, _ := call(t, "GET", p.url+"/api/v1/groups", tok, ""); code != 401 {
		t.Fatalf("a revoked token: %d, want 401", code)
	}
}

// TestRedirectsStayOnSiteEndToEnd: the login's next and the 404 page's
// language link cannot lead to another host.
func TestRedirectsStayOnSiteEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir, "serve", "--migrate")
	for next, want := range map[string]string{
		"/\t/evil.example":     "/",
		"/\n/evil.example":     "/",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"/groups?sort=name":    "/groups?sort=name",
	} {
		c := newConsoleClient(t, p.url)
		if code, loc := c.login("admin", adminPassword(t, dir), next); code != 303 || loc != want {
			t.Errorf("login with next=%q: %d to %q, want %q", next, code, loc, want)
		}
	}
	c := newConsoleClient(t, p.url)
	for _, path := range []string{"/%2F%2Fevil%2Fx", "/%2f%2fevil.example", "/%5Cevil.example", "/%09/evil.example"} {
		code, _, page := c.do("GET", path, nil)
		m := regexp.MustCompile(`id="switch-lang"[^>]*href="([^"]*)"|href="([^"]*)"[^>]*id="switch-lang"`).FindStringSubmatch(page)
		if code != 404 || m == nil {
			t.Fatalf("GET %s: %d, no language link", path, code)
		}
		href := m[1] + m[2]
		if !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") || strings.Contains(href, "\\") {
			t.Errorf("GET %s: the language link is %q", path, href)
		}
	}
}

// TestFilesPrivateEndToEnd: the data directory is 0700 and the database,
// its -wal and -shm files, the admin password and token and the session
// key 0600 — on a new installation and on an old one whose files others
// could read — and the admin password is never printed.
func TestFilesPrivateEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir, "serve", "--migrate")
	data := filepath.Join(dir, "data")
	check := func(when string) {
		t.Helper()
		if code, _ := call(t, "POST", p.url+"/api/v1/events", bridgeToken, `{"id":"x1","type":"message","group":"g","time":"2026-11-25T08:00:00+08:00","sender":{"id":"u"},"message":{"id":"x1","kind":"text","text":"hi"}}`); code != 200 {
			t.Fatalf("%s: post an event: %d", when, code)
		}
		if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: the data directory: %v %v, want 0700", when, fi.Mode().Perm(), err)
		}
		for _, f := range []string{"qunzhu.db", "qunzhu.db-wal", "qunzhu.db-shm", "admin.password", "admin.token", "session.key"} {
			if fi, err := os.Stat(filepath.Join(data, f)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s: %v %v, want 0600", when, f, fi.Mode().Perm(), err)
			}
		}
		if out, pw := p.printed(), adminPassword(t, dir); strings.Contains(out+p.stderr.String(), pw) || !strings.Contains(out, filepath.Join("data", "admin.password")) {
			t.Errorf("%s: the output shows the password, or not where it is:\n%s", when, out)
		}
	}
	check("first start")
	p.stop(t)
	// An installation from before: everything readable by all.
	os.Chmod(data, 0o755)
	for _, f := range []string{"qunzhu.db", "admin.password"} {
		os.Chmod(filepath.Join(data, f), 0o644)
	}
	p = start(t, dir, "serve")
	check("restart of an old installation")
	if !strings.Contains(p.stderr.String(), "made it 0700") || !strings.Contains(p.stderr.String(), "made it 0600") || !strings.Contains(p.stderr.String(), "admin.password was open to others") {
		t.Errorf("tightening was not logged:\n%s", p.stderr)
	}
}
