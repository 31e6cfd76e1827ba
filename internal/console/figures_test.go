package console_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// TestFiguresFromRollups: before the first rollup the dashboard and the
// group table count the week from the messages and say so; after it they
// read the rollups — members only, so a secretary's message and the
// secretary leave the figures — with the rollup's time on the page, the
// last message as a day and the states from it; a later rollup run shows
// on the pages.
func TestFiguresFromRollups(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	body := w.page(c, "/")
	for _, want := range []string{`id="kpi-messages">7<`, `id="kpi-communicators">6<`, `id="as-of"`, "尚未汇总，按消息实时统计"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard before the first rollup lacks %q", want)
		}
	}
	if err := w.db.SetRole(ctx, "wx", "g1", "d", community.RoleSecretary); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Rollup(ctx, w.org.ID, now, loc, 60); err != nil {
		t.Fatal(err)
	}
	body = w.page(c, "/")
	for _, want := range []string{`id="kpi-messages">6<`, `id="kpi-communicators">5<`, "截至最近一次汇总 " + now.In(loc).Format("2006-01-02 15:04"),
		`id="kpi-groups">4<`, `id="kpi-members">7<`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard after the rollup lacks %q", want)
		}
	}
	rows := rowsOf(body, "groups")
	if got := names(rows, w.cohort.Name, w.enrol.Name, w.owners.Name, w.temp.Name); len(got) != 4 || got[0] != w.cohort.Name {
		t.Fatalf("dashboard groups: %v", got)
	}
	if r := rows[0]; !strings.Contains(r, "<td>6</td>") || !strings.Contains(r, "<td>5</td>") || !strings.Contains(r, "<td>"+now.In(loc).Format("01-02")+"</td>") {
		t.Errorf("the cohort's row: %s", r)
	}
	if en := w.page(c, "/?lang=en"); !strings.Contains(en, "as of the last rollup") {
		t.Error("English dashboard lacks the rollup note")
	}
	for q, want := range map[string]string{"active": w.cohort.Name, "dormant": w.enrol.Name, "dead": w.owners.Name} {
		if got := names(rowsOf(w.page(c, "/groups?state="+q), "groups"), w.cohort.Name, w.enrol.Name, w.owners.Name, w.temp.Name); !slices.Equal(got, []string{want}) {
			t.Errorf("groups?state=%s after the rollup: %v", q, got)
		}
	}
	csv := w.csv(c, "/groups?format=csv&kind=cohort&lang=en")
	if len(csv) != 2 || csv[1][5] != "6" || csv[1][7] != "6" || csv[1][8] != "5" || csv[1][9] != now.In(loc).Format("2006-01-02") || csv[1][10] != "active" {
		t.Fatalf("CSV after the rollup: %q", csv)
	}

	// A later run: the secretary is a member again. The page read before
	// is served while the rollups are read again in the background.
	if err := w.db.SetRole(ctx, "wx", "g1", "d", community.RoleMember); err != nil {
		t.Fatal(err)
	}
	later := now.Add(5 * time.Minute)
	if _, err := w.db.Rollup(ctx, w.org.ID, later, loc, 60); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		body = w.page(c, "/?lang=zh")
		if strings.Contains(body, `id="kpi-messages">7<`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard never showed the later rollup run:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{`id="kpi-communicators">6<`, "截至最近一次汇总 " + later.In(loc).Format("2006-01-02 15:04")} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard after the later run lacks %q", want)
		}
	}
}

