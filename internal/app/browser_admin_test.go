package app_test

// The administration pages in a browser: a manager walks the console
// accounts (create one with a role and a node picked by name, the
// password shown once, reset a password, disable and enable) and the API
// tokens (create one, the secret shown once and working, revoke it), and
// the secretary she created is refused both pages. With
// -update-screenshots it writes the screenshots of docs/console/admin.md
// (docs/console/img/admin-*.png, a phone's 390×844 viewport).

import (
	"fmt"
	"strings"
	"testing"
)

// adminRow is the text of the entry in the list (section#id) whose name
// starts with name, "" when there is none.
func (p *page) adminRow(list, name string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(([...document.querySelectorAll('#%s article')].find(a => a.querySelector('.name').textContent.trim().startsWith(%q))) || {}).textContent || ""`, list, name))
}

// adminClickIn clicks the button sel of the entry in the list whose name starts
// with name, and waits for the page it loads.
func (p *page) adminClickIn(list, name, sel string) {
	p.t.Helper()
	id := eval[string](p, fmt.Sprintf(`(([...document.querySelectorAll('#%s article')].find(a => a.querySelector('.name').textContent.trim().startsWith(%q))) || {}).id || ""`, list, name))
	if id == "" {
		p.t.Fatalf("no %q in #%s", name, list)
	}
	p.submit("#" + id + " " + sel)
}

func TestBrowserAdmin(t *testing.T) {
	demo, _, password, tab := demoOnPhone(t)
	var secretary, secretaryPassword string

	subtest(t, tab, demo.url, "Accounts", func(p *page) {
		p.openAs("/accounts", password)
		if h := p.text("main h1"); h != "控制台账号" {
			p.t.Fatalf("accounts heading %q", h)
		}
		if r := p.adminRow("account-list", "李秘书"); !strings.Contains(r, "秘书长") || !strings.Contains(r, "节点 · 湖北农夫电商股份有限公司 / 大别山网商学院 / 阳新分院") {
			p.t.Fatalf("the demo's secretary: %q", r)
		}
		if r := p.adminRow("account-list", "前任助理"); !strings.Contains(r, "已停用") {
			p.t.Fatalf("the disabled assistant: %q", r)
		}
		if r := p.adminRow("account-list", "admin"); !strings.Contains(r, "（你）") || strings.Contains(r, "停用") {
			p.t.Fatalf("the manager's own row: %q", r)
		}
		p.capture("admin-accounts")

		// A secretary for the 黄梅 branch, the node picked by its name.
		secretary = "王秘书"
		p.typeIn(`form[action="/accounts"] input[name=username]`, secretary)
		p.set(`form[action="/accounts"] select[name=role]`, "secretary")
		node := eval[string](p, `([...document.querySelectorAll('select[name=scope] option')].find(o => o.textContent.includes('黄梅分院')) || {}).value || ""`)
		if !strings.HasPrefix(node, "node:") {
			p.t.Fatalf("no 黄梅分院 among the scopes: %v", p.texts("select[name=scope] option"))
		}
		p.set(`form[action="/accounts"] select[name=scope]`, node)
		p.capture("admin-new-account")
		p.submit("#create-account")
		if h := p.text("main h1"); h != "账号已创建" {
			p.t.Fatalf("after creating: %q", h)
		}
		secretaryPassword = p.text("#secret")
		if len(secretaryPassword) < 12 {
			p.t.Fatalf("the password shown: %q", secretaryPassword)
		}
		p.capture("admin-password-once")
		p.submit("#secret-done")
		if r := p.adminRow("account-list", secretary); !strings.Contains(r, "黄梅分院") || strings.Contains(r, secretaryPassword) || !strings.Contains(r, "从未") {
			p.t.Fatalf("the new account's row: %q", r)
		}
		// A name that is taken is said in the form.
		p.typeIn(`form[action="/accounts"] input[name=username]`, secretary)
		p.set(`form[action="/accounts"] select[name=scope]`, node)
		p.submit("#create-account")
		if e := p.text("#form-error"); e != "这个用户名已经有人用了。" {
			p.t.Fatalf("a taken name: %q", e)
		}

		// Reset 店小二小周's password: asked first, then shown once.
		p.open("/accounts")
		p.adminClickIn("account-list", "店小二小周", "button.reset")
		if q := p.text(".confirm p"); !strings.Contains(q, "给 店小二小周 设置一个新密码") {
			p.t.Fatalf("the reset question: %q", q)
		}
		p.capture("admin-confirm-reset")
		p.submit(".confirm button[type=submit]")
		if h := p.text("main h1"); h != "密码已重置" || len(p.text("#secret")) < 12 {
			p.t.Fatalf("after resetting: %q", h)
		}
		// Disable and enable 业委会.
		p.open("/accounts")
		p.adminClickIn("account-list", "业委会", "button.disable")
		p.submit(".confirm button[type=submit]")
		if f := p.text("#flash"); !strings.Contains(f, "账号已停用") || !strings.Contains(p.adminRow("account-list", "业委会"), "已停用") {
			p.t.Fatalf("after disabling: %q", f)
		}
		p.capture("admin-disabled")
		p.adminClickIn("account-list", "业委会", "button.enable")
		if !strings.Contains(p.adminRow("account-list", "业委会"), "启用") || strings.Contains(p.adminRow("account-list", "业委会"), "已停用") {
			p.t.Fatalf("after enabling: %q", p.adminRow("account-list", "业委会"))
		}
	})

	subtest(t, tab, demo.url, "Tokens", func(p *page) {
		p.openAs("/tokens", password)
		if r := p.adminRow("token-list", "旧桥接脚本"); !strings.Contains(r, "已吊销") {
			p.t.Fatalf("the demo's revoked token: %q", r)
		}
		if r := p.adminRow("token-list", "运营中心"); !strings.Contains(r, "运营中心：编辑、审核、发布") {
			p.t.Fatalf("the demo's ops token: %q", r)
		}
		p.capture("admin-tokens")
		p.typeIn(`form[action="/tokens"] input[name=name]`, "微信机器人")
		p.set(`form[action="/tokens"] select[name=scope]`, "ops")
		p.set(`form[action="/tokens"] select[name=roles]`, "editor")
		p.submit("#create-token")
		if h := p.text("main h1"); h != "令牌已创建" {
			p.t.Fatalf("after creating a token: %q", h)
		}
		secret := p.text("#secret")
		if !strings.HasPrefix(secret, "qz_") {
			p.t.Fatalf("the secret shown: %q", secret)
		}
		p.capture("admin-token-once")
		if code, _ := call(p.t, "GET", p.base+"/api/v1/groups", secret, ""); code != 200 {
			p.t.Fatalf("the new token reads: %d", code)
		}
		p.submit("#secret-done")
		if r := p.adminRow("token-list", "微信机器人"); !strings.Contains(r, "运营中心：编辑") || strings.Contains(r, secret) {
			p.t.Fatalf("the new token's row: %q", r)
		}
		p.adminClickIn("token-list", "微信机器人", "button.revoke")
		if q := p.text(".confirm p"); !strings.Contains(q, "吊销令牌 微信机器人") {
			p.t.Fatalf("the revoke question: %q", q)
		}
		p.capture("admin-confirm-revoke")
		p.submit(".confirm button[type=submit]")
		if f := p.text("#flash"); !strings.Contains(f, "已吊销") || !strings.Contains(p.adminRow("token-list", "微信机器人"), "已吊销") {
			p.t.Fatalf("after revoking: %q", f)
		}
		if code, _ := call(p.t, "GET", p.base+"/api/v1/groups", secret, ""); code != 401 {
			p.t.Fatalf("the revoked token: %d, want 401", code)
		}
	})

	subtest(t, tab, demo.url, "SecretaryRefused", func(p *page) {
		if secretary == "" {
			p.t.Skip("the Accounts subtest did not create the secretary")
		}
		p.open("/")
		if p.location().Path != "/login" {
			p.submit(`form[action="/logout"] button`)
		}
		p.open("/")
		p.login(secretary, secretaryPassword)
		if loc := p.location(); loc.Path != "/" {
			p.t.Fatalf("the secretary's login lands on %s", loc)
		}
		if links := p.texts("header nav a, nav.more a"); strings.Contains(strings.Join(links, " "), "控制台账号") {
			p.t.Fatalf("the secretary is offered the accounts page: %v", links)
		}
		for _, path := range []string{"/accounts", "/tokens"} {
			p.open(path)
			if h := p.text("main h1"); !strings.Contains(h, "秘书长") || !strings.Contains(h, "不能") {
				p.t.Fatalf("the secretary's %s: %q", path, h)
			}
		}
		p.capture("admin-secretary-refused")
		p.open("/")
		p.submit(`form[action="/logout"] button`)
	})
}
