package app_test

// Browser tests: the console of `qunzhu demo` (the real binary that TestMain
// builds) in a headless Chromium that chromedp drives. One browser, one tab,
// several subtests; each subtest logs in again when it finds the login page,
// so a single one can run alone with -run 'Browser/Rules'.
//
// Chromium comes from Debian (apt-get install chromium fonts-wqy-microhei);
// .ci/run installs it. Without it the test is skipped, except when CI is
// set (CI=true), where it fails.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qunzhu/qunzhu/internal/content"
)

// chromium returns the path of the Chromium binary, or skips the test
// (fails it under CI=true) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "Chromium not found: the browser tests need Debian's chromium and fonts-wqy-microhei (apt-get install -y chromium fonts-wqy-microhei; .ci/run installs them)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set (CI=true), so this is a failure, not a skip")
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns the
// context of its one tab. The network of the test machines is closed, so
// everything that phones home is switched off: without that Chromium hangs
// on connections.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A Chinese browser: the console picks its language from
		// Accept-Language until the user chooses one.
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		// A fresh profile, removed when the browser has exited.
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first run starts the browser, which lives as long as the context
	// of that run: give it tab itself, and a timer that gives up.
	timer := time.AfterFunc(30*time.Second, cancelTab)
	defer timer.Stop()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return tab
}

// page is the browser tab in one subtest: its actions fail the subtest.
type page struct {
	t    *testing.T
	ctx  context.Context // ends with the subtest's time limit
	base string          // http://127.0.0.1:port
}

// subtest runs f in a subtest with its own time limit. When the subtest
// fails, it saves a full-page screenshot of the tab and logs where.
func subtest(t *testing.T, tab context.Context, base, name string, f func(p *page)) {
	t.Run(name, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(tab, 60*time.Second)
		t.Cleanup(cancel)
		t.Cleanup(func() {
			if t.Failed() {
				screenshot(t, tab)
			}
		})
		f(&page{t: t, ctx: ctx, base: base})
	})
}

func screenshot(t *testing.T, tab context.Context) {
	ctx, cancel := context.WithTimeout(tab, 15*time.Second)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	dir := os.Getenv("QUNZHU_TEST_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	name := "qunzhu-browser-" + regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "-") + ".png"
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	t.Logf("screenshot of %s: %s", loc, path)
}

// do runs actions that return nothing.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// open loads base+path and waits for it.
func (p *page) open(path string) {
	p.t.Helper()
	p.do("open "+path, chromedp.Navigate(p.base+path))
}

// submit clicks the element sel (a submit button or a link) and waits for
// the page that it loads.
func (p *page) submit(sel string) {
	p.t.Helper()
	if _, err := chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		p.t.Fatalf("click %s: %v", sel, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// text is the trimmed text content of the first element of sel, "" if none.
func (p *page) text(sel string) string {
	p.t.Helper()
	return strings.TrimSpace(eval[string](p, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)))
}

// texts is the trimmed text content of every element of sel.
func (p *page) texts(sel string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => e.textContent.trim())`, sel))
}

// location is the URL of the page.
func (p *page) location() *url.URL {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		p.t.Fatal(err)
	}
	return u
}

// set sets the value of the form field sel (a select, or "" to clear a text
// field before typing), as a user's choice would: with input and change
// events.
func (p *page) set(sel, value string) {
	p.t.Helper()
	got := eval[string](p, fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		if (!e) return "<no such field>";
		e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true}));
		e.dispatchEvent(new Event('change', {bubbles: true}));
		return e.value;
	})()`, sel, value))
	if got != value {
		p.t.Fatalf("set %s to %q: it is %q", sel, value, got)
	}
}

// typeIn clears the text field sel and types text into it.
func (p *page) typeIn(sel, text string) {
	p.t.Helper()
	p.set(sel, "")
	p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// login fills in and sends the login form that the tab shows.
func (p *page) login(user, password string) {
	p.t.Helper()
	p.typeIn(`input[name=username]`, user)
	p.typeIn(`input[name=password]`, password)
	p.submit(`form[action="/login"] button[type=submit]`)
}

// openAs loads path, logging in first when the console asks for it.
func (p *page) openAs(path, password string) {
	p.t.Helper()
	p.open(path)
	if p.location().Path == "/login" {
		p.login("admin", password)
	}
	if got := p.location(); got.Path != strings.SplitN(path, "?", 2)[0] {
		p.t.Fatalf("open %s as admin: at %s", path, got)
	}
}

// groupRow is a row of the console's group table.
type groupRow struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	State string `json:"state"` // from the row's class state-…
	Badge string `json:"badge"` // the state as shown
}

