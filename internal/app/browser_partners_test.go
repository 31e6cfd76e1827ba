package app_test

// The partner programme and referral growth in the browser, on a phone-sized
// screen: a manager walks each workflow through the forms (levels, admit
// by name, release with the waitlist moving up, approvals; campaigns,
// codes, the referral tree, the poster), then a secretary of 阳新 runs her
// branch's growth and is refused the partner programme and the rest of
// the tree. With -update-screenshots the steps are saved to
// docs/console/img/partners-*.png and growth-*.png.

import (
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	goqr "github.com/piglig/go-qr"
)

// signInAsNewUser creates a console account with the CLI next to the
// running demo (whose data directory is data), logs out and logs in as it.
func (p *page) signInAsNewUser(data, name, role string, scope ...string) {
	p.t.Helper()
	cfg := filepath.Join(p.t.TempDir(), name+".toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o600); err != nil {
		p.t.Fatal(err)
	}
	args := append([]string{"user", "add", name, "--role", role, "--config", cfg}, scope...)
	out, err := exec.Command(binary, args...).CombinedOutput()
	m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		p.t.Fatalf("user add: %v\n%s", err, out)
	}
	p.submit(`form[action="/logout"] button`)
	p.open("/")
	p.login(name, string(m[1]))
}

// optionContaining is the value of the option of select sel whose label
// contains label ("" when none).
func (p *page) optionContaining(sel, label string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`([...document.querySelectorAll(%q)].find(o => o.textContent.includes(%q)) || {}).value || ""`, sel+" option", label))
}

