package console_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// TestMemberBotGate walks the join gate on the member bot's page: bad
// input refused (400, in the page's language), the gate saved and said
// in force, a newcomer held at it listed, let in (their mute lifted),
// and the list's buttons kept from those without the permission or out
// of scope.
func TestMemberBotGate(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	ctx := context.Background()
	reg, err := rules.NewRegistry(ctx, t.TempDir(), nil, rules.NewEngine(nil, nil), func(context.Context) (map[int64]int64, error) {
		return map[int64]int64{w.shop.ID: w.region.ID}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Rules = console.RulesFromRegistry(reg)
	scope := "group:" + itoa(w.cohort.ID)
	page := "/memberbot?lang=zh&scope=" + scope + "&group=" + itoa(w.cohort.ID)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("scope", scope)
		form.Set("group", itoa(w.cohort.ID))
		code, b := w.post(c, page, path, form, true)
		return code, html.UnescapeString(b)
	}
	body := w.page(c, page)
	contains(t, "the page", body, `id="bot-gate-form"`, "不验证新人。", "没有等待放行的新人。")

	for _, tt := range []struct {
		path string
		form url.Values
		want string
	}{
		{"/memberbot/gate", url.Values{"mode": {"captcha"}}, "请选择验证方式"},
		{"/memberbot/gate", url.Values{"mode": {"button"}, "timeout": {"10"}}, "30 到 86400"},
		{"/memberbot/gate", url.Values{"mode": {"code"}, "timeout": {"五分钟"}}, "30 到 86400"},
		{"/memberbot/gate?lang=en", url.Values{"mode": {"button"}, "timeout": {"100000"}}, "whole seconds from 30 to 86400"},
	} {
		if code, b := post(tt.path, tt.form); code != 400 || !strings.Contains(b, tt.want) {
			t.Errorf("gate %v: %d, want 400 with %q", tt.form, code, tt.want)
		}
	}
	if g := reg.For(w.cohort).Gate; g.On() {
		t.Fatalf("a refused form changed the gate: %+v", g)
	}
	if code, b := post("/memberbot/gate", url.Values{"mode": {"button"}, "timeout": {"120"}}); code != 200 || !strings.Contains(b, "入群验证已保存") ||
		!strings.Contains(b, "新人入群后需发送机器人给出的验证码，之前发的消息删除，2 分钟内未通过则移出。（这个群的平台没有按钮，改为发验证码。）") {
		t.Fatalf("gate: %d\n%s", code, b)
	}
	if g := reg.For(w.cohort).Gate; g.Mode != rules.GateButton || g.Wait() != 2*time.Minute {
		t.Fatalf("gate in force: %+v", g)
	}
	if code, b := post("/memberbot/gate", url.Values{"mode": {"approve"}}); code != 200 || !strings.Contains(b, "新人入群后禁言，等管理员在下方放行或移出。") {
		t.Fatalf("approve: %d\n%s", code, b)
	}
	var audits int
	if err := w.db.SQL().QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = 'bot.gate'").Scan(&audits); err != nil || audits != 2 {
		t.Errorf("gate saves audited: %d %v", audits, err)
	}

	// A newcomer joins the group: held at the gate, listed.
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: w.db, OrgFor: func(string) int64 { return w.org.ID }, Now: func() time.Time { return now },
		Decider: &memberbot.Bot{RuleSet: reg.For}})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { in.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := in.Ingest(ctx, []chat.Event{{ID: "jn", Connection: w.cohort.Connection, Platform: w.cohort.Platform, Type: chat.EventMemberJoined, Group: w.cohort.ExternalID,
		Time: now, Sender: chat.User{ID: "newbie", Name: "新人<甲>"}}}); err != nil {
		t.Fatal(err)
	}
	waiting, err := w.db.WaitingAtGate(ctx, w.org.ID, w.cohort.ID)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting: %+v %v", waiting, err)
	}
	pid := itoa(waiting[0].PersonID)
	body = w.page(c, page)
	contains(t, "the list", body, `data-person="`+pid+`"`, "等管理员审核", "等管理员决定", `class="bot-let-in"`)
	_, raw := get(t, c, w.url+page)
	if !strings.Contains(raw, "新人&lt;甲&gt;") || strings.Contains(raw, "新人<甲>") {
		t.Error("the newcomer's name is not escaped")
	}

	// Kept from a viewer (no buttons, 403) and a secretary of another branch.
	viewer := w.scoped("kanke", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's list", w.page(viewer, page), `class="bot-let-in"`)
	letIn := url.Values{"scope": {scope}, "group": {itoa(w.cohort.ID)}, "person": {pid}}
	if code, _ := w.post(viewer, page, "/memberbot/gate/letin", letIn, true); code != 403 {
		t.Errorf("viewer letting in: %d, want 403", code)
	}
	other := w.scoped("dawang", access.Secretary, w.owners.NodeID, 0)
	if code, _ := w.post(other, "/memberbot?scope=node:"+itoa(w.owners.NodeID)+"&group="+itoa(w.owners.ID), "/memberbot/gate/letin", letIn, true); code != 403 {
		t.Errorf("another branch's secretary letting in: %d, want 403", code)
	}
	if code, _ := post("/memberbot/gate/letin", url.Values{"person": {"x"}}); code != 400 {
		t.Errorf("a person that is not a number: %d, want 400", code)
	}

	// Let in: the mute lifted (the outbox has the unmute), off the list.
	if code, b := post("/memberbot/gate/letin", url.Values{"person": {pid}}); code != 200 || !strings.Contains(b, "已放行") || !strings.Contains(b, "没有等待放行的新人。") {
		t.Fatalf("let in: %d\n%s", code, b)
	}
	acts, err := w.db.PullActions(ctx, []string{w.cohort.Connection}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range acts {
		if a.Action.User == "newbie" {
			kinds = append(kinds, string(a.Action.Kind))
		}
	}
	if strings.Join(kinds, " ") != "mute unmute" {
		t.Errorf("the newcomer's actions: %v, want mute unmute", kinds)
	}
	if code, b := post("/memberbot/gate/letin", url.Values{"person": {pid}}); code != 200 || !strings.Contains(b, "已不在等待中") {
		t.Errorf("letting in twice: %d\n%s", code, b)
	}
	if code, b := post("/memberbot/gate/remove", url.Values{"person": {pid}}); code != 200 || !strings.Contains(b, "已不在等待中") {
		t.Errorf("removing one let in: %d\n%s", code, b)
	}
}
