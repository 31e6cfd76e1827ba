package app_test

// The daily digest in a browser, on the demo (two weeks of digests): a
// manager reads yesterday's summary, opens a group's day, and sets the
// digest's time and posting; a secretary of 阳新分院 reads only her
// groups' lines and is offered no settings. With -update-screenshots it
// writes the screenshots of docs/console/digest.md
// (docs/console/img/digest-*.png).

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserDigest(t *testing.T) {
	chrome := chromium(t)
	demo, data, password := startDemo(t)
	tab := newBrowser(t, chrome)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	var yangxin string

	subtest(t, tab, demo.url, "Manager", func(p *page) {
		p.openAs("/digest", password)
		if h := p.text("main h1"); h != "日报" {
			p.t.Fatalf("heading %q", h)
		}
		lines := p.texts("#dg-table tbody tr")
		if len(lines) < 5 {
			p.t.Fatalf("yesterday's groups: %q", lines)
		}
		p.phone()
		p.shot("digest-summary", "")
		p.shot("digest-groups", "#dg-lines")
		// The first group with a term of the day.
		href := eval[string](p, `(() => { const r = [...document.querySelectorAll('#dg-table tbody tr')].find(r => r.cells[5].textContent.trim() != ""); return r ? r.cells[0].querySelector('a').getAttribute('href') : "" })()`)
		if href == "" {
			p.t.Fatalf("no group of yesterday has a term")
		}
		p.open(href)
		if c := p.text("#dg-counts"); !strings.HasPrefix(c, "消息 ") {
			p.t.Fatalf("the group's day: %q", c)
		}
		if terms := p.texts("#dg-terms .dg-term"); len(terms) == 0 {
			p.t.Fatalf("the group's day has no terms")
		}
		p.shot("digest-group", "")
		p.open("/digest")
		p.set(`#dg-settings input[name=time]`, "07:30")
		p.check(`#dg-settings input[name=send]`, true)
		p.submit(`#dg-settings button[type=submit]`)
		p.wantFlash("settings", "日报设置已保存")
		p.shot("digest-settings", "#dg-settings")
		if r := p.post("/digest/settings", map[string]string{"time": "25:00"}); r.Status != 400 || !strings.Contains(r.Text, "08:00") {
			p.t.Fatalf("a bad time: %d %q", r.Status, r.Text)
		}
		p.open("/tree")
		yangxin = p.nodeID("阳新分院")
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		if yangxin == "" {
			p.t.Skip("needs the manager's subtest")
		}
		p.openAs("/digest", password)
		p.signInAsNewUser(data, "dg-mishu", "secretary", "--node", yangxin)
		p.open("/digest")
		groups := p.texts("#dg-table tbody tr td:first-child")
		if len(groups) == 0 {
			p.t.Fatalf("the secretary sees no group")
		}
		for _, g := range groups {
			if !strings.Contains(g, "阳新") {
				p.t.Fatalf("the secretary sees %q", g)
			}
		}
		if s := p.texts("#dg-settings"); len(s) != 0 {
			p.t.Fatalf("the secretary is offered the settings")
		}
		if code := p.postCode("/digest/settings", map[string]string{"time": "06:00"}); code != 403 {
			p.t.Fatalf("the secretary changing the settings: %d, want 403", code)
		}
	})
}