func TestBrowserPartners(t *testing.T) {
	demo, data, password, tab := demoOnPhone(t)
	var yangxin, huangmei, orgWide string // node and campaign ids the secretary needs

	subtest(t, tab, demo.url, "PartnersManager", func(p *page) {
		p.openAs("/partners", password)
		if h := p.text("main h1"); h != "合伙人" {
			p.t.Fatalf("heading %q", h)
		}
		company := eval[string](p, `[...document.querySelectorAll('section.level')].find(s => s.querySelector('h2').textContent.includes('公司合伙人')).id`)
		level := strings.TrimPrefix(company, "level-")
		if head := p.text("#" + company + " h2"); !strings.Contains(head, "名额 60") {
			p.t.Fatalf("the company level: %q", head)
		}
		// Three joiners wait (more, if the simulated members joined since).
		if n := len(p.texts("#cases article.case")); n < 3 || p.text("#cases h2") != fmt.Sprintf("入群资格审核 (%d)", n) {
			p.t.Fatalf("cases heading %q, %d cases", p.text("#cases h2"), n)
		}
		if told := p.texts("table.notices .told"); len(told) != 1 || told[0] == "" {
			p.t.Fatalf("the demo's move up was not told in a group: %v", told)
		}
		p.do("scroll to the company level", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#%s').scrollIntoView()`, company)))
		p.capture("partners-overview")

		// Rename the level; a cap below the seats taken is refused.
		p.do("open the level form", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#%s details').open = true`, company)))
		p.typeIn("#"+company+" form.level-form input[name=name]", "公司合伙人（总部）")
		p.submit("#" + company + " form.level-form button[type=submit]")
		if f := p.flash(); f != "层次已保存。" {
			p.t.Fatalf("rename: flash %q", f)
		}
		p.do("open the level form", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#%s details').open = true`, company)))
		p.typeIn("#"+company+" form.level-form input[name=cap]", "59")
		p.submit("#" + company + " form.level-form button[type=submit]")
		if h := p.text("main h1"); !strings.Contains(h, "名额不能少于") {
			p.t.Fatalf("a cap below the seats: %q", h)
		}

		// The company's seats and waitlist.
		p.open("/partners")
		p.submit(fmt.Sprintf(`#%s a.manage`, company))
		waiting := p.texts("table.waitlist tbody tr td:nth-child(2)")
		if len(waiting) != 3 {
			p.t.Fatalf("waitlist %v, want 3 names", waiting)
		}
		p.capture("partners-seats")
		// Admit by part of a name: a choice, then the waitlist.
		p.typeIn("form.admit-form input[name=name]", "阳新春")
		p.submit("form.admit-form button[type=submit]")
		if h := p.text("main h1"); h != "选择要找的人" {
			p.t.Fatalf("a partial name: %q", h)
		}
		p.capture("partners-choose")
		p.submit("ul.choices button.choose")
		if f := p.flash(); f != "名额已满，已加入候补，排第 4 位。" {
			p.t.Fatalf("admit: flash %q", f)
		}
		if w := p.texts("table.waitlist tbody tr td:nth-child(2)"); len(w) != 4 || w[3] != "阳新春芽" {
			p.t.Fatalf("waitlist after admitting %v", w)
		}
		// Release the first seat: asked first, then the first waiting
		// moves up.
		holder := p.text("table.seats tbody tr td:nth-child(3)")
		p.submit("table.seats tbody tr button.release")
		if q := p.text(".confirm p"); !strings.Contains(q, "释放 "+holder+" 的第 1 号席位") {
			p.t.Fatalf("the confirmation asks %q", q)
		}
		p.capture("partners-release-confirm")
		p.submit(".confirm button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "候补第一位已入第 62 号席位") {
			p.t.Fatalf("release: flash %q", f)
		}
		seated := p.texts("table.seats tbody tr td:nth-child(3)")
		if !containsAll(seated, waiting[:1]) || containsAll(seated, []string{holder}) {
			p.t.Fatalf("after the release %s is not seated (or %s still is): %v", waiting[0], holder, seated)
		}
		if w := p.texts("table.waitlist tbody tr td:nth-child(2)"); len(w) != 3 || w[0] != waiting[1] {
			p.t.Fatalf("the waitlist did not move up: %v", w)
		}
		p.t.Logf("level %s: %s released, %s moved up", level, holder, waiting[0])

		// Approve one joiner, refuse another (after confirming): both
		// leave the list.
		p.open("/partners")
		cases := func() []string {
			return eval[[]string](p, `[...document.querySelectorAll('#cases article.case')].map(a => a.id)`)
		}
		first := cases()[0]
		p.submit("#" + first + " button[value=approve]")
		if f := p.flash(); !strings.Contains(f, "已通过") {
			p.t.Fatalf("approve: flash %q", f)
		}
		second := cases()[0]
		if second == first {
			p.t.Fatalf("the approved case %s is still listed", first)
		}
		p.submit("#" + second + " button[value=refuse]")
		if q := p.text(".confirm p"); !strings.Contains(q, "并将其移出") {
			p.t.Fatalf("refuse asks %q", q)
		}
		p.submit(".confirm button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "已拒绝并移出") {
			p.t.Fatalf("refuse: flash %q", f)
		}
		if left := cases(); len(left) == 0 || left[0] == second {
			p.t.Fatalf("cases after deciding two: %v", left)
		}
		p.do("scroll to the cases", chromedp.Evaluate[chromedp.Void](`document.querySelector('#cases').scrollIntoView()`))
		p.capture("partners-cases")
	})

	subtest(t, tab, demo.url, "GrowthManager", func(p *page) {
		p.openAs("/growth", password)
		campaigns := p.texts("table.campaigns tbody tr td:first-child")
		if !containsAll(campaigns, []string{"阳新 2026 春季招生海报", "2025 双十一海报"}) {
			p.t.Fatalf("campaigns %v", campaigns)
		}
		yangxin, huangmei = p.optionContaining("form.campaign-form select[name=node]", "阳新分院"), p.optionContaining("form.campaign-form select[name=node]", "黄梅分院")
		p.capture("growth-list")
		// A campaign of the whole organisation, a code for the 6th cohort.
		p.typeIn("form.campaign-form input[name=name]", "浏览器测试活动")
		p.set("form.campaign-form select[name=node]", "")
		p.submit("form.campaign-form button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "活动已创建") {
			p.t.Fatalf("create a campaign: flash %q", f)
		}
		orgWide = strings.TrimPrefix(p.location().Path, "/growth/campaigns/")
		p.set("form.code-form select[name=group]", p.optionContaining("form.code-form select[name=group]", "阳新第6期"))
		p.submit("form.code-form button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "邀请码已生成") {
			p.t.Fatalf("create a code: flash %q", f)
		}
		p.submit("table.codes a.poster-link")
		if h := p.text(".poster-title"); h != "浏览器测试活动" {
			p.t.Fatalf("poster title %q", h)
		}
		link := p.text("#poster-url")
		if !strings.Contains(link, "/join/"+p.text("#poster-code")) || eval[int](p, `document.querySelector('#poster-qr').naturalWidth`) < 200 {
			p.t.Fatalf("poster: link %q, QR %d px wide", link, eval[int](p, `document.querySelector('#poster-qr').naturalWidth`))
		}
		// The QR code the browser shows reads back as the link.
		b64, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`fetch(document.querySelector('#poster-qr').src).then(r => r.arrayBuffer()).then(b => btoa(String.fromCharCode(...new Uint8Array(b))))`, chromedp.EvalAwaitPromise))
		if err != nil {
			p.t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			p.t.Fatal(err)
		}
		img, err := png.Decode(strings.NewReader(string(raw)))
		if err != nil {
			p.t.Fatal(err)
		}
		if got, err := goqr.Decode(img); err != nil || got != link {
			p.t.Fatalf("the poster's QR code reads %q, %v; want %q", got, err, link)
		}
		p.capture("growth-poster")
		// The spring campaign: K-factor, cycle time, the tree by name.
		p.open("/growth")
		p.submit(`table.campaigns a[href^="/growth/campaigns/"]:not([href$="/` + orgWide + `"])`)
		if h := p.text("main h1"); h != "阳新 2026 春季招生海报" {
			p.t.Fatalf("campaign page %q", h)
		}
		k, err := strconv.ParseFloat(p.text("#kpi-k"), 64)
		if err != nil || k <= 0 || !strings.HasSuffix(p.text("#kpi-cycle"), "天") {
			p.t.Fatalf("K-factor %q, cycle %q", p.text("#kpi-k"), p.text("#kpi-cycle"))
		}
		names := p.texts("ul.referral-tree .who")
		nested := len(p.texts("ul.referral-tree ul ul .who"))
		if len(names) != 23 || nested == 0 || regexp.MustCompile(`^\d+$`).MatchString(names[0]) {
			p.t.Fatalf("tree %v (%d at the third level)", names, nested)
		}
		p.do("scroll to the tree", chromedp.Evaluate[chromedp.Void](`document.querySelector('#tree').scrollIntoView()`))
		p.capture("growth-campaign")
		// End the test campaign, after confirming.
		p.open("/growth/campaigns/" + orgWide)
		p.submit("form.archive-form button")
		p.submit(".confirm button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "活动已结束") {
			p.t.Fatalf("archive: flash %q", f)
		}
	})

	subtest(t, tab, demo.url, "GrowthSecretary", func(p *page) {
		if yangxin == "" || huangmei == "" || orgWide == "" {
			p.t.Skip("needs the manager's subtests")
		}
		p.openAs("/growth", password)
		p.signInAsNewUser(data, "mishu", "secretary", "--node", yangxin)
		if links := p.texts(`nav a[href="/partners"]`); len(links) != 0 {
			p.t.Fatalf("the secretary is offered the partners page")
		}
		p.open("/partners")
		if h := p.text("main h1"); !strings.Contains(h, "只有整个组织的管理者") {
			p.t.Fatalf("/partners for the secretary: %q", h)
		}
		p.open("/growth")
		campaigns := p.texts("table.campaigns tbody tr td:first-child")
		if len(campaigns) != 1 || campaigns[0] != "阳新 2026 春季招生海报" {
			p.t.Fatalf("the secretary's campaigns %v", campaigns)
		}
		if v := p.optionContaining("form.campaign-form select[name=node]", "黄梅"); v != "" {
			p.t.Fatal("the secretary is offered 黄梅分院")
		}
		p.typeIn("form.campaign-form input[name=name]", "阳新秘书长的活动")
		p.submit("form.campaign-form button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "活动已创建") {
			p.t.Fatalf("her campaign: flash %q", f)
		}
		p.open("/growth")
		p.typeIn("form.code-form input[name=name]", "阳新春芽")
		p.submit("form.code-form button[type=submit]")
		if f := p.flash(); !strings.Contains(f, "邀请码已生成") {
			p.t.Fatalf("her member's code: flash %q", f)
		}
		p.capture("growth-secretary")
		// Outside her part of the tree: another branch, the organisation's
		// campaign.
		p.do("point the form at 黄梅", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector('form.campaign-form select[name=node]'); const o = document.createElement('option'); o.value = %q; s.append(o); s.value = %q; })()`, huangmei, huangmei)))
		p.typeIn("form.campaign-form input[name=name]", "黄梅的活动")
		p.submit("form.campaign-form button[type=submit]")
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("a campaign for 黄梅: %q", h)
		}
		p.open("/growth/campaigns/" + orgWide)
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("the organisation's campaign for the secretary: %q", h)
		}
		p.open("/")
		p.submit(`form[action="/logout"] button`)
	})
}
