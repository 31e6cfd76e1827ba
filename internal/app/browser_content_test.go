package app_test

// The content workflows in the browser, on the demo, on a phone-sized
// screen: write a script and check it (预览/检查), submit it, be refused
// approving it oneself, have another account approve it, plan it from the
// calendar, move it and cancel it — once as the manager (admin) and once
// as a 秘书长 scoped to the 阳新 branch, who is refused outside it. With
// -update-screenshots it writes the screenshots of docs/console/content.md
// into docs/console/img.

import (
	"database/sql"
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

// scrollTo brings an element to the top of the screen.
func (p *page) scrollTo(sel string) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.scrollIntoView({block: "start"}); return true })()`, sel))
}

// signIn logs out whoever is logged in and logs in as user.
func (p *page) signIn(user, password string) {
	p.t.Helper()
	p.open("/login")
	if p.location().Path != "/login" {
		p.submit(`form[action="/logout"] button`)
		p.open("/login")
	}
	p.login(user, password)
	if got := p.location().Path; got == "/login" {
		p.t.Fatalf("log in as %s: still at the login page (%s)", user, p.text("[role=alert]"))
	}
}

// userAdd creates a console account in the demo's data with the real
// command and returns its password.
func userAdd(t *testing.T, dir, data string, args ...string) string {
	t.Helper()
	cfg := filepath.Join(dir, "accounts.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, append(append([]string{"user", "add"}, args...), "--config", cfg)...)
	cmd.Env = append(os.Environ(), "QUNZHU_CONFIG=")
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("user add %v: %v\n%s", args, err, out)
	}
	return string(m[1])
}

func TestBrowserContent(t *testing.T) {
	chrome := chromium(t)
	demo, data, adminPW := startDemo(t)
	dir := filepath.Dir(data)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "qunzhu.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var branch int64
	if err := db.QueryRow("SELECT id FROM nodes WHERE name = '阳新分院'").Scan(&branch); err != nil {
		t.Fatalf("the demo's 阳新 branch: %v", err)
	}
	secPW := userAdd(t, dir, data, "mishu", "--role", "secretary", "--node", fmt.Sprint(branch))
	tab := newBrowser(t, chrome)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().In(shanghai(t)).AddDate(0, 0, 1).Format("2006-01-02")

	// write writes a script as the account logged in, checks it with
	// 预览/检查 first (a one-liner is too short), and submits it; the
	// writer is refused approving it. It returns the script's path.
	write := func(p *page, who, title, body string) string {
		p.t.Helper()
		p.open("/scripts")
		p.submit("#new-script")
		p.typeIn(`#script-form input[name=title]`, title)
		p.typeIn(`#script-form textarea[name=body]`, "就一句")
		p.submit("#preview")
		if got := p.texts("#findings li"); len(got) == 0 || !strings.Contains(strings.Join(got, " "), "自己的话只有") {
			p.t.Fatalf("the check of a one-liner finds %q", got)
		}
		if v := eval[string](p, `document.querySelector('#script-form input[name=title]').value`); v != title {
			p.t.Fatalf("the checked form lost its title: %q", v)
		}
		p.typeIn(`#script-form textarea[name=body]`, body)
		p.submit("#preview")
		if n := len(p.texts("#findings li")); n != 0 {
			p.t.Fatalf("the full text still has findings: %q", p.texts("#findings li"))
		}
		if who == "manager" {
			p.capture("content-manager-write")
		}
		p.submit("#save-submit")
		if f, st := p.flash(), p.text("#script-status"); !strings.Contains(f, "已提交审核") || st != "已投稿" {
			p.t.Fatalf("submitted: flash %q, status %q", f, st)
		}
		// Refused to approve what one wrote.
		if note := p.text("#self-approval-note"); !strings.Contains(note, "另一位审核人") || eval[bool](p, `!!document.querySelector('#move_approve')`) {
			p.t.Fatalf("the writer is offered the approval (note %q)", note)
		}
		if who == "manager" {
			p.scrollTo("#workflow")
			p.capture("content-manager-self-approval")
		}
		return p.location().Path
	}
	// approve approves a script as the account logged in.
	approve := func(p *page, path string) {
		p.t.Helper()
		p.open(path)
		p.submit("#move_approve")
		if f, st := p.flash(), p.text("#script-status"); !strings.Contains(f, "已通过审核") || st != "已通过" {
			p.t.Fatalf("approve: flash %q, status %q", f, st)
		}
	}
	// plan plans the approved script at path into the cohorts (of the
	// account's scope) tomorrow evening, from the calendar, and returns
	// the ids of the pushes planned.
	plan := func(p *page, who, path string) []string {
		p.t.Helper()
		p.open(path)
		p.submit("#plan-link")
		title := eval[string](p, `document.querySelector('#plan-form select[name=script] option:checked').textContent`)
		p.set(`#plan-form select[name=kind]`, "cohort")
		p.set(`#plan-form input[name=date]`, tomorrow)
		p.set(`#plan-form select[name=slot]`, "evening")
		p.scrollTo("#plan")
		p.capture("content-" + who + "-plan")
		p.submit("#plan-submit")
		if f := p.flash(); !strings.Contains(f, "已安排") {
			p.t.Fatalf("plan: flash %q", f)
		}
		ids := eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll('#upcoming tbody tr')].filter(tr => tr.cells[3].textContent.trim() === %q && tr.querySelector('details')).map(tr => tr.id.slice(5))`, title))
		if len(ids) == 0 {
			p.t.Fatalf("no planned push of %q on the calendar", title)
		}
		return ids
	}
	// moveAndCancel moves the first push to tomorrow's noon peak and
	// cancels the second, each after the confirmation page.
	moveAndCancel := func(p *page, who string, ids []string) {
		p.t.Helper()
		row := "#push-" + ids[0]
		p.do("open the push's actions", chromedp.Click(chromedp.CSS(row+" details summary")))
		p.set(row+` form.move-form input[name=date]`, tomorrow)
		p.set(row+` form.move-form select[name=slot]`, "noon")
		if who == "manager" {
			p.scrollTo(row)
			p.capture("content-manager-move")
		}
		p.submit(row + ` form.move-form button.move`)
		if q := p.text("section.confirm p"); !strings.Contains(q, "改到 "+tomorrow+" 午高峰") {
			p.t.Fatalf("the move's confirmation asks %q", q)
		}
		if who == "manager" {
			p.capture("content-manager-confirm")
		}
		p.submit(`section.confirm button[type=submit]`)
		if f := p.flash(); !strings.Contains(f, "已改期") {
			p.t.Fatalf("move: flash %q", f)
		}
		if slot := p.text(row + " td:nth-child(2) .badge"); slot != "午高峰" {
			p.t.Fatalf("the moved push's peak: %q", slot)
		}
		if len(ids) < 2 {
			return
		}
		row = "#push-" + ids[1]
		p.do("open the push's actions", chromedp.Click(chromedp.CSS(row+" details summary")))
		p.submit(row + ` form.cancel-form button`)
		if q := p.text("section.confirm p"); !strings.Contains(q, "取消《") {
			p.t.Fatalf("the cancel's confirmation asks %q", q)
		}
		p.submit(`section.confirm button[type=submit]`)
		if f := p.flash(); !strings.Contains(f, "已取消") {
			p.t.Fatalf("cancel: flash %q", f)
		}
		if st := p.text(row + " .ps-cancelled"); st != "已取消" {
			p.t.Fatalf("the cancelled push shows %q", st)
		}
	}

	var adminScript, secScript string
	subtest(t, tab, demo.url, "ManagerWrites", func(p *page) {
		p.signIn("admin", adminPW)
		adminScript = write(p, "manager", "晚高峰：三句话说清你的产品", "第一句说它是什么。\n第二句说它凭什么好。\n第三句说它适合谁。\n把你的三句话发在群里，我们一起改。")
	})
	subtest(t, tab, demo.url, "SecretaryWritesAndReviews", func(p *page) {
		if adminScript == "" {
			p.t.Skip("the manager's script was not written")
		}
		p.signIn("mishu", secPW)
		approve(p, adminScript) // another account approves the manager's
		p.capture("content-secretary-approved")
		secScript = write(p, "secretary", "阳新分院：本周直播排班", "周二晚上八点，第6期的学员直播卖红薯。\n周四晚上八点，第二期的学员讲详情页。\n想上直播的同学在群里接龙报名。")
	})
	subtest(t, tab, demo.url, "ManagerPlans", func(p *page) {
		if secScript == "" {
			p.t.Skip("the secretary's script was not written")
		}
		p.signIn("admin", adminPW)
		approve(p, secScript)
		ids := plan(p, "manager", adminScript)
		moveAndCancel(p, "manager", ids)
		p.scrollTo("#upcoming")
		p.capture("content-calendar")
		// Deferrals say why, in words: the demo's owners' push at 23:45
		// (quiet hours) and the charity sale too close to the evening's.
		reasons := strings.Join(p.texts("#upcoming .deferral"), " | ")
		if !strings.Contains(reasons, "群的作息时间") || !strings.Contains(reasons, "离上一条推送太近") || regexp.MustCompile(`[a-z]+_[a-z]+`).MatchString(reasons) {
			p.t.Fatalf("the deferrals say %q", reasons)
		}
		p.scrollTo("#upcoming tr:has(.deferral)")
		p.capture("content-deferral")
		p.open("/duty")
		if n := len(p.texts("#rosters article")); n < 10 {
			p.t.Fatalf("the duty page lists %d groups' rosters", n)
		}
		p.capture("content-duty")
		p.scrollTo("#rosters details[open]")
		p.capture("content-duty-roster")
	})
	subtest(t, tab, demo.url, "SecretaryPlansInHerScope", func(p *page) {
		if secScript == "" {
			p.t.Skip("the secretary's script was not written")
		}
		p.signIn("mishu", secPW)
		p.open("/pushes")
		groups := p.texts("#plan-groups label")
		for _, g := range groups {
			if !strings.Contains(g, "阳新") {
				p.t.Fatalf("the secretary may plan into %q", g)
			}
		}
		if len(groups) == 0 {
			p.t.Fatal("the secretary has no group to plan into")
		}
		ids := plan(p, "secretary", secScript)
		moveAndCancel(p, "secretary", ids)
		// Refused outside her scope: the owners' group's push, posted as
		// the form would.
		var owners string
		if err := db.QueryRow(`SELECT CAST(p.id AS TEXT) FROM pushes p JOIN chat_groups g ON g.id = p.group_id
			WHERE g.external_id = 'wanjing-owners' AND p.status = 'planned' LIMIT 1`).Scan(&owners); err != nil {
			p.t.Fatalf("the owners' planned push: %v", err)
		}
		status, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf(`fetch('/pushes/%s/cancel', {method: 'POST', body: new URLSearchParams({csrf: document.querySelector('input[name=csrf]').value, confirm: 'yes'})}).then(r => r.status)`, owners), chromedp.EvalAwaitPromise))
		if err != nil || status != 403 {
			p.t.Fatalf("the secretary cancels the owners' push: %d %v, want 403", status, err)
		}
		if n := eval[int](p, `document.querySelectorAll('#upcoming tbody tr').length`); n == 0 || strings.Contains(p.text("#upcoming"), "万景城") {
			p.t.Fatalf("the secretary's calendar: %d rows, owners shown: %v", n, strings.Contains(p.text("#upcoming"), "万景城"))
		}
	})
}

// shanghai is the demo's time zone.
func shanghai(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