func (p *page) groupRows() []groupRow {
	p.t.Helper()
	return eval[[]groupRow](p, `[...document.querySelectorAll('table#groups tbody tr')].map(tr => ({
		name: tr.cells[0].textContent.trim(),
		kind: tr.cells[1].textContent.trim(),
		state: ([...tr.classList].find(c => c.startsWith('state-')) || '').slice(6),
		badge: tr.querySelector('.badge') ? tr.querySelector('.badge').textContent.trim() : '',
	}))`)
}

// groupCount is the "N / M" line above the groups page's table.
func (p *page) groupCount() (shown, total int) {
	p.t.Helper()
	meta := p.text(`section.card p.meta`)
	if _, err := fmt.Sscanf(meta, "%d / %d", &shown, &total); err != nil {
		p.t.Fatalf("group count %q: %v", meta, err)
	}
	return shown, total
}

// filterGroups sets the filters of the groups page (select name → value) and
// sends the form.
func (p *page) filterGroups(filters map[string]string) {
	p.t.Helper()
	for _, name := range []string{"state", "kind", "node"} {
		p.set(fmt.Sprintf(`form.filters select[name=%s]`, name), filters[name])
	}
	p.submit(`form.filters button[type=submit]`)
}

func count[T any](rows []T, keep func(T) bool) int {
	n := 0
	for _, r := range rows {
		if keep(r) {
			n++
		}
	}
	return n
}

func containsAll(have, want []string) bool {
	return !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(have, w) })
}

