package app_test

// The duplicates page and the churn log in a browser, on the demo. A
// manager finds the members of this year's first cohort who sit in the
// second too, each kept in the first, and proposes their removal: asked
// first, then a notice pending in the second cohort, whose purge page
// names each with the group they stay in; a bad series is refused with a
// 400 that says why. The churn log shows the week's leaves with the
// formerly active marked (and only them when asked), and the assistant
// who left the migrants' group with a suggested successor. A secretary
// scoped to 阳新分院 sees only its groups and is refused the academy's
// series, and sees the organisation's duplicate settings (saved by the
// manager: the family gate on) in words, without the form. With
// -update-screenshots they write the screenshots of
// docs/console/duplicates.md and churn.md (docs/console/img/duplicates-*,
// churn-*).

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The demo's cohorts of this year (internal/demo, cohorts2026).
const (
	cohort2026a = "NF-大别山网商学院2026第1期学员群"
	cohort2026b = "NF-大别山网商学院2026第2期学员群"
)

func TestBrowserDuplicates(t *testing.T) {
	chrome := chromium(t)
	demo, data, password := startDemo(t)
	tab := newBrowser(t, chrome)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	var yangxin, series string // the 阳新分院 node and this year's cohorts' series

	subtest(t, tab, demo.url, "Manager", func(p *page) {
		p.openAs("/duplicates", password)
		if h := p.text("main h1"); h != "重复入群" {
			p.t.Fatalf("heading %q", h)
		}
		cases := p.texts("#dup-list article.case")
		both := 0
		for _, c := range cases {
			if strings.Contains(c, cohort2026a) && strings.Contains(c, cohort2026b) {
				both++
			}
		}
		if both < 5 {
			p.t.Fatalf("%d of %d members listed sit in both of this year's cohorts, want 5 or more", both, len(cases))
		}
		for _, kept := range p.texts("#dup-list ul.dup-family li.dup-keep") {
			if strings.Contains(kept, cohort2026b) {
				p.t.Fatalf("kept by the earliest join in the second cohort: %q", kept)
			}
		}
		series = eval[string](p, `(() => { const a = [...document.querySelectorAll('#dup-series article.case')].find(a => a.textContent.includes(`+fmt.Sprintf("%q", cohort2026b)+`)); return a ? a.id.slice(7) : "" })()`)
		if series == "" {
			p.t.Fatal("this year's cohorts are not among the series")
		}
		p.phone()
		p.shot("duplicates-overview", "")
		p.shot("duplicates-case", "#dup-list article.case")

		// The settings: a bad number is refused with why; the gate on.
		if r := p.post("/duplicates/settings", map[string]string{"keep": "earliest", "overall": "1"}); r.Status != 400 || !strings.Contains(r.Text, "群数只能是") {
			p.t.Fatalf("settings with a bad number: %d %q", r.Status, r.Text)
		}
		p.open("/duplicates")
		p.set("#dup-settings-form input[name=overall]", "5")
		p.check("#dup-settings-form input[name=gate]", true)
		p.shot("duplicates-settings", "#dup-settings")
		p.submit("#dup-settings-form button[type=submit]")
		p.wantFlash("save the settings", "重复入群设置已保存")
		if v := eval[bool](p, `document.querySelector('#dup-settings-form input[name=gate]').checked`); !v {
			p.t.Fatal("the family gate is not on after saving")
		}

		if r := p.post("/duplicates/notice", map[string]string{"family": "x", "keep": "earliest", "days": "7"}); r.Status != 400 || !strings.Contains(r.Text, "找不到这个系列") {
			p.t.Fatalf("a notice of a bad series: %d %q", r.Status, r.Text)
		}
		form := "#series-" + series + " form.dup-notice"
		p.set(form+" input[name=days]", "3")
		p.shot("duplicates-series", "#dup-series")
		p.submit(form + " button[type=submit]")
		p.confirm("在 1 个群发预告")
		p.wantFlash("propose the removal", "预告已在 1 个群发出")
		pending := eval[string](p, `(() => { const a = document.querySelector('#series-`+series+` a.badge'); return a ? a.getAttribute('href') : "" })()`)
		if pending == "" {
			p.t.Fatal("the series shows no pending notice")
		}
		p.open(pending)
		if h := p.text("#pending h2"); !strings.Contains(h, "重复入群") {
			p.t.Fatalf("the purge page's heading %q", h)
		}
		if rows := p.texts("#purge-members tbody tr"); len(rows) < 5 || !strings.Contains(rows[0], "留在「"+cohort2026a+"」") || !strings.Contains(rows[0], "仍在两个群") {
			p.t.Fatalf("the members named: %q", rows)
		}
		p.shot("duplicates-purge", "#pending")
		p.open("/tree")
		yangxin = p.nodeID("阳新分院")
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		if yangxin == "" || series == "" {
			p.t.Skip("needs the manager's subtest")
		}
		p.openAs("/duplicates", password)
		p.signInAsNewUser(data, "dup-mishu", "secretary", "--node", yangxin)
		p.open("/duplicates")
		if now := p.text("#dup-settings-now"); !strings.Contains(now, "超过 5 个群") || !strings.Contains(now, "同系列只能加入一个群：开启") {
			p.t.Fatalf("the settings in words for the secretary: %q", now)
		}
		if code := p.postCode("/duplicates/settings", map[string]string{"keep": "active", "overall": "0"}); code != 403 {
			p.t.Fatalf("the secretary's settings: %d, want 403", code)
		}
		if l := p.text("#dup-list"); strings.Contains(l, cohort2026a) {
			p.t.Fatalf("the secretary of 阳新分院 sees the academy's cohorts: %q", l)
		}
		if code := p.postCode("/duplicates/notice", map[string]string{"family": series, "keep": "earliest", "days": "7", "confirm": "yes"}); code != 403 {
			p.t.Fatalf("the secretary's notice in the academy's series: %d, want 403", code)
		}
	})
}

