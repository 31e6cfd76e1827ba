package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// treeWorld is the world with the tree and group workflows on: roles sync
// on the platform of connection "wx" when syncs is set. It has a secretary
// of the region (阳新县), "yangxin", and an assistant of the cohort group,
// "helper", both with the password "scoped pw".
func treeWorld(t *testing.T, syncs bool) *world {
	t.Helper()
	w := newWorld(t)
	w.srv.Tree, w.srv.People, w.srv.Profiles = w.db, w.db, w.db
	w.srv.Caps = func(conn string) chat.Capabilities { return chat.Capabilities{chat.ActSetRole: syncs && conn == "wx"} }
	hash, _ := console.HashPassword("scoped pw")
	for _, u := range []access.User{
		{OrgID: w.org.ID, Username: "yangxin", PasswordHash: hash, Role: access.Secretary, ScopeNodeID: w.region.ID},
		{OrgID: w.org.ID, Username: "helper", PasswordHash: hash, Role: access.Assistant, ScopeGroupID: w.cohort.ID},
	} {
		if err := w.db.CreateUser(context.Background(), &u); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// result is what a form led to: the status and page after the redirects,
// and the path it ended on.
type result struct {
	code int
	body string
	path string
}

// flash is the page's flash message, "" when none.
func (r result) flash() string {
	_, after, ok := strings.Cut(r.body, `id="flash">`)
	if !ok {
		return ""
	}
	msg, _, _ := strings.Cut(after, "</p>")
	return msg
}

// submit sends a form with the client's CSRF token and follows the redirect.
func (w *world) submit(c *http.Client, path string, form url.Values) result {
	w.t.Helper()
	_, page := get(w.t, c, w.url+"/tree")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		w.t.Fatalf("no CSRF token on /tree")
	}
	form.Set("csrf", m[1])
	resp, err := c.PostForm(w.url+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, html.UnescapeString(string(b)), resp.Request.URL.Path}
}

// confirm posts a destructive form, expects the confirmation page asking
// question, and posts it again confirmed.
func (w *world) confirm(c *http.Client, path string, form url.Values, question string) result {
	w.t.Helper()
	r := w.submit(c, path, form)
	if r.code != 200 || !strings.Contains(r.body, `name="confirm" value="yes"`) || !strings.Contains(r.body, question) {
		w.t.Fatalf("POST %s: %d, want the confirmation asking %q:\n%s", path, r.code, question, r.body)
	}
	form.Set("confirm", "yes")
	return w.submit(c, path, form)
}

func (w *world) nodeByName(name string) community.Node {
	w.t.Helper()
	nodes, err := w.db.Nodes(context.Background(), w.org.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name == name {
			return n
		}
	}
	w.t.Fatalf("no node %q", name)
	return community.Node{}
}

func (w *world) group(id int64) community.Group {
	w.t.Helper()
	g, err := w.db.Group(context.Background(), w.org.ID, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return g
}

// memberID finds a member of a group by name.
func (w *world) memberID(groupID int64, name string) int64 {
	w.t.Helper()
	ms, _ := w.db.Members(context.Background(), groupID)
	for _, m := range ms {
		if m.Name == name {
			return m.PersonID
		}
	}
	w.t.Fatalf("no member %q in group %d", name, groupID)
	return 0
}

func (w *world) roles(groupID int64) map[string]community.Role {
	w.t.Helper()
	ms, _ := w.db.Members(context.Background(), groupID)
	out := map[string]community.Role{}
	for _, m := range ms {
		out[m.Name] = m.Role
	}
	return out
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestTreeNodeWorkflow(t *testing.T) {
	w := treeWorld(t, false)
	w.anonymous("POST", "/tree/nodes")
	c := w.user()
	daye := w.nodeByName("大冶市")
	page := w.page(c, "/tree")
	if !strings.Contains(page, `action="/tree/nodes"`) || !strings.Contains(page, `action="/tree/nodes/`+itoa(w.region.ID)+`/delete"`) || !strings.Contains(page, "阳新县 / 阳新一店") {
		t.Fatal("the manager's tree has no add, delete or move forms with node paths")
	}
	// Add, with what is wrong said on the page.
	r := w.submit(c, "/tree/nodes", vals("name", "阳新二店", "kind", "store", "parent", itoa(w.region.ID)))
	if r.code != 200 || r.path != "/tree" || r.flash() != "节点已添加。" {
		t.Fatalf("add: %d %s %q", r.code, r.path, r.flash())
	}
	shop2 := w.nodeByName("阳新二店")
	if shop2.ParentID != w.region.ID || shop2.Kind != community.NodeStore {
		t.Fatalf("added %+v", shop2)
	}
	if r := w.submit(c, "/tree/nodes", vals("name", "  ", "kind", "store", "parent", "0")); r.flash() != "节点名称不能为空，最多 100 个字。" {
		t.Fatalf("blank name: %d %q", r.code, r.flash())
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want int
	}{
		{"unknown kind", vals("name", "x", "kind", "planet", "parent", "0"), 400},
		{"unknown parent", vals("name", "x", "kind", "store", "parent", "99999"), 400},
		{"bad parent", vals("name", "x", "kind", "store", "parent", "abc"), 400},
	} {
		if r := w.submit(c, "/tree/nodes", tt.form); r.code != tt.want {
			t.Errorf("add, %s: %d, want %d", tt.name, r.code, tt.want)
		}
	}
	// Rename and move.
	if r := w.submit(c, "/tree/nodes/"+itoa(shop2.ID)+"/rename", vals("name", "兴国镇店")); r.flash() != "节点已改名。" || w.nodeByName("兴国镇店").ID != shop2.ID {
		t.Fatalf("rename: %q", r.flash())
	}
	if r := w.submit(c, "/tree/nodes/"+itoa(w.region.ID)+"/move", vals("parent", itoa(w.shop.ID))); r.flash() != "不能把节点移到它自己或它下面的节点之下。" {
		t.Fatalf("move under its own descendant: %d %q", r.code, r.flash())
	}
	if w.nodeByName("阳新县").ParentID != 0 {
		t.Fatal("a refused move moved the node")
	}
	if r := w.submit(c, "/tree/nodes/"+itoa(shop2.ID)+"/move", vals("parent", itoa(daye.ID))); r.flash() != "节点已移动。" || w.nodeByName("兴国镇店").ParentID != daye.ID {
		t.Fatalf("move: %q", r.flash())
	}
	for _, path := range []string{"/tree/nodes/99999/rename", "/tree/nodes/abc/rename"} {
		if r := w.submit(c, path, vals("name", "x")); r.code != 404 {
			t.Errorf("%s: %d, want 404", path, r.code)
		}
	}
	// Delete: the form asks where what it holds goes, then confirms.
	if r := w.submit(c, "/tree/nodes/"+itoa(w.region.ID)+"/delete", vals("move_to", "0")); r.flash() != "这个节点里还有群或子节点：请选择它们移到哪里。" {
		t.Fatalf("delete a node with groups, moving them nowhere: %q", r.flash())
	}
	if r := w.submit(c, "/tree/nodes/"+itoa(w.region.ID)+"/delete", vals("move_to", itoa(w.shop.ID))); !strings.Contains(r.flash(), "它自己下面") {
		t.Fatalf("delete, moving to a node below: %q", r.flash())
	}
	r = w.confirm(c, "/tree/nodes/"+itoa(w.region.ID)+"/delete", vals("move_to", itoa(daye.ID)), "删除节点「阳新县」？它的 1 个子节点和 1 个群")
	if r.flash() != "节点已删除，移走了 1 个群。" {
		t.Fatalf("delete: %d %q", r.code, r.flash())
	}
	if g := w.group(w.enrol.ID); g.NodeID != daye.ID {
		t.Fatalf("the region's group after the delete: %+v", g)
	}
	if w.nodeByName("阳新一店").ParentID != daye.ID {
		t.Fatal("the region's child node did not move")
	}
	log, _ := w.db.AuditLog(context.Background(), w.org.ID, community.Page{Limit: 10})
	var got []string
	for _, e := range log {
		if e.Actor == "staff:admin" {
			got = append(got, e.Action)
		}
	}
	if strings.Join(got, " ") != "node.delete node.update node.update node.create" {
		t.Fatalf("the audit log has %v", got)
	}
}

func TestTreeScopedSecretary(t *testing.T) {
	w := treeWorld(t, false)
	daye := w.nodeByName("大冶市")
	sec := loginAs(t, w.url, "yangxin", "scoped pw")
	page := w.page(sec, "/tree")
	if !strings.Contains(page, `action="/tree/nodes"`) || strings.Contains(page, "（最顶层）") || strings.Contains(page, "大冶市") {
		t.Fatal("the secretary's tree: no add form, or the top of the tree or another branch offered")
	}
	if strings.Contains(page, `action="/tree/nodes/`+itoa(w.region.ID)+`/rename"`) || !strings.Contains(page, `action="/tree/nodes/`+itoa(w.shop.ID)+`/rename"`) {
		t.Fatal("the secretary may rename her own scope's node, or not the nodes below it")
	}
	if r := w.submit(sec, "/tree/nodes", vals("name", "阳新三店", "kind", "store", "parent", itoa(w.region.ID))); r.flash() != "节点已添加。" {
		t.Fatalf("add in her branch: %d %q", r.code, r.flash())
	}
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/tree/nodes", vals("name", "x", "kind", "store", "parent", itoa(daye.ID))},
		{"/tree/nodes", vals("name", "x", "kind", "store", "parent", "0")},
		{"/tree/nodes/" + itoa(w.region.ID) + "/rename", vals("name", "x")},
		{"/tree/nodes/" + itoa(daye.ID) + "/rename", vals("name", "x")},
		{"/tree/nodes/" + itoa(w.shop.ID) + "/move", vals("parent", itoa(daye.ID))},
		{"/tree/nodes/" + itoa(w.shop.ID) + "/delete", vals("move_to", itoa(daye.ID))},
		{"/groups/" + itoa(w.owners.ID) + "/settings", vals("kind", "owners", "node", itoa(daye.ID), "capacity", "500")},
		{"/groups/" + itoa(w.cohort.ID) + "/settings", vals("kind", "cohort", "node", itoa(daye.ID), "capacity", "500")},
		{"/groups/" + itoa(w.owners.ID) + "/archive", vals("confirm", "yes")},
	} {
		if r := w.submit(sec, tt.path, tt.form); r.code != 403 || !strings.Contains(r.body, "不在你负责的范围内") {
			t.Errorf("secretary: POST %s %v = %d, want 403 out of scope", tt.path, tt.form, r.code)
		}
	}
	if r := w.submit(sec, "/tree/nodes/"+itoa(w.shop.ID)+"/rename", vals("name", "阳新旗舰店")); r.flash() != "节点已改名。" {
		t.Fatalf("rename below her node: %q", r.flash())
	}
	if code, _ := get(t, sec, w.url+"/groups/"+itoa(w.owners.ID)+"/settings"); code != 403 {
		t.Errorf("another branch's group settings: %d, want 403", code)
	}
	// An assistant may not edit the tree or a group at all.
	asst := loginAs(t, w.url, "helper", "scoped pw")
	for _, path := range []string{"/tree/nodes", "/groups/" + itoa(w.cohort.ID) + "/settings", "/groups/" + itoa(w.cohort.ID) + "/archive"} {
		if r := w.submit(asst, path, vals("name", "x", "kind", "store", "parent", "0")); r.code != 403 || !strings.Contains(r.body, "店小二") {
			t.Errorf("assistant: POST %s = %d, want 403 naming the role", path, r.code)
		}
	}
	if body := w.page(asst, "/tree"); strings.Contains(body, `action="/tree/nodes"`) {
		t.Error("the assistant is offered the tree forms")
	}
}

func TestGroupSettingsWorkflow(t *testing.T) {
	w := treeWorld(t, false)
	c := w.user()
	g := itoa(w.cohort.ID)
	base := "/groups/" + g
	page := w.page(c, base+"/settings")
	for _, want := range []string{"建群清单", "五件事已完成 0 件", "还没有群主", "阳新县 / 阳新一店", `action="` + base + `/settings"`, `action="` + base + `/archive"`} {
		if !strings.Contains(page, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if !strings.Contains(w.page(c, base), `href="`+base+`/settings"`) {
		t.Error("the group page does not link its settings")
	}
	shanghai, _ := content.LoadZone("") // the console's default time zone
	future := now.Add(7 * 24 * time.Hour).In(shanghai).Format("2006-01-02T15:04")
	for _, tt := range []struct {
		name string
		form url.Values
		says string
	}{
		{"temporary without an end", vals("kind", "temporary", "node", itoa(w.shop.ID), "capacity", "500"), "临时群需要结束时间。"},
		{"capacity 1", vals("kind", "cohort", "node", itoa(w.shop.ID), "capacity", "1"), "人数上限要在 2 到 100000 之间。"},
		{"capacity not a number", vals("kind", "cohort", "node", itoa(w.shop.ID), "capacity", "many"), "人数上限要在 2 到 100000 之间。"},
		{"an end in the past", vals("kind", "temporary", "node", itoa(w.shop.ID), "capacity", "500", "ends", "2020-01-01T10:00"), "结束时间已经过了：请选一个以后的时间。"},
		{"an end that is no time", vals("kind", "temporary", "node", itoa(w.shop.ID), "capacity", "500", "ends", "next week"), "结束时间看不懂，请用日期和时间选择器。"},
	} {
		if r := w.submit(c, base+"/settings", tt.form); r.flash() != tt.says {
			t.Errorf("%s: %d %q, want %q", tt.name, r.code, r.flash(), tt.says)
		}
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want int
	}{
		{"unknown kind", vals("kind", "party", "node", itoa(w.shop.ID), "capacity", "500"), 400},
		{"unknown node", vals("kind", "cohort", "node", "99999", "capacity", "500"), 400},
	} {
		if r := w.submit(c, base+"/settings", tt.form); r.code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, r.code, tt.want)
		}
	}
	r := w.submit(c, base+"/settings", vals("kind", "temporary", "node", itoa(w.region.ID), "capacity", "300", "ends", future))
	if r.flash() != "群设置已保存。" {
		t.Fatalf("save: %d %q", r.code, r.flash())
	}
	got := w.group(w.cohort.ID)
	if got.Kind != community.KindTemporary || got.NodeID != w.region.ID || got.Capacity != 300 || got.ExpiresAt == nil || got.ExpiresAt.In(shanghai).Format("2006-01-02T15:04") != future {
		t.Fatalf("the group after saving: %+v", got)
	}
	if page := w.page(c, base+"/settings"); !strings.Contains(page, "到 "+strings.Replace(future, "T", " ", 1)+" 结束") || !strings.Contains(page, `value="`+future+`"`) {
		t.Error("the settings page does not show the end")
	}
	// Archive (confirmed) and open again.
	if r := w.confirm(c, base+"/archive", url.Values{}, "归档「阳新第6期学员群」："); r.flash() != "群已归档。" || w.group(w.cohort.ID).Lifecycle != community.Archived {
		t.Fatalf("archive: %q", r.flash())
	}
	if r := w.submit(c, base+"/reopen", url.Values{}); r.flash() != "群已重新启用。" || w.group(w.cohort.ID).Lifecycle != community.Active {
		t.Fatalf("reopen: %q", r.flash())
	}
	// The profile and its key opinion leaders, picked by name.
	if r := w.submit(c, base+"/profile", vals("positioning", "阳新学员学习群", "threshold", "缴费学员", "goal", "开店", "rules", "own")); r.flash() != "群定位已保存。" {
		t.Fatalf("profile: %q", r.flash())
	}
	if r := w.submit(c, base+"/profile", vals("rules", "node:3")); r.code != 400 {
		t.Errorf("profile with unknown rules: %d, want 400", r.code)
	}
	found := w.page(c, base+"/settings?kol=学员A")
	if !strings.Contains(found, `id="kol-found"`) || !strings.Contains(found, "学员a") {
		t.Fatal("the KOL search does not find 学员a by name in any case")
	}
	a := w.memberID(w.cohort.ID, "学员a")
	if r := w.submit(c, base+"/kols", vals("op", "add", "person", itoa(a))); r.flash() != "已设为意见领袖。" {
		t.Fatalf("add KOL: %q", r.flash())
	}
	consultant := w.memberID(w.enrol.ID, "咨询者")
	if r := w.submit(c, base+"/kols", vals("op", "add", "person", itoa(consultant))); r.flash() != "意见领袖必须是本群现在的成员。" {
		t.Fatalf("a KOL from another group: %q", r.flash())
	}
	page = w.page(c, base+"/settings")
	if !strings.Contains(page, "五件事已完成 5 件") || !strings.Contains(page, "1 / 1 位意见领袖在群里") || !strings.Contains(page, "本群有自己的群规") {
		t.Fatal("the checklist does not show the five things done")
	}
	if r := w.submit(c, base+"/kols", vals("op", "remove", "person", itoa(a))); r.flash() != "已从意见领袖中移除。" {
		t.Fatalf("remove KOL: %q", r.flash())
	}
	// The bot's language: Chinese by default (the organisation's), English
	// when chosen; anything else is refused.
	if page := w.page(c, base+"/settings"); !strings.Contains(page, `<p id="bot-lang-current">中文</p>`) {
		t.Fatal("a new group's bot does not write Chinese")
	}
	if r := w.submit(c, base+"/bot-lang", vals("lang", "fr")); r.flash() != "请选择中文或英文。" {
		t.Fatalf("bad bot language: %q", r.flash())
	}
	if r := w.submit(c, base+"/bot-lang", vals("lang", "en")); r.flash() != "机器人语言已保存。" || !strings.Contains(r.body, `<p id="bot-lang-current">英文</p>`) {
		t.Fatalf("bot language: %q", r.flash())
	}
	// The invite link: a bad one is refused, removing asks first.
	if r := w.submit(c, base+"/invite-link", vals("url", "weixin group")); r.flash() != "邀请链接要以 http:// 或 https:// 开头。" {
		t.Fatalf("bad link: %q", r.flash())
	}
	if r := w.submit(c, base+"/invite-link", vals("url", "https://weixin.qq.com/g/abc")); r.flash() != "邀请链接已保存。" || !strings.Contains(r.body, "https://weixin.qq.com/g/abc") {
		t.Fatalf("save link: %q", r.flash())
	}
	if r := w.confirm(c, base+"/invite-link", vals("url", ""), "删除「阳新第6期学员群」的邀请链接？"); r.flash() != "邀请链接已删除。" {
		t.Fatalf("remove link: %q", r.flash())
	}
	for _, path := range []string{"/groups/99999/settings", "/groups/" + itoa(w.foreign.ID) + "/settings"} {
		if code, _ := get(t, c, w.url+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
		if r := w.submit(c, path, vals("kind", "cohort", "node", "0", "capacity", "500")); r.code != 404 {
			t.Errorf("POST %s: %d, want 404", path, r.code)
		}
	}
}

// seedTemplate is the seed's order as a template form.
func seedTemplate() url.Values {
	return vals("name", "县域开班", "variables", "county，year",
		"kind_1", "lecturer", "pattern_1", "NF-{county}{year}讲师群",
		"kind_2", "topic", "pattern_2", "NF-{county}{year}{topic}课题群", "topics_2", "选品、运营",
		"kind_3", "enrolment", "pattern_3", "NF-{county}{year}报名咨询群",
		"kind_4", "cohort", "pattern_4", "NF-{county}{year}第{n}期群", "count_4", "2",
		"kind_5", "allhands", "pattern_5", "NF-{county}{year}学员大群",
		"kind_6", "custom", "pattern_6", "")
}

func TestTemplatesWorkflow(t *testing.T) {
	w := treeWorld(t, false)
	c := w.user()
	page := w.page(c, "/templates")
	if !strings.Contains(page, "还没有建群模板。") || !strings.Contains(page, "讲师群</b> → <b>课题群") || !strings.Contains(page, `action="/templates"`) {
		t.Fatal("the templates page lacks the seed's order or the new-template form")
	}
	bad := seedTemplate()
	bad.Set("pattern_5", "NF-{city}学员大群")
	r := w.submit(c, "/templates", bad)
	if r.code != 400 || !strings.Contains(r.body, "模板没有保存：") || !strings.Contains(r.body, "{city}") || !strings.Contains(r.body, `value="NF-{county}{year}第{n}期群"`) {
		t.Fatalf("a template with an unknown variable: %d, want 400 with the form again", r.code)
	}
	bad = seedTemplate()
	bad.Set("count_4", "zero")
	if r := w.submit(c, "/templates", bad); r.code != 400 || !strings.Contains(r.body, "第 4 步的数量要是正整数。") {
		t.Fatalf("a bad count: %d", r.code)
	}
	if r := w.submit(c, "/templates", seedTemplate()); r.flash() != "模板已保存。" {
		t.Fatalf("create: %d %q", r.code, r.flash())
	}
	ts, _ := w.db.Templates(context.Background(), w.org.ID)
	if len(ts) != 1 || len(ts[0].Steps) != 5 || fmt.Sprint(ts[0].Variables) != "[county year]" || fmt.Sprint(ts[0].Steps[1].Topics) != "[选品 运营]" {
		t.Fatalf("templates: %+v", ts)
	}
	tpl := itoa(ts[0].ID)
	if r := w.submit(c, "/templates/"+tpl+"/apply", vals("node", itoa(w.region.ID), "var_county", "阳新")); r.flash() != "请填写模板的每个变量。" {
		t.Fatalf("apply without a value: %q", r.flash())
	}
	if r := w.submit(c, "/templates/99999/apply", vals("node", itoa(w.region.ID))); r.code != 404 {
		t.Errorf("apply an unknown template: %d", r.code)
	}
	if r := w.submit(c, "/templates/"+tpl+"/apply", vals("node", "99999", "var_county", "阳新", "var_year", "2026")); r.code != 400 {
		t.Errorf("apply at an unknown node: %d", r.code)
	}
	if r := w.submit(c, "/templates/"+tpl+"/apply", vals("node", itoa(w.region.ID), "var_county", "阳新", "var_year", "2026")); r.flash() != "已生成 7 个待建群任务。" {
		t.Fatalf("apply: %q", r.flash())
	}
	if r := w.submit(c, "/templates/"+tpl+"/apply", vals("node", itoa(w.region.ID), "var_county", "阳新", "var_year", "2026")); r.flash() != "这些群的任务已经有了，没有新增。" {
		t.Fatalf("apply again: %q", r.flash())
	}
	// The platform reports the first cohort group before the earlier steps'
	// groups exist: it is matched by name and flagged out of order.
	in := ingestInto(t, w)
	in(chat.Event{ID: "new1", Connection: "wx", Platform: "wecom", Type: chat.EventMessage, Group: "yx2026-1", GroupName: "NF-阳新2026第1期群", Time: now,
		Sender: chat.User{ID: "t1", Name: "王老师"}, Message: &chat.Message{ID: "n1", Kind: chat.KindText, Text: "开班啦"}})
	page = w.page(c, "/templates")
	rows := strings.Split(page, `<li id="task-`)[1:]
	if len(rows) != 7 {
		t.Fatalf("%d task rows, want 7", len(rows))
	}
	if !strings.Contains(rows[5-1], "NF-阳新2026第1期群") || !strings.Contains(rows[4], "已建") || !strings.Contains(rows[4], "顺序不对：第 1 步的群还没建或建得更晚") {
		t.Fatalf("the first cohort task is not created and flagged:\n%s", rows[4])
	}
	if strings.Contains(rows[0], "顺序不对") || !strings.Contains(rows[0], "NF-阳新2026讲师群") || !strings.Contains(rows[0], "待建") {
		t.Fatalf("the lecturers' task:\n%s", rows[0])
	}
	if !strings.Contains(page, "1 个顺序不对") || !strings.Contains(page, "已建 1 / 7") {
		t.Fatal("the application's counts")
	}
	// Bind the lecturers' task to a group of another name.
	tasks, _, _ := w.db.GroupTasks(context.Background(), w.org.ID, "")
	lect, topic := tasks[0], tasks[1]
	if r := w.submit(c, "/templates/tasks/"+itoa(lect.ID)+"/bind", vals("group", itoa(w.enrol.ID))); r.flash() != "任务已对上这个群。" {
		t.Fatalf("bind: %q", r.flash())
	}
	if r := w.submit(c, "/templates/tasks/"+itoa(topic.ID)+"/bind", vals("group", itoa(w.enrol.ID))); r.flash() != "对不上：这个群已经对应了别的任务，或者任务已对应别的群。" {
		t.Fatalf("bind a group twice: %q", r.flash())
	}
	for _, tt := range []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"unknown task", "/templates/tasks/99999/bind", vals("group", itoa(w.owners.ID)), 404},
		{"unknown group", "/templates/tasks/" + itoa(topic.ID) + "/bind", vals("group", "99999"), 400},
		{"another organisation's group", "/templates/tasks/" + itoa(topic.ID) + "/bind", vals("group", itoa(w.foreign.ID)), 400},
		{"no group", "/templates/tasks/" + itoa(topic.ID) + "/bind", url.Values{}, 400},
	} {
		if r := w.submit(c, tt.path, tt.form); r.code != tt.want {
			t.Errorf("bind, %s: %d, want %d", tt.name, r.code, tt.want)
		}
	}
	// The region's secretary sees the region's tasks and may not write
	// templates or apply one outside her branch.
	sec := loginAs(t, w.url, "yangxin", "scoped pw")
	if page := w.page(sec, "/templates"); !strings.Contains(page, "NF-阳新2026讲师群") || strings.Contains(page, `action="/templates"`) {
		t.Fatal("the secretary's templates page")
	}
	daye := w.nodeByName("大冶市")
	if r := w.submit(sec, "/templates/"+tpl+"/apply", vals("node", itoa(daye.ID), "var_county", "大冶", "var_year", "2026")); r.code != 403 {
		t.Errorf("the secretary applies outside her branch: %d", r.code)
	}
	if r := w.submit(sec, "/templates", seedTemplate()); r.code != 403 {
		t.Errorf("the secretary writes a template: %d", r.code)
	}
}

// ingestInto returns a function that ingests an event into the world's
// store through the pipeline.
func ingestInto(t *testing.T, w *world) func(chat.Event) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: w.db, OrgFor: func(string) int64 { return w.org.ID }, Now: func() time.Time { return now }})
	go in.Run(ctx)
	return func(e chat.Event) {
		t.Helper()
		if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRolesWorkflow(t *testing.T) {
	w := treeWorld(t, true)
	c := w.user()
	base := "/groups/" + itoa(w.cohort.ID)
	page := w.page(c, base)
	if !strings.Contains(page, `id="roles"`) || !strings.Contains(page, "还没有群主、秘书长或店小二。") || !strings.Contains(page, "群主、秘书长和店小二会同步设为群管理员") {
		t.Fatal("the group page has no staff card saying roles sync")
	}
	found := w.page(c, base+"?who=学员")
	if n := strings.Count(found, `class="inline owner-form"`); n != 4 {
		t.Fatalf("searching 学员 offers %d members the owner form, want 4", n)
	}
	a, b, d := w.memberID(w.cohort.ID, "学员a"), w.memberID(w.cohort.ID, "学员b"), w.memberID(w.cohort.ID, "学员d")
	r := w.confirm(c, base+"/roles", vals("person", itoa(a), "role", "owner"), "把「学员a」设为「阳新第6期学员群」的群主？")
	if r.flash() != "角色已设置，已通知平台同步（1 项）。" || r.path != base {
		t.Fatalf("first owner: %q on %s", r.flash(), r.path)
	}
	r = w.confirm(c, base+"/roles", vals("person", itoa(b), "role", "owner", "former_owner", "secretary"), "现任群主学员a将改为秘书长")
	if r.flash() != "角色已设置，已通知平台同步（1 项）。" {
		t.Fatalf("owner moves: %q", r.flash())
	}
	if got := w.roles(w.cohort.ID); got["学员a"] != community.RoleSecretary || got["学员b"] != community.RoleOwner {
		t.Fatalf("roles after the move: %v", got)
	}
	if r := w.submit(c, base+"/roles", vals("person", itoa(b), "role", "member")); !strings.Contains(r.flash(), "群主不能直接改成别的角色") {
		t.Fatalf("demoting the owner: %q", r.flash())
	}
	if r := w.submit(c, base+"/roles", vals("person", itoa(d), "role", "assistant")); r.flash() != "角色已设置，已通知平台同步（1 项）。" {
		t.Fatalf("assistant: %q", r.flash())
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want int
	}{
		{"unknown role", vals("person", itoa(d), "role", "boss"), 400},
		{"former owner an assistant", vals("person", itoa(d), "role", "owner", "former_owner", "assistant"), 400},
		{"not a member", vals("person", itoa(w.memberID(w.enrol.ID, "咨询者")), "role", "assistant"), 404},
		{"unknown person", vals("person", "99999", "role", "assistant"), 404},
		{"no person", vals("role", "assistant"), 400},
	} {
		if r := w.submit(c, base+"/roles", tt.form); r.code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, r.code, tt.want)
		}
	}
	if r := w.submit(c, "/groups/"+itoa(w.foreign.ID)+"/roles", vals("person", itoa(d), "role", "assistant")); r.code != 404 {
		t.Errorf("another organisation's group: %d", r.code)
	}
	// From the person page, back to it.
	person := "/people/" + itoa(d)
	if body := w.page(c, person); !strings.Contains(body, `action="`+base+`/roles"`) || !strings.Contains(body, `name="back" value="`+person+`"`) {
		t.Fatal("the person page has no role forms for the cohort group")
	}
	if r := w.submit(c, base+"/roles", vals("person", itoa(d), "role", "member", "back", person)); r.flash() != "角色已设置，已通知平台同步（1 项）。" || r.path != person {
		t.Fatalf("from the person page: %q on %s", r.flash(), r.path)
	}
	// The people search finds by name and links the person page.
	if body := w.page(c, "/people?q=学员d"); !strings.Contains(body, `href="`+person+`"`) || !strings.Contains(body, w.cohort.Name) {
		t.Fatal("the people search does not find 学员d with their group")
	}
	acts, _ := w.db.PullActions(context.Background(), []string{"wx"}, 0, 100)
	var texts []string
	for _, a := range acts {
		if a.Action.Kind == chat.ActSetRole {
			texts = append(texts, a.Action.Text)
		}
	}
	if strings.Join(texts, " ") != "admin admin admin member" {
		t.Fatalf("the role changes sent to the platform: %v", texts)
	}

	// The region's secretary makes members assistants in her groups but
	// appoints no owner and touches no other branch.
	sec := loginAs(t, w.url, "yangxin", "scoped pw")
	if body := w.page(sec, base+"?who=学员c"); strings.Contains(body, `class="inline owner-form"`) || !strings.Contains(body, `class="inline role-form"`) {
		t.Fatal("the secretary is offered the owner form, or no role form")
	}
	cc := w.memberID(w.cohort.ID, "学员c")
	if r := w.submit(sec, base+"/roles", vals("person", itoa(cc), "role", "assistant")); r.code != 200 || !strings.HasPrefix(r.flash(), "角色已设置") {
		t.Fatalf("the secretary makes an assistant: %d %q", r.code, r.flash())
	}
	for _, form := range []url.Values{vals("person", itoa(cc), "role", "owner", "confirm", "yes"), vals("person", itoa(cc), "role", "secretary"), vals("person", itoa(a), "role", "member")} {
		if r := w.submit(sec, base+"/roles", form); r.code != 403 || !strings.Contains(r.body, "任命群主和秘书长") {
			t.Errorf("the secretary: %v = %d, want 403", form, r.code)
		}
	}
	if r := w.submit(sec, "/groups/"+itoa(w.owners.ID)+"/roles", vals("person", itoa(cc), "role", "assistant")); r.code != 403 {
		t.Errorf("the secretary in another branch's group: %d", r.code)
	}
	if body := w.page(sec, "/people?q=咨询者"); !strings.Contains(body, "咨询者") {
		t.Error("the secretary does not find a member of her region")
	}
}

