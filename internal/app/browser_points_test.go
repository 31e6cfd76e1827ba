package app_test

// Points in a phone-sized Chromium against `qunzhu demo`: the manager
// reads the leaderboards' points board (the demo's 6th cohort has
// check-ins, posts' points and awards), opens the top member's profile,
// reads their points and history, is refused an award out of range, and
// awards points. With -update-screenshots the steps are saved as
// docs/console/img/points-*.png for docs/console/memberbot.md.

import (
	"strconv"
	"strings"
	"testing"
)

func TestBrowserPoints(t *testing.T) {
	chrome := chromium(t)
	demo, _, password := startDemo(t)
	tab := newBrowser(t, chrome)
	subtest(t, tab, demo.url, "PointsManager", func(p *page) {
		p.phone()
		p.openAs("/leaderboards?points=all", password)
		rows := p.texts("#points tbody tr")
		if len(rows) < 10 {
			p.t.Fatalf("the points board: %q", rows)
		}
		p.shot("points-board", "#points")
		href := eval[string](p, `document.querySelector("#points tbody tr a").getAttribute("href")`)
		if !strings.HasPrefix(href, "/people/") {
			p.t.Fatalf("the top member's link %q", href)
		}
		p.open(href)
		before := p.texts("#person-points tbody tr td:nth-child(2)")
		if len(before) != 1 || len(p.texts("#points-history tbody tr")) == 0 {
			p.t.Fatalf("the profile's points %q", before)
		}
		total, _ := strconv.Atoi(before[0])
		// Out of range: said, and nothing awarded.
		p.typeIn("#award-form input[name=points]", "500")
		eval[bool](p, `(() => { document.querySelector("#award-form input[name=points]").removeAttribute("max"); return true })()`)
		p.submit("#award-form button")
		if body := p.text("main"); !strings.Contains(body, "分数要是 -100 到 100 之间") {
			p.t.Fatalf("500 points: %q", body)
		}
		p.open(href)
		p.typeIn("#award-form input[name=points]", "5")
		p.typeIn("#award-form input[name=reason]", "带头分享课堂笔记")
		p.shot("points-award", "#award-form")
		p.submit("#award-form button")
		p.wantFlash("an award", "已加分")
		if got := p.texts("#person-points tbody tr td:nth-child(2)"); len(got) != 1 || got[0] != strconv.Itoa(total+5) {
			p.t.Fatalf("after the award: %q, want %d", got, total+5)
		}
		if first := p.text("#points-history tbody tr"); !strings.Contains(first, "管理员加分") || !strings.Contains(first, "带头分享课堂笔记") {
			p.t.Fatalf("the history's first row %q", first)
		}
		p.shot("points-history", "#person-points-card")
	})
}