func TestBrowserConsole(t *testing.T) {
	chrome := chromium(t)
	began := time.Now()
	demo, data, password := startDemo(t)
	tab := newBrowser(t, chrome)
	t.Logf("demo and Chromium up in %v", time.Since(began).Round(time.Millisecond))

	subtest(t, tab, demo.url, "Login", func(p *page) {
		p.open("/")
		if loc := p.location(); loc.Path != "/login" || loc.Query().Get("next") != "/" {
			p.t.Fatalf("an unauthenticated visit to / lands on %s, want /login?next=/", loc)
		}
		if h := p.text("main h1"); h != "登录" {
			p.t.Fatalf("login page heading %q", h)
		}
		p.login("admin", password+"-wrong")
		if loc := p.location(); loc.Path != "/login" {
			p.t.Fatalf("a wrong password lands on %s", loc)
		}
		if msg := p.text(`[role=alert]`); msg != "用户名或密码错误" {
			p.t.Fatalf("a wrong password shows %q, want 用户名或密码错误", msg)
		}
		p.login("admin", password)
		if loc := p.location(); loc.Path != "/" {
			p.t.Fatalf("the right password lands on %s, want /", loc)
		}
		if h := p.text("main h1"); h != "总览" {
			p.t.Fatalf("dashboard heading %q", h)
		}
		if out := p.text(`form[action="/logout"] button`); !strings.Contains(out, "admin") {
			p.t.Fatalf("no logout button for admin: %q", out)
		}
	})

	subtest(t, tab, demo.url, "Dashboard", func(p *page) {
		p.openAs("/", password)
		rows := p.groupRows()
		nf := count(rows, func(r groupRow) bool { return strings.HasPrefix(r.Name, "NF-") })
		if len(rows) < 10 || nf < 10 {
			p.t.Fatalf("dashboard group table: %d rows, %d named NF-…: %v", len(rows), nf, rows)
		}
		if !slices.ContainsFunc(rows, func(r groupRow) bool { return r.Kind == "业主群" }) {
			p.t.Fatalf("no owners' group (业主群) in %v", rows)
		}
		if kpi := p.text("#kpi-groups"); kpi != fmt.Sprint(len(rows)) {
			p.t.Fatalf("the groups KPI says %s, the table has %d rows", kpi, len(rows))
		}
		if kpi := eval[int](p, `parseInt(document.querySelector('#kpi-members').textContent, 10)`); kpi < 1000 {
			p.t.Fatalf("members KPI %d", kpi)
		}
		// The messages-per-day chart: an inline SVG with a bar per day,
		// some of them visibly tall.
		bars := eval[[]float64](p, `[...document.querySelectorAll('svg.chart rect, svg.chart path')].map(e => e.getBoundingClientRect().height)`)
		tall := count(bars, func(h float64) bool { return h >= 5 })
		if len(bars) < 20 || tall < 10 {
			p.t.Fatalf("chart: %d bars, %d of them 5px or taller: %v", len(bars), tall, bars)
		}
		if title := p.text("svg.chart > title"); title != "每日消息（30 天）" {
			p.t.Fatalf("chart title %q", title)
		}
	})

	subtest(t, tab, demo.url, "Groups", func(p *page) {
		p.openAs("/groups", password)
		all := p.groupRows()
		shown, total := p.groupCount()
		if len(all) < 10 || shown != len(all) || total != len(all) {
			p.t.Fatalf("unfiltered: %d rows, the page says %d / %d", len(all), shown, total)
		}
		// The rarest state that the demo has, so that the filter must
		// leave rows out.
		byState := map[string]int{}
		for _, r := range all {
			byState[r.State]++
		}
		if len(byState) < 2 {
			p.t.Fatalf("the demo's groups are all in one state: %v", byState)
		}
		state := ""
		for s, n := range byState {
			if state == "" || n < byState[state] || n == byState[state] && s < state {
				state = s
			}
		}
		// Simulated members keep chatting, and one message wakes a dormant
		// or dead group: when the counts differ, read both pages again.
		for attempt := 1; ; attempt++ {
			want := count(all, func(r groupRow) bool { return r.State == state })
			p.filterGroups(map[string]string{"state": state})
			if got := p.location().Query().Get("state"); got != state {
				p.t.Fatalf("filtering by state %s loads %s", state, p.location())
			}
			rows := p.groupRows()
			for _, r := range rows {
				if r.State != state {
					p.t.Fatalf("state=%s shows %+v", state, r)
				}
			}
			badges := slices.Compact(slices.Sorted(slices.Values(p.texts("table#groups tbody .badge"))))
			shown, total := p.groupCount()
			if len(rows) == want && shown == want && total == len(all) && len(badges) == 1 {
				p.t.Logf("state %s (%s): %d of %d groups", state, badges[0], shown, total)
				break
			}
			if attempt == 3 {
				p.t.Fatalf("state=%s: %d rows (badges %v), the page says %d / %d; the unfiltered table has %d of %d", state, len(rows), badges, shown, total, want, len(all))
			}
			p.open("/groups")
			all = p.groupRows()
		}

		p.open("/groups")
		p.filterGroups(map[string]string{"kind": "cohort"})
		rows := p.groupRows()
		want := count(all, func(r groupRow) bool { return r.Kind == "学员群" })
		if want < 5 || len(rows) != want {
			p.t.Fatalf("kind=cohort: %d rows, the unfiltered table has %d 学员群", len(rows), want)
		}
		for _, r := range rows {
			if r.Kind != "学员群" {
				p.t.Fatalf("kind=cohort shows %+v", r)
			}
		}
		if shown, total := p.groupCount(); shown != want || total != len(all) {
			p.t.Fatalf("kind=cohort: the page says %d / %d, want %d / %d", shown, total, want, len(all))
		}
		if sel := eval[string](p, `document.querySelector('form.filters select[name=kind]').value`); sel != "cohort" {
			p.t.Fatalf("the kind filter shows %q after filtering", sel)
		}
	})

	subtest(t, tab, demo.url, "Rules", func(p *page) {
		p.openAs("/rules", password)
		owners := eval[string](p, `([...document.querySelectorAll('select[name=group] option')].find(o => o.textContent.includes('业主')) || {}).value || ""`)
		if owners == "" {
			p.t.Fatalf("no owners' group among %v", p.texts("select[name=group] option"))
		}
		p.set(`form.filters select[name=group]`, owners)
		p.submit(`form.filters button[type=submit]`)
		if h := p.text("main h2"); !strings.Contains(h, "业主") {
			p.t.Fatalf("rules of %q, want the owners' group", h)
		}
		zh, en := p.text("#notice-zh"), p.text("#notice-en")
		quiet := regexp.MustCompile(`作息时间[^\n]*?(\d{1,2}:\d{2})[^\n]*?(\d{1,2}:\d{2})`).FindStringSubmatch(zh)
		if !strings.Contains(zh, "群规") || quiet == nil {
			p.t.Fatalf("Chinese notice without 群规 or quiet hours:\n%s", zh)
		}
		if !strings.Contains(en, "Quiet hours") || !strings.Contains(en, quiet[1]) || !strings.Contains(en, quiet[2]) {
			p.t.Fatalf("English notice without the quiet hours %s–%s:\n%s", quiet[1], quiet[2], en)
		}
		p.t.Logf("quiet hours %s–%s", quiet[1], quiet[2])

		test := func(msg string) {
			p.t.Helper()
			p.typeIn(`form.test textarea[name=text]`, msg)
			p.submit(`form.test button[type=submit]`)
			if got := p.location().Query(); got.Get("group") != owners || got.Get("text") != msg {
				p.t.Fatalf("testing %q loads %s", msg, p.location())
			}
			if kept := eval[string](p, `document.querySelector('form.test textarea').value`); kept != msg {
				p.t.Fatalf("the form keeps %q, want %q", kept, msg)
			}
		}
		test("加 薇 信 abc1688 领资料")
		action := eval[string](p, `document.querySelector('#verdict-action').className`)
		if cat, code := p.text("#verdict-category"), eval[string](p, `document.querySelector('#verdict-category').dataset.category`); cat != "广告" || code != "ad" || strings.Contains(action, "act-allow") {
			p.t.Fatalf("an ad: category %q, action %q (%s)", cat, p.text("#verdict-action"), action)
		}
		if says := p.text("#verdict-says"); !strings.Contains(says, "广告") {
			p.t.Fatalf("an ad: the bot says %q", says)
		}
		test("微信支付怎么开通")
		// The test box judges a message sent now: outside the owners'
		// hours (at night in Shanghai) even a plain question is acted on.
		hm := func(s string) int {
			var h, m int
			fmt.Sscanf(s, "%d:%d", &h, &m)
			return h*60 + m
		}
		loc, _ := time.LoadLocation(content.DefaultZone)
		now := time.Now().In(loc)
		at := now.Hour()*60 + now.Minute()
		if open := at >= hm(quiet[1]) && at < hm(quiet[2]); !open {
			if act := p.text("#verdict-action"); act == "放行" {
				p.t.Fatalf("a plain question at %s, outside %s–%s: 放行", now.Format("15:04"), quiet[1], quiet[2])
			}
		} else if act, cls := p.text("#verdict-action"), eval[string](p, `document.querySelector('#verdict-action').className`); act != "放行" || !strings.Contains(cls, "act-allow") {
			p.t.Fatalf("a plain question: %q (%s), want 放行", act, cls)
		} else if cat := p.text("#verdict-category"); cat != "" {
			p.t.Fatalf("a plain question has the category %q", cat)
		}
	})

	subtest(t, tab, demo.url, "Language", func(p *page) {
		// Back to Chinese whatever happens, for the subtests after this.
		p.t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(tab, 10*time.Second)
			defer cancel()
			chromedp.Do(ctx, chromedp.Navigate(p.base+"/?lang=zh"))
		})
		nav := func() []string { return p.texts("header nav > a:not(#switch-lang)") }
		p.openAs("/groups", password)
		// The navigation has these items (and may get more), all in the
		// page's language.
		han := regexp.MustCompile(`\p{Han}`)
		if got, want := nav(), []string{"总览", "群", "违规处理", "审计日志", "群规"}; !containsAll(got, want) || slices.ContainsFunc(got, func(s string) bool { return !han.MatchString(s) }) {
			p.t.Fatalf("Chinese navigation %q, want %q", got, want)
		}
		if sw := p.text("#switch-lang"); sw != "English" {
			p.t.Fatalf("the language link says %q", sw)
		}
		p.submit("#switch-lang")
		if loc := p.location(); loc.Path != "/groups" {
			p.t.Fatalf("switching language leaves the page: %s", loc)
		}
		if got, want := nav(), []string{"Dashboard", "Groups", "Moderation", "Audit log", "Rules"}; !containsAll(got, want) || slices.ContainsFunc(got, han.MatchString) {
			p.t.Fatalf("English navigation %q, want %q", got, want)
		}
		if h, lang := p.text("main h1"), eval[string](p, `document.documentElement.lang`); h != "Groups" || lang != "en" {
			p.t.Fatalf("English groups page: heading %q, lang %q", h, lang)
		}
		// The choice sticks without the query parameter.
		p.open("/moderation")
		if h := p.text("main h1"); h != "Moderation" {
			p.t.Fatalf("after switching to English, /moderation says %q", h)
		}
		if sw := p.text("#switch-lang"); sw != "中文" {
			p.t.Fatalf("the language link says %q in English", sw)
		}
		p.submit("#switch-lang")
		if h, lang := p.text("main h1"), eval[string](p, `document.documentElement.lang`); h != "违规处理" || lang != "zh-CN" {
			p.t.Fatalf("back in Chinese: heading %q, lang %q", h, lang)
		}
		p.open("/")
		if got := nav(); !slices.Contains(got, "违规处理") {
			p.t.Fatalf("Chinese does not stick: navigation %q", got)
		}
	})

	subtest(t, tab, demo.url, "ModerationAndAudit", func(p *page) {
		// The demo's live rule breakers post about one breach a minute at
		// an average hour and one in ten minutes at night (Shanghai time),
		// too rarely to wait for: an ad comes in through the bridge API as
		// a bridge would send it, in a group of its own (the last subtest,
		// so the group counts above do not see it).
		tok, err := os.ReadFile(filepath.Join(data, "bridge.token"))
		if err != nil {
			p.t.Fatal(err)
		}
		ad := fmt.Sprintf(`[{"id":"browser-ad","type":"message","group":"browser-test","group_name":"浏览器测试群","time":%q,
		  "sender":{"id":"browser-spammer","name":"测试广告员"},"message":{"id":"browser-ad","kind":"text","text":"加 薇 信 abc1688 领资料"}}]`,
			time.Now().Format(time.RFC3339))
		if code, res := call(p.t, "POST", p.base+"/api/v1/events", strings.TrimSpace(string(tok)), ad); code != 200 || res["accepted"] != 1.0 {
			p.t.Fatalf("post an ad through the bridge: %d %v", code, res)
		}
		type logRow struct {
			Cells    int    `json:"cells"`
			Group    string `json:"group"`
			Member   string `json:"member"`
			Category string `json:"category"`
			Code     string `json:"code"`
			Action   string `json:"action"`
		}
		var log []logRow
		ours := func(r logRow) bool { return r.Group == "浏览器测试群" && r.Member == "测试广告员" }
		for wait := time.Now().Add(15 * time.Second); ; {
			p.openAs("/moderation", password)
			log = eval[[]logRow](p, `[...document.querySelectorAll('table#log tbody tr')].map(tr => ({
				cells: tr.cells.length, group: tr.cells[1].textContent.trim(), member: tr.cells[2].textContent.trim(),
				category: tr.cells[4].textContent.trim(), code: tr.cells[4].dataset.category,
				action: tr.querySelector('.badge') ? tr.querySelector('.badge').textContent.trim() : ''}))`)
			if slices.ContainsFunc(log, ours) || time.Now().After(wait) {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if h := p.text("main h1"); h != "违规处理" {
			p.t.Fatalf("moderation heading %q", h)
		}
		if q := p.text("#queue h2"); !strings.HasPrefix(q, "待审核举报") {
			p.t.Fatalf("review queue heading %q", q)
		}
		i := slices.IndexFunc(log, ours)
		if i < 0 {
			p.t.Fatalf("the ad is not in the moderation log: %+v", log)
		}
		if r := log[i]; r.Category != "广告" || r.Code != "ad" || r.Action != "删除" {
			p.t.Fatalf("the ad's row: %+v, want category 广告 (ad), action 删除", r)
		}
		for _, r := range log {
			if r.Cells != 7 || r.Group == "" || r.Member == "" || r.Action == "" {
				p.t.Fatalf("moderation log row %+v", r)
			}
		}
		p.t.Logf("moderation log: %d rows (%d from the demo's members)", len(log), len(log)-1)

		p.open("/audit")
		if h := p.text("main h1"); h != "审计日志" {
			p.t.Fatalf("audit heading %q", h)
		}
		if n := len(p.texts("table#audit tbody tr")); n == 0 {
			p.t.Fatal("the audit log is empty")
		}
		p.set(`form.filters select[name=action]`, "moderation.")
		p.submit(`form.filters button[type=submit]`)
		actions := eval[[]string](p, `[...document.querySelectorAll('table#audit tbody tr td:nth-child(4)')].map(td => td.dataset.action)`)
		if len(actions) == 0 {
			p.t.Fatal("no moderation.* entry in the audit log")
		}
		for _, a := range actions {
			if !strings.HasPrefix(a, "moderation.") {
				p.t.Fatalf("the audit filter moderation. shows %q", a)
			}
		}
	})

	subtest(t, tab, demo.url, "EditRules", func(p *page) {
		p.openAs("/rules", password)
		owners := eval[string](p, `([...document.querySelectorAll('select[name=group] option')].find(o => o.textContent.includes('业主')) || {}).value || ""`)
		if owners == "" {
			p.t.Fatal("no owners' group to edit")
		}
		p.open("/rules/edit?scope=group:" + owners + "&group=" + owners)
		if h := p.text("main h1"); h != "编辑群规" {
			p.t.Fatalf("editor heading %q", h)
		}
		before := p.text("#notice-zh")
		if !strings.Contains(before, "06:30") {
			p.t.Fatalf("the owners' notice before the edit lacks 06:30:\n%s", before)
		}
		// Preview: the notice changes on the page, the rules in force do not.
		p.typeIn("#rules-text", "[quiet]\nallow = \"08:00-21:00\"\n")
		p.submit("#rules-preview")
		if n := p.text("#notice-zh"); !strings.Contains(n, "08:00") || !strings.Contains(n, "21:00") {
			p.t.Fatalf("the preview does not show the new quiet hours:\n%s", n)
		}
		p.open("/rules?group=" + owners)
		if n := p.text("#notice-zh"); !strings.Contains(n, "06:30") {
			p.t.Fatalf("a preview changed the rules in force:\n%s", n)
		}
		// A bad edit is refused with its line; a good one is saved and in force.
		p.open("/rules/edit?scope=group:" + owners + "&group=" + owners)
		p.typeIn("#rules-text", "[quiet]\nallow = \"25:00-21:00\"\n")
		p.submit("#rules-save")
		if e := p.text("#rules-error"); !strings.Contains(e, "第 2 行：作息时间 25:00-21:00 写法不对") {
			p.t.Fatalf("a bad edit shows %q, want its line and what is wrong, in Chinese", e)
		}
		p.typeIn("#rules-text", "[quiet]\nallow = \"08:00-21:00\"\n")
		p.submit("#rules-save")
		if f := p.text("#flash"); !strings.Contains(f, "群规已保存并生效") {
			p.t.Fatalf("after saving: flash %q", f)
		}
		p.open("/rules?group=" + owners)
		if n := p.text("#notice-zh"); !strings.Contains(n, "08:00") {
			p.t.Fatalf("the saved rules are not in force:\n%s", n)
		}
	})

	subtest(t, tab, demo.url, "ScopedUser", func(p *page) {
		p.openAs("/groups", password)
		links := eval[[]string](p, `[...document.querySelectorAll('table#groups tbody a[href^="/groups/"]')].map(a => a.getAttribute('href'))`)
		if len(links) < 2 {
			p.t.Fatalf("group links: %v", links)
		}
		mine, other := strings.TrimPrefix(links[0], "/groups/"), links[1]
		// A secretary of one group, created with the CLI next to the running demo.
		p.signInAsNewUser(data, "sec", "secretary", "--group", mine)
		rows := p.groupRows()
		if len(rows) != 1 {
			p.t.Fatalf("the secretary's dashboard shows %d groups, want their one: %v", len(rows), rows)
		}
		p.open(other)
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("another group's page for the secretary: %q", h)
		}
		p.open("/audit")
		if h := p.text("main h1"); !strings.Contains(h, "只有整个组织的管理者") {
			p.t.Fatalf("the audit log for the secretary: %q", h)
		}
		p.open("/")
		p.submit(`form[action="/logout"] button`)
	})

	t.Logf("browser test: %v", time.Since(began).Round(time.Millisecond))
}