func TestBrowserChurn(t *testing.T) {
	chrome := chromium(t)
	demo, data, password := startDemo(t)
	tab := newBrowser(t, chrome)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	const migrants = "NF-阳新水库移民电商创业培训群"
	var yangxin string

	subtest(t, tab, demo.url, "Manager", func(p *page) {
		p.openAs("/churn", password)
		if h := p.text("main h1"); h != "退群记录" {
			p.t.Fatalf("heading %q", h)
		}
		rows, active := p.texts("#churn-table tbody tr"), p.texts("#churn-table tbody tr.churn-active")
		if len(rows) < 5 || len(active) < 3 {
			p.t.Fatalf("the week's leaves: %d, %d formerly active; want 5 and 3 or more", len(rows), len(active))
		}
		staff := p.texts("#churn-staff li")
		if len(staff) != 1 || !strings.Contains(staff[0], "（店小二）离开了") || !strings.Contains(staff[0], migrants) || !strings.Contains(staff[0], "建议由") {
			p.t.Fatalf("the staff who left: %q", staff)
		}
		p.phone()
		p.shot("churn-overview", "")
		p.shot("churn-staff", "#churn-staff")
		p.check(`form.filters input[name=active]`, true)
		p.submit(`form.filters button[type=submit]`)
		if !p.location().Query().Has("active") {
			p.t.Fatalf("the filter was not sent: %s", p.location())
		}
		if all, marked := len(p.texts("#churn-table tbody tr")), len(p.texts("#churn-table tbody tr.churn-active")); all != len(active) || marked != all {
			p.t.Fatalf("formerly active only: %d rows, %d marked; want %d", all, marked, len(active))
		}
		p.shot("churn-active", "#churn-list")
		p.open("/churn?lang=en")
		if s := p.text("#churn-staff li"); !strings.Contains(s, "(assistant) left") || !strings.Contains(s, "suggested successor") {
			p.t.Fatalf("the English page's staff line %q", s)
		}
		p.open("/churn?lang=zh")
		p.open("/tree")
		yangxin = p.nodeID("阳新分院")
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		if yangxin == "" {
			p.t.Skip("needs the manager's subtest")
		}
		p.openAs("/churn", password)
		p.signInAsNewUser(data, "churn-mishu", "secretary", "--node", yangxin)
		p.open("/churn?days=30")
		groups := p.texts("#churn-table tbody tr td:nth-child(3)")
		if len(groups) == 0 {
			p.t.Fatal("the secretary sees no leaves over 30 days")
		}
		for _, g := range groups {
			if !strings.Contains(g, "阳新") {
				p.t.Fatalf("the secretary sees a leave of %q", g)
			}
		}
		if s := p.text("#churn-staff"); !strings.Contains(s, migrants) {
			p.t.Fatalf("the secretary does not see the assistant who left: %q", s)
		}
	})
}
