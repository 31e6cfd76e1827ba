package app_test

// The tree and group workflows in a browser on a phone-sized screen,
// through the forms, on the demo: once as a manager (the tree, a group's
// settings, templates and their tasks, staff roles from the group page and
// the person page, the people search), once as a secretary of one branch,
// who works in her branch and is refused outside it.
//
// go test ./internal/app -run TestBrowserTree -count=1 -update-screenshots
// writes docs/console/img/tree-*.png.

import (
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

// choose sets the select sel to the option whose label contains label and
// returns its value.
func (p *page) choose(sel, label string) string {
	p.t.Helper()
	v := eval[string](p, fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return "";
		const o = [...s.options].find(o => o.textContent.includes(%q)); return o ? o.value : "" })()`, sel, label))
	if v == "" {
		p.t.Fatalf("%s has no option %q: %v", sel, label, p.texts(sel+" option"))
	}
	p.set(sel, v)
	return v
}

// flash is the message the last form left.
func (p *page) flash() string {
	p.t.Helper()
	return p.text("#flash")
}

// wantFlash fails unless the page's flash starts with want.
func (p *page) wantFlash(what, want string) {
	p.t.Helper()
	if got := p.flash(); !strings.HasPrefix(got, want) {
		p.t.Fatalf("%s: flash %q, want %q (at %s)", what, got, want, p.location())
	}
}

// confirm clicks 确定 on the confirmation page, which must ask question.
func (p *page) confirm(question string) {
	p.t.Helper()
	if q := p.text("section.confirm p"); !strings.Contains(q, question) {
		p.t.Fatalf("the confirmation asks %q, want %q", q, question)
	}
	p.submit(`section.confirm button[type=submit]`)
}

// nodeID finds a tree node on the tree page by its name.
func (p *page) nodeID(name string) string {
	p.t.Helper()
	id := eval[string](p, fmt.Sprintf(`(() => { const d = [...document.querySelectorAll('.tree-node[id^="node-"]')].find(d => d.querySelector('h3').firstChild.textContent.trim() == %q);
		return d ? d.id.slice(5) : "" })()`, name))
	if id == "" {
		p.t.Fatalf("no node %q on the tree page", name)
	}
	return id
}

// groupHref finds a group's page among the page's links by its name.
func (p *page) groupHref(name string) string {
	p.t.Helper()
	h := eval[string](p, fmt.Sprintf(`(() => { const a = [...document.querySelectorAll('a[href^="/groups/"]')].find(a => a.textContent.trim() == %q); return a ? a.getAttribute('href') : "" })()`, name))
	if h == "" {
		p.t.Fatalf("no link to the group %q", name)
	}
	return h
}

// postCode sends a form from the page with fetch (as a forged or hand-made
// form would) and returns the status; 303 for a redirect.
func (p *page) postCode(path string, form map[string]string) int {
	p.t.Helper()
	var fields []string
	for k, v := range form {
		fields = append(fields, fmt.Sprintf("b.append(%q, %q);", k, v))
	}
	expr := `(async () => { const b = new URLSearchParams(); b.append("csrf", document.querySelector('input[name=csrf]').value); ` + strings.Join(fields, " ") + `
		const r = await fetch(` + fmt.Sprintf("%q", path) + `, {method: "POST", body: b, redirect: "manual"}); return r.type == "opaqueredirect" ? 303 : r.status })()`
	code, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("POST %s: %v", path, err)
	}
	return code
}

func TestBrowserTree(t *testing.T) {
	began := time.Now()
	demo, data, password, tab := demoOnPhone(t)
	dir := filepath.Dir(data)
	const (
		hm     = "NF-2018年黄州11期电商特训营" // a group of the 黄州 branch
		yx     = "NF-阳新第6期微营销培训群"     // a group of the 阳新 branch
		newHMB = "黄梅二分院"
	)
	var hmHref, yxHref, yangxin, huangmei string

	subtest(t, tab, demo.url, "TreeNodes", func(p *page) {
		p.openAs("/tree", password)
		p.typeIn(`#add-node input[name=name]`, newHMB)
		p.choose(`#add-node select[name=kind]`, "区域")
		p.choose(`#add-node select[name=parent]`, "/ 大别山网商学院")
		p.shot("tree-add", "#add-node")
		p.submit(`#add-node button[type=submit]`)
		p.wantFlash("add a node", "节点已添加。")
		id := p.nodeID(newHMB)
		node := "#node-" + id
		eval[bool](p, `(() => { document.querySelector('`+node+` details').open = true; return true })()`)
		p.shot("tree-edit", node)
		p.typeIn(node+` form.rename input[name=name]`, "黄梅县分院")
		p.submit(node + ` form.rename button`)
		p.wantFlash("rename", "节点已改名。")
		if p.nodeID("黄梅县分院") != id {
			p.t.Fatal("the renamed node has another id")
		}
		// Moving a node under its own descendant is refused on the page.
		academy := p.nodeID("大别山网商学院")
		eval[bool](p, `(() => { document.querySelector('#node-`+academy+` details').open = true; return true })()`)
		if opts := p.texts(`#node-` + academy + ` form.move select option`); strings.Contains(strings.Join(opts, "|"), "阳新分院") {
			p.t.Fatalf("the academy may be moved under its own branch: %v", opts)
		}
		if code := p.postCode("/tree/nodes/"+academy+"/move", map[string]string{"parent": p.nodeID("阳新分院")}); code != 303 {
			p.t.Fatalf("a forged move under a descendant: %d, want the refusal's redirect", code)
		}
		p.open("/tree")
		p.wantFlash("move under a descendant", "不能把节点移到它自己或它下面的节点之下。")
		eval[bool](p, `(() => { document.querySelector('`+node+` details').open = true; return true })()`)
		p.choose(node+` form.move select[name=parent]`, "黄梅分院")
		p.submit(node + ` form.move button`)
		p.wantFlash("move", "节点已移动。")
		if !strings.Contains(p.text(node+" h3"), "区域") || !strings.Contains(strings.Join(p.texts(`#add-node select[name=parent] option`), "|"), "黄梅分院 / 黄梅县分院") {
			p.t.Fatal("the moved node is not under 黄梅分院")
		}
		eval[bool](p, `(() => { document.querySelector('`+node+` details').open = true; return true })()`)
		p.set(node+` form.delete select[name=move_to]`, "0")
		p.submit(node + ` form.delete button`)
		p.shot("tree-delete-confirm", "")
		p.confirm("删除节点「湖北农夫电商股份有限公司 / 大别山网商学院 / 黄梅分院 / 黄梅县分院」？")
		p.wantFlash("delete", "节点已删除")
		if strings.Contains(p.text("#tree"), "黄梅县分院") {
			p.t.Fatal("the deleted node is still in the tree")
		}
		yangxin, huangmei = p.nodeID("阳新分院"), p.nodeID("黄梅分院")
	})

	subtest(t, tab, demo.url, "GroupSettings", func(p *page) {
		p.openAs("/tree", password)
		hmHref, yxHref = p.groupHref(hm), p.groupHref(yx)
		p.open(hmHref)
		p.submit("#group-settings")
		if h := p.text("main h1"); !strings.Contains(h, hm) || !strings.Contains(h, "群设置") {
			p.t.Fatalf("settings heading %q", h)
		}
		if rows := p.texts("#checklist-items tbody tr"); len(rows) != 10 {
			p.t.Fatalf("checklist: %d rows", len(rows))
		}
		p.shot("tree-checklist", "")
		// A temporary group needs an end, in the future.
		p.choose(`#settings select[name=kind]`, "临时群")
		p.set(`#settings input[name=ends]`, "")
		p.submit(`#settings button[type=submit]`)
		p.wantFlash("temporary without an end", "临时群需要结束时间。")
		end := time.Now().Add(10*24*time.Hour).Format("2006-01-02") + "T20:00"
		p.choose(`#settings select[name=kind]`, "临时群")
		p.set(`#settings input[name=ends]`, end)
		p.set(`#settings input[name=capacity]`, "300")
		p.shot("tree-settings", "#settings")
		p.submit(`#settings button[type=submit]`)
		p.wantFlash("save the settings", "群设置已保存。")
		if got := p.text("#lifecycle p"); !strings.Contains(got, strings.Replace(end, "T", " ", 1)) {
			p.t.Fatalf("lifecycle says %q, want the end %s", got, end)
		}
		p.submit(`#lifecycle button.danger`)
		p.confirm("归档「" + hm + "」：")
		p.wantFlash("archive", "群已归档。")
		p.shot("tree-archived", "#lifecycle")
		p.submit(`#lifecycle button`)
		p.wantFlash("reopen", "群已重新启用。")
		// The profile, and a key opinion leader picked by name.
		p.typeIn(`#profile textarea[name=positioning]`, "黄州第 11 期电商特训营学员群")
		p.typeIn(`#profile textarea[name=threshold]`, "报名缴费的学员")
		p.typeIn(`#profile textarea[name=goal]`, "每人开出网店")
		p.choose(`#profile select[name=rules]`, "沿用")
		p.submit(`#profile button[type=submit]`)
		p.wantFlash("profile", "群定位已保存。")
		p.open(hmHref)
		member := eval[string](p, `(() => { const tr = [...document.querySelectorAll('#members tbody tr')].find(tr => tr.cells[1].textContent.trim() == '群友'); return tr ? tr.cells[0].textContent.trim() : "" })()`)
		if member == "" {
			p.t.Fatal("no member to make a key opinion leader")
		}
		p.submit("#group-settings")
		p.typeIn(`#kol-search input[name=kol]`, member)
		p.submit(`#kol-search button`)
		p.shot("tree-kol", "#kols")
		p.submit(`#kol-found form button`)
		p.wantFlash("add a KOL", "已设为意见领袖。")
		if got := p.text("#kol-list"); !strings.Contains(got, member) {
			p.t.Fatalf("KOLs %q, want %s", got, member)
		}
		if got := p.texts(`#checklist-items tbody tr.check-done`); len(got) != 5 {
			p.t.Fatalf("the five things done: %v", got)
		}
		// The invite link: a bad one is refused.
		p.typeIn(`#invite input[name=url]`, "https://weixin.qq.com/g/hz-11")
		p.submit(`#invite button[type=submit]`)
		p.wantFlash("invite link", "邀请链接已保存。")
		if code := p.postCode(strings.TrimSuffix(p.location().Path, "/settings")+"/invite-link", map[string]string{"url": "weixin group"}); code != 303 {
			p.t.Fatalf("a bad link: %d", code)
		}
		p.open(p.location().Path)
		p.wantFlash("bad link", "邀请链接要以 http:// 或 https:// 开头。")
	})

	subtest(t, tab, demo.url, "Templates", func(p *page) {
		p.openAs("/templates", password)
		if o := p.text("#seed-order"); !strings.Contains(o, "讲师群 → 课题群 → 报名咨询群 → 学员群 → 综合大群") {
			p.t.Fatalf("creation order %q", o)
		}
		flagged := p.texts("#tasks li.out-of-order")
		if len(flagged) != 1 || !strings.Contains(flagged[0], "NF-大别山网商学院学员大群") || !strings.Contains(flagged[0], "顺序不对") {
			p.t.Fatalf("flagged tasks %v, want the all-hands group", flagged)
		}
		if done := len(p.texts("#tasks li.task-done")); done != 7 {
			p.t.Fatalf("%d tasks bound, want 7", done)
		}
		p.shot("tree-tasks", "#tasks")
		form := `section.template form.apply`
		p.choose(form+` select[name=node]`, "黄梅分院")
		p.typeIn(form+` input[name=var_school]`, "黄梅分院")
		p.typeIn(form+` input[name=var_year]`, "2027")
		p.shot("tree-apply", "section.template")
		p.submit(form + ` button`)
		p.wantFlash("apply", "已生成 ")
		// The new application is listed first.
		app := `#tasks article.application:first-of-type`
		if h := p.text(app + " h3"); !strings.Contains(h, "黄梅分院 · 2027") {
			p.t.Fatalf("the first application is %q", h)
		}
		bind := app + ` li.task-open form.bind`
		p.choose(bind+` select[name=group]`, "黄梅")
		p.submit(bind + ` button`)
		p.wantFlash("bind", "任务已对上这个群。")
		if got := p.text(app + " li.task-done"); !strings.Contains(got, "→") {
			p.t.Fatalf("the bound task %q does not name its group", got)
		}
		p.shot("tree-bound", app)
	})

	subtest(t, tab, demo.url, "Roles", func(p *page) {
		p.openAs(hmHref, password)
		if s := p.text("#roles-sync"); !strings.Contains(s, "不能由机器人设置管理员") {
			p.t.Fatalf("the staff card does not say roles stay in qunzhu: %q", s)
		}
		members := eval[[]string](p, `[...document.querySelectorAll('#members tbody tr')].filter(tr => tr.cells[1].textContent.trim() == '群友').slice(0, 2).map(tr => tr.cells[0].textContent.trim())`)
		if len(members) < 2 {
			p.t.Fatal("two members wanted")
		}
		owner := eval[string](p, `(() => { const li = [...document.querySelectorAll('#staff li')].find(li => li.querySelector('b').textContent.trim() == '群主'); return li ? li.querySelector('a').textContent.trim() : "" })()`)
		// A member made 店小二, found by name.
		p.typeIn(`#role-search input[name=who]`, members[0])
		p.submit(`#role-search button`)
		p.set(`#role-found li .role-form select[name=role]`, "assistant")
		p.shot("tree-search", "#roles")
		p.submit(`#role-found li .role-form button`)
		p.wantFlash("make an assistant", "角色已设置；这个平台不能由机器人设置管理员")
		// Another made 群主: the present one becomes 秘书长.
		p.typeIn(`#role-search input[name=who]`, members[1])
		p.submit(`#role-search button`)
		p.set(`#role-found li .owner-form select[name=former_owner]`, "secretary")
		p.submit(`#role-found li .owner-form button`)
		p.shot("tree-owner-confirm", "")
		p.confirm("把「" + members[1] + "」设为「" + hm + "」的群主？现任群主" + owner + "将改为秘书长")
		p.wantFlash("make an owner", "角色已设置")
		staff := p.text("#staff")
		if !regexp.MustCompile(`群主\s*`+regexp.QuoteMeta(members[1])).MatchString(staff) || !regexp.MustCompile(`秘书长\s*`+regexp.QuoteMeta(owner)).MatchString(staff) {
			p.t.Fatalf("staff after the move:\n%s", staff)
		}
		p.shot("tree-staff", "#roles")
		// From the person page: the assistant a member again.
		p.open(eval[string](p, fmt.Sprintf(`[...document.querySelectorAll('#staff a')].find(a => a.textContent.trim() == %q).getAttribute('href')`, members[0])))
		if h := p.text("main h1"); h != members[0] {
			p.t.Fatalf("person page of %q", h)
		}
		row := `#stints tbody tr:has(a[href="` + hmHref + `"])`
		p.set(row+` .role-form select[name=role]`, "member")
		p.shot("tree-person", "#stints-card")
		p.submit(row + ` .role-form button`)
		p.wantFlash("from the person page", "角色已设置")
		if !strings.HasPrefix(p.location().Path, "/people/") || !strings.Contains(p.text(row+" td.role-cell"), "群友") {
			p.t.Fatalf("back at %s, role %q", p.location(), p.text(row+" td.role-cell"))
		}
		// The people search.
		p.open("/people")
		p.typeIn(`#people-search input[name=q]`, members[1])
		p.submit(`#people-search button`)
		if got := p.texts("table#people tbody tr"); len(got) == 0 || !strings.Contains(got[0], members[1]) || !strings.Contains(got[0], hm) {
			p.t.Fatalf("people search for %s: %v", members[1], got)
		}
		p.shot("tree-people", "")
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		p.openAs("/tree", password)
		cfg := filepath.Join(dir, "sec.toml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o600); err != nil {
			p.t.Fatal(err)
		}
		out, err := exec.Command(binary, "user", "add", "yangxin", "--role", "secretary", "--node", yangxin, "--config", cfg).CombinedOutput()
		m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
		if err != nil || m == nil {
			p.t.Fatalf("user add: %v\n%s", err, out)
		}
		p.submit(`form[action="/logout"] button`)
		p.open("/tree")
		p.login("yangxin", string(m[1]))
		p.open("/tree")
		if tree := p.text("#tree"); strings.Contains(tree, "黄梅分院") || !strings.Contains(tree, "阳新分院") {
			p.t.Fatalf("the secretary's tree:\n%s", tree)
		}
		// Her branch and the shop below it, nothing else.
		opts := p.texts(`#add-node select[name=parent] option`)
		if len(opts) != 2 || !strings.HasSuffix(opts[0], "阳新分院") || !strings.HasSuffix(opts[1], "阳新分院 / 阳新县城店") {
			p.t.Fatalf("the secretary may add under %v", opts)
		}
		p.typeIn(`#add-node input[name=name]`, "阳新兴国镇店")
		p.choose(`#add-node select[name=kind]`, "门店")
		p.submit(`#add-node button[type=submit]`)
		p.wantFlash("the secretary adds a node", "节点已添加。")
		p.shot("tree-secretary-tree", "#tree")
		// Outside her branch: refused.
		if code := p.postCode("/tree/nodes", map[string]string{"name": "x", "kind": "store", "parent": huangmei}); code != 403 {
			p.t.Fatalf("the secretary adds a node in another branch: %d, want 403", code)
		}
		p.open(hmHref + "/settings")
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("another branch's group settings: %q", h)
		}
		p.shot("tree-secretary-refused", "")
		// In her branch: a member made 店小二; no 群主 form.
		p.open(yxHref)
		member := eval[string](p, `(() => { const tr = [...document.querySelectorAll('#members tbody tr')].find(tr => tr.cells[1].textContent.trim() == '群友'); return tr ? tr.cells[0].textContent.trim() : "" })()`)
		p.typeIn(`#role-search input[name=who]`, member)
		p.submit(`#role-search button`)
		if n := len(p.texts(`#roles .owner-form`)); n != 0 {
			p.t.Fatalf("the secretary is offered %d owner forms", n)
		}
		p.set(`#role-found li .role-form select[name=role]`, "assistant")
		p.submit(`#role-found li .role-form button`)
		p.wantFlash("the secretary makes an assistant", "角色已设置")
		person := eval[string](p, fmt.Sprintf(`[...document.querySelectorAll('#staff a')].find(a => a.textContent.trim() == %q).getAttribute('href').slice(8)`, member))
		if code := p.postCode(yxHref+"/roles", map[string]string{"person": person, "role": "owner", "confirm": "yes"}); code != 403 {
			p.t.Fatalf("the secretary appoints an owner: %d, want 403", code)
		}
		// Templates: only her branch to apply at.
		p.open("/templates")
		if opts := strings.Join(p.texts(`section.template form.apply select[name=node] option`), "|"); strings.Contains(opts, "黄梅") || !strings.Contains(opts, "阳新分院") {
			p.t.Fatalf("the secretary may apply at %s", opts)
		}
		form := `section.template form.apply`
		p.choose(form+` select[name=node]`, "阳新分院")
		p.typeIn(form+` input[name=var_school]`, "阳新分院")
		p.typeIn(form+` input[name=var_year]`, "2027")
		p.submit(form + ` button`)
		p.wantFlash("the secretary applies a template", "已生成 ")
		p.open("/")
		p.submit(`form[action="/logout"] button`)
	})

	t.Logf("browser test: %v", time.Since(began).Round(time.Millisecond))
}
