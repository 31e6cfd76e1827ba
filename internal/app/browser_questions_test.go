package app_test

// The questions page in a browser, on the demo: a manager reads the
// month's questions (the demo's history has them, tracked as they came),
// chooses the 阳新 cohort, sets its response target through the form
// (a bad target is refused with a 400 that says why), and sees it in the
// group's row; the dashboard shows the week's figures. A secretary scoped
// to 阳新分院 sees only its groups, sets a target there, and is refused
// the owners' group. With -update-screenshots it writes the screenshots of
// docs/console/questions.md (docs/console/img/questions-*.png).

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// qaCohort and qaOwners are demo groups in and out of 阳新分院.
const (
	qaCohort = "NF-阳新第6期微营销培训群"
	qaOwners = "万景城业主交流群"
)

// qaSetTarget fills and sends the target form of the page's group.
func (p *page) qaSetTarget(minutes, from, to string) {
	p.t.Helper()
	p.set(`#qa-target input[name=minutes]`, minutes)
	p.set(`#qa-target input[name=from]`, from)
	p.set(`#qa-target input[name=to]`, to)
	p.submit(`#qa-target button[type=submit]`)
}

func TestBrowserQuestions(t *testing.T) {
	chrome := chromium(t)
	demo, data, password := startDemo(t)
	tab := newBrowser(t, chrome)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	var yangxin, owners string // the 阳新分院 node and the owners' group, for the secretary

	subtest(t, tab, demo.url, "Manager", func(p *page) {
		p.openAs("/", password)
		if n := p.text("#dash-qa-asked"); n == "" || n == "0" {
			p.t.Fatalf("the dashboard's questions of the week: %q", n)
		}
		p.open("/questions?days=30")
		if h := p.text("main h1"); h != "成员提问" {
			p.t.Fatalf("heading %q", h)
		}
		if rows := p.texts("#qa-group-table tbody tr"); len(rows) < 3 {
			p.t.Fatalf("groups with questions: %q", rows)
		}
		if rate := p.text("#qa-rate"); !strings.HasSuffix(rate, "%") {
			p.t.Fatalf("the month's rate: %q", rate)
		}
		p.phone()
		p.shot("questions-overview", "")
		p.shot("questions-groups", "#qa-groups")

		owners = p.optionContaining(`form.filters select[name=group]`, qaOwners)
		p.set(`form.filters select[name=group]`, p.optionContaining(`form.filters select[name=group]`, qaCohort))
		p.submit(`form.filters button[type=submit]`)
		if h := p.text("#qa-target h2"); !strings.Contains(h, qaCohort) {
			p.t.Fatalf("the target form: %q", h)
		}
		p.shot("questions-target", "#qa-target")
		group := p.location().Query().Get("group")
		if r := p.post("/questions/target/"+group, map[string]string{"minutes": "0", "from": "09:00", "to": "21:00"}); r.Status != 400 || !strings.Contains(r.Text, "1 到 1440 分钟") {
			p.t.Fatalf("a target of 0 minutes: %d %q", r.Status, r.Text)
		}
		p.qaSetTarget("15", "09:00", "21:00")
		p.wantFlash("set the target", "回答时限已改为 15 分钟")
		if r := p.text("#qa-group-table tbody tr"); !strings.Contains(r, "15 分钟（09:00-21:00）") {
			p.t.Fatalf("the cohort's row: %q", r)
		}
		p.open("/tree")
		yangxin = p.nodeID("阳新分院")
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		if yangxin == "" || owners == "" {
			p.t.Skip("needs the manager's subtest")
		}
		p.openAs("/questions", password)
		p.signInAsNewUser(data, "qa-mishu", "secretary", "--node", yangxin)
		p.open("/questions?days=30")
		for _, g := range p.texts("#qa-group-table tbody tr td:first-child") {
			if !strings.Contains(g, "阳新") {
				p.t.Fatalf("the secretary sees %q", g)
			}
		}
		if v := p.optionContaining(`form.filters select[name=group]`, qaOwners); v != "" {
			p.t.Fatalf("the owners' group is offered to the secretary")
		}
		cohort := p.optionContaining(`form.filters select[name=group]`, qaCohort)
		if cohort == "" {
			p.t.Fatalf("the cohort is not offered to the secretary")
		}
		p.set(`form.filters select[name=group]`, cohort)
		p.submit(`form.filters button[type=submit]`)
		p.qaSetTarget("20", "08:30", "22:00")
		p.wantFlash("the secretary's target", "回答时限已改为 20 分钟")
		if code := p.postCode("/questions/target/"+owners, map[string]string{"minutes": "20", "from": "08:00", "to": "22:00"}); code != 403 {
			p.t.Fatalf("the secretary setting the owners' target: %d, want 403", code)
		}
	})
}
