package app_test

// The events (接龙) and health workflows of the console, end to end in a
// phone-sized Chromium against `qunzhu demo`: once as the demo's manager,
// once as a secretary (秘书长) of the 阳新 branch, who is refused outside
// it. With -update-screenshots the steps are saved as
// docs/console/img/events-*.png and health-*.png for docs/console.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// click clicks sel without waiting for a page (a <summary>, a checkbox).
func (p *page) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// check ticks or unticks the checkbox sel.
func (p *page) check(sel string, on bool) {
	p.t.Helper()
	if !eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.checked = %t; return true })()`, sel, on)) {
		p.t.Fatalf("no checkbox %s", sel)
	}
}

// optionValue is the value of the option of the select sel whose text is
// name, "" when none.
func (p *page) optionValue(sel, name string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`([...document.querySelectorAll(%q + ' option')].find(o => o.textContent.trim() === %q) || {}).value || ""`, sel, name))
}

// linkTo is the href of the first link whose text is text, "" when none.
func (p *page) linkTo(text string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`([...document.querySelectorAll('a')].find(a => a.textContent.trim() === %q) || {}).getAttribute?.('href') || ""`, text))
}

type postResult struct {
	Status int    `json:"status"`
	Text   string `json:"text"`
}

// post sends a form as the page's user would (with the page's CSRF token)
// and returns the status and the text of the answer, without leaving the
// page: what a crafted request gets.
func (p *page) post(path string, form map[string]string) postResult {
	p.t.Helper()
	var fields []string
	for k, v := range form {
		fields = append(fields, fmt.Sprintf("f.append(%q, %q);", k, v))
	}
	return await[postResult](p, fmt.Sprintf(`(async () => {
		const f = new URLSearchParams();
		f.append('csrf', document.querySelector('input[name=csrf]').value);
		%s
		const r = await fetch(%q, {method: 'POST', body: f, redirect: 'follow'});
		const d = new DOMParser().parseFromString(await r.text(), 'text/html');
		return {status: r.status, text: (d.querySelector('main') || d.body).textContent};
	})()`, strings.Join(fields, "\n"), path))
}

// await evaluates a JavaScript expression that makes a promise, and waits
// for it.
func await[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func TestBrowserEvents(t *testing.T) {
	chrome := chromium(t)
	began := time.Now()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	demo := start(t, dir, "demo", "--addr", "127.0.0.1:0", "--data", data, "--rate", "0.2")
	raw, err := os.ReadFile(filepath.Join(data, "admin.password"))
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(raw))
	waitRolledUp(t, filepath.Join(data, "qunzhu.db"))
	tab := newBrowser(t, chrome)
	t.Logf("demo and Chromium up in %v", time.Since(began).Round(time.Millisecond))

	const classTitle = "线下实操课：直播带货从 0 到 1"
	var newEvent string // the event the manager opens

	subtest(t, tab, demo.url, "ManagerEvents", func(p *page) {
		p.phone()
		p.openAs("/events", password)
		if h := p.text("main h1"); h != "活动" {
			p.t.Fatalf("events heading %q", h)
		}
		p.shot("events-list", "")
		p.click("#open-event summary")
		p.typeIn(`#event-form input[name=title]`, "农村电商直播选品沙龙")
		at := time.Now().Add(72*time.Hour).Format("2006-01-02") + "T14:00"
		p.set(`#event-form input[name=at]`, at)
		p.typeIn(`#event-form input[name=place]`, "大别山网商学院一楼教室")
		p.typeIn(`#event-form input[name=capacity]`, "30")
		rural := p.optionValue(`#event-form select[name=group]`, "NF-农村电商课题群")
		live := p.optionValue(`#event-form select[name=group]`, "NF-直播带货课题群")
		if rural == "" || live == "" {
			p.t.Fatalf("the form lacks the topic groups: %v", p.texts(`#event-form select[name=group] option`))
		}
		p.set(`#event-form select[name=group]`, rural)
		p.check(`#event-form input[name=also][value="`+live+`"]`, true)
		p.shot("events-open", "#open-event")
		p.submit("#open-submit")
		if f := p.text("#flash"); !strings.Contains(f, "接龙已发到 2 个群") {
			p.t.Fatalf("after opening: flash %q at %s", f, p.location())
		}
		newEvent = p.location().Path
		if also := p.text("#also-in"); !strings.Contains(also, "NF-直播带货课题群") {
			p.t.Fatalf("also announced in: %q", also)
		}

		// The class: full, with its waitlist and check-ins; the CSV.
		p.open("/events")
		class := p.linkTo(classTitle)
		if class == "" {
			p.t.Fatalf("no %s among %v", classTitle, p.texts("#events tbody td:first-child"))
		}
		p.open(class)
		if in, waiting, checked := p.text("#count-in"), p.text("#count-waitlisted"), p.text("#count-checked-in"); in != "12 / 12" || waiting != "2" || checked != "7" {
			p.t.Fatalf("the class: %s signed up, %s waiting, %s checked in", in, waiting, checked)
		}
		if n, w := len(p.texts("#entries tbody tr")), len(p.texts("#waiting tbody tr")); n != 12 || w != 2 {
			p.t.Fatalf("the class's tables: %d signed up, %d waiting", n, w)
		}
		p.shot("events-event", "")
		csv := await[string](p, `fetch(document.querySelector('#csv').getAttribute('href')).then(r => r.text())`)
		if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 16 || !strings.Contains(lines[0], "序号") {
			p.t.Fatalf("the class's CSV: %d lines\n%s", len(lines), csv)
		}

		// Check-in at the door: a search, a tap, taken back.
		p.submit("#checkin-link")
		p.shot("events-checkin", "")
		name := eval[string](p, `(document.querySelector('#checkin li:not(.done) .name') || {}).textContent || ""`)
		if name == "" {
			p.t.Fatal("everyone is checked in already")
		}
		p.typeIn(`#checkin-search input[name=q]`, name)
		p.submit(`#checkin-search button[type=submit]`)
		if rows := p.texts("#checkin .name"); len(rows) == 0 || !strings.Contains(strings.Join(rows, ","), name) {
			p.t.Fatalf("searching %q shows %v", name, rows)
		}
		p.submit(`#checkin li:not(.done) button.big`)
		if f := p.text("#flash"); !strings.Contains(f, "号已签到") || !strings.HasPrefix(p.text("#checkin-count"), "8") {
			p.t.Fatalf("after checking in: flash %q, count %q", f, p.text("#checkin-count"))
		}
		if q := p.location().Query().Get("q"); q != name {
			p.t.Fatalf("the search is lost after checking in: %s", p.location())
		}
		p.shot("events-checkin-done", "")
		p.submit(`#checkin li.done button.undo`)
		if f := p.text("#flash"); !strings.Contains(f, "签到已撤销") || !strings.HasPrefix(p.text("#checkin-count"), "7") {
			p.t.Fatalf("after the undo: flash %q, count %q", f, p.text("#checkin-count"))
		}

		// Close the new event, then call off the sharing day (its
		// sign-ups are told).
		p.open(newEvent)
		p.submit(`#close-form button`)
		if q := p.text(".confirm p"); !strings.Contains(q, "截止「农村电商直播选品沙龙」的报名") {
			p.t.Fatalf("the close question: %q", q)
		}
		p.submit(`.confirm button[type=submit]`)
		if st := p.text("#event-state"); st != "已结束" {
			p.t.Fatalf("after closing: %q (flash %q)", st, p.text("#flash"))
		}
		p.open("/events")
		p.open(p.linkTo("黄州 11 期结业分享会"))
		p.click("#cancel-event summary")
		p.typeIn(`#cancel-form input[name=reason]`, "场地临时维修，改期另行通知")
		p.submit(`#cancel-form button`)
		if q := p.text(".confirm p"); !strings.Contains(q, "8 位已报名或候补的人") {
			p.t.Fatalf("the cancel question: %q", q)
		}
		p.shot("events-cancel-confirm", "")
		p.submit(`.confirm button[type=submit]`)
		if st, f := p.text("#event-state"), p.text("#flash"); st != "已取消" || !strings.Contains(f, "已在群里通知 8 位") {
			p.t.Fatalf("after cancelling: %q, flash %q", st, f)
		}
		if eval[bool](p, `!!document.querySelector('#event-actions')`) {
			p.t.Fatal("a cancelled event still offers its actions")
		}
	})

	subtest(t, tab, demo.url, "ManagerHealth", func(p *page) {
		p.phone()
		p.openAs("/health", password)
		kinds := p.texts("#alerts-card article .alert-kind")
		if len(kinds) == 0 || kinds[0] != "死群（30 天无人发言）" {
			p.t.Fatalf("alerts, worst first: %v", kinds)
		}
		if why := p.text("#alerts-card article .why"); !strings.Contains(why, "30 天没有群友发言") {
			p.t.Fatalf("the first alert's reason: %q", why)
		}
		p.shot("health-alerts", "")
		// Snooze the first, resolve the next.
		first := eval[string](p, `document.querySelector('#alerts-card article').id`)
		p.submit(`#` + first + ` form.snooze button`)
		if f := p.text("#flash"); !strings.Contains(f, "预警已推迟 3 天") {
			p.t.Fatalf("after snoozing: %q", f)
		}
		if eval[bool](p, fmt.Sprintf(`!!document.querySelector('#alerts-card > article#%s')`, first)) || !eval[bool](p, fmt.Sprintf(`!!document.querySelector('#snoozed #%s')`, first)) {
			p.t.Fatal("the snoozed alert is not among the snoozed")
		}
		next := eval[string](p, `document.querySelector('#alerts-card > article').id`)
		p.submit(`#` + next + ` form button.resolve`)
		if f := p.text("#flash"); !strings.Contains(f, "已处理") || eval[bool](p, fmt.Sprintf(`!!document.querySelector('#%s')`, next)) {
			p.t.Fatalf("after resolving: %q", f)
		}
		// Open a group from an alert.
		group := eval[string](p, `document.querySelector('#alerts-card > article a.open-group').textContent.trim()`)
		p.submit(`#alerts-card > article a.open-group`)
		if h := p.text("main h1"); !strings.Contains(h, group) || !strings.HasPrefix(p.location().Path, "/groups/") {
			p.t.Fatalf("the alert's group %q opens %q at %s", group, h, p.location())
		}

		// Archive a dead group.
		p.open("/health")
		dead := eval[string](p, `([...document.querySelectorAll('#attention-groups tbody tr')].find(tr => tr.textContent.includes('NF-黄州区2015年第四期电商培训')) || {}).id || ""`)
		if dead == "" {
			p.t.Fatalf("the dead group is not among %v", p.texts("#attention-groups tbody td:first-child"))
		}
		p.shot("health-attention", "#attention")
		p.submit(`#` + dead + ` form.archive button`)
		if q := p.text(".confirm p"); !strings.Contains(q, "聊天记录、成员和统计全部保留") {
			p.t.Fatalf("the archive question: %q", q)
		}
		p.shot("health-archive-confirm", "")
		p.submit(`.confirm button[type=submit]`)
		if f := p.text("#flash"); !strings.Contains(f, "群已归档") || eval[bool](p, `!!document.querySelector('#`+dead+`')`) {
			p.t.Fatalf("after archiving: %q", f)
		}

		// The pending purge, not yet due; then a notice in another group,
		// one member left out.
		p.submit(`#purges a[href^="/health/purge/"]`)
		if due := p.text("#due"); !strings.Contains(due, "之后才能执行") || !eval[bool](p, `document.querySelector('#execute').disabled`) {
			p.t.Fatalf("the pending purge: %q", due)
		}
		if n := len(p.texts(`#purge-members .pm-excluded`)); n != 2 {
			p.t.Fatalf("%d members left out of the demo's notice, want 2", n)
		}
		p.shot("health-purge-pending", "")
		p.open("/health")
		p.set(`#purge-pick select[name=group]`, p.optionValue(`#purge-pick select[name=group]`, "NF-2017黄梅电商大讲堂"))
		p.submit(`#purge-pick button`)
		boxes := p.texts(`#notice-form input[name=person]`)
		if len(boxes) < 3 {
			p.t.Fatalf("the proposal has %d members", len(boxes))
		}
		p.check(`#notice-form tbody tr:first-child input[name=person]`, false)
		p.typeIn(`#notice-form input[name=days]`, "3")
		p.shot("health-purge-review", "")
		p.submit("#notice")
		if q := p.text(".confirm p"); !strings.Contains(q, fmt.Sprintf("@ %d 位成员", len(boxes)-1)) || !strings.Contains(q, "3 天后") {
			p.t.Fatalf("the notice question: %q", q)
		}
		p.submit(`.confirm button[type=submit]`)
		if f := p.text("#flash"); !strings.Contains(f, fmt.Sprintf("@ 了 %d 位成员", len(boxes)-1)) || len(p.texts(`#purge-members .pm-excluded`)) != 1 {
			p.t.Fatalf("after the notice: %q", f)
		}
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		p.phone()
		p.openAs("/tree", password)
		node := eval[string](p, `([...document.querySelectorAll('.tree-node')].find(n => n.querySelector('h3').textContent.startsWith('阳新分院')) || {}).id || ""`)
		if !strings.HasPrefix(node, "node-") {
			p.t.Fatalf("no 阳新分院 in the tree: %v", p.texts(".tree-node h3"))
		}
		cfg := filepath.Join(dir, "sec.toml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o600); err != nil {
			p.t.Fatal(err)
		}
		out, err := exec.Command(binary, "user", "add", "yangxin", "--role", "secretary", "--node", strings.TrimPrefix(node, "node-"), "--config", cfg).CombinedOutput()
		m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
		if err != nil || m == nil {
			p.t.Fatalf("user add: %v\n%s", err, out)
		}
		p.open("/events")
		sharing := p.linkTo("黄州 11 期结业分享会")
		huangzhou := p.optionValue(`#event-form select[name=group]`, "NF-2018年黄州11期电商特训营")
		p.open("/health")
		dahe := eval[string](p, `([...document.querySelectorAll('#purges a')].find(a => a.textContent.includes('大河站')) || {}).getAttribute?.('href') || ""`)
		hm2017 := p.optionValue(`#purge-pick select[name=group]`, "NF-2017黄梅电商大讲堂")
		if sharing == "" || huangzhou == "" || dahe == "" || hm2017 == "" {
			p.t.Fatalf("the manager's view lacks what the secretary is refused: %q %q %q %q", sharing, huangzhou, dahe, hm2017)
		}
		p.submit(`form[action="/logout"] button`)
		p.open("/")
		p.login("yangxin", string(m[1]))

		// Her events: open one in two of her groups; no 黄州 group offered.
		p.open("/events")
		if v := p.optionValue(`#event-form select[name=group]`, "NF-2018年黄州11期电商特训营"); v != "" {
			p.t.Fatal("the secretary is offered a 黄州 group")
		}
		if p.linkTo("黄州 11 期结业分享会") != "" {
			p.t.Fatal("the secretary sees a 黄州 event")
		}
		p.click("#open-event summary")
		p.typeIn(`#event-form input[name=title]`, "阳新学员抖音小店交流会")
		p.set(`#event-form select[name=group]`, p.optionValue(`#event-form select[name=group]`, "NF-阳新水库移民电商创业培训群"))
		p.check(`#event-form input[name=also][value="`+p.optionValue(`#event-form select[name=group]`, "NF-阳新第二期淘宝运营培训群")+`"]`, true)
		p.submit("#open-submit")
		if f := p.text("#flash"); !strings.Contains(f, "接龙已发到 2 个群") {
			p.t.Fatalf("the secretary's event: flash %q", f)
		}
		mine := p.location().Path
		// Refused outside her branch, whatever the request.
		if r := p.post("/events", map[string]string{"title": "越界", "group": huangzhou}); r.Status != 403 || !strings.Contains(r.Text, "不在你负责的范围内") {
			p.t.Fatalf("opening in a 黄州 group: %d %q", r.Status, r.Text)
		}
		for _, path := range []string{sharing, sharing + "/checkin"} {
			p.open(path)
			if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
				p.t.Fatalf("the secretary at %s: %q", path, h)
			}
		}
		p.open(mine)
		if r := p.post(sharing+"/close", map[string]string{"confirm": "yes"}); r.Status != 403 {
			p.t.Fatalf("closing a 黄州 event: %d", r.Status)
		}
		// Check-in at the class of her branch.
		p.open("/events")
		p.open(p.linkTo(classTitle))
		p.submit("#checkin-link")
		p.submit(`#checkin li:not(.done) button.big`)
		if f := p.text("#flash"); !strings.Contains(f, "号已签到") {
			p.t.Fatalf("the secretary's check-in: %q", f)
		}
		// Close and cancel her event.
		p.open(mine)
		p.submit(`#close-form button`)
		p.submit(`.confirm button[type=submit]`)
		p.click("#cancel-event summary")
		p.submit(`#cancel-form button`)
		p.submit(`.confirm button[type=submit]`)
		if st := p.text("#event-state"); st != "已取消" {
			p.t.Fatalf("the secretary's event after cancelling: %q", st)
		}

		// Health: her alerts only; snooze the dying group's, archive her
		// dead group, a purge notice in her dormant one; refused elsewhere.
		p.open("/health")
		groups := strings.Join(p.texts("#alerts-card article .open-group"), ",")
		if strings.Contains(groups, "黄州") || strings.Contains(groups, "黄梅") || !strings.Contains(groups, "NF-阳新2018电子商务培训群") {
			p.t.Fatalf("the secretary's alerts are of %s", groups)
		}
		dying := eval[string](p, `([...document.querySelectorAll('#alerts-card > article')].find(a => a.textContent.includes('NF-阳新2018电子商务培训群') && a.textContent.includes('衰退')) || {}).id || ""`)
		if dying == "" {
			p.t.Fatal("no dying alert for NF-阳新2018电子商务培训群")
		}
		if why := p.text("#" + dying + " .why"); !strings.Contains(why, "发言的不到 20 人") {
			p.t.Fatalf("the dying alert's reason: %q", why)
		}
		p.shot("health-secretary", "#"+dying)
		p.submit(`#` + dying + ` form.snooze button`)
		if f := p.text("#flash"); !strings.Contains(f, "预警已推迟") {
			p.t.Fatalf("the secretary's snooze: %q", f)
		}
		youth := eval[string](p, `([...document.querySelectorAll('#attention-groups tbody tr')].find(tr => tr.textContent.includes('NF-阳新团县委电商培训群')) || {}).id || ""`)
		if youth == "" {
			p.t.Fatalf("her dead group is not listed: %v", p.texts("#attention-groups tbody td:first-child"))
		}
		p.submit(`#` + youth + ` form.archive button`)
		p.submit(`.confirm button[type=submit]`)
		if f := p.text("#flash"); !strings.Contains(f, "群已归档") {
			p.t.Fatalf("the secretary's archive: %q", f)
		}
		p.set(`#purge-pick select[name=group]`, p.optionValue(`#purge-pick select[name=group]`, "NF-阳新2018今日头条电商培训群"))
		p.submit(`#purge-pick button`)
		p.check(`#notice-form tbody tr:first-child input[name=person]`, false)
		p.submit("#notice")
		p.submit(`.confirm button[type=submit]`)
		if f := p.text("#flash"); !strings.Contains(f, "清理公告已发布") {
			p.t.Fatalf("the secretary's notice: %q", f)
		}
		p.open(dahe)
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("another branch's purge for the secretary: %q", h)
		}
		p.open("/health")
		for path, form := range map[string]map[string]string{
			"/health/groups/" + hm2017 + "/archive": {"confirm": "yes"},
			"/health/purge/" + hm2017 + "/notice":   {"days": "7", "person": "1", "confirm": "yes"},
			dahe + "/withdraw":                      {"confirm": "yes"},
		} {
			if r := p.post(path, form); r.Status != 403 || !strings.Contains(r.Text, "不在你负责的范围内") {
				p.t.Fatalf("the secretary: POST %s: %d %q", path, r.Status, r.Text)
			}
		}
		p.open("/")
		p.submit(`form[action="/logout"] button`)
	})

	// Back to the desktop size for whatever runs after.
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	chromedp.Do(ctx, chromedp.EmulateReset())
	t.Logf("events browser test: %v", time.Since(began).Round(time.Millisecond))
}
