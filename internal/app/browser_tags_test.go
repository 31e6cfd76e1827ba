package app_test

// Tags and segments in a browser, on the demo. A manager finds the
// demo's tags with their rules in words and counts, the course tag
// holding the cohorts by rule; makes a member tag of referred members
// from the lists (no ids typed), puts a group into a tag from the group's
// page, looks at a segment and deletes the new tag after confirming. A
// secretary scoped to 阳新分院 sees only the members of its groups in a
// segment and may not change the organisation's tags (403). With
// -update-screenshots they write the screenshots of docs/console/tags.md
// (docs/console/img/tags-*).

import (
	"strings"
	"testing"
)

func TestBrowserTags(t *testing.T) {
	demo, data, password, tab := demoOnPhone(t)
	var yangxin, warm string

	subtest(t, tab, demo.url, "TagsManager", func(p *page) {
		p.openAs("/tags", password)
		if h := p.text("main h1"); h != "标签" {
			p.t.Fatalf("heading %q", h)
		}
		groupTags := p.text("#group-tags")
		for _, want := range []string{"电商课程", "群类型：学员群", "建群模板：", "阳新分院", "本周重点群"} {
			if !strings.Contains(groupTags, want) {
				p.t.Fatalf("the group tags lack %q: %q", want, groupTags)
			}
		}
		if people := p.text("#people-tags"); !strings.Contains(people, "高意向") || !strings.Contains(people, "入群方式：推荐") || !strings.Contains(people, "重点回访") {
			p.t.Fatalf("the member tags: %q", people)
		}
		p.phone()
		p.shot("tags-list", "")
		warm = strings.TrimPrefix(p.linkTo("高意向"), "/tags/")
		p.open(p.linkTo("电商课程"))
		cohorts := p.texts("#tag-group-table tbody tr")
		if len(cohorts) < 12 {
			p.t.Fatalf("电商课程 holds %d groups, want the cohorts", len(cohorts))
		}
		p.shot("tags-tag", "")

		// A member tag of referred members, from the lists.
		p.open("/tags")
		p.typeIn(`#tag-create input[name=name]`, "老带新")
		p.set(`#tag-create select[name=subject]`, "person")
		p.submit(`#tag-create button[type=submit]`)
		p.wantFlash("create", "标签已创建")
		p.choose(`#rule-add-source select[name=value]`, "推荐")
		p.submit(`#rule-add-source button[type=submit]`)
		p.wantFlash("add a rule", "规则已添加")
		if r := p.text("#rule-list"); !strings.Contains(r, "入群方式：推荐") {
			p.t.Fatalf("the rule in words: %q", r)
		}
		if n := len(p.texts("#tag-people-table tbody tr")); n == 0 {
			p.t.Fatal("no referred member in the new tag")
		}
		p.shot("tags-rules", "#tag-rules")
		mine := p.location().Path

		// A group into 本周重点群 from its page.
		p.open("/tags")
		p.open(p.linkTo("电商课程"))
		p.open(p.groupHref("NF-阳新第二期淘宝运营培训群"))
		p.choose(`#tag-add select[name=tag]`, "本周重点群")
		p.submit(`#tag-add button[type=submit]`)
		p.wantFlash("tag a group", "已加入标签")
		if held := p.text("#tags-held"); !strings.Contains(held, "本周重点群") || !strings.Contains(held, "电商课程") {
			p.t.Fatalf("the group's tags: %q", held)
		}
		p.shot("tags-group", "#tags")

		// The segment: warm leads, in the course groups.
		p.open("/tags/segment")
		p.choose(`#segment-form select[name=people]`, "高意向")
		p.choose(`#segment-form select[name=groups]`, "电商课程")
		p.submit(`#segment-form button[type=submit]`)
		if q := p.location().Query(); q.Get("people") != warm || q.Get("groups") == "" {
			p.t.Fatalf("the segment's choice was not sent: %s", p.location())
		}
		if n := len(p.texts("#segment-table tbody tr")); n == 0 {
			p.t.Fatal("no warm lead in the course groups")
		}
		if href := p.linkTo("下载 CSV（Excel）"); !strings.Contains(href, "format=csv") {
			p.t.Fatalf("the CSV link %q", href)
		}
		p.shot("tags-segment", "")

		p.open(mine)
		p.submit(`#tag-delete button[type=submit]`)
		p.confirm("删除标签「老带新」")
		p.wantFlash("delete", "标签已删除")
		if strings.Contains(p.text("#people-tags"), "老带新") {
			p.t.Fatal("the deleted tag is still listed")
		}
		p.open("/tree")
		yangxin = p.nodeID("阳新分院")
	})

	subtest(t, tab, demo.url, "TagsSecretary", func(p *page) {
		if yangxin == "" || warm == "" {
			p.t.Skip("needs the manager's subtest")
		}
		p.openAs("/tags", password)
		p.signInAsNewUser(data, "tags-mishu", "secretary", "--node", yangxin)
		p.open("/tags/segment?people=" + warm)
		groups := p.texts("#segment-table tbody tr td:nth-child(2)")
		if len(groups) == 0 {
			p.t.Fatal("the secretary sees no warm lead in 阳新's groups")
		}
		for _, g := range groups {
			for _, name := range strings.Split(g, "、") {
				if !strings.Contains(name, "阳新") {
					p.t.Fatalf("the secretary sees the group %q", name)
				}
			}
		}
		if r := p.post("/tags", map[string]string{"name": "阳新学员", "subject": "person"}); r.Status != 403 || !strings.Contains(r.Text, "只有整个组织的管理者") {
			p.t.Fatalf("the secretary creates a tag: %d %q", r.Status, r.Text)
		}
	})
}
