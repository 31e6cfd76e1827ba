package console_test

import (
	"context"
	"html"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
)

// tagIDByName finds a tag of the world's organisation.
func (w *world) tagIDByName(name string) int64 {
	w.t.Helper()
	tags, err := w.db.Tags(context.Background(), w.org.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, t := range tags {
		if t.Name == name {
			return t.ID
		}
	}
	w.t.Fatalf("no tag %s", name)
	return 0
}

// TestTagsPages: a manager makes a group tag with a kind rule (its page
// lists the kind's groups, named, never by id) and a member tag filled
// by hand from member profiles; the segment view exports the tag's
// members as CSV, a 阳新 secretary's only their groups' members; bad
// input is a 400 in the reader's language, another part of the tree a
// 403, and the tag's deletion asks first. Every change is audited.
func TestTagsPages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.srv.Tags, w.srv.Profiles = w.db, w.db
	owner := community.Person{OrgID: w.org.ID, Name: "业主甲"}
	if err := w.db.CreatePerson(ctx, &owner); err != nil {
		t.Fatal(err)
	}
	if err := w.db.AddMembership(ctx, &community.Membership{GroupID: w.owners.ID, PersonID: owner.ID, JoinedAt: now.AddDate(0, -2, 0)}); err != nil {
		t.Fatal(err)
	}
	a := w.personIn(w.cohort.ID, "学员a")
	m := w.user()

	contains(t, "the empty list", w.page(m, "/tags"), "群标签", "成员标签", "还没有这类标签。", `id="tag-create"`)
	if code, page := w.post(m, "/tags", "/tags", url.Values{"name": {"电商课程"}, "subject": {"group"}}, true); code != 200 || !strings.Contains(page, "标签已创建") {
		t.Fatalf("create: %d\n%s", code, page)
	}
	course := w.tagIDByName("电商课程")
	coursePath := "/tags/" + itoa(course)
	page := w.page(m, coursePath)
	contains(t, "the rule pickers", page, `id="rule-add-kind"`, `id="rule-add-node"`, "学员群", "阳新县", "— 阳新一店")
	if code, _ := w.post(m, coursePath, coursePath+"/rules", url.Values{"field": {"kind"}, "value": {"cohort"}}, true); code != 200 {
		t.Fatalf("add rule: %d", code)
	}
	page = w.page(m, coursePath)
	contains(t, "the tag's groups", between(page, `id="tag-groups"`, "</section>"), "标签里的群（1）", w.cohort.Name, "规则")
	contains(t, "the rule in words", between(page, `id="rule-list"`, "</ul>"), "群类型：学员群")
	contains(t, "the tags list", w.page(m, "/tags"), `id="tag-`+itoa(course)+`"`, "电商课程", "群类型：学员群")
	// By hand, from the group's page: the owners' group.
	contains(t, "the group's tag card", w.page(m, "/groups/"+itoa(w.owners.ID)), `id="tag-add"`, "电商课程")
	if code, page := w.post(m, "/groups/"+itoa(w.owners.ID), "/tags/assign", url.Values{"tag": {itoa(course)}, "group": {itoa(w.owners.ID)}}, true); code != 200 || !strings.Contains(html.UnescapeString(page), "已加入标签") {
		t.Fatalf("tag a group: %d", code)
	}
	contains(t, "both groups", between(w.page(m, coursePath), `id="tag-groups"`, "</section>"), "标签里的群（2）", w.owners.Name, "手动")

	// A member tag, filled from two profiles.
	w.post(m, "/tags", "/tags", url.Values{"name": {"高意向"}, "subject": {"person"}}, true)
	warm := w.tagIDByName("高意向")
	for _, p := range []int64{a, owner.ID} {
		if code, _ := w.post(m, "/people/"+itoa(p), "/tags/assign", url.Values{"tag": {itoa(warm)}, "person": {itoa(p)}}, true); code != 200 {
			t.Fatalf("tag person %d: %d", p, code)
		}
	}
	contains(t, "the profile's tags", between(w.page(m, "/people/"+itoa(a)), `id="tags"`, "</section>"), "高意向", "手动")
	contains(t, "the member tag's page", w.page(m, "/tags/"+itoa(warm)), "标签里的在群成员（2）", "学员a", "业主甲")

	// The segment and its export: everyone's for the manager.
	seg := "/tags/segment?people=" + itoa(warm)
	contains(t, "the segment", w.page(m, seg), "2 位成员", "学员a", "业主甲", `id="csv"`)
	rows := w.csv(m, seg+"&format=csv")
	if len(rows) != 3 || rows[0][1] != "成员" || rows[0][3] != "所在群" {
		t.Fatalf("segment csv: %q", rows)
	}
	names := []string{rows[1][1], rows[2][1]}
	slices.Sort(names)
	if !slices.Equal(names, []string{"业主甲", "学员a"}) {
		t.Fatalf("segment csv names: %q", rows)
	}
	for _, r := range rows[1:] {
		if r[1] == "学员a" && (r[3] != w.cohort.Name || r[4] != "高意向" || r[0] != itoa(a)) {
			t.Fatalf("学员a's row: %q", r)
		}
	}
	// Narrowed to the course's groups: both (the owners' group by hand).
	if rows := w.csv(m, seg+"&groups="+itoa(course)+"&format=csv"); len(rows) != 3 {
		t.Fatalf("in the course's groups: %q", rows)
	}

	// 400s, in the reader's language.
	for _, c := range []struct {
		path   string
		form   url.Values
		zh, en string
	}{
		{"/tags", url.Values{"name": {" "}, "subject": {"group"}}, "标签名要 1 到 30 个字", "A tag's name has 1 to 30 characters"},
		{"/tags", url.Values{"name": {"甲,乙"}, "subject": {"group"}}, "不能含逗号", "no commas"},
		{"/tags", url.Values{"name": {"新标签"}, "subject": {"thing"}}, "请选择用于群还是成员的标签", "Choose a tag for groups or for members"},
		{coursePath + "/rules", url.Values{"field": {"node"}, "value": {"x"}}, "请从列表中选择规则和取值", "Choose the rule and its value"},
		{coursePath + "/rules", url.Values{"field": {"source"}, "value": {"referral"}}, "请从列表中选择规则和取值", "Choose the rule and its value"},
		{"/tags/assign", url.Values{"tag": {"x"}, "group": {itoa(w.cohort.ID)}}, "请选择一个标签", "Choose a tag"},
		{"/tags/assign", url.Values{"tag": {itoa(warm)}, "group": {itoa(w.cohort.ID)}}, "请选择用于群还是成员的标签", "Choose a tag for groups or for members"},
	} {
		for _, lang := range []string{"zh", "en"} {
			code, body := w.post(m, "/tags", c.path+"?lang="+lang, c.form, true)
			want := c.zh
			if lang == "en" {
				want = c.en
			}
			if code != 400 || !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("POST %s %v (%s): %d, want 400 saying %q\n%s", c.path, c.form, lang, code, want, between(body, "<main>", "</main>"))
			}
		}
	}
	for _, c := range []struct{ path, zh, en string }{
		{"/tags/segment?people=x", "请从列表中选择成员标签", "Choose a member tag"},
		{"/tags/segment?people=" + itoa(course), "请从列表中选择成员标签", "Choose a member tag"},
		{"/tags/segment?groups=" + itoa(warm), "请从列表中选择群标签", "Choose a group tag"},
		{"/tags/segment?status=asleep", "请从列表中选择活跃状态", "Choose an activity status"},
	} {
		for lang, want := range map[string]string{"zh": c.zh, "en": c.en} {
			code, body := get(t, m, w.url+c.path+"&lang="+lang)
			if code != 400 || !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("GET %s (%s): %d, want 400 saying %q", c.path, lang, code, want)
			}
		}
	}
	w.page(m, "/tags?lang=zh") // the language chosen last sticks
	if code := w.status(m, "/tags/99999"); code != 404 {
		t.Errorf("an unknown tag: %d", code)
	}
	if code, _ := w.post(m, "/tags", "/tags", url.Values{"name": {"电商课程"}, "subject": {"group"}}, true); code != 200 {
		t.Errorf("a taken name: %d, want the list with a flash", code)
	}

	// A 阳新 secretary: their groups' members only; other groups and
	// people 403; the organisation's tags are not theirs to change.
	sec := w.scoped("yx", access.Secretary, w.region.ID, 0)
	if rows := w.csv(sec, seg+"&format=csv"); len(rows) != 2 || rows[1][1] != "学员a" {
		t.Fatalf("the secretary's export: %q", rows)
	}
	contains(t, "the secretary's list", w.page(sec, "/tags"), "数量只计你负责的群")
	contains(t, "the secretary's tag page", w.page(sec, coursePath), "另有 1 个群不在你负责的范围内")
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/tags/assign", url.Values{"tag": {itoa(course)}, "group": {itoa(w.owners.ID)}, "on": {"0"}}},
		{"/tags/assign", url.Values{"tag": {itoa(warm)}, "person": {itoa(owner.ID)}, "on": {"0"}}},
		{"/tags", url.Values{"name": {"阳新"}, "subject": {"group"}}},
		{coursePath + "/rules", url.Values{"field": {"kind"}, "value": {"owners"}}},
		{coursePath + "/rename", url.Values{"name": {"阳新课程"}}},
	} {
		if code, _ := w.post(sec, "/tags", c.path, c.form, true); code != 403 {
			t.Errorf("the secretary's POST %s %v: %d, want 403", c.path, c.form, code)
		}
	}
	// In scope, by hand: allowed.
	if code, _ := w.post(sec, "/tags", "/tags/assign", url.Values{"tag": {itoa(course)}, "group": {itoa(w.enrol.ID)}}, true); code != 200 {
		t.Errorf("the secretary tags their own group: %d", code)
	}

	// Rename, then delete after confirming.
	if code, _ := w.post(m, coursePath, coursePath+"/rename", url.Values{"name": {"电商直播课程"}}, true); code != 200 || w.tagIDByName("电商直播课程") != course {
		t.Fatalf("rename: %d", code)
	}
	if r := w.confirm(m, coursePath+"/delete", url.Values{}, "删除标签「电商直播课程」"); r.code != 200 || r.path != "/tags" {
		t.Fatalf("delete: %d %s", r.code, r.path)
	}
	if code := w.status(m, coursePath); code != 404 {
		t.Fatalf("the deleted tag's page: %d", code)
	}
	entries, _ := w.db.AuditLog(ctx, w.org.ID, community.Page{Limit: 20})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"tag.create", "tag.rule_add", "tag.add", "tag.rename", "tag.delete"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no %s in the audit log: %v", want, actions)
		}
	}
	contains(t, "the audit page in words", w.page(m, "/audit"), "创建标签", "删除标签")
}