// A platform that cannot make admins: the page and the flash say the role
// applies in qunzhu only.
func TestRolesWithoutSync(t *testing.T) {
	w := treeWorld(t, false)
	c := w.user()
	base := "/groups/" + itoa(w.cohort.ID)
	if page := w.page(c, base); !strings.Contains(page, "这个平台不能由机器人设置管理员") {
		t.Fatal("the group page does not say roles do not sync")
	}
	if r := w.submit(c, base+"/roles", vals("person", itoa(w.memberID(w.cohort.ID, "学员c")), "role", "assistant")); r.flash() != "角色已设置；这个平台不能由机器人设置管理员，请在 App 里手动设置。" {
		t.Fatalf("flash: %q", r.flash())
	}
	acts, _ := w.db.PullActions(context.Background(), []string{"wx"}, 0, 100)
	for _, a := range acts {
		if a.Action.Kind == chat.ActSetRole {
			t.Fatalf("a role change queued for a platform without admins: %+v", a.Action)
		}
	}
}

// A viewer sees the staff and the settings but no form to change them.
func TestTreeViewer(t *testing.T) {
	w := treeWorld(t, false)
	hash, _ := console.HashPassword("viewer pw")
	if err := w.db.CreateUser(context.Background(), &access.User{OrgID: w.org.ID, Username: "viewer", PasswordHash: hash, Role: access.Viewer, ScopeNodeID: w.region.ID}); err != nil {
		t.Fatal(err)
	}
	tpl := community.Template{OrgID: w.org.ID, Name: "开班", Steps: []community.TemplateStep{{Kind: community.KindLecturer, Pattern: "讲师群"}}}
	if err := w.db.CreateTemplate(context.Background(), &tpl, "test"); err != nil {
		t.Fatal(err)
	}
	if body := w.page(w.user(), "/templates"); !strings.Contains(body, `class="tform apply"`) {
		t.Fatal("a manager is not offered to apply the template")
	}
	c := loginAs(t, w.url, "viewer", "viewer pw")
	base := "/groups/" + itoa(w.cohort.ID)
	for path, forms := range map[string][]string{
		base:               {`id="role-search"`, `class="inline role-form"`},
		base + "/settings": {`action="` + base + `/settings"`, `action="` + base + `/archive"`, `action="` + base + `/profile"`, `id="kol-search"`},
		"/tree":            {`action="/tree/nodes"`, `details class="node-edit"`},
		"/templates":       {`action="/templates"`, `class="tform apply"`},
	} {
		body := w.page(c, path)
		for _, f := range forms {
			if strings.Contains(body, f) {
				t.Errorf("the viewer's %s offers %s", path, f)
			}
		}
	}
	if r := w.submit(c, base+"/roles", vals("person", itoa(w.memberID(w.cohort.ID, "学员a")), "role", "assistant")); r.code != 403 {
		t.Errorf("the viewer sets a role: %d", r.code)
	}
}
