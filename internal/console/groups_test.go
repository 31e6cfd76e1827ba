package console_test

import (
	"slices"
	"strings"
	"testing"
)

func TestGroupsPage(t *testing.T) {
	w := newWorld(t)
	w.anonymous("GET", "/groups")
	c := w.user()
	all := []string{w.cohort.Name, w.enrol.Name, w.owners.Name, w.temp.Name}
	body := w.page(c, "/groups")
	if got := names(rowsOf(body, "groups"), append(all, w.foreign.Name)...); len(got) != 4 || slices.Contains(got, w.foreign.Name) {
		t.Fatalf("all groups: %v", got)
	}
	for _, want := range []string{`href="/groups/` + itoa(w.cohort.ID) + `"`, "学员群", "阳新一店", `aria-current="page"`, "组织节点", "— 阳新一店"} {
		if !strings.Contains(body, want) {
			t.Errorf("groups page lacks %q", want)
		}
	}
	filters := []struct {
		query string
		want  []string
	}{
		{"state=active", []string{w.cohort.Name}},
		{"state=dormant", []string{w.enrol.Name}},
		{"state=dead", []string{w.owners.Name}},
		{"state=archived", []string{w.temp.Name}},
		{"kind=owners", []string{w.owners.Name}},
		{"node=" + itoa(w.region.ID) + "&sort=name&dir=asc", []string{w.enrol.Name, w.cohort.Name}}, // the region and the shop under it
		{"node=" + itoa(w.shop.ID), []string{w.cohort.Name}},
		{"node=none", []string{w.temp.Name}},
		{"state=active&kind=enrolment", nil},
	}
	for _, f := range filters {
		if got := names(rowsOf(w.page(c, "/groups?"+f.query), "groups"), all...); !slices.Equal(got, f.want) {
			t.Errorf("groups?%s: %v, want %v", f.query, got, f.want)
		}
	}
	// Sorting: the cohort has 6 members, the enrolment group 1, the others none.
	if got := names(rowsOf(w.page(c, "/groups?sort=members&dir=desc"), "groups"), all...); got[0] != w.cohort.Name || got[1] != w.enrol.Name {
		t.Errorf("by members, most first: %v", got)
	}
	if got := names(rowsOf(w.page(c, "/groups?sort=members&dir=asc"), "groups"), all...); got[3] != w.cohort.Name {
		t.Errorf("by members, fewest first: %v", got)
	}
	if got := names(rowsOf(w.page(c, "/groups?sort=last"), "groups"), all...); !slices.Equal(got[:2], []string{w.cohort.Name, w.enrol.Name}) {
		t.Errorf("by last message: %v", got)
	}
	if code, _ := get(t, c, w.url+"/groups?state=bogus"); code != 400 {
		t.Errorf("unknown state: %d, want 400", code)
	}
	en := w.page(c, "/groups?lang=en&kind=cohort")
	for _, want := range []string{"Tree node", "cohort", "active", "Download CSV"} {
		if !strings.Contains(en, want) {
			t.Errorf("English groups page lacks %q", want)
		}
	}
	if strings.Contains(en, ">学员群<") || strings.Contains(en, "组织节点") {
		t.Error("English groups page shows Chinese labels")
	}

	rows := w.csv(c, "/groups?format=csv&node="+itoa(w.region.ID)+"&sort=name&dir=asc&lang=zh")
	want := [][]string{
		{"编号", "群名", "类型", "平台", "组织节点", "成员", "上限", "7 日消息", "7 日发言人数", "最后发言", "状态"},
		{itoa(w.enrol.ID), w.enrol.Name, "报名咨询群", "wecom", "阳新县", "1", "500", "0", "0", "2026-11-05 18:00:00", "沉寂"},
	}
	if len(rows) != 3 || !slices.Equal(rows[0], want[0]) || !slices.Equal(rows[1], want[1]) || rows[2][1] != w.cohort.Name || rows[2][5] != "6" || rows[2][7] != "7" {
		t.Fatalf("groups CSV:\n%q\nwant\n%q and the cohort", rows, want)
	}
	if en := w.csv(c, "/groups?format=csv&state=dead&lang=en"); len(en) != 2 || en[0][1] != "Name" || en[1][1] != w.owners.Name || en[1][9] != "" || en[1][10] != "dead" {
		t.Fatalf("English CSV of dead groups: %q", en)
	}
}