// TestGroupsPaging: /groups lists 100 groups a page with links that keep
// the filter and the order, the CSV has every matching group, and the
// dashboard lists the 20 most active with a link to all.
func TestGroupsPaging(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := range 230 {
		g := community.Group{OrgID: w.org.ID, Connection: "wx", Platform: "wecom", ExternalID: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("分页群%03d", i), Kind: community.KindCustom}
		if err := w.db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
	}
	c := w.user()
	paged := func(i int) string { return fmt.Sprintf("分页群%03d", i) }
	body := w.page(c, "/groups?kind=custom&sort=name&dir=asc")
	rows := rowsOf(body, "groups")
	if len(rows) != 100 || !strings.Contains(rows[0], paged(0)) || !strings.Contains(rows[99], paged(99)) {
		t.Fatalf("page 1: %d rows", len(rows))
	}
	for _, want := range []string{`id="group-count">230<`, "第 1–100 个，共 230 个", `href="/groups?dir=asc&kind=custom&page=2&sort=name"`,
		`href="/groups?dir=asc&kind=custom&page=3&sort=name"`, `<b aria-current="page">1</b>`, "下一页"} {
		if !strings.Contains(body, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if strings.Contains(body, "上一页") {
		t.Error("page 1 links to a previous page")
	}
	body = w.page(c, "/groups?kind=custom&sort=name&dir=asc&page=3&lang=en")
	rows = rowsOf(body, "groups")
	if len(rows) != 30 || !strings.Contains(rows[0], paged(200)) || !strings.Contains(rows[29], paged(229)) {
		t.Fatalf("page 3: %d rows", len(rows))
	}
	for _, want := range []string{"201–230 of 230", "Previous", `href="/groups?dir=asc&kind=custom&page=2&sort=name"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page 3 lacks %q", want)
		}
	}
	if strings.Contains(body, "Next") {
		t.Error("the last page links to a next one")
	}
	// Sorting links start again at page 1; the CSV link has no page.
	if strings.Contains(body, `page=3&amp;sort=members`) || strings.Contains(body, "format=csv&page") || !strings.Contains(body, `href="/groups?dir=desc&kind=custom&sort=members"`) {
		t.Error("sort or CSV links keep the page")
	}
	if rows := rowsOf(w.page(c, "/groups?kind=custom&page=9"), "groups"); len(rows) != 0 {
		t.Errorf("a page past the end: %d rows", len(rows))
	}
	for _, bad := range []string{"0", "-1", "x"} {
		if code, _ := get(t, c, w.url+"/groups?page="+bad); code != 400 {
			t.Errorf("page=%s: %d, want 400", bad, code)
		}
	}
	if csv := w.csv(c, "/groups?format=csv&kind=custom&sort=name&dir=asc&page=2"); len(csv) != 231 || csv[1][1] != paged(0) || csv[230][1] != paged(229) {
		t.Fatalf("CSV: %d rows, want the header and all 230", len(csv))
	}
	if rows := rowsOf(w.page(c, "/groups"), "groups"); len(rows) != 100 || !strings.Contains(rows[0], w.cohort.Name) {
		t.Fatalf("all groups, most messages first: %d rows", len(rows))
	}

	body = w.page(c, "/?lang=zh")
	rows = rowsOf(body, "groups")
	if len(rows) != 20 || !strings.Contains(rows[0], w.cohort.Name) {
		t.Fatalf("dashboard: %d groups, want the 20 most active", len(rows))
	}
	for _, want := range []string{"最活跃的 20 个群", `<a href="/groups" id="all-groups">全部 234 个群 →</a>`, `id="kpi-groups">234<`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

// TestFiguresWhileRollupsCatchUp: while the rollups have not come up to
// yesterday (the first run still going, or catching up after a pause),
// the dashboard counts from the messages and says so, rather than show
// weeks-old figures as the last rollup's.
func TestFiguresWhileRollupsCatchUp(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	behind := analytics.DayOf(now, loc) - 5
	if _, err := w.db.SQL().Exec(w.db.Rebind("INSERT INTO rollup_marks (org_id, day, rolled_at) VALUES (?, ?, ?)"), w.org.ID, int64(behind), now.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	body := w.page(c, "/")
	for _, want := range []string{`id="kpi-messages">7<`, `id="kpi-communicators">6<`, "尚未汇总，按消息实时统计"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard with the rollups 5 days behind lacks %q", want)
		}
	}
}
