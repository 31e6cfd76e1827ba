package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestDuplicatesPage: a member in two cohorts of one series is listed
// with the cohort she stays in by the rule chosen (joined first, or
// posted in most), and as in too many groups when that is asked; a
// viewer of one group sees none; bad choices are a 400.
func TestDuplicatesPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tpl := community.Template{OrgID: w.org.ID, Name: "开班", Steps: []community.TemplateStep{{Kind: community.KindCohort, Count: 2, Pattern: "阳新第{n}期直播班"}}}
	if err := w.db.CreateTemplate(ctx, &tpl, "test"); err != nil {
		t.Fatal(err)
	}
	tasks, _, err := w.db.ApplyTemplate(ctx, w.org.ID, tpl.ID, w.region.ID, nil, "test")
	if err != nil || len(tasks) != 2 {
		t.Fatalf("tasks %+v %v", tasks, err)
	}
	var series []community.Group
	for i, task := range tasks {
		g := community.Group{OrgID: w.org.ID, NodeID: w.region.ID, Connection: "wx", Platform: "wecom", ExternalID: task.Name, Name: task.Name, Kind: community.KindCohort}
		if err := w.db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.BindTask(ctx, w.org.ID, task.ID, g.ID, "test"); err != nil {
			t.Fatal(err)
		}
		a := w.personIn(w.cohort.ID, "学员a")
		if err := w.db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: a, JoinedAt: now.AddDate(0, 0, -9+i)}); err != nil {
			t.Fatal(err)
		}
		series = append(series, g)
	}
	a := w.personIn(w.cohort.ID, "学员a")
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
		return tx.InsertMessages(ctx, []community.Message{{GroupID: series[1].ID, PersonID: a, ExternalID: "dup1", Kind: chat.KindText, Text: "在", SentAt: now.Add(-time.Hour)}})
	}); err != nil {
		t.Fatal(err)
	}
	w.srv.Duplicates = w.db
	m := w.user()
	kept := func(page string) string {
		card := between(page, `id="dup-`+itoa(a)+`"`, "</article>")
		return between(card, `class="dup-keep"><a class="ud" href="/groups/`, `"`)
	}
	page := w.page(m, "/duplicates")
	contains(t, "the duplicates", page, "重复入群", `id="dup-`+itoa(a)+`"`, "学员a", "阳新第1期直播班", "阳新第2期直播班", "1 位成员，可腾出 1 个位置")
	if k := kept(page); k != itoa(series[0].ID) {
		t.Errorf("kept by the earliest: group %s, want %d", k, series[0].ID)
	}
	if k := kept(w.page(m, "/duplicates?keep=active")); k != itoa(series[1].ID) {
		t.Errorf("kept by activity: group %s, want %d", k, series[1].ID)
	}
	contains(t, "in too many groups", w.page(m, "/duplicates?overall=2"), "超过 2 个群")
	contains(t, "the English page", w.page(m, "/duplicates?lang=en"), "Members in several groups", "the group joined first")
	w.page(m, "/duplicates?lang=zh")
	for _, bad := range []string{"/duplicates?keep=newest", "/duplicates?overall=1", "/duplicates?overall=x"} {
		if code := w.status(m, bad); code != 400 {
			t.Errorf("GET %s: %d, want 400", bad, code)
		}
	}
	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	contains(t, "the region's secretary", w.page(sec, "/duplicates"), `id="dup-`+itoa(a)+`"`)
	viewer := w.scoped("viewer", access.Viewer, 0, w.cohort.ID)
	if page := w.page(viewer, "/duplicates"); !strings.Contains(page, "没有重复入群的成员") {
		t.Errorf("a viewer of one group sees duplicates")
	}
}