// TestPlanPushesToTag: the calendar's plan form offers the group tags;
// planning to one pushes to exactly its groups (here the owners' group
// put in by hand, not the cohort); a secretary's plan reaches only the
// tag's groups of her scope; a tag not in the list is a 400.
func TestPlanPushesToTag(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	w.srv.Tags = w.db
	watch := community.Tag{OrgID: w.org.ID, Name: "本周重点群", Subject: community.TagGroups}
	warm := community.Tag{OrgID: w.org.ID, Name: "高意向", Subject: community.TagPeople}
	for _, tg := range []*community.Tag{&watch, &warm} {
		if err := w.db.CreateTag(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.SetGroupTag(ctx, w.org.ID, watch.ID, w.owners.ID, true, "test"); err != nil {
		t.Fatal(err)
	}
	count := func(group int64) int {
		ps, _ := w.db.Pushes(ctx, group, now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour))
		return len(ps)
	}
	admin := w.user()
	contains(t, "the plan form", w.page(admin, "/pushes"), `id="plan-tag"`, "本周重点群")
	owners, cohort := count(w.owners.ID), count(w.cohort.ID)
	code, landed := w.post(admin, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "tag": {itoa(watch.ID)}, "date": {"2026-11-28"}, "slot": {"evening"}}, true)
	if code != 200 || !strings.Contains(landed, "已安排 1 条推送") || count(w.owners.ID) != owners+1 || count(w.cohort.ID) != cohort {
		t.Fatalf("plan to the tag: %d, owners %d→%d, cohort %d→%d", code, owners, count(w.owners.ID), cohort, count(w.cohort.ID))
	}
	for _, bad := range []string{"abc", itoa(warm.ID), "99999"} {
		for lang, want := range map[string]string{"zh": "请从列表中选择群标签", "en": "Choose a group tag"} {
			code, body := w.post(admin, "/pushes", "/pushes/plan?lang="+lang, url.Values{"script": {itoa(w.scheduled.ID)}, "tag": {bad}, "date": {"2026-11-28"}, "slot": {"noon"}}, true)
			if code != 400 || !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("tag %s (%s): %d, want 400 saying %q", bad, lang, code, want)
			}
		}
	}
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	if code, landed := w.post(sec, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "tag": {itoa(watch.ID)}, "date": {"2026-11-29"}, "slot": {"noon"}}, true); code != 200 || !strings.Contains(landed, "没有选中任何群") {
		t.Errorf("the secretary plans to a tag of another region's group: %d", code)
	}
}
