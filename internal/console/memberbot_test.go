package console_test

import (
	"context"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// TestMemberBotPage walks the member bot's page: answers added, edited
// and removed, the welcome set, bad input refused with what is wrong in
// the page's language, and a scoped secretary kept to her part.
func TestMemberBotPage(t *testing.T) {
	w := newWorld(t)
	w.anonymous("GET", "/memberbot")
	c := w.user()
	ctx := context.Background()
	// Without a rules directory: said so, and not in the navigation.
	w.srv.Rules = console.RulesFromRegistry(w.reg)
	body := w.page(c, "/memberbot?lang=en")
	contains(t, "without rules", body, "No rules directory is configured")
	lacks(t, "the navigation without rules", body, `href="/memberbot"`)

	dir := t.TempDir()
	parents := func(context.Context) (map[int64]int64, error) {
		return map[int64]int64{w.shop.ID: w.region.ID}, nil
	}
	reg, err := rules.NewRegistry(ctx, dir, nil, rules.NewEngine(nil, nil), parents, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Rules = console.RulesFromRegistry(reg)
	scope := "node:" + itoa(w.region.ID)
	page := "/memberbot?lang=zh&scope=" + scope + "&group=" + itoa(w.cohort.ID)
	body = w.page(c, page)
	contains(t, "the page", body, `href="/memberbot"`, "成员机器人", "还没有自动回答", `id="bot-entry-form"`, "节点 · 阳新县", "这个群没有欢迎语")

	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("scope", scope)
		form.Set("group", itoa(w.cohort.ID))
		code, b := w.post(c, page, path, form, true)
		return code, html.UnescapeString(b)
	}
	entry := func(kv ...string) url.Values {
		v := url.Values{"name": {"课表"}, "keys": {"课表、上课时间\nke biao"}, "reply": {"每周二、四晚 8 点上课。"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// Bad input: 400, what is wrong, nothing saved, the form kept.
	for _, tt := range []struct {
		name string
		path string
		form url.Values
		want string
	}{
		{"a chat command's name", "/memberbot/faq", entry("name", "打卡"), "是群命令"},
		{"a name with a space", "/memberbot/faq", entry("name", "课 表"), "不能含空格"},
		{"no answer", "/memberbot/faq", entry("reply", ""), "没有答案"},
		{"a link that is not one", "/memberbot/faq", entry("link", "ftp://example.com/x"), "不是网址"},
		{"in English", "/memberbot/faq?lang=en", entry("link", "example.com"), "want an http(s) URL"},
		{"an unknown entry", "/memberbot/faq", entry("orig", "不存在"), ""},
		{"a welcome without text", "/memberbot/welcome", url.Values{"state": {"on"}}, "请填写欢迎语内容"},
		{"an unknown placeholder", "/memberbot/welcome", url.Values{"state": {"on"}, "text": {"欢迎 {name}"}}, "{name} 不认识"},
		{"a window that is not a number", "/memberbot/welcome", url.Values{"state": {"on"}, "text": {"欢迎"}, "window": {"一分钟"}}, "正整数秒数"},
		{"a window too long", "/memberbot/welcome", url.Values{"state": {"on"}, "text": {"欢迎"}, "window": {"3600"}}, "1 秒到 10 分钟"},
		{"a state unknown", "/memberbot/welcome", url.Values{"state": {"maybe"}}, "请选择"},
	} {
		code, b := post(tt.path, tt.form)
		want := 400
		if tt.want == "" {
			want = 404
		}
		if code != want || !strings.Contains(b, tt.want) {
			t.Errorf("%s: %d, want %d with %q\n%s", tt.name, code, want, tt.want, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nodes")); !os.IsNotExist(err) {
		t.Fatal("a refused form wrote a file")
	}

	// Added: in force at once for the groups below, in the file, audited.
	if code, b := post("/memberbot/faq", entry("image", "https://example.com/kb.png")); code != 200 || !strings.Contains(b, "自动回答已保存") || !strings.Contains(b, "/课表") {
		t.Fatalf("add: %d\n%s", code, b)
	}
	rs := reg.For(w.cohort)
	if i, _, ok := rs.FAQ.Ask("請問課表"); !ok || rs.FAQ.Entries[i].Image != "https://example.com/kb.png" || len(rs.FAQ.Entries[i].Keys) != 3 {
		t.Fatalf("in force: %+v", rs.FAQ)
	}
	if len(reg.For(w.owners).FAQ.Entries) != 0 {
		t.Fatal("a group outside the node got the answer")
	}
	file, _ := os.ReadFile(filepath.Join(dir, "nodes", itoa(w.region.ID)+".toml"))
	if !strings.Contains(string(file), "[[faq.entry]]") {
		t.Fatalf("file = %s", file)
	}
	entries, _ := w.db.AuditLog(ctx, w.org.ID, community.Page{Limit: 5})
	if len(entries) == 0 || entries[0].Action != "bot.faq" || entries[0].Subject != scope {
		t.Fatalf("audit: %+v", entries)
	}
	// A second with the same name is refused; editing the first works.
	if code, b := post("/memberbot/faq", entry("name", "課表")); code != 400 || !strings.Contains(b, "重复") {
		t.Errorf("a duplicate name: %d\n%s", code, b)
	}
	body = w.page(c, page+"&entry="+url.QueryEscape("课表"))
	contains(t, "the edit form", body, "修改回答", `value="课表"`, "ke biao")
	if code, b := post("/memberbot/faq", entry("orig", "课表", "reply", "改到周三。")); code != 200 || !strings.Contains(b, "改到周三。") {
		t.Fatalf("edit: %d\n%s", code, b)
	}
	if got := reg.For(w.cohort).FAQ.Entries; len(got) != 1 || got[0].Reply != "改到周三。" {
		t.Fatalf("edited: %+v", got)
	}
	if code := w.status(c, page+"&entry=nope"); code != 404 {
		t.Errorf("editing an unknown answer: %d", code)
	}

	// The questions asked most in the group, over the last 30 days.
	contains(t, "nothing asked yet", w.page(c, page), "近 30 天还没有人问过")
	today := w.srv.Now().In(time.UTC).Format(time.DateOnly)
	long := w.srv.Now().In(time.UTC).AddDate(0, 0, -40).Format(time.DateOnly)
	for _, row := range [][]any{{w.cohort.ID, "课表", today, 7}, {w.cohort.ID, "作业", today, 2}, {w.cohort.ID, "作业", long, 50}, {w.owners.ID, "物业电话", today, 9}} {
		if _, err := w.db.SQL().Exec("INSERT INTO bot_asks (group_id, entry, day, asks) VALUES (?, ?, ?, ?)", row...); err != nil {
			t.Fatal(err)
		}
	}
	body = w.page(c, page)
	if a, b := strings.Index(body, `<td><span class="ud">/课表</span></td><td>7</td>`), strings.Index(body, `<td><span class="ud">/作业</span></td><td>2</td>`); a < 0 || b < a || len(rowsOf(body, "bot-asked")) != 2 {
		t.Errorf("asked most: want 课表 7 then 作业 2 only\n%s", body)
	}
	// The welcome: saved, in force, previewed for the group.
	if code, b := post("/memberbot/welcome", url.Values{"state": {"on"}, "text": {"欢迎 {members} 加入{group}！{link}"}, "window": {"30"}, "cooldown": {"5"}}); code != 200 ||
		!strings.Contains(b, "欢迎语设置已保存") || !strings.Contains(b, "欢迎 @张三、@李四 加入阳新第6期学员群！发送 /rules 查看群规全文") {
		t.Fatalf("welcome: %d\n%s", code, b)
	}
	if rs := reg.For(w.cohort); !rs.Welcome.On() || rs.Welcome.Span().Seconds() != 30 || rs.FAQ.Wait().Minutes() != 5 || len(rs.FAQ.Entries) != 1 {
		t.Fatalf("welcome in force: %+v %+v", rs.Welcome, rs.FAQ)
	}
	// Off in the group's own file, over the node's.
	gscope := "group:" + itoa(w.cohort.ID)
	gform := url.Values{"state": {"off"}, "scope": {gscope}, "group": {itoa(w.cohort.ID)}}
	if code, b := w.post(c, page, "/memberbot/welcome", gform, true); code != 200 {
		t.Fatalf("welcome off: %d\n%s", code, b)
	}
	if reg.For(w.cohort).Welcome.On() {
		t.Fatal("the group's welcome is still on")
	}

	// The check-in: refused with what is wrong, then on for the node.
	for _, tt := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"state": {"on"}, "points": {"-1"}}, "积分要填 0 或正整数"},
		{url.Values{"state": {"on"}, "points": {"5000"}}, "0 到 1000"},
		{url.Values{"state": {"on"}, "words": {"/打卡"}}, "不用加 /"},
	} {
		if code, b := post("/memberbot/checkin", tt.form); code != 400 || !strings.Contains(b, tt.want) {
			t.Errorf("check-in %v: %d, want 400 with %q", tt.form, code, tt.want)
		}
	}
	contains(t, "no check-in yet", w.page(c, page), "这个群没有开启打卡")
	if code, b := post("/memberbot/checkin", url.Values{"state": {"on"}, "words": {"打卡，签到打卡"}, "points": {"2"}, "streak_bonus": {"5"}, "monthly": {"on"}}); code != 200 ||
		!strings.Contains(b, "打卡设置已保存") || !strings.Contains(b, `发 <span class="ud">/checkin、打卡、签到打卡</span> 打卡，每次 2 分，连续 7 天奖励 5 分，积分每月清零。`) {
		t.Fatalf("check-in: %d\n%s", code, b)
	}
	if c := reg.For(w.cohort).Checkin; !c.On() || c.PerCheckin() != 2 || c.StreakBonus != 5 || !c.Monthly() || len(c.Triggers()) != 2 {
		t.Fatalf("check-in in force: %+v", c)
	}

	// The anti-raid lockdown: refused with what is wrong, in either
	// language, then on for the node and said in force.
	for _, tt := range []struct {
		path string
		form url.Values
		want string
	}{
		{"/memberbot/raid", url.Values{"state": {"on"}, "joins": {"1"}, "action": {"remove"}}, "入群人数要填 2 到 1000"},
		{"/memberbot/raid", url.Values{"state": {"on"}, "action": {"remove"}}, "入群人数要填 2 到 1000"},
		{"/memberbot/raid", url.Values{"state": {"on"}, "joins": {"20"}, "within": {"0"}, "action": {"remove"}}, "时间窗要填 1 到 3600"},
		{"/memberbot/raid", url.Values{"state": {"on"}, "joins": {"20"}, "lockdown": {"99999"}, "action": {"remove"}}, "锁定时长要填 1 到 10080"},
		{"/memberbot/raid", url.Values{"state": {"on"}, "joins": {"20"}, "action": {"ban"}}, "请选择移出或禁言"},
		{"/memberbot/raid?lang=en", url.Values{"state": {"on"}, "joins": {"x"}, "action": {"hold"}}, "The joins are a whole number from 2 to 1000."},
	} {
		if code, b := post(tt.path, tt.form); code != 400 || !strings.Contains(b, tt.want) {
			t.Errorf("raid %v: %d, want 400 with %q", tt.form, code, tt.want)
		}
	}
	contains(t, "no lockdown yet", w.page(c, page), "这个群没有开启防刷群")
	if code, b := post("/memberbot/raid", url.Values{"state": {"on"}, "joins": {"20"}, "within": {"30"}, "lockdown": {"45"}, "action": {"hold"}}); code != 200 ||
		!strings.Contains(b, "防刷群设置已保存") || !strings.Contains(b, "30 秒内入群超过 20 人时锁定 45 分钟，期间入群的人被禁言，等待管理员放行。") {
		t.Fatalf("raid: %d\n%s", code, b)
	}
	if r := reg.For(w.cohort).Raid; !r.On() || r.Joins != 20 || r.Span() != 30*time.Second || r.Period() != 45*time.Minute || !r.Hold() {
		t.Fatalf("raid in force: %+v", r)
	}

	// Removed, once confirmed.
	code, b := post("/memberbot/faq/remove", url.Values{"name": {"课表"}})
	if code != 200 || !strings.Contains(b, "删除自动回答“课表”") {
		t.Fatalf("remove asks first: %d\n%s", code, b)
	}
	if len(reg.For(w.cohort).FAQ.Entries) != 1 {
		t.Fatal("removed before it was confirmed")
	}
	if code, b := post("/memberbot/faq/remove", url.Values{"name": {"课表"}, "confirm": {"yes"}}); code != 200 || !strings.Contains(b, "自动回答已删除") {
		t.Fatalf("remove: %d\n%s", code, b)
	}
	if len(reg.For(w.cohort).FAQ.Entries) != 0 {
		t.Fatal("the answer is still in force")
	}
	if code, _ := post("/memberbot/faq/remove", url.Values{"name": {"课表"}, "confirm": {"yes"}}); code != 404 {
		t.Errorf("removing it again: %d, want 404", code)
	}

	// A scoped secretary: her node's file and her groups', nothing else.
	sec := w.scoped("xiaoli", access.Secretary, w.shop.ID, 0)
	mine := "/memberbot?scope=node:" + itoa(w.shop.ID) + "&group=" + itoa(w.cohort.ID)
	w.page(sec, mine)
	for _, path := range []string{"/memberbot?scope=default", "/memberbot?scope=node:" + itoa(w.region.ID), "/memberbot?group=" + itoa(w.owners.ID)} {
		if code := w.status(sec, path); code != 403 {
			t.Errorf("secretary: %s = %d, want 403", path, code)
		}
	}
	form := entry()
	form.Set("scope", "node:"+itoa(w.region.ID))
	if code, _ := w.post(sec, mine, "/memberbot/faq", form, true); code != 403 {
		t.Errorf("secretary: an answer above her node = %d, want 403", code)
	}
	form.Set("scope", "node:"+itoa(w.shop.ID))
	if code, _ := w.post(sec, mine, "/memberbot/faq", form, true); code != 200 {
		t.Errorf("secretary: an answer in her node = %d, want 200", code)
	}
	// A viewer reads but does not change.
	viewer := w.scoped("kanke", access.Viewer, w.region.ID, 0)
	body = w.page(viewer, page)
	lacks(t, "the viewer's page", body, `id="bot-entry-form"`)
	if code, _ := w.post(viewer, page, "/memberbot/faq", entry(), true); code != 403 {
		t.Errorf("viewer: %d, want 403", code)
	}
}
