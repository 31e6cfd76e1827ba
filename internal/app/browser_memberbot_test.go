package app_test

// The member bot's page in a phone-sized Chromium against `qunzhu demo`:
// the manager reads the organisation's answers, adds one (refused first
// with a chat command's name), sees what is in force in a group with its
// welcome, and removes the answer again once confirmed; a 秘书长 of one
// branch sets her branch's welcome and is refused the organisation's
// default. The manager turns the join gate on (refused first with a time
// out of bounds) and off again. With -update-screenshots the steps are saved as
// docs/console/img/memberbot-*.png for docs/console/memberbot.md.

import (
	"slices"
	"strings"
	"testing"
)

func TestBrowserMemberBot(t *testing.T) {
	chrome := chromium(t)
	demo, data, password := startDemo(t)
	tab := newBrowser(t, chrome)
	var branch string // the secretary's node

	subtest(t, tab, demo.url, "MemberBotManager", func(p *page) {
		p.phone()
		p.openAs("/memberbot?scope=default", password)
		if h := p.text("main h1"); h != "成员机器人" {
			p.t.Fatalf("heading %q", h)
		}
		branch = strings.TrimPrefix(p.optionContaining("select[name=scope]", "阳新分院"), "node:")
		names := p.texts("#bot-entries tbody tr td:first-child")
		if !slices.Contains(names, "/物业电话") || !slices.Contains(names, "/话术") || branch == "" {
			p.t.Fatalf("the demo's answers %v; branch %q", names, branch)
		}
		p.shot("memberbot-answers", "#bot-faq")
		// A chat command's name is refused, with what is wrong; the form keeps what was typed.
		p.typeIn("#bot-name", "打卡")
		p.typeIn("#bot-keys", "交作业\n作业在哪")
		p.typeIn("#bot-reply", "作业交到群公告里的收集表，周日 22 点截止。")
		p.submit("#bot-save-entry")
		if e := p.text("#bot-error"); !strings.Contains(e, "是群命令") {
			p.t.Fatalf("a chat command's name: error %q", e)
		}
		p.shot("memberbot-refused", "#bot-entry-form")
		p.typeIn("#bot-name", "作业")
		p.submit("#bot-save-entry")
		p.wantFlash("an answer added", "自动回答已保存")
		if got := p.texts("#bot-in-force-entries li"); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "/作业 · 交作业、作业在哪") }) {
			p.t.Fatalf("in force: %v", got)
		}
		if w := p.text("#bot-welcome-preview"); !strings.HasPrefix(w, "欢迎 @张三、@李四 加入") || !strings.Contains(w, "发送 /rules 查看群规全文") {
			p.t.Fatalf("the welcome previewed: %q", w)
		}
		p.shot("memberbot-in-force", "#bot-in-force")
		// Removed, once confirmed.
		p.submit(`#bot-entries tr[data-name="作业"] form button`)
		p.confirm("删除自动回答“作业”")
		p.wantFlash("an answer removed", "自动回答已删除")
		if names := p.texts("#bot-entries tbody tr td:first-child"); slices.Contains(names, "/作业") {
			p.t.Fatalf("still listed: %v", names)
		}
	})

	subtest(t, tab, demo.url, "MemberBotGate", func(p *page) {
		p.phone()
		p.openAs("/memberbot?scope=default", password)
		if got := p.text("#bot-gate-in-force"); got != "不验证新人。" {
			p.t.Fatalf("the gate in force before: %q", got)
		}
		// A time to pass out of bounds is refused, with what is wrong.
		p.set("#bot-gate-mode", "button")
		p.typeIn("#bot-gate-timeout", "10")
		p.submit("#bot-save-gate")
		if e := p.text("#bot-error"); !strings.Contains(e, "30 到 86400") {
			p.t.Fatalf("a time to pass of 10 s: error %q", e)
		}
		p.typeIn("#bot-gate-timeout", "120")
		p.submit("#bot-save-gate")
		p.wantFlash("the gate saved", "入群验证已保存")
		if got := p.text("#bot-gate-in-force"); !strings.Contains(got, "2 分钟内未通过则移出") {
			p.t.Fatalf("the gate in force: %q", got)
		}
		if p.text("#bot-gate-waiting h2") == "" {
			p.t.Fatal("no list of newcomers waiting")
		}
		// Off again, for the demo's other visitors.
		p.set("#bot-gate-mode", "inherit")
		p.submit("#bot-save-gate")
		p.wantFlash("the gate inherited", "入群验证已保存")
		if got := p.text("#bot-gate-in-force"); got != "不验证新人。" {
			p.t.Fatalf("the gate in force after: %q", got)
		}
	})

	subtest(t, tab, demo.url, "MemberBotSecretary", func(p *page) {
		if branch == "" {
			p.t.Skip("no branch found")
		}
		p.phone()
		p.open("/")
		p.signInAsNewUser(data, "yangxin", "secretary", "--node", branch)
		p.open("/memberbot")
		scopes := p.texts("select[name=scope] option")
		if len(scopes) == 0 || scopes[0] != "节点 · 阳新分院" || slices.ContainsFunc(scopes, func(s string) bool { return strings.Contains(s, "整个组织") }) {
			p.t.Fatalf("the secretary's scopes: %v", scopes)
		}
		p.set("#bot-state", "on")
		p.typeIn("#bot-welcome-text", "欢迎 {members} 来到{group}！有问题直接问，{link}")
		p.typeIn("#bot-window", "120")
		p.submit("#bot-save-welcome")
		p.wantFlash("her branch's welcome", "欢迎语设置已保存")
		if w := p.text("#bot-welcome-preview"); !strings.HasPrefix(w, "欢迎 @张三、@李四 来到") {
			p.t.Fatalf("her welcome previewed: %q", w)
		}
		p.shot("memberbot-welcome", "#bot-welcome")
		p.open("/memberbot?scope=default")
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("the organisation's default for the secretary: %q", h)
		}
	})
}
